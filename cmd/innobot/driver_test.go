package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"innobot/bot/sim"
	"innobot/invite"
	"innobot/storage/bolt"
)

// binary builds innobot once per test run; tests drive the real program through its pipes.
var binary = sync.OnceValues(func() (string, error) {
	dir, err := os.MkdirTemp("", "innobot-bin-")
	if err != nil {
		return "", err
	}
	path := filepath.Join(dir, "innobot")
	out, err := exec.Command("go", "build", "-o", path, ".").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %v\n%s", err, out)
	}
	return path, nil
})

// simProc is one `innobot sim --json` process.
type simProc struct {
	t     testing.TB
	cmd   *exec.Cmd
	in    io.WriteCloser
	out   *bufio.Scanner
	n     int // input lines sent
	codes map[string]string
	// county is the demo's code for a 盐湖区 clerk.
	county string
}

// startSim starts the simulator on dir with extra flags.
func startSim(t testing.TB, dir string, args ...string) *simProc {
	t.Helper()
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, append([]string{"sim", "--json", "--data", dir}, args...)...)
	cmd.Stderr = &testLog{t: t}
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &simProc{t: t, cmd: cmd, in: in, out: bufio.NewScanner(out), codes: map[string]string{}}
	p.out.Buffer(make([]byte, 1<<16), 1<<22)
	t.Cleanup(func() { p.kill() })
	return p
}

// testLog passes the simulator's standard error to the test log.
type testLog struct {
	t  testing.TB
	mu sync.Mutex
}

func (l *testLog) Write(b []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.t.Logf("sim stderr: %s", strings.TrimRight(string(b), "\n"))
	return len(b), nil
}

var demoCode = regexp.MustCompile(`绑定 ([` + invite.Alphabet + `]{8}) —【(.+?)】`)

// send writes one input object and returns the messages sent until its ack. Demo codes seen
// on the way are kept in codes, by enterprise name, and the 盐湖区 clerk's in county.
func (p *simProc) send(in sim.Incoming) []sim.Output {
	p.t.Helper()
	b, _ := json.Marshal(in)
	if _, err := fmt.Fprintf(p.in, "%s\n", b); err != nil {
		p.t.Fatalf("write to sim: %v", err)
	}
	p.n++
	return p.until(p.n)
}

// until reads output lines up to {"ack":n}.
func (p *simProc) until(n int) []sim.Output {
	p.t.Helper()
	var got []sim.Output
	for p.out.Scan() {
		line := p.out.Bytes()
		var ack struct {
			Ack *int `json:"ack"`
		}
		if err := json.Unmarshal(line, &ack); err != nil {
			p.t.Fatalf("sim wrote a line that is not JSON: %s", line)
		}
		if ack.Ack != nil {
			if *ack.Ack != n {
				p.t.Fatalf("ack %d, want %d", *ack.Ack, n)
			}
			return got
		}
		var o sim.Output
		if err := json.Unmarshal(line, &o); err != nil {
			p.t.Fatalf("bad output line %s: %v", line, err)
		}
		if m := demoCode.FindStringSubmatch(o.Text); m != nil {
			p.codes[m[2]] = m[1]
		}
		if m := countyCode.FindStringSubmatch(o.Text); m != nil {
			p.county = m[1]
		}
		got = append(got, o)
	}
	p.t.Fatalf("sim output ended before ack %d: %v", n, p.out.Err())
	return nil
}

// say sends a private message from a contact and returns the text of the replies to them.
func (p *simProc) say(from, text string) string {
	p.t.Helper()
	var texts []string
	for _, o := range p.send(sim.Incoming{From: from, Text: text}) {
		if o.To == from {
			texts = append(texts, o.Text)
		}
	}
	return strings.Join(texts, "\n")
}

// expect says text and fails unless the reply contains want.
func (p *simProc) expect(from, text, want string) string {
	p.t.Helper()
	got := p.say(from, text)
	if !strings.Contains(got, want) {
		p.t.Fatalf("%s: %q\nreply: %s\nwant it to contain %q", from, text, got, want)
	}
	return got
}

// kill ends the process with SIGKILL, as a crash would.
func (p *simProc) kill() {
	if p.cmd.ProcessState != nil {
		return
	}
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
}

// quit closes standard input and waits for a clean exit.
func (p *simProc) quit() {
	p.t.Helper()
	p.in.Close()
	done := make(chan error, 1)
	go func() { done <- p.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			p.t.Fatalf("sim exit: %v", err)
		}
	case <-time.After(30 * time.Second):
		p.t.Fatal("sim did not exit after its input closed")
	}
}

// openData opens the data dir's store once the simulator has stopped.
func openData(t testing.TB, dir string) *bolt.Store {
	t.Helper()
	s, err := bolt.Open(filepath.Join(dir, "innobot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}
