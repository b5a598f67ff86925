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
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"innobot/assistant"
	"innobot/bot"
	"innobot/bot/wechat"
	"innobot/storage"
)

// drainWait bounds how long a stopping bot waits for the messages it received to be handled:
// a turn under way commits with a context the stop does not cancel, and past this wait the
// rest is abandoned (WeChat does not deliver it again, but the person sees no answer and asks
// again).
const drainWait = 20 * time.Second

// defaultListen is where `innobot run` serves /healthz, /metrics and (on loopback) the copies
// `innobot backup` asks for.
const defaultListen = "127.0.0.1:9090"

// runRun is `innobot run`: the bot on WeChat, with /healthz and /metrics on --listen.
func runRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", stderr)
	load := settingsFlags(fs)
	listen := fs.String("listen", defaultListen, "健康检查 /healthz、监控指标 /metrics 与 innobot backup 的地址；空字符串则不开")
	newAccount := fs.Bool("new-account", false, "允许另一个微信号扫码登录，并把机器人改绑到这个微信号（所有联系人和群须重新绑定）")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	st, err := load()
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	clock := bot.ClockFunc(time.Now)
	st.pace, st.perHour = st.outboxPace(), st.cfg.Outbox.PerHour
	st.flood = assistant.FloodLimit
	store, err := st.openStore()
	if err != nil {
		return err
	}
	tr, err := wechat.New(ctx, st.wechatConfig(store, clock, log, stdout, *newAccount))
	if err != nil {
		return errors.Join(err, store.Close())
	}
	var ln net.Listener
	if *listen != "" {
		if ln, err = net.Listen("tcp", *listen); err != nil {
			return errors.Join(fmt.Errorf("--listen: %w", err), store.Close())
		}
	}
	return st.serve(ctx, store, tr, ln, clock, log)
}

// wechatConfig is the transport's configuration.
func (st settings) wechatConfig(store storage.Backend, clock bot.Clock, log *slog.Logger, qr io.Writer, newAccount bool) wechat.Config {
	return wechat.Config{
		Dir: st.dir, Account: st.cfg.Bot.Account, Identities: store, Log: log, QR: qr, Clock: clock,
		AcceptFriends: st.cfg.WeChat.AcceptFriends, NewAccount: newAccount,
	}
}

// serve runs the bot over an open store and transport until ctx ends, serving /healthz and
// /metrics on ln (nil for none) and, on a loopback ln, the copies `innobot backup` asks for;
// a bolt store is also copied on the config's backup schedule. Then it stops in order:
// receiving first, then the router finishes what it holds (with drainWait, and a context the
// stop does not cancel, so that a turn under way commits), then the outbox, reminders and
// backups, the last answers, the transport and the store.
func (st settings) serve(ctx context.Context, store storage.Backend, tr *wechat.Transport, ln net.Listener, clock bot.Clock, log *slog.Logger) error {
	eng, err := st.newEngine(ctx, store, clock, tr, log)
	if err != nil {
		return errors.Join(err, tr.Close(), store.Close())
	}
	background, stopBackground := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBackground()
	handling, stopHandling := context.WithCancel(context.WithoutCancel(ctx))
	defer stopHandling()
	var wg sync.WaitGroup
	// The reminder loop and the paced outbox: what fell due while the bot was down is queued
	// first (within the grace window), and the outbox sends it once WeChat is logged in.
	if err := eng.remind.queueMissed(background); err != nil {
		log.Error("reminder catch-up", "err", err)
	}
	wg.Go(func() {
		if err := eng.remind.run(background); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("reminders", "err", err)
		}
	})
	wg.Go(func() { eng.maintainEvery(background, time.Hour, log) })
	wg.Go(func() {
		if err := eng.svc.Warm(background); err != nil && background.Err() == nil {
			log.Error("reading the lists 进度 needs", "err", err)
		}
	})
	copier, copies := store.(backuper)
	switch {
	case copies && st.cfg.Backup.Every > 0:
		sched := backupSchedule{store: copier, dir: st.backupDir(), every: st.cfg.Backup.Every.Std(), keep: st.cfg.Backup.Keep,
			loc: st.cfg.Location(), clock: clock, log: log}
		wg.Go(func() { sched.run(background) })
	case !copies && st.cfg.Backup.Every > 0:
		log.Info("no scheduled backups: Redis keeps its own (AOF, RDB); innobot migrate copies it to a bolt file")
	}
	var srv *http.Server
	if ln != nil {
		loopback := isLoopback(ln.Addr())
		mux := healthMux(tr, eng, st.cfg.Bot.Account, loopback)
		if copies && loopback {
			mux.Handle("GET /backup", backupHandler(copier, eng.key, st.boltPath(), log))
		}
		srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		go func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("health server", "err", err)
			}
		}()
		log.Info("serving /healthz and /metrics", "addr", ln.Addr().String())
	}

	runErr := tr.Run(ctx, func(m bot.Message) <-chan struct{} { return eng.router.Deliver(handling, m) })
	log.Info("stopped receiving; finishing the messages under way", "wait", drainWait)
	finished := make(chan struct{})
	go func() {
		eng.router.Wait()
		close(finished)
	}()
	deadline := time.After(drainWait)
	select {
	case <-finished:
	case <-deadline:
		log.Error("messages still under way after the wait; abandoning them", "wait", drainWait)
		stopHandling()
		<-finished
	}
	// The outbox's loop and the reminders stop first: the loop may be waiting out a pause,
	// the hourly cap or a login for as long as they last. Then the answers of what was
	// handled go out on their own, within another drainWait, unless WeChat is paused or not
	// logged in; they and the queued reminders otherwise wait for the next start.
	stopBackground()
	wg.Wait()
	answering, stopAnswering := context.WithTimeout(context.WithoutCancel(ctx), drainWait)
	if _, err := eng.remind.outbox.FlushAnswers(answering); err != nil && answering.Err() == nil {
		log.Error("sending the last answers", "err", err)
	}
	stopAnswering()
	errs := []error{runErr, tr.Close()}
	if srv != nil {
		shut, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		errs = append(errs, srv.Shutdown(shut))
		cancel()
	}
	if err := store.Close(); err != nil {
		errs = append(errs, fmt.Errorf("close store: %w", err))
	}
	log.Info("stopped")
	return errors.Join(errs...)
}

// isLoopback reports whether a listener only answers this machine: only there may /healthz
// show the login QR link, which logs whoever opens it into the bot's account once scanned.
func isLoopback(a net.Addr) bool {
	tcp, ok := a.(*net.TCPAddr)
	return ok && tcp.IP.IsLoopback()
}

// health is the /healthz answer: enough for a monitor to page someone when a QR code waits.
type health struct {
	wechat.Status
	// OutboxPending counts queued messages not yet sent (-1 when the store cannot say).
	OutboxPending int `json:"outbox_pending"`
	// OutboxFailed counts messages given up since the start (unreachable recipients, or too
	// old to matter).
	OutboxFailed uint64 `json:"outbox_failed"`
	// Storage is what the store says of itself: a damaged file (the store then refuses every
	// write, and /healthz answers 503), or what a crash of Redis may undo.
	Storage storage.Health `json:"storage"`
}

// storeHealth is a store that reports on itself (storage/bolt, storage/redis).
type storeHealth interface {
	Health(ctx context.Context) storage.Health
}

// storageHealth is what the engine's store says of itself; a store that says nothing is fine.
func storageHealth(ctx context.Context, store storage.Backend) storage.Health {
	if h, ok := store.(storeHealth); ok {
		return h.Health(ctx)
	}
	return storage.Health{}
}

// healthMux serves /healthz (503 when someone must act or the bot has been offline for long,
// so a plain HTTP check alerts; 200 while it reconnects briefly) and /metrics in Prometheus
// format. showQR lets /healthz include the login link.
func healthMux(tr *wechat.Transport, eng *engine, account string, showQR bool) *http.ServeMux {
	pending := func(ctx context.Context) int {
		ms, err := eng.store.Pending(ctx, account, 10_000)
		if err != nil {
			return -1
		}
		return len(ms)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		h := health{Status: tr.Status(), OutboxPending: pending(r.Context()), OutboxFailed: eng.remind.failed(),
			Storage: storageHealth(r.Context(), eng.store)}
		if !showQR {
			h.QRURL = ""
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if h.Health == wechat.HealthNeedsPerson || h.Health == wechat.HealthOffline || h.Storage.Failed != "" {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(w).Encode(h)
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(newMetrics(tr, eng, func() int { return pending(context.Background()) }), promhttp.HandlerOpts{}))
	return mux
}

// newMetrics is a registry whose values are read from the transport and the outbox at each
// scrape, so that neither keeps Prometheus types of its own.
func newMetrics(tr *wechat.Transport, eng *engine, pending func() int) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	counter := func(subsystem, name, help string, v func() uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "innobot", Subsystem: subsystem, Name: name, Help: help},
			func() float64 { return float64(v()) })
	}
	status := func(v func(wechat.Status) uint64) func() uint64 { return func() uint64 { return v(tr.Status()) } }
	gauge := func(name, help string, v func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "innobot", Subsystem: "wechat", Name: name, Help: help}, v)
	}
	bit := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	unix := func(t time.Time) float64 {
		if t.IsZero() {
			return 0
		}
		return float64(t.UnixNano()) / 1e9
	}
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		counter("wechat", "messages_received_total", "Messages received from WeChat and handed to the router (repeats included).",
			status(func(s wechat.Status) uint64 { return s.Received })),
		counter("wechat", "messages_sent_total", "Messages sent to WeChat: replies and queued messages.",
			status(func(s wechat.Status) uint64 { return s.Sent })),
		counter("wechat", "send_errors_total", "Sends that failed (each attempt).", status(func(s wechat.Status) uint64 { return s.SendErrors })),
		counter("wechat", "logins_total", "Logins, by QR scan or saved session.", status(func(s wechat.Status) uint64 { return s.Logins })),
		counter("wechat", "reconnects_total", "Login attempts after a lost or failed login (logouts by WeChat, sync failures, network errors).",
			status(func(s wechat.Status) uint64 { return s.Reconnects })),
		counter("wechat", "zombie_sessions_total", "Sessions ended because WeChat kept announcing messages and delivered none.",
			status(func(s wechat.Status) uint64 { return s.Zombies })),
		counter("wechat", "friend_requests_total", "Friend requests received.", status(func(s wechat.Status) uint64 { return s.FriendRequests })),
		counter("outbox", "failed_total", "Messages given up for good: the recipient cannot be reached, or the message was too old to matter.",
			eng.remind.failed),
		gauge("logged_in", "1 while the bot is logged in.", func() float64 { return bit(tr.Status().LoggedIn) }),
		gauge("need_scan", "1 while a login QR code waits to be scanned: someone must act.",
			func() float64 { return bit(tr.Status().NeedScan) }),
		gauge("needs_person", "1 while the bot cannot go on without someone: a QR code waits, or WeChat refuses the account.",
			func() float64 { return bit(tr.Status().Health == wechat.HealthNeedsPerson) }),
		gauge("queue_depth", "Received messages not yet handed to the router.",
			func() float64 { return float64(tr.Status().Queue) }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "innobot", Subsystem: "storage", Name: "failed",
			Help: "1 once the store met a damaged file and refuses every write: restore a backup."},
			func() float64 { return bit(storageHealth(context.Background(), eng.store).Failed != "") }),
		prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "innobot", Subsystem: "storage", Name: "durability_at_risk",
			Help: "1 when a crash of the store's server may undo writes it acknowledged (Redis without appendfsync always)."},
			func() float64 { return bit(storageHealth(context.Background(), eng.store).Durability != "") }),
		gauge("outbox_pending", "Queued messages not yet sent (-1 without an outbox).",
			func() float64 { return float64(pending()) }),
		gauge("last_message_timestamp_seconds", "When the last message was received (Unix time, 0 if none).",
			func() float64 { return unix(tr.Status().LastMessage) }),
		gauge("last_useful_sync_timestamp_seconds", "When WeChat last proved the session alive: a sync that brought something, or a check that found nothing new (Unix time, 0 if never). A zombie session answers but never usefully.",
			func() float64 { return unix(tr.Status().LastUsefulSync) }),
	)
	return reg
}
