package sim

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"innobot/bot"
)

// fakeControl records the control lines it was given.
type fakeControl struct {
	clocks   []time.Time
	restarts int
}

func (f *fakeControl) SetClock(_ context.Context, t time.Time) error {
	f.clocks = append(f.clocks, t)
	return nil
}

func (f *fakeControl) Restart(context.Context) error {
	f.restarts++
	return nil
}

var shanghai = time.FixedZone("CST", 8*3600)

// run feeds input to a Transport whose deliver answers every message with what it saw,
// through the transport, as a router would; it returns all output (Out, then Errs), the
// control calls and the messages delivered.
func run(t *testing.T, jsonMode bool, input string) (string, *fakeControl, []bot.Message) {
	t.Helper()
	var out, errs bytes.Buffer
	ctl := &fakeControl{}
	tr := &Transport{In: strings.NewReader(input), Out: &out, JSON: jsonMode, Control: ctl, Location: shanghai, Errs: &errs}
	var got []bot.Message
	err := tr.Run(context.Background(), func(m bot.Message) <-chan struct{} {
		got = append(got, m)
		to := bot.Outgoing{To: m.From, Text: "收到：" + m.Text}
		if m.Group != "" {
			to = bot.Outgoing{Group: m.Group, Text: "收到：" + m.Text}
		}
		if err := tr.Send(context.Background(), to); err != nil {
			t.Error(err)
		}
		done := make(chan struct{})
		close(done)
		return done
	})
	if err != nil {
		t.Fatal(err)
	}
	return out.String() + errs.String(), ctl, got
}

func TestHumanMode(t *testing.T) {
	out, ctl, msgs := run(t, false, "张三: 填报\n盐湖区帮扶群/李四：@创新助手 进度\n\n!clock 2026-12-03T09:00\n!restart\n乱写一行\n")
	want := "→ 张三: 收到：填报\n→ 盐湖区帮扶群: 收到：@创新助手 进度\n（时钟：2026-12-03 09:00）\n！sim: line 6: write `名字: 消息`, e.g. 张三: 填报\n"
	if out != want {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
	if len(msgs) != 2 || msgs[1].Group != "盐湖区帮扶群" || msgs[1].From != "李四" || msgs[0].ID == msgs[1].ID {
		t.Errorf("messages = %+v", msgs)
	}
	if len(ctl.clocks) != 1 || !ctl.clocks[0].Equal(time.Date(2026, 12, 3, 9, 0, 0, 0, shanghai)) || ctl.restarts != 1 {
		t.Errorf("control = %+v", ctl)
	}
}

func TestJSONMode(t *testing.T) {
	in := `{"from":"张三","group":"","text":"填报"}
{"clock":"2026-12-03T09:00:00+08:00"}
not json
{"restart":true}
{"from":"李四","group":"盐湖区帮扶群","text":"进度","id":"m-7"}
`
	out, ctl, msgs := run(t, true, in)
	want := `{"to":"张三","group":"","text":"收到：填报","file":""}
{"ack":1}
{"ack":2}
{"ack":3}
{"ack":4}
{"to":"","group":"盐湖区帮扶群","text":"收到：进度","file":""}
{"ack":5}
`
	if !strings.HasPrefix(out, want) {
		t.Errorf("output:\n%s\nwant:\n%s", out, want)
	}
	if !strings.Contains(out, "line 3: not a JSON object") {
		t.Errorf("a bad line is not reported on standard error: %s", out)
	}
	if len(msgs) != 2 || msgs[1].ID != "m-7" || ctl.restarts != 1 || len(ctl.clocks) != 1 {
		t.Errorf("messages = %+v, control = %+v", msgs, ctl)
	}
}

func TestFileOutput(t *testing.T) {
	var out bytes.Buffer
	tr := &Transport{Out: &out}
	if err := tr.Send(context.Background(), bot.Outgoing{To: "王五", File: "/tmp/台账.xlsx"}); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "→ 王五: [文件] /tmp/台账.xlsx\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
	// A message with a text and a file shows both, the text first, as WeChat sends them.
	out.Reset()
	if err := tr.Send(context.Background(), bot.Outgoing{Group: "盐湖区帮扶群", Text: "本周进度。", File: "/tmp/进度.png"}); err != nil {
		t.Fatal(err)
	}
	if got, want := out.String(), "→ 盐湖区帮扶群: 本周进度。\n→ 盐湖区帮扶群: [文件] /tmp/进度.png\n"; got != want {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestClock(t *testing.T) {
	real := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	c := NewClock(time.Date(2026, 11, 25, 10, 0, 0, 0, shanghai), func() time.Time { return real })
	real = real.Add(90 * time.Second)
	if got, want := c.Now(), time.Date(2026, 11, 25, 10, 1, 30, 0, shanghai); !got.Equal(want) {
		t.Errorf("clock runs to %v, want %v", got, want)
	}
	c.Set(time.Date(2026, 12, 3, 9, 0, 0, 0, shanghai))
	real = real.Add(time.Second)
	if got, want := c.Now(), time.Date(2026, 12, 3, 9, 0, 1, 0, shanghai); !got.Equal(want) {
		t.Errorf("after Set: %v, want %v", got, want)
	}
}

func TestParseTime(t *testing.T) {
	for _, s := range []string{"2026-12-03T09:00", "2026-12-03 09:00", "2026-12-03T09:00:00", "2026-12-03T09:00:00+08:00", "2026-12-03T01:00:00Z"} {
		got, err := ParseTime(s, shanghai)
		if err != nil || !got.Equal(time.Date(2026, 12, 3, 9, 0, 0, 0, shanghai)) {
			t.Errorf("ParseTime(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := ParseTime("明天", shanghai); err == nil {
		t.Error("accepted 明天")
	}
}

// TestFileInput sends a file in both modes: the message carries the file's name, size and
// path; a path that does not exist is a protocol error and delivers nothing.
func TestFileInput(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "附件3 填好.xlsx")
	if err := os.WriteFile(path, []byte("内容"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		json bool
		in   string
	}{
		{"human", false, "张三: 文件 " + path + "\n张三: 文件 " + filepath.Join(dir, "没有.xlsx") + "\n"},
		{"json", true, `{"from":"张三","file":"` + path + `"}` + "\n" + `{"from":"张三","file":"` + filepath.Join(dir, "没有.xlsx") + `"}` + "\n"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, _, msgs := run(t, tc.json, tc.in)
			if len(msgs) != 1 {
				t.Fatalf("delivered %d messages, want 1:\n%s", len(msgs), out)
			}
			m := msgs[0]
			if m.Kind != bot.KindFile || m.File == nil || m.File.Name != "附件3 填好.xlsx" || m.File.Size != int64(len("内容")) || m.Text != "" {
				t.Fatalf("message = %+v, file %+v", m, m.File)
			}
			if b, err := os.ReadFile(m.File.Path); err != nil || string(b) != "内容" {
				t.Errorf("content = %q, %v", b, err)
			}
			if !strings.Contains(out, "line 2: file:") {
				t.Errorf("a missing file is not reported:\n%s", out)
			}
		})
	}
}

// A line over MaxLine is reported and skipped, in either mode; the lines around it, and one
// without a final line break, are read as usual.
func TestLongLine(t *testing.T) {
	long := "张三: " + strings.Repeat("长", MaxLine/3+1)
	out, _, msgs := run(t, false, "张三: 前\r\n"+long+"\n张三: 后\n"+long+"\n张三: 末")
	if len(msgs) != 3 || msgs[0].Text != "前" || msgs[1].Text != "后" || msgs[2].Text != "末" {
		t.Errorf("delivered %d messages around the long lines: %+v", len(msgs), msgs)
	}
	for _, n := range []string{"line 2:", "line 4:"} {
		if !strings.Contains(out, "！sim: "+n+" longer than 1048576 bytes, ignored") {
			t.Errorf("the long %s is not reported: %.300s", n, out)
		}
	}

	out, _, msgs = run(t, true, `{"from":"张三","text":"前"}`+"\n"+`{"from":"张三","text":"`+strings.Repeat("x", 3*MaxLine)+`"}`+"\n"+`{"from":"张三","text":"后"}`+"\n")
	if len(msgs) != 2 || !strings.Contains(out, `{"ack":2}`) || !strings.Contains(out, "line 2: longer than") {
		t.Errorf("JSON mode: %d messages; output %.300s", len(msgs), out)
	}
	// A line of exactly MaxLine bytes is read.
	exact := "张三: " + strings.Repeat("x", MaxLine-len("张三: "))
	if _, _, msgs := run(t, false, exact+"\n"); len(msgs) != 1 {
		t.Errorf("a line of exactly %d bytes: %d messages", MaxLine, len(msgs))
	}
}
