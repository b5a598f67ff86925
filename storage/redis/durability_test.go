package redis_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"innobot/storage"
	storeredis "innobot/storage/redis"
	"innobot/storage/redis/redistest"
	"innobot/survey"
)

// The store reads the settings of the server it is given and says what they promise.
func TestDurabilityOfTheServer(t *testing.T) {
	tests := []struct {
		name string
		args []string
		set  storeredis.Settings // Version not compared
		risk string              // in Risk; "" for none
	}{
		{"always", []string{"--appendfsync", "always"},
			storeredis.Settings{Readable: true, AppendOnly: true, AppendFsync: "always", EvictionPolicy: "noeviction"}, ""},
		{"everysec", nil,
			storeredis.Settings{Readable: true, AppendOnly: true, AppendFsync: "everysec", EvictionPolicy: "noeviction"}, "appendfsync everysec"},
		{"evicting", []string{"--appendfsync", "always", "--maxmemory-policy", "allkeys-lru"},
			storeredis.Settings{Readable: true, AppendOnly: true, AppendFsync: "always", EvictionPolicy: "allkeys-lru"}, "maxmemory-policy allkeys-lru"},
		{"CONFIG forbidden", []string{"--rename-command", "CONFIG", ""},
			storeredis.Settings{ReadErr: "ERR unknown command 'config', with args beginning with: 'get' 'append*' "}, "cannot be read"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := redistest.Start(t, tt.args...)
			if !srv.Private {
				t.Skip("needs a private redis-server: unset REDIS_URL")
			}
			s, err := storeredis.Open(t.Context(), srv.URL, srv.Prefix(t))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			d := s.Durability()
			if d.Settings.Version == "" {
				t.Error("the server's version was not read")
			}
			d.Settings.Version = ""
			if d.Settings != tt.set {
				t.Errorf("settings %+v, want %+v", d.Settings, tt.set)
			}
			if h := s.Health(t.Context()); (tt.risk == "") != (h.Durability == "") || !strings.Contains(h.Durability, tt.risk) {
				t.Errorf("health %+v, want the risk to say %q", h, tt.risk)
			}
		})
	}
}

// Under appendfsync always, a turn Redis acknowledged survives a kill of redis-server right
// after: writers commit turns as fast as they can, the server is killed among them, and after
// its restart every acknowledged turn (its message id handled, its draft's answer) is there.
// Five rounds on one server.
func TestAcknowledgedTurnsSurviveAKill(t *testing.T) {
	srv := redistest.Start(t, "--appendfsync", "always")
	if !srv.Private {
		t.Skip("needs a private redis-server: unset REDIS_URL")
	}
	prefix := srv.Prefix(t)
	const writers = 6
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	type acked struct {
		writer, n int
	}
	version := make([]int64, writers) // each writer's session version, carried across rounds
	var total int
	for round := range 5 {
		s, err := storeredis.Open(t.Context(), srv.URL, prefix)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		if risk := s.Durability().Risk; risk != "" {
			t.Fatalf("appendfsync always reported a risk: %s", risk)
		}
		ctx, stop := context.WithCancel(t.Context())
		var mu sync.Mutex
		var acks []acked
		var wg sync.WaitGroup
		for w := range writers {
			wg.Go(func() {
				for n := 0; ctx.Err() == nil; n++ {
					id := fmt.Sprintf("r%d-w%d-%d", round, w, n)
					key := fmt.Sprintf("round%d.n%d", round, n)
					turn := storage.Turn{
						Answer:  storage.Answer{MessageID: id, At: at},
						Session: storage.Session{ContactID: fmt.Sprint("liaison-", w), Version: version[w], State: "filling"},
						Draft:   &storage.Draft{EnterpriseID: fmt.Sprint("E", w), Period: "2026-11", Answers: survey.Answers{key: {Num: float64(n)}}},
					}
					// The draft holds the last turn's answers only: what the check reads is the
					// handled id and the session's version.
					if err := s.CommitTurn(ctx, turn); err != nil {
						return // the kill
					}
					version[w]++
					mu.Lock()
					acks = append(acks, acked{w, n})
					mu.Unlock()
				}
			})
		}
		// Some turns acknowledged first (a loaded machine may take a while to connect), then a
		// little more, so that the kill lands among writes.
		for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(5 * time.Millisecond) {
			mu.Lock()
			n := len(acks)
			mu.Unlock()
			if n >= 20 || time.Now().After(deadline) {
				break
			}
		}
		time.Sleep(time.Duration(10+round*20) * time.Millisecond)
		srv.Kill(t) // while writers are mid-write: the last acknowledgements came just before
		stop()
		wg.Wait()
		s.Close()
		srv.Restart(t)

		s, err = storeredis.Open(t.Context(), srv.URL, prefix)
		if err != nil {
			t.Fatal(err)
		}
		for _, a := range acks {
			id := fmt.Sprintf("r%d-w%d-%d", round, a.writer, a.n)
			if ok, err := s.Handled(t.Context(), id); err != nil || !ok {
				t.Errorf("round %d: turn %s was acknowledged before the kill and is gone (%v)", round, id, err)
			}
		}
		for w := range writers {
			sess, err := s.Session(t.Context(), fmt.Sprint("liaison-", w))
			if err != nil {
				t.Fatal(err)
			}
			// A turn that landed without its acknowledgement (the kill cut the reply) moved the
			// session one further; the writer reads it back, as the bot does.
			if sess.Version < version[w] || sess.Version > version[w]+1 {
				t.Errorf("round %d: liaison-%d's session is at version %d, %d turns acknowledged", round, w, sess.Version, version[w])
			}
			version[w] = sess.Version
		}
		s.Close()
		total += len(acks)
		if len(acks) == 0 {
			t.Fatalf("round %d: no turn was acknowledged before the kill", round)
		}
	}
	t.Logf("%d acknowledged turns over 5 kills, every one found after the restart", total)
}
