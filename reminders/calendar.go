package reminders

import (
	"fmt"
	"sync"
	"time"

	"github.com/6tail/lunar-go/HolidayUtil"
)

// Date is a day on the wall calendar, with no clock or zone: holidays, due dates and the
// override keys of the config are days, and comparing time.Times for them invites zone bugs.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf is the day t falls on in t's own location; callers convert t to the configured zone
// first, because the same instant is two different days in Shanghai and in UTC.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParseDate reads "2026-10-08", the spelling used by config overrides and the command line.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return Date{}, fmt.Errorf("bad date %q: want YYYY-MM-DD, like 2026-10-08", s)
	}
	return DateOf(t), nil
}

// String writes the date as ParseDate reads it, and as it appears in reminder keys.
func (d Date) String() string { return fmt.Sprintf("%04d-%02d-%02d", d.Year, d.Month, d.Day) }

// At is the moment of the given wall-clock time on this day in loc, the bridge back from
// days to instants.
func (d Date) At(hour, minute int, loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, hour, minute, 0, 0, loc)
}

// AddDays moves by whole calendar days, normalising month and year ends.
func (d Date) AddDays(n int) Date {
	return DateOf(time.Date(d.Year, d.Month, d.Day+n, 12, 0, 0, 0, time.UTC))
}

// Weekday is the day of the week, which decides working days when no holiday rule applies.
func (d Date) Weekday() time.Weekday {
	return time.Date(d.Year, d.Month, d.Day, 12, 0, 0, 0, time.UTC).Weekday()
}

// weekdayNames are the short Chinese weekday names people read in reminders.
var weekdayNames = [...]string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}

// maxShift bounds the walk back to a working day, so overrides that declare every day a
// holiday cannot hang a tick; the longest official break (春节) is nine days.
const maxShift = 60

// Calendar knows which days are working days in mainland China: the official public holidays
// and their 调休 make-up working days (a working Sunday is a working day) from
// github.com/6tail/lunar-go, then the operator's overrides, which win. The State Council
// publishes each year's schedule only late in the year before, so overrides are how a site
// corrects or completes the data without a new build.
type Calendar struct {
	overrides map[Date]bool

	mu    sync.Mutex
	cache map[Date]bool
}

// NewCalendar returns a calendar with overrides (true = working day, false = day off) applied
// over lunar-go's data. The map is copied.
func NewCalendar(overrides map[Date]bool) *Calendar {
	c := &Calendar{overrides: make(map[Date]bool, len(overrides)), cache: map[Date]bool{}}
	for d, w := range overrides {
		c.overrides[d] = w
	}
	return c
}

// IsWorkday reports whether offices are open on d, which is when people read reminders and
// when deadlines can be met.
func (c *Calendar) IsWorkday(d Date) bool {
	if w, ok := c.overrides[d]; ok {
		return w
	}
	c.mu.Lock()
	w, ok := c.cache[d]
	c.mu.Unlock()
	if ok {
		return w
	}
	if h := HolidayUtil.GetHolidayByYmd(d.Year, int(d.Month), d.Day); h != nil {
		w = h.IsWork()
	} else {
		wd := d.Weekday()
		w = wd != time.Saturday && wd != time.Sunday
	}
	c.mu.Lock()
	c.cache[d] = w
	c.mu.Unlock()
	return w
}

// ShiftDate is the working day on or before d: a deadline that falls on a day off must be met
// the working day before, and a reminder is no use on a day nobody reads it.
func (c *Calendar) ShiftDate(d Date) Date {
	for i, x := 0, d; i < maxShift; i, x = i+1, x.AddDays(-1) {
		if c.IsWorkday(x) {
			return x
		}
	}
	return d
}

// Shift moves t to the same wall-clock time on the working day on or before its day (in t's
// location), for deadlines and reminder times alike.
func (c *Calendar) Shift(t time.Time) time.Time {
	d := DateOf(t)
	s := c.ShiftDate(d)
	if s == d {
		return t
	}
	return time.Date(s.Year, s.Month, s.Day, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
}

// HasData reports whether the holidays of year are known, from lunar-go or from overrides, so
// that the bot can warn at start before it silently treats 春节 as ordinary weekdays.
func (c *Calendar) HasData(year int) bool {
	if HolidayUtil.GetHolidaysByYear(year).Len() > 0 {
		return true
	}
	for d := range c.overrides {
		if d.Year == year {
			return true
		}
	}
	return false
}

// Warnings lists what an operator should hear at start: the coming year (and, in a stale
// build, the current one) without holiday data.
func (c *Calendar) Warnings(now time.Time) []string {
	var out []string
	y := now.Year()
	for _, year := range []int{y, y + 1} {
		if !c.HasData(year) {
			out = append(out, fmt.Sprintf("no public-holiday data for %d: reminders and deadlines in %d move off weekends only; "+
				"update github.com/6tail/lunar-go or list the year's days off and 调休 working days in the config", year, year))
		}
	}
	return out
}
