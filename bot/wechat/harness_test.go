package wechat_test

import (
	"context"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"innobot/bot"
	"innobot/bot/bottest"
	"innobot/bot/wechat"
	"innobot/bot/wechat/wechattest"
	"innobot/storage/bolt"
)

// harness is one transport against one fake WeChat, over a bolt store in a temporary dir.
type harness struct {
	t     *testing.T
	fake  *wechattest.Server
	dir   string
	store *bolt.Store
	logs  *bottest.Log
	qr    *bottest.Log
	cfg   wechat.Config
	tr    *wechat.Transport
	msgs  chan bot.Message
	stop  context.CancelFunc
	done  chan error
}

// people is the fake's address book most tests start from.
func people() []wechattest.Person {
	return []wechattest.Person{
		{Key: "zhang", NickName: "张三", RemarkName: "盐湖钢铁-张三", Province: "山西", City: "运城", Sex: 1},
		{Key: "li", NickName: "李四", Province: "山西", City: "运城", Sex: 1},
		{Key: "wang", NickName: "王五", Stranger: true},
		{Key: "group", NickName: "盐湖区帮扶群", Group: true, Members: []string{"zhang", "wang"}},
		{Key: "mp", NickName: "运城发布", MP: true},
	}
}

// newHarness makes a fake with people() and a transport configured for fast tests; change
// h.cfg before start.
func newHarness(t *testing.T) *harness {
	t.Helper()
	dir := t.TempDir()
	store, err := bolt.Open(filepath.Join(dir, "innobot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	h := &harness{t: t, fake: wechattest.New(), dir: dir, store: store, logs: &bottest.Log{}, qr: &bottest.Log{},
		msgs: make(chan bot.Message, 1000)}
	h.fake.Add(people()...)
	h.cfg = wechat.Config{
		Dir: dir, Identities: store, HTTP: h.fake.Transport(),
		Log: slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})), QR: h.qr,
		RetryMin: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond,
		PollGap: 2 * time.Millisecond, SendWait: 5 * time.Second, Cooldown: 100 * time.Millisecond,
	}
	t.Cleanup(func() {
		h.shutdown()
		if t.Failed() {
			t.Logf("transport log:\n%s", h.logs.String())
		}
	})
	return h
}

// start makes the transport and runs it.
func (h *harness) start() {
	h.t.Helper()
	tr, err := wechat.New(h.t.Context(), h.cfg)
	if err != nil {
		h.t.Fatal(err)
	}
	h.tr = tr
	ctx, stop := context.WithCancel(context.Background())
	h.stop, h.done = stop, make(chan error, 1)
	go func() {
		h.done <- tr.Run(ctx, func(m bot.Message) <-chan struct{} {
			h.msgs <- m
			done := make(chan struct{})
			close(done)
			return done
		})
	}()
}

// shutdown stops Run and closes the transport; it is safe to call twice.
func (h *harness) shutdown() {
	if h.tr == nil {
		return
	}
	h.stop()
	select {
	case err := <-h.done:
		if err != nil && !errors.Is(err, wechat.ErrLoginRefused) {
			h.t.Errorf("Run: %v", err)
		}
	case <-time.After(20 * time.Second):
		h.t.Error("Run did not return")
	}
	_ = h.tr.Close()
	h.tr = nil
}

// restart stops the transport and starts a new one on the same dir and store, as a restarted
// process would.
func (h *harness) restart() {
	h.t.Helper()
	h.shutdown()
	h.start()
}

// online starts the transport, scans the first QR code and waits for the login.
func (h *harness) online() {
	h.t.Helper()
	h.fake.AutoScan(true)
	h.start()
	h.waitFor("logged in", func() bool { return h.tr.Status().LoggedIn })
}

// waitFor waits up to 10 s for cond.
func (h *harness) waitFor(what string, cond func() bool) {
	h.t.Helper()
	if !wechattest.WaitFor(h.t.Context(), 10*time.Second, cond) {
		h.t.Fatalf("timed out waiting until %s; status %+v", what, h.status())
	}
}

func (h *harness) status() wechat.Status {
	if h.tr == nil {
		return wechat.Status{}
	}
	return h.tr.Status()
}

// next waits for the next message delivered to the core.
func (h *harness) next() bot.Message {
	h.t.Helper()
	select {
	case m := <-h.msgs:
		return m
	case <-time.After(10 * time.Second):
		h.t.Fatalf("no message delivered within 10 s")
	}
	return bot.Message{}
}

// say delivers a text from a friend and returns the message the core got.
func (h *harness) say(id, from, text string) bot.Message {
	h.t.Helper()
	h.fake.Deliver(wechattest.Msg{ID: id, From: from, Text: text})
	m := h.next()
	if m.ID != id {
		h.t.Fatalf("delivered %+v, want message %s", m, id)
	}
	return m
}

// relogin makes WeChat end the session and waits for the next login, by the saved session or
// a scan.
func (h *harness) relogin() {
	h.t.Helper()
	logins := h.tr.Status().Logins
	h.fake.AutoScan(true)
	h.fake.Logout(1101)
	h.waitFor("logged in again", func() bool { s := h.tr.Status(); return s.LoggedIn && s.Logins > logins })
}

// sent waits for the bot's next send.
func (h *harness) sent() wechattest.Sent {
	h.t.Helper()
	s, ok := h.fake.Next(10 * time.Second)
	if !ok {
		h.t.Fatal("no send within 10 s")
	}
	return s
}

// logged reports whether the transport's log holds s.
func (h *harness) logged(s string) bool { return strings.Contains(h.logs.String(), s) }
