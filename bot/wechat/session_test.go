package wechat_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"innobot/bot"
	"innobot/bot/wechat"
	"innobot/bot/wechat/wechattest"
)

// TestQRLoginAndHotRestart: the first start shows a QR code (terminal and PNG) and waits for
// a person; restarts log in from the saved session without one, and files still go out after
// the second (openwechat forgets the cookies it loaded, so its next save would hold none).
func TestQRLoginAndHotRestart(t *testing.T) {
	h := newHarness(t)
	h.start()
	h.waitFor("a QR code shown", func() bool { return h.status().NeedScan })
	st := h.status()
	if st.Health != wechat.HealthNeedsPerson || st.QRURL != "https://login.weixin.qq.com/l/U1" || st.LoggedIn {
		t.Errorf("status before the scan = %+v", st)
	}
	if !strings.Contains(h.qr.String(), "█") {
		t.Errorf("no QR drawing in the terminal output:\n%s", h.qr.String())
	}
	if png, err := os.ReadFile(filepath.Join(h.dir, wechat.QRCodeName)); err != nil || !strings.HasPrefix(string(png), "\x89PNG") {
		t.Errorf("QR PNG not saved: %v", err)
	}
	h.fake.Scan()
	h.waitFor("logged in", func() bool { return h.status().LoggedIn })
	st = h.status()
	if st.NeedScan || st.QRURL != "" || st.Health != wechat.HealthOK || st.Account != wechattest.BotNick || st.LastUsefulSync.IsZero() {
		t.Errorf("status after the scan = %+v", st)
	}
	if _, err := os.Stat(filepath.Join(h.dir, wechat.QRCodeName)); !os.IsNotExist(err) {
		t.Errorf("used QR code left behind: %v", err)
	}
	id := h.say("1", "zhang", "你好").From
	for range 2 {
		h.restart()
		h.waitFor("logged in after the restart", func() bool { return h.status().LoggedIn })
	}
	if s := h.fake.Stats(); s.QRCodes != 1 || len(s.InitSessions) != 3 || s.InitSessions[0] != s.InitSessions[2] {
		t.Errorf("QR codes %d, inits of sessions %v: want one scan and hot logins of the same session", s.QRCodes, s.InitSessions)
	}
	file := filepath.Join(t.TempDir(), "台账.xlsx")
	if err := os.WriteFile(file, []byte("PK\x03\x04"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := h.tr.Send(context.Background(), bot.Outgoing{To: id, File: file}); err != nil {
		t.Fatalf("a file after two restarts: %v", err)
	}
	if ups := h.fake.Stats().Uploads; len(ups) != 1 || ups[0].Ticket != wechattest.DataTicket {
		t.Errorf("uploads %+v, want one with the ticket", ups)
	}
}

// TestZombieSessionEnded: a session whose sync check keeps announcing something (new messages,
// contact changes, 2/4/6/7) that webwxsync never brings is ended after ZombieSyncs empty syncs,
// and the bot logs in again; the last useful sync does not move while the zombie spins.
func TestZombieSessionEnded(t *testing.T) {
	for _, selector := range []string{"2", "4", "6", "7"} {
		t.Run("selector "+selector, func(t *testing.T) {
			h := newHarness(t)
			h.cfg.ZombieSyncs = 5
			h.online()
			h.say("1", "zhang", "你好")
			useful := h.status().LastUsefulSync
			h.fake.Zombie(true, selector)
			h.waitFor("the zombie ended", func() bool { return h.status().Zombies == 1 })
			if st := h.status(); st.Logins == 1 && !st.LastUsefulSync.Equal(useful) {
				t.Errorf("last useful sync moved from %v to %v while the session was a zombie", useful, st.LastUsefulSync)
			}
			if s := h.fake.Stats(); s.EmptySyncs < 5 {
				t.Errorf("%d empty syncs before the zombie was ended, want 5", s.EmptySyncs)
			}
			h.fake.Zombie(false, "")
			h.waitFor("logged in again", func() bool { s := h.status(); return s.LoggedIn && s.Logins >= 2 })
			h.say("2", "zhang", "还在吗")
		})
	}
}

// TestRestoredSessionDroppedAsksForScan: WeChat accepts the saved session at webwxinit and
// logs it out at the first sync check, at every restore. The bot must not loop on it: the
// saved session is cleared and a QR code shown (need_scan rises).
func TestRestoredSessionDroppedAsksForScan(t *testing.T) {
	h := newHarness(t)
	h.online()
	h.fake.AutoScan(false)
	h.shutdown()
	h.fake.LogoutAfterInit() // WeChat accepts the saved session at each restore, then drops it
	h.start()
	h.waitFor("a QR code asked for", func() bool { return h.status().NeedScan })
	s := h.fake.Stats()
	if s.QRCodes != 2 || s.Inits > 3 {
		t.Errorf("QR codes %d, inits %d: want a second QR code after one restored init, not a loop", s.QRCodes, s.Inits)
	}
	if !h.logged("the saved WeChat session was") {
		t.Error("the log does not say why a scan is needed")
	}
	if h.status().Health != wechat.HealthNeedsPerson {
		t.Errorf("health %q while a scan is needed", h.status().Health)
	}
	time.Sleep(100 * time.Millisecond)
	if s2 := h.fake.Stats(); s2.Inits != s.Inits {
		t.Errorf("inits went on while waiting for a scan: %d then %d", s.Inits, s2.Inits)
	}
	h.fake.Scan()
	h.waitFor("logged in by the scan", func() bool { return h.status().LoggedIn })
	if st := h.status(); st.LastError != "" || st.NeedScan {
		t.Errorf("status after recovering = %+v, want LastError cleared", st)
	}
}

// TestTransientFailuresKeepSession: a 5xx page, Ret -1 and 1205 at webwxinit are passing
// troubles: the bot backs off and logs in again from the saved session, without a scan.
func TestTransientFailuresKeepSession(t *testing.T) {
	h := newHarness(t)
	h.online()
	h.shutdown()
	h.fake.AutoScan(false)
	h.fake.Fail("webwxinit", wechattest.Failure{Status: 502}, wechattest.Failure{Ret: -1}, wechattest.Failure{Ret: 1205})
	h.start()
	h.waitFor("logged in from the saved session", func() bool { return h.status().LoggedIn })
	if s := h.fake.Stats(); s.QRCodes != 1 {
		t.Errorf("%d QR codes: a passing failure cost a scan", s.QRCodes)
	}
	if st := h.status(); st.Reconnects < 3 || st.LastError != "" || st.NeedScan {
		t.Errorf("status = %+v, want 3 reconnects, the error cleared, no scan", st)
	}
}

// TestEndedSessionAsksForScan: 1100-1102 at webwxinit and a saved file that cannot be read
// are the only reasons to drop the saved session.
func TestEndedSessionAsksForScan(t *testing.T) {
	for _, tc := range []struct {
		name   string
		break_ func(h *harness)
	}{
		{"1102 at init", func(h *harness) { h.fake.Fail("webwxinit", wechattest.Failure{Ret: 1102}) }},
		{"session ended", func(h *harness) { h.fake.Logout(1100) }},
		{"unreadable file", func(h *harness) {
			if err := os.WriteFile(filepath.Join(h.dir, wechat.HotLoginName), []byte("{not json"), 0o600); err != nil {
				t.Fatal(err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.online()
			h.fake.AutoScan(false)
			if tc.name == "session ended" {
				tc.break_(h)
				h.waitFor("logged out", func() bool { _, dead := h.fake.Session(); return dead })
				h.shutdown()
			} else {
				h.shutdown()
				tc.break_(h)
			}
			h.start()
			h.waitFor("a QR code asked for", func() bool { return h.status().NeedScan })
			h.fake.Scan()
			h.waitFor("logged in by the scan", func() bool { return h.status().LoggedIn })
		})
	}
}

// TestWrongAccountRefused: the account of the first login is pinned; a scan by another
// account's phone is refused and logged out, with a clear log line, and the bot keeps asking
// for the right phone.
func TestWrongAccountRefused(t *testing.T) {
	h := newHarness(t)
	h.online()
	h.fake.AutoScan(false)
	h.fake.Fail("webwxinit", wechattest.Failure{Ret: 1101}) // the saved session is dead
	h.restart()
	h.waitFor("a QR code asked for", func() bool { return h.status().NeedScan })
	h.fake.ScanAs(456)
	h.waitFor("the other account refused", func() bool { return strings.Contains(h.status().LastError, "another WeChat account") })
	if st := h.status(); st.LoggedIn || !st.NeedScan || st.Health != wechat.HealthNeedsPerson {
		t.Errorf("status after the wrong scan = %+v", st)
	}
	if !h.logged("scanned with another WeChat account than the bot's; refused") {
		t.Error("no clear log line about the wrong account")
	}
	h.fake.Scan()
	h.waitFor("logged in by the bot's phone", func() bool { return h.status().LoggedIn })
	h.say("1", "zhang", "你好")
}

// TestNeedScanDoesNotFlicker: while nobody scans, QR codes expire and new ones are shown, and
// need_scan stays up the whole time.
func TestNeedScanDoesNotFlicker(t *testing.T) {
	h := newHarness(t)
	h.fake.QRLife = 2
	h.start()
	h.waitFor("a QR code shown", func() bool { return h.status().NeedScan })
	// Watch need_scan while three more codes expire and are replaced.
	deadline := time.Now().Add(10 * time.Second)
	for h.fake.Stats().QRCodes < 4 {
		if time.Now().After(deadline) {
			t.Fatalf("%d QR codes in 10 s of expiring ones, want new ones", h.fake.Stats().QRCodes)
		}
		if st := h.status(); !st.NeedScan || st.Health != wechat.HealthNeedsPerson {
			t.Fatalf("need_scan dropped while nobody scanned: %+v", st)
		}
		time.Sleep(time.Millisecond)
	}
	if st := h.status(); st.Reconnects != 0 {
		t.Errorf("expired QR codes counted as %d reconnects", st.Reconnects)
	}
}

// TestHealthWhileReconnecting: a short outage is "reconnecting", a long one "offline", and
// a login is "ok" again.
func TestHealthWhileReconnecting(t *testing.T) {
	h := newHarness(t)
	h.cfg.OfflineAlert = 300 * time.Millisecond
	h.cfg.RetryMin, h.cfg.RetryMax = 100*time.Millisecond, 100*time.Millisecond
	h.online()
	for range 20 {
		h.fake.Fail("webwxinit", wechattest.Failure{Status: 503})
	}
	h.fake.Logout(1101)
	h.fake.KeepUserNames(true)
	h.waitFor("reconnecting", func() bool { return h.status().Health == wechat.HealthReconnecting })
	if st := h.status(); st.NeedScan || st.OfflineSince.IsZero() {
		t.Errorf("status while reconnecting = %+v", st)
	}
	h.waitFor("offline for long", func() bool { return h.status().Health == wechat.HealthOffline })
}

// TestStopReceivingKeepsSending: when Run's context ends, the transport stops fetching (what
// WeChat did not hand over stays there for the next start), hands on what it fetched, and
// still sends until Close.
func TestStopReceivingKeepsSending(t *testing.T) {
	h := newHarness(t)
	h.online()
	m := h.say("1", "zhang", "填报")
	h.stop()
	if err := <-h.done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	h.fake.Deliver(wechattest.Msg{ID: "2", From: "zhang", Text: "民营"})
	time.Sleep(100 * time.Millisecond)
	select {
	case got := <-h.msgs:
		t.Fatalf("a message was fetched after the stop: %+v", got)
	default:
	}
	if err := h.tr.Send(context.Background(), bot.Outgoing{To: m.From, Text: "收到，正在处理"}); err != nil {
		t.Fatalf("a reply after the stop: %v", err)
	}
	if s := h.sent(); s.Who != "zhang" || s.Text != "收到，正在处理" {
		t.Errorf("sent %+v", s)
	}
	_ = h.tr.Close()
	h.tr = nil
	h.fake.AutoScan(false)
	h.start() // the next start gets what was left
	if got := h.next(); got.ID != "2" || got.Text != "民营" || got.From != m.From {
		t.Errorf("after the restart got %+v, want message 2 from the same person", got)
	}
}
