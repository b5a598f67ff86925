package reminders

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/robfig/cron/v3"

	"innobot/storage"
)

// Defaults of the engine: how late a reminder may still go out and how often the clock is read.
const (
	// DefaultGrace is how late a reminder may still go out after downtime: a morning
	// reminder sent that evening still helps; one a day late reads as noise.
	DefaultGrace = 12 * time.Hour
	// DefaultLookback is how far back a tick looks for reminders that were never claimed, to
	// report them to the city office. Older gaps are the operator's to know about.
	DefaultLookback = 7 * 24 * time.Hour
	// DefaultSpec is the cron entry that drives the tick: every minute, so a reminder goes
	// out within a minute of its time.
	DefaultSpec = "* * * * *"
)

// Engine fires reminders: on every tick it claims each due occurrence in storage and queues
// its messages in the same atomic write, so a reminder goes out once however many times the
// process restarts and however many instances share the store. The store, not cron and not
// memory, is the record of what fired.
type Engine struct {
	// Schedule says when; Audience says to whom and what.
	Schedule *Schedule
	Audience Audience
	// Outbox is where claims are made and messages queued (storage.Outbox of the store).
	Outbox storage.Outbox
	// Now is the injected clock; the cron loop ticks with it, never with time.Now.
	Now func() time.Time
	// Grace, Lookback and Spec default to DefaultGrace, DefaultLookback and DefaultSpec.
	Grace    time.Duration
	Lookback time.Duration
	Spec     string
	Log      *slog.Logger
	// Queued, when set, is called after a tick or a nudge queued messages, to wake the sender.
	Queued func()

	mu sync.Mutex
	// done caches keys known to be claimed (by this process or another), with their time,
	// only to spare rebuilding the messages of a claimed reminder on every tick of its grace
	// window. Losing it costs one rebuild per key, never a second send.
	done map[string]time.Time
	// occs caches the schedule's occurrences in [occFrom, occTo), a day ahead, so the tick
	// every minute filters a short list instead of walking the cron schedules again.
	occs           []Occurrence
	occFrom, occTo time.Time
	// started is set once the engine knows whether the store ever ticked before; fresh is
	// true when this engine's first tick was the store's first: reminders due before the bot
	// was ever running were not missed by any downtime, and nobody is told they were.
	started, fresh bool
}

// firstStartKey is claimed by the first tick a store ever sees.
const firstStartKey = "engine:first-start"

// Result is what a tick did, for the simulator, the logs and tests.
type Result struct {
	// Fired are the occurrences claimed by this call, with their messages queued.
	Fired []Occurrence
	// Missed are the occurrences claimed by this call too late to send: only the city
	// office's report about them was queued.
	Missed []Occurrence
	// Queued counts the messages queued.
	Queued int
}

func (r *Result) add(o Result) {
	r.Fired = append(r.Fired, o.Fired...)
	r.Missed = append(r.Missed, o.Missed...)
	r.Queued += o.Queued
}

func (e *Engine) grace() time.Duration {
	if e.Grace > 0 {
		return e.Grace
	}
	return DefaultGrace
}

func (e *Engine) lookback() time.Duration {
	if e.Lookback > 0 {
		return e.Lookback
	}
	return DefaultLookback
}

func (e *Engine) log() *slog.Logger {
	if e.Log == nil {
		return slog.Default()
	}
	return e.Log
}

func (e *Engine) now() time.Time {
	if e.Now == nil {
		return time.Now()
	}
	return e.Now()
}

// Tick claims every occurrence due at now: those whose time is in (now-grace, now] are sent;
// older ones back to the lookback, never claimed, are claimed with only a report to the city
// office, and logged. Claimed keys are skipped, so ticking often, after a restart or in two
// processes at once is safe. One occurrence failing does not stop the others; the errors are
// joined.
//
// Nobody gets two reminders a day: the reminders of one day (31 December or 4 January carry
// the monthly and the annual deadline) go out together at the first one's time, each person
// and group reading one message that names every deadline, and a liaison an office nudged
// earlier that day (Nudge) is not reminded again (see send).
func (e *Engine) Tick(ctx context.Context, now time.Time) (Result, error) {
	var res Result
	var errs []error
	if err := e.start(ctx, now); err != nil {
		return res, err
	}
	edge := now.Add(-e.grace())
	days := map[Date][]Occurrence{}
	var order []Date
	for _, o := range e.occurrences(edge.Add(-e.lookback()), now.Add(time.Nanosecond)) {
		if e.isDone(o.Key) {
			continue
		}
		if !o.At.After(edge) {
			r, err := e.missed(ctx, o, now)
			res.add(r)
			errs = append(errs, err)
			continue
		}
		d := DateOf(o.At.In(e.Schedule.Location()))
		if _, ok := days[d]; !ok {
			order = append(order, d)
		}
		days[d] = append(days[d], o)
	}
	for _, d := range order {
		// The rest of the day's reminders join the first.
		end := d.AddDays(1).At(0, 0, e.Schedule.Location())
		for _, o := range e.occurrences(now.Add(time.Nanosecond), end) {
			if !e.isDone(o.Key) && !slices.ContainsFunc(days[d], func(x Occurrence) bool { return x.Key == o.Key }) {
				days[d] = append(days[d], o)
			}
		}
		r, err := e.send(ctx, d, days[d], now)
		res.add(r)
		errs = append(errs, err)
	}
	e.prune(edge.Add(-e.lookback() - 24*time.Hour))
	if res.Queued > 0 && e.Queued != nil {
		e.Queued()
	}
	err := errors.Join(errs...)
	if err != nil {
		e.log().Error("reminder tick", "now", now, "err", err)
	}
	return res, err
}

// start learns, at the engine's first tick, whether the store ever ticked before.
func (e *Engine) start(ctx context.Context, now time.Time) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.started {
		return nil
	}
	first, err := e.Outbox.ClaimReminder(ctx, firstStartKey, now, nil)
	if err != nil {
		return fmt.Errorf("claim the first start: %w", err)
	}
	e.started, e.fresh = true, first
	return nil
}

// missed claims an occurrence too late to send, queueing only the city office's report. On a
// store's first tick the occurrences before it were due before the bot ever ran: they are
// claimed with nothing to report.
func (e *Engine) missed(ctx context.Context, o Occurrence, now time.Time) (Result, error) {
	var msgs []storage.OutboxMessage
	var err error
	if !e.isFresh() {
		if msgs, err = e.Audience.Missed(ctx, o, now); err != nil {
			return Result{}, fmt.Errorf("reminder %s: %w", o.Key, err)
		}
	}
	ok, err := e.Outbox.ClaimReminder(ctx, o.Key, now, msgs)
	if err != nil {
		return Result{}, fmt.Errorf("claim %s: %w", o.Key, err)
	}
	e.markDone(o.Key, o.At)
	if !ok || e.isFresh() {
		return Result{}, nil
	}
	e.log().Warn("reminder missed: not sent, reported to the city office",
		"key", o.Key, "deadline", o.Deadline.Name, "was_due", o.At, "now", now, "reports", len(msgs))
	return Result{Missed: []Occurrence{o}, Queued: len(msgs)}, nil
}

// send claims the reminders of one day and queues one message per recipient: the texts of
// every deadline for that person or group merged (merge), under an ID of the recipient and
// the day (ReminderID), leaving out the liaisons nudged that day already (NudgeID). Each
// claim carries all the day's messages; the outbox keeps one message per ID, so whichever
// claim lands first queues them, and a claim left behind by a crash queues nothing a second
// time.
func (e *Engine) send(ctx context.Context, day Date, occs []Occurrence, now time.Time) (Result, error) {
	var res Result
	var errs []error
	var built []Occurrence
	type recipient struct{ kind, target string }
	merged := map[recipient]*storage.OutboxMessage{}
	texts := map[recipient][]string{}
	var recipients []recipient
	accounts := map[string]bool{} // of the liaisons, whose nudges of the day are looked up
	for _, o := range occs {
		msgs, err := e.Audience.Reminder(ctx, o, now)
		if err != nil {
			errs = append(errs, fmt.Errorf("reminder %s: %w", o.Key, err))
			continue
		}
		built = append(built, o)
		for _, m := range msgs {
			r := recipient{KindOf(m), m.To + m.Group}
			if merged[r] == nil {
				m := m
				merged[r] = &m
				recipients = append(recipients, r)
			} else {
				merged[r].Source += "+" + o.Key
			}
			texts[r] = append(texts[r], m.Text)
			if r.kind == KindLiaison {
				accounts[m.Account] = true
			}
		}
	}
	// A liaison an office nudged earlier today (提醒 未填报) has had the day's message.
	var heard map[string]bool
	if len(accounts) > 0 {
		var err error
		if heard, err = e.heardToday(ctx, day, accounts); err != nil {
			return res, errors.Join(append(errs, err)...)
		}
	}
	msgs := make([]storage.OutboxMessage, 0, len(recipients))
	for _, r := range recipients {
		if r.kind == KindLiaison && heard[NudgeID(day, r.target)] {
			continue
		}
		m := *merged[r]
		m.ID = ReminderID(day, r.kind, r.target)
		m.Text = merge(texts[r])
		msgs = append(msgs, m)
	}
	for _, o := range built {
		ok, err := e.Outbox.ClaimReminder(ctx, o.Key, now, msgs)
		if err != nil {
			errs = append(errs, fmt.Errorf("claim %s: %w", o.Key, err))
			continue
		}
		e.markDone(o.Key, o.At)
		if !ok {
			continue
		}
		res.Fired = append(res.Fired, o)
		if res.Queued == 0 {
			res.Queued = len(msgs)
		}
		e.log().Info("reminder fired", "key", o.Key, "at", o.At, "messages", len(msgs))
	}
	return res, errors.Join(errs...)
}

// merge makes one message of a recipient's reminders of one day: every headline (the first
// line of each), then each different body once.
func merge(texts []string) string {
	if len(texts) == 1 {
		return texts[0]
	}
	var heads, bodies []string
	for _, t := range texts {
		head, body, _ := strings.Cut(t, "\n")
		heads = append(heads, head)
		if body != "" && !slices.Contains(bodies, body) {
			bodies = append(bodies, body)
		}
	}
	return strings.Join(append(heads, bodies...), "\n")
}

// Advance ticks as a running process would have while the clock moved from `from` to `to`:
// at each reminder time in between, then at `to`. ticked, when set, is called after each tick
// with its time, so that the caller sends what the tick queued then, as a running process
// would have: a message left queued until `to`, days later, would be given up as stale. The
// simulator uses it for !clock, which stands for time passing with the bot up, not for
// downtime; moving backwards just ticks at `to`.
func (e *Engine) Advance(ctx context.Context, from, to time.Time, ticked func(at time.Time) error) (Result, error) {
	var res Result
	var errs []error
	tick := func(at time.Time) {
		r, err := e.Tick(ctx, at)
		res.add(r)
		errs = append(errs, err)
		if ticked != nil {
			errs = append(errs, ticked(at))
		}
	}
	if to.After(from) {
		var last time.Time
		for _, o := range e.Schedule.Occurrences(from.Add(time.Nanosecond), to.Add(time.Nanosecond)) {
			if o.At.Equal(last) {
				continue
			}
			last = o.At
			tick(o.At)
		}
	}
	tick(to)
	return res, errors.Join(errs...)
}

// NudgeResult is what a nudge did.
type NudgeResult struct {
	// Sent counts the liaisons nudged now; Already those nudged earlier the same day (their
	// nudge sent, waiting or given up), who are not nudged again.
	Sent, Already int
	// Unbound are the lagging enterprises in scope with no liaison bound.
	Unbound []storage.Enterprise
	// Messages are the nudges to queue, Sent of them: the caller stores them in the write
	// that answers the person who asked (storage.Answer), so that they and the reply saying
	// they are queued are stored together.
	Messages []storage.OutboxMessage
}

// maxPendingScan bounds how much of an account's queue a nudge reads to find the day's
// nudges still waiting: far more than a day's nudges and reminders.
const maxPendingScan = 100_000

// Nudge builds the private nudges of Audience.NudgeLagging now, for `提醒 未填报`, leaving
// out the liaisons nudged or reminded earlier the same day: each lagging liaison hears from
// the bot at most once a day, however often the offices ask and whatever the schedule sent.
func (e *Engine) Nudge(ctx context.Context, scope Scope, now time.Time) (NudgeResult, error) {
	n, err := e.Audience.NudgeLagging(ctx, scope, now)
	if err != nil {
		return NudgeResult{}, fmt.Errorf("nudge: %w", err)
	}
	res := NudgeResult{Unbound: n.Unbound}
	if len(n.Messages) == 0 {
		return res, nil
	}
	day := DateOf(now.In(e.Schedule.Location()))
	accounts := map[string]bool{}
	for _, x := range n.Messages {
		accounts[x.Account] = true
	}
	seen, err := e.heardToday(ctx, day, accounts)
	if err != nil {
		return NudgeResult{}, fmt.Errorf("nudge: %w", err)
	}
	var fresh []storage.OutboxMessage
	for _, x := range n.Messages {
		if seen[x.ID] || seen[ReminderID(day, KindLiaison, x.To)] {
			res.Already++
		} else {
			fresh = append(fresh, x)
		}
	}
	res.Sent, res.Messages = len(fresh), fresh
	return res, nil
}

// heardToday returns the IDs of the messages of day that went out, wait in the queues of the
// accounts, or were given up: a liaison whose nudge or reminder of the day is among them has
// had the day's message, whether or not it reached them.
func (e *Engine) heardToday(ctx context.Context, day Date, accounts map[string]bool) (map[string]bool, error) {
	since := day.At(0, 0, e.Schedule.Location())
	seen := map[string]bool{}
	sent, err := e.Outbox.Sent(ctx, since)
	if err != nil {
		return nil, fmt.Errorf("sent messages: %w", err)
	}
	failed, err := e.Outbox.Failed(ctx, since)
	if err != nil {
		return nil, fmt.Errorf("failed messages: %w", err)
	}
	for _, x := range append(sent, failed...) {
		seen[x.ID] = true
	}
	for account := range accounts {
		pending, err := e.Outbox.Pending(ctx, account, maxPendingScan)
		if err != nil {
			return nil, fmt.Errorf("pending messages: %w", err)
		}
		for _, p := range pending {
			seen[p.ID] = true
		}
	}
	return seen, nil
}

// Run warns about missing holiday data, catches up with one tick, then ticks on a cron entry
// every minute (in the schedule's zone, with panics recovered) until ctx ends; it returns
// ctx's error. Cron only wakes the engine: it never replays missed runs, and the claims in
// storage decide what is sent.
func (e *Engine) Run(ctx context.Context) error {
	for _, w := range e.Schedule.Calendar().Warnings(e.now()) {
		e.log().Warn(w)
	}
	e.Tick(ctx, e.now()) // errors are logged; the next tick retries
	spec := e.Spec
	if spec == "" {
		spec = DefaultSpec
	}
	l := cronLogger{e.log()}
	c := cron.New(cron.WithLocation(e.Schedule.Location()), cron.WithLogger(l),
		// SkipIfStillRunning: a tick slower than a minute (a huge registry, a slow
		// store) is not stacked up behind itself; claims would make it safe anyway.
		cron.WithChain(cron.Recover(l), cron.SkipIfStillRunning(l)))
	if _, err := c.AddFunc(spec, func() { e.Tick(ctx, e.now()) }); err != nil {
		return fmt.Errorf("reminder tick spec %q: %w", spec, err)
	}
	c.Start()
	<-ctx.Done()
	<-c.Stop().Done()
	return ctx.Err()
}

// occurrences is Schedule.Occurrences(from, to), served from a cache a day wide: a schedule
// never changes, so a wider window filtered gives the same list.
func (e *Engine) occurrences(from, to time.Time) []Occurrence {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.occTo.IsZero() || from.Before(e.occFrom) || to.After(e.occTo) {
		e.occFrom, e.occTo = from, to.Add(24*time.Hour)
		e.occs = e.Schedule.Occurrences(e.occFrom, e.occTo)
	}
	var out []Occurrence
	for _, o := range e.occs {
		if !o.At.Before(from) && o.At.Before(to) {
			out = append(out, o)
		}
	}
	return out
}

func (e *Engine) isFresh() bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.fresh
}

func (e *Engine) isDone(key string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	_, ok := e.done[key]
	return ok
}

func (e *Engine) markDone(key string, at time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.done == nil {
		e.done = map[string]time.Time{}
	}
	e.done[key] = at
}

// prune forgets keys too old to come up again, so the cache stays small over years.
func (e *Engine) prune(before time.Time) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for k, at := range e.done {
		if at.Before(before) {
			delete(e.done, k)
		}
	}
}

// cronLogger passes cron's own logging to slog: its chatter (every wake-up, a skipped run)
// at debug level, recovered panics as errors.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }

func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "err", err)...)
}
