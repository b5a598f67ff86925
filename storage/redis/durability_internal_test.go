package redis

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"innobot/storage"
	"innobot/storage/redis/redistest"
)

// What each setting promises, as the store reports it (and /healthz shows it).
func TestAssess(t *testing.T) {
	always := Settings{Readable: true, AppendOnly: true, AppendFsync: "always", EvictionPolicy: "noeviction", Version: "7.0.15"}
	with := func(f func(*Settings)) Settings { s := always; f(&s); return s }
	tests := []struct {
		name      string
		set       Settings
		single    bool // the client can ask for WAITAOF
		wait      bool
		risk      []string // in Risk; none: Risk is ""
		notInRisk string
	}{
		{"always", always, true, false, nil, ""},
		{"everysec on 7.0", with(func(s *Settings) { s.AppendFsync = "everysec" }), true, false,
			[]string{"appendfsync everysec", "the last second or two", "appendfsync always"}, "WAITAOF)"},
		{"everysec on 7.2: answers wait for the fsync", with(func(s *Settings) { s.AppendFsync, s.Version = "everysec", "7.2.4" }), true, true,
			[]string{"answers wait for the fsync (WAITAOF)", "sent marks"}, ""},
		{"everysec on 8.0 through a Cluster client", with(func(s *Settings) { s.AppendFsync, s.Version = "everysec", "8.0.1" }), false, false,
			[]string{"can lose answers acknowledged"}, ""},
		{"no", with(func(s *Settings) { s.AppendFsync = "no" }), true, false, []string{"appendfsync no", "30 seconds"}, ""},
		{"appendonly off", with(func(s *Settings) { s.AppendOnly = false }), true, false, []string{"appendonly is off", "snapshot"}, ""},
		{"evicting", with(func(s *Settings) { s.EvictionPolicy = "allkeys-lru" }), true, false, []string{"maxmemory-policy allkeys-lru", "noeviction"}, "appendfsync"},
		{"CONFIG forbidden", Settings{ReadErr: "ERR unknown command 'config'", Version: "7.0.15"}, true, false,
			[]string{"cannot be read (ERR unknown command 'config')", "appendfsync always"}, "maxmemory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := assess(tt.set, tt.single)
			if d.WaitAOF != tt.wait {
				t.Errorf("WaitAOF = %v, want %v", d.WaitAOF, tt.wait)
			}
			if len(tt.risk) == 0 && d.Risk != "" {
				t.Errorf("risk %q, want none", d.Risk)
			}
			for _, w := range tt.risk {
				if !strings.Contains(d.Risk, w) {
					t.Errorf("risk %q lacks %q", d.Risk, w)
				}
			}
			if tt.notInRisk != "" && strings.Contains(d.Risk, tt.notInRisk) {
				t.Errorf("risk %q has %q", d.Risk, tt.notInRisk)
			}
		})
	}
	for v, want := range map[string]bool{"7.2.0": true, "7.10.1": true, "8.0.0": true, "7.0.15": false, "6.2.14": false, "": false, "x.y": false} {
		if got := atLeast(v, 7, 2); got != want {
			t.Errorf("atLeast(%q, 7, 2) = %v", v, got)
		}
	}
}

// Where writes wait for the fsync, the write script and WAITAOF go in one pipeline. The
// installed redis-server (7.0) has no WAITAOF, so here the wait fails: the write is made, and
// reported as not synced (an outcome the router settles, see bot.Router), never as done; a
// server that lost its scripts gets the script whole.
func TestRunWriteWaitsInThePipeline(t *testing.T) {
	srv := redistest.Start(t, "--appendfsync", "everysec")
	s := New(srv.Client(t), srv.Prefix(t))
	if err := s.Ping(t.Context()); err != nil {
		t.Fatal(err)
	}
	if atLeast(s.Durability().Settings.Version, 7, 2) {
		t.Skip("this server has WAITAOF: the store waits on it by itself")
	}
	s.dmu.Lock()
	s.durability.WaitAOF = true
	s.dmu.Unlock()
	for i, flush := range []bool{false, true} {
		if flush { // the server restarted: EVALSHA finds no script
			if err := s.rdb.ScriptFlush(t.Context()).Err(); err != nil {
				t.Fatal(err)
			}
		}
		id := fmt.Sprint("m-", i)
		err := s.CommitTurn(t.Context(), storage.Turn{Answer: storage.Answer{MessageID: id, At: time.Now()},
			Session: storage.Session{ContactID: "c-1", Version: int64(i)}})
		if !errors.Is(err, errNotSynced) {
			t.Errorf("scripts flushed %v: %v, want the write reported as not synced", flush, err)
		}
		if ok, err := s.Handled(t.Context(), id); err != nil || !ok {
			t.Errorf("scripts flushed %v: the write was not made (%v)", flush, err)
		}
	}
}
