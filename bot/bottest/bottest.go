// Package bottest runs messages through a real Router and Outbox for tests, as `innobot run`
// and the simulator do, and records what would have been sent.
package bottest

import (
	"bytes"
	"context"
	"log/slog"
	"sync"
	"testing"
	"time"

	"innobot/bot"
	"innobot/storage"
)

// DeadlockGuard bounds a test's wait on the router: it only turns a hang into a failure, no
// test waits on it for correctness.
const DeadlockGuard = 10 * time.Second

// Log collects what is logged under test, safe for concurrent writers (the router's
// goroutines, a transport's).
type Log struct {
	mu sync.Mutex
	b  bytes.Buffer
}

// Write appends p.
func (l *Log) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

// String is everything logged so far.
func (l *Log) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// NewLog returns a logger of every level into a Log.
func NewLog() (*slog.Logger, *Log) {
	buf := &Log{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// Sender records every message it is asked to send. Fail, when set, decides which sends
// fail, and OnSend runs before a message is recorded.
type Sender struct {
	Fail   func(bot.Outgoing) error
	OnSend func(bot.Outgoing)

	mu   sync.Mutex
	sent []bot.Outgoing
}

// Send records out.
func (s *Sender) Send(_ context.Context, out bot.Outgoing) error {
	if s.OnSend != nil {
		s.OnSend(out)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, out)
	if s.Fail != nil {
		return s.Fail(out)
	}
	return nil
}

// All returns what was sent, in order.
func (s *Sender) All() []bot.Outgoing {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]bot.Outgoing(nil), s.sent...)
}

// Texts returns the texts of what was sent, in order.
func (s *Sender) Texts() []string { return Texts(s.All()) }

// Store is the store a Chat runs over.
type Store interface {
	bot.AnswerStore
	storage.Outbox
}

// Chat runs messages through a Router over a store and sends what they queued through an
// Outbox into a Sender: Deliver returns what went out.
type Chat struct {
	Router *bot.Router
	Outbox *bot.Outbox
	Sender *Sender
	Log    *Log

	t testing.TB
}

// NewChat returns a Chat that serves h; clock may be nil (the wall clock).
func NewChat(t testing.TB, store Store, h bot.Handler, clock bot.Clock) *Chat {
	log, buf := NewLog()
	s := &Sender{}
	c := &Chat{t: t, Sender: s, Log: buf,
		Outbox: &bot.Outbox{Store: store, Transport: s, Clock: clock, Log: log},
		Router: &bot.Router{Handler: h, Store: store, Clock: clock, Fallback: s, Log: log},
	}
	t.Cleanup(c.Router.Wait)
	return c
}

// Deliver hands m to the router, waits until it is handled, sends what is queued and returns
// what was sent meanwhile.
func (c *Chat) Deliver(m bot.Message) []bot.Outgoing {
	c.t.Helper()
	before := len(c.Sender.All())
	Wait(c.t, c.Router.Deliver(c.t.Context(), m))
	if _, err := c.Outbox.Flush(c.t.Context()); err != nil {
		c.t.Fatalf("outbox: %v", err)
	}
	return c.Sender.All()[before:]
}

// Wait waits for a channel of Router.Deliver, failing the test if it never closes.
func Wait(t testing.TB, done <-chan struct{}) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(DeadlockGuard):
		t.Fatal("message not handled: Deliver's channel never closed")
	}
}

// InChat reports whether o goes to the chat m came from.
func InChat(m bot.Message, o bot.Outgoing) bool {
	if m.Group != "" {
		return o.Group == m.Group && o.To == ""
	}
	return o.To == m.From && o.Group == ""
}

// Texts returns the texts of outs.
func Texts(outs []bot.Outgoing) []string {
	var out []string
	for _, o := range outs {
		out = append(out, o.Text)
	}
	return out
}

// Clock is a bot.Clock the test moves.
type Clock struct {
	mu  sync.Mutex
	now time.Time
}

// NewClock returns a Clock stopped at now.
func NewClock(now time.Time) *Clock { return &Clock{now: now} }

// Now is the time the clock was set to.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Set moves the clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = t
}

// Add moves the clock on by d.
func (c *Clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
