package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"innobot/bot"
	"innobot/bot/sim"
	"innobot/config"
	"innobot/ledger"
	"innobot/period"
	"innobot/reminders"
	"innobot/storage"
)

// outboxPace is the pace of config's outbox section.
func (st settings) outboxPace() bot.Pace {
	return bot.Pace{PerMinute: st.cfg.Outbox.RatePerMinute, Jitter: float64(st.cfg.Outbox.Jitter)}
}

// schedule builds the reminder schedule of the config. Holiday overrides have no config key
// yet; they would be passed to NewCalendar here.
func (st settings) schedule() (*reminders.Schedule, error) {
	deadlines := st.cfg.Deadlines
	if st.cfg.WeeklyChart.Cron != "" {
		deadlines = append(slices.Clip(deadlines), st.cfg.WeeklyChart.Deadline())
	}
	return reminders.NewSchedule(deadlines, reminders.NewCalendar(nil), st.cfg.Location())
}

// periods is the reporting-month rule of the config: its monthly deadline on its calendar.
// A schedule that cannot be built (config validation makes that a hand-built config) leaves
// the policy's 5th without days off.
func (st settings) periods() period.Rule {
	sched, err := st.schedule()
	if err != nil {
		return period.Rule{Location: st.cfg.Location()}
	}
	return sched.Periods()
}

func (st settings) audiences(store reminders.Store) *reminders.Audiences {
	return &reminders.Audiences{Store: store, Form: st.form, Location: st.cfg.Location(), Periods: st.periods(), Regions: st.cfg.Regions}
}

// charts draws the weekly pictures of the helper groups into the data dir's exports, where
// they wait for the outbox to send them, beside the files the chat exports.
func (st settings) charts(store storage.Backend) reminders.ChartFunc {
	return func(ctx context.Context, region, month string, now time.Time) (string, string, error) {
		scope := ledger.City()
		if region != "" {
			scope = ledger.Region(region)
		}
		r, err := ledger.Progress(ctx, store, scope, month, st.cfg.Regions)
		if err != nil {
			return "", "", err
		}
		r.Location = st.cfg.Location()
		dir := filepath.Join(st.dir, "exports", "weekly")
		if err := os.MkdirAll(dir, 0o750); err != nil {
			return "", "", fmt.Errorf("weekly chart dir: %w", err)
		}
		path, err := ledger.SaveChart(dir, r, now)
		return path, ledger.Chart(r, now).Caption, err
	}
}

// reminding is one engine's paced outbox, which sends every reply and queued message, and its
// reminders (engine nil when the schedule could not be built: reminders are off).
type reminding struct {
	engine *reminders.Engine
	outbox *bot.Outbox
	log    *slog.Logger
}

// reminding wires the outbox and the reminder engine over store for the account the
// transport speaks for ("" in the simulator).
func (st settings) reminding(store storage.Backend, clock bot.Clock, transport bot.Sender, log *slog.Logger) *reminding {
	ob := &bot.Outbox{Store: store, Transport: transport, Account: st.cfg.Bot.Account, Clock: clock, Pace: st.pace, Log: log,
		PerHour: st.perHour,
		Report:  &bot.FailureReport{Store: store, Account: st.cfg.Bot.Account, Location: st.cfg.Location(), Log: log}}
	r := &reminding{outbox: ob, log: log}
	sched, err := st.schedule()
	if err != nil {
		log.Error("reminders are off", "err", err)
		return r
	}
	aud := st.audiences(store)
	aud.Charts = st.charts(store)
	r.engine = &reminders.Engine{
		Schedule: sched, Audience: aud, Outbox: store,
		Now: clock.Now, Log: log, Queued: ob.Kick,
	}
	return r
}

// catchUp queues what fell due while the bot was down and sends whatever is pending before
// the first message is read, as the simulator needs: its transport is always there.
func (r *reminding) catchUp(ctx context.Context) error {
	return errors.Join(r.queueMissed(ctx), r.flush(ctx))
}

// queueMissed warns about missing holiday data and queues what fell due while the bot was
// down (within the grace window), reporting what is older. It sends nothing: a bot on WeChat
// leaves that to the outbox's loop, since a send must wait for the login, which must not wait
// for the queue.
func (r *reminding) queueMissed(ctx context.Context) error {
	if r.engine == nil {
		return nil
	}
	now := r.engine.Now()
	for _, w := range r.engine.Schedule.Calendar().Warnings(now) {
		r.log.Warn(w)
	}
	_, err := r.engine.Tick(ctx, now)
	return err
}

// advance moves the simulator's clock from `from` to `to` and fires what fell due in between
// as a running bot would have: each reminder time in turn, sending what it queued at that
// time, before the clock moves on.
func (r *reminding) advance(ctx context.Context, clock *sim.Clock, from, to time.Time) error {
	if r.engine == nil {
		clock.Set(to)
		return r.flush(ctx)
	}
	_, err := r.engine.Advance(ctx, from, to, func(at time.Time) error {
		clock.Set(at)
		return r.flush(ctx)
	})
	return err
}

// flush sends everything pending now (paced when a pace is set).
func (r *reminding) flush(ctx context.Context) error {
	_, err := r.outbox.Flush(ctx)
	return err
}

// after returns a channel closed once handled is and the outbox is flushed, so that the
// replies of a message (and anything else it queued, a nudge say) are out before the
// simulator acknowledges the line.
func (r *reminding) after(ctx context.Context, handled <-chan struct{}) <-chan struct{} {
	done := make(chan struct{})
	go func() {
		defer close(done)
		<-handled
		if err := r.flush(ctx); err != nil {
			r.log.Error("outbox", "err", err)
		}
	}()
	return done
}

// failed counts the messages the outbox gave up since the start.
func (r *reminding) failed() uint64 { return r.outbox.Failures() }

// run is the long-running form for a real transport: the outbox's sender and the cron-driven
// reminder loop, until ctx ends.
func (r *reminding) run(ctx context.Context) error {
	errc := make(chan error, 1)
	go func() { errc <- r.outbox.Run(ctx) }()
	var err error
	if r.engine != nil {
		err = r.engine.Run(ctx)
	} else {
		<-ctx.Done()
		err = ctx.Err()
	}
	return errors.Join(err, <-errc)
}

// runReminders is `innobot reminders`: what would go out between two days, when, and to how
// many people of each audience, as the store stands now.
func runReminders(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("reminders", stderr)
	fromS := fs.String("from", "", "起始日期，例如 2026-12-01（默认今天）")
	toS := fs.String("to", "", "截止日期（含当天），例如 2027-01-31（默认起始日后 30 天）")
	texts := fs.Bool("text", false, "列出每条消息的全文")
	load := settingsFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	st, err := load()
	if err != nil {
		return err
	}
	loc := st.cfg.Location()
	from := time.Now().In(loc)
	from = time.Date(from.Year(), from.Month(), from.Day(), 0, 0, 0, 0, loc)
	if *fromS != "" {
		if from, err = sim.ParseTime(*fromS, loc); err != nil {
			return fmt.Errorf("--from: %w", err)
		}
	}
	to := from.AddDate(0, 0, 31)
	if *toS != "" {
		if to, err = sim.ParseTime(*toS, loc); err != nil {
			return fmt.Errorf("--to: %w", err)
		}
		if d, err := reminders.ParseDate(*toS); err == nil {
			to = d.AddDays(1).At(0, 0, loc) // a day given alone is included whole
		}
	}
	sched, err := st.schedule()
	if err != nil {
		return err
	}
	return st.withStore(func(store storage.Backend) error {
		for _, w := range sched.Calendar().Warnings(from) {
			fmt.Fprintln(stderr, "warning:", w)
		}
		return listReminders(ctx, stdout, sched, st.audiences(store), store, from, to, *texts)
	})
}

// kindNames are the audiences as office staff call them.
var kindNames = []struct{ kind, name string }{
	{reminders.KindLiaison, "联络人"},
	{reminders.KindGroup, "帮扶群"},
	{reminders.KindCounty, "县级办公室"},
	{reminders.KindCity, "市办公室"},
	{reminders.KindChart, "帮扶群进度图"},
}

func listReminders(ctx context.Context, w io.Writer, sched *reminders.Schedule, aud *reminders.Audiences, store reminders.Store, from, to time.Time, texts bool) error {
	loc := sched.Location()
	names := map[string]string{}
	if contacts, err := store.Contacts(ctx); err == nil {
		for _, c := range contacts {
			names[c.ID] = c.Name
		}
	}
	if groups, err := store.Groups(ctx); err == nil {
		for _, g := range groups {
			names[g.ID] = g.Name
		}
	}
	occs := sched.Occurrences(from, to)
	fmt.Fprintf(w, "%s 至 %s 的提醒（%s；名单按当前数据计算）：共 %d 次\n",
		from.In(loc).Format("2006-01-02 15:04"), to.In(loc).Format("2006-01-02 15:04"), loc, len(occs))
	weekday := []string{"周日", "周一", "周二", "周三", "周四", "周五", "周六"}
	// Nobody gets two reminders a day: a recipient an earlier reminder of the day reaches
	// reads the later one in the same message (reminders.Engine.Tick).
	reached := map[string]bool{}
	var day reminders.Date
	for _, o := range occs {
		all, err := aud.Reminder(ctx, o, o.At)
		if err != nil {
			return fmt.Errorf("%s: %w", o.Key, err)
		}
		if d := reminders.DateOf(o.At.In(loc)); d != day {
			day, reached = d, map[string]bool{}
		}
		var msgs []storage.OutboxMessage
		joined := 0
		for _, m := range all {
			r := reminders.KindOf(m) + "/" + m.To + m.Group
			if reached[r] {
				joined++
				continue
			}
			reached[r] = true
			msgs = append(msgs, m)
		}
		at := o.At.In(loc)
		due := fmt.Sprintf("%s %s", o.Shifted, weekday[o.Shifted.Weekday()])
		if o.Shifted != o.Due {
			due += "，原定 " + o.Due.String()
		}
		fmt.Fprintf(w, "\n%s %s  %s  %s（%s）截止 %s\n", at.Format("2006-01-02 15:04"), weekday[at.Weekday()],
			o.Key, o.Deadline.Name, period.Label(o.Period), due)
		count := map[string]int{}
		for _, m := range msgs {
			count[reminders.KindOf(m)]++
		}
		var parts []string
		for _, k := range kindNames {
			if count[k.kind] > 0 || audienceListed(o, k.kind) {
				parts = append(parts, fmt.Sprintf("%s %d", k.name, count[k.kind]))
			}
		}
		fmt.Fprintf(w, "  → %s（共 %d 条）\n", strings.Join(parts, " · "), len(msgs))
		if joined > 0 {
			fmt.Fprintf(w, "  另有 %d 位（个）收件人并入当天的上一条提醒，不另发\n", joined)
		}
		if texts {
			for _, m := range msgs {
				to := m.To + m.Group
				if n := names[to]; n != "" {
					to = n
				}
				fmt.Fprintf(w, "  ── %s:\n    %s\n", to, strings.ReplaceAll(m.Text, "\n", "\n    "))
			}
		}
	}
	return nil
}

// audienceListed reports whether the deadline names the audience of a message kind, so that
// a zero count is shown for an audience that was asked for and found nobody.
func audienceListed(o reminders.Occurrence, kind string) bool {
	want := map[string]string{
		reminders.KindLiaison: config.AudienceLiaisons, reminders.KindGroup: config.AudienceGroups,
		reminders.KindCounty: config.AudienceCountyOffice, reminders.KindCity: config.AudienceCityOffice,
		reminders.KindChart: config.AudienceGroupCharts,
	}[kind]
	for _, a := range o.Deadline.Audiences {
		if a == want {
			return true
		}
	}
	return false
}
