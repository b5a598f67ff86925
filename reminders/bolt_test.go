package reminders_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"innobot/bot"
	"innobot/config"
	"innobot/reminders"
	"innobot/storage"
	"innobot/storage/bolt"
	"innobot/survey"
)

// The same scenarios on the real store, where a restart is a close and a reopen of the file.

var (
	_ reminders.Store = (*bolt.Store)(nil)
	_ storage.Outbox  = (*bolt.Store)(nil)
)

func openBolt(t testing.TB, path string) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// bind makes c the holder of a role through an invite, the only way the store binds.
func bind(t testing.TB, s *bolt.Store, c storage.Contact, inv storage.Invite) {
	t.Helper()
	ctx := context.Background()
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, shanghai)
	inv.Hash, inv.CreatedAt, inv.ExpiresAt, inv.CreatedBy = "h-"+c.ID, now, now.AddDate(0, 1, 0), "test"
	if err := s.PutInvite(ctx, inv, nil, storage.Answer{}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Redeem(ctx, inv.Hash, c, now, nil); err != nil {
		t.Fatal(err)
	}
}

// boltFixture writes the fixture of memStore into a bolt store.
func boltFixture(t testing.TB, s *bolt.Store) {
	t.Helper()
	m := newMemStore()
	fixture(m)
	ctx := context.Background()
	ents, _ := m.Enterprises(ctx)
	for i := range ents {
		ents[i].LiaisonID = ""
	}
	if err := s.PutEnterprises(ctx, ents); err != nil {
		t.Fatal(err)
	}
	contacts, _ := m.Contacts(ctx)
	for _, c := range contacts {
		switch c.Role {
		case storage.RoleLiaison:
			bind(t, s, storage.Contact{ID: c.ID, Name: c.Name, Account: c.Account}, storage.Invite{Role: c.Role, EnterpriseID: c.EnterpriseID})
		case storage.RoleCounty, storage.RoleCityOffice:
			bind(t, s, storage.Contact{ID: c.ID, Name: c.Name, Account: c.Account}, storage.Invite{Role: c.Role, Region: c.Region})
		}
	}
	groups, _ := m.Groups(ctx)
	for _, g := range groups {
		if err := s.PutGroup(ctx, g, storage.Answer{}); err != nil {
			t.Fatal(err)
		}
	}
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, shanghai)
	for id, hs := range m.heads {
		for _, h := range hs {
			c := m.ents[id].LiaisonID
			sess, _ := s.Session(ctx, c)
			err := s.CommitTurn(ctx, storage.Turn{Answer: storage.Answer{MessageID: "sub-" + id, At: at}, Session: storage.Session{ContactID: c, Version: sess.Version},
				Submission: &storage.Submission{EnterpriseID: id, Period: h.Period, Version: h.Version, Form: "fujian3", Answers: survey.Answers{}, SubmittedBy: c, SubmittedAt: at}})
			if err != nil {
				t.Fatal(err)
			}
		}
	}
	d := m.drafts[[2]string{"e1", "2026-12"}]
	sess := m.sessions["c1"]
	if err := s.CommitTurn(ctx, storage.Turn{Answer: storage.Answer{MessageID: "draft-e1", At: at}, Session: sess, Draft: &d}); err != nil {
		t.Fatal(err)
	}
}

func boltEngine(t testing.TB, s *bolt.Store) *reminders.Engine {
	return &reminders.Engine{
		Schedule: defaultSchedule(t),
		Audience: &reminders.Audiences{Store: s, Form: survey.Default(), Location: shanghai, Regions: config.Default().Regions},
		Outbox:   s,
		Log:      slog.New(slog.DiscardHandler),
	}
}

func pendingAll(t testing.TB, s storage.Outbox) []storage.OutboxMessage {
	t.Helper()
	var out []storage.OutboxMessage
	for _, acct := range []string{"bot1", "bot2"} {
		p, err := s.Pending(context.Background(), acct, 1000)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p...)
	}
	return out
}

// TestBoltRestartAcrossReminderTime: closed at 08:59, reopened at 09:40: the reminder is
// queued once, and reopening again at 09:41 and 20:00 queues nothing more.
func TestBoltRestartAcrossReminderTime(t *testing.T) {
	path := filepath.Join(t.TempDir(), "innobot.db")
	ctx := context.Background()
	s := openBolt(t, path)
	boltFixture(t, s)
	if res, err := boltEngine(t, s).Tick(ctx, at("2026-12-01", "08:59")); err != nil || len(res.Fired) != 0 {
		t.Fatalf("08:59: %v %v", keys(res.Fired), err)
	}
	s.Close()
	s = openBolt(t, path)
	res, err := boltEngine(t, s).Tick(ctx, at("2026-12-01", "09:40"))
	if err != nil || !slices.Equal(keys(res.Fired), []string{"monthly:2026-12-05:3d"}) {
		t.Fatalf("09:40: %v %v", keys(res.Fired), err)
	}
	want := len(pendingAll(t, s))
	if want != 5 {
		t.Errorf("queued %d messages, want 5 (2 liaisons, 2 groups, 1 county office)", want)
	}
	for _, now := range []string{"09:41", "20:00"} {
		s.Close()
		s = openBolt(t, path)
		if res, _ := boltEngine(t, s).Tick(ctx, at("2026-12-01", now)); len(res.Fired)+len(res.Missed) != 0 {
			t.Errorf("%s: fired again %v %v", now, keys(res.Fired), keys(res.Missed))
		}
	}
	if got := len(pendingAll(t, s)); got != want {
		t.Errorf("%d queued after the restarts, want %d", got, want)
	}
	s.Close()
}

// TestBoltDownPastGrace: reopened at 22:00, 13 hours late: only the report is queued.
func TestBoltDownPastGrace(t *testing.T) {
	s := openBolt(t, filepath.Join(t.TempDir(), "innobot.db"))
	defer s.Close()
	boltFixture(t, s)
	ranBefore(t, boltEngine(t, s))
	res, err := boltEngine(t, s).Tick(context.Background(), at("2026-12-01", "22:00"))
	if err != nil || len(res.Fired) != 0 || len(res.Missed) != 1 {
		t.Fatalf("fired %v missed %v, %v", keys(res.Fired), keys(res.Missed), err)
	}
	p := pendingAll(t, s)
	if len(p) != 1 || p[0].To != "m1" || reminders.KindOf(p[0]) != reminders.KindMissed {
		t.Errorf("queued %+v, want the report to the city office only", p)
	}
}

// TestBoltTwoEngines: two engines on one store tick the same minutes at once.
func TestBoltTwoEngines(t *testing.T) {
	s := openBolt(t, filepath.Join(t.TempDir(), "innobot.db"))
	defer s.Close()
	boltFixture(t, s)
	a, b := boltEngine(t, s), boltEngine(t, s)
	ctx := context.Background()
	var mu sync.Mutex
	claims := map[string]int{}
	for _, now := range []time.Time{at("2026-12-01", "09:00"), at("2026-12-01", "09:01"), at("2026-12-03", "09:00"), at("2026-12-04", "09:00")} {
		var wg sync.WaitGroup
		for _, e := range []*reminders.Engine{a, b} {
			wg.Go(func() {
				res, err := e.Tick(ctx, now)
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				for _, o := range res.Fired {
					claims[o.Key]++
				}
				mu.Unlock()
			})
		}
		wg.Wait()
	}
	if len(claims) != 3 {
		t.Errorf("claims %v, want the three December reminders", claims)
	}
	for k, n := range claims {
		if n != 1 {
			t.Errorf("%s claimed %d times", k, n)
		}
	}
	if got := len(pendingAll(t, s)); got != 3*5 {
		t.Errorf("%d messages queued, want 15", got)
	}
}

// TestBoltCrashBetweenClaimAndSend: claimed and queued, the process dies before sending;
// after a reopen the outbox sends everything, losing the record of one send in a second
// crash; after another reopen only that message goes out again.
func TestBoltCrashBetweenClaimAndSend(t *testing.T) {
	path := filepath.Join(t.TempDir(), "innobot.db")
	ctx := context.Background()
	s := openBolt(t, path)
	boltFixture(t, s)
	if res, _ := boltEngine(t, s).Tick(ctx, at("2026-12-01", "09:00")); len(res.Fired) != 1 {
		t.Fatal("not fired")
	}
	queued := pendingAll(t, s)
	s.Close() // crash before any send

	s = openBolt(t, path)
	clock := bot.ClockFunc(func() time.Time { return at("2026-12-01", "09:02") })
	tr := &countingTransport{}
	crashCtx, crash := context.WithCancel(ctx)
	lossy := &lossyOutbox{Outbox: s, lose: 2, crash: crash}
	(&bot.Outbox{Store: lossy, Transport: tr, Account: "bot1", Clock: clock, Log: slog.New(slog.DiscardHandler)}).Flush(crashCtx)
	s.Close()

	s = openBolt(t, path)
	defer s.Close()
	for _, acct := range []string{"bot1", "bot2"} {
		if _, err := (&bot.Outbox{Store: s, Transport: tr, Account: acct, Clock: clock, Log: slog.New(slog.DiscardHandler)}).Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	checkOneRepeat(t, queued, tr)
	sent, err := s.Sent(ctx, time.Time{})
	if err != nil || len(sent) != len(queued) {
		t.Errorf("record of sends has %d, want %d (%v)", len(sent), len(queued), err)
	}
	if p := pendingAll(t, s); len(p) != 0 {
		t.Errorf("%d still pending", len(p))
	}
}

// bigBolt is a bolt file with 10,000 enterprises, each with a bound liaison and none with a
// submission, built once per test binary: binding goes through Redeem, one fsync each.
var bigBolt = sync.OnceValues(func() (string, error) {
	dir, err := osMkdirTemp()
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "innobot.db")
	s, err := bolt.Open(path)
	if err != nil {
		return "", err
	}
	defer s.Close()
	ctx := context.Background()
	regions := config.Default().Regions
	var ents []storage.Enterprise
	for i := range 10000 {
		id := fmt.Sprintf("e%05d", i)
		ents = append(ents, storage.Enterprise{ID: id, Name: "示范企业" + id, Region: regions[i%len(regions)], Helper: "帮扶人"})
	}
	if err := s.PutEnterprises(ctx, ents); err != nil {
		return "", err
	}
	now := time.Date(2026, 11, 1, 0, 0, 0, 0, shanghai)
	for _, e := range ents {
		c := "c" + e.ID[1:]
		inv := storage.Invite{Hash: "h-" + c, Role: storage.RoleLiaison, EnterpriseID: e.ID, CreatedBy: "bench", CreatedAt: now, ExpiresAt: now.AddDate(0, 1, 0)}
		if err := s.PutInvite(ctx, inv, nil, storage.Answer{}); err != nil {
			return "", err
		}
		if _, err := s.Redeem(ctx, inv.Hash, storage.Contact{ID: c, Name: c}, now, nil); err != nil {
			return "", err
		}
	}
	return path, nil
})

// BenchmarkNudge10000Bolt fires the monthly reminder on bolt with 10,000 lagging liaisons:
// the audience reads the registry, heads and each liaison's drafts, and ClaimReminder writes
// the claim and 10,000 messages in one transaction. The bar is under a second.
func BenchmarkNudge10000Bolt(b *testing.B) {
	src, err := bigBolt()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	var d time.Duration
	for b.Loop() {
		b.StopTimer()
		path := filepath.Join(b.TempDir(), "innobot.db")
		if err := copyFile(src, path); err != nil {
			b.Fatal(err)
		}
		s := openBolt(b, path)
		e := boltEngine(b, s)
		b.StartTimer()
		start := time.Now()
		res, err := e.Tick(ctx, at("2026-12-01", "09:00"))
		d = time.Since(start)
		b.StopTimer()
		if err != nil || res.Queued != 10000 {
			b.Fatalf("queued %d, %v", res.Queued, err)
		}
		if d > time.Second {
			b.Errorf("10,000 nudges took %v", d)
		}
		s.Close()
		b.StartTimer()
	}
	b.ReportMetric(10000, "msgs")
}

func osMkdirTemp() (string, error) { return os.MkdirTemp("", "reminders-bench-") }

func copyFile(src, dst string) error {
	data, err := os.ReadFile(src)
	if err != nil {
		return err
	}
	return os.WriteFile(dst, data, 0o600)
}
