package reminders_test

import (
	"slices"
	"testing"
	"time"

	"innobot/config"
	"innobot/reminders"
)

func mustDate(t testing.TB, s string) reminders.Date {
	t.Helper()
	d, err := reminders.ParseDate(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

var shanghai = config.Default().Location()

// TestShift checks the moved dates of the 2026 calendar (国务院办公厅 2026 holiday notice, as
// lunar-go v1.4.7 carries it).
func TestShift(t *testing.T) {
	cal := reminders.NewCalendar(nil)
	tests := []struct {
		name, day, want string
	}{
		{"端午 on a Saturday: 19-21 June off", "2026-06-20", "2026-06-18"},
		{"劳动节 1-5 May off", "2026-05-05", "2026-04-30"},
		{"国庆 1-7 October off", "2026-10-05", "2026-09-30"},
		{"working Sunday after 元旦 stays", "2026-01-04", "2026-01-04"},
		{"working Saturday before 春节 stays", "2026-02-14", "2026-02-14"},
		{"春节 15-23 February off: back to the working Saturday", "2026-02-20", "2026-02-14"},
		{"plain Saturday", "2026-12-05", "2026-12-04"},
		{"plain Sunday", "2026-11-08", "2026-11-06"},
		{"working day stays", "2026-11-05", "2026-11-05"},
		{"元旦 2027 then the weekend", "2027-01-03", "2026-12-31"},
		{"year without data: weekends only", "2028-01-01", "2027-12-31"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := mustDate(t, tt.day)
			if got := cal.ShiftDate(d).String(); got != tt.want {
				t.Errorf("ShiftDate(%s) = %s, want %s", tt.day, got, tt.want)
			}
			at := d.At(9, 30, shanghai)
			want := mustDate(t, tt.want).At(9, 30, shanghai)
			if got := cal.Shift(at); !got.Equal(want) || got.Location() != shanghai {
				t.Errorf("Shift(%v) = %v, want %v", at, got, want)
			}
		})
	}
}

func TestIsWorkday(t *testing.T) {
	cal := reminders.NewCalendar(nil)
	tests := []struct {
		day  string
		want bool
	}{
		{"2026-01-04", true},  // Sunday, 调休 for 元旦
		{"2026-01-03", false}, // Saturday, 元旦
		{"2026-01-01", false}, // Thursday, 元旦
		{"2026-02-28", true},  // Saturday, 调休 for 春节
		{"2026-05-09", true},  // Saturday, 调休 for 劳动节
		{"2026-09-20", true},  // Sunday, 调休 for 国庆
		{"2026-10-10", true},  // Saturday, 调休 for 国庆
		{"2026-06-19", false}, // Friday, 端午
		{"2026-06-18", true},
		{"2026-12-05", false},
	}
	for _, tt := range tests {
		d := mustDate(t, tt.day)
		if got := cal.IsWorkday(d); got != tt.want {
			t.Errorf("IsWorkday(%s, %s) = %v, want %v", tt.day, d.Weekday(), got, tt.want)
		}
	}
	if wd := mustDate(t, "2026-01-04").Weekday(); wd != time.Sunday {
		t.Errorf("2026-01-04 is a %s, not a Sunday", wd)
	}
}

func TestOverrides(t *testing.T) {
	cal := reminders.NewCalendar(map[reminders.Date]bool{
		mustDate(t, "2026-12-04"): false, // say the city gives Friday off
		mustDate(t, "2026-12-05"): true,  // and makes Saturday a working day
		mustDate(t, "2026-11-30"): false,
	})
	if got := cal.ShiftDate(mustDate(t, "2026-12-05")).String(); got != "2026-12-05" {
		t.Errorf("override working Saturday: shifted to %s", got)
	}
	if got := cal.ShiftDate(mustDate(t, "2026-12-04")).String(); got != "2026-12-03" {
		t.Errorf("override day off: shifted to %s", got)
	}
	if got := cal.ShiftDate(mustDate(t, "2026-12-01")).String(); got != "2026-12-01" {
		t.Errorf("untouched day moved to %s", got)
	}
}

func TestHasData(t *testing.T) {
	cal := reminders.NewCalendar(nil)
	for year, want := range map[int]bool{2025: true, 2026: true, 2027: true, 2028: false} {
		if got := cal.HasData(year); got != want {
			t.Errorf("HasData(%d) = %v, want %v", year, got, want)
		}
	}
	if w := cal.Warnings(time.Date(2027, 3, 1, 0, 0, 0, 0, shanghai)); len(w) != 1 {
		t.Errorf("warnings in 2027 = %q, want one about 2028", w)
	}
	if w := cal.Warnings(time.Date(2026, 3, 1, 0, 0, 0, 0, shanghai)); len(w) != 0 {
		t.Errorf("warnings in 2026 = %q, want none", w)
	}
	cal = reminders.NewCalendar(map[reminders.Date]bool{mustDate(t, "2028-01-01"): false})
	if !cal.HasData(2028) {
		t.Error("overrides for 2028 do not count as data")
	}
}

func defaultSchedule(t testing.TB) *reminders.Schedule {
	t.Helper()
	cfg := config.Default()
	s, err := reminders.NewSchedule(cfg.Deadlines, reminders.NewCalendar(nil), cfg.Location())
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestOccurrences lists the default calendar from December 2026 to January 2027, what
// `innobot reminders --from 2026-12-01 --to 2027-01-31` prints.
func TestOccurrences(t *testing.T) {
	s := defaultSchedule(t)
	from := time.Date(2026, 12, 1, 0, 0, 0, 0, shanghai)
	to := time.Date(2027, 2, 1, 0, 0, 0, 0, shanghai)
	type row struct{ key, at, shifted, period string }
	want := []row{
		// 5 Dec is a Saturday: due Friday 4th; 3 days before is Tuesday 1st.
		{"monthly:2026-12-05:3d", "2026-12-01 09:00", "2026-12-04", "2026-11"},
		{"monthly:2026-12-05:1d", "2026-12-03 09:00", "2026-12-04", "2026-11"},
		{"monthly:2026-12-05:0d", "2026-12-04 09:00", "2026-12-04", "2026-11"},
		// 5 Jan 2027 is a Tuesday; 3 days before is Saturday 2nd in 元旦: back to 31 Dec.
		{"monthly:2027-01-05:3d", "2026-12-31 09:00", "2027-01-05", "2026-12"},
		{"annual:2027-01-05:3d", "2026-12-31 09:00", "2027-01-05", "2026-12"},
		{"monthly:2027-01-05:1d", "2027-01-04 09:00", "2027-01-05", "2026-12"},
		{"annual:2027-01-05:1d", "2027-01-04 09:00", "2027-01-05", "2026-12"},
		{"monthly:2027-01-05:0d", "2027-01-05 09:00", "2027-01-05", "2026-12"},
		{"annual:2027-01-05:0d", "2027-01-05 09:00", "2027-01-05", "2026-12"},
		// 20 Jan 2027 is a Wednesday; 3 days before is Sunday 17th: back to Friday 15th.
		// December's report closed on the 5th: these count January's, as 进度 does then.
		{"city_summary:2027-01-20:3d", "2027-01-15 09:00", "2027-01-20", "2027-01"},
		{"city_summary:2027-01-20:1d", "2027-01-19 09:00", "2027-01-20", "2027-01"},
		{"city_summary:2027-01-20:0d", "2027-01-20 09:00", "2027-01-20", "2027-01"},
	}
	var got []row
	for _, o := range s.Occurrences(from, to) {
		got = append(got, row{o.Key, o.At.In(shanghai).Format("2006-01-02 15:04"), o.Shifted.String(), o.Period})
	}
	if !slices.Equal(got, want) {
		t.Errorf("occurrences:\n got %v\nwant %v", got, want)
	}
}

func TestOccurrencesMovedDeadlines(t *testing.T) {
	s := defaultSchedule(t)
	tests := []struct{ key, at string }{
		// 端午: 20 June (Saturday) is due Thursday 18th.
		{"work_plan:2026-06-20:0d", "2026-06-18 09:00"},
		{"work_plan:2026-06-20:1d", "2026-06-17 09:00"},
		{"work_plan:2026-06-20:3d", "2026-06-15 09:00"},
		// 劳动节: 5 May is due 30 April; 3 days before is Monday 27th.
		{"monthly:2026-05-05:0d", "2026-04-30 09:00"},
		{"monthly:2026-05-05:3d", "2026-04-27 09:00"},
		// 国庆: 5 October is due 30 September; 3 days before (27th, 中秋) moves to 24th.
		{"monthly:2026-10-05:0d", "2026-09-30 09:00"},
		{"monthly:2026-10-05:1d", "2026-09-29 09:00"},
		{"monthly:2026-10-05:3d", "2026-09-24 09:00"},
		// 元旦 2026: 5 January is a Monday; 1 day before is the working Sunday the 4th.
		{"monthly:2026-01-05:1d", "2026-01-04 09:00"},
	}
	all := map[string]string{}
	for _, o := range s.Occurrences(time.Date(2026, 1, 1, 0, 0, 0, 0, shanghai), time.Date(2027, 1, 1, 0, 0, 0, 0, shanghai)) {
		if _, dup := all[o.Key]; dup {
			t.Errorf("key %s listed twice", o.Key)
		}
		all[o.Key] = o.At.In(shanghai).Format("2006-01-02 15:04")
		if !reminders.NewCalendar(nil).IsWorkday(reminders.DateOf(o.At.In(shanghai))) {
			t.Errorf("%s at %s, not a working day", o.Key, o.At)
		}
	}
	for _, tt := range tests {
		if got := all[tt.key]; got != tt.at {
			t.Errorf("%s at %q, want %s", tt.key, got, tt.at)
		}
	}
	// 12 monthly due dates × 3 leads + 3 yearly deadlines × 3 leads, except leads that land
	// on the same moment after a shift: none in 2026.
	if len(all) != 12*3+3*3 {
		t.Errorf("%d occurrences in 2026, want %d", len(all), 12*3+3*3)
	}
}

// TestLeadsCollapse: when two leads land on one moment after shifting, one reminder goes out.
func TestLeadsCollapse(t *testing.T) {
	d := config.Deadline{ID: "x", Name: "测试", Cron: "0 0 8 10 *", Lead: []config.Duration{3 * config.Day, 1 * config.Day, 0}, At: "09:00", Audiences: []string{"city_office"}}
	s, err := reminders.NewSchedule([]config.Deadline{d}, reminders.NewCalendar(nil), shanghai)
	if err != nil {
		t.Fatal(err)
	}
	// 8 October 2026 is a Thursday after 国庆 (1-7 off): 1 day and 3 days before both move
	// to 30 September.
	var got []string
	for _, o := range s.Occurrences(time.Date(2026, 9, 1, 0, 0, 0, 0, shanghai), time.Date(2026, 10, 9, 0, 0, 0, 0, shanghai)) {
		got = append(got, o.Key+"@"+o.At.Format("01-02"))
	}
	want := []string{"x:2026-10-08:3d@09-30", "x:2026-10-08:0d@10-08"}
	if !slices.Equal(got, want) {
		t.Errorf("got %v, want %v", got, want)
	}
}
