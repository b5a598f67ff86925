// Package bot is innobot's transport-neutral core: the Message a transport delivers, the
// Transport that carries messages for one account, the Router that takes each message to its
// handler, in the manner of net/http's Handler and ServeMux, and the Outbox that sends what
// handlers queued at the account's pace. What the bot says lives in package assistant.
package bot

import (
	"context"
	"time"

	"innobot/storage"
)

// Kind says what a message holds; text is understood, the other kinds get a short reply that
// says what to do instead.
type Kind string

// Message kinds.
const (
	KindText  Kind = "text"
	KindImage Kind = "image" // a picture
	KindVoice Kind = "voice" // a voice message
	KindFile  Kind = "file"  // a document; Message.File holds it
	// KindRecall: the sender recalled (撤回) an earlier message. What that message did stays
	// done: an answer it gave is recorded.
	KindRecall Kind = "recall"
	KindOther  Kind = "other" // sticker, video, link, location…
)

// File is a document received with a message (KindFile).
type File struct {
	// Name is the file's name as the sender sent it, e.g. 附件3.xlsx.
	Name string
	// Path is where the transport saved it, for the handler to read; empty when the file was
	// not fetched (larger than the transport takes, or the download failed).
	Path string
	// Size is the size the sender's client announced, in bytes.
	Size int64
}

// Message is one incoming message.
type Message struct {
	// ID is the transport's message id, used to handle a message delivered twice once.
	ID string
	// From is the sender's stable contact id (the transport owns the mapping from its own
	// identities); FromName is a display name, never a source of rights.
	From     string
	FromName string
	// Group is the group chat's stable id, empty for a private chat; GroupName its name.
	Group     string
	GroupName string
	// Mentioned is true when a group message @-mentions the bot.
	Mentioned bool
	Kind      Kind
	Text      string
	// File is the document of a KindFile message, nil for every other kind.
	File *File
	Time time.Time
}

// Chat is the key that orders messages: one contact in one chat.
func (m *Message) Chat() string { return m.Group + "/" + m.From }

// Outgoing is one message to send: text or a file, to a contact or a group.
type Outgoing struct {
	To    string // contact id; empty when Group is set
	Group string // group id
	Text  string
	File  string // path of a file to send under its own name
}

// Deliver hands a received message on; the channel closes once it is handled (its replies
// queued in the outbox). A transport that has nothing to wait for ignores it.
type Deliver func(Message) <-chan struct{}

// Transport carries messages for one bot account.
type Transport interface {
	// Run receives messages until ctx ends, the input ends or the transport fails, handing
	// each to deliver.
	Run(ctx context.Context, deliver Deliver) error
	// Send sends one message.
	Send(ctx context.Context, out Outgoing) error
}

// Handler answers a message. It writes its replies to w; they are stored with the message's
// answer (storage.Answer) after it returns, or by its own write, and sent from the outbox, so
// a reply that acknowledges an answer never goes out before the answer is stored.
//
// A handler that fails on our side (the store, a file) returns the error and leaves the
// person to the Router: it logs the error and replies 系统繁忙 in place of whatever the handler
// had replied. A person's mistake is no error: the handler tells them what to do.
type Handler interface {
	ServeMessage(ctx context.Context, w Replier, m *Message) error
}

// HandlerFunc adapts a function to a Handler.
type HandlerFunc func(ctx context.Context, w Replier, m *Message) error

// ServeMessage calls f.
func (f HandlerFunc) ServeMessage(ctx context.Context, w Replier, m *Message) error {
	return f(ctx, w, m)
}

// Replier collects a handler's replies to the chat the message came from, and notices to
// others: the message's answer.
type Replier interface {
	// Reply adds a text reply.
	Reply(text string)
	// ReplyFile adds a file reply.
	ReplyFile(path string)
	// Send adds a message to another chat, such as telling a replaced liaison.
	Send(out Outgoing)
	// Answer is the message's answer as it stands: its id and the replies so far, as outbox
	// messages. A handler whose own write changes something (a survey turn, a binding) stores
	// the answer with that write, in the same transaction, and then calls Answered.
	Answer() storage.Answer
	// Answered says the handler's write stored the answer: the router stores nothing more.
	Answered()
	// Reset drops the replies so far: a turn run again after a conflict, a write that failed.
	Reset()
}

// Middleware wraps a Handler, as net/http middleware wraps an http.Handler.
type Middleware func(Handler) Handler

// Chain wraps h in the middleware, listed outermost first: a message passes them in the order
// they are written, then reaches h.
func Chain(h Handler, mw ...Middleware) Handler {
	for i := len(mw) - 1; i >= 0; i-- {
		h = mw[i](h)
	}
	return h
}

// Clock tells the time. The simulator and tests move it; nothing reads time.Now deep inside.
type Clock interface{ Now() time.Time }

// ClockFunc adapts a function to a Clock.
type ClockFunc func() time.Time

// Now calls f.
func (f ClockFunc) Now() time.Time { return f() }
