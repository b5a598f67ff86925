package reminders_test

import (
	"strings"
	"testing"
	"time"

	"innobot/config"
	"innobot/reminders"
	"innobot/storage"
)

// TestPeriodsOverAYear checks the reporting-month rule of the default config on every day from
// June 2026 to May 2027, at the first and the last minute of the day and at noon, against the
// monthly deadlines of that year written out by hand from the 2026 holiday notice: the 5th,
// or the working day before it (5 December 2026 is a Saturday, so November's report is due
// Friday 4 December; National Day moves September's to 30 September).
func TestPeriodsOverAYear(t *testing.T) {
	rule := defaultSchedule(t).Periods()
	due := []struct{ period, day string }{
		{"2026-05", "2026-06-05"}, {"2026-06", "2026-07-03"}, {"2026-07", "2026-08-05"},
		{"2026-08", "2026-09-04"}, {"2026-09", "2026-09-30"}, {"2026-10", "2026-11-05"},
		{"2026-11", "2026-12-04"}, {"2026-12", "2027-01-05"}, {"2027-01", "2027-02-04"},
		{"2027-02", "2027-03-05"}, {"2027-03", "2027-04-02"}, {"2027-04", "2027-04-30"},
		{"2027-05", "2027-06-04"},
	}
	for _, d := range due {
		got, err := rule.Due(d.period)
		if err != nil || got.Format(time.DateOnly) != d.day || got.Location().String() != shanghai.String() {
			t.Errorf("Due(%s) = %v, %v; want %s in Shanghai", d.period, got, err, d.day)
		}
	}
	// The expected period of a day is that of the first deadline on or after it.
	want := func(day string) string {
		for _, d := range due {
			if day <= d.day {
				return d.period
			}
		}
		t.Fatalf("no deadline after %s", day)
		return ""
	}
	days := 0
	for day := time.Date(2026, 6, 1, 0, 0, 0, 0, shanghai); day.Year() < 2027 || day.Month() < 6; day = day.AddDate(0, 0, 1) {
		days++
		w := want(day.Format(time.DateOnly))
		for _, at := range []time.Duration{0, 12 * time.Hour, 24*time.Hour - time.Minute} {
			if got := rule.Of(day.Add(at)); got != w {
				t.Errorf("Of(%s) = %s, want %s", day.Add(at).Format("2006-01-02 15:04"), got, w)
			}
		}
	}
	if days != 365 {
		t.Errorf("checked %d days", days)
	}
	for _, c := range []struct {
		name, at, want string
	}{
		{"the policy's own example", "2026-11-06T09:00:00+08:00", "2026-11"},
		{"a survey of 2 December is November's report", "2026-12-02T15:00:00+08:00", "2026-11"},
		{"the moved deadline's last minute", "2026-12-04T23:59:00+08:00", "2026-11"},
		{"Saturday 5 December is after the moved deadline", "2026-12-05T09:00:00+08:00", "2026-12"},
		{"a UTC clock before Shanghai's midnight", "2026-12-04T15:59:00Z", "2026-11"},
		{"a UTC clock after Shanghai's midnight", "2026-12-04T16:00:00Z", "2026-12"},
		{"National Day: the deadline moved into September", "2026-09-30T18:00:00+08:00", "2026-09"},
		{"a survey during the holiday reports October", "2026-10-03T10:00:00+08:00", "2026-10"},
		{"the turn of the year", "2027-01-05T20:00:00+08:00", "2026-12"},
	} {
		at, err := time.Parse(time.RFC3339, c.at)
		if err != nil {
			t.Fatal(err)
		}
		if got := rule.Of(at); got != c.want {
			t.Errorf("%s: Of(%s) = %s, want %s", c.name, c.at, got, c.want)
		}
	}
}

// TestPeriodsFollowTheConfig: a monthly deadline configured on the 10th moves the rule with
// it; without a deadline called monthly, the policy's 5th holds.
func TestPeriodsFollowTheConfig(t *testing.T) {
	cfg := config.Default()
	cfg.Deadlines[0].Cron = "0 0 10 * *"
	s, err := reminders.NewSchedule(cfg.Deadlines, reminders.NewCalendar(nil), shanghai)
	if err != nil {
		t.Fatal(err)
	}
	none, err := reminders.NewSchedule(cfg.Deadlines[1:], reminders.NewCalendar(nil), shanghai)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		s    *reminders.Schedule
		at   string
		want string
	}{
		{s, "2026-11-09T10:00:00+08:00", "2026-10"},
		{s, "2026-11-10T10:00:00+08:00", "2026-10"},
		{s, "2026-11-11T10:00:00+08:00", "2026-11"},
		{none, "2026-11-05T10:00:00+08:00", "2026-10"},
		{none, "2026-11-06T10:00:00+08:00", "2026-11"},
		{none, "2026-12-05T10:00:00+08:00", "2026-12"}, // still moved to Friday the 4th
	} {
		at, _ := time.Parse(time.RFC3339, c.at)
		if got := c.s.Periods().Of(at); got != c.want {
			t.Errorf("Of(%s) = %s, want %s", c.at, got, c.want)
		}
	}
}

// TestRemindersChaseTheOpenMonth: every reminder, of whatever deadline, counts and lists the
// month the rule says is being reported when it goes out, the month 进度 and 未填报 show and
// the month a liaison's 填报 would file. The work plan's reminders of mid-June chase June's
// surveys, not May's, whose report closed on 5 June and which nobody can file any more.
func TestRemindersChaseTheOpenMonth(t *testing.T) {
	sched := defaultSchedule(t)
	rule := sched.Periods()
	from := time.Date(2026, 6, 1, 0, 0, 0, 0, shanghai)
	occs := sched.Occurrences(from, from.AddDate(1, 0, 0))
	seen := map[string]bool{}
	for _, o := range occs {
		seen[o.Deadline.ID] = true
		if want := rule.Of(o.At); o.Period != want {
			t.Errorf("%s at %s: period %s, but a survey made then reports %s", o.Key, o.At.Format("2006-01-02 15:04"), o.Period, want)
		}
	}
	for _, id := range []string{"monthly", "work_plan", "annual", "city_summary"} {
		if !seen[id] {
			t.Errorf("no %s reminder in the year", id)
		}
	}

	// In the chat: e2 reported May, e4 June. On 17 June (the day before the work plan is
	// due, 19 June being 端午) the county hears June's figures.
	s := newMemStore()
	fixture(s)
	s.heads["e2"] = []storage.Head{{EnterpriseID: "e2", Period: "2026-05", Version: 1, SubmittedAt: from}}
	s.heads["e4"] = []storage.Head{{EnterpriseID: "e4", Period: "2026-06", Version: 1, SubmittedAt: from.AddDate(0, 0, 10)}}
	e := newEngine(t, s, nil)
	e.Schedule = sched
	e.Audience.(*reminders.Audiences).Periods = rule
	res, err := e.Advance(t.Context(), time.Date(2026, 6, 17, 8, 0, 0, 0, shanghai), time.Date(2026, 6, 17, 18, 0, 0, 0, shanghai), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Fired) != 1 || res.Fired[0].Deadline.ID != "work_plan" {
		t.Fatalf("fired %v, want the work plan's reminder", keys(res.Fired))
	}
	heard := map[string]bool{}
	for _, m := range s.all() {
		heard[m.To+m.Group] = true
		switch {
		case m.To == "k1" && !strings.Contains(m.Text, "盐湖区 2026年6月：企业 2 家，已提交 0 家，未提交 2 家"):
			t.Errorf("the county office reads:\n%s", m.Text)
		case m.Group == "g1" && (!strings.Contains(m.Text, "2026年6月的调查表已提交 0 家") || !strings.Contains(m.Text, "乙电机有限公司")):
			t.Errorf("盐湖区's group reads:\n%s", m.Text)
		case m.Group == "g2" && (!strings.Contains(m.Text, "已提交 1 家，未提交 1 家") || strings.Contains(m.Text, "丁食品有限公司")):
			t.Errorf("永济市's group reads:\n%s", m.Text)
		case strings.Contains(m.Text, "2026年5月"):
			t.Errorf("a reminder of June chases May:\n%s", m.Text)
		}
	}
	for _, to := range []string{"k1", "g1", "g2"} {
		if !heard[to] {
			t.Errorf("%s got no reminder", to)
		}
	}
}
