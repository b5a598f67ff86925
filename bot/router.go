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
	// Fallback sends straight away what the person must hear when the store cannot take the
	// answer before the deadline (it is down or hung): rather than nothing, the replies of a
	// handler that changed nothing, or, for a message whose handling failed, a reply that
	// claims nothing about what is stored (unsureText). Nil drops them.
	Fallback Sender
	// Deadline bounds the handling of one message, from the moment the router starts on it
	// until its answer is stored or, the store failing, sent: the person hears something
	// within it, whatever the store does. The first half is the handler's (its reads and
	// writes), the rest is for storing the answer, which settles a write whose outcome is
	// unknown (see settle). Zero means DefaultDeadline.
	Deadline time.Duration
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

// DefaultDeadline is Router.Deadline when none is set: a person who typed an answer should
// hear within about a second or two whether it was taken.
const DefaultDeadline = 2 * time.Second

// busyText is the reply to a message whose handling failed on our side (fail). It says the
// message was not handled, which the router makes true: the reply is stored with the message
// marked handled only if no write of the handler stored the message first, and once it is
// stored no such write can (see settle).
const busyText = "系统繁忙，刚才这条消息没有处理，请稍后再发一次。"

// unsureText replaces busyText when the store cannot settle a failed message before the
// deadline: a write of the handler may have landed or may still land, so the person is told
// how to find out instead. A write that landed queued its own replies, which the outbox sends
// once the store answers again.
const unsureText = "系统繁忙，还不能确定刚才这条消息是否已处理：几分钟内收到对它的回复就是已处理；没有收到，请再发一次。"

type turnKey struct{}

// TurnFrom returns what the router read of a message's sender before its handler ran.
func TurnFrom(ctx context.Context) storage.TurnState {
	st, _ := ctx.Value(turnKey{}).(storage.TurnState)
	return st
}

func (r *Router) serve(j job) {
	m := j.m
	deadline := r.Deadline
	if deadline <= 0 {
		deadline = DefaultDeadline
	}
	answering, stop := context.WithTimeout(j.ctx, deadline)
	defer stop()
	handling, stopHandling := context.WithTimeout(answering, deadline/2)
	defer stopHandling()
	b := r.newBuffer(&m)
	st, err := r.Store.LoadTurn(handling, m.From, m.ID)
	switch {
	case err != nil:
		r.fail(b, &m, fmt.Errorf("load turn: %w", err))
	case st.Handled:
		r.log().Info("dropped message handled before", "id", m.ID)
		return
	default:
		if err := r.handle(context.WithValue(handling, turnKey{}, st), b, &m); err != nil {
			r.fail(b, &m, err)
		}
	}
	stopHandling()
	if !b.answered {
		if err := r.settle(answering, b.Answer()); err != nil {
			r.log().Error("storing the answer of a message", "id", m.ID, "err", err)
			r.sendNow(j.ctx, b.unstored())
			return
		}
	}
	if r.Queued != nil {
		r.Queued()
	}
}

// settle stores the answer of a message whose handler did not store it, trying again until
// ctx ends. The write is conditional (storage.Answer): it stores nothing when the message is
// handled already. That is what settles a handler's write whose outcome is unknown, such as a
// turn whose commit reached Redis while the client timed out: if that write landed, this one
// stores nothing, and the outbox sends the replies the landed write queued, the answer of what
// happened ("已记：…" and the next question); if it did not, the busy reply is stored with the
// message marked handled, and the handler's write can no longer land, even one still on its
// way to the store, since every write made for a message writes nothing once the message is
// handled. A read of the handled mark could not settle it so: a write still on its way could
// land after the read.
func (r *Router) settle(ctx context.Context, a storage.Answer) error {
	backoff := 20 * time.Millisecond
	for {
		err := r.Store.Answer(ctx, a)
		if err == nil || ctx.Err() != nil {
			return err
		}
		t := time.NewTimer(backoff)
		select {
		case <-ctx.Done():
			t.Stop()
			return err
		case <-t.C:
		}
		backoff = min(2*backoff, 320*time.Millisecond)
	}
}

// handle runs the handler; a panic fails the message like an error.
func (r *Router) handle(ctx context.Context, b *buffer, m *Message) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("handler panic: %v\n%s", p, debug.Stack())
		}
	}()
	return r.Handler.ServeMessage(ctx, b, m)
}

// fail is the one place a message whose handling failed on our side ends up: the operator
// reads the error in the log, once, with who sent the message; the person hears busyText in
// place of whatever the handler had replied, unless the handler's own write stored its answer
// already.
func (r *Router) fail(b *buffer, m *Message, err error) {
	r.log().Error("handling a message failed", "id", m.ID, "contact", m.From, "group", m.Group, "err", err)
	if b.answered {
		return
	}
	b.Reset()
	b.Reply(busyText)
	b.failed = true
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
	failed   bool // the handling failed on our side: busyText is the reply
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
func (b *buffer) Reset() { b.out, b.failed = nil, false }

// unstored is what to send straight away when the answer could not be stored: the replies,
// when the handler changed nothing; unsureText alone when its handling failed, since whether
// a write of it landed is not known.
func (b *buffer) unstored() []Outgoing {
	if b.failed {
		return []Outgoing{{To: b.to(), Group: b.m.Group, Text: unsureText}}
	}
	return b.out
}

func (b *buffer) to() string {
	if b.m.Group != "" {
		return ""
	}
	return b.m.From
}
