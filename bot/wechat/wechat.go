// Package wechat is innobot's WeChat transport: one bot account on the WeChat desktop (UOS)
// web protocol through github.com/eatmoreapple/openwechat v1.4.10. It is the only package that
// imports openwechat, so the library's traps (WECHAT.md) are handled here once: its handler
// runs inside its sync loop, its ids change at every login, its loop can panic or spin, and
// its cookie jar loses the ticket file uploads need.
//
// A Transport logs in by a QR code printed in the terminal (and saved as a PNG), keeps the
// session in the data dir so that a restart needs no scan, and reconnects with a new openwechat
// Bot, with backoff, whenever WeChat logs it out or the sync loop dies. Contacts and groups
// get stable ids that survive re-logins (see Identity for the rule and its limits).
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
	HotLoginName   = "wechat-session.json"    // openwechat's hot-login data
	QRCodeName     = "wechat-login-qr.png"    // the QR code to scan, while a scan is needed
	IdentitiesName = "wechat-identities.json" // WeChat names → stable ids
)

// Errors Send and Run return; test them with errors.Is.
var (
	// ErrNotLoggedIn: no session came up within Config.SendWait; the message was not sent.
	ErrNotLoggedIn = errors.New("wechat: not logged in")
	// ErrUnknownPeer: the contact or group is not reachable in the current login (not a
	// friend, a group not saved to the address book, or names that changed).
	ErrUnknownPeer = errors.New("wechat: contact or group not found in this login")
	// ErrLoginRefused: WeChat refuses this account on the desktop protocol (ret 1203); no
	// retry helps, another account is needed.
	ErrLoginRefused = errors.New("wechat: this account cannot use desktop login")
)

// Config says where the transport keeps its files and how careful it is with WeChat. Zero
// fields take the defaults shown.
type Config struct {
	// Dir holds the hot-login data, the login QR code and the identity file.
	Dir string
	Log *slog.Logger
	// QR receives the login QR code drawn with text blocks (default os.Stdout).
	QR io.Writer
	// Clock stamps Status; default the wall clock.
	Clock bot.Clock
	// Identities keeps the stable ids; default IdentityFile in Dir.
	Identities IdentityStore
	// HTTP carries openwechat's requests (default a clone of http.DefaultTransport). Tests
	// route it to a fake WeChat server.
	HTTP http.RoundTripper

	// Pace is the least time between two sends (default 1 s) and Jitter (0..1, default 0.3,
	// negative for none) spreads it, because WeChat bans accounts that send in bursts. A paced outbox in front of
	// the transport may set Pace lower; the transport's pace is the last guard.
	Pace   time.Duration
	Jitter float64
	// Cooldown is the pause of all sends after WeChat answers "operate too often" (ret 1205),
	// default 2 min.
	Cooldown time.Duration
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
	if c.Identities == nil {
		c.Identities = IdentityFile(filepath.Join(c.Dir, IdentitiesName))
	}
	if c.HTTP == nil {
		c.HTTP = http.DefaultTransport.(*http.Transport).Clone()
	}
	if c.Pace == 0 {
		c.Pace = time.Second
	}
	if c.Jitter == 0 {
		c.Jitter = 0.3
	}
	c.Jitter = min(max(c.Jitter, 0), 1)
	if c.Cooldown == 0 {
		c.Cooldown = 2 * time.Minute
	}
	if c.SendWait == 0 {
		c.SendWait = 30 * time.Second
	}
	if c.RetryMin == 0 {
		c.RetryMin = 2 * time.Second
	}
	if c.RetryMax == 0 {
		c.RetryMax = 5 * time.Minute
	}
	if c.PollGap == 0 {
		c.PollGap = time.Second
	}
	if c.StableAfter == 0 {
		c.StableAfter = 10 * time.Minute
	}
}

// State is where the transport is in its life, for /healthz and for the operator who must
// scan a QR code.
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

// Status is the transport's health, cheap enough to read on every /healthz and /metrics hit.
type Status struct {
	State    State `json:"state"`
	LoggedIn bool  `json:"logged_in"`
	// NeedScan is true while a person must scan QRURL (also saved as QRFile).
	NeedScan bool   `json:"need_scan"`
	QRURL    string `json:"qr_url,omitempty"`
	QRFile   string `json:"qr_file,omitempty"`
	// Account is the bot account's nickname in the current login.
	Account     string    `json:"account,omitempty"`
	Since       time.Time `json:"since,omitzero"` // the current login began
	LastMessage time.Time `json:"last_message,omitzero"`
	LastError   string    `json:"last_error,omitempty"`
	// Queue counts received messages not yet handed on.
	Queue int `json:"queue"`
	// Counters since the process started.
	Received   uint64 `json:"received"`
	Sent       uint64 `json:"sent"`
	SendErrors uint64 `json:"send_errors"`
	Logins     uint64 `json:"logins"`
	Reconnects uint64 `json:"reconnects"`
}

// Transport is a bot.Transport for one WeChat account. Make it with New; Run it once.
//
// Messages carry stable ids (Message.From, Message.Group) that the transport maps to the
// UserNames of the current login, anew after every login. When it cannot be sure who a
// contact is (two friends with the same names, or names that changed since the last login)
// it never reuses the old id: the contact gets a fresh, unbound id, and the core's welcome
// asks them to bind again with an invite code. See Identity.
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

	mu     sync.Mutex
	sess   *session      // the live login, nil between logins
	ready  chan struct{} // closed when sess is set
	status Status

	received, sent, sendErrors, logins, reconnects atomic.Uint64

	sendSem  chan struct{} // one send at a time
	nextSend time.Time     // guarded by sendSem
}

var _ bot.Transport = (*Transport)(nil)

// New makes a transport keeping its files in cfg.Dir; it reads the identity file now, so a
// damaged file stops the start instead of handing out fresh ids to everyone.
func New(cfg Config) (*Transport, error) {
	if cfg.Dir == "" {
		return nil, errors.New("wechat: no data dir")
	}
	cfg.defaults()
	if err := os.MkdirAll(cfg.Dir, 0o750); err != nil {
		return nil, fmt.Errorf("wechat: %w", err)
	}
	dir, err := newDirectory(cfg.Identities, cfg.Clock.Now)
	if err != nil {
		return nil, err
	}
	t := &Transport{
		cfg: cfg, log: cfg.Log, dir: dir,
		hotPath: filepath.Join(cfg.Dir, HotLoginName),
		ready:   make(chan struct{}),
		sendSem: make(chan struct{}, 1),
		status:  Status{State: StateStarting},
	}
	t.in.signal = make(chan struct{}, 1)
	return t, nil
}

// Status returns the transport's health now.
func (t *Transport) Status() Status {
	t.mu.Lock()
	s := t.status
	t.mu.Unlock()
	s.LoggedIn = s.State == StateOnline
	s.NeedScan = s.State == StateScan
	if !s.NeedScan {
		s.QRURL, s.QRFile = "", ""
	}
	s.Queue = t.in.len()
	s.Received, s.Sent, s.SendErrors = t.received.Load(), t.sent.Load(), t.sendErrors.Load()
	s.Logins, s.Reconnects = t.logins.Load(), t.reconnects.Load()
	return s
}

func (t *Transport) setState(st State, lastErr error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.status.State = st
	if lastErr != nil {
		t.status.LastError = lastErr.Error()
	}
}

// Run logs in and receives messages until ctx ends, reconnecting after every logout or
// failure. It returns nil when ctx ends, and an error only when retrying cannot help
// (ErrLoginRefused).
func (t *Transport) Run(ctx context.Context, deliver bot.Deliver) error {
	if !t.running.CompareAndSwap(false, true) {
		return errors.New("wechat: Run called twice")
	}
	wctx, stopWork := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { t.work(wctx, deliver) })
	defer func() {
		stopWork()
		wg.Wait()
	}()

	fails := 0
	for {
		start := time.Now()
		online, err := t.connect(ctx)
		if ctx.Err() != nil {
			t.setState(StateStopped, nil)
			return nil
		}
		if errors.Is(err, ErrLoginRefused) {
			t.setState(StateRefused, err)
			t.log.Error("WeChat refuses this account on the desktop protocol; innobot stops. Use another account (see README).", "err", err)
			return err
		}
		if online && time.Since(start) >= t.cfg.StableAfter {
			fails = 0
		}
		fails++
		delay := t.backoff(fails)
		if isLoginTimeout(err) {
			fails, delay = 0, t.cfg.RetryMin // nobody scanned: show a new code, no alarm
		}
		t.reconnects.Add(1)
		t.setState(StateOffline, err)
		t.log.Error("WeChat connection lost; reconnecting", "err", err, "in", delay.Round(time.Millisecond), "attempt", fails)
		if sleepCtx(ctx, delay) != nil {
			t.setState(StateStopped, nil)
			return nil
		}
	}
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
