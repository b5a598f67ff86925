package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"innobot/assistant"
	"innobot/bot"
	"innobot/bot/bottest"
	"innobot/bot/wechat"
	"innobot/bot/wechat/wechattest"
	"innobot/storage"
)

// runEnv is `innobot run` wired as runRun wires it, against the fake WeChat.
type runEnv struct {
	t     *testing.T
	st    settings
	fake  *wechattest.Server
	store storage.Backend
	tr    *wechat.Transport
	logs  *bottest.Log
	log   *slog.Logger
	code  string // a liaison's invite code for E1
}

func newRunEnv(t *testing.T) *runEnv {
	t.Helper()
	st, err := loadSettings("", t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	st.pace, st.perHour, st.flood = bot.Pace{PerMinute: 600}, 600, assistant.FloodLimit
	e := &runEnv{t: t, st: st, fake: wechattest.New(), logs: &bottest.Log{}}
	e.log = slog.New(slog.NewTextHandler(e.logs, nil))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("log:\n%s", e.logs.String())
		}
	})
	e.fake.Add(
		wechattest.Person{Key: "zhang", NickName: "张三", RemarkName: "盐湖钢铁-张三"},
		wechattest.Person{Key: "li", NickName: "李四"}, wechattest.Person{Key: "wang", NickName: "王五"},
		wechattest.Person{Key: "zhao", NickName: "赵六"}, wechattest.Person{Key: "qian", NickName: "钱七"},
	)
	e.reopen()
	ctx := t.Context()
	if err := e.store.PutEnterprise(ctx, storage.Enterprise{ID: "E1", Name: "山西示范钢铁有限公司", Region: "盐湖区"}); err != nil {
		t.Fatal(err)
	}
	key, err := st.inviteKey(e.log)
	if err != nil {
		t.Fatal(err)
	}
	if e.code, err = assistant.IssueInvite(ctx, e.store, key, storage.Invite{Role: storage.RoleLiaison, EnterpriseID: "E1", CreatedBy: "test"}, time.Now(), time.Hour, nil); err != nil {
		t.Fatal(err)
	}
	return e
}

// reopen opens the store and makes a transport over it, as a start of `innobot run` does.
func (e *runEnv) reopen() {
	e.t.Helper()
	var err error
	if e.store, err = e.st.openStore(); err != nil {
		e.t.Fatal(err)
	}
	cfg := e.st.wechatConfig(e.store, bot.ClockFunc(time.Now), e.log, io.Discard, false)
	cfg.HTTP, cfg.PollGap, cfg.RetryMin, cfg.RetryMax = e.fake.Transport(), 2*time.Millisecond, 20*time.Millisecond, 200*time.Millisecond
	if e.tr, err = wechat.New(e.t.Context(), cfg); err != nil {
		e.t.Fatal(err)
	}
}

// serve runs the bot on ln until stop is called; served gets what serve returned.
func (e *runEnv) serve(ln net.Listener) (stop func(), served <-chan error) {
	ctx, cancel := context.WithCancel(context.Background())
	e.t.Cleanup(cancel)
	done := make(chan error, 1)
	go func() { done <- e.st.serve(ctx, e.store, e.tr, ln, bot.ClockFunc(time.Now), e.log) }()
	return cancel, done
}

// get fetches a path of the health listener.
func get(t *testing.T, addr, path string) (int, string) {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	resp, err := client.Get("http://" + addr + path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// TestServe runs the bot as `innobot run` does: /healthz and /metrics say a scan is needed,
// then that all is well; a liaison binds; on a stop, the messages fetched are all answered and
// committed before the store closes, and what WeChat still held is left for the next start.
func TestServe(t *testing.T) {
	e := newRunEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	stop, served := e.serve(ln)

	var h health
	if !wechattest.WaitFor(t.Context(), 10*time.Second, func() bool {
		code, body := get(t, addr, "/healthz")
		h = health{}
		return json.Unmarshal([]byte(body), &h) == nil && code == http.StatusServiceUnavailable && h.NeedScan
	}) {
		t.Fatalf("/healthz never said a scan is needed: %+v", h)
	}
	if h.Health != wechat.HealthNeedsPerson || !strings.HasPrefix(h.QRURL, "https://login.weixin.qq.com/l/") {
		t.Errorf("/healthz while a scan is needed = %+v, want needs_person and the QR link (a loopback listener)", h)
	}
	if _, body := get(t, addr, "/metrics"); !strings.Contains(body, "innobot_wechat_need_scan 1") {
		t.Errorf("/metrics while a scan is needed lacks need_scan 1")
	}
	e.fake.Scan()
	e.fake.Deliver(wechattest.Msg{ID: "1", From: "zhang", Text: "绑定 " + e.code})
	if s, ok := e.fake.Next(10 * time.Second); !ok || !strings.Contains(s.Text, "绑定成功") {
		t.Fatalf("reply to the binding: %+v %v", s, ok)
	}
	wechattest.WaitFor(t.Context(), 5*time.Second, func() bool { return e.tr.Status().Sent == 1 }) // the send returns
	code, body := get(t, addr, "/healthz")
	h = health{}
	if err := json.Unmarshal([]byte(body), &h); err != nil || code != http.StatusOK || h.Health != wechat.HealthOK || h.QRURL != "" || h.LastUsefulSync.IsZero() {
		t.Errorf("/healthz when logged in: %d %s", code, body)
	}
	_, metrics := get(t, addr, "/metrics")
	for _, want := range []string{"innobot_wechat_need_scan 0", "innobot_wechat_logged_in 1", "innobot_outbox_failed_total 0",
		"innobot_wechat_last_useful_sync_timestamp_seconds 1.", "innobot_wechat_messages_sent_total 1", "innobot_wechat_zombie_sessions_total 0"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("/metrics lacks %q", want)
		}
	}

	// Five people write at once; the stop comes as the first answer goes out. Every one of
	// them is answered and committed, and a message WeChat still held is not fetched.
	for i, who := range []string{"li", "wang", "zhao", "qian", "zhang"} {
		e.fake.Deliver(wechattest.Msg{ID: fmt.Sprint("b", i), From: who, Text: "填报", Batch: 1})
	}
	if _, ok := e.fake.Next(10 * time.Second); !ok {
		t.Fatal("no answer to the batch")
	}
	stop()
	if !wechattest.WaitFor(t.Context(), 10*time.Second, func() bool { return strings.Contains(e.logs.String(), "stopped receiving") }) {
		t.Fatal("receiving never stopped")
	}
	e.fake.Deliver(wechattest.Msg{ID: "late", From: "zhang", Text: "进度"})
	select {
	case err := <-served:
		if err != nil {
			t.Fatalf("serve: %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("serve did not stop")
	}
	if n := e.fake.Pending(); n != 1 {
		t.Errorf("WeChat holds %d messages after the stop, want the late one", n)
	}
	if rest := e.fake.Drain(); len(rest) != 4 {
		t.Errorf("%d more answers after the stop, want the other 4: %+v", len(rest), rest)
	}
	if _, err := e.store.Enterprises(context.Background()); err == nil {
		t.Error("the store is still open after serve returned")
	}
	reopened, err := e.st.openStore()
	if err != nil {
		t.Fatal(err)
	}
	defer reopened.Close()
	contacts, err := reopened.Contacts(context.Background())
	if err != nil || len(contacts) != 1 {
		t.Fatalf("contacts after the stop: %+v %v", contacts, err)
	}
	if sess, err := reopened.Session(context.Background(), contacts[0].ID); err != nil || sess.State == "" {
		t.Errorf("the liaison's 填报 under way at the stop was not committed: %+v %v", sess, err)
	}
	if seen, err := reopened.Handled(context.Background(), "late"); err != nil || seen {
		t.Errorf("the message WeChat held at the stop was handled: %v %v", seen, err)
	}
}

// TestServeWithAQueue: messages left in the outbox by the last run hold back neither the login
// nor a stop. The bot asks for a scan at once; stopped before anyone scans, it stops at once
// and keeps them; started again and scanned, it sends them, and gives up the one whose
// recipient WeChat no longer lists, which /metrics and /healthz count.
func TestServeWithAQueue(t *testing.T) {
	e := newRunEnv(t)
	ctx := t.Context()
	// 张三 was known before (by the remark), and two messages for them were left unsent.
	if err := e.store.PutIdentities(ctx, []storage.Identity{{ID: "wxc-zhang", Account: e.st.cfg.Bot.Account, Kind: storage.IdentityContact,
		RemarkName: "盐湖钢铁-张三", NickName: "张三", Listed: true, FirstSeen: time.Now(), LastSeen: time.Now()}}); err != nil {
		t.Fatal(err)
	}
	if err := e.store.Enqueue(ctx, []storage.OutboxMessage{
		{ID: "reply:1:1", Account: e.st.cfg.Bot.Account, To: "wxc-zhang", Text: "已记", Source: bot.ReplySource, QueuedAt: time.Now(), Urgent: true, Forget: true},
		{ID: "rem-1", Account: e.st.cfg.Bot.Account, To: "wxc-zhang", Text: "【提醒】请填报", Source: "reminder", QueuedAt: time.Now()},
		// To someone WeChat no longer lists: given up for good, and counted.
		{ID: "rem-2", Account: e.st.cfg.Bot.Account, To: "wxc-gone", Text: "【提醒】请填报", Source: "reminder", QueuedAt: time.Now()},
	}); err != nil {
		t.Fatal(err)
	}
	run := func(scan bool) {
		t.Helper()
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		stop, served := e.serve(ln)
		if !wechattest.WaitFor(t.Context(), 10*time.Second, func() bool {
			code, body := get(t, ln.Addr().String(), "/healthz")
			var h health
			return json.Unmarshal([]byte(body), &h) == nil && code == http.StatusServiceUnavailable && h.NeedScan
		}) {
			t.Fatal("/healthz never asked for a scan while messages were queued")
		}
		if scan {
			e.fake.Scan()
			for _, want := range []string{"已记", "【提醒】请填报"} {
				if s, ok := e.fake.Next(10 * time.Second); !ok || s.Who != "zhang" || s.Text != want {
					t.Fatalf("sent %+v (%v), want %q to zhang", s, ok, want)
				}
			}
			addr := ln.Addr().String()
			if !wechattest.WaitFor(t.Context(), 10*time.Second, func() bool {
				_, metrics := get(t, addr, "/metrics")
				return strings.Contains(metrics, "innobot_outbox_failed_total 1\n")
			}) {
				t.Error("/metrics never counted the message to an unreachable recipient")
			}
			// The failure is counted a moment before the given-up message leaves the queue.
			var body string
			if !wechattest.WaitFor(t.Context(), 10*time.Second, func() bool {
				var h health
				_, body = get(t, addr, "/healthz")
				return json.Unmarshal([]byte(body), &h) == nil && h.OutboxFailed == 1 && h.OutboxPending == 0
			}) {
				t.Errorf("/healthz after the queue was sent: %s, want 1 failed and none pending", body)
			}
		}
		start := time.Now()
		stop()
		select {
		case err := <-served:
			if err != nil {
				t.Fatalf("serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Fatal("serve did not stop")
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("the stop took %v", d)
		}
	}
	run(false)
	e.reopen()
	if p, err := e.store.Pending(ctx, e.st.cfg.Bot.Account, 10); err != nil || len(p) != 3 {
		t.Fatalf("pending after a stop before the scan: %+v %v, want all three kept", p, err)
	}
	run(true)
}

// TestHealthHidesQROffLoopback: on a listener other machines can reach, /healthz says a scan
// is needed but does not hand out the login link.
func TestHealthHidesQROffLoopback(t *testing.T) {
	e := newRunEnv(t)
	defer e.store.Close()
	ctx, stop := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- e.tr.Run(ctx, func(bot.Message) <-chan struct{} { return nil }) }()
	defer func() {
		stop()
		if err := <-ran; err != nil && !errors.Is(err, context.Canceled) {
			t.Error(err)
		}
		_ = e.tr.Close()
	}()
	if !wechattest.WaitFor(t.Context(), 10*time.Second, func() bool { return e.tr.Status().NeedScan }) {
		t.Fatal("no QR code shown")
	}
	eng, err := e.st.newEngine(ctx, e.store, bot.ClockFunc(time.Now), e.tr, e.log)
	if err != nil {
		t.Fatal(err)
	}
	for _, loopback := range []bool{true, false} {
		rec := httptest.NewRecorder()
		healthMux(e.tr, eng, "", loopback).ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
		var h health
		if err := json.Unmarshal(rec.Body.Bytes(), &h); err != nil || rec.Code != http.StatusServiceUnavailable || !h.NeedScan {
			t.Fatalf("/healthz: %d %s", rec.Code, rec.Body)
		}
		if got := h.QRURL != ""; got != loopback {
			t.Errorf("loopback %v: QR link shown %v", loopback, got)
		}
	}
	for addr, want := range map[string]bool{"127.0.0.1:9090": true, "[::1]:9090": true, "0.0.0.0:9090": false, "192.168.1.5:9090": false} {
		a, err := net.ResolveTCPAddr("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		if got := isLoopback(a); got != want {
			t.Errorf("isLoopback(%s) = %v", addr, got)
		}
	}
}
