package period

import (
	"fmt"
	"time"
)

// Rule decides which reporting month (报告期) a moment reports for. The policy asks each county
// to send 上月进展 before the monthly deadline (每月5日前), so what is reported after one
// deadline, through the next one, is the report of the month before that next deadline: with
// the deadline on the 5th, a survey made from the 6th of November through the 5th of December
// reports 2026-11. A deadline that falls on a day off is met the working day before, and the
// rule follows it: when 5 December is a Saturday, a survey of Saturday 5 December already
// reports December.
//
// Everything that files or counts by period (the survey, the reminders, progress, 未填报,
// 销号, the exports) asks one Rule, so that they never disagree. The zero Rule is the policy
// on China's wall clock with the deadline on the 5th and no days off.
type Rule struct {
	// Location is the offices' wall clock; nil means China Standard Time.
	Location *time.Location
	// Deadline returns the day the report of a period (2026-11) is due, already moved to a
	// working day: a day of the month after the period, or earlier when a break moved it.
	// Nil means the 5th of the month after.
	Deadline func(year int, month time.Month) (y int, m time.Month, d int)
}

// ChinaTime is the zone of every office the policy addresses, the wall clock of periods and
// of every time shown when nothing else is configured; it has had no daylight saving since
// 1991, so a fixed zone is exact.
var ChinaTime = time.FixedZone("CST", 8*60*60)

func (r Rule) location() *time.Location {
	if r.Location != nil {
		return r.Location
	}
	return ChinaTime
}

// Due is the day the report of period p is due, on the offices' wall clock (midnight starting
// that day).
func (r Rule) Due(p string) (time.Time, error) {
	t, err := time.Parse("2006-01", p)
	if err != nil {
		return time.Time{}, fmt.Errorf("月份“%s”格式不对，应为 2026-11", p)
	}
	y, m, d := r.deadline(t.Year(), t.Month())
	return time.Date(y, m, d, 0, 0, 0, 0, r.location()), nil
}

func (r Rule) deadline(year int, month time.Month) (int, time.Month, int) {
	if r.Deadline != nil {
		return r.Deadline(year, month)
	}
	y, m, _ := time.Date(year, month+1, 5, 12, 0, 0, 0, time.UTC).Date()
	return y, m, 5
}

// Of is the period a moment reports for: the month of the first deadline on or after the
// moment's day, less one.
func (r Rule) Of(t time.Time) string {
	y, m, d := t.In(r.location()).Date()
	today := dayKey(y, m, d)
	// The deadline of the month before last is due last month at the latest (a deadline
	// only ever moves earlier), so the answer is the month before t's month or a later one.
	p := time.Date(y, m-1, 1, 12, 0, 0, 0, time.UTC)
	for range 3 {
		if today <= dayKey(r.deadline(p.Year(), p.Month())) {
			break
		}
		p = p.AddDate(0, 1, 0)
	}
	return p.Format("2006-01")
}

func dayKey(y int, m time.Month, d int) int { return y*10000 + int(m)*100 + d }
