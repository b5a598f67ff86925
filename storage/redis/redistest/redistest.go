// Package redistest gives tests a Redis: the one REDIS_URL names, or else a private
// redis-server started on a free loopback port for the test and killed after it, so that the
// Redis suite runs on any machine with redis-server installed and never touches a server
// someone uses. Each test gets its own key prefix, so tests sharing a server never see each
// other's data and nothing is ever flushed.
//
// Without redis-server and without REDIS_URL, tests skip with a message saying how to run
// them, except in CI (CI=true), where they fail: .ci/run installs redis-server, so a skip
// there would hide a broken setup.
package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// Server is a Redis for a test.
type Server struct {
	// URL is redis://host:port/db, for configs and innobot's --config.
	URL string
	// Addr is host:port.
	Addr string
	// Private says the server was started by this package, so Kill and Restart work.
	Private bool

	dir  string
	port int
	args []string // redis-server's whole command line, port included

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan error // receives the process's exit once
}

// Start returns the Redis for a test: REDIS_URL when set, else a private redis-server killed
// when the test ends. It skips or fails the test when there is neither (see the package
// comment). args are extra redis-server arguments of a private server, given after the
// defaults so they win: a test that kills the server and counts what survived passes
// "--appendfsync", "always", since with everysec Redis may acknowledge a write before it
// reaches the file when the disk is slow (an fsync still under way postpones the write by up
// to two seconds), and a kill then loses it.
func Start(t testing.TB, args ...string) *Server {
	t.Helper()
	if url := os.Getenv("REDIS_URL"); url != "" {
		opt, err := goredis.ParseURL(url)
		if err != nil {
			t.Fatalf("REDIS_URL=%q: %v", url, err)
		}
		return &Server{URL: url, Addr: opt.Addr}
	}
	s := startPrivate(t, func(s *Server) []string { return s.serverArgs(args) })
	s.URL = "redis://" + s.Addr + "/0"
	return s
}

// StartCluster returns a private redis-server in cluster mode holding every slot: a Cluster
// of one node, which is all a test needs to drive innobot through a Cluster client (its keys
// share one slot). URL is its redis+cluster:// URL. It ignores REDIS_URL.
func StartCluster(t testing.TB) *Server {
	t.Helper()
	s := startPrivate(t, func(s *Server) []string {
		return s.serverArgs([]string{"--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf"})
	})
	s.URL = "redis+cluster://" + s.Addr
	c := goredis.NewClient(&goredis.Options{Addr: s.Addr})
	defer c.Close()
	ctx := context.Background()
	if err := c.ClusterAddSlotsRange(ctx, 0, 16383).Err(); err != nil {
		t.Fatalf("cluster addslots: %v", err)
	}
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		info, err := c.ClusterInfo(ctx).Result()
		if err == nil && strings.Contains(info, "cluster_state:ok") {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("cluster did not become ok: %v %s", err, info)
		}
	}
}

// StartSentinel returns a private Redis Sentinel monitoring master under the name "innobot",
// and the redis+sentinel:// URL of master through it. It ignores REDIS_URL.
func StartSentinel(t testing.TB, master *Server) string {
	t.Helper()
	dir := t.TempDir()
	conf := filepath.Join(dir, "sentinel.conf")
	host, port, err := net.SplitHostPort(master.Addr)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(conf, []byte("sentinel monitor innobot "+host+" "+port+" 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startPrivate(t, func(s *Server) []string {
		return []string{conf, "--sentinel", "--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
			"--dir", s.dir, "--daemonize", "no", "--logfile", filepath.Join(s.dir, "redis.log")}
	})
	return "redis+sentinel://" + s.Addr + "/0?master_name=innobot"
}

// startPrivate starts a redis-server with args on a free loopback port, killed when the test
// ends; it skips or fails the test without redis-server (see the package comment).
func startPrivate(t testing.TB, args func(*Server) []string) *Server {
	t.Helper()
	if _, err := exec.LookPath("redis-server"); err != nil {
		msg := "redis-server is not installed and REDIS_URL is not set: install it (apt-get install redis-server) or set REDIS_URL=redis://127.0.0.1:6379/0 to run the Redis tests"
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	s := &Server{Private: true, dir: t.TempDir()}
	var lastErr error
	for range 5 { // a port found free may be taken before redis-server binds it
		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		s.port = port
		s.Addr = net.JoinHostPort("127.0.0.1", strconv.Itoa(port))
		s.args = args(s)
		if lastErr = s.start(); lastErr == nil {
			t.Cleanup(s.stop)
			return s
		}
	}
	t.Fatalf("start redis-server: %v", lastErr)
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// serverArgs are the settings the README asks for (appendonly yes, appendfsync everysec,
// noeviction), no RDB snapshots, the files in the test's directory, then extra (which wins).
func (s *Server) serverArgs(extra []string) []string {
	return append([]string{
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1", "--protected-mode", "yes",
		"--dir", s.dir, "--appendonly", "yes", "--appendfsync", "everysec",
		"--maxmemory-policy", "noeviction", "--save", "", "--daemonize", "no",
		"--logfile", filepath.Join(s.dir, "redis.log"),
	}, extra...)
}

// start runs redis-server with the server's arguments and waits for PING.
func (s *Server) start() error {
	cmd := exec.Command("redis-server", s.args...)
	setDeathSignal(cmd)
	if err := cmd.Start(); err != nil {
		return err
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	client := goredis.NewClient(&goredis.Options{Addr: s.Addr, MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	defer client.Close()
	deadline := time.Now().Add(10 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
		err := client.Ping(ctx).Err()
		cancel()
		if err == nil {
			s.mu.Lock()
			s.cmd, s.exited = cmd, exited
			s.mu.Unlock()
			return nil
		}
		select {
		case err := <-exited:
			log, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
			return fmt.Errorf("redis-server exited (%v): %s", err, tail(log))
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-exited
			return fmt.Errorf("redis-server on %s did not answer PING: %v", s.Addr, err)
		}
	}
}

func tail(b []byte) string {
	s := strings.TrimSpace(string(b))
	if len(s) > 2000 {
		s = s[len(s)-2000:]
	}
	return s
}

// Kill ends the private server with SIGKILL, as a crash or an OOM kill would; what it
// acknowledged is in its append-only file (written before each reply).
func (s *Server) Kill(t testing.TB) {
	t.Helper()
	if !s.Private {
		t.Fatal("Kill needs a private redis-server; unset REDIS_URL")
	}
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Kill()
	<-exited
}

// Restart starts the private server again on the same port and directory, so it loads its
// append-only file.
func (s *Server) Restart(t testing.TB) {
	t.Helper()
	if !s.Private {
		t.Fatal("Restart needs a private redis-server; unset REDIS_URL")
	}
	var err error
	for range 50 { // the port may linger for a moment after the kill
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("restart redis-server: %v", err)
}

// Pause stops the private server with SIGSTOP, as a hung machine or a swapping Redis would:
// connections stay open and commands wait unanswered. Resume, or the test's end, wakes it.
func (s *Server) Pause(t testing.TB) {
	t.Helper()
	s.signal(t, syscall.SIGSTOP)
}

// Resume wakes a server Pause stopped (SIGCONT).
func (s *Server) Resume(t testing.TB) {
	t.Helper()
	s.signal(t, syscall.SIGCONT)
}

func (s *Server) signal(t testing.TB, sig syscall.Signal) {
	t.Helper()
	if !s.Private {
		t.Fatalf("sending %v needs a private redis-server; unset REDIS_URL", sig)
	}
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if cmd == nil {
		t.Fatalf("sending %v: the server is not running", sig)
	}
	if err := cmd.Process.Signal(sig); err != nil {
		t.Fatalf("sending %v to redis-server: %v", sig, err)
	}
}

func (s *Server) stop() {
	s.mu.Lock()
	cmd, exited := s.cmd, s.exited
	s.cmd = nil
	s.mu.Unlock()
	if cmd != nil {
		_ = cmd.Process.Kill()
		<-exited
	}
}

// Log returns the end of the private server's log, for a failing test to show.
func (s *Server) Log() string {
	if !s.Private {
		return ""
	}
	b, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
	return tail(b)
}

// Client returns a client of the server, closed when the test ends.
func (s *Server) Client(t testing.TB) *goredis.Client {
	t.Helper()
	opt, err := goredis.ParseURL(s.URL)
	if err != nil {
		t.Fatal(err)
	}
	c := goredis.NewClient(opt)
	t.Cleanup(func() { c.Close() })
	return c
}

// Prefix returns a key prefix of the test's own (see the package function Prefix). On a
// shared server (REDIS_URL) the prefix's keys are deleted when the test ends; a private
// server is thrown away whole.
func (s *Server) Prefix(t testing.TB) string {
	t.Helper()
	p := Prefix(t)
	if s.Private {
		return p
	}
	t.Cleanup(func() {
		opt, err := goredis.ParseURL(s.URL)
		if err != nil {
			return
		}
		c := goredis.NewClient(opt)
		defer c.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		// The prefix has no glob characters: Prefix keeps to letters, digits and _.:-.
		iter := c.Scan(ctx, 0, "{innobot:"+p+"}*", 1000).Iterator()
		var keys []string
		for iter.Next(ctx) {
			keys = append(keys, iter.Val())
		}
		for i := 0; i < len(keys); i += 500 {
			c.Unlink(ctx, keys[i:min(i+500, len(keys))]...)
		}
	})
	return p
}

var counter atomic.Int64

var unsafe = regexp.MustCompile(`[^A-Za-z0-9_.-]+`)

// Prefix returns a key prefix no other test (in this process or another sharing REDIS_URL)
// uses: the test's name, the process and a counter.
func Prefix(t testing.TB) string {
	name := unsafe.ReplaceAllString(t.Name(), "_")
	if len(name) > 60 {
		name = name[len(name)-60:]
	}
	return fmt.Sprintf("test:%s:%d:%d:%d", name, os.Getpid(), time.Now().UnixNano()%1e6, counter.Add(1))
}
