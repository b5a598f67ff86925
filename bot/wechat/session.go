package wechat

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eatmoreapple/openwechat"
	"github.com/skip2/go-qrcode"
)

// loginURLPrefix is what the QR code encodes: the phone opens it to confirm the login
// (openwechat's docs/bot.md; GetQrcodeUrl is only a link to an image).
const loginURLPrefix = "https://login.weixin.qq.com/l/"

// maxSyncErrors is how many sync failures in a row end a login (and start a new one).
const maxSyncErrors = 8

// errNoTicket: after a hot login the session cannot upload files.
var errNoTicket = errors.New("wechat: session has no webwx_data_ticket; files cannot be sent until a QR scan")

// peerRef is what one login knows of a WeChat UserName.
type peerRef struct {
	id, name, kind string
	stable         bool // the id is kept in the identity store (not fresh for this login)
}

// groupInfo is a group's members as last fetched, with their ids in this login.
type groupInfo struct {
	members map[string]*openwechat.User // by UserName
	nicks   map[string]int              // NickName → how many members carry it
	ids     map[string]peerRef          // member UserName → id
	selfAs  string                      // the bot's display name in the group
}

// session is one login: one openwechat Bot and the UserNames it knows.
type session struct {
	bot     *openwechat.Bot
	self    *openwechat.Self
	account string // the account's Uin
	nick    string // the account's NickName
	selfUN  string
	ctx     context.Context
	cancel  context.CancelFunc
	ready   chan struct{} // closed once contacts are listed and ids assigned
	killed  atomic.Pointer[error]

	syncErrs atomic.Int32

	mu      sync.Mutex
	byUser  map[string]peerRef // UserName → peer
	userOf  map[string]string  // stable id → UserName, for sends
	holders map[string]string  // identity key → UserName holding it in this login
	skip    map[string]bool    // UserNames of official accounts and the like
	groups  map[string]*groupInfo
}

// kill ends the login from our side, with the reason Run logs.
func (s *session) kill(err error) {
	s.killed.CompareAndSwap(nil, &err)
	s.cancel()
}

// connect runs one login: it makes a Bot, logs in (the saved session first, else a QR scan)
// and serves until the Bot exits. online says whether the login got that far.
func (t *Transport) connect(ctx context.Context) (online bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			t.log.Error("openwechat panicked during login", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			err = fmt.Errorf("wechat: openwechat panicked: %v", p)
		}
	}()
	hot := OpenHotLogin(t.hotPath)
	s, err := t.login(ctx, hot)
	if err != nil {
		return false, err
	}
	defer s.cancel()
	t.online(s)
	defer t.offline(s)

	<-s.bot.Context().Done()
	if p := s.killed.Load(); p != nil {
		return true, *p
	}
	if ctx.Err() != nil {
		return true, ctx.Err()
	}
	// The library ended the login itself; CrashReason was set before it cancelled.
	reason := s.bot.CrashReason()
	ret, out := loggedOut(reason)
	switch {
	case out:
		t.log.Error("WeChat logged the bot out; logging in again with the saved session (a QR scan may be needed)", "ret", int(ret), "reason", ret.String())
		return true, fmt.Errorf("wechat: logged out by WeChat: %w", reason)
	case reason == nil:
		return true, errors.New("wechat: the sync loop stopped without a reason")
	}
	return true, fmt.Errorf("wechat: sync loop failed: %w", reason)
}

// login tries the saved session, then a QR scan; the returned session is logged in, its
// contacts listed.
func (t *Transport) login(ctx context.Context, hot *HotLoginFile) (*session, error) {
	var refused atomic.Pointer[error]
	if !hot.Empty() {
		t.setState(StateLoggingIn, nil)
		s := t.newSession(ctx, &refused)
		err := safely(func() error { return s.bot.HotLogin(hot) })
		if err == nil {
			if err = t.checkTicket(s); err == nil {
				return t.listed(s)
			}
		}
		s.cancel()
		if p := refused.Load(); p != nil {
			return nil, *p
		}
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if openwechat.IsNetworkError(err) && !errors.Is(err, errBadAnswer) {
			// WeChat was not reached: the session may still be good, so keep it and try
			// again after the backoff rather than ask for a scan.
			return nil, fmt.Errorf("wechat: hot login: %w", err)
		}
		t.log.Warn("the saved WeChat session was not accepted; a QR scan is needed", "err", err)
		if err := hot.Clear(); err != nil {
			return nil, err
		}
		hot = OpenHotLogin(t.hotPath)
	}
	t.setState(StateLoggingIn, nil)
	s := t.newSession(ctx, &refused)
	// HotLogin on an empty store falls back to a scan and, unlike Login, makes the library
	// save the new session to the store.
	err := safely(func() error {
		return s.bot.HotLogin(hot, &openwechat.RetryLoginOption{MaxRetryCount: 1})
	})
	if err != nil {
		s.cancel()
		if p := refused.Load(); p != nil {
			return nil, *p
		}
		return nil, fmt.Errorf("wechat: login: %w", err)
	}
	t.removeQR()
	return t.listed(s)
}

// listed lists the new login's contacts; a login that cannot even name its own account is
// ended.
func (t *Transport) listed(s *session) (*session, error) {
	if err := t.listContacts(s); err != nil {
		s.cancel()
		return nil, err
	}
	return s, nil
}

// newSession makes a Bot with every callback set before login, as openwechat requires.
func (t *Transport) newSession(ctx context.Context, refused *atomic.Pointer[error]) *session {
	sctx, cancel := context.WithCancel(ctx)
	b := openwechat.DefaultBot(openwechat.Desktop, openwechat.WithContextOption(sctx))
	s := &session{
		bot: b, ctx: sctx, cancel: cancel, ready: make(chan struct{}),
		byUser: map[string]peerRef{}, userOf: map[string]string{}, holders: map[string]string{},
		skip: map[string]bool{}, groups: map[string]*groupInfo{},
	}
	b.UUIDCallback = t.showQR
	b.ScanCallBack = func(openwechat.CheckLoginResponse) {
		t.log.Warn("WeChat QR code scanned; confirm the login on the phone")
	}
	b.LoginCallBack = func(openwechat.CheckLoginResponse) {}
	b.SyncCheckCallback = func(r openwechat.SyncCheckResponse) {
		if r.RetCode == "0" && r.Selector == openwechat.SelectorNormal {
			s.syncErrs.Store(0)
		}
	}
	b.MessageHandler = func(m *openwechat.Message) { t.onMessage(s, m) }
	b.MessageErrorHandler = func(err error) error { return t.onSyncError(s, err) }
	c := b.Caller.Client
	c.MaxRetryTimes = 1 // a retried send may be a repeated send; retries are ours, with backoff
	c.HTTPClient().Transport = &guard{
		base: t.cfg.HTTP, pollGap: t.cfg.PollGap, sleep: sleepCtx,
		syncOK: func() { s.syncErrs.Store(0) },
		refused: func(ret int, msg string) {
			t.log.Error("WeChat refused the login", "ret", ret, "message", msg)
			if ret == 1203 {
				err := fmt.Errorf("%w (ret %d: %s)", ErrLoginRefused, ret, msg)
				refused.Store(&err)
			}
		},
	}
	return s
}

// onSyncError runs inside openwechat's sync loop: nil goes on, an error ends the login.
// openwechat's default retries any other error at once, forever; this one backs off and
// gives up after maxSyncErrors in a row.
func (t *Transport) onSyncError(s *session, err error) error {
	if s.ctx.Err() != nil {
		return nil // we are stopping it: let the loop end quietly
	}
	if _, out := loggedOut(err); out {
		return err
	}
	n := int(s.syncErrs.Add(1))
	if n >= maxSyncErrors {
		return fmt.Errorf("%d sync failures in a row, last: %w", n, err)
	}
	d := t.backoff(n)
	t.log.Warn("WeChat sync failed; retrying", "err", err, "in", d.Round(time.Millisecond), "failures", n)
	// A stop cuts the sleep short; the loop then sees the cancelled context and ends itself.
	_ = sleepCtx(s.ctx, d)
	return nil
}

// loggedOut reports whether err carries one of the rets (1100-1102) by which WeChat ends a
// session: retrying it is useless, only a new login helps.
func loggedOut(err error) (openwechat.Ret, bool) {
	var ret openwechat.Ret
	return ret, errors.As(err, &ret) && ret >= 1100 && ret <= 1102
}

// checkTicket makes sure a hot login can still upload files; openwechat 1.4.10 loses the
// ticket in its cookie jar. HotLoginFile repairs the saved jar, so this fires only when the
// ticket is really gone, and then only a scan brings it back.
func (t *Transport) checkTicket(s *session) error {
	c := s.bot.Caller.Client
	u, err := url.Parse(c.Domain.FileHost() + "/cgi-bin/mmwebwx-bin/webwxuploadmedia")
	if err != nil {
		return err
	}
	for _, ck := range c.Jar().Cookies(u) {
		if ck.Name == dataTicket && ck.Value != "" {
			return nil
		}
	}
	t.log.Error("the saved WeChat session lacks webwx_data_ticket, so files cannot be sent; asking for a QR scan")
	return errNoTicket
}

// listContacts lists friends and saved groups once per login and gives them their ids.
// Groups not saved to the address book are not listed by WeChat; they are resolved when they
// first speak.
func (t *Transport) listContacts(s *session) error {
	defer close(s.ready)
	self, err := s.bot.GetCurrentUser()
	if err != nil {
		return fmt.Errorf("wechat: %w", err)
	}
	s.self, s.selfUN, s.nick = self, self.UserName, self.NickName
	s.account = strconv.FormatInt(s.bot.Storage.LoginInfo.WxUin, 10)
	if s.account == "0" {
		s.account = strconv.FormatInt(self.Uin, 10)
	}
	var members openwechat.Members
	err = safely(func() (err error) {
		members, err = s.bot.Caller.WebWxGetContact(s.ctx, s.bot.Storage.LoginInfo)
		return err
	})
	if err != nil {
		// Not fatal: everyone is resolved when they first write, but sends to people who
		// have not written yet fail until the next login.
		t.log.Error("listing WeChat contacts failed; resolving people as they write", "err", err)
		return nil
	}
	var peers []peer
	var users []*openwechat.User
	for _, u := range members {
		switch {
		case u.UserName == s.selfUN:
		case u.IsMP():
			s.skip[u.UserName] = true
		case u.IsGroup():
			peers = append(peers, peer{kind: KindGroup, nick: u.NickName})
			users = append(users, u)
		case u.IsFriend():
			peers = append(peers, peer{kind: KindContact, remark: u.RemarkName, nick: u.NickName})
			users = append(users, u)
		}
	}
	ids := t.dir.assign(s.account, peers)
	ambiguous := 0
	s.mu.Lock()
	for i, u := range users {
		if !ids[i].stable {
			ambiguous++
		}
		s.addLocked(u.UserName, peerRef{id: ids[i].id, name: displayName(u), kind: peers[i].kind, stable: ids[i].stable}, peers[i].key(s.account))
	}
	s.mu.Unlock()
	if err := t.dir.save(); err != nil {
		t.log.Error("saving WeChat identities", "err", err)
	}
	if ambiguous > 0 {
		t.log.Warn("WeChat contacts or groups share their names with another; they got fresh ids and must bind again (give them distinct remark names on the phone)", "count", ambiguous)
	}
	t.log.Info("WeChat contacts listed", "peers", len(users))
	return nil
}

// addLocked records a peer of this login; key is its identity key, empty for members.
func (s *session) addLocked(userName string, p peerRef, key string) {
	s.byUser[userName] = p
	if p.kind != KindMember {
		s.userOf[p.id] = userName
	}
	if key != "" {
		if _, taken := s.holders[key]; !taken {
			s.holders[key] = userName
		}
	}
}

// displayName is how a person is shown in logs and to the core: the owner's remark, else the
// nickname, emoji spans turned into emoji.
func displayName(u *openwechat.User) string {
	name := u.RemarkName
	if name == "" {
		name = u.NickName
	}
	return strings.TrimSpace(openwechat.FormatEmoji(name))
}

// safely runs a library call and turns its panic into an error: openwechat dereferences
// what the server may leave out.
func safely(f func() error) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("wechat: openwechat panicked: %v\n%s", p, debug.Stack())
		}
	}()
	return f()
}

// showQR prints the login QR code in the terminal and saves it as a PNG; it replaces
// openwechat's default, which opens a browser.
func (t *Transport) showQR(uuid string) {
	link := loginURLPrefix + uuid
	file := filepath.Join(t.cfg.Dir, QRCodeName)
	q, err := qrcode.New(link, qrcode.Medium)
	if err != nil {
		t.log.Error("drawing the login QR code", "err", err, "url", link)
	} else if png, err := q.PNG(320); err != nil {
		t.log.Error("drawing the login QR code", "err", err)
	} else if err := writeFileAtomic(file, png, 0o600); err != nil {
		t.log.Error("saving the login QR code", "err", err)
	}
	t.mu.Lock()
	t.status.State = StateScan
	t.status.QRURL, t.status.QRFile = link, file
	t.mu.Unlock()
	t.log.Warn("WeChat login needs a QR scan with the bot's phone", "qr_png", file, "url", link)
	if q != nil {
		fmt.Fprintf(t.cfg.QR, "\n请用机器人的微信号扫描下面的二维码登录（也保存在 %s）：\n%s%s\n\n", file, q.ToSmallString(false), link)
	}
}

func (t *Transport) removeQR() {
	if err := os.Remove(filepath.Join(t.cfg.Dir, QRCodeName)); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.log.Warn("removing the used QR code", "err", err)
	}
}

// online installs a logged-in session for sends.
func (t *Transport) online(s *session) {
	t.logins.Add(1)
	t.mu.Lock()
	t.sess = s
	close(t.ready)
	t.status.State = StateOnline
	t.status.Account = s.nick
	t.status.Since = t.cfg.Clock.Now()
	t.mu.Unlock()
	t.log.Info("WeChat logged in", "account", s.nick)
}

// offline removes the session; sends wait for the next.
func (t *Transport) offline(s *session) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.sess == s {
		t.sess = nil
		t.ready = make(chan struct{})
	}
}

// current returns the live session, waiting up to SendWait for one.
func (t *Transport) current(ctx context.Context) (*session, error) {
	timer := time.NewTimer(t.cfg.SendWait)
	defer timer.Stop()
	for {
		t.mu.Lock()
		s, ready := t.sess, t.ready
		t.mu.Unlock()
		if s != nil && s.ctx.Err() == nil {
			return s, nil
		}
		if s != nil {
			ready = nil // a dead session not yet removed: wait for offline and the next login
		}
		select {
		case <-ready:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-timer.C:
			return nil, ErrNotLoggedIn
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func isLoginTimeout(err error) bool { return errors.Is(err, openwechat.ErrLoginTimeout) }
