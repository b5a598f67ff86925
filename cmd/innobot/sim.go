package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"time"

	"innobot/bot"
	"innobot/bot/sim"
	"innobot/invite"
)

func runSim(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("sim", stderr)
	jsonMode := fs.Bool("json", false, "一行一个 JSON 对象的输入输出（供程序驱动）")
	demo := fs.Bool("demo", false, "载入演示企业并打印邀请码")
	now := fs.String("now", "", "虚拟时钟的起始时间，例如 2026-11-25T09:00")
	load := settingsFlags(fs)
	pace := fs.Bool("pace", false, "按配置的 outbox 节奏发送（默认立即发送）")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	st, err := load()
	if err != nil {
		return err
	}
	if *pace {
		st.pace = st.outboxPace()
	}
	loc := st.cfg.Location()
	start := time.Now()
	if *now != "" {
		if start, err = sim.ParseTime(*now, loc); err != nil {
			return fmt.Errorf("--now: %w", err)
		}
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	clock := sim.NewClock(start, time.Now)
	tr := &sim.Transport{In: os.Stdin, Out: stdout, JSON: *jsonMode, Location: loc, Errs: stderr}
	c := &simControl{st: st, clock: clock, sender: tr, log: log}
	if c.eng, err = st.openEngine(ctx, clock, tr, log); err != nil {
		return err
	}
	if *demo {
		if err := loadDemo(ctx, c.eng.store, c.eng.key, st.cfg.Bot.Account, clock.Now(), time.Duration(st.cfg.Invite.TTL), tr.Notice); err != nil {
			return errors.Join(err, c.eng.close())
		}
	}
	// Reminders that fell due while the simulator was not running (errors are logged).
	c.eng.remind.catchUp(ctx)
	if !*jsonMode {
		tr.Notice("innobot 模拟器：每行输入“名字: 消息”，例如 张三: 绑定 " + invite.Example + "；!clock 时间 移动时钟；!restart 重启；Ctrl-D 退出。")
	}
	tr.Control = c
	runErr := tr.Run(ctx, func(m bot.Message) <-chan struct{} { return c.deliver(ctx, m) })
	return errors.Join(runErr, c.close())
}

// simControl is the engine behind the simulator, which !restart replaces.
type simControl struct {
	st     settings
	clock  *sim.Clock
	sender bot.Sender
	log    *slog.Logger

	mu  sync.Mutex
	eng *engine
}

func (c *simControl) deliver(ctx context.Context, m bot.Message) <-chan struct{} {
	c.mu.Lock()
	defer c.mu.Unlock()
	m.Time = c.clock.Now()
	// Whatever the message queued in the outbox is sent before the line is acknowledged.
	return c.eng.remind.after(ctx, c.eng.router.Deliver(ctx, m))
}

// maxClockYears is how far ahead !clock may move the clock at once.
const maxClockYears = 10

// SetClock moves the virtual clock; the reminders that fell due in between are sent before
// it returns, as a bot running all along would have sent them.
func (c *simControl) SetClock(ctx context.Context, t time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	from := c.clock.Now()
	if limit := from.AddDate(maxClockYears, 0, 0); t.After(limit) {
		// Every reminder of every day in between would be worked out and sent.
		return fmt.Errorf("%s is more than %d years ahead of the clock (%s); move it at most to %s",
			t.Format(time.DateTime), maxClockYears, from.Format(time.DateTime), limit.Format(time.DateTime))
	}
	// What a bot running all along would have removed by then goes, as it would have.
	return errors.Join(c.eng.remind.advance(ctx, c.clock, from, t), c.eng.svc.Maintain(ctx))
}

// Restart closes the store and opens everything again from disk.
func (c *simControl) Restart(ctx context.Context) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.eng.close(); err != nil {
		return err
	}
	eng, err := c.st.openEngine(ctx, c.clock, c.sender, c.log)
	if err != nil {
		return fmt.Errorf("reopen: %w", err)
	}
	c.eng = eng
	return eng.remind.catchUp(ctx) // as at start: what fell due while down
}

func (c *simControl) close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.eng.close()
}
