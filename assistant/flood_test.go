package assistant

import (
	"context"
	"fmt"
	"testing"
	"time"

	"innobot/bot"
	"innobot/storage"
)

type recorder struct{ texts []string }

func (r *recorder) Reply(text string)      { r.texts = append(r.texts, text) }
func (r *recorder) ReplyFile(path string)  { r.texts = append(r.texts, path) }
func (r *recorder) Send(out bot.Outgoing)  { r.texts = append(r.texts, out.Text) }
func (r *recorder) Answer() storage.Answer { return storage.Answer{} }
func (r *recorder) Answered()              {}
func (r *recorder) Reset()                 { r.texts = nil }

func TestFloodLimit(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	handled := 0
	h := limitFlood(bot.ClockFunc(func() time.Time { return now }), FloodLimit)(bot.HandlerFunc(func(context.Context, bot.Replier, *bot.Message) error { handled++; return nil }))
	w := &recorder{}
	send := func(from string) {
		h.ServeMessage(context.Background(), w, &bot.Message{From: from, Text: "1"})
		now = now.Add(time.Second)
	}
	for range 30 {
		send("张三")
	}
	if handled != 30 || len(w.texts) != 0 {
		t.Fatalf("within the limit: handled %d, replies %q", handled, w.texts)
	}
	send("张三")
	send("张三")
	send("李四")
	if handled != 31 {
		t.Errorf("handled %d, want 31: the flood must stop at 张三 and not touch 李四", handled)
	}
	if len(w.texts) != 1 {
		t.Errorf("replies %q, want one slow-down notice", w.texts)
	}
	now = now.Add(time.Minute)
	send("张三")
	if handled != 32 {
		t.Errorf("after a quiet minute: handled %d, want 32", handled)
	}
}

// Thousands of senders of one message each are forgotten once they are quiet.
func TestFloodGuardForgetsQuietSenders(t *testing.T) {
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	g := &floodGuard{clock: bot.ClockFunc(func() time.Time { return now }), limit: FloodLimit, seen: map[string][]time.Time{}, told: map[string]time.Time{}}
	for i := range 30_000 {
		g.note(fmt.Sprintf("junk%05d", i))
		now = now.Add(10 * time.Millisecond) // 100 a second: 6,000 a window
	}
	// Swept once a window, the guard holds at most two windows of senders.
	if n := len(g.seen); n > 2*6_000 {
		t.Errorf("%d senders remembered after 30,000 in 300 s, want those of the last two minutes at most", n)
	}
	now = now.Add(2 * floodWindow)
	g.note("last")
	if len(g.seen) != 1 || len(g.told) != 0 {
		t.Errorf("after two quiet minutes %d senders and %d warnings remembered, want the last sender only", len(g.seen), len(g.told))
	}
}
