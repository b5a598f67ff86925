package reminders_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"innobot/config"
	"innobot/period"
	"innobot/reminders"
)

// TestWeeklyCharts: each bound group gets its region's picture of the month reported now,
// once per week; without a drawer, a line of its figures; a week missed is not reported.
func TestWeeklyCharts(t *testing.T) {
	s := newMemStore()
	fixture(s)
	sched, err := reminders.NewSchedule([]config.Deadline{config.Default().WeeklyChart.Deadline()}, reminders.NewCalendar(nil), shanghai)
	if err != nil {
		t.Fatal(err)
	}
	var drawn []string
	aud := &reminders.Audiences{Store: s, Location: shanghai, Periods: period.Rule{Location: shanghai},
		Charts: func(_ context.Context, region, month string, now time.Time) (string, string, error) {
			drawn = append(drawn, region+" "+month+" "+now.Format("01-02 15:04"))
			return "/charts/" + region + ".png", region + "进度。", nil
		}}
	e := &reminders.Engine{Schedule: sched, Audience: aud, Outbox: s}
	res, err := e.Tick(context.Background(), at("2026-11-30", "09:00"))
	if err != nil || len(res.Fired) != 1 {
		t.Fatalf("Monday 09:00: fired %v, %v", keys(res.Fired), err)
	}
	msgs := byID(s.all())
	if len(msgs) != 2 || msgs["chart/g1"].File != "/charts/盐湖区.png" || msgs["chart/g2"].File != "/charts/永济市.png" {
		t.Fatalf("messages %+v", msgs)
	}
	if got := msgs["chart/g1"].Text; got != "【每周填报进度】盐湖区进度。在群里 @我 发送“未填报”可看还没填报的企业。" {
		t.Errorf("caption %q, want the chart's line and what to send next", got)
	}
	if strings.Join(drawn, ";") != "盐湖区 2026-11 11-30 09:00;永济市 2026-11 11-30 09:00" {
		t.Errorf("drawn %v", drawn)
	}
	if res, _ := e.Tick(context.Background(), at("2026-11-30", "09:05")); len(res.Fired) != 0 {
		t.Errorf("fired again: %v", keys(res.Fired))
	}

	// Listed without drawing (innobot reminders): a line of figures, of December once its
	// report on November is due.
	aud.Charts = nil
	occ := sched.Occurrences(at("2026-12-07", "00:00"), at("2026-12-08", "00:00"))
	if len(occ) != 1 {
		t.Fatalf("occurrences %v", keys(occ))
	}
	text, err := aud.Reminder(context.Background(), occ[0], at("2026-12-07", "09:00"))
	if err != nil || len(text) != 2 || !strings.Contains(text[0].Text, "盐湖区 2026年12月：已填报 0/2 家") {
		t.Errorf("text fallback %+v, %v", text, err)
	}
	if missed, err := aud.Missed(context.Background(), occ[0], at("2026-12-08", "09:00")); err != nil || len(missed) != 0 {
		t.Errorf("a missed picture is reported: %+v, %v", missed, err)
	}
}
