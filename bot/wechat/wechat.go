// Package wechat is innobot's WeChat transport: one bot account on the WeChat desktop (UOS)
// web protocol through github.com/eatmoreapple/openwechat v1.4.10. It is the only package that
// imports openwechat, so the library's traps are handled here once: its handler runs inside its
// sync loop, its ids change at every login, its loop can panic, spin or go on for ever with a
// session WeChat no longer serves (a zombie), and its cookie jar loses the ticket file uploads
// need. docs/wechat.md lists what the transport relies on.
//
// A Transport logs in by a QR code printed in the terminal (and saved as a PNG), keeps the
// session in the data dir so that a restart needs no scan, and reconnects with a new openwechat
// Bot, with backoff, whenever WeChat logs it out, the sync loop dies or the session turns into
// a zombie. Contacts and groups get stable ids kept in the store (see the rules in identity.go).
package wechat

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"innobot/bot"
)

// Files the transport keeps in its data dir.
const (
	HotLoginName = "wechat-session.json"   // openwechat's hot-login data
	QRCodeName   = "wechat-login-qr.png"   // the QR code to scan, while a scan is needed
	ReceivedDir  = "wechat-received-files" // files people sent, for handlers to read
)

// Errors Send and Run return; test them with errors.Is.
var (
	// ErrNotLoggedIn: no session came up within Config.SendWait; the message was not sent.
	ErrNotLoggedIn = errors.New("wechat: not logged in")
	// ErrUnknownPeer: the contact or group is not reachable in the current login (not a
	// friend, a group not saved to the address book, or names that changed). It is a
	// bot.ErrUnreachable: trying again will not help.
	ErrUnknownPeer = fmt.Errorf("wechat: contact or group not found in this login: %w", bot.ErrUnreachable)
	// ErrLoginRefused: WeChat refuses this account on the desktop protocol (ret 1203); no
	// retry helps, another account is needed.
	ErrLoginRefused = errors.New("wechat: this account cannot use desktop login")
	// ErrWrongAccount: the phone that scanned belongs to another WeChat account than the one
	// the bot was first logged in with.
	ErrWrongAccount = errors.New("wechat: another WeChat account scanned the login code")
)

// Config says where the transport keeps its files and how careful it is with WeChat. Zero
// fields take the defaults shown.
type Config struct {
	// Dir holds the hot-login data, the login QR code and received files.
	Dir string
	// Account names the bot account (config bot.account, "" for a single bot): the identity
	// records belong to it.
	Account string
	// Identities keeps the stable ids of contacts and groups: the store.
	Identities IdentityStore
	Log        *slog.Logger
	// QR receives the login QR code drawn with text blocks (default os.Stdout).
	QR io.Writer
	// Clock stamps Status and identity records; default the wall clock.
	Clock bot.Clock
	// HTTP carries openwechat's requests (default a clone of http.DefaultTransport). Tests
	// route it to a fake WeChat server.
	HTTP http.RoundTripper

	// Cooldown is the pause of all sends after WeChat answers "operate too often" (ret 1205),
	// default 2 min; each 1205 within an hour of the last pause doubles it, up to CooldownMax
	// (default 60 min).
	Cooldown, CooldownMax time.Duration
	// SendWait bounds how long Send waits for a login (default 30 s).
	SendWait time.Duration
	// RetryMin and RetryMax bound the exponential backoff between login attempts and between
	// failing sync calls (default 2 s and 5 min).
	RetryMin, RetryMax time.Duration
	// PollGap is the least time between two login checks or two sync checks (default 1 s):
	// openwechat asks again at once whenever the server answers at once.
	PollGap time.Duration
	// StableAfter is how long a login must last for the backoff to start over (default 10 min).
	StableAfter time.Duration
	// ZombieSyncs is how many syncs in a row may bring nothing before the session is taken for
	// a zombie and ended (default 30): WeChat then keeps saying "new messages" and never
	// delivers any.
	ZombieSyncs int
	// RestoredGrace: a session restored from the saved file that WeChat logs out (or that
	// turns out a zombie) within this time is not tried again: the saved file is cleared and a
	// QR scan asked for (default 5 min).
	RestoredGrace time.Duration
	// OfflineAlert is how long reconnecting counts as brief in Status.Health (default 10 min).
	OfflineAlert time.Duration
	// RetireAfter is how many logins may list the address book without a record's holder
	// before the record is retired (default DefaultRetireAfter).
	RetireAfter int
	// AcceptFriends accepts friend requests (wechat.accept_friends); otherwise they are only
	// logged, for the account's owner to accept on the phone.
	AcceptFriends bool
	// NewAccount lets a WeChat account other than the pinned one log in, and pins it.
	NewAccount bool
	// MaxFile is the largest received file fetched for handlers (default 10 MB).
	MaxFile int64
}

func (c *Config) defaults() {
	if c.Log == nil {
		c.Log = slog.Default()
	}
	if c.QR == nil {
		c.QR = os.Stdout
	}
	if c.Clock == nil {
		c.Clock = bot.ClockFunc(time.Now)
	}
	if c.HTTP == nil {
		c.HTTP = http.DefaultTransport.(*http.Transport).Clone()
	}
	def := func(d *time.Duration, v time.Duration) {
		if *d == 0 {
			*d = v
		}
	}
	def(&c.Cooldown, 2*time.Minute)
	def(&c.CooldownMax, time.Hour)
	def(&c.SendWait, 30*time.Second)
	def(&c.RetryMin, 2*time.Second)
	def(&c.RetryMax, 5*time.Minute)
	def(&c.PollGap, time.Second)
	def(&c.StableAfter, 10*time.Minute)
	def(&c.RestoredGrace, 5*time.Minute)
	def(&c.OfflineAlert, 10*time.Minute)
	if c.ZombieSyncs == 0 {
		c.ZombieSyncs = 30
	}
	if c.RetireAfter == 0 {
		c.RetireAfter = DefaultRetireAfter
	}
	if c.MaxFile == 0 {
		c.MaxFile = 10 << 20
	}
}

// State is where the transport is in its life.
type State string

// States.
const (
	StateStarting  State = "starting"
	StateLoggingIn State = "logging_in"       // trying the saved session
	StateScan      State = "waiting_for_scan" // a QR code waits to be scanned: someone must act
	StateOnline    State = "online"
	StateOffline   State = "reconnecting" // logged out or the sync loop died; backing off
	StateRefused   State = "refused"      // the account cannot use desktop login (ret 1203)
	StateStopped   State = "stopped"
)

// Health values: what a monitor should make of the transport.
const (
	HealthOK           = "ok"
	HealthReconnecting = "reconnecting" // briefly offline; it recovers by itself
	HealthOffline      = "offline"      // reconnecting for longer than Config.OfflineAlert
	HealthNeedsPerson  = "needs_person" // a QR code waits, or WeChat refuses the account
)

// Status is the transport's health, cheap enough to read on every /healthz and /metrics hit.
type Status struct {
	State State `json:"state"`
	// Health sums up State for a monitor: HealthOK, HealthReconnecting, HealthOffline or
	// HealthNeedsPerson.
	Health   string `json:"health"`
	LoggedIn bool   `json:"logged_in"`
	// NeedScan is true from the moment a QR code is shown until a login succeeds, through
	// the codes that expire meanwhile: someone must scan QRURL (also saved as QRFile).
	NeedScan bool   `json:"need_scan"`
	QRURL    string `json:"qr_url,omitempty"`
	QRFile   string `json:"qr_file,omitempty"`
	// Account is the bot account's nickname in the current login.
	Account      string    `json:"account,omitempty"`
	Since        time.Time `json:"since,omitzero"`         // the current login began
	OfflineSince time.Time `json:"offline_since,omitzero"` // the bot went offline
	LastMessage  time.Time `json:"last_message,omitzero"`
	// LastUsefulSync is when WeChat last proved the session alive: a sync that brought
	// messages or contact changes, or a sync check that found nothing new. A zombie session
	// answers, but never usefully.
	LastUsefulSync time.Time `json:"last_useful_sync,omitzero"`
	// LastError is the last failure, cleared by a successful login.
	LastError string `json:"last_error,omitempty"`
	// Queue counts received messages not yet handed on.
	Queue int `json:"queue"`
	// Counters since the process started.
	Received       uint64 `json:"received"`
	Sent           uint64 `json:"sent"`
	SendErrors     uint64 `json:"send_errors"`
	Logins         uint64 `json:"logins"`
	Reconnects     uint64 `json:"reconnects"`
	Zombies        uint64 `json:"zombies"`
	FriendRequests uint64 `json:"friend_requests"`
}

// Transport is a bot.Transport for one WeChat account. Make it with New, Run it once, Close it
// after the last Send.
//
// Messages carry stable ids (Message.From, Message.Group) that the transport maps to the
// UserNames of the current login, anew after every login; when it cannot be sure who a contact
// is it gives a fresh id, and the core's welcome asks them to bind again.
//
// Received messages go to deliver in the order WeChat gave them, from a queue of the
// transport's own, never from inside openwechat's sync loop; Message.ID is openwechat's MsgId,
// the same when WeChat delivers a message again, so the router drops repeats.
type Transport struct {
	cfg     Config
	log     *slog.Logger
	dir     *directory
	hotPath string
	in      inbox
	running atomic.Bool
	ended   chan struct{} // closed when Run returns: no login comes after it

	// life bounds every session: Close ends it. Run's context only stops receiving, so that
	// replies to what was received still go out.
	life     context.Context
	endLife  context.CancelFunc
	draining atomic.Bool

	mu     sync.Mutex
	sess   *session      // the live login, nil between logins
	ready  chan struct{} // closed when sess is set
	status Status

	received, sent, sendErrors, logins, reconnects, zombies, friendRequests atomic.Uint64

	sendSem chan struct{} // one send at a time

	pauseMu     sync.Mutex
	pausedUntil time.Time     // WeChat asked for a pause (1205)
	pause       time.Duration // the last pause, doubled by the next
}

var _ bot.Transport = (*Transport)(nil)

// New makes a transport keeping its files in cfg.Dir and its identities in cfg.Identities. It
// reads the identities now (moving an identity file of earlier versions into the store first),
// so that a store that cannot be read stops the start instead of handing out fresh ids to
// everyone.
func New(ctx context.Context, cfg Config) (*Transport, error) {
	if cfg.Dir == "" {
		return nil, errors.New("wechat: no data dir")
	}
	if cfg.Identities == nil {
		return nil, errors.New("wechat: no identity store")
	}
	cfg.defaults()
	log := slog.New(redacting{cfg.Log.Handler()})
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("wechat: %w", err)
	}
	n, err := migrateLegacy(ctx, filepath.Join(cfg.Dir, LegacyIdentitiesName), cfg.Account, cfg.Identities)
	if err != nil {
		return nil, err
	}
	if n > 0 {
		log.Info("moved WeChat identities from the side file into the store", "count", n)
	}
	dir, err := newDirectory(ctx, cfg.Identities, cfg.Account, cfg.Clock.Now, cfg.RetireAfter)
	if err != nil {
		return nil, err
	}
	life, end := context.WithCancel(context.WithoutCancel(ctx))
	t := &Transport{
		cfg: cfg, log: log, dir: dir,
		hotPath: filepath.Join(cfg.Dir, HotLoginName),
		life:    life, endLife: end,
		ready:   make(chan struct{}),
		ended:   make(chan struct{}),
		sendSem: make(chan struct{}, 1),
		status:  Status{State: StateStarting},
	}
	t.in.signal = make(chan struct{}, 1)
	return t, nil
}

// Status returns the transport's health now.
func (t *Transport) Status() Status {
	now := t.cfg.Clock.Now()
	t.mu.Lock()
	s := t.status
	t.mu.Unlock()
	s.LoggedIn = s.State == StateOnline
	if !s.NeedScan {
		s.QRURL, s.QRFile = "", ""
	}
	switch {
	case s.NeedScan || s.State == StateRefused:
		s.Health = HealthNeedsPerson
	case s.LoggedIn:
		s.Health = HealthOK
	case !s.OfflineSince.IsZero() && now.Sub(s.OfflineSince) > t.cfg.OfflineAlert:
		s.Health = HealthOffline
	default:
		s.Health = HealthReconnecting
	}
	s.Queue = t.in.len()
	s.Received, s.Sent, s.SendErrors = t.received.Load(), t.sent.Load(), t.sendErrors.Load()
	s.Logins, s.Reconnects, s.Zombies = t.logins.Load(), t.reconnects.Load(), t.zombies.Load()
	s.FriendRequests = t.friendRequests.Load()
	return s
}

// setState records where the transport is; lastErr, when set, becomes LastError (secrets
// removed). While a scan is needed the state stays StateScan.
func (t *Transport) setState(st State, lastErr error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if st == StateOffline && t.status.NeedScan {
		st = StateScan
	}
	if st != StateOnline && t.status.OfflineSince.IsZero() {
		t.status.OfflineSince = t.cfg.Clock.Now()
	}
	t.status.State = st
	if lastErr != nil {
		t.status.LastError = redact(lastErr.Error())
	}
}

// Run logs in and receives messages until ctx ends, reconnecting after every logout or
// failure. When ctx ends it stops receiving (WeChat keeps what was not fetched for the next
// login), hands on what it received and returns nil, leaving the session up for the replies:
// Close ends it. It returns an error only when retrying cannot help (ErrLoginRefused).
func (t *Transport) Run(ctx context.Context, deliver bot.Deliver) error {
	if !t.running.CompareAndSwap(false, true) {
		return errors.New("wechat: Run called twice")
	}
	var wg sync.WaitGroup
	wg.Go(func() { t.work(deliver) })
	defer func() {
		t.in.close()
		wg.Wait()
		close(t.ended)
	}()

	fails := 0
	for {
		a := t.connect(ctx)
		if ctx.Err() != nil {
			t.stopReceiving()
			return nil
		}
		if errors.Is(a.err, ErrLoginRefused) {
			t.setState(StateRefused, a.err)
			t.log.Error("WeChat refuses this account on the desktop protocol; innobot stops. Use another account (see README).", "err", a.err)
			return redactErr(a.err)
		}
		if a.online && t.cfg.Clock.Now().Sub(a.began) >= t.cfg.StableAfter {
			fails = 0
		}
		if a.online && a.restored && t.cfg.Clock.Now().Sub(a.began) < t.cfg.RestoredGrace && (a.loggedOut || a.zombie) {
			// WeChat accepts the saved session at init and then drops it: trying it again
			// would loop for ever without anyone being asked to scan.
			t.log.Error("the saved WeChat session was dropped by WeChat within minutes of being restored; clearing it and asking for a QR scan", "err", a.err)
			if err := OpenHotLogin(t.hotPath).Clear(); err != nil {
				t.log.Error("clearing the saved session", "err", err)
			}
		}
		fails++
		delay := t.backoff(fails)
		switch {
		case isLoginTimeout(a.err):
			fails, delay = 0, t.cfg.RetryMin // nobody scanned in time: show a new code
		case errors.Is(a.err, ErrWrongAccount):
			fails, delay = 0, t.cfg.RetryMin
		default:
			t.reconnects.Add(1)
			t.log.Error("WeChat connection lost; reconnecting", "err", a.err, "in", delay.Round(time.Millisecond), "attempt", fails)
		}
		t.setState(StateOffline, a.err)
		if sleepCtx(ctx, delay) != nil {
			t.stopReceiving()
			return nil
		}
	}
}

// Close ends the session (it stays saved for the next start) and every call under way. Call
// it after the last Send.
func (t *Transport) Close() error {
	t.endLife()
	t.setState(StateStopped, nil)
	return nil
}

// backoff is the wait before the n-th consecutive attempt: RetryMin doubling up to RetryMax,
// spread by ±20% so that several instances do not knock at once.
func (t *Transport) backoff(n int) time.Duration {
	d := t.cfg.RetryMin
	for i := 1; i < n && d < t.cfg.RetryMax; i++ {
		d *= 2
	}
	d = min(d, t.cfg.RetryMax)
	return time.Duration(float64(d) * (0.8 + 0.4*rand.Float64()))
}

// sleepCtx waits d or until ctx ends.
func sleepCtx(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	tm := time.NewTimer(d)
	defer tm.Stop()
	select {
	case <-tm.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}
