package assistant

import (
	"context"
	"sync"
	"time"

	"innobot/bot"
)

// FloodLimit is how many messages a contact may send within floodWindow; more are refused,
// so a stuck client or a script cannot fill the store or get the account banned for
// answering too much.
const (
	FloodLimit  = 30
	floodWindow = time.Minute
)

// floodGuard counts each contact's recent messages. It lives in memory: a restart forgets
// the counts, which only forgives a flood. Contacts quiet for a window are dropped as it goes,
// so that thousands of senders of one message each leave nothing behind.
type floodGuard struct {
	clock bot.Clock
	limit int
	mu    sync.Mutex
	seen  map[string][]time.Time // by contact: times within the window
	told  map[string]time.Time   // by contact: when they were last told to slow down
	swept time.Time              // when seen and told were last swept
}

// limitFlood refuses messages past limit a minute with one short reply per window, then
// silence, and changes nothing. A limit of 0 lets everything through.
func limitFlood(clock bot.Clock, limit int) bot.Middleware {
	g := &floodGuard{clock: clock, limit: limit, seen: map[string][]time.Time{}, told: map[string]time.Time{}}
	return func(next bot.Handler) bot.Handler {
		if limit <= 0 {
			return next
		}
		return bot.HandlerFunc(func(ctx context.Context, w bot.Replier, m *bot.Message) error {
			over, tell := g.note(m.From)
			if !over {
				return next.ServeMessage(ctx, w, m)
			}
			if tell && m.Group == "" {
				w.Reply("消息太频繁，这条没有处理，请 1 分钟后再发。")
			}
			return nil
		})
	}
}

// note records a message and reports whether it is over the limit, and whether the sender
// should be told (once per window).
func (g *floodGuard) note(contact string) (over, tell bool) {
	now := g.clock.Now()
	g.mu.Lock()
	defer g.mu.Unlock()
	if now.Sub(g.swept) >= floodWindow {
		g.sweep(now)
	}
	recent := g.seen[contact][:0]
	for _, t := range g.seen[contact] {
		if now.Sub(t) < floodWindow {
			recent = append(recent, t)
		}
	}
	recent = append(recent, now)
	g.seen[contact] = recent
	if len(recent) <= g.limit {
		return false, false
	}
	if last, ok := g.told[contact]; ok && now.Sub(last) < floodWindow {
		return true, false
	}
	g.told[contact] = now
	return true, true
}

// sweep drops the contacts whose last message, or last warning, is a window old.
func (g *floodGuard) sweep(now time.Time) {
	for c, times := range g.seen {
		if now.Sub(times[len(times)-1]) >= floodWindow {
			delete(g.seen, c)
		}
	}
	for c, at := range g.told {
		if now.Sub(at) >= floodWindow {
			delete(g.told, c)
		}
	}
	g.swept = now
}
