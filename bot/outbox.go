package bot

import (
	"context"
	"log/slog"
	"math/rand/v2"
	"sync"
	"time"

	"innobot/storage"
)

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
)

// Outbox sends the messages queued in storage.Outbox for one account, at the account's pace,
// and records each send with MarkSent. Everything that matters lives in the store: a restart
// picks up what is pending, and a failed send stays pending and is tried again after a
// backoff. What it keeps in memory (the next free slot, backoffs) only shapes timing.
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

	drain sync.Mutex // one drainer at a time: Run and Flush never pick the same message

	mu         sync.Mutex
	next       time.Time            // earliest moment of the next slot
	waiting    int                  // reservations not yet used
	backoff    map[string]time.Time // failed message id → not before
	unrecorded map[string]time.Time // sent, but MarkSent failed: record, never resend
	kick       chan struct{}
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
// backoff ends. It returns ctx's error.
func (o *Outbox) Run(ctx context.Context) error {
	kick := o.kicker()
	for {
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
func (o *Outbox) Flush(ctx context.Context) (int, error) {
	o.drain.Lock()
	defer o.drain.Unlock()
	n := 0
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		sent, more, err := o.sendNext(ctx)
		if sent {
			n++
		}
		if err != nil || !more {
			return n, err
		}
	}
}

// sendNext sends the oldest pending message not in backoff. more is false when there was
// none.
func (o *Outbox) sendNext(ctx context.Context) (sent, more bool, err error) {
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
	if err := o.wait(ctx); err != nil {
		return false, false, err
	}
	sendErr := o.Transport.Send(ctx, Outgoing{To: m.To, Group: m.Group, Text: m.Text, File: m.File})
	at := o.now()
	if sendErr != nil {
		o.mu.Lock()
		if o.backoff == nil {
			o.backoff = map[string]time.Time{}
		}
		o.backoff[m.ID] = at.Add(o.backoffFor(m.Attempts + 1))
		o.mu.Unlock()
		o.log().Warn("send failed; will retry", "id", m.ID, "attempt", m.Attempts+1, "err", sendErr)
		if err := o.Store.MarkSent(ctx, m.ID, at, sendErr.Error()); err != nil {
			o.log().Error("recording failed send", "id", m.ID, "err", err)
		}
		return false, true, nil
	}
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

func (o *Outbox) recordUnrecorded(ctx context.Context) {
	o.mu.Lock()
	todo := make(map[string]time.Time, len(o.unrecorded))
	for id, at := range o.unrecorded {
		todo[id] = at
	}
	o.mu.Unlock()
	for id, at := range todo {
		if err := o.Store.MarkSent(ctx, id, at, ""); err == nil {
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

// wait takes the next slot of the pace and sleeps until it comes.
func (o *Outbox) wait(ctx context.Context) error {
	if o.Pace.PerMinute <= 0 {
		return nil
	}
	now := o.now()
	o.mu.Lock()
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
	slot := o.next
	o.next = slot.Add(o.Pace.gap(r()))
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
