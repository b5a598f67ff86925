package bot_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"innobot/bot"
	"innobot/storage"
	"innobot/storage/bolt"
)

// deadlockGuard only turns a hang into a failure; no test waits on it for correctness.
const deadlockGuard = 10 * time.Second

// syncBuffer is a bytes.Buffer safe for the router's goroutines to log into.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func newLog() (*slog.Logger, *syncBuffer) {
	buf := &syncBuffer{}
	return slog.New(slog.NewTextHandler(buf, &slog.HandlerOptions{Level: slog.LevelDebug})), buf
}

// recSender records every message it is asked to send; fail, when set, decides which sends
// fail, and onSend runs before a message is recorded.
type recSender struct {
	mu     sync.Mutex
	sent   []bot.Outgoing
	fail   func(bot.Outgoing) error
	onSend func(bot.Outgoing)
}

func (s *recSender) Send(_ context.Context, out bot.Outgoing) error {
	if s.onSend != nil {
		s.onSend(out)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.sent = append(s.sent, out)
	if s.fail != nil {
		return s.fail(out)
	}
	return nil
}

func (s *recSender) all() []bot.Outgoing {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]bot.Outgoing(nil), s.sent...)
}

func (s *recSender) texts() []string {
	var out []string
	for _, o := range s.all() {
		out = append(out, o.Text)
	}
	return out
}

// calls counts handler calls by message id.
type calls struct {
	mu  sync.Mutex
	ids []string
}

func (c *calls) add(id string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.ids = append(c.ids, id)
}

func (c *calls) list() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.ids...)
}

// echo is a handler that records the message and replies with its text.
func echo(c *calls) bot.Handler {
	return bot.HandlerFunc(func(_ context.Context, w bot.Replier, m *bot.Message) {
		c.add(m.ID)
		w.Reply(m.Text)
	})
}

func wait(t *testing.T, done <-chan struct{}) {
	t.Helper()
	select {
	case <-done:
	case <-time.After(deadlockGuard):
		t.Fatal("message not handled: Deliver's channel never closed")
	}
}

func msg(id, from, text string) bot.Message {
	return bot.Message{ID: id, From: from, Kind: bot.KindText, Text: text}
}

func TestRouterDropsRepeatedID(t *testing.T) {
	tests := []struct {
		name string
		ids  []string
		want []string // handler calls
	}{
		{"same id twice", []string{"m1", "m1"}, []string{"m1"}},
		{"same id three times among others", []string{"m1", "m2", "m1", "m3", "m1"}, []string{"m1", "m2", "m3"}},
		{"no id is never deduplicated", []string{"", ""}, []string{"", ""}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &calls{}
			s := &recSender{}
			log, _ := newLog()
			r := bot.NewRouter(echo(c), s, nil, log)
			for _, id := range tt.ids {
				wait(t, r.Deliver(t.Context(), msg(id, "张三", "text-"+id)))
			}
			r.Wait()
			if got := c.list(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("handled %q, want %q", got, tt.want)
			}
			if got := len(s.all()); got != len(tt.want) {
				t.Errorf("sent %d replies, want %d", got, len(tt.want))
			}
		})
	}
}

// A repeat delivered while the first copy is still being handled is dropped too, and its
// channel closes without waiting for the first.
func TestRouterDropsRepeatWhileFirstRuns(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	c := &calls{}
	h := bot.HandlerFunc(func(_ context.Context, w bot.Replier, m *bot.Message) {
		c.add(m.ID)
		close(entered)
		<-release
	})
	log, _ := newLog()
	r := bot.NewRouter(h, &recSender{}, nil, log)
	first := r.Deliver(t.Context(), msg("m1", "张三", "a"))
	<-entered
	wait(t, r.Deliver(t.Context(), msg("m1", "张三", "a")))
	close(release)
	wait(t, first)
	if got, want := c.list(), []string{"m1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("handled %q, want %q", got, want)
	}
}

// handledFake answers Handled from a set, or with an error.
type handledFake struct {
	ids map[string]bool
	err error
}

func (f handledFake) Handled(_ context.Context, id string) (bool, error) {
	return f.ids[id], f.err
}

func TestRouterDropsIDHandledBeforeRestart(t *testing.T) {
	store, err := bolt.Open(filepath.Join(t.TempDir(), "innobot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	// A committed turn records its message id, as the survey does.
	err = store.CommitTurn(t.Context(), storage.Turn{
		MessageID: "m-committed", At: time.Now(),
		Session: storage.Session{ContactID: "张三", State: "filling"},
	})
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name    string
		handled interface {
			Handled(context.Context, string) (bool, error)
		}
		ids  []string
		want []string
	}{
		{"bolt store after a committed turn", store, []string{"m-committed", "m-new"}, []string{"m-new"}},
		{"fake", handledFake{ids: map[string]bool{"old": true}}, []string{"old", "new", "old"}, []string{"new"}},
		// A failing check must not swallow the message: it is handled (and the error logged).
		{"check fails", handledFake{err: errors.New("disk on fire")}, []string{"x"}, []string{"x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &calls{}
			s := &recSender{}
			log, buf := newLog()
			r := bot.NewRouter(echo(c), s, tt.handled, log)
			for _, id := range tt.ids {
				wait(t, r.Deliver(t.Context(), msg(id, "张三", "text-"+id)))
			}
			if got := c.list(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("handled %q, want %q", got, tt.want)
			}
			if got := len(s.all()); got != len(tt.want) {
				t.Errorf("sent %d replies, want %d: a dropped message gets no reply", got, len(tt.want))
			}
			if f, ok := tt.handled.(handledFake); ok && f.err != nil && !strings.Contains(buf.String(), "disk on fire") {
				t.Errorf("the failed check is not logged; log:\n%s", buf)
			}
		})
	}
}

// event is a handler starting or ending a message.
type events struct {
	mu  sync.Mutex
	got []string
}

func (e *events) add(s string) {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.got = append(e.got, s)
}

func (e *events) list() []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]string(nil), e.got...)
}

// One chat's messages are handled one after another in the order delivered, even when the
// first is slow; meanwhile another chat is served.
func TestRouterOrdersOneChat(t *testing.T) {
	ev := &events{}
	slowEntered, release := make(chan struct{}), make(chan struct{})
	h := bot.HandlerFunc(func(_ context.Context, w bot.Replier, m *bot.Message) {
		ev.add("start " + m.Chat() + " " + m.Text)
		if m.Text == "slow" {
			close(slowEntered)
			<-release
		}
		ev.add("end " + m.Chat() + " " + m.Text)
		w.Reply(m.Text)
	})
	s := &recSender{}
	log, _ := newLog()
	r := bot.NewRouter(h, s, nil, log)
	ctx := t.Context()

	var done []<-chan struct{}
	done = append(done, r.Deliver(ctx, msg("a1", "张三", "slow")))
	<-slowEntered
	for i, text := range []string{"2", "3", "4"} {
		done = append(done, r.Deliver(ctx, msg(fmt.Sprintf("a%d", i+2), "张三", text)))
	}
	// Another chat goes through while 张三's first message is still being handled.
	wait(t, r.Deliver(ctx, msg("b1", "李四", "other")))
	if got, want := ev.list(), []string{"start /张三 slow", "start /李四 other", "end /李四 other"}; !reflect.DeepEqual(got, want) {
		t.Errorf("while 张三's first message is handled, events are %q, want %q", got, want)
	}
	for _, d := range done[1:] {
		select {
		case <-d:
			t.Fatal("a later message of the chat finished before the slow first one")
		default:
		}
	}
	close(release)
	for _, d := range done {
		wait(t, d)
	}
	r.Wait()

	var zhang []string
	for _, e := range ev.list() {
		if strings.Contains(e, "/张三 ") {
			zhang = append(zhang, e)
		}
	}
	want := []string{
		"start /张三 slow", "end /张三 slow", "start /张三 2", "end /张三 2",
		"start /张三 3", "end /张三 3", "start /张三 4", "end /张三 4",
	}
	if !reflect.DeepEqual(zhang, want) {
		t.Errorf("张三's messages ran as %q, want %q", zhang, want)
	}
	if got, want := s.texts(), []string{"other", "slow", "2", "3", "4"}; !reflect.DeepEqual(got, want) {
		t.Errorf("replies sent %q, want %q", got, want)
	}
}

// Different chats run at the same time: each handler waits for the other to have started, which
// only finishes when both run at once.
func TestRouterRunsChatsInParallel(t *testing.T) {
	tests := []struct {
		name string
		a, b bot.Message
	}{
		{"two contacts", msg("a", "张三", "x"), msg("b", "李四", "y")},
		{"two people in one group",
			bot.Message{ID: "a", From: "张三", Group: "g1", Kind: bot.KindText},
			bot.Message{ID: "b", From: "李四", Group: "g1", Kind: bot.KindText}},
		{"one person, private and group",
			bot.Message{ID: "a", From: "张三", Kind: bot.KindText},
			bot.Message{ID: "b", From: "张三", Group: "g1", Kind: bot.KindText}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			started := map[string]chan struct{}{tt.a.ID: make(chan struct{}), tt.b.ID: make(chan struct{})}
			other := map[string]string{tt.a.ID: tt.b.ID, tt.b.ID: tt.a.ID}
			overlapped := make(chan string, 2)
			h := bot.HandlerFunc(func(_ context.Context, w bot.Replier, m *bot.Message) {
				close(started[m.ID])
				select {
				case <-started[other[m.ID]]:
					overlapped <- m.ID
				case <-time.After(deadlockGuard):
				}
			})
			log, _ := newLog()
			r := bot.NewRouter(h, &recSender{}, nil, log)
			da := r.Deliver(t.Context(), tt.a)
			db := r.Deliver(t.Context(), tt.b)
			wait(t, da)
			wait(t, db)
			if len(overlapped) != 2 {
				t.Fatalf("%d of 2 handlers saw the other running: chats %q and %q were not handled in parallel",
					len(overlapped), tt.a.Chat(), tt.b.Chat())
			}
		})
	}
}

// Replies are buffered while the handler runs and sent, in order, after it returns, each to the
// chat the message came from.
func TestRouterSendsRepliesAfterHandlerReturns(t *testing.T) {
	tests := []struct {
		name string
		m    bot.Message
		want []bot.Outgoing
	}{
		{"private", bot.Message{ID: "1", From: "张三", Kind: bot.KindText}, []bot.Outgoing{
			{To: "张三", Text: "一"},
			{To: "张三", File: "/data/台账.xlsx"},
			{To: "王五", Text: "转告"},
			{To: "张三", Text: "二"},
		}},
		{"group", bot.Message{ID: "2", From: "张三", Group: "g1", Kind: bot.KindText}, []bot.Outgoing{
			{Group: "g1", Text: "一"},
			{Group: "g1", File: "/data/台账.xlsx"},
			{To: "王五", Text: "转告"},
			{Group: "g1", Text: "二"},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &recSender{}
			var early []bot.Outgoing
			h := bot.HandlerFunc(func(_ context.Context, w bot.Replier, m *bot.Message) {
				w.Reply("一")
				early = append(early, s.all()...)
				w.ReplyFile("/data/台账.xlsx")
				w.Send(bot.Outgoing{To: "王五", Text: "转告"})
				early = append(early, s.all()...)
				w.Reply("二")
				early = append(early, s.all()...)
			})
			log, _ := newLog()
			r := bot.NewRouter(h, s, nil, log)
			wait(t, r.Deliver(t.Context(), tt.m))
			if len(early) != 0 {
				t.Errorf("sent while the handler was running: %+v", early)
			}
			if got := s.all(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("sent\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

func TestRouterRecoversFromPanic(t *testing.T) {
	h := bot.HandlerFunc(func(_ context.Context, w bot.Replier, m *bot.Message) {
		w.Reply("half an answer: " + m.Text)
		if strings.HasPrefix(m.Text, "boom") {
			panic("handler bug")
		}
	})
	s := &recSender{}
	log, buf := newLog()
	r := bot.NewRouter(h, s, nil, log)
	ctx := t.Context()
	wait(t, r.Deliver(ctx, msg("1", "张三", "boom")))
	wait(t, r.Deliver(ctx, msg("2", "张三", "next")))
	wait(t, r.Deliver(ctx, bot.Message{ID: "3", From: "李四", Group: "g1", Kind: bot.KindText, Text: "boom in a group"}))
	wait(t, r.Deliver(ctx, msg("4", "李四", "still here")))

	got := s.all()
	if len(got) != 4 {
		t.Fatalf("sent %d messages, want 4: %+v", len(got), got)
	}
	for i, want := range []struct{ to, group, text string }{
		{"张三", "", "系统繁忙"},
		{"张三", "", "half an answer: next"},
		{"", "g1", "系统繁忙"},
		{"李四", "", "half an answer: still here"},
	} {
		if got[i].To != want.to || got[i].Group != want.group || !strings.Contains(got[i].Text, want.text) {
			t.Errorf("message %d = %+v, want to %q group %q with %q", i, got[i], want.to, want.group, want.text)
		}
		if i%2 == 0 && strings.Contains(got[i].Text, "half an answer") {
			t.Errorf("message %d: a panicking handler's partial replies were sent: %q", i, got[i].Text)
		}
	}
	if !strings.Contains(buf.String(), "handler bug") {
		t.Errorf("the panic is not logged; log:\n%s", buf)
	}
}

func TestRouterLogsSendErrorAndGoesOn(t *testing.T) {
	s := &recSender{fail: func(o bot.Outgoing) error {
		if o.Text == "a" {
			return errors.New("wechat said no")
		}
		return nil
	}}
	h := bot.HandlerFunc(func(_ context.Context, w bot.Replier, m *bot.Message) {
		for _, r := range strings.Fields(m.Text) {
			w.Reply(r)
		}
	})
	log, buf := newLog()
	r := bot.NewRouter(h, s, nil, log)
	wait(t, r.Deliver(t.Context(), msg("1", "张三", "a b")))
	wait(t, r.Deliver(t.Context(), msg("2", "张三", "c")))
	wait(t, r.Deliver(t.Context(), msg("3", "李四", "d")))
	if got, want := s.texts(), []string{"a", "b", "c", "d"}; !reflect.DeepEqual(got, want) {
		t.Errorf("send attempts %q, want %q", got, want)
	}
	if !strings.Contains(buf.String(), "wechat said no") || !strings.Contains(buf.String(), "level=ERROR") {
		t.Errorf("the send error is not logged as an error; log:\n%s", buf)
	}
}

// Deliver's channel closes only once every reply has been sent.
func TestRouterDeliverClosesAfterSend(t *testing.T) {
	entered, release := make(chan struct{}, 2), make(chan struct{})
	s := &recSender{onSend: func(bot.Outgoing) {
		entered <- struct{}{}
		<-release
	}}
	h := bot.HandlerFunc(func(_ context.Context, w bot.Replier, m *bot.Message) {
		w.Reply("one")
		w.Reply("two")
	})
	log, _ := newLog()
	r := bot.NewRouter(h, s, nil, log)
	done := r.Deliver(t.Context(), msg("1", "张三", "hi"))
	<-entered // the first send is under way, blocked
	select {
	case <-done:
		t.Fatal("Deliver's channel closed while a reply was still being sent")
	default:
	}
	release <- struct{}{}
	<-entered // the second send
	select {
	case <-done:
		t.Fatal("Deliver's channel closed before the last reply was sent")
	default:
	}
	close(release)
	wait(t, done)
	if got, want := s.texts(), []string{"one", "two"}; !reflect.DeepEqual(got, want) {
		t.Errorf("sent %q, want %q", got, want)
	}
	r.Wait()
}
