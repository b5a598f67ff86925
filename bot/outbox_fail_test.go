package bot_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"innobot/bot"
	"innobot/bot/bottest"
	"innobot/storage"
	"innobot/storage/bolt"
)

// openBolt opens a bolt store in a test's temporary dir, closed at the end of the test.
func openBolt(t *testing.T) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "innobot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// TestOutboxUnreachableIsFinal: 600 messages to someone who deleted the bot are each tried
// once and given up with the reason, and a live reminder queued after them still goes out in
// the same drain; a second drain tries none of them again.
func TestOutboxUnreachableIsFinal(t *testing.T) {
	ctx := t.Context()
	st := openBolt(t)
	now := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	var msgs []storage.OutboxMessage
	for i := range 600 {
		msgs = append(msgs, storage.OutboxMessage{ID: fmt.Sprintf("gone-%03d", i), To: "c-gone", Text: "提醒", Source: "reminder", QueuedAt: now})
	}
	msgs = append(msgs, storage.OutboxMessage{ID: "live", To: "c-here", Text: "今天截止", Source: "reminder", QueuedAt: now})
	if err := st.Enqueue(ctx, msgs); err != nil {
		t.Fatal(err)
	}
	tries := 0
	tr := &obTransport{fail: func(out bot.Outgoing) error {
		if out.To == "c-gone" {
			tries++
			return fmt.Errorf("wechat: not in this login: %w", bot.ErrUnreachable)
		}
		return nil
	}}
	o := &bot.Outbox{Store: st, Transport: tr, Clock: bottest.NewClock(now), Log: quiet}
	if n, err := o.Flush(ctx); err != nil || n != 1 {
		t.Fatalf("Flush = %d, %v; want the live reminder sent", n, err)
	}
	if got := tr.texts(); len(got) != 1 || got[0] != "今天截止" {
		t.Errorf("sent %q, want the live reminder", got)
	}
	failed, err := st.Failed(ctx, time.Time{})
	if err != nil || len(failed) != 600 || tries != 600 || o.Failures() != 600 {
		t.Fatalf("given up %d (%v) after %d tries, Failures %d; want 600 each tried once", len(failed), err, tries, o.Failures())
	}
	if f := failed[0]; !strings.Contains(f.Error, "unreachable") && !strings.Contains(f.Error, "cannot be reached") || f.FailedAt.IsZero() {
		t.Errorf("a message given up = %+v, want the reason and the time", f)
	}
	if n, _ := o.Flush(ctx); n != 0 || tries != 600 {
		t.Errorf("a second drain sent %d and tried the unreachable %d times", n, tries)
	}
	if p, _ := st.Pending(ctx, "", 10); len(p) != 0 {
		t.Errorf("still pending: %+v", p)
	}
}

// TestOutboxMaxAge: a message that could not go out for longer than MaxAge is given up when it
// comes up or fails again, instead of being tried for ever.
func TestOutboxMaxAge(t *testing.T) {
	ctx := t.Context()
	st := openBolt(t)
	now := time.Date(2026, 12, 5, 9, 0, 0, 0, time.UTC)
	if err := st.Enqueue(ctx, []storage.OutboxMessage{
		{ID: "stale", To: "c-1", Text: "三天前的提醒", QueuedAt: now.Add(-73 * time.Hour)},
		{ID: "fresh", To: "c-1", Text: "今天的提醒", QueuedAt: now.Add(-time.Hour)},
	}); err != nil {
		t.Fatal(err)
	}
	clock := bottest.NewClock(now)
	tr := &obTransport{}
	o := &bot.Outbox{Store: st, Transport: tr, Clock: clock, Log: quiet}
	if _, err := o.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	if got := tr.texts(); len(got) != 1 || got[0] != "今天的提醒" {
		t.Errorf("sent %q, want only the fresh one", got)
	}
	failed, _ := st.Failed(ctx, time.Time{})
	if len(failed) != 1 || failed[0].ID != "stale" || !strings.Contains(failed[0].Error, "72h") {
		t.Errorf("given up %+v, want the stale one with its reason", failed)
	}
}

// TestOutboxPauseHoldsEverything: when the transport says the platform wants a pause, no
// message goes before it ends, queued ones and direct replies alike; then all go.
func TestOutboxPauseHoldsEverything(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &obStore{}
		queue(t, st, "", 5)
		clock := bot.ClockFunc(time.Now)
		start := time.Now()
		until := start.Add(4 * time.Minute)
		first := true
		tr := &obTransport{clock: clock, fail: func(bot.Outgoing) error {
			if first {
				first = false
				return &bot.Paused{Until: until, Err: fmt.Errorf("ret 1205")}
			}
			return nil
		}}
		o := &bot.Outbox{Store: st, Transport: tr, Clock: clock, Pace: bot.Pace{PerMinute: 60}, Log: quiet}
		if _, err := o.Flush(context.Background()); err != nil {
			t.Fatal(err)
		}
		if err := o.Sender().Send(context.Background(), bot.Outgoing{To: "x", Text: "reply"}); err != nil {
			t.Fatal(err)
		}
		times := tr.times()
		if len(times) != 6 {
			t.Fatalf("%d sends, want the 5 queued and the reply", len(times))
		}
		for i, at := range times {
			if at.Before(until) {
				t.Errorf("send %d at +%v, during the pause that ended at +%v", i, at.Sub(start), until.Sub(start))
			}
		}
		if m := st.get("m00000"); m.Attempts != 1 || !m.SentAt.After(until.Add(-time.Second)) {
			t.Errorf("the message that met the pause = %+v, want one failed attempt, then sent after the pause", m)
		}
	})
}

// TestOutboxHourlyCap: with a cap of 10 an hour, 25 messages at a fast pace never make more
// than 10 sends in any hour; a restarted outbox counts the sends of the hour before it.
func TestOutboxHourlyCap(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &obStore{}
		queue(t, st, "", 25)
		clock := bot.ClockFunc(time.Now)
		tr := &obTransport{clock: clock}
		o := &bot.Outbox{Store: st, Transport: tr, Clock: clock, Pace: bot.Pace{PerMinute: 60}, PerHour: 10, Log: quiet}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- o.Run(ctx) }()
		time.Sleep(30 * time.Minute)
		if n := len(tr.times()); n != 10 {
			t.Errorf("%d sends in the first half hour, want the cap of 10", n)
		}
		cancel()
		<-done

		// A new process half an hour later still sees the ten sends of the last hour.
		restarted := &bot.Outbox{Store: st, Transport: tr, Clock: clock, Pace: bot.Pace{PerMinute: 60}, PerHour: 10, Log: quiet}
		ctx, cancel = context.WithCancel(context.Background())
		go func() { done <- restarted.Run(ctx) }()
		time.Sleep(20 * time.Minute)
		if n := len(tr.times()); n != 10 {
			t.Errorf("%d sends after a restart within the hour, want still 10", n)
		}
		time.Sleep(3 * time.Hour)
		cancel()
		<-done
		times := tr.times()
		if len(times) != 25 {
			t.Fatalf("%d sends in the end, want 25", len(times))
		}
		for i := range times {
			j := i
			for j < len(times) && times[j].Sub(times[i]) < time.Hour {
				j++
			}
			if j-i > 10 {
				t.Fatalf("%d sends in the hour from send %d, want at most 10", j-i, i)
			}
		}
	})
}

// TestFailureReport: the city office is told once a day, at 9:00, who could not be reached
// the day before, each once; not before the hour, not twice, not again after a restart, and
// not at all on a day without failures.
func TestFailureReport(t *testing.T) {
	ctx := t.Context()
	st := openBolt(t)
	loc := time.FixedZone("CST", 8*3600)
	day := time.Date(2026, 12, 2, 0, 0, 0, 0, loc)
	if err := st.PutEnterprise(ctx, storage.Enterprise{ID: "E1", Name: "山西示范钢铁有限公司", Region: "盐湖区"}); err != nil {
		t.Fatal(err)
	}
	bind := func(hash string, inv storage.Invite, c storage.Contact) {
		t.Helper()
		inv.Hash, inv.CreatedAt, inv.ExpiresAt = hash, day.Add(-48*time.Hour), day.Add(240*time.Hour)
		if err := st.PutInvite(ctx, inv, nil, storage.Answer{}); err != nil {
			t.Fatal(err)
		}
		if _, err := st.Redeem(ctx, hash, c, day.Add(-24*time.Hour), nil); err != nil {
			t.Fatal(err)
		}
	}
	bind("h-city", storage.Invite{Role: storage.RoleCityOffice}, storage.Contact{ID: "c-city", Name: "市办李主任", Account: "bot-1"})
	bind("h-liaison", storage.Invite{Role: storage.RoleLiaison, EnterpriseID: "E1"}, storage.Contact{ID: "c-zhang", Name: "张三", Account: "bot-1"})
	if err := st.PutGroup(ctx, storage.Group{ID: "g-1", Name: "盐湖区帮扶群", Region: "盐湖区", Account: "bot-1"}, storage.Answer{}); err != nil {
		t.Fatal(err)
	}
	fail := func(id, to, group string, at time.Time) {
		t.Helper()
		if err := st.Enqueue(ctx, []storage.OutboxMessage{{ID: id, Account: "bot-1", To: to, Group: group, Text: "x", QueuedAt: at}}); err != nil {
			t.Fatal(err)
		}
		if err := st.MarkFailed(ctx, id, at, "recipient cannot be reached"); err != nil {
			t.Fatal(err)
		}
	}
	fail("f1", "c-zhang", "", day.Add(-10*time.Hour))   // yesterday 14:00
	fail("f2", "c-zhang", "", day.Add(-9*time.Hour))    // the same person again
	fail("f3", "", "g-1", day.Add(2*time.Hour))         // 02:00
	fail("f4", "c-stranger", "", day.Add(3*time.Hour))  // someone never bound
	fail("f5", "c-zhang", "", day.Add(10*time.Hour))    // after the report: tomorrow's
	fail("old", "c-zhang", "", day.Add(-40*time.Hour))  // the day before yesterday's
	fail("other", "c-zhang", "", day.Add(-5*time.Hour)) // another account's message
	st.Enqueue(ctx, []storage.OutboxMessage{{ID: "o", Account: "bot-2", To: "c-x", Text: "x", QueuedAt: day}})
	if err := st.MarkFailed(ctx, "o", day.Add(time.Hour), "x"); err != nil {
		t.Fatal(err)
	}

	r := &bot.FailureReport{Store: st, Account: "bot-1", Location: loc}
	if q, err := r.Tick(ctx, day.Add(8*time.Hour+59*time.Minute)); q || err != nil {
		t.Fatalf("Tick before 9:00 = %v, %v; want nothing", q, err)
	}
	if q, err := r.Tick(ctx, day.Add(9*time.Hour+5*time.Minute)); !q || err != nil {
		t.Fatalf("Tick at 9:05 = %v, %v; want the report queued", q, err)
	}
	pending, err := st.Pending(ctx, "bot-1", 10)
	if err != nil || len(pending) != 1 || pending[0].To != "c-city" {
		t.Fatalf("pending %+v (%v), want one report to the city office", pending, err)
	}
	text := pending[0].Text
	for _, want := range []string{"5 条消息", "张三（企业科技创新联络人）", "盐湖区帮扶群", "一位未绑定的联系人", "重新添加机器人为好友", "绑定 邀请码"} {
		if !strings.Contains(text, want) {
			t.Errorf("report lacks %q:\n%s", want, text)
		}
	}
	if strings.Count(text, "张三") != 1 {
		t.Errorf("张三 listed more than once:\n%s", text)
	}
	if q, _ := r.Tick(ctx, day.Add(10*time.Hour)); q {
		t.Error("a second report the same day")
	}
	restarted := &bot.FailureReport{Store: st, Account: "bot-1", Location: loc}
	if q, _ := restarted.Tick(ctx, day.Add(11*time.Hour)); q {
		t.Error("the report went out again after a restart")
	}
	// The next day has f5 only; the day after, nothing failed.
	if q, _ := r.Tick(ctx, day.Add(33*time.Hour)); !q {
		t.Error("no report the next day")
	}
	if q, _ := r.Tick(ctx, day.Add(57*time.Hour)); q {
		t.Error("a report on a day without failures")
	}
}
