package bot

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"innobot/storage"
)

// ErrUnreachable marks a send that can never succeed: the recipient cannot be reached through
// this account (no longer a friend, a group not saved to the address book, names that changed).
// The outbox fails such a message for good instead of trying it again. Transports wrap it.
var ErrUnreachable = errors.New("recipient cannot be reached")

// Paused is a transport's answer when the platform asked it to stop sending for a while
// (WeChat's "operate too often"): no send may go out before Until, and the message itself is
// not at fault.
type Paused struct {
	Until time.Time
	Err   error // what the platform said
}

func (p *Paused) Error() string {
	return fmt.Sprintf("sending paused until %s: %v", p.Until.Format(time.DateTime), p.Err)
}

func (p *Paused) Unwrap() error { return p.Err }

// Pace is how fast one account may send. WeChat restricts or bans accounts that send in
// bursts, so every message of an account, queued or a direct reply, takes a slot of the same
// pace.
type Pace struct {
	// PerMinute is the average number of messages a minute; 0 or less sends at once (the
	// simulator without --pace, tests).
	PerMinute int
	// Jitter spreads each gap by up to this fraction either way (0.3: 0.7 to 1.3 times the
	// average gap), so sends do not tick like a machine; the average rate stays PerMinute.
	Jitter float64
}

// Interval is the average gap between two sends, 0 when the pace is off.
func (p Pace) Interval() time.Duration {
	if p.PerMinute <= 0 {
		return 0
	}
	return time.Minute / time.Duration(p.PerMinute)
}

// gap is one jittered gap; r is uniform in [0, 1).
func (p Pace) gap(r float64) time.Duration {
	iv := p.Interval()
	j := min(max(p.Jitter, 0), 1)
	return time.Duration(float64(iv) * (1 + j*(2*r-1)))
}

// Defaults of the Outbox.
const (
	// DefaultPoll is how often Run looks for messages queued by another process sharing the
	// store (a reminder claimed by another instance for this account).
	DefaultPoll = 30 * time.Second
	// maxBackoff caps the wait before a failed message is tried again.
	maxBackoff = 10 * time.Minute
	// minBackoff is the first wait after a failure when the pace is off or very fast.
	minBackoff = 5 * time.Second
	// batch is how many pending messages are read at once.
	batch = 64
	// DefaultMaxAge is how long a message may stay unsent before it is given up.
	DefaultMaxAge = 72 * time.Hour
	// sendTimeout bounds one send once begun. A send is not cut short when the outbox stops:
	// a request cancelled in flight may have reached the platform, and would then go out
	// again after the restart.
	sendTimeout = 30 * time.Second
)

// Outbox sends the messages queued in storage.Outbox for one account, at the account's pace
// and within its hourly cap, and records each send with MarkSent. Everything that matters
// lives in the store: a restart picks up what is pending, and a failed send stays pending and
// is tried again after a backoff. Nothing is tried for ever: a message whose recipient cannot
// be reached (ErrUnreachable) is given up at once, one still unsent after MaxAge when it
// fails or comes up; both leave the queue with their reason (MarkFailed), and Report tells the
// city office who could not be reached. When the transport says the platform wants a pause
// (*Paused), every send waits it out. What the outbox keeps in memory (the next free slot,
// backoffs, the pause, the sends of the last hour) only shapes timing.
//
// Delivery is at least once: a crash after the transport sent a message and before MarkSent
// recorded it sends that one message again after the restart. Nothing else is repeated, and
// a whole reminder never is, since it was claimed and queued in one write (package reminders).
// Run one Outbox per account: two draining the same account would send each message twice.
type Outbox struct {
	// Store is the persistent queue, shared by every process and everything that sends.
	Store storage.Outbox
	// Transport really sends (the WeChat adapter, the simulator).
	Transport Sender
	// Account is the bot account this outbox speaks for: only its messages are sent, since
	// a contact is reachable only through the account it talks to.
	Account string
	// Clock times the pace and the records of sends; the simulator moves it.
	Clock Clock
	Pace  Pace
	Log   *slog.Logger
	// Poll defaults to DefaultPoll.
	Poll time.Duration
	// Rand returns a number in [0, 1) for jitter; nil uses math/rand/v2.
	Rand func() float64
	// PerHour caps the sends of any hour, 0 for no cap: after downtime a backlog must not go
	// out as one long burst, however well paced.
	PerHour int
	// MaxAge is how long a message may stay unsent before it is given up (DefaultMaxAge when
	// 0): a reminder days late only confuses.
	MaxAge time.Duration
	// Report, when set, tells the city office once a day who could not be reached; Run
	// drives it.
	Report *FailureReport

	drain sync.Mutex // one drainer at a time: Run and Flush never pick the same message

	mu          sync.Mutex
	next        time.Time            // earliest moment of the next slot
	waiting     int                  // reservations not yet used
	backoff     map[string]time.Time // failed message id → not before
	unrecorded  map[string]time.Time // sent, but MarkSent failed: record, never resend
	pausedUntil time.Time            // the platform asked for a pause
	recent      []time.Time          // slots taken in the last hour, oldest first
	kick        chan struct{}
	failed      atomic.Uint64
}

// Failures counts the messages given up since the start.
func (o *Outbox) Failures() uint64 { return o.failed.Load() }

func (o *Outbox) maxAge() time.Duration {
	if o.MaxAge > 0 {
		return o.MaxAge
	}
	return DefaultMaxAge
}

func (o *Outbox) log() *slog.Logger {
	if o.Log == nil {
		return slog.Default()
	}
	return o.Log
}

func (o *Outbox) now() time.Time {
	if o.Clock == nil {
		return time.Now()
	}
	return o.Clock.Now()
}

func (o *Outbox) kicker() chan struct{} {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.kick == nil {
		o.kick = make(chan struct{}, 1)
	}
	return o.kick
}

// Kick wakes Run after something was queued, so a reminder does not wait for the next poll.
func (o *Outbox) Kick() {
	select {
	case o.kicker() <- struct{}{}:
	default:
	}
}

// Run sends pending messages until ctx ends, waking on Kick, on every Poll and when a
// backoff ends; once a day it lets Report tell the city office who could not be reached. It
// returns ctx's error.
func (o *Outbox) Run(ctx context.Context) error {
	kick := o.kicker()
	if err := o.seed(ctx); err != nil {
		o.log().Error("outbox: reading the last hour's sends", "account", o.Account, "err", err)
	}
	for {
		if o.Report != nil {
			if _, err := o.Report.Tick(ctx, o.now()); err != nil && ctx.Err() == nil {
				o.log().Error("outbox: the report of failed sends", "account", o.Account, "err", err)
			}
		}
		if _, err := o.Flush(ctx); err != nil && ctx.Err() == nil {
			o.log().Error("outbox", "account", o.Account, "err", err)
		}
		wait := o.Poll
		if wait <= 0 {
			wait = DefaultPoll
		}
		if t, ok := o.nextRetry(); ok {
			wait = min(wait, max(t.Sub(o.now()), time.Millisecond))
		}
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-kick:
		case <-timer.C:
		}
		timer.Stop()
	}
}

// Flush sends every message pending now, at the pace, and returns how many went out. It
// stops early when only messages in backoff are left. The simulator calls it so that due
// reminders print before the line's ack.
func (o *Outbox) Flush(ctx context.Context) (int, error) { return o.drainQueue(ctx, false) }

// FlushAnswers sends the urgent messages pending now (answers to people waiting for them, which
// Pending lists first), at the pace, and returns how many went out: what a bot that stops
// sends before it stops, leaving queued reminders for the next start. It sends nothing while
// the platform asks for a pause or the transport is not logged in (*Paused): a stopping bot
// does not wait that out.
func (o *Outbox) FlushAnswers(ctx context.Context) (int, error) { return o.drainQueue(ctx, true) }

// drainQueue sends pending messages (only the urgent ones when answers) until none is left
// that is not in backoff.
func (o *Outbox) drainQueue(ctx context.Context, answers bool) (int, error) {
	o.drain.Lock()
	defer o.drain.Unlock()
	n := 0
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		if answers && o.paused() {
			return n, nil
		}
		sent, more, err := o.sendNext(ctx, answers)
		if sent {
			n++
		}
		if err != nil || !more {
			return n, err
		}
	}
}

// paused reports whether the platform's pause is under way.
func (o *Outbox) paused() bool {
	now := o.now()
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.pausedUntil.After(now)
}

// sendNext sends the oldest pending message not in backoff (the oldest urgent one when
// urgent). more is false when there was none.
func (o *Outbox) sendNext(ctx context.Context, urgent bool) (sent, more bool, err error) {
	o.recordUnrecorded(ctx)
	o.mu.Lock()
	limit := batch + len(o.backoff) + len(o.unrecorded)
	o.mu.Unlock()
	pending, err := o.Store.Pending(ctx, o.Account, limit)
	if err != nil {
		return false, false, err
	}
	var m *storage.OutboxMessage
	now := o.now()
	o.mu.Lock()
	for i := range pending {
		id := pending[i].ID
		if urgent && !pending[i].Urgent {
			break // Pending lists the urgent ones first
		}
		if _, ok := o.unrecorded[id]; ok {
			continue
		}
		if t, ok := o.backoff[id]; ok && t.After(now) {
			continue
		}
		m = &pending[i]
		break
	}
	o.mu.Unlock()
	if m == nil {
		return false, false, nil
	}
	if age := now.Sub(m.QueuedAt); !m.QueuedAt.IsZero() && age >= o.maxAge() {
		o.giveUp(ctx, *m, now, fmt.Sprintf("not sent within %s of being queued (last error: %s)", o.maxAge(), m.Error))
		return false, true, nil
	}
	if err := o.wait(ctx); err != nil {
		return false, false, err
	}
	sendCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), sendTimeout)
	defer cancel()
	sendErr := o.Transport.Send(sendCtx, Outgoing{To: m.To, Group: m.Group, Text: m.Text, File: m.File})
	at := o.now()
	if sendErr != nil {
		o.sendFailed(ctx, *m, at, sendErr)
		return false, true, nil
	}
	ctx = sendCtx // what was sent is recorded, stopping or not
	o.mu.Lock()
	delete(o.backoff, m.ID)
	o.mu.Unlock()
	if err := o.Store.MarkSent(ctx, m.ID, at, ""); err != nil {
		// Sent but not recorded: remember it so this process does not send it again, and
		// record it on the next round. Only a crash before then repeats it.
		o.mu.Lock()
		if o.unrecorded == nil {
			o.unrecorded = map[string]time.Time{}
		}
		o.unrecorded[m.ID] = at
		o.mu.Unlock()
		o.log().Error("recording send", "id", m.ID, "err", err)
	}
	return true, true, nil
}

// sendFailed decides what a failed send means for its message: given up when its recipient
// cannot be reached or it is too old, held with everything else when the platform asked for a
// pause, else tried again after a backoff.
func (o *Outbox) sendFailed(ctx context.Context, m storage.OutboxMessage, at time.Time, sendErr error) {
	var paused *Paused
	old := !m.QueuedAt.IsZero() && at.Sub(m.QueuedAt) >= o.maxAge()
	switch {
	case ctx.Err() != nil:
		return // stopped while sending: the message is not at fault, and stays as it was
	case errors.Is(sendErr, ErrUnreachable):
		o.giveUp(ctx, m, at, sendErr.Error())
		return
	case errors.As(sendErr, &paused):
		o.mu.Lock()
		o.pausedUntil = maxTime(o.pausedUntil, paused.Until)
		o.mu.Unlock()
		o.log().Warn("sending paused", "account", o.Account, "until", paused.Until, "err", sendErr)
	case old:
		o.giveUp(ctx, m, at, fmt.Sprintf("not sent within %s of being queued: %v", o.maxAge(), sendErr))
		return
	default:
		o.mu.Lock()
		if o.backoff == nil {
			o.backoff = map[string]time.Time{}
		}
		o.backoff[m.ID] = at.Add(o.backoffFor(m.Attempts + 1))
		o.mu.Unlock()
		o.log().Warn("send failed; will retry", "id", m.ID, "attempt", m.Attempts+1, "err", sendErr)
	}
	if err := o.Store.MarkSent(ctx, m.ID, at, sendErr.Error()); err != nil {
		o.log().Error("recording failed send", "id", m.ID, "err", err)
	}
}

// giveUp takes a message out of the queue for good, with its reason.
func (o *Outbox) giveUp(ctx context.Context, m storage.OutboxMessage, at time.Time, reason string) {
	o.failed.Add(1)
	o.mu.Lock()
	delete(o.backoff, m.ID)
	o.mu.Unlock()
	o.log().Warn("message given up", "id", m.ID, "to", m.To, "group", m.Group, "source", m.Source, "reason", reason)
	if err := o.Store.MarkFailed(ctx, m.ID, at, reason); err != nil {
		o.log().Error("recording a message given up", "id", m.ID, "err", err)
	}
}

func maxTime(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// seed reads the sends of the last hour, so that a restart does not reset the hourly cap. Live
// replies leave no record once sent (storage.OutboxMessage.Forget), so a restart counts only
// the other sends of the hour.
func (o *Outbox) seed(ctx context.Context) error {
	if o.PerHour <= 0 {
		return nil
	}
	now := o.now()
	sent, err := o.Store.Sent(ctx, now.Add(-time.Hour))
	if err != nil {
		return err
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, m := range sent {
		if m.Account == o.Account {
			o.takeLocked(m.SentAt)
		}
	}
	return nil
}

// holdLocked is the earliest moment a send may go, whatever the pace: after the platform's
// pause, and once the hourly cap has room.
func (o *Outbox) holdLocked(now time.Time) time.Time {
	t := o.pausedUntil
	if o.PerHour > 0 {
		i := 0
		for i < len(o.recent) && !o.recent[i].After(now.Add(-time.Hour)) {
			i++
		}
		o.recent = o.recent[i:]
		if len(o.recent) >= o.PerHour {
			t = maxTime(t, o.recent[len(o.recent)-o.PerHour].Add(time.Hour))
		}
	}
	return t
}

// takeLocked counts a slot against the hourly cap, keeping recent in order.
func (o *Outbox) takeLocked(slot time.Time) {
	if o.PerHour <= 0 {
		return
	}
	i, _ := slices.BinarySearchFunc(o.recent, slot, time.Time.Compare)
	o.recent = slices.Insert(o.recent, i, slot)
}

func (o *Outbox) recordUnrecorded(ctx context.Context) {
	o.mu.Lock()
	todo := make(map[string]time.Time, len(o.unrecorded))
	for id, at := range o.unrecorded {
		todo[id] = at
	}
	o.mu.Unlock()
	for id, at := range todo {
		// A message forgotten once sent is gone: recorded by the first MarkSent after all.
		if err := o.Store.MarkSent(ctx, id, at, ""); err == nil || errors.Is(err, storage.ErrNotFound) {
			o.mu.Lock()
			delete(o.unrecorded, id)
			o.mu.Unlock()
		}
	}
}

// backoffFor is the wait after the n-th failed attempt: doubling from the pace's gap (at
// least minBackoff) up to maxBackoff.
func (o *Outbox) backoffFor(n int) time.Duration {
	d := max(o.Pace.Interval(), minBackoff)
	for i := 1; i < n && d < maxBackoff; i++ {
		d *= 2
	}
	return min(d, maxBackoff)
}

func (o *Outbox) nextRetry() (time.Time, bool) {
	o.mu.Lock()
	defer o.mu.Unlock()
	var first time.Time
	for _, t := range o.backoff {
		if first.IsZero() || t.Before(first) {
			first = t
		}
	}
	return first, !first.IsZero()
}

// wait takes the next slot of the pace, after any pause and within the hourly cap, and sleeps
// until it comes.
func (o *Outbox) wait(ctx context.Context) error {
	now := o.now()
	o.mu.Lock()
	hold := o.holdLocked(now)
	if o.Pace.PerMinute <= 0 && !hold.After(now) {
		o.takeLocked(now)
		o.mu.Unlock()
		return nil
	}
	r := rand.Float64
	if o.Rand != nil {
		r = o.Rand
	}
	// A slot further ahead than the reservations in hand explain means the clock went
	// back (the simulator's !clock): start again from now rather than wait for hours.
	maxGap := time.Duration(float64(o.Pace.Interval()) * (1 + max(o.Pace.Jitter, 0)))
	if o.next.Before(now) || o.next.Sub(now) > time.Duration(o.waiting+1)*maxGap {
		o.next = now
	}
	slot := maxTime(o.next, hold)
	o.next = slot.Add(o.Pace.gap(r()))
	o.takeLocked(slot)
	o.waiting++
	o.mu.Unlock()
	defer func() {
		o.mu.Lock()
		o.waiting--
		o.mu.Unlock()
	}()
	d := slot.Sub(now)
	if d <= 0 {
		return nil
	}
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Sender returns a Sender for direct replies that takes slots of the same pace, so a burst
// of replies is paced together with the queued messages. It sends synchronously once its
// slot comes, at once when the pace is off, so a reply is out before the router reports the
// message handled (the simulator prints replies before its ack). Replies are not stored: a
// reply lost in a crash is asked again by the person, whose answer was committed first.
func (o *Outbox) Sender() Sender { return pacedSender{o} }

type pacedSender struct{ o *Outbox }

// Send waits for the next slot of the pace, then sends.
func (p pacedSender) Send(ctx context.Context, out Outgoing) error {
	if err := p.o.wait(ctx); err != nil {
		return err
	}
	return p.o.Transport.Send(ctx, out)
}
