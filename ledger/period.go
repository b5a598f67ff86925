package ledger

import (
	"time"
)

// PeriodOf is the reporting month a moment falls in, on the office's wall clock: near midnight
// at the month's turn the server's zone would otherwise pick the wrong month.
func PeriodOf(t time.Time, loc *time.Location) string { return t.In(loc).Format("2006-01") }
