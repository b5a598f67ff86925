package redis

import (
	"strings"
	"testing"
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
