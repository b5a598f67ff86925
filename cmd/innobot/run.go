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

	"innobot/bot"
	"innobot/bot/wechat"
	"innobot/storage"
)

// runRun is `innobot run`: the bot on WeChat, with /healthz and /metrics on --listen.
func runRun(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", stderr)
	load := settingsFlags(fs)
	listen := fs.String("listen", "127.0.0.1:9090", "健康检查 /healthz 与监控指标 /metrics 的地址；空字符串则不开")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	st, err := load()
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	clock := bot.ClockFunc(time.Now)
	st.pace = st.outboxPace()
	st.flood = bot.FloodLimit
	tr, err := wechat.New(wechat.Config{
		Dir: st.dir, Log: log, QR: stdout, Clock: clock,
		// The engine's outbox paces every send; the transport's pace is only a floor under
		// it, for anything that would reach WeChat some other way.
		Pace: max(time.Duration(float64(st.pace.Interval())*(1-st.pace.Jitter)/2), 200*time.Millisecond),
	})
	if err != nil {
		return err
	}
	var ln net.Listener
	if *listen != "" {
		if ln, err = net.Listen("tcp", *listen); err != nil {
			return fmt.Errorf("--listen: %w", err)
		}
	}
	eng, err := st.openEngine(ctx, clock, tr, log)
	if err != nil {
		if ln != nil {
			_ = ln.Close()
		}
		return err
	}
	runCtx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	// The reminder loop and the paced outbox: what fell due while the bot was down goes out
	// first (within the grace window).
	if err := eng.remind.catchUp(runCtx); err != nil {
		log.Error("reminder catch-up", "err", err)
	}
	wg.Go(func() {
		if err := eng.remind.run(runCtx); err != nil && !errors.Is(err, context.Canceled) {
			log.Error("reminders", "err", err)
		}
	})
	var srv *http.Server
	if ln != nil {
		srv = &http.Server{Handler: healthMux(tr, eng.store, st.cfg.Bot.Account), ReadHeaderTimeout: 5 * time.Second}
		wg.Go(func() {
			if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				log.Error("health server", "err", err)
			}
		})
		log.Info("serving /healthz and /metrics", "addr", ln.Addr().String())
	}

	runErr := tr.Run(runCtx, func(m bot.Message) <-chan struct{} { return eng.router.Deliver(runCtx, m) })
	stop()
	if srv != nil {
		shut, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		if err := srv.Shutdown(shut); err != nil {
			log.Error("health server shutdown", "err", err)
		}
		cancel()
	}
	wg.Wait()
	return errors.Join(runErr, eng.close())
}

// health is the /healthz answer: enough for a monitor to page someone when a QR code waits.
type health struct {
	wechat.Status
	// OutboxPending counts queued messages not yet sent (-1 when the store cannot say).
	OutboxPending int `json:"outbox_pending"`
}

// healthMux serves /healthz (503 unless logged in, so a plain HTTP check alerts) and
// /metrics in Prometheus format.
func healthMux(tr *wechat.Transport, queued storage.Outbox, account string) *http.ServeMux {
	pending := func(ctx context.Context) int {
		ms, err := queued.Pending(ctx, account, 10_000)
		if err != nil {
			return -1
		}
		return len(ms)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		h := health{Status: tr.Status(), OutboxPending: pending(r.Context())}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		if !h.LoggedIn {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
		_ = json.NewEncoder(w).Encode(h)
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(newMetrics(tr, func() int { return pending(context.Background()) }), promhttp.HandlerOpts{}))
	return mux
}

// newMetrics is a registry whose values are read from the transport at each scrape, so the
// transport keeps no Prometheus types of its own.
func newMetrics(tr *wechat.Transport, pending func() int) *prometheus.Registry {
	reg := prometheus.NewRegistry()
	counter := func(name, help string, v func(wechat.Status) uint64) prometheus.Collector {
		return prometheus.NewCounterFunc(prometheus.CounterOpts{Namespace: "innobot", Subsystem: "wechat", Name: name, Help: help},
			func() float64 { return float64(v(tr.Status())) })
	}
	gauge := func(name, help string, v func() float64) prometheus.Collector {
		return prometheus.NewGaugeFunc(prometheus.GaugeOpts{Namespace: "innobot", Subsystem: "wechat", Name: name, Help: help}, v)
	}
	bit := func(b bool) float64 {
		if b {
			return 1
		}
		return 0
	}
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		counter("messages_received_total", "Messages received from WeChat and handed to the router (repeats included).",
			func(s wechat.Status) uint64 { return s.Received }),
		counter("messages_sent_total", "Messages sent to WeChat: replies and queued messages.",
			func(s wechat.Status) uint64 { return s.Sent }),
		counter("send_errors_total", "Sends that failed.", func(s wechat.Status) uint64 { return s.SendErrors }),
		counter("logins_total", "Logins, by QR scan or saved session.", func(s wechat.Status) uint64 { return s.Logins }),
		counter("reconnects_total", "Login attempts after a lost or failed login (logouts by WeChat, sync failures, network errors).",
			func(s wechat.Status) uint64 { return s.Reconnects }),
		gauge("logged_in", "1 while the bot is logged in.", func() float64 { return bit(tr.Status().LoggedIn) }),
		gauge("need_scan", "1 while a login QR code waits to be scanned: someone must act.",
			func() float64 { return bit(tr.Status().NeedScan) }),
		gauge("queue_depth", "Received messages not yet handed to the router.",
			func() float64 { return float64(tr.Status().Queue) }),
		gauge("outbox_pending", "Queued messages not yet sent (-1 without an outbox).",
			func() float64 { return float64(pending()) }),
		gauge("last_message_timestamp_seconds", "When the last message was received (Unix time, 0 if none).",
			func() float64 {
				if t := tr.Status().LastMessage; !t.IsZero() {
					return float64(t.UnixNano()) / 1e9
				}
				return 0
			}),
	)
	return reg
}
