package bot_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"innobot/bot"
	"innobot/bot/bottest"
	"innobot/storage"
	"innobot/storage/bolt"
)

// openStore opens a bolt store in a temporary directory, closed when the test ends.
func openStore(t testing.TB) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "innobot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
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
	return bot.HandlerFunc(func(_ context.Context, w bot.Replier, m *bot.Message) error {
		c.add(m.ID)
		w.Reply(m.Text)
		return nil
	})
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
			ch := bottest.NewChat(t, openStore(t), echo(c), nil)
			sent := 0
			for _, id := range tt.ids {
				sent += len(ch.Deliver(msg(id, "张三", "text-"+id)))
			}
			if got := c.list(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("handled %q, want %q", got, tt.want)
			}
			if sent != len(tt.want) {
				t.Errorf("sent %d replies, want %d", sent, len(tt.want))
			}
		})
	}
}

// A repeat delivered while the first copy is still being handled waits behind it, as every
// message of the chat does, and is dropped then.
func TestRouterDropsRepeatWhileFirstRuns(t *testing.T) {
	entered, release := make(chan struct{}), make(chan struct{})
	c := &calls{}
	h := bot.HandlerFunc(func(_ context.Context, w bot.Replier, m *bot.Message) error {
		c.add(m.ID)
		close(entered)
		<-release
		w.Reply("ok")
		return nil
	})
	ch := bottest.NewChat(t, openStore(t), h, nil)
	first := ch.Router.Deliver(t.Context(), msg("m1", "张三", "a"))
	<-entered
	repeat := ch.Router.Deliver(t.Context(), msg("m1", "张三", "a"))
	close(release)
	bottest.Wait(t, first)
	bottest.Wait(t, repeat)
	if got, want := c.list(), []string{"m1"}; !reflect.DeepEqual(got, want) {
		t.Errorf("handled %q, want %q", got, want)
	}
}

// failingStore is a bolt store whose reads or writes of answers fail, as a store that went
// down does; answers counts the writes tried.
type failingStore struct {
	*bolt.Store
	loadErr, answerErr error
	mu                 sync.Mutex
	answers            int
	// When block is set, Answer signals entered and waits for block to close.
	entered, block chan struct{}
}

func (s *failingStore) LoadTurn(ctx context.Context, contactID, messageID string) (storage.TurnState, error) {
	if s.loadErr != nil {
		return storage.TurnState{}, s.loadErr
	}
	return s.Store.LoadTurn(ctx, contactID, messageID)
}

func (s *failingStore) Answer(ctx context.Context, a storage.Answer) error {
	s.mu.Lock()
	s.answers++
	s.mu.Unlock()
	if s.block != nil {
		close(s.entered)
		<-s.block
	}
	if s.answerErr != nil {
		return s.answerErr
	}
	return s.Store.Answer(ctx, a)
}

// A message handled before a restart (its turn or its answer stored) is dropped whatever its
// time; a store that cannot be read gets the person 系统繁忙, not silence.
func TestRouterDropsIDHandledBeforeRestart(t *testing.T) {
	store := openStore(t)
	err := store.CommitTurn(t.Context(), storage.Turn{
		Answer:  storage.Answer{MessageID: "m-committed", At: time.Now()},
		Session: storage.Session{ContactID: "张三", State: "filling"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Answer(t.Context(), storage.Answer{MessageID: "m-answered"}); err != nil {
		t.Fatal(err)
	}
	c := &calls{}
	ch := bottest.NewChat(t, store, echo(c), nil)
	var sent []bot.Outgoing
	for _, id := range []string{"m-committed", "m-new", "m-answered"} {
		m := msg(id, "张三", "text-"+id)
		m.Time = time.Now().Add(time.Hour) // delivered again with another time
		sent = append(sent, ch.Deliver(m)...)
	}
	if got, want := c.list(), []string{"m-new"}; !reflect.DeepEqual(got, want) {
		t.Errorf("handled %q, want %q", got, want)
	}
	if got, want := bottest.Texts(sent), []string{"text-m-new"}; !reflect.DeepEqual(got, want) {
		t.Errorf("sent %q, want %q: a dropped message gets no reply", got, want)
	}

	down := &failingStore{Store: openStore(t), loadErr: errors.New("disk on fire")}
	c = &calls{}
	ch = bottest.NewChat(t, down, echo(c), nil)
	got := ch.Deliver(msg("x", "张三", "text"))
	if len(c.list()) != 0 || len(got) != 1 || !strings.Contains(got[0].Text, "系统繁忙") {
		t.Errorf("with the store unreadable: handled %q, sent %+v; want 系统繁忙 only", c.list(), got)
	}
	if !strings.Contains(ch.Log.String(), "disk on fire") {
		t.Errorf("the failed read is not logged; log:\n%s", ch.Log)
	}
}

// events records handlers starting and ending messages.
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
	h := bot.HandlerFunc(func(_ context.Context, w bot.Replier, m *bot.Message) error {
		ev.add("start " + m.Chat() + " " + m.Text)
		if m.Text == "slow" {
			close(slowEntered)
			<-release
		}
		ev.add("end " + m.Chat() + " " + m.Text)
		w.Reply(m.Text)
		return nil
	})
	ch := bottest.NewChat(t, openStore(t), h, nil)
	ctx := t.Context()

	var done []<-chan struct{}
	done = append(done, ch.Router.Deliver(ctx, msg("a1", "张三", "slow")))
	<-slowEntered
	for i, text := range []string{"2", "3", "4"} {
		done = append(done, ch.Router.Deliver(ctx, msg(fmt.Sprintf("a%d", i+2), "张三", text)))
	}
	// Another chat goes through while 张三's first message is still being handled.
	bottest.Wait(t, ch.Router.Deliver(ctx, msg("b1", "李四", "other")))
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
		bottest.Wait(t, d)
	}
	ch.Router.Wait()
	if _, err := ch.Outbox.Flush(ctx); err != nil {
		t.Fatal(err)
	}

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
	var toZhang []string
	for _, o := range ch.Sender.All() {
		if o.To == "张三" {
			toZhang = append(toZhang, o.Text)
		}
	}
	if got, want := toZhang, []string{"slow", "2", "3", "4"}; !reflect.DeepEqual(got, want) || len(ch.Sender.All()) != 5 {
		t.Errorf("replies to 张三 sent %q of %q, want %q and one to 李四", got, ch.Sender.Texts(), want)
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
			h := bot.HandlerFunc(func(_ context.Context, w bot.Replier, m *bot.Message) error {
				close(started[m.ID])
				select {
				case <-started[other[m.ID]]:
					overlapped <- m.ID
				case <-time.After(bottest.DeadlockGuard):
				}
				return nil
			})
			ch := bottest.NewChat(t, openStore(t), h, nil)
			da := ch.Router.Deliver(t.Context(), tt.a)
			db := ch.Router.Deliver(t.Context(), tt.b)
			bottest.Wait(t, da)
			bottest.Wait(t, db)
			if len(overlapped) != 2 {
				t.Fatalf("%d of 2 handlers saw the other running: chats %q and %q were not handled in parallel",
					len(overlapped), tt.a.Chat(), tt.b.Chat())
			}
		})
	}
}

// Replies are collected while the handler runs and stored with the message's answer after it
// returns, in one write with the message marked handled; the outbox then sends them, in
// order, each to the chat the message came from, and Queued wakes it.
func TestRouterStoresRepliesWithTheAnswer(t *testing.T) {
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
			store := openStore(t)
			var early []storage.OutboxMessage
			h := bot.HandlerFunc(func(ctx context.Context, w bot.Replier, m *bot.Message) error {
				w.Reply("一")
				w.ReplyFile("/data/台账.xlsx")
				w.Send(bot.Outgoing{To: "王五", Text: "转告"})
				w.Reply("二")
				early, _ = store.Pending(ctx, "bot-1", 10)
				return nil
			})
			ch := bottest.NewChat(t, store, h, nil)
			ch.Router.Account, ch.Outbox.Account = "bot-1", "bot-1"
			queued := 0
			ch.Router.Queued = func() { queued++ }
			bottest.Wait(t, ch.Router.Deliver(t.Context(), tt.m))
			if len(early) != 0 || len(ch.Sender.All()) != 0 {
				t.Errorf("queued or sent while the handler was running: %+v", early)
			}
			if ok, err := store.Handled(t.Context(), tt.m.ID); err != nil || !ok || queued != 1 {
				t.Errorf("after the handler: handled %v (%v), Queued called %d times; want true, once", ok, err, queued)
			}
			pending, err := store.Pending(t.Context(), "bot-1", 10)
			if err != nil {
				t.Fatal(err)
			}
			for i, p := range pending {
				if p.Source != bot.ReplySource || p.ID != fmt.Sprintf("reply:%s:%d", tt.m.ID, i+1) {
					t.Errorf("queued message %d: id %q source %q", i, p.ID, p.Source)
				}
			}
			if _, err := ch.Outbox.Flush(t.Context()); err != nil {
				t.Fatal(err)
			}
			if got := ch.Sender.All(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("sent\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// A handler whose own write stored the answer (a survey turn) leaves nothing for the router
// to write.
func TestRouterLeavesAnAnswerStoredByItsHandler(t *testing.T) {
	store := &failingStore{Store: openStore(t)}
	h := bot.HandlerFunc(func(ctx context.Context, w bot.Replier, m *bot.Message) error {
		w.Reply("已记")
		tr := storage.Turn{Answer: w.Answer(), Session: storage.Session{ContactID: m.From}}
		if err := store.CommitTurn(ctx, tr); err != nil {
			t.Error(err)
			return nil
		}
		w.Answered()
		return nil
	})
	ch := bottest.NewChat(t, store, h, nil)
	if got := bottest.Texts(ch.Deliver(msg("m1", "张三", "5"))); !reflect.DeepEqual(got, []string{"已记"}) {
		t.Errorf("sent %q, want the reply stored with the turn", got)
	}
	if store.answers != 0 {
		t.Errorf("the router wrote %d more answers", store.answers)
	}
}

func TestRouterRecoversFromPanic(t *testing.T) {
	h := bot.HandlerFunc(func(_ context.Context, w bot.Replier, m *bot.Message) error {
		w.Reply("half an answer: " + m.Text)
		if strings.HasPrefix(m.Text, "boom") {
			panic("handler bug")
		}
		return nil
	})
	ch := bottest.NewChat(t, openStore(t), h, nil)
	var got []bot.Outgoing
	for _, m := range []bot.Message{
		msg("1", "张三", "boom"),
		msg("2", "张三", "next"),
		{ID: "3", From: "李四", Group: "g1", Kind: bot.KindText, Text: "boom in a group"},
		msg("4", "李四", "still here"),
	} {
		got = append(got, ch.Deliver(m)...)
	}
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
	if !strings.Contains(ch.Log.String(), "handler bug") {
		t.Errorf("the panic is not logged; log:\n%s", ch.Log)
	}
}

// A handler that fails on our side returns its error: the person hears 系统繁忙 in place of
// what the handler had replied, the operator reads the error once in the log with the sender,
// and the message is handled (the busy reply asks for it again). A handler whose own write
// stored its answer before it failed keeps that answer: it is what the person must hear.
func TestRouterAnswersAFailedHandlerBusy(t *testing.T) {
	store := openStore(t)
	h := bot.HandlerFunc(func(ctx context.Context, w bot.Replier, m *bot.Message) error {
		w.Reply("已记：" + m.Text)
		if m.Text == "stored" {
			if err := store.Answer(ctx, w.Answer()); err != nil {
				return err
			}
			w.Answered()
		}
		return errors.New("disk on fire")
	})
	ch := bottest.NewChat(t, store, h, nil)
	if got := bottest.Texts(ch.Deliver(msg("1", "张三", "lost"))); len(got) != 1 || !strings.HasPrefix(got[0], "系统繁忙，刚才这条消息没有处理") {
		t.Errorf("a failed handler: sent %q, want 系统繁忙 alone", got)
	}
	if got := ch.Deliver(msg("1", "张三", "lost")); len(got) != 0 {
		t.Errorf("the failed message delivered again: sent %+v, want nothing (it was answered)", got)
	}
	if got := bottest.Texts(ch.Deliver(msg("2", "张三", "stored"))); !slices.Equal(got, []string{"已记：stored"}) {
		t.Errorf("a handler that stored its answer, then failed: sent %q, want that answer", got)
	}
	log := ch.Log.String()
	if n := strings.Count(log, "disk on fire"); n != 2 || !strings.Contains(log, "contact=张三") {
		t.Errorf("want each failure logged once with its sender; log:\n%s", log)
	}
}

// When the store cannot take the answer, the replies go out straight away (the person hears
// something), the error is logged and the message is not marked handled.
func TestRouterSendsNowWhenTheStoreIsDown(t *testing.T) {
	store := &failingStore{Store: openStore(t), answerErr: errors.New("redis went away")}
	h := bot.HandlerFunc(func(_ context.Context, w bot.Replier, m *bot.Message) error {
		for _, r := range strings.Fields(m.Text) {
			w.Reply(r)
		}
		return nil
	})
	ch := bottest.NewChat(t, store, h, nil)
	if got := bottest.Texts(ch.Deliver(msg("1", "张三", "a b"))); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("sent %q, want the replies straight away", got)
	}
	if !strings.Contains(ch.Log.String(), "redis went away") || !strings.Contains(ch.Log.String(), "level=ERROR") {
		t.Errorf("the failed write is not logged as an error; log:\n%s", ch.Log)
	}
	if ok, _ := store.Handled(t.Context(), "1"); ok {
		t.Error("a message whose answer was not stored is marked handled")
	}
}

// Deliver's channel closes only once the answer is stored.
func TestRouterDeliverClosesAfterTheAnswerIsStored(t *testing.T) {
	store := &failingStore{Store: openStore(t), entered: make(chan struct{}), block: make(chan struct{})}
	ch := bottest.NewChat(t, store, echo(&calls{}), nil)
	done := ch.Router.Deliver(t.Context(), msg("1", "张三", "hi"))
	bottest.Wait(t, store.entered)
	select {
	case <-done:
		t.Fatal("Deliver's channel closed while the answer was being stored")
	default:
	}
	close(store.block)
	bottest.Wait(t, done)
	if ok, _ := store.Handled(t.Context(), "1"); !ok {
		t.Error("the answer is not stored once Deliver's channel closed")
	}
}
