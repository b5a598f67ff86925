package main

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
)

// The simulator refuses a clock moved more than 10 years at once and a line over 1 MiB, with an
// error line each, and goes on with the next line.
func TestSimRefusesHugeClockAndLine(t *testing.T) {
	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	in := strings.Join([]string{
		`{"clock":"3026-01-01T00:00"}`,
		`{"from":"张三","text":"` + strings.Repeat("长", 400_000) + `"}`,
		`{"clock":"2027-01-01T00:00"}`,
		`{"from":"张三","text":"你好"}`,
	}, "\n") + "\n"
	cmd := exec.Command(bin, "sim", "--json", "--now", "2026-11-25T10:00", "--data", t.TempDir())
	var out, errs bytes.Buffer
	cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(in), &out, &errs
	if err := cmd.Run(); err != nil {
		t.Fatalf("sim exited: %v\n%s", err, errs.String())
	}
	for _, want := range []string{"line 1: clock: 3026-01-01 00:00:00 is more than 10 years ahead", "line 2: longer than 1048576 bytes, ignored"} {
		if !strings.Contains(errs.String(), want) {
			t.Errorf("standard error lacks %q:\n%s", want, errs.String())
		}
	}
	for _, want := range []string{`{"ack":1}`, `{"ack":2}`, `{"ack":3}`, `{"ack":4}`, `"to":"张三"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %s:\n%s", want, out.String())
		}
	}
}
