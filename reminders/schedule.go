package reminders

import (
	"cmp"
	"fmt"
	"slices"
	"time"

	"github.com/robfig/cron/v3"

	"innobot/config"
	"innobot/period"
)

// Occurrence is one reminder that should go out: one lead time before one due date of one
// deadline. Its Key is what storage claims, so it must stay the same however often and by
// however many processes it is computed.
type Occurrence struct {
	// Key is deadline id, due date (as the cron gives it, before any shift) and lead, like
	// monthly:2026-12-05:3d. The unshifted date keeps the key stable when holiday data or
	// overrides change after a reminder was sent.
	Key      string
	Deadline config.Deadline
	// Due is the date the cron names; Shifted, the working day on or before it, is when the
	// deadline must really be met, and what texts announce.
	Due     Date
	Shifted Date
	Lead    config.Duration
	// At is when the reminder goes out: the configured time of day, Lead before Shifted,
	// moved to a working day.
	At time.Time
	// Period is the month being reported when the reminder goes out (Schedule.Periods at
	// At): the month whose surveys it counts and chases, as 进度 and 未填报 show it then and
	// as a liaison's 填报 would file. For the monthly deadline it is the month before the
	// due month (the report of 2026-11 is due 5 December); a yearly deadline's reminders
	// chase the month still open, never one whose report has closed (the work plan's of
	// mid-June chase June, since May's closed on the 5th).
	Period string
}

// DaysLeft is how many calendar days remain from the reminder's day to the shifted due day;
// texts say this rather than the configured lead, which a holiday may have stretched.
func (o Occurrence) DaysLeft() int {
	a := DateOf(o.At)
	b := o.Shifted
	ta := time.Date(a.Year, a.Month, a.Day, 12, 0, 0, 0, time.UTC)
	tb := time.Date(b.Year, b.Month, b.Day, 12, 0, 0, 0, time.UTC)
	return int(tb.Sub(ta).Hours()+12) / 24
}

// Schedule turns the configured deadlines into occurrences. It is a pure function of the
// config, the calendar and the clock passed in, so the tick, the command line listing and the
// tests all see the same times.
type Schedule struct {
	cal       *Calendar
	loc       *time.Location
	deadlines []deadline
	maxLead   time.Duration
}

type deadline struct {
	cfg          config.Deadline
	sched        cron.Schedule
	hour, minute int
}

// NewSchedule parses each deadline's cron with cron.ParseStandard and reads its time of day.
// Config validation has checked both already; errors here mean a Deadline built by hand.
func NewSchedule(ds []config.Deadline, cal *Calendar, loc *time.Location) (*Schedule, error) {
	if cal == nil {
		cal = NewCalendar(nil)
	}
	if loc == nil {
		loc = time.UTC
	}
	s := &Schedule{cal: cal, loc: loc}
	for _, d := range ds {
		sc, err := cron.ParseStandard(d.Cron)
		if err != nil {
			return nil, fmt.Errorf("deadline %s: cron %q: %w", d.ID, d.Cron, err)
		}
		h, m, ok := d.Clock()
		if !ok {
			return nil, fmt.Errorf("deadline %s: bad time of day %q", d.ID, d.At)
		}
		for _, l := range d.Lead {
			s.maxLead = max(s.maxLead, l.Std())
		}
		s.deadlines = append(s.deadlines, deadline{cfg: d, sched: sc, hour: h, minute: m})
	}
	return s, nil
}

// Location is the zone reminders are computed in, for callers that format their times.
func (s *Schedule) Location() *time.Location { return s.loc }

// Calendar is the working-day calendar the schedule shifts with.
func (s *Schedule) Calendar() *Calendar { return s.cal }

// slack covers how far shifting can move a reminder before its due day: the longest break
// plus weekends, with room to spare.
const slack = 40 * 24 * time.Hour

// Occurrences lists the reminders whose time is in [from, to), by time and then in config
// order. Two leads that land on the same moment after shifting (1d and 3d before a long
// break) are one reminder, kept under the longer lead, so nobody gets the same text twice.
func (s *Schedule) Occurrences(from, to time.Time) []Occurrence {
	var out []Occurrence
	if !from.Before(to) {
		return nil
	}
	from, to = from.In(s.loc), to.In(s.loc)
	// A reminder is never after its due day, so due days from the day of `from` on can
	// have reminders in range; and none later than maxLead+slack after `to`.
	start := DateOf(from).At(0, 0, s.loc).Add(-time.Nanosecond)
	end := to.Add(s.maxLead + slack)
	periods := s.Periods()
	for _, d := range s.deadlines {
		var last Date
		for t := d.sched.Next(start); !t.IsZero() && t.Before(end); t = d.sched.Next(t) {
			due := DateOf(t.In(s.loc))
			if due == last {
				continue // a cron firing several times a day names one due day
			}
			last = due
			for _, o := range s.expand(d, due, periods) {
				if !o.At.Before(from) && o.At.Before(to) {
					out = append(out, o)
				}
			}
		}
	}
	order := make(map[string]int, len(s.deadlines))
	for i, d := range s.deadlines {
		order[d.cfg.ID] = i
	}
	slices.SortStableFunc(out, func(a, b Occurrence) int {
		if c := a.At.Compare(b.At); c != 0 {
			return c
		}
		return cmp.Compare(order[a.Deadline.ID], order[b.Deadline.ID])
	})
	return out
}

// expand gives the reminders of one due day, one per distinct reminder time.
func (s *Schedule) expand(d deadline, due Date, periods period.Rule) []Occurrence {
	shifted := s.cal.ShiftDate(due)
	leads := slices.Clone(d.cfg.Lead)
	slices.SortStableFunc(leads, func(a, b config.Duration) int { return cmp.Compare(b, a) })
	var out []Occurrence
	seen := map[time.Time]bool{}
	for _, l := range leads {
		days := int(l.Std() / (24 * time.Hour))
		rest := l.Std() % (24 * time.Hour)
		at := shifted.AddDays(-days).At(d.hour, d.minute, s.loc).Add(-rest)
		at = s.cal.Shift(at)
		if seen[at] {
			continue
		}
		seen[at] = true
		out = append(out, Occurrence{
			Key:      fmt.Sprintf("%s:%s:%s", d.cfg.ID, due, l),
			Deadline: d.cfg, Due: due, Shifted: shifted, Lead: l, At: at,
			Period: periods.Of(at),
		})
	}
	return out
}

// MonthlyID is the id of the configured deadline of the monthly report (每月5日前): its day
// decides which month a survey reports for (Periods).
const MonthlyID = "monthly"

// Periods is the reporting-month rule of this schedule: the report of a period is due on the
// first day the monthly deadline's cron names in the month after it (the 5th by default, and
// the 5th when no deadline is called monthly), moved to the working day before when that day
// is off. A cron that names no day in some month puts that month's deadline on its last day.
func (s *Schedule) Periods() period.Rule {
	var monthly cron.Schedule
	for _, d := range s.deadlines {
		if d.cfg.ID == MonthlyID {
			monthly = d.sched
			break
		}
	}
	return period.Rule{
		Location: s.loc,
		Deadline: func(year int, month time.Month) (int, time.Month, int) {
			start := time.Date(year, month+1, 1, 0, 0, 0, 0, s.loc)
			due := DateOf(time.Date(year, month+1, 5, 12, 0, 0, 0, s.loc))
			if monthly != nil {
				next := monthly.Next(start.Add(-time.Nanosecond)).In(s.loc)
				if next.IsZero() || next.Month() != start.Month() {
					next = start.AddDate(0, 1, -1)
				}
				due = DateOf(next)
			}
			d := s.cal.ShiftDate(due)
			return d.Year, d.Month, d.Day
		},
	}
}
