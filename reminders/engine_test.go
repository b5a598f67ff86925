package reminders_test

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"innobot/bot"
	"innobot/config"
	"innobot/reminders"
	"innobot/storage"
	"innobot/survey"
)

// fixture fills s with two regions: in 盐湖区 甲 (liaison 张三, a draft under way) lags and 乙
// (李四) has submitted; in 永济市 丙 has no liaison and 丁 (赵六) submitted an earlier period.
// Each region has a helper group and 盐湖区 a county office contact; 钱七 is the city office.
func fixture(s *memStore) {
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, shanghai)
	for _, e := range []storage.Enterprise{
		{ID: "e1", Name: "甲钢铁有限公司", Region: "盐湖区", Helper: "王建国", HelperTel: "13800000001", LiaisonID: "c1"},
		{ID: "e2", Name: "乙电机有限公司", Region: "盐湖区", Helper: "李红", HelperTel: "13800000002", LiaisonID: "c2"},
		{ID: "e3", Name: "丙铝业有限公司", Region: "永济市", Helper: "赵磊", HelperTel: "13800000003"},
		{ID: "e4", Name: "丁食品有限公司", Region: "永济市", Helper: "陈静", HelperTel: "13800000004", LiaisonID: "c4"},
	} {
		s.ents[e.ID] = e
	}
	for _, c := range []storage.Contact{
		{ID: "c1", Name: "张三", Role: storage.RoleLiaison, EnterpriseID: "e1", Account: "bot1"},
		{ID: "c2", Name: "李四", Role: storage.RoleLiaison, EnterpriseID: "e2", Account: "bot1"},
		{ID: "c4", Name: "赵六", Role: storage.RoleLiaison, EnterpriseID: "e4", Account: "bot2"},
		{ID: "c9", Name: "旧联络人", Role: storage.RoleNone, EnterpriseID: "", Account: "bot1"},
		{ID: "k1", Name: "孙县", Role: storage.RoleCounty, Region: "盐湖区", Account: "bot1"},
		{ID: "m1", Name: "钱七", Role: storage.RoleCityOffice, Account: "bot1"},
	} {
		s.contacts[c.ID] = c
	}
	s.groups["g1"] = storage.Group{ID: "g1", Name: "盐湖区帮扶群", Region: "盐湖区", Account: "bot1"}
	s.groups["g2"] = storage.Group{ID: "g2", Name: "永济市帮扶群", Region: "永济市", Account: "bot2"}
	s.heads["e2"] = []storage.Head{{EnterpriseID: "e2", Period: "2026-11", Version: 1, SubmittedAt: at}}
	s.heads["e4"] = []storage.Head{{EnterpriseID: "e4", Period: "2026-10", Version: 1, SubmittedAt: at}}
	s.drafts[[2]string{"e1", "2026-12"}] = storage.Draft{EnterpriseID: "e1", Period: "2026-12",
		Answers: survey.Answers{"industry": {Text: "钢铁"}, "ownership": {Choice: 5}}}
	s.sessions["c1"] = storage.Session{ContactID: "c1", State: "filling", EnterpriseID: "e1", Period: "2026-12", Cursor: "has_institutions"}
}

func newEngine(t testing.TB, s *memStore, log *slog.Logger) *reminders.Engine {
	t.Helper()
	cfg := config.Default()
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &reminders.Engine{
		Schedule: defaultSchedule(t),
		Audience: &reminders.Audiences{Store: s, Form: survey.Default(), Location: shanghai, Regions: cfg.Regions},
		Outbox:   s,
		Log:      log,
	}
}

func at(day string, hm string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", day+" "+hm, shanghai)
	if err != nil {
		panic(err)
	}
	return t
}

func keys(os []reminders.Occurrence) []string {
	var out []string
	for _, o := range os {
		out = append(out, o.Key)
	}
	return out
}

func byID(msgs []storage.OutboxMessage) map[string]storage.OutboxMessage {
	out := map[string]storage.OutboxMessage{}
	for _, m := range msgs {
		out[reminders.KindOf(m)+"/"+m.To+m.Group] = m
	}
	return out
}

// TestReminderTexts checks who gets the monthly reminder of 1 December and what they read.
func TestReminderTexts(t *testing.T) {
	s := newMemStore()
	fixture(s)
	e := newEngine(t, s, nil)
	res, err := e.Tick(context.Background(), at("2026-12-01", "09:00"))
	if err != nil {
		t.Fatal(err)
	}
	if got := keys(res.Fired); !slices.Equal(got, []string{"monthly:2026-12-05:3d"}) {
		t.Fatalf("fired %v", got)
	}
	msgs := byID(s.all())
	var ids []string
	for id := range msgs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	// 乙 submitted, 丙 has no liaison; the monthly deadline does not go to the city office.
	want := []string{"county/k1", "group/g1", "group/g2", "liaison/c1", "liaison/c4"}
	if !slices.Equal(ids, want) {
		t.Fatalf("messages to %v, want %v", ids, want)
	}
	if res.Queued != len(want) {
		t.Errorf("Queued = %d", res.Queued)
	}
	checks := map[string][]string{
		"liaison/c1": {"月度进展及台账报送（2026年11月）截止 12月4日（周五）（原定 12月5日，遇休息日提前），还有 3 天",
			"【甲钢铁有限公司】2026年11月", "已答 2/", "回复“填报”继续，从第 3 题接着填"},
		"liaison/c4": {"【丁食品有限公司】", "“无变化”"},
		"group/g1":   {"盐湖区 2 家企业中", "已提交 1 家，未提交 1 家", "1. 甲钢铁有限公司（帮扶人 王建国）", "发送“填报”"},
		"group/g2":   {"永济市 2 家企业中", "丙铝业有限公司（帮扶人 赵磊，未绑定联络人）", "丁食品有限公司（帮扶人 陈静）"},
		"county/k1":  {"盐湖区 2026年11月：企业 2 家，已提交 1 家，未提交 1 家"},
	}
	for id, wants := range checks {
		m := msgs[id]
		for _, w := range wants {
			if !strings.Contains(m.Text, w) {
				t.Errorf("%s lacks %q:\n%s", id, w, m.Text)
			}
		}
		if strings.Contains(m.Text, "138000") {
			t.Errorf("%s shows a phone number:\n%s", id, m.Text)
		}
		if m.Source != "reminder:monthly:2026-12-05:3d" || !m.QueuedAt.Equal(at("2026-12-01", "09:00")) {
			t.Errorf("%s: source %q queued %v", id, m.Source, m.QueuedAt)
		}
	}
	if a := msgs["liaison/c4"].Account; a != "bot2" {
		t.Errorf("赵六's nudge goes out through %q, want the account he talks to (bot2)", a)
	}
	if a := msgs["group/g2"].Account; a != "bot2" {
		t.Errorf("group g2 message through %q, want bot2", a)
	}
	for id, m := range msgs {
		t.Logf("%s:\n%s", id, m.Text)
	}
}

func TestCityReminderAndNudge(t *testing.T) {
	s := newMemStore()
	fixture(s)
	e := newEngine(t, s, nil)
	ctx := context.Background()
	res, err := e.Tick(ctx, at("2027-01-15", "09:00"))
	if err != nil || !slices.Equal(keys(res.Fired), []string{"city_summary:2027-01-20:3d"}) {
		t.Fatalf("Tick = %v, %v", keys(res.Fired), err)
	}
	msgs := s.all()
	if len(msgs) != 1 || msgs[0].To != "m1" {
		t.Fatalf("messages %+v, want one to the city office", msgs)
	}
	// Period 2026-12: nobody has submitted it.
	for _, w := range []string{"【提醒】全市汇总上报截止 1月20日（周三），还有 5 天。请按时报送。", "企业 4 家，已提交 0 家，未提交 4 家", "未提交：盐湖区 2、永济市 2"} {
		if !strings.Contains(msgs[0].Text, w) {
			t.Errorf("city text lacks %q:\n%s", w, msgs[0].Text)
		}
	}

	// A nudge is about the month being reported (2026-11), as 未填报 shows it: 乙 has filed it.
	// The command that asked stores the nudges with its reply, as here.
	nudge := func(scope reminders.Scope, now time.Time) (reminders.NudgeResult, error) {
		n, err := e.Nudge(ctx, scope, now)
		if err == nil {
			err = s.Enqueue(ctx, n.Messages)
		}
		return n, err
	}
	n, err := nudge(reminders.Scope{Region: "盐湖区"}, at("2026-11-20", "15:00"))
	if err != nil || n.Sent != 1 || n.Already != 0 || len(n.Unbound) != 0 {
		t.Fatalf("Nudge 盐湖区 = %+v, %v; want 1 sent (甲)", n, err)
	}
	// The city: 甲 was nudged a minute ago, 丁 now; 丙 has nobody to nudge.
	n, err = nudge(reminders.Scope{}, at("2026-11-20", "15:01"))
	if err != nil || n.Sent != 1 || n.Already != 1 || len(n.Unbound) != 1 || n.Unbound[0].Name != "丙铝业有限公司" {
		t.Fatalf("Nudge city = %+v, %v; want 丁 sent, 甲 already, 丙 unbound", n, err)
	}
	// Sent or not, a liaison nudged today is not nudged again today; tomorrow they are.
	for _, m := range s.all() {
		if m.To == "c1" {
			if err := s.MarkSent(ctx, m.ID, at("2026-11-20", "15:02"), ""); err != nil {
				t.Fatal(err)
			}
		}
	}
	if n, err := nudge(reminders.Scope{}, at("2026-11-20", "23:59")); err != nil || n.Sent != 0 || n.Already != 2 {
		t.Fatalf("third nudge the same day = %+v, %v; want nothing sent, 2 already", n, err)
	}
	if n, err := nudge(reminders.Scope{}, at("2026-11-21", "08:00")); err != nil || n.Sent != 2 {
		t.Fatalf("the next day = %+v, %v; want 2 sent", n, err)
	}
	var nudges []string
	for _, m := range s.all() {
		if strings.HasPrefix(m.ID, "nudge:") {
			nudges = append(nudges, m.ID)
		}
	}
	want := []string{"nudge:2026-11-20/liaison/c1", "nudge:2026-11-20/liaison/c4", "nudge:2026-11-21/liaison/c1", "nudge:2026-11-21/liaison/c4"}
	if slices.Sort(nudges); !slices.Equal(nudges, want) {
		t.Errorf("nudges queued %v, want %v", nudges, want)
	}
}

// TestNudgeAndReminderOneADay: a liaison hears from the bot once a day, whether the day's
// message is the schedule's reminder or an office's 提醒 未填报, whichever comes first; the
// groups and offices get their reminders all the same.
func TestNudgeAndReminderOneADay(t *testing.T) {
	s := newMemStore()
	fixture(s)
	e := newEngine(t, s, nil)
	ctx := context.Background()
	nudge := func(now time.Time) reminders.NudgeResult {
		t.Helper()
		n, err := e.Nudge(ctx, reminders.Scope{}, now)
		if err == nil {
			err = s.Enqueue(ctx, n.Messages)
		}
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	toLiaisons := func() map[string]int {
		out := map[string]int{}
		for _, m := range s.all() {
			if reminders.KindOf(m) == reminders.KindLiaison {
				out[m.To+" "+m.QueuedAt.Format("01-02")]++
			}
		}
		return out
	}

	// 1 December: the 09:00 reminder reaches 甲 (c1) and 丁 (c4); a nudge at 10:00 adds nothing.
	if _, err := e.Tick(ctx, at("2026-12-01", "09:00")); err != nil {
		t.Fatal(err)
	}
	if n := nudge(at("2026-12-01", "10:00")); n.Sent != 0 || n.Already != 2 {
		t.Errorf("nudge after the day's reminder = sent %d, already %d; want 0 and 2", n.Sent, n.Already)
	}
	// 3 December: an office nudges at 08:30, before the 09:00 reminder, which then leaves the
	// liaisons out and still goes to the groups and the county office.
	if n := nudge(at("2026-12-03", "08:30")); n.Sent != 2 {
		t.Errorf("nudge of 3 December = sent %d; want 2", n.Sent)
	}
	res, err := e.Tick(ctx, at("2026-12-03", "09:00"))
	if err != nil || !slices.Equal(keys(res.Fired), []string{"monthly:2026-12-05:1d"}) {
		t.Fatalf("3 December tick fired %v, %v", keys(res.Fired), err)
	}
	want := map[string]int{"c1 12-01": 1, "c4 12-01": 1, "c1 12-03": 1, "c4 12-03": 1}
	if got := toLiaisons(); !maps.Equal(got, want) {
		t.Errorf("messages to liaisons by day %v, want one each a day: %v", got, want)
	}
	var others []string
	for _, m := range s.all() {
		if m.QueuedAt.Equal(at("2026-12-03", "09:00")) {
			others = append(others, reminders.KindOf(m)+"/"+m.To+m.Group)
		}
	}
	slices.Sort(others)
	if wantOthers := []string{"county/k1", "group/g1", "group/g2"}; !slices.Equal(others, wantOthers) {
		t.Errorf("the 3 December reminder went to %v, want %v", others, wantOthers)
	}
}

// TestRestartAcrossReminderTime: the process stops just before 09:00 and comes back after
// it; the catch-up tick sends the reminder, and every later tick, in this process or the
// next, sends nothing more.
func TestRestartAcrossReminderTime(t *testing.T) {
	s := newMemStore()
	fixture(s)
	ctx := context.Background()
	first := newEngine(t, s, nil)
	if res, _ := first.Tick(ctx, at("2026-12-01", "08:59")); len(res.Fired) != 0 {
		t.Fatalf("fired early: %v", keys(res.Fired))
	}
	// down from 08:59 to 09:40
	second := newEngine(t, s, nil)
	res, err := second.Tick(ctx, at("2026-12-01", "09:40"))
	if err != nil || !slices.Equal(keys(res.Fired), []string{"monthly:2026-12-05:3d"}) {
		t.Fatalf("catch-up fired %v, %v", keys(res.Fired), err)
	}
	sent := len(s.all())
	for _, now := range []string{"09:41", "12:00", "20:59"} {
		third := newEngine(t, s, nil) // a restart each time
		if res, _ := third.Tick(ctx, at("2026-12-01", now)); len(res.Fired)+len(res.Missed) != 0 {
			t.Errorf("restart at %s fired again: %v %v", now, keys(res.Fired), keys(res.Missed))
		}
		if res, _ := second.Tick(ctx, at("2026-12-01", now)); len(res.Fired)+len(res.Missed) != 0 {
			t.Errorf("tick at %s fired again", now)
		}
	}
	if n := len(s.all()); n != sent {
		t.Errorf("%d messages queued after the catch-up, want %d", n, sent)
	}
}

// TestDownPastGrace: back 13 hours after the reminder time, the reminder is not sent; the
// city office gets a report and the log says so. The next reminder goes out as usual.
func TestDownPastGrace(t *testing.T) {
	s := newMemStore()
	fixture(s)
	var logs bytes.Buffer
	ctx := context.Background()
	ranBefore(t, newEngine(t, s, nil))
	e := newEngine(t, s, slog.New(slog.NewTextHandler(&logs, nil)))
	res, err := e.Tick(ctx, at("2026-12-01", "22:00"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Fired) != 0 || !slices.Equal(keys(res.Missed), []string{"monthly:2026-12-05:3d"}) {
		t.Fatalf("fired %v missed %v", keys(res.Fired), keys(res.Missed))
	}
	msgs := s.all()
	if len(msgs) != 1 || msgs[0].To != "m1" || reminders.KindOf(msgs[0]) != reminders.KindMissed {
		t.Fatalf("queued %+v, want only the report to the city office", msgs)
	}
	for _, w := range []string{"【提醒未发送】", "月度进展及台账报送", "12月1日 09:00", "不再补发"} {
		if !strings.Contains(msgs[0].Text, w) {
			t.Errorf("report lacks %q: %s", w, msgs[0].Text)
		}
	}
	if !strings.Contains(logs.String(), "reminder missed") || !strings.Contains(logs.String(), "monthly:2026-12-05:3d") {
		t.Errorf("log does not mention the missed reminder:\n%s", logs.String())
	}
	// The 1-day reminder, at 09:00 on the 3rd, is on time.
	res, _ = newEngine(t, s, nil).Tick(ctx, at("2026-12-03", "09:00"))
	if !slices.Equal(keys(res.Fired), []string{"monthly:2026-12-05:1d"}) || len(res.Missed) != 0 {
		t.Errorf("3 Dec: fired %v missed %v", keys(res.Fired), keys(res.Missed))
	}
	// Just inside the grace window still sends.
	s2 := newMemStore()
	fixture(s2)
	ranBefore(t, newEngine(t, s2, nil))
	res, _ = newEngine(t, s2, nil).Tick(ctx, at("2026-12-01", "20:59"))
	if !slices.Equal(keys(res.Fired), []string{"monthly:2026-12-05:3d"}) {
		t.Errorf("11h59m late: fired %v missed %v", keys(res.Fired), keys(res.Missed))
	}
}

// ranBefore ticks an engine on 28 November, before the fixtures' first reminder: the bot ran
// before the downtime a test stages, so what it misses is reported.
func ranBefore(t testing.TB, e *reminders.Engine) {
	t.Helper()
	if _, err := e.Tick(context.Background(), at("2026-11-28", "10:00")); err != nil {
		t.Fatal(err)
	}
}

// TestFirstStartReportsNothing: a bot started for the first time after a reminder's grace
// window tells nobody that reminder was missed: no downtime missed it.
func TestFirstStartReportsNothing(t *testing.T) {
	s := newMemStore()
	fixture(s)
	var logs bytes.Buffer
	res, err := newEngine(t, s, slog.New(slog.NewTextHandler(&logs, nil))).Tick(context.Background(), at("2026-12-01", "22:00"))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Fired)+len(res.Missed) != 0 || len(s.all()) != 0 {
		t.Errorf("first start: fired %v missed %v, queued %d", keys(res.Fired), keys(res.Missed), len(s.all()))
	}
	if strings.Contains(logs.String(), "reminder missed") {
		t.Errorf("first start logs a missed reminder:\n%s", logs.String())
	}
	// The next reminder, on the 3rd, goes out as usual.
	res, _ = newEngine(t, s, nil).Tick(context.Background(), at("2026-12-03", "09:00"))
	if !slices.Equal(keys(res.Fired), []string{"monthly:2026-12-05:1d"}) {
		t.Errorf("3 Dec: fired %v", keys(res.Fired))
	}
}

// TestTwoEnginesOneStore: two engines on one store, ticking the same minutes concurrently,
// claim each reminder once between them: the messages queued are those of one engine alone.
func TestTwoEnginesOneStore(t *testing.T) {
	ctx := context.Background()
	alone := newMemStore()
	fixture(alone)
	solo := newEngine(t, alone, nil)
	shared := newMemStore()
	fixture(shared)
	a, b := newEngine(t, shared, nil), newEngine(t, shared, nil)
	var mu sync.Mutex
	fired := map[string]int{}
	start := at("2026-11-28", "00:00")
	for m := 0; m < 60*24*40; m += 30 {
		now := start.Add(time.Duration(m) * time.Minute)
		solo.Tick(ctx, now)
		var wg sync.WaitGroup
		for _, e := range []*reminders.Engine{a, b} {
			wg.Go(func() {
				res, err := e.Tick(ctx, now)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				for _, o := range append(res.Fired, res.Missed...) {
					fired[o.Key]++
				}
				mu.Unlock()
			})
		}
		wg.Wait()
	}
	for k, n := range fired {
		if n != 1 {
			t.Errorf("%s claimed %d times", k, n)
		}
	}
	if len(fired) != 9 {
		t.Errorf("%d reminders between 28 Nov and 7 Jan, want 9: %v", len(fired), fired)
	}
	got, want := shared.all(), alone.all()
	if len(got) != len(want) {
		t.Errorf("two engines queued %d messages, one alone %d", len(got), len(want))
	}
}

// TestCrashBetweenClaimAndSend: a claim that fails (the process dies in the write) leaves
// nothing, and the next tick claims it; a crash after the claim and before any send loses
// nothing, since the messages are in the outbox; a crash between a send and its record
// repeats that one message only.
func TestCrashBetweenClaimAndSend(t *testing.T) {
	ctx := context.Background()
	s := newMemStore()
	fixture(s)
	s.failClaim = func(string) error { return errCrash }
	if res, err := newEngine(t, s, nil).Tick(ctx, at("2026-12-01", "09:00")); err == nil || len(res.Fired) != 0 {
		t.Fatalf("a failed claim fired: %v, %v", keys(res.Fired), err)
	}
	if n := len(s.all()); n != 0 {
		t.Fatalf("a failed claim queued %d messages", n)
	}
	s.failClaim = nil
	// Restart: claimed and queued, then the process dies before the outbox sends anything.
	if res, _ := newEngine(t, s, nil).Tick(ctx, at("2026-12-01", "09:01")); len(res.Fired) != 1 {
		t.Fatalf("restart did not fire: %v", keys(res.Fired))
	}
	queued := s.all()

	// Restart: the outbox sends for account bot1; the record of the second send is lost in
	// a crash.
	clock := bot.ClockFunc(func() time.Time { return at("2026-12-01", "09:02") })
	tr := &countingTransport{}
	crashCtx, crash := context.WithCancel(ctx)
	lossy := &lossyOutbox{Outbox: s, lose: 2, crash: crash}
	(&bot.Outbox{Store: lossy, Transport: tr, Account: "bot1", Clock: clock, Log: slog.New(slog.DiscardHandler)}).Flush(crashCtx)
	// Restart: a new outbox for each account drains what is left.
	for _, acct := range []string{"bot1", "bot2"} {
		o := &bot.Outbox{Store: s, Transport: tr, Account: acct, Clock: clock, Log: slog.New(slog.DiscardHandler)}
		if _, err := o.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	checkOneRepeat(t, queued, tr)
	if p := pendingAll(t, s); len(p) != 0 {
		t.Errorf("%d messages still pending", len(p))
	}
}

// checkOneRepeat checks that after a crash that lost one send's record every queued
// message went out, and exactly one of them twice.
func checkOneRepeat(t *testing.T, queued []storage.OutboxMessage, tr *countingTransport) {
	t.Helper()
	repeats := 0
	for _, m := range queued {
		switch n := tr.count(m.Text, m.To+m.Group); {
		case n == 0:
			t.Errorf("message %s lost", m.ID)
		case n == 2:
			repeats++
		case n > 2:
			t.Errorf("message %s sent %d times", m.ID, n)
		}
	}
	if repeats != 1 {
		t.Errorf("%d messages repeated, want exactly the one whose record was lost", repeats)
	}
}

// lossyOutbox loses the record of the n-th send and then "crashes" (cancels the drain); it
// wraps the in-memory store and bolt alike.
type lossyOutbox struct {
	storage.Outbox
	lose, n int
	crash   func()
}

func (l *lossyOutbox) MarkSent(ctx context.Context, id string, at time.Time, sendErr string) error {
	l.n++
	if l.n == l.lose {
		l.crash()
		return errCrash
	}
	return l.Outbox.MarkSent(ctx, id, at, sendErr)
}

type countingTransport struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *countingTransport) Send(_ context.Context, out bot.Outgoing) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.n == nil {
		c.n = map[string]int{}
	}
	c.n[out.To+out.Group+"\x00"+out.Text]++
	return nil
}

func (c *countingTransport) count(text, to string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.n[to+"\x00"+text]
}

// TestAdvance: the simulator's clock jump from 25 November to 2 December runs the 1
// December reminder as a running bot would have, not as missed.
func TestAdvance(t *testing.T) {
	s := newMemStore()
	fixture(s)
	e := newEngine(t, s, nil)
	res, err := e.Advance(context.Background(), at("2026-11-25", "10:00"), at("2026-12-02", "09:00"), nil)
	if err != nil || !slices.Equal(keys(res.Fired), []string{"monthly:2026-12-05:3d"}) || len(res.Missed) != 0 {
		t.Fatalf("Advance: fired %v missed %v, %v", keys(res.Fired), keys(res.Missed), err)
	}
	res, _ = e.Advance(context.Background(), at("2026-12-02", "09:00"), at("2026-12-02", "09:00"), nil)
	if len(res.Fired)+len(res.Missed) != 0 {
		t.Errorf("same clock again fired %v %v", keys(res.Fired), keys(res.Missed))
	}
}

// TestCronLoopYear runs Engine.Run for a simulated year in a synctest bubble: cron/v3's own
// goroutine and timers run on the bubble's fake clock, so a year of minute ticks takes
// seconds. Every reminder of 2026 must be claimed once, within the minute after its time,
// and none reported missed.
func TestCronLoopYear(t *testing.T) {
	if testing.Short() {
		t.Skip("a year of minute ticks")
	}
	synctest.Test(t, func(t *testing.T) {
		// The bubble's clock starts at 2000-01-01 00:00 UTC; the engine's clock reads a year
		// from Christmas 2025, before the first reminder for 5 January (31 December 09:00).
		base := time.Date(2025, 12, 25, 0, 0, 0, 0, shanghai)
		offset := base.Sub(time.Now())
		now := func() time.Time { return time.Now().Add(offset).In(shanghai) }
		s := newMemStore()
		fixture(s)
		e := newEngine(t, s, nil)
		e.Now = now
		var mu sync.Mutex
		claimedAt := map[string]time.Time{}
		inner := s.failClaim
		s.failClaim = func(key string) error {
			mu.Lock()
			if _, ok := claimedAt[key]; !ok {
				claimedAt[key] = now()
			}
			mu.Unlock()
			if inner != nil {
				return inner(key)
			}
			return nil
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- e.Run(ctx) }()
		time.Sleep(base.AddDate(1, 0, 0).Sub(base))
		cancel()
		if err := <-done; err != context.Canceled {
			t.Errorf("Run = %v", err)
		}
		want := defaultSchedule(t).Occurrences(base, base.AddDate(1, 0, 0))
		claims := s.claimed()
		// The first tick marks the store as having run; the rest are reminders.
		if _, ok := claims["engine:first-start"]; !ok {
			t.Error("the first tick left no mark")
		}
		delete(claims, "engine:first-start")
		for _, o := range want {
			got, ok := claimedAt[o.Key]
			switch {
			case !ok:
				t.Errorf("%s never claimed", o.Key)
			case got.Before(o.At) || got.Sub(o.At) >= time.Minute:
				t.Errorf("%s claimed at %v, due %v", o.Key, got, o.At)
			}
			if _, ok := claims[o.Key]; !ok {
				t.Errorf("%s not in the store's claims", o.Key)
			}
		}
		if len(want) < 45 {
			t.Errorf("only %d reminders in a year", len(want))
		}
		if len(claims) != len(want) {
			t.Errorf("%d claims, want %d", len(claims), len(want))
		}
		for _, m := range s.all() {
			if reminders.KindOf(m) == reminders.KindMissed {
				t.Errorf("reported missed: %s", m.ID)
			}
		}
		t.Logf("simulated %v: %d reminders claimed on time, %d messages queued", base.AddDate(1, 0, 0).Sub(base), len(claims), len(s.all()))
	})
}

// BenchmarkNudge10000 queues the monthly reminder for 10,000 lagging liaisons, each with a
// draft to describe, and reports the time per reminder; the bar is under a second.
func BenchmarkNudge10000(b *testing.B) {
	s := newMemStore()
	for i := range 10000 {
		id := fmt.Sprintf("e%05d", i)
		c := fmt.Sprintf("c%05d", i)
		s.ents[id] = storage.Enterprise{ID: id, Name: "企业" + id, Region: config.Default().Regions[i%14], Helper: "帮扶人", LiaisonID: c}
		s.contacts[c] = storage.Contact{ID: c, Role: storage.RoleLiaison, EnterpriseID: id}
		if i%3 == 0 {
			s.drafts[[2]string{id, "2026-12"}] = storage.Draft{EnterpriseID: id, Period: "2026-12", Answers: survey.Answers{"industry": {Text: "钢铁"}}}
		}
	}
	e := newEngine(b, s, nil)
	ctx := context.Background()
	var n int
	for i := 0; b.Loop(); i++ {
		s.claims = map[string]time.Time{}
		s.msgs = map[string]*storage.OutboxMessage{}
		s.order = nil
		e = newEngine(b, s, nil)
		start := time.Now()
		res, err := e.Tick(ctx, at("2026-12-01", "09:00"))
		if err != nil || len(res.Fired) != 1 {
			b.Fatal(res, err)
		}
		n = res.Queued
		if d := time.Since(start); d > time.Second {
			b.Errorf("10,000 nudges took %v", d)
		}
	}
	b.ReportMetric(float64(n), "msgs")
}

// TestGroupThanksOnce: a group whose region has nothing left to chase is not reminded at the
// 3-day and 1-day marks, and is thanked once on the day.
func TestGroupThanksOnce(t *testing.T) {
	s := newMemStore()
	fixture(s)
	s.heads["e1"] = []storage.Head{{EnterpriseID: "e1", Period: "2026-11", Version: 1, SubmittedAt: at("2026-11-20", "10:00")}}
	e := newEngine(t, s, nil)
	ctx := context.Background()
	thanks := 0
	for _, day := range []string{"2026-12-01", "2026-12-03", "2026-12-04"} {
		if _, err := e.Tick(ctx, at(day, "09:00")); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range s.all() {
		if m.Group == "g1" {
			thanks++
			if !strings.Contains(m.Text, "已全部提交") || !strings.Contains(m.Text, "今天截止") {
				t.Errorf("盐湖区 group got %q, want only the thanks on the day", m.Text)
			}
		}
	}
	if thanks != 1 {
		t.Errorf("盐湖区 group got %d messages, want 1", thanks)
	}
}

// TestOneMessagePerRecipientPerDay: on 31 December, 4 and 5 January the monthly and the annual
// deadline fall due together; each liaison, group and office still gets one message a day,
// naming both deadlines, and the day's claims are all taken. With the annual reminder set an
// hour later, it goes out with the monthly one rather than as a second message.
func TestOneMessagePerRecipientPerDay(t *testing.T) {
	for _, later := range []bool{false, true} {
		s := newMemStore()
		fixture(s)
		e := newEngine(t, s, nil)
		if later {
			cfg := config.Default()
			cfg.Deadlines[2].At = "10:00" // annual
			sched, err := reminders.NewSchedule(cfg.Deadlines, reminders.NewCalendar(nil), shanghai)
			if err != nil {
				t.Fatal(err)
			}
			e.Schedule = sched
		}
		ctx := context.Background()
		for _, day := range []string{"2026-12-31", "2027-01-04", "2027-01-05"} {
			before := len(s.all())
			res, err := e.Advance(ctx, at(day, "08:00"), at(day, "18:00"), nil)
			if err != nil {
				t.Fatal(err)
			}
			if got := keys(res.Fired); len(got) != 2 || !slices.ContainsFunc(got, func(k string) bool { return strings.HasPrefix(k, "monthly:") }) ||
				!slices.ContainsFunc(got, func(k string) bool { return strings.HasPrefix(k, "annual:") }) {
				t.Fatalf("later=%v %s: fired %v, want the monthly and the annual reminder", later, day, got)
			}
			per := map[string]int{}
			for _, m := range s.all()[before:] {
				to := reminders.KindOf(m) + "/" + m.To + m.Group
				per[to]++
				if !strings.HasPrefix(m.ID, "reminder:"+day+"/") {
					t.Errorf("%s: message id %q, want it to name the day", day, m.ID)
				}
				switch reminders.KindOf(m) {
				case reminders.KindGroup, reminders.KindCounty:
					if !strings.Contains(m.Text, "月度进展及台账报送") || !strings.Contains(m.Text, "年度全覆盖进展报送") {
						t.Errorf("later=%v %s %s: one message should name both deadlines:\n%s", later, day, to, m.Text)
					}
					if strings.Count(m.Text, "未提交") > 1 {
						t.Errorf("%s %s: the lagging list twice:\n%s", day, to, m.Text)
					}
				}
			}
			for to, n := range per {
				if n != 1 {
					t.Errorf("later=%v %s: %d messages to %s", later, day, n, to)
				}
			}
			if per["liaison/c1"] != 1 || per["group/g1"] != 1 || per["county/k1"] != 1 {
				t.Errorf("later=%v %s: recipients %v", later, day, per)
			}
			// Ticking again that day, or after a restart, sends nothing.
			again := newEngine(t, s, nil)
			again.Schedule = e.Schedule
			if res, _ := again.Tick(ctx, at(day, "20:00")); len(res.Fired) != 0 {
				t.Errorf("%s: a restart fired %v again", day, keys(res.Fired))
			}
		}
	}
}
