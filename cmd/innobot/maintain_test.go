package main

import (
	"context"
	"log/slog"
	"path/filepath"
	"testing"
	"testing/synctest"
	"time"

	"innobot/assistant"
	"innobot/bot"
	"innobot/storage"
	"innobot/storage/bolt"
)

// A running bot prunes wrong-code records and handled message ids every hour, not only at
// start.
func TestMaintainEveryHour(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store, err := bolt.Open(filepath.Join(t.TempDir(), "innobot.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		log := slog.New(slog.DiscardHandler)
		e := &engine{svc: &assistant.Service{Store: store, Clock: bot.ClockFunc(time.Now), Location: time.UTC, Log: log, ExportDir: t.TempDir()}}
		if err := store.AddWrongCode(t.Context(), "路人", time.Now()); err != nil {
			t.Fatal(err)
		}
		for id, at := range map[string]time.Time{"old": time.Now().Add(-assistant.HandledKeep + 30*time.Minute), "new": time.Now()} {
			if err := store.Answer(t.Context(), storage.Answer{MessageID: id, At: at}); err != nil {
				t.Fatal(err)
			}
		}
		handled := func(id string) bool {
			ok, err := store.Handled(context.Background(), id)
			if err != nil {
				t.Fatal(err)
			}
			return ok
		}
		left := func() int {
			n, err := store.WrongCodes(context.Background(), time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			return n
		}
		ctx, cancel := context.WithCancel(t.Context())
		done := make(chan struct{})
		go func() {
			e.maintainEvery(ctx, time.Hour, log)
			close(done)
		}()
		time.Sleep(30 * time.Minute)
		synctest.Wait()
		if !handled("old") {
			t.Error("a handled id pruned before the first hour's run")
		}
		time.Sleep(24 * time.Hour) // the runs at 1 h … 24 h keep a day of wrong codes
		synctest.Wait()
		if handled("old") || !handled("new") {
			t.Errorf("after a day running: old handled %v, new %v; want the month-old id pruned, the new kept", handled("old"), handled("new"))
		}
		if n := left(); n != 1 {
			t.Errorf("after 24.5 hours %d wrong codes left, want the one a day old kept", n)
		}
		time.Sleep(time.Hour) // the run at 25 h
		synctest.Wait()
		if n := left(); n != 0 {
			t.Errorf("after 25.5 hours %d wrong codes left, want none", n)
		}
		cancel()
		<-done
	})
}
