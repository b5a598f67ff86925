package bot

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"time"

	"innobot/storage"
)

// Sender sends one message.
type Sender interface {
	Send(ctx context.Context, out Outgoing) error
}

// AnswerStore is what the router reads and writes for a message: one read before the handler
// runs (whether the message was handled before, and what is stored of its sender), and, when
// the handler's own write did not store the message's answer, one write of it.
type AnswerStore interface {
	LoadTurn(ctx context.Context, contactID, messageID string) (storage.TurnState, error)
	Answer(ctx context.Context, a storage.Answer) error
}

// ReplySource is the Source of the outbox messages that answer a message (storage.OutboxMessage).
const ReplySource = "reply"

// Router takes each message to its handler, in the manner of net/http's ServeMux: one chat's
// messages are handled in order, different chats in parallel. For each message it reads the
// store once (LoadTurn: a message handled before is dropped there, whatever time the
// transport stamped on it), runs the handler with what it read (TurnFrom), and stores the
// message's answer (the handled mark and the replies, queued in the outbox) unless the
// handler's own write stored it. The outbox sends the replies; Queued wakes it.
//
// Set the fields before the first Deliver and do not change them after.
type Router struct {
	Handler Handler
	Store   AnswerStore
	// Account is the bot account the messages came to; the replies go out through it.
	Account string
	Clock   Clock
	// Queued, when set, is called after each message whose answer was stored: it wakes the
	// outbox, so that a reply goes out at once rather than at the next poll.
	Queued func()
	// Fallback sends the replies straight away when the store cannot take the answer (it is
	// down): the person hears 系统繁忙 rather than nothing. Nil drops them.
	Fallback Sender
	Log      *slog.Logger

	mu     sync.Mutex
	queues map[string][]job
	wg     sync.WaitGroup
}

type job struct {
	ctx  context.Context
	m    Message
	done chan struct{}
}

// Deliver queues a message and returns a channel closed once it is handled: its answer
// stored (or, the store being down, its replies sent), or the message dropped as a repeat.
func (r *Router) Deliver(ctx context.Context, m Message) <-chan struct{} {
	done := make(chan struct{})
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.queues == nil {
		r.queues = map[string][]job{}
	}
	key := m.Chat()
	q, running := r.queues[key]
	r.queues[key] = append(q, job{ctx: ctx, m: m, done: done})
	if !running {
		r.wg.Add(1)
		go r.work(key)
	}
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

func (r *Router) log() *slog.Logger {
	if r.Log == nil {
		return slog.Default()
	}
	return r.Log
}

// busyText is the reply when something failed on our side; the person only needs to retry.
const busyText = "系统繁忙，请稍后再试。您之前已确认的答案都已保存。"

type turnKey struct{}

// TurnFrom returns what the router read of a message's sender before its handler ran.
func TurnFrom(ctx context.Context) storage.TurnState {
	st, _ := ctx.Value(turnKey{}).(storage.TurnState)
	return st
}

func (r *Router) serve(j job) {
	m := j.m
	b := r.newBuffer(&m)
	st, err := r.Store.LoadTurn(j.ctx, m.From, m.ID)
	switch {
	case err != nil:
		r.log().Error("loading the sender of a message", "id", m.ID, "err", err)
		b.Reply(busyText)
	case st.Handled:
		r.log().Info("dropped message handled before", "id", m.ID)
		return
	default:
		r.handle(context.WithValue(j.ctx, turnKey{}, st), b, &m)
	}
	if !b.answered {
		if err := r.Store.Answer(j.ctx, b.Answer()); err != nil {
			r.log().Error("storing the answer of a message", "id", m.ID, "err", err)
			r.sendNow(j.ctx, b.out)
			return
		}
	}
	if r.Queued != nil {
		r.Queued()
	}
}

// handle runs the handler; a panic becomes 系统繁忙 in place of whatever it had replied.
func (r *Router) handle(ctx context.Context, b *buffer, m *Message) {
	defer func() {
		if p := recover(); p != nil {
			r.log().Error("handler panic", "chat", m.Chat(), "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			if !b.answered {
				b.Reset()
				b.Reply(busyText)
			}
		}
	}()
	r.Handler.ServeMessage(ctx, b, m)
}

// sendNow sends replies that could not be stored.
func (r *Router) sendNow(ctx context.Context, out []Outgoing) {
	if r.Fallback == nil {
		return
	}
	for _, o := range out {
		if err := r.Fallback.Send(ctx, o); err != nil {
			r.log().Error("sending a reply", "to", o.To, "group", o.Group, "err", err)
		}
	}
}

// buffer is the Replier handed to handlers: the message's answer as it grows.
type buffer struct {
	m        *Message
	account  string
	at       time.Time
	prefix   string // of the outbox ids of the replies
	out      []Outgoing
	answered bool
}

func (r *Router) newBuffer(m *Message) *buffer {
	now := time.Now()
	if r.Clock != nil {
		now = r.Clock.Now()
	}
	id := m.ID
	if id == "" {
		var b [8]byte
		_, _ = rand.Read(b[:]) // crypto/rand does not fail on supported platforms
		id = "noid-" + hex.EncodeToString(b[:])
	}
	return &buffer{m: m, account: r.Account, at: now, prefix: ReplySource + ":" + id + ":"}
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

// Answer is the message's answer as it stands: the replies become outbox messages of the
// router's account, numbered under the message id so that storing them twice keeps one. They
// are urgent (someone is waiting: they go before queued reminders) and forgotten once sent.
func (b *buffer) Answer() storage.Answer {
	a := storage.Answer{MessageID: b.m.ID, At: b.at}
	for i, o := range b.out {
		a.Messages = append(a.Messages, storage.OutboxMessage{
			ID: fmt.Sprint(b.prefix, i+1), Account: b.account, To: o.To, Group: o.Group,
			Text: o.Text, File: o.File, Source: ReplySource, QueuedAt: b.at, Urgent: true, Forget: true,
		})
	}
	return a
}

// Answered says the handler's write stored the answer.
func (b *buffer) Answered() { b.answered = true }

// Reset drops the replies so far.
func (b *buffer) Reset() { b.out = nil }

func (b *buffer) to() string {
	if b.m.Group != "" {
		return ""
	}
	return b.m.From
}
