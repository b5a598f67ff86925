package bot_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"slices"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"innobot/bot"
	"innobot/bot/bottest"
	"innobot/storage"
)

// obStore is an in-memory storage.Outbox; markFail, when set, fails MarkSent of a send.
type obStore struct {
	mu       sync.Mutex
	msgs     []*storage.OutboxMessage
	markFail func(id string) error
	marks    int
}

func (s *obStore) Enqueue(_ context.Context, msgs []storage.OutboxMessage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range msgs {
		if slices.ContainsFunc(s.msgs, func(x *storage.OutboxMessage) bool { return x.ID == m.ID }) {
			continue
		}
		m := m
		s.msgs = append(s.msgs, &m)
	}
	return nil
}

func (s *obStore) Pending(_ context.Context, account string, limit int) ([]storage.OutboxMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []storage.OutboxMessage
	for _, urgent := range []bool{true, false} {
		for _, m := range s.msgs {
			if m.SentAt.IsZero() && m.FailedAt.IsZero() && m.Urgent == urgent && m.Account == account && len(out) < limit {
				out = append(out, *m)
			}
		}
	}
	return out, nil
}

func (s *obStore) MarkFailed(_ context.Context, id string, at time.Time, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.msgs {
		if m.ID == id {
			if m.SentAt.IsZero() && m.FailedAt.IsZero() {
				m.FailedAt, m.Error = at, reason
			}
			return nil
		}
	}
	return storage.ErrNotFound
}

func (s *obStore) Failed(_ context.Context, since time.Time) ([]storage.OutboxMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []storage.OutboxMessage
	for _, m := range s.msgs {
		if !m.FailedAt.IsZero() && !m.FailedAt.Before(since) {
			out = append(out, *m)
		}
	}
	slices.SortStableFunc(out, func(a, b storage.OutboxMessage) int { return a.FailedAt.Compare(b.FailedAt) })
	return out, nil
}

func (s *obStore) MarkSent(_ context.Context, id string, at time.Time, sendErr string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.marks++
	if sendErr == "" && s.markFail != nil {
		if err := s.markFail(id); err != nil {
			return err
		}
	}
	for _, m := range s.msgs {
		if m.ID != id {
			continue
		}
		if sendErr != "" {
			m.Attempts++
			m.Error = sendErr
		} else if m.SentAt.IsZero() {
			m.SentAt = at
		}
		return nil
	}
	return storage.ErrNotFound
}

func (s *obStore) Sent(_ context.Context, since time.Time) ([]storage.OutboxMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []storage.OutboxMessage
	for _, m := range s.msgs {
		if !m.SentAt.IsZero() && !m.SentAt.Before(since) {
			out = append(out, *m)
		}
	}
	slices.SortStableFunc(out, func(a, b storage.OutboxMessage) int { return a.SentAt.Compare(b.SentAt) })
	return out, nil
}

func (s *obStore) ClaimReminder(context.Context, string, time.Time, []storage.OutboxMessage) (bool, error) {
	return false, errors.New("not used")
}

func (s *obStore) get(id string) storage.OutboxMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.msgs {
		if m.ID == id {
			return *m
		}
	}
	return storage.OutboxMessage{}
}

// obTransport records sends with the clock's time; fail decides which sends fail.
type obTransport struct {
	clock bot.Clock
	mu    sync.Mutex
	sent  []bot.Outgoing
	at    []time.Time
	fail  func(bot.Outgoing) error
}

func (t *obTransport) Send(_ context.Context, out bot.Outgoing) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.fail != nil {
		if err := t.fail(out); err != nil {
			return err
		}
	}
	t.sent = append(t.sent, out)
	if t.clock != nil {
		t.at = append(t.at, t.clock.Now())
	}
	return nil
}

func (t *obTransport) texts() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	var out []string
	for _, o := range t.sent {
		out = append(out, o.Text)
	}
	return out
}

func (t *obTransport) times() []time.Time {
	t.mu.Lock()
	defer t.mu.Unlock()
	return slices.Clone(t.at)
}

func queue(t testing.TB, s storage.Outbox, account string, n int) []string {
	t.Helper()
	var msgs []storage.OutboxMessage
	var ids []string
	for i := range n {
		id := fmt.Sprintf("m%05d", i)
		ids = append(ids, id)
		msgs = append(msgs, storage.OutboxMessage{ID: id, Account: account, To: "c" + id, Text: "text " + id, Source: "test"})
	}
	if err := s.Enqueue(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
	return ids
}

var quiet = slog.New(slog.DiscardHandler)

func TestOutboxPaceZeroSendsAtOnceInOrder(t *testing.T) {
	st := &obStore{}
	queue(t, st, "a", 3)
	st.Enqueue(context.Background(), []storage.OutboxMessage{{ID: "o1", Account: "other", To: "y", Text: "not ours"}})
	clock := bottest.NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	tr := &obTransport{}
	o := &bot.Outbox{Store: st, Transport: tr, Account: "a", Clock: clock, Log: quiet}
	n, err := o.Flush(context.Background())
	if err != nil || n != 3 {
		t.Fatalf("Flush = %d, %v; want 3 sent", n, err)
	}
	if got, want := tr.texts(), []string{"text m00000", "text m00001", "text m00002"}; !slices.Equal(got, want) {
		t.Errorf("sent %q, want %q", got, want)
	}
	sent, _ := st.Sent(context.Background(), time.Time{})
	if len(sent) != 3 || !sent[0].SentAt.Equal(clock.Now()) {
		t.Errorf("record of sends = %+v", sent)
	}
	if p, _ := st.Pending(context.Background(), "other", 10); len(p) != 1 {
		t.Errorf("another account's message was touched: pending %d", len(p))
	}
}

// TestOutboxSendErrorBacksOff: a failed send stays pending with its error and is tried again
// after the backoff; later messages are not held up behind it.
func TestOutboxSendErrorBacksOff(t *testing.T) {
	st := &obStore{}
	queue(t, st, "", 3)
	clock := bottest.NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	down := true
	tr := &obTransport{fail: func(out bot.Outgoing) error {
		if down && out.Text == "text m00000" {
			return errors.New("wechat: timeout")
		}
		return nil
	}}
	o := &bot.Outbox{Store: st, Transport: tr, Clock: clock, Log: quiet}
	if n, err := o.Flush(context.Background()); err != nil || n != 2 {
		t.Fatalf("Flush = %d, %v; want 2", n, err)
	}
	if m := st.get("m00000"); !m.SentAt.IsZero() || m.Attempts != 1 || m.Error != "wechat: timeout" {
		t.Errorf("failed message = %+v, want pending with 1 attempt and the error", m)
	}
	down = false
	if n, _ := o.Flush(context.Background()); n != 0 {
		t.Errorf("retried during the backoff")
	}
	clock.Add(6 * time.Second)
	if n, _ := o.Flush(context.Background()); n != 1 {
		t.Errorf("not retried after the backoff")
	}
	if got := tr.texts(); len(got) != 3 || got[2] != "text m00000" {
		t.Errorf("sent %q", got)
	}
}

// TestOutboxRestart: a new Outbox on the same store picks up exactly what is pending.
func TestOutboxRestart(t *testing.T) {
	st := &obStore{}
	ids := queue(t, st, "", 5)
	clock := bottest.NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	ctx, cancel := context.WithCancel(context.Background())
	tr := &obTransport{}
	tr.fail = func(out bot.Outgoing) error {
		if len(tr.sent) == 2 {
			cancel() // the process dies while sending the third
			return context.Canceled
		}
		return nil
	}
	first := &bot.Outbox{Store: st, Transport: tr, Clock: clock, Log: quiet}
	first.Flush(ctx)
	tr.fail = nil
	second := &bot.Outbox{Store: st, Transport: tr, Clock: clock, Log: quiet}
	if _, err := second.Flush(context.Background()); err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, id := range ids {
		want = append(want, "text "+id)
	}
	if got := tr.texts(); !slices.Equal(got, want) {
		t.Errorf("sent %q, want each once: %q", got, want)
	}
}

// TestOutboxCrashBetweenSendAndRecord: a send whose record fails is not sent again by the
// same process (it is recorded later); after a crash before the record, that one message
// is sent again and nothing else is.
func TestOutboxCrashBetweenSendAndRecord(t *testing.T) {
	st := &obStore{}
	queue(t, st, "", 4)
	clock := bottest.NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC))
	tr := &obTransport{}

	// The store refuses the record of m00001 once; the process goes on.
	failed := false
	st.markFail = func(id string) error {
		if id == "m00001" && !failed {
			failed = true
			return errors.New("disk full")
		}
		return nil
	}
	o := &bot.Outbox{Store: st, Transport: tr, Clock: clock, Log: quiet}
	if n, _ := o.Flush(context.Background()); n != 4 {
		t.Fatalf("sent %d, want 4", n)
	}
	o.Flush(context.Background())
	if got := tr.texts(); len(got) != 4 {
		t.Errorf("same process sent again: %q", got)
	}
	if m := st.get("m00001"); m.SentAt.IsZero() {
		t.Error("the send was never recorded")
	}

	// Now a crash: the record of m00002 never happens, and the process is gone.
	st2 := &obStore{}
	queue(t, st2, "", 4)
	tr2 := &obTransport{}
	ctx, cancel := context.WithCancel(context.Background())
	st2.markFail = func(id string) error {
		if id == "m00002" {
			cancel()
			st2.markFail = nil
			return errors.New("killed")
		}
		return nil
	}
	crashed := &bot.Outbox{Store: st2, Transport: tr2, Clock: clock, Log: quiet}
	crashed.Flush(ctx)
	restarted := &bot.Outbox{Store: st2, Transport: tr2, Clock: clock, Log: quiet}
	restarted.Flush(context.Background())
	count := map[string]int{}
	for _, s := range tr2.texts() {
		count[s]++
	}
	want := map[string]int{"text m00000": 1, "text m00001": 1, "text m00002": 2, "text m00003": 1}
	for k, v := range want {
		if count[k] != v {
			t.Errorf("%s sent %d times, want %d (all: %v)", k, count[k], v, count)
		}
	}
}

// drainStats measures a paced drain: the average gap and the rate it gives.
type drainStats struct {
	n              int
	mean, min, max time.Duration
	perMinute      float64
}

func stats(times []time.Time) drainStats {
	s := drainStats{n: len(times), min: time.Duration(math.MaxInt64)}
	for i := 1; i < len(times); i++ {
		g := times[i].Sub(times[i-1])
		s.min, s.max = min(s.min, g), max(s.max, g)
	}
	s.mean = times[len(times)-1].Sub(times[0]) / time.Duration(len(times)-1)
	s.perMinute = float64(time.Minute) / float64(s.mean)
	return s
}

// TestOutboxDrainRateMatchesPace drains 600 messages at the default pace (50 a minute, 30%
// jitter) in a synctest bubble, where timers run on fake time, and compares the measured rate.
func TestOutboxDrainRateMatchesPace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &obStore{}
		queue(t, st, "", 600)
		clock := bot.ClockFunc(time.Now)
		tr := &obTransport{clock: clock}
		o := &bot.Outbox{Store: st, Transport: tr, Clock: clock, Pace: bot.Pace{PerMinute: 50, Jitter: 0.3}, Log: quiet}
		start := time.Now()
		n, err := o.Flush(context.Background())
		if err != nil || n != 600 {
			t.Fatalf("Flush = %d, %v", n, err)
		}
		s := stats(tr.times())
		t.Logf("drained %d in %v of fake time: mean gap %v (pace 1.2s), min %v, max %v, %.2f/min (pace 50/min)",
			s.n, time.Since(start).Round(time.Second), s.mean.Round(time.Millisecond), s.min.Round(time.Millisecond),
			s.max.Round(time.Millisecond), s.perMinute)
		if math.Abs(s.perMinute-50) > 50*0.05 {
			t.Errorf("rate %.2f/min, want 50 ± 5%%", s.perMinute)
		}
		if s.min < 840*time.Millisecond-time.Millisecond || s.max > 1560*time.Millisecond+time.Millisecond {
			t.Errorf("gaps %v..%v outside 1.2s ± 30%%", s.min, s.max)
		}
	})
}

// TestOutboxRepliesSharePace: direct replies and queued messages draw on one pace, so a
// burst of both together still goes out at the account's rate.
func TestOutboxRepliesSharePace(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &obStore{}
		queue(t, st, "", 60)
		clock := bot.ClockFunc(time.Now)
		tr := &obTransport{clock: clock}
		o := &bot.Outbox{Store: st, Transport: tr, Clock: clock, Pace: bot.Pace{PerMinute: 60}, Log: quiet}
		var wg sync.WaitGroup
		wg.Go(func() { o.Flush(context.Background()) })
		replies := o.Sender()
		for i := range 60 {
			wg.Go(func() {
				if err := replies.Send(context.Background(), bot.Outgoing{To: "x", Text: fmt.Sprint("reply ", i)}); err != nil {
					t.Error(err)
				}
			})
		}
		wg.Wait()
		s := stats(tr.times())
		t.Logf("120 sends (60 queued, 60 replies) at 60/min: %.2f/min, min gap %v", s.perMinute, s.min)
		if s.n != 120 || s.min < time.Second || math.Abs(s.perMinute-60) > 1 {
			t.Errorf("n=%d min gap %v rate %.2f, want 120 sends a second apart", s.n, s.min, s.perMinute)
		}
	})
}

// TestOutboxReplyWithoutPaceIsSynchronous: with the pace off a reply is out when Send
// returns, which the simulator relies on to print replies before its ack.
func TestOutboxReplyWithoutPaceIsSynchronous(t *testing.T) {
	tr := &obTransport{}
	o := &bot.Outbox{Store: &obStore{}, Transport: tr, Log: quiet}
	if err := o.Sender().Send(context.Background(), bot.Outgoing{To: "x", Text: "hi"}); err != nil {
		t.Fatal(err)
	}
	if got := tr.texts(); !slices.Equal(got, []string{"hi"}) {
		t.Errorf("sent %q", got)
	}
}

// TestOutboxRun: Run sends what is queued as soon as it is kicked, and what another process
// queued at the next poll.
func TestOutboxRun(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &obStore{}
		clock := bot.ClockFunc(time.Now)
		tr := &obTransport{clock: clock}
		o := &bot.Outbox{Store: st, Transport: tr, Clock: clock, Poll: time.Minute, Log: quiet}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- o.Run(ctx) }()
		synctest.Wait()
		start := time.Now()
		st.Enqueue(ctx, []storage.OutboxMessage{{ID: "k", To: "x", Text: "kicked"}})
		o.Kick()
		synctest.Wait()
		if got := tr.times(); len(got) != 1 || !got[0].Equal(start) {
			t.Errorf("kicked message sent at %v, want at once (%v)", got, start)
		}
		st.Enqueue(ctx, []storage.OutboxMessage{{ID: "p", To: "x", Text: "polled"}})
		time.Sleep(2 * time.Minute)
		if got := tr.texts(); !slices.Equal(got, []string{"kicked", "polled"}) {
			t.Errorf("sent %q", got)
		}
		if got := tr.times(); len(got) == 2 && got[1].Sub(start) > time.Minute {
			t.Errorf("polled message waited %v, poll is 1m", got[1].Sub(start))
		}
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Run = %v", err)
		}
	})
}

// BenchmarkOutboxDrainRealPace drains with a short real pace (6000 a minute, 10 ms) on the
// real clock and reports the measured rate beside the pace.
func BenchmarkOutboxDrainRealPace(b *testing.B) {
	const n = 100
	for b.Loop() {
		st := &obStore{}
		queue(b, st, "", n)
		clock := bot.ClockFunc(time.Now)
		tr := &obTransport{clock: clock}
		o := &bot.Outbox{Store: st, Transport: tr, Clock: clock, Pace: bot.Pace{PerMinute: 6000, Jitter: 0.3}, Log: quiet}
		if _, err := o.Flush(context.Background()); err != nil {
			b.Fatal(err)
		}
		s := stats(tr.times())
		b.ReportMetric(s.perMinute, "sends/min")
		b.ReportMetric(6000, "pace/min")
	}
}

// FlushAnswers, what a stopping bot runs, sends the answers waiting (urgent) and leaves the
// queued reminders for the next start, also when an answer fails; while the platform wants a
// pause (or the transport has no login) it sends nothing more and returns at once.
func TestOutboxFlushAnswersLeavesReminders(t *testing.T) {
	for _, tc := range []struct {
		name string
		fail error // what the send to 王五 answers
		want []string
	}{
		{"all sent", nil, []string{"已记", "请发送邀请码", "绑定成功"}},
		{"one failing", errors.New("network down"), []string{"已记", "绑定成功"}},
		{"paused", &bot.Paused{Until: time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC), Err: errors.New("ret 1205")}, []string{"已记"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			st := openStore(t)
			queue(t, st, "a", 2)
			answers := []storage.OutboxMessage{
				{ID: "r1", Account: "a", To: "张三", Text: "已记", Source: bot.ReplySource, Urgent: true, Forget: true},
				{ID: "r2", Account: "a", To: "王五", Text: "请发送邀请码", Source: bot.ReplySource, Urgent: true, Forget: true},
				{ID: "r3", Account: "a", To: "李四", Text: "绑定成功", Source: bot.ReplySource, Urgent: true, Forget: true},
			}
			if err := st.Enqueue(t.Context(), answers); err != nil {
				t.Fatal(err)
			}
			failed := false
			tr := &obTransport{fail: func(out bot.Outgoing) error {
				if out.To == "王五" && !failed {
					failed = true
					return tc.fail
				}
				return nil
			}}
			o := &bot.Outbox{Store: st, Transport: tr, Account: "a", Clock: bottest.NewClock(time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)), Log: quiet}
			n, err := o.FlushAnswers(t.Context())
			if got := tr.texts(); err != nil || n != len(tc.want) || !slices.Equal(got, tc.want) {
				t.Fatalf("FlushAnswers = %d, %v; sent %q, want %q", n, err, got, tc.want)
			}
			left, err := st.Pending(t.Context(), "a", 10)
			if err != nil || len(left) < 2 || left[len(left)-2].ID != "m00000" || left[len(left)-1].ID != "m00001" {
				t.Errorf("left pending %+v, %v; want the two reminders among them", left, err)
			}
		})
	}
}

// blockingTransport holds each send until release, failing it if its context ends first, as
// an HTTP request cancelled in flight does (whether the platform got it is then unknown).
type blockingTransport struct {
	started, release chan struct{}
	obTransport
}

func (t *blockingTransport) Send(ctx context.Context, out bot.Outgoing) error {
	t.started <- struct{}{}
	select {
	case <-t.release:
		return t.obTransport.Send(ctx, out)
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestOutboxStopLetsASendFinish: the outbox stopping while a message is on its way neither
// cuts the send short nor forgets that it went, so the next start does not send it again.
func TestOutboxStopLetsASendFinish(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		st := &obStore{}
		tr := &blockingTransport{started: make(chan struct{}), release: make(chan struct{})}
		o := &bot.Outbox{Store: st, Transport: tr, Clock: bot.ClockFunc(time.Now), Log: quiet}
		queue(t, st, "", 1)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- o.Run(ctx) }()
		<-tr.started
		cancel() // the bot stops while the message is on its way
		synctest.Wait()
		close(tr.release)
		<-done
		if got := tr.texts(); len(got) != 1 {
			t.Fatalf("sent %q, want the message once", got)
		}
		if m := st.get("m00000"); m.SentAt.IsZero() {
			t.Errorf("the message sent during the stop is not recorded as sent: %+v", m)
		}
	})
}
