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

// requestTimeout bounds one request to WeChat.
const requestTimeout = 90 * time.Second

// batchSize is the most contacts one webwxbatchgetcontact asks about (openwechat's limit).
const batchSize = 50

var (
	// errNoTicket: after a hot login the session cannot upload files.
	errNoTicket = errors.New("wechat: session has no webwx_data_ticket; files cannot be sent until a QR scan")
	// errZombie: WeChat keeps saying there are new messages and never delivers any.
	errZombie = errors.New("wechat: the session brings nothing any more (zombie)")
)

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

func newGroupInfo(u *openwechat.User, selfUN string) *groupInfo {
	g := &groupInfo{members: map[string]*openwechat.User{}, nicks: map[string]int{}, ids: map[string]peerRef{}}
	for _, m := range u.MemberList {
		g.members[m.UserName] = m
		g.nicks[m.NickName]++
		if m.UserName == selfUN {
			g.selfAs = m.DisplayName
		}
	}
	return g
}

// memberNicks lists a group's members' nicknames, the bot left out.
func memberNicks(u *openwechat.User, selfUN string) []string {
	var out []string
	for _, m := range u.MemberList {
		if m.UserName != selfUN {
			out = append(out, m.NickName)
		}
	}
	return out
}

// session is one login: one openwechat Bot and the UserNames it knows.
type session struct {
	bot     *openwechat.Bot
	account string // the account's Uin
	nick    string // the account's NickName
	selfUN  string
	ctx     context.Context
	cancel  context.CancelFunc
	ready   chan struct{} // closed once the login is accepted and its contacts listed
	killed  atomic.Pointer[error]

	syncErrs atomic.Int32
	empty    atomic.Int32 // syncs in a row that brought nothing
	self     atomic.Pointer[selfUser]

	mu       sync.Mutex
	complete bool               // the contact list was read whole: a stranger is really one
	byUser   map[string]peerRef // UserName → peer
	userOf   map[string]string  // stable id → UserName, for sends
	held     map[string]string  // identity record id → UserName holding it in this login
	skip     map[string]bool    // UserNames of official accounts and the like
	groups   map[string]*groupInfo
}

// kill ends the login from our side, with the reason Run logs.
func (s *session) kill(err error) {
	s.killed.CompareAndSwap(nil, &err)
	s.cancel()
}

// attempt is how one login went.
type attempt struct {
	online    bool // the login got as far as receiving
	restored  bool // from the saved session, without a scan
	loggedOut bool // WeChat ended it (1100-1102)
	zombie    bool
	began     time.Time
	err       error
}

// connect runs one login: it makes a Bot, logs in (the saved session first, else a QR scan)
// and serves until the Bot exits or ctx ends; in the latter case the session stays up for
// sends, as t.sess, until Close.
func (t *Transport) connect(ctx context.Context) (a attempt) {
	defer func() {
		if p := recover(); p != nil {
			t.log.Error("openwechat panicked during login", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
			a.err = fmt.Errorf("wechat: openwechat panicked: %v", p)
		}
	}()
	s, restored, err := t.login(ctx, OpenHotLogin(t.hotPath))
	if err != nil {
		a.loggedOut = isLoggedOut(err)
		a.err = err
		return a
	}
	a = attempt{online: true, restored: restored, began: t.cfg.Clock.Now()}
	t.online(s)
	select {
	case <-s.bot.Context().Done():
	case <-ctx.Done():
		a.err = ctx.Err()
		return a
	}
	t.offline(s)
	if p := s.killed.Load(); p != nil {
		a.err = *p
		a.zombie, a.loggedOut = errors.Is(a.err, errZombie), isLoggedOut(a.err)
		return a
	}
	if err := t.life.Err(); err != nil {
		a.err = err
		return a
	}
	// The library ended the login itself; CrashReason was set before it cancelled.
	reason := s.bot.CrashReason()
	ret, out := loggedOut(reason)
	switch {
	case out:
		a.loggedOut = true
		t.log.Error("WeChat logged the bot out; logging in again with the saved session (a QR scan may be needed)", "ret", int(ret), "reason", ret.String())
		a.err = fmt.Errorf("wechat: logged out by WeChat: %w", reason)
	case reason == nil:
		a.err = errors.New("wechat: the sync loop stopped without a reason")
	default:
		a.err = fmt.Errorf("wechat: sync loop failed: %w", reason)
	}
	return a
}

// login tries the saved session, then a QR scan; the returned session is logged in, its
// account checked and its contacts listed. restored says it came from the saved session.
func (t *Transport) login(ctx context.Context, hot *HotLoginFile) (*session, bool, error) {
	var refused atomic.Pointer[error]
	if !hot.Empty() {
		if err := hot.Check(); err != nil {
			t.log.Error("the saved WeChat session cannot be read; a QR scan is needed", "err", err)
			if err := hot.Clear(); err != nil {
				return nil, false, err
			}
			hot = OpenHotLogin(t.hotPath)
		} else {
			t.setState(StateLoggingIn, nil)
			s, err := t.try(ctx, &refused, func(s *session) error { return s.bot.HotLogin(hot) })
			switch {
			case err == nil:
				return s, true, nil
			case refused.Load() != nil:
				return nil, false, *refused.Load()
			case ctx.Err() != nil:
				return nil, false, ctx.Err()
			case errors.Is(err, ErrWrongAccount):
				return nil, false, err
			case !clearsSession(err):
				// WeChat answered with a transient failure (a 5xx page, Ret -1, 1205) or was
				// not reached: the session may still be good, so keep it and try again after
				// the backoff rather than ask for a scan.
				return nil, false, fmt.Errorf("wechat: hot login: %w", err)
			}
			t.log.Warn("the saved WeChat session was not accepted; a QR scan is needed", "err", err)
			if err := hot.Clear(); err != nil {
				return nil, false, err
			}
			hot = OpenHotLogin(t.hotPath)
		}
	}
	t.setState(StateLoggingIn, nil)
	// HotLogin on an empty store falls back to a scan and, unlike Login, makes the library
	// save the new session to the store.
	s, err := t.try(ctx, &refused, func(s *session) error {
		return s.bot.HotLogin(hot, &openwechat.RetryLoginOption{MaxRetryCount: 1})
	})
	if err != nil {
		if p := refused.Load(); p != nil {
			return nil, false, *p
		}
		return nil, false, fmt.Errorf("wechat: login: %w", err)
	}
	return s, false, nil
}

// try makes a session, logs it in with login, checks its ticket and account and lists its
// contacts. A failed or refused session is ended, and so is the attempt when ctx ends first.
func (t *Transport) try(ctx context.Context, refused *atomic.Pointer[error], login func(*session) error) (*session, error) {
	s := t.newSession(refused)
	stop := context.AfterFunc(ctx, s.cancel)
	err := safely(func() error { return login(s) })
	select {
	case <-s.bot.Context().Done():
		// The library sets its crash reason before it cancels, so it is safe to read now.
		if reason := s.bot.CrashReason(); isLoggedOut(reason) {
			// WeChat ended the session while it was being set up: that, not what the
			// setup tripped over, is why it failed.
			err = fmt.Errorf("wechat: logged out by WeChat during login: %w", reason)
		}
	default:
	}
	if err == nil {
		t.removeQR()
		err = t.checkTicket(s)
	}
	if err == nil {
		err = t.checkAccount(s)
	}
	if err == nil {
		t.listContacts(s)
	}
	if !stop() && err == nil {
		err = ctx.Err()
	}
	if err != nil {
		s.cancel()
		return nil, err
	}
	close(s.ready)
	return s, nil
}

// clearsSession says whether a failed hot login means the saved session is dead (WeChat ended
// it, or it lacks the ticket files need), rather than WeChat being unwell for a while.
func clearsSession(err error) bool {
	return isLoggedOut(err) || errors.Is(err, errNoTicket)
}

// newSession makes a Bot with every callback set before login, as openwechat requires.
func (t *Transport) newSession(refused *atomic.Pointer[error]) *session {
	sctx, cancel := context.WithCancel(t.life)
	b := openwechat.DefaultBot(openwechat.Desktop, openwechat.WithContextOption(sctx))
	s := &session{
		bot: b, ctx: sctx, cancel: cancel, ready: make(chan struct{}),
		byUser: map[string]peerRef{}, userOf: map[string]string{}, held: map[string]string{},
		skip: map[string]bool{}, groups: map[string]*groupInfo{},
	}
	b.UUIDCallback = t.showQR
	b.ScanCallBack = func(openwechat.CheckLoginResponse) {
		t.log.Warn("WeChat QR code scanned; confirm the login on the phone")
	}
	b.LoginCallBack = func(openwechat.CheckLoginResponse) {}
	b.SyncCheckCallback = func(openwechat.SyncCheckResponse) {} // the default prints each check
	b.MessageHandler = func(m *openwechat.Message) { t.onMessage(s, m) }
	b.MessageErrorHandler = func(err error) error { return t.onSyncError(s, err) }
	c := b.Caller.Client
	c.MaxRetryTimes = 1 // a retried send may be a repeated send; retries are ours, with backoff
	// WeChat holds a sync check for 25 s; openwechat's 30 s timeout turns every poll of a
	// slow link into a failure, and eight in a row into a new login.
	c.HTTPClient().Timeout = requestTimeout
	c.HTTPClient().Transport = &guard{
		base: t.cfg.HTTP, pollGap: t.cfg.PollGap, sleep: sleepCtx, draining: &t.draining,
		checked: func(selector string) {
			s.syncErrs.Store(0)
			if selector == string(openwechat.SelectorNormal) {
				s.empty.Store(0)
				t.useful()
			}
		},
		synced: func(content bool, mods []contactMod) {
			s.syncErrs.Store(0)
			if len(mods) > 0 {
				t.in.push(raw{s: s, mods: mods})
			}
			if content {
				s.empty.Store(0)
				t.useful()
				return
			}
			if n := int(s.empty.Add(1)); n >= t.cfg.ZombieSyncs {
				t.zombies.Add(1)
				t.log.Error("WeChat keeps announcing messages and delivers none (a zombie session); logging in again", "empty_syncs", n)
				s.kill(errZombie)
			}
		},
		inited: func(u selfUser) { s.self.Store(&u) },
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

// useful records that WeChat proved the session alive now.
func (t *Transport) useful() {
	now := t.cfg.Clock.Now()
	t.mu.Lock()
	t.status.LastUsefulSync = now
	t.mu.Unlock()
}

// onSyncError runs inside openwechat's sync loop: nil goes on, an error ends the login.
// openwechat's default retries any other error at once, forever; this one backs off and
// gives up after maxSyncErrors in a row.
func (t *Transport) onSyncError(s *session, err error) error {
	if s.ctx.Err() != nil || s.bot.Context().Err() != nil || t.draining.Load() {
		return nil // the login is ending or we are stopping it: let the loop end or park quietly
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

func isLoggedOut(err error) bool {
	_, out := loggedOut(err)
	return out
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

// checkAccount pins the WeChat account of the first login and refuses any other: somebody
// scanning with a personal phone would otherwise put the bot, and every binding, on the wrong
// account. Config.NewAccount moves the bot to the account that logs in.
func (t *Transport) checkAccount(s *session) error {
	self := s.self.Load()
	if self == nil {
		return errors.New("wechat: the login named no account")
	}
	s.selfUN, s.nick = self.UserName, self.NickName
	s.account = strconv.FormatInt(s.bot.Storage.LoginInfo.WxUin, 10)
	if s.account == "0" {
		s.account = strconv.FormatInt(self.Uin, 10)
	}
	pinned := t.dir.accountRecord()
	if pinned != nil && pinned.Uin != s.account && !t.cfg.NewAccount {
		t.log.Error("the login code was scanned with another WeChat account than the bot's; refused and logged out. Scan with the bot's own phone, or start innobot run with --new-account to move the bot to this account",
			"bot_account", pinned.NickName, "scanned_by", s.nick)
		if err := safely(s.bot.Logout); err != nil {
			t.log.Warn("logging the other account out", "err", err)
		}
		if err := OpenHotLogin(t.hotPath).Clear(); err != nil {
			t.log.Error("clearing the other account's session", "err", err)
		}
		return fmt.Errorf("%w (%s, the bot is %s)", ErrWrongAccount, s.nick, pinned.NickName)
	}
	if pinned != nil && pinned.Uin != s.account {
		t.log.Warn("moving the bot to another WeChat account, as --new-account asks: every contact and group must bind again",
			"from", pinned.NickName, "to", s.nick)
	}
	t.dir.pin(s.account, s.nick, pinned != nil && pinned.Uin != s.account)
	if err := t.dir.save(t.life); err != nil {
		return err
	}
	return nil
}

// listContacts lists friends and saved groups once per login and gives them their ids. Groups
// not saved to the address book are not listed by WeChat; they are resolved when they first
// speak. A failed listing is not fatal: people are resolved as they write, and nobody is
// counted missing.
func (t *Transport) listContacts(s *session) {
	var members openwechat.Members
	err := safely(func() (err error) {
		members, err = s.bot.Caller.WebWxGetContact(s.ctx, s.bot.Storage.LoginInfo)
		return err
	})
	if err != nil {
		t.log.Error("listing WeChat contacts failed; resolving people as they write", "err", err)
		return
	}
	var peers []peer
	var users []*openwechat.User
	var groups openwechat.Members
	for _, u := range members {
		switch {
		case u.UserName == s.selfUN:
		case u.IsMP():
			s.skip[u.UserName] = true
		case u.IsGroup():
			groups = append(groups, u)
		case u.IsFriend():
			peers = append(peers, peer{kind: KindContact, userName: u.UserName, remark: u.RemarkName, nick: u.NickName,
				profile: contactProfile(u.Sex, u.Province, u.City)})
			users = append(users, u)
		}
	}
	// The listing gives groups without members; their members tell a group from another of
	// the same name.
	details := t.details(s, groups)
	for _, g := range groups {
		p := peer{kind: KindGroup, userName: g.UserName, nick: g.NickName}
		if d := details[g.UserName]; d != nil {
			p.profile = groupProfile(memberNicks(d, s.selfUN))
			s.groups[g.UserName] = newGroupInfo(d, s.selfUN)
		}
		peers = append(peers, p)
		users = append(users, g)
	}
	ids := t.dir.listing(peers, true)
	fresh := 0
	s.mu.Lock()
	s.complete = true
	for i, u := range users {
		if !ids[i].stable {
			fresh++
		}
		s.addLocked(u.UserName, peerRef{id: ids[i].id, name: displayName(u), kind: peers[i].kind, stable: ids[i].stable})
	}
	s.mu.Unlock()
	if err := t.dir.save(t.life); err != nil {
		t.log.Error("saving WeChat identities", "err", err)
	}
	if fresh > 0 {
		t.log.Warn("WeChat contacts or groups share their names with another; they got fresh ids and must bind again (give them distinct remark names on the phone)", "count", fresh)
	}
	t.log.Info("WeChat contacts listed", "peers", len(users))
}

// details fetches groups with their members, batchSize at a time; a failed batch is logged and
// left out.
func (t *Transport) details(s *session, groups openwechat.Members) map[string]*openwechat.User {
	out := map[string]*openwechat.User{}
	for start := 0; start < len(groups); start += batchSize {
		batch := groups[start:min(start+batchSize, len(groups))]
		var got openwechat.Members
		err := safely(func() (err error) {
			got, err = s.bot.Caller.WebWxBatchGetContact(s.ctx, batch, s.bot.Storage.Request)
			return err
		})
		if err != nil {
			t.log.Warn("fetching WeChat groups' members", "err", err)
			continue
		}
		for _, u := range got {
			if u != nil {
				out[u.UserName] = u
			}
		}
	}
	return out
}

// addLocked records a peer of this login.
func (s *session) addLocked(userName string, p peerRef) {
	s.byUser[userName] = p
	if p.kind != KindMember {
		s.userOf[p.id] = userName
	}
	if p.stable {
		s.held[p.id] = userName
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
		t.log.Error("drawing the login QR code", "err", err)
	} else if png, err := q.PNG(320); err != nil {
		t.log.Error("drawing the login QR code", "err", err)
	} else if err := writeFileAtomic(file, png, 0o600); err != nil {
		t.log.Error("saving the login QR code", "err", err)
	}
	if q != nil {
		fmt.Fprintf(t.cfg.QR, "\n请用机器人的微信号扫描下面的二维码登录（也保存在 %s）：\n%s%s\n\n", file, q.ToSmallString(false), link)
	}
	t.mu.Lock()
	first := !t.status.NeedScan
	t.status.State, t.status.NeedScan = StateScan, true
	t.status.QRURL, t.status.QRFile = link, file
	if t.status.OfflineSince.IsZero() {
		t.status.OfflineSince = t.cfg.Clock.Now()
	}
	t.mu.Unlock()
	if first {
		t.log.Warn("WeChat login needs a QR scan with the bot's phone", "qr_png", file)
	} else {
		t.log.Info("the login QR code expired; showing a new one", "qr_png", file)
	}
}

func (t *Transport) removeQR() {
	if err := os.Remove(filepath.Join(t.cfg.Dir, QRCodeName)); err != nil && !errors.Is(err, os.ErrNotExist) {
		t.log.Warn("removing the used QR code", "err", err)
	}
}

// online installs a logged-in session for sends; the scan, the offline time and the last
// error are over.
func (t *Transport) online(s *session) {
	t.logins.Add(1)
	now := t.cfg.Clock.Now()
	t.mu.Lock()
	t.sess = s
	close(t.ready)
	t.status.State, t.status.NeedScan, t.status.QRURL, t.status.QRFile = StateOnline, false, "", ""
	t.status.LastError, t.status.OfflineSince = "", time.Time{}
	t.status.Account, t.status.Since, t.status.LastUsefulSync = s.nick, now, now
	t.mu.Unlock()
	t.log.Info("WeChat logged in", "account", s.nick)
	t.pruneReceived(now)
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

// current returns the live session, waiting up to SendWait for one; none comes once Run has
// returned.
func (t *Transport) current(ctx context.Context) (*session, error) {
	timer := time.NewTimer(t.cfg.SendWait)
	defer timer.Stop()
	for {
		t.mu.Lock()
		s, ready := t.sess, t.ready
		t.mu.Unlock()
		if s != nil && s.ctx.Err() == nil && s.bot.Context().Err() == nil {
			return s, nil
		}
		select {
		case <-t.ended:
			return nil, ErrNotLoggedIn
		default:
		}
		if s != nil {
			ready = nil // a dead session not yet removed: wait for offline and the next login
		}
		select {
		case <-ready:
		case <-t.ended:
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-t.life.Done():
			return nil, ErrNotLoggedIn
		case <-timer.C:
			return nil, ErrNotLoggedIn
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// stopReceiving ends receiving when Run stops: the sync loop is parked before its next
// webwxsync, so that WeChat keeps what was not fetched for the next login, and what was
// fetched is in the inbox for the worker to hand on.
func (t *Transport) stopReceiving() {
	t.draining.Store(true)
	t.mu.Lock()
	s := t.sess
	t.mu.Unlock()
	if s == nil {
		return
	}
	g, ok := s.bot.Caller.Client.HTTPClient().Transport.(*guard)
	if !ok {
		return
	}
	g.cancelCheck()
	// A webwxsync under way finishes and its messages are pushed before the next check
	// parks; a loop stuck elsewhere is not waited for long.
	select {
	case <-g.parkedCh():
	case <-s.ctx.Done():
	case <-time.After(drainWait):
		t.log.Warn("the WeChat sync loop did not stop receiving in time; handing on what was received")
	}
}

// drainWait bounds how long stopping waits for the sync loop to park.
const drainWait = 10 * time.Second

func isLoginTimeout(err error) bool { return errors.Is(err, openwechat.ErrLoginTimeout) }
