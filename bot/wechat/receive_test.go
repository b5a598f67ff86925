package wechat_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"innobot/bot"
	"innobot/bot/wechat"
	"innobot/bot/wechat/wechattest"
)

// TestMessageKinds: what people send arrives as the core reads it: a quoted reply as the text
// typed, a workbook as a file saved for the handler, pictures, voice and recalls as their
// kinds; a group message that @-mentions the bot's group nickname is Mentioned and stripped.
func TestMessageKinds(t *testing.T) {
	h := newHarness(t)
	h.fake.Add(wechattest.Person{Key: "group", NickName: "盐湖区帮扶群", Group: true, Members: []string{"zhang", "wang"}, BotName: "小助手"})
	h.online()
	workbook := bytes.Repeat([]byte("PK\x03\x04 附件3 "), 100)
	h.fake.Deliver(
		wechattest.Msg{ID: "q", From: "zhang", Type: wechattest.TypeApp, App: wechattest.AppQuote, Text: "有 3 个", Quoted: "（第 5/40 题）研发机构数？"},
		wechattest.Msg{ID: "f", From: "zhang", Type: wechattest.TypeApp, App: wechattest.AppFile, FileName: "附件3.xlsx", FileData: workbook},
		wechattest.Msg{ID: "i", From: "zhang", Type: wechattest.TypeImage},
		wechattest.Msg{ID: "v", From: "zhang", Type: wechattest.TypeVoice},
		wechattest.Msg{ID: "r", From: "zhang", Type: wechattest.TypeRecall, Recalled: "q"},
		wechattest.Msg{ID: "g", From: "group", Member: "wang", Text: "@小助手\u2005进度"},
		wechattest.Msg{ID: "gq", From: "group", Member: "wang", Type: wechattest.TypeApp, App: wechattest.AppQuote, Text: "@小助手\u2005未填报", Quoted: "进度"},
		wechattest.Msg{ID: "gr", From: "group", Type: wechattest.TypeRecall, Recalled: "g"},
		wechattest.Msg{ID: "after", From: "zhang", Text: "好的"},
	)
	want := []struct {
		id   string
		kind bot.Kind
		text string
	}{
		{"q", bot.KindText, "有 3 个"},
		{"f", bot.KindFile, ""},
		{"i", bot.KindImage, ""},
		{"v", bot.KindVoice, ""},
		{"r", bot.KindRecall, ""},
		{"g", bot.KindText, "进度"},
		{"gq", bot.KindText, "未填报"},
		{"after", bot.KindText, "好的"}, // the group's recall is not handed on
	}
	for _, w := range want {
		m := h.next()
		if m.ID != w.id || m.Kind != w.kind || m.Text != w.text {
			t.Errorf("got %s %s %q, want %s %s %q", m.ID, m.Kind, m.Text, w.id, w.kind, w.text)
		}
		switch m.ID {
		case "f":
			if m.File == nil || m.File.Name != "附件3.xlsx" || m.File.Size != int64(len(workbook)) {
				t.Fatalf("file = %+v", m.File)
			}
			got, err := os.ReadFile(m.File.Path)
			if err != nil || !bytes.Equal(got, workbook) {
				t.Errorf("saved file %s: %v, %d bytes, want the %d sent", m.File.Path, err, len(got), len(workbook))
			}
			if !strings.HasPrefix(m.File.Path, filepath.Join(h.dir, wechat.ReceivedDir)) {
				t.Errorf("file saved at %s, outside the data dir", m.File.Path)
			}
		case "g", "gq":
			if !m.Mentioned || m.Group == "" {
				t.Errorf("group message %+v: want Mentioned in a group", m)
			}
		}
	}
}

// TestLargeFileNotFetched: a file over MaxFile arrives named and sized, without a path, so the
// handler can say it is too large.
func TestLargeFileNotFetched(t *testing.T) {
	h := newHarness(t)
	h.cfg.MaxFile = 100
	h.online()
	h.fake.Deliver(wechattest.Msg{ID: "f", From: "zhang", Type: wechattest.TypeApp, App: wechattest.AppFile, FileName: "大表.xlsx", FileData: make([]byte, 101)})
	m := h.next()
	if m.Kind != bot.KindFile || m.File == nil || m.File.Path != "" || m.File.Size != 101 {
		t.Errorf("large file = %+v %+v", m, m.File)
	}
}

// TestFriendRequests: a request is logged for the owner, or accepted when AcceptFriends; the
// new friend's messages then arrive.
func TestFriendRequests(t *testing.T) {
	for _, accept := range []bool{false, true} {
		h := newHarness(t)
		h.cfg.AcceptFriends = accept
		h.online()
		h.fake.Deliver(wechattest.Msg{ID: "fr", From: "wang", Type: wechattest.TypeFriendRequest, Text: "我是王五，盐湖钢铁的联络人"})
		h.waitFor("the request counted", func() bool { return h.status().FriendRequests == 1 })
		if !accept {
			h.waitFor("the request logged", func() bool { return h.logged("accept it on the bot's phone") })
			if got := h.fake.Stats().Accepted; len(got) != 0 {
				t.Errorf("accepted %v without accept_friends", got)
			}
			h.shutdown()
			continue
		}
		h.waitFor("the request accepted", func() bool { return len(h.fake.Stats().Accepted) == 1 })
		if m := h.say("1", "wang", "绑定 123456"); m.From == "" || m.Kind != bot.KindText {
			t.Errorf("the new friend's message: %+v", m)
		}
	}
}

// TestSendsAfterTooOften: WeChat's "operate too often" (1205) pauses every send, and each
// 1205 within an hour of the last pause doubles it, up to CooldownMax.
func TestSendsAfterTooOften(t *testing.T) {
	h := newHarness(t)
	h.cfg.Cooldown, h.cfg.CooldownMax = 40*time.Millisecond, 150*time.Millisecond
	h.online()
	id := h.say("1", "zhang", "你好").From
	var pauses []time.Duration
	for range 4 {
		h.fake.Fail("webwxsendmsg", wechattest.Failure{Ret: 1205})
		start := time.Now()
		err := h.tr.Send(context.Background(), bot.Outgoing{To: id, Text: "提醒"})
		var p *bot.Paused
		if !errors.As(err, &p) {
			t.Fatalf("send answered 1205: %v, want *bot.Paused", err)
		}
		pauses = append(pauses, p.Until.Sub(start).Round(10*time.Millisecond))
		if err := h.tr.Send(context.Background(), bot.Outgoing{To: id, Text: "提醒"}); !errors.As(err, &p) {
			t.Errorf("a send during the pause: %v, want *bot.Paused", err)
		}
		time.Sleep(time.Until(p.Until))
	}
	want := []time.Duration{40 * time.Millisecond, 80 * time.Millisecond, 150 * time.Millisecond, 150 * time.Millisecond}
	for i := range want {
		if pauses[i] < want[i] || pauses[i] > want[i]+20*time.Millisecond {
			t.Errorf("pauses %v, want %v", pauses, want)
			break
		}
	}
	if err := h.tr.Send(context.Background(), bot.Outgoing{To: id, Text: "终于"}); err != nil {
		t.Errorf("a send after the pause: %v", err)
	}
	if s := h.sent(); s.Text != "终于" {
		t.Errorf("sent %+v", s)
	}
}

// TestSendFailures: with no login a send holds the queue for a while (bot.Paused); an unknown
// recipient is final (bot.ErrUnreachable); a send answered 1101 ends the session, and the next
// login sends; a file over 512 KB goes up in chunks.
func TestSendFailures(t *testing.T) {
	h := newHarness(t)
	h.cfg.SendWait = 50 * time.Millisecond
	h.start() // nobody scans yet
	var p *bot.Paused
	if err := h.tr.Send(context.Background(), bot.Outgoing{To: "wxc-someone", Text: "x"}); !errors.Is(err, wechat.ErrNotLoggedIn) || !errors.As(err, &p) {
		t.Errorf("send without a login: %v, want ErrNotLoggedIn as a pause", err)
	}
	h.fake.Scan()
	h.waitFor("logged in", func() bool { return h.status().LoggedIn })
	err := h.tr.Send(context.Background(), bot.Outgoing{To: "wxc-nobody", Text: "x"})
	if !errors.Is(err, bot.ErrUnreachable) || !errors.Is(err, wechat.ErrUnknownPeer) {
		t.Errorf("send to an unknown id: %v, want ErrUnreachable", err)
	}
	id := h.say("1", "zhang", "你好").From
	h.fake.Fail("webwxsendmsg", wechattest.Failure{Ret: 1101})
	if err := h.tr.Send(context.Background(), bot.Outgoing{To: id, Text: "a"}); err == nil || errors.Is(err, bot.ErrUnreachable) {
		t.Errorf("send answered 1101: %v, want a passing error", err)
	}
	h.waitFor("logged in again", func() bool { s := h.status(); return s.LoggedIn && s.Logins == 2 })
	big := filepath.Join(t.TempDir(), "台账 2026-11.xlsx")
	if err := os.WriteFile(big, bytes.Repeat([]byte("x"), 600<<10), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := h.tr.Send(context.Background(), bot.Outgoing{To: id, Text: "台账见附件", File: big}); err != nil {
		t.Fatal(err)
	}
	h.sent()
	if s := h.sent(); s.File != "台账 2026-11.xlsx" {
		t.Errorf("file sent as %+v", s)
	}
	ups := h.fake.Stats().Uploads
	if len(ups) != 1 || ups[0].Size != 600<<10 || ups[0].Chunks != 2 || ups[0].Ticket != wechattest.DataTicket {
		t.Errorf("uploads %+v, want one of 600 KB in 2 chunks with the ticket", ups)
	}
}

// TestNoSecretsLeak: network failures of the sync check and of sends make Go's HTTP client
// put whole URLs (sid, skey, pass_ticket…) into its errors; none of it reaches the log,
// Status or the errors Send returns.
func TestNoSecretsLeak(t *testing.T) {
	h := newHarness(t)
	h.online()
	id := h.say("1", "zhang", "你好").From
	for range 3 {
		h.fake.Fail("synccheck", wechattest.Failure{Network: true})
		h.fake.Fail("webwxsync", wechattest.Failure{Network: true})
	}
	h.fake.Fail("webwxsendmsg", wechattest.Failure{Network: true})
	err := h.tr.Send(context.Background(), bot.Outgoing{To: id, Text: "x"})
	if err == nil || !strings.Contains(err.Error(), "webwxsendmsg") {
		t.Fatalf("send over a dropped connection: %v", err)
	}
	h.fake.Deliver(wechattest.Msg{ID: "2", From: "zhang", Text: "还在"})
	h.next()
	for range 8 {
		h.fake.Fail("webwxinit", wechattest.Failure{Network: true})
	}
	h.fake.Logout(1101)
	h.waitFor("a reconnect failed", func() bool { return h.status().LastError != "" })
	for what, text := range map[string]string{"log": h.logs.String(), "send error": err.Error(), "status": h.status().LastError} {
		if strings.Contains(text, wechattest.Secret) {
			t.Errorf("%s carries a secret:\n%s", what, text)
		}
	}
	if !h.logged("sid=…") {
		t.Error("the log does not show the failed URL at all (redacted)")
	}
}
