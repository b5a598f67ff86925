// Package sim is the local chat transport used by `innobot sim`, by tests and by anyone
// without a WeChat account. It is a real transport, like go-joe/joe's CLI adapter: lines in,
// messages out, in human mode (张三: 填报) or as one JSON object per line (--json), for tests.
package sim

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"innobot/bot"
)

// Control is what the simulator's control lines act on: the engine behind the transport.
type Control interface {
	// SetClock moves the virtual clock; due reminders fire.
	SetClock(ctx context.Context, t time.Time) error
	// Restart closes and reopens storage and the engine, as after a crash.
	Restart(ctx context.Context) error
}

// Transport reads simulated messages from In and writes what the bot sends to Out.
type Transport struct {
	In      io.Reader
	Out     io.Writer
	JSON    bool
	Control Control
	// Location reads times written without a zone in !clock lines.
	Location *time.Location
	// Errs receives protocol errors (a malformed line) in JSON mode; they never stop the run.
	// Human mode shows them on Out.
	Errs io.Writer

	mu  sync.Mutex
	run string
}

// Incoming is one JSON input line.
type Incoming struct {
	From  string `json:"from"`
	Group string `json:"group"`
	Text  string `json:"text"`
	// File is the path of a file the sender sends (instead of Text), as a WeChat user sends
	// a document from their phone.
	File    string `json:"file,omitempty"`
	ID      string `json:"id,omitempty"` // optional message id, to test repeated delivery
	Clock   string `json:"clock,omitempty"`
	Restart bool   `json:"restart,omitempty"`
}

// Output is one JSON output line for a sent message.
type Output struct {
	To    string `json:"to"`
	Group string `json:"group"`
	Text  string `json:"text"`
	File  string `json:"file"`
}

// Run reads lines until the input ends or ctx is done. Each line is handled whole (its
// replies written) before the next is read; in JSON mode {"ack":N} follows each line.
func (t *Transport) Run(ctx context.Context, deliver bot.Deliver) error {
	var b [4]byte
	if _, err := rand.Read(b[:]); err != nil {
		return fmt.Errorf("sim run id: %w", err)
	}
	t.run = hex.EncodeToString(b[:])
	in := bufio.NewReaderSize(t.In, 64*1024)
	for n := 1; ; n++ {
		line, err := readLine(in, MaxLine)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		switch {
		case errors.Is(err, errLineTooLong):
			t.complain("line %d: longer than %d bytes, ignored", n, MaxLine)
		case err != nil:
			return fmt.Errorf("sim input: %w", err)
		default:
			t.line(ctx, n, line, deliver)
		}
		if t.JSON {
			t.write(fmt.Sprintf(`{"ack":%d}`, n))
		}
	}
}

// MaxLine is the longest input line read: a longer one is read to its end, reported and
// dropped, and the simulator goes on.
const MaxLine = 1 << 20

// errLineTooLong is readLine's report of a line over the limit, which it has skipped.
var errLineTooLong = errors.New("line too long")

// readLine reads one line, without its line break (\n or \r\n). A line longer than max bytes
// is read to its end and dropped (errLineTooLong); io.EOF comes only when no line is left.
func readLine(r *bufio.Reader, max int) (string, error) {
	var line []byte
	tooLong := false
	for {
		chunk, err := r.ReadSlice('\n')
		if !tooLong && len(line)+len(chunk) > max+len("\r\n") {
			tooLong, line = true, nil
		}
		if !tooLong {
			line = append(line, chunk...)
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && (len(line) > 0 || tooLong):
			// The last line, without a line break.
		case err != nil:
			return "", err
		}
		break
	}
	if tooLong {
		return "", errLineTooLong
	}
	s := strings.TrimSuffix(string(line), "\n")
	s = strings.TrimSuffix(s, "\r")
	if len(s) > max {
		return "", errLineTooLong
	}
	return s, nil
}

func (t *Transport) line(ctx context.Context, n int, line string, deliver bot.Deliver) {
	var in Incoming
	if t.JSON {
		if strings.TrimSpace(line) == "" {
			return
		}
		if err := json.Unmarshal([]byte(line), &in); err != nil {
			t.complain("line %d: not a JSON object: %v", n, err)
			return
		}
	} else if !t.parseHuman(n, line, &in) {
		return
	}
	switch {
	case in.Restart:
		if err := t.Control.Restart(ctx); err != nil {
			t.complain("line %d: restart: %v", n, err)
		}
	case in.Clock != "":
		at, err := t.parseTime(in.Clock)
		if err == nil {
			err = t.Control.SetClock(ctx, at)
		}
		if err != nil {
			t.complain("line %d: clock: %v", n, err)
		} else if !t.JSON {
			t.write("（时钟：" + at.In(t.loc()).Format("2006-01-02 15:04") + "）")
		}
	case in.From == "":
		t.complain("line %d: no sender", n)
	default:
		id := in.ID
		if id == "" {
			id = fmt.Sprintf("sim-%s-%d", t.run, n)
		}
		m := bot.Message{
			ID: id, From: in.From, FromName: in.From, Group: in.Group, GroupName: in.Group,
			Kind: bot.KindText, Text: in.Text,
		}
		if in.File != "" {
			a, err := attach(in.File)
			if err != nil {
				t.complain("line %d: %v", n, err)
				return
			}
			m.Kind, m.Text, m.File = bot.KindFile, "", a
		}
		<-deliver(m)
	}
}

// attach makes the file a simulated sender sends: it must exist now, as a file a phone sends
// does, and the handler reads it where it lies, as it reads what a transport saved.
func attach(path string) (*bot.File, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("file: %s is not a regular file", path)
	}
	return &bot.File{Name: filepath.Base(path), Path: path, Size: fi.Size()}, nil
}

// fileWord starts a human-mode line that sends a file: `张三: 文件 /tmp/附件3.xlsx`.
const fileWord = "文件 "

// parseHuman reads `张三: 填报`, `张三: 文件 PATH`, `盐湖区帮扶群/李四: @创新助手 进度`,
// `!clock …` and `!restart`.
func (t *Transport) parseHuman(n int, line string, in *Incoming) bool {
	s := strings.TrimSpace(line)
	switch {
	case s == "" || strings.HasPrefix(s, "#"):
		return false
	case s == "!restart":
		in.Restart = true
		return true
	case strings.HasPrefix(s, "!clock"):
		in.Clock = strings.TrimSpace(strings.TrimPrefix(s, "!clock"))
		if in.Clock == "" {
			t.complain("line %d: !clock needs a time, e.g. !clock 2026-12-03T09:00", n)
			return false
		}
		return true
	}
	i := strings.IndexAny(s, ":：")
	if i <= 0 {
		t.complain("line %d: write `名字: 消息`, e.g. 张三: 填报", n)
		return false
	}
	who, text := s[:i], strings.TrimSpace(strings.TrimPrefix(strings.TrimPrefix(s[i:], ":"), "："))
	if g, from, ok := strings.Cut(who, "/"); ok {
		in.Group, who = strings.TrimSpace(g), from
	}
	in.From, in.Text = strings.TrimSpace(who), text
	if path, ok := strings.CutPrefix(text, fileWord); ok && strings.TrimSpace(path) != "" {
		in.Text, in.File = "", strings.TrimSpace(path)
	}
	return true
}

func (t *Transport) loc() *time.Location {
	if t.Location == nil {
		return time.Local
	}
	return t.Location
}

// ParseTime reads the times the simulator accepts: RFC 3339, or a local date and time.
func ParseTime(s string, loc *time.Location) (time.Time, error) {
	if at, err := time.Parse(time.RFC3339, s); err == nil {
		return at, nil
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04", "2006-01-02"} {
		if at, err := time.ParseInLocation(layout, s, loc); err == nil {
			return at, nil
		}
	}
	return time.Time{}, fmt.Errorf("bad time %q: want 2026-12-03T09:00 or RFC 3339", s)
}

func (t *Transport) parseTime(s string) (time.Time, error) { return ParseTime(s, t.loc()) }

// Send prints one outgoing message.
func (t *Transport) Send(_ context.Context, out bot.Outgoing) error {
	if t.JSON {
		b, err := json.Marshal(Output{To: out.To, Group: out.Group, Text: out.Text, File: out.File})
		if err != nil {
			return fmt.Errorf("sim output: %w", err)
		}
		t.write(string(b))
		return nil
	}
	to := out.To
	if out.Group != "" {
		to = out.Group
	}
	// A message with both is sent as WeChat sends it: the text, then the file.
	if out.Text != "" {
		t.write(fmt.Sprintf("→ %s: %s", to, out.Text))
	}
	if out.File != "" {
		t.write(fmt.Sprintf("→ %s: [文件] %s", to, out.File))
	}
	return nil
}

// Notice prints a line from the simulator itself (such as the demo's invite codes): plain in
// human mode, a message with an empty "to" in JSON mode.
func (t *Transport) Notice(text string) error {
	if t.JSON {
		return t.Send(context.Background(), bot.Outgoing{Text: text})
	}
	t.write(text)
	return nil
}

func (t *Transport) write(s string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintln(t.Out, s)
}

// complain reports a line the simulator could not use: to the person in human mode, to Errs
// in JSON mode so that standard output keeps to the protocol.
func (t *Transport) complain(format string, args ...any) {
	w := t.Errs
	if !t.JSON || w == nil {
		w = t.Out
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(w, "！sim: "+format+"\n", args...)
}

// Clock is the simulator's virtual clock: it runs on from the time it was last set, so that
// answers get distinct times, and !clock moves it.
type Clock struct {
	mu   sync.Mutex
	real func() time.Time
	base time.Time // virtual time at the moment set
	at   time.Time // real time at that moment
}

// NewClock starts a virtual clock at start; real is the wall clock it runs on.
func NewClock(start time.Time, real func() time.Time) *Clock {
	return &Clock{real: real, base: start, at: real()}
}

// Now is the virtual time.
func (c *Clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.base.Add(c.real().Sub(c.at))
}

// Set moves the virtual clock to t.
func (c *Clock) Set(t time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.base, c.at = t, c.real()
}
