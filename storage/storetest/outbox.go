package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"innobot/storage"
)

var enqueueTests = []check[OutboxStore]{
	{"RoundTrip", func(t *testing.T, s OutboxStore) {
		private := sampleMessage("m1", "bot-1", 0)
		group := storage.OutboxMessage{ID: "m2", Account: "bot-1", Group: "g-盐湖", File: "/data/exports/盐湖区 2026-11.xlsx",
			Text: "盐湖区未填报企业：\n1. 某某\"钢铁\"", Source: "reminder:monthly:2026-12-05:1d", QueuedAt: at(1)}
		mustEnqueue(t, s, private, group)
		same(t, "Pending", mustPending(t, s, "bot-1", 10), []storage.OutboxMessage{private, group}, normMessages)
	}},
	{"Empty", func(t *testing.T, s OutboxStore) {
		mustEnqueue(t, s)
		if got := mustPending(t, s, "bot-1", 10); len(got) != 0 {
			t.Errorf("Pending after an empty Enqueue: %+v", got)
		}
	}},
	{"SameIDKeepsFirst", func(t *testing.T, s OutboxStore) {
		m1 := sampleMessage("m1", "bot-1", 0)
		mustEnqueue(t, s, m1)
		changed := m1
		changed.Text, changed.QueuedAt = "改过的", at(-10)
		m2, m3 := sampleMessage("m2", "bot-1", 1), sampleMessage("m3", "bot-1", 2)
		m3b := m3
		m3b.Text = "同一次里的第二条"
		// This suite's reading: a message repeated in one call keeps its first copy.
		mustEnqueue(t, s, changed, m2, m3, m3b)
		same(t, "Pending after queueing again", mustPending(t, s, "bot-1", 10),
			[]storage.OutboxMessage{m1, m2, m3}, normMessages)
	}},
	{"SentStaysSent", func(t *testing.T, s OutboxStore) {
		m1 := sampleMessage("m1", "bot-1", 0)
		mustEnqueue(t, s, m1)
		mustMarkSent(t, s, "m1", at(1), "")
		mustEnqueue(t, s, m1)
		if got := mustPending(t, s, "bot-1", 10); len(got) != 0 {
			t.Errorf("a sent message queued again is pending: %+v", got)
		}
		if got := mustSent(t, s, time.Time{}); len(got) != 1 {
			t.Errorf("Sent after queueing a sent message again: %d, want 1", len(got))
		}
	}},
}

var pendingTests = []check[OutboxStore]{
	{"Empty", func(t *testing.T, s OutboxStore) {
		if got := mustPending(t, s, "bot-1", 10); len(got) != 0 {
			t.Errorf("Pending of an empty store: %+v", got)
		}
	}},
	{"OldestFirst", func(t *testing.T, s OutboxStore) {
		// By QueuedAt, then (this suite's reading) in the order queued.
		a, b, c, d := sampleMessage("a", "bot-1", 5), sampleMessage("b", "bot-1", 1),
			sampleMessage("c", "bot-1", 5), sampleMessage("d", "bot-1", 3)
		mustEnqueue(t, s, a, b)
		mustEnqueue(t, s, c)
		mustEnqueue(t, s, d)
		all := []storage.OutboxMessage{b, d, a, c}
		for _, limit := range []int{1, 2, 3, 4, 5, 1000} {
			same(t, fmt.Sprintf("Pending(limit %d)", limit), mustPending(t, s, "bot-1", limit), all[:min(limit, len(all))], normMessages)
		}
	}},
	{"PerAccount", func(t *testing.T, s OutboxStore) {
		accounts := []string{"bot-1", "bot-10", "bot", "bot-2"}
		for i, acc := range accounts {
			mustEnqueue(t, s, sampleMessage("m-"+acc, acc, i), sampleMessage("n-"+acc, acc, -i))
		}
		for i, acc := range accounts {
			want := []storage.OutboxMessage{sampleMessage("n-"+acc, acc, -i), sampleMessage("m-"+acc, acc, i)}
			if i == 0 { // same instant: the order queued
				want[0], want[1] = want[1], want[0]
			}
			same(t, "Pending("+acc+")", mustPending(t, s, acc, 10), want, normMessages)
		}
		if got := mustPending(t, s, "bot-3", 10); len(got) != 0 {
			t.Errorf("Pending of an account without messages: %+v", got)
		}
	}},
	{"UrgentFirst", func(t *testing.T, s OutboxStore) {
		// A reply queued after a run of reminders goes before them; urgent messages keep
		// their own order, and the limit counts both.
		r1, r2, r3 := sampleMessage("r1", "bot-1", 0), sampleMessage("r2", "bot-1", 1), sampleMessage("r3", "bot-1", 2)
		u1, u2 := urgentMessage("u1", "bot-1", 5), urgentMessage("u2", "bot-1", 3)
		other := urgentMessage("u-other", "bot-2", 0)
		mustEnqueue(t, s, r1, r2, u1, other)
		mustEnqueue(t, s, r3, u2)
		all := []storage.OutboxMessage{u2, u1, r1, r2, r3}
		for _, limit := range []int{1, 2, 3, 10} {
			same(t, fmt.Sprintf("Pending(limit %d)", limit), mustPending(t, s, "bot-1", limit), all[:min(limit, len(all))], normMessages)
		}
		mustMarkSent(t, s, "u2", at(10), "")
		mustMarkSent(t, s, "u1", at(10), "timeout")
		u1.Attempts, u1.Error = 1, "timeout"
		same(t, "Pending after an urgent send and a failure", mustPending(t, s, "bot-1", 10),
			[]storage.OutboxMessage{u1, r1, r2, r3}, normMessages)
		same(t, "Pending(bot-2)", mustPending(t, s, "bot-2", 10), []storage.OutboxMessage{other}, normMessages)
	}},
}

var markFailedTests = []check[OutboxStore]{
	{"LeavesTheQueue", func(t *testing.T, s OutboxStore) {
		a, b, u := sampleMessage("a", "bot-1", 0), sampleMessage("b", "bot-1", 1), urgentMessage("u", "bot-1", 2)
		mustEnqueue(t, s, a, b, u)
		mustMarkSent(t, s, "a", at(9), "timeout")
		mustMarkFailed(t, s, "a", at(10), "recipient cannot be reached")
		mustMarkFailed(t, s, "u", at(11), "too old")
		same(t, "Pending after giving two up", mustPending(t, s, "bot-1", 10), []storage.OutboxMessage{b}, normMessages)
		a.Attempts, a.Error, a.FailedAt = 1, "recipient cannot be reached", at(10)
		u.Error, u.FailedAt = "too old", at(11)
		same(t, "Failed(zero)", mustFailed(t, s, time.Time{}), []storage.OutboxMessage{a, u}, normMessages)
		same(t, "Failed(at 11)", mustFailed(t, s, at(11)), []storage.OutboxMessage{u}, normMessages)
		same(t, "Failed(after everything)", mustFailed(t, s, at(12)), nil, normMessages)
		if got := mustSent(t, s, time.Time{}); len(got) != 0 {
			t.Errorf("Sent after giving up: %+v", got)
		}
	}},
	{"Settled", func(t *testing.T, s OutboxStore) {
		// A message sent is not given up, one given up is not sent, and giving up twice keeps
		// the first reason.
		a, b := sampleMessage("a", "bot-1", 0), sampleMessage("b", "bot-1", 1)
		mustEnqueue(t, s, a, b)
		mustMarkSent(t, s, "a", at(10), "")
		mustMarkFailed(t, s, "a", at(11), "late")
		mustMarkFailed(t, s, "b", at(12), "first")
		mustMarkFailed(t, s, "b", at(13), "second")
		mustMarkSent(t, s, "b", at(14), "")
		mustMarkSent(t, s, "b", at(15), "timeout")
		a.SentAt = at(10)
		b.FailedAt, b.Error = at(12), "first"
		same(t, "Sent", mustSent(t, s, time.Time{}), []storage.OutboxMessage{a}, normMessages)
		same(t, "Failed", mustFailed(t, s, time.Time{}), []storage.OutboxMessage{b}, normMessages)
		mustEnqueue(t, s, sampleMessage("b", "bot-1", 1))
		if got := mustPending(t, s, "bot-1", 10); len(got) != 0 {
			t.Errorf("a message given up is pending again after queueing it again: %+v", got)
		}
	}},
	{"Unknown", func(t *testing.T, s OutboxStore) {
		err := s.MarkFailed(t.Context(), "nobody", at(1), "x")
		wantErr(t, "MarkFailed(unknown)", err, storage.ErrNotFound)
	}},
}

var markSentTests = []check[OutboxStore]{
	{"Sent", func(t *testing.T, s OutboxStore) {
		a, b := sampleMessage("a", "bot-1", 0), sampleMessage("b", "bot-1", 1)
		mustEnqueue(t, s, a, b)
		mustMarkSent(t, s, "a", at(10), "")
		same(t, "Pending after a send", mustPending(t, s, "bot-1", 10), []storage.OutboxMessage{b}, normMessages)
		sent := a
		sent.SentAt = at(10)
		same(t, "Sent", mustSent(t, s, time.Time{}), []storage.OutboxMessage{sent}, normMessages)
	}},
	{"Failed", func(t *testing.T, s OutboxStore) {
		a, b := sampleMessage("a", "bot-1", 0), sampleMessage("b", "bot-1", 1)
		mustEnqueue(t, s, a, b)
		mustMarkSent(t, s, "a", at(10), "timeout")
		a.Attempts, a.Error = 1, "timeout"
		same(t, "Pending after a failure", mustPending(t, s, "bot-1", 10), []storage.OutboxMessage{a, b}, normMessages)
		mustMarkSent(t, s, "a", at(11), "账号被限制")
		a.Attempts, a.Error = 2, "账号被限制"
		same(t, "Pending after two failures", mustPending(t, s, "bot-1", 10), []storage.OutboxMessage{a, b}, normMessages)
		if got := mustSent(t, s, time.Time{}); len(got) != 0 {
			t.Errorf("Sent after failures only: %+v", got)
		}
		mustMarkSent(t, s, "a", at(12), "")
		same(t, "Pending after the send", mustPending(t, s, "bot-1", 10), []storage.OutboxMessage{b}, normMessages)
		got := mustSent(t, s, time.Time{})
		if len(got) != 1 || got[0].ID != "a" || got[0].Attempts != 2 || !got[0].SentAt.Equal(at(12)) {
			t.Errorf("Sent after two failures and a send: %+v, want a with 2 attempts sent at %v", got, at(12))
		}
	}},
	{"Unknown", func(t *testing.T, s OutboxStore) {
		mustEnqueue(t, s, sampleMessage("a", "bot-1", 0))
		for _, sendErr := range []string{"", "timeout"} {
			err := s.MarkSent(t.Context(), "b", at(1), sendErr)
			wantErr(t, fmt.Sprintf("MarkSent(unknown, %q)", sendErr), err, storage.ErrNotFound)
		}
		if got := mustSent(t, s, time.Time{}); len(got) != 0 {
			t.Errorf("Sent after marking unknown messages: %+v", got)
		}
	}},
	{"SentTwice", func(t *testing.T, s OutboxStore) {
		// This suite's reading: a send recorded twice (a retried write) changes nothing, and
		// neither does a late failure.
		a := sampleMessage("a", "bot-1", 0)
		mustEnqueue(t, s, a)
		mustMarkSent(t, s, "a", at(10), "")
		mustMarkSent(t, s, "a", at(11), "")
		mustMarkSent(t, s, "a", at(12), "timeout")
		a.SentAt = at(10)
		same(t, "Sent", mustSent(t, s, time.Time{}), []storage.OutboxMessage{a}, normMessages)
		if got := mustPending(t, s, "bot-1", 10); len(got) != 0 {
			t.Errorf("Pending: %+v", got)
		}
	}},
}

var sentTests = []check[OutboxStore]{
	{"OldestFirstAndSince", func(t *testing.T, s OutboxStore) {
		var ms []storage.OutboxMessage
		for i, id := range []string{"a", "b", "c", "d", "e"} {
			ms = append(ms, sampleMessage(id, "bot-1", i))
		}
		mustEnqueue(t, s, ms...)
		sentAt := map[string]int{"c": 3, "a": 1, "e": 2, "b": 2}
		for _, id := range []string{"c", "a", "e", "b"} {
			mustMarkSent(t, s, id, at(sentAt[id]), "")
		}
		var a, b, c, e storage.OutboxMessage
		for i, p := range []*storage.OutboxMessage{&a, &b, &c, nil, &e} {
			if p != nil {
				*p = ms[i]
				p.SentAt = at(sentAt[p.ID])
			}
		}
		// b and e were sent at one instant; either order is right.
		same(t, "Sent(zero)", sentInOrder(t, mustSent(t, s, time.Time{})), []storage.OutboxMessage{a, b, e, c}, normMessages)
		same(t, "Sent(at 2)", sentInOrder(t, mustSent(t, s, at(2))), []storage.OutboxMessage{b, e, c}, normMessages)
		same(t, "Sent(just after 2)", mustSent(t, s, at(2).Add(time.Nanosecond)), []storage.OutboxMessage{c}, normMessages)
		same(t, "Sent(at 3)", mustSent(t, s, at(3)), []storage.OutboxMessage{c}, normMessages)
		same(t, "Sent(after everything)", mustSent(t, s, at(4)), nil, normMessages)
		same(t, "Pending", mustPending(t, s, "bot-1", 10), []storage.OutboxMessage{ms[3]}, normMessages)
	}},
}

var claimTests = []check[OutboxStore]{
	{"Once", func(t *testing.T, s OutboxStore) {
		m1, m2, m3 := sampleMessage("m1", "bot-1", 0), sampleMessage("m2", "bot-2", 0), sampleMessage("m3", "bot-1", 1)
		if !mustClaim(t, s, "monthly:2026-12-05:3d", at(0), m1, m2) {
			t.Fatal("the first claim of a key was refused")
		}
		same(t, "Pending(bot-1) after a claim", mustPending(t, s, "bot-1", 10), []storage.OutboxMessage{m1}, normMessages)
		same(t, "Pending(bot-2) after a claim", mustPending(t, s, "bot-2", 10), []storage.OutboxMessage{m2}, normMessages)
		// Refused: nothing of it is queued.
		if mustClaim(t, s, "monthly:2026-12-05:3d", at(1), m3) {
			t.Error("a key claimed twice")
		}
		same(t, "Pending(bot-1) after a refused claim", mustPending(t, s, "bot-1", 10), []storage.OutboxMessage{m1}, normMessages)
		if !mustClaim(t, s, "monthly:2026-12-05:1d", at(1), m3) {
			t.Error("another key was refused")
		}
		same(t, "Pending(bot-1) after another claim", mustPending(t, s, "bot-1", 10), []storage.OutboxMessage{m1, m3}, normMessages)
	}},
	{"NoMessages", func(t *testing.T, s OutboxStore) {
		if !mustClaim(t, s, "k", at(0)) {
			t.Error("first claim without messages refused")
		}
		if mustClaim(t, s, "k", at(1)) {
			t.Error("second claim without messages granted")
		}
	}},
	{"MessagesAsEnqueue", func(t *testing.T, s OutboxStore) {
		// A message already queued is left as it is, as Enqueue does.
		m1 := sampleMessage("m1", "bot-1", 0)
		mustEnqueue(t, s, m1)
		changed := m1
		changed.Text = "改过的"
		m2 := sampleMessage("m2", "bot-1", 1)
		if !mustClaim(t, s, "k", at(1), changed, m2) {
			t.Fatal("claim refused")
		}
		same(t, "Pending", mustPending(t, s, "bot-1", 10), []storage.OutboxMessage{m1, m2}, normMessages)
	}},
	{"Concurrent", func(t *testing.T, s OutboxStore) {
		// Ten instances tick at once: exactly one claims the reminder, and only its messages
		// are queued, once.
		const n = 10
		won := make([]bool, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				msgs := []storage.OutboxMessage{sampleMessage(fmt.Sprintf("m%d-a", i), "bot-1", 0), sampleMessage(fmt.Sprintf("m%d-b", i), "bot-1", 1)}
				ok, err := s.ClaimReminder(t.Context(), "monthly:2026-12-05:0d", at(i), msgs)
				if err != nil {
					t.Errorf("ClaimReminder %d: %v", i, err)
				}
				won[i] = ok
			})
		}
		close(start)
		wg.Wait()
		winner := -1
		for i, ok := range won {
			if ok {
				if winner >= 0 {
					t.Errorf("claims %d and %d both won", winner, i)
				}
				winner = i
			}
		}
		if winner < 0 {
			t.Fatal("no claim won")
		}
		want := []storage.OutboxMessage{sampleMessage(fmt.Sprintf("m%d-a", winner), "bot-1", 0), sampleMessage(fmt.Sprintf("m%d-b", winner), "bot-1", 1)}
		same(t, "Pending after racing claims", mustPending(t, s, "bot-1", 100), want, normMessages)
	}},
}

// urgentMessage is a live reply, sent before queued reminders.
func urgentMessage(id, account string, queued int) storage.OutboxMessage {
	m := sampleMessage(id, account, queued)
	m.Text, m.Source, m.Urgent = "已记：民营企业", "reply", true
	return m
}

func mustMarkFailed(t *testing.T, s storage.Outbox, id string, at time.Time, reason string) {
	t.Helper()
	if err := s.MarkFailed(t.Context(), id, at, reason); err != nil {
		t.Fatalf("MarkFailed(%s): %v", id, err)
	}
}

func mustFailed(t *testing.T, s storage.Outbox, since time.Time) []storage.OutboxMessage {
	t.Helper()
	ms, err := s.Failed(t.Context(), since)
	if err != nil {
		t.Fatalf("Failed(%v): %v", since, err)
	}
	return ms
}

func sampleMessage(id, account string, queued int) storage.OutboxMessage {
	return storage.OutboxMessage{
		ID:       id,
		Account:  account,
		To:       "c-liaison",
		Text:     "【提醒】11月创新活动调查表尚未提交，回复“填报”从第 3 题继续。",
		Source:   "reminder:monthly:2026-12-05:3d",
		QueuedAt: at(queued),
	}
}

// sentInOrder checks that messages are in SentAt order and sorts those sent at one instant
// by ID, for comparing with a list where such ties are listed by ID.
func sentInOrder(t *testing.T, ms []storage.OutboxMessage) []storage.OutboxMessage {
	t.Helper()
	for i := 1; i < len(ms); i++ {
		if ms[i].SentAt.Before(ms[i-1].SentAt) {
			t.Errorf("Sent: %s (sent %v) after %s (sent %v)", ms[i].ID, ms[i].SentAt, ms[i-1].ID, ms[i-1].SentAt)
		}
	}
	out := slices.Clone(ms)
	slices.SortStableFunc(out, func(a, b storage.OutboxMessage) int {
		return cmp.Or(a.SentAt.Compare(b.SentAt), strings.Compare(a.ID, b.ID))
	})
	return out
}

func mustEnqueue(t *testing.T, s storage.Outbox, msgs ...storage.OutboxMessage) {
	t.Helper()
	if err := s.Enqueue(t.Context(), msgs); err != nil {
		t.Fatalf("Enqueue(%d): %v", len(msgs), err)
	}
}

func mustPending(t *testing.T, s storage.Outbox, account string, limit int) []storage.OutboxMessage {
	t.Helper()
	ms, err := s.Pending(t.Context(), account, limit)
	if err != nil {
		t.Fatalf("Pending(%q, %d): %v", account, limit, err)
	}
	return ms
}

func mustMarkSent(t *testing.T, s storage.Outbox, id string, at time.Time, sendErr string) {
	t.Helper()
	if err := s.MarkSent(t.Context(), id, at, sendErr); err != nil {
		t.Fatalf("MarkSent(%s, %q): %v", id, sendErr, err)
	}
}

func mustSent(t *testing.T, s storage.Outbox, since time.Time) []storage.OutboxMessage {
	t.Helper()
	ms, err := s.Sent(t.Context(), since)
	if err != nil {
		t.Fatalf("Sent(%v): %v", since, err)
	}
	return ms
}

func mustClaim(t *testing.T, s storage.Outbox, key string, at time.Time, msgs ...storage.OutboxMessage) bool {
	t.Helper()
	ok, err := s.ClaimReminder(t.Context(), key, at, msgs)
	if err != nil {
		t.Fatalf("ClaimReminder(%s): %v", key, err)
	}
	return ok
}
