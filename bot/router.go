package bot

import (
	"context"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"
)

// Sender sends one message; the router uses it for every reply.
type Sender interface {
	Send(ctx context.Context, out Outgoing) error
}

// handledStore says whether a message was handled before a restart. Declared here, where it is
// used, so that any store (or a fake) fits.
type handledStore interface {
	Handled(ctx context.Context, messageID string) (bool, error)
}

// handledMarker records messages handled without a turn; a store that has it keeps WeChat's
// re-delivery after a restart from being answered twice.
type handledMarker interface {
	MarkHandled(ctx context.Context, messageID string, at time.Time) error
}

// recentIDs is how many message ids the router remembers in memory, enough for WeChat's
// re-delivery of the last sync after a hot login.
const recentIDs = 4096

// Router takes each message to its handler: messages already handled are dropped, one chat's
// messages are handled in order, different chats in parallel; replies go out after the handler
// returns.
type Router struct {
	handler Handler
	sender  Sender
	handled handledStore
	log     *slog.Logger

	mu     sync.Mutex
	queues map[string][]job
	recent map[string]bool
	ring   []string
	next   int
	wg     sync.WaitGroup
}

type job struct {
	ctx  context.Context
	m    Message
	done chan struct{}
}

// NewRouter returns a router sending h's replies with s. handled may be nil; when set, a
// message id it knows is dropped (it survives restarts).
func NewRouter(h Handler, s Sender, handled handledStore, log *slog.Logger) *Router {
	return &Router{
		handler: h, sender: s, handled: handled, log: log,
		queues: map[string][]job{},
		recent: map[string]bool{},
		ring:   make([]string, recentIDs),
	}
}

// Deliver queues a message and returns a channel closed once it is handled and its replies
// sent (or once it is dropped as a repeat).
func (r *Router) Deliver(ctx context.Context, m Message) <-chan struct{} {
	done := make(chan struct{})
	r.mu.Lock()
	if m.ID != "" {
		if r.recent[m.ID] {
			r.mu.Unlock()
			r.log.Info("dropped repeated message", "id", m.ID)
			close(done)
			return done
		}
		if old := r.ring[r.next]; old != "" {
			delete(r.recent, old)
		}
		r.ring[r.next] = m.ID
		r.next = (r.next + 1) % len(r.ring)
		r.recent[m.ID] = true
	}
	key := m.Chat()
	q, running := r.queues[key]
	r.queues[key] = append(q, job{ctx: ctx, m: m, done: done})
	if !running {
		r.wg.Add(1)
		go r.work(key)
	}
	r.mu.Unlock()
	return done
}

// Wait blocks until every queued message is handled.
func (r *Router) Wait() { r.wg.Wait() }

func (r *Router) work(key string) {
	defer r.wg.Done()
	for {
		r.mu.Lock()
		q := r.queues[key]
		if len(q) == 0 {
			delete(r.queues, key)
			r.mu.Unlock()
			return
		}
		j := q[0]
		r.queues[key] = q[1:]
		r.mu.Unlock()
		r.serve(j)
		close(j.done)
	}
}

// buffer is the Replier handed to handlers.
type buffer struct {
	m   *Message
	out []Outgoing
}

// Reply adds a text reply to the message's chat.
func (b *buffer) Reply(text string) {
	b.out = append(b.out, Outgoing{To: b.to(), Group: b.m.Group, Text: text})
}

// ReplyFile adds a file reply to the message's chat.
func (b *buffer) ReplyFile(path string) {
	b.out = append(b.out, Outgoing{To: b.to(), Group: b.m.Group, File: path})
}

// Send adds a message to another chat.
func (b *buffer) Send(out Outgoing) { b.out = append(b.out, out) }

func (b *buffer) to() string {
	if b.m.Group != "" {
		return ""
	}
	return b.m.From
}

// busyText is the reply when something failed on our side; the person only needs to retry.
const busyText = "系统繁忙，请稍后再试。您之前已确认的答案都已保存。"

func (r *Router) serve(j job) {
	m := j.m
	if m.ID != "" && r.handled != nil {
		seen, err := r.handled.Handled(j.ctx, m.ID)
		if err != nil {
			r.log.Error("checking message id", "id", m.ID, "err", err)
		} else if seen {
			r.log.Info("dropped message handled before restart", "id", m.ID)
			return
		}
	}
	b := &buffer{m: &m}
	func() {
		defer func() {
			if p := recover(); p != nil {
				r.log.Error("handler panic", "chat", m.Chat(), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
				b.out = nil
				b.Reply(busyText)
			}
		}()
		r.handler.ServeMessage(j.ctx, b, &m)
	}()
	r.markHandled(j.ctx, m)
	for _, out := range b.out {
		if err := r.sender.Send(j.ctx, out); err != nil {
			r.log.Error("sending reply", "to", out.To, "group", out.Group, "err", err)
		}
	}
}

// markHandled records a message whose handling committed no turn (a query, a refused code),
// before its replies go out, as a turn's commit comes before its acknowledgement.
func (r *Router) markHandled(ctx context.Context, m Message) {
	marker, ok := r.handled.(handledMarker)
	if m.ID == "" || !ok {
		return
	}
	seen, err := r.handled.Handled(ctx, m.ID)
	if err == nil && !seen {
		err = marker.MarkHandled(ctx, m.ID, m.Time)
	}
	if err != nil {
		r.log.Error("recording message id", "id", m.ID, "err", err)
	}
}
