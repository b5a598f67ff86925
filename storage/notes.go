package storage

import (
	"context"
	"time"
)

// MonthlyNote is what an office writes into the 工作进展 part of its monthly report (月报) for
// one period: the progress of the work and the problems met, each set by a chat message
// (`月报 进展 …`, `月报 问题 …`). A county keeps one per period; the city office keeps its own
// under the empty region.
type MonthlyNote struct {
	Period string `json:"period"` // e.g. 2026-11
	// Region is the 县（市、区） the note is about; "" is the city office's.
	Region    string    `json:"region"`
	Progress  string    `json:"progress,omitempty"` // 工作进展
	Problems  string    `json:"problems,omitempty"` // 存在问题
	UpdatedBy string    `json:"updated_by"`
	UpdatedAt time.Time `json:"updated_at"`
}

// Notes keeps the offices' monthly notes.
type Notes interface {
	// PutMonthlyNote adds or replaces the note of (Period, Region), with the answer of the
	// message that wrote it.
	PutMonthlyNote(ctx context.Context, n MonthlyNote, a Answer) error
	// MonthlyNotes returns the notes of a period, ordered by region ("" first).
	MonthlyNotes(ctx context.Context, period string) ([]MonthlyNote, error)
}

// CheckNote refuses a note the stores cannot key: no period, or NUL in its parts (the
// backends key notes by period NUL region).
func CheckNote(n MonthlyNote) error {
	if err := CheckID("period", n.Period); err != nil {
		return err
	}
	return CheckNUL("region", n.Region)
}
