package redis

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"innobot/storage"
)

// Settings are the server settings that decide what an acknowledged write survives, as
// Ping found them.
type Settings struct {
	// Readable is false when the server refused CONFIG GET (a managed Redis, or CONFIG
	// renamed away): the other fields are then unknown.
	Readable bool
	// ReadErr is why they could not be read.
	ReadErr     string
	AppendOnly  bool   // appendonly yes
	AppendFsync string // always, everysec or no
	// EvictionPolicy is maxmemory-policy: anything but noeviction deletes keys when Redis is
	// full.
	EvictionPolicy string
	// Version is the server's redis_version ("" when INFO did not say).
	Version string
}

// Durability is what the store promises of an acknowledged write under the settings Ping
// found: the settings, whether turns wait for the local fsync (WAITAOF), and in words what a
// crash may still undo.
type Durability struct {
	Settings Settings
	// WaitAOF says every write made for a message waits, before it is acknowledged, until
	// Redis has fsynced it to its append-only file (WAITAOF 1 0, Redis 7.2 and later, on a
	// single server or a Sentinel's master).
	WaitAOF bool
	// Risk is "" when an acknowledged answer survives a crash of Redis or of its machine;
	// otherwise what may be lost and why, for the log and /healthz.
	Risk string
}

// assess works out what the settings promise. waitAOFPossible says the client can ask for
// WAITAOF on the connection that made a write (not through a Cluster client, which may send
// a keyless command to another node).
func assess(set Settings, waitAOFPossible bool) Durability {
	d := Durability{Settings: set}
	var risks []string
	switch {
	case !set.Readable:
		risks = append(risks, "the Redis settings cannot be read ("+set.ReadErr+"), so what a crash may undo is not known: "+
			"set appendonly yes and appendfsync always, and allow CONFIG GET for innobot to check them")
	case !set.AppendOnly:
		risks = append(risks, "appendonly is off: a restart or crash of Redis loses every write since its last RDB snapshot, acknowledged answers included")
	case set.AppendFsync == "always":
	default:
		d.WaitAOF = waitAOFPossible && atLeast(set.Version, 7, 2)
		window := "the last second or two"
		if set.AppendFsync == "no" {
			window = "the last 30 seconds or so (the system flushes when it likes)"
		}
		if d.WaitAOF {
			risks = append(risks, fmt.Sprintf("appendfsync %s: answers wait for the fsync (WAITAOF) and survive a crash, but other writes (sent marks, reminder claims) acknowledged in %s may be lost with the machine", set.AppendFsync, window))
		} else {
			risks = append(risks, fmt.Sprintf("appendfsync %s: a crash of the Redis machine, or a kill of redis-server while its disk is slow, can lose answers acknowledged in %s; set appendfsync always (or run Redis 7.2 or later, where each answer waits for its fsync)", set.AppendFsync, window))
		}
	}
	if set.Readable && set.EvictionPolicy != "noeviction" {
		risks = append(risks, fmt.Sprintf("maxmemory-policy %s: a full Redis deletes keys (sessions, drafts, reminder claims) instead of refusing writes; set noeviction", set.EvictionPolicy))
	}
	d.Risk = strings.Join(risks, "; ")
	return d
}

// atLeast reports whether a version string ("7.2.4") is at least major.minor.
func atLeast(version string, major, minor int) bool {
	parts := strings.SplitN(version, ".", 3)
	if len(parts) < 2 {
		return false
	}
	ma, err1 := strconv.Atoi(parts[0])
	mi, err2 := strconv.Atoi(parts[1])
	if err1 != nil || err2 != nil {
		return false
	}
	return ma > major || (ma == major && mi >= minor)
}

// readSettings asks the server for the settings that decide durability. A server that
// forbids CONFIG (managed services do) is no error: the settings are then unreadable.
func (s *Store) readSettings(ctx context.Context) Settings {
	var set Settings
	if info, err := s.rdb.Info(ctx, "server").Result(); err == nil {
		for line := range strings.SplitSeq(info, "\n") {
			if v, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:"); ok {
				set.Version = v
			}
		}
	}
	cfg, err := s.rdb.ConfigGet(ctx, "append*").Result()
	if err == nil {
		var policy map[string]string
		if policy, err = s.rdb.ConfigGet(ctx, "maxmemory-policy").Result(); err == nil {
			cfg["maxmemory-policy"] = policy["maxmemory-policy"]
		}
	}
	if err != nil {
		set.ReadErr = err.Error()
		return set
	}
	set.Readable = true
	set.AppendOnly = cfg["appendonly"] == "yes"
	set.AppendFsync = cfg["appendfsync"]
	set.EvictionPolicy = cfg["maxmemory-policy"]
	return set
}

// checkDurability reads the settings and decides whether writes wait for the fsync.
func (s *Store) checkDurability(ctx context.Context) {
	_, single := s.rdb.(*goredis.Client)
	d := assess(s.readSettings(ctx), single)
	s.dmu.Lock()
	s.durability = d
	s.dmu.Unlock()
}

// Durability returns what the store promises of an acknowledged write, as Ping found the
// server's settings: the caller logs Risk at start.
func (s *Store) Durability() Durability {
	s.dmu.Lock()
	defer s.dmu.Unlock()
	return s.durability
}

// Health reports what a crash of Redis may undo of what the store acknowledged.
func (s *Store) Health(context.Context) storage.Health {
	return storage.Health{Durability: s.Durability().Risk}
}

// errNotSynced is a write Redis made but did not fsync within the time given: acknowledged
// to nobody, since a crash may still undo it.
var errNotSynced = errors.New("the write was not synced to the append-only file in time")

// runWrite runs a write script. When writes wait for the fsync, the script and WAITAOF go in
// one pipeline, on one connection, so that WAITAOF waits for this very write; a server that
// lost the script (restarted) gets it whole (EVAL) in a second pipeline.
func (s *Store) runWrite(ctx context.Context, script *goredis.Script, keys []string, args ...any) *goredis.Cmd {
	if !s.Durability().WaitAOF {
		return script.Run(ctx, s.rdb, keys, args...)
	}
	timeout := time.Second
	if d, ok := ctx.Deadline(); ok {
		timeout = max(time.Until(d), time.Millisecond)
	}
	run := func(eval func(ctx context.Context, c goredis.Scripter, keys []string, args ...any) *goredis.Cmd) (*goredis.Cmd, *goredis.IntSliceCmd) {
		var res *goredis.Cmd
		var wait *goredis.IntSliceCmd
		_, _ = s.rdb.Pipelined(ctx, func(p goredis.Pipeliner) error {
			res = eval(ctx, p, keys, args...)
			wait = waitAOF(ctx, p, timeout)
			return nil
		})
		return res, wait
	}
	res, wait := run(script.EvalSha)
	if err := res.Err(); err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
		res, wait = run(script.Eval)
	}
	if res.Err() != nil {
		return res
	}
	if n, err := wait.Result(); err != nil || len(n) == 0 || n[0] < 1 {
		res.SetErr(fmt.Errorf("waitaof: %w (%v)", errNotSynced, err))
	}
	return res
}

// waitAOF asks Redis to answer once the writes of this connection are fsynced to its own
// append-only file (WAITAOF 1 0 timeout): the reply is [local, replicas].
func waitAOF(ctx context.Context, p goredis.Pipeliner, timeout time.Duration) *goredis.IntSliceCmd {
	cmd := goredis.NewIntSliceCmd(ctx, "waitaof", 1, 0, timeout.Milliseconds())
	_ = p.Process(ctx, cmd)
	return cmd
}
