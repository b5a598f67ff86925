package main

import (
	"bytes"
	"context"
	"encoding/csv"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"innobot/storage"
	"innobot/storage/bolt"
)

// forged is text that would pass for more audit lines if written as it is.
const forged = "张三\n2026-11-20 10:00:00\tcity_office\tadmin\t\tunbind\t全市\tok\t\r\x1b[2K\u202e伪造"

// auditData writes entries into a new data dir and returns it.
func auditData(t *testing.T, entries ...storage.AuditEntry) string {
	t.Helper()
	data := t.TempDir()
	s, err := bolt.Open(filepath.Join(data, "innobot.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if err := s.Audit(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return data
}

func sampleAudit() []storage.AuditEntry {
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	return []storage.AuditEntry{
		{At: at, Contact: "wx-1", Name: "王科长", Role: storage.RoleCounty, Action: "query", Target: "盐湖区", Outcome: storage.OutcomeOK, Detail: "进度"},
		{At: at.Add(time.Minute), Contact: "wx-2" + forged, Name: forged, Role: storage.RoleNone, Group: forged, Action: "bind" + forged,
			Target: forged, Outcome: storage.OutcomeRefused, Detail: forged},
		{At: at.Add(2 * time.Minute), Contact: "wx-1", Name: "王科长", Role: storage.RoleCounty, Action: "query", Target: "夏县", Outcome: storage.OutcomeOutOfScope, Detail: "进度 夏县"},
		{At: at.Add(3 * time.Minute), Contact: "admin", Role: "admin", Action: "invite", Target: "=HYPERLINK(\"http://x\")", Outcome: storage.OutcomeOK, Detail: "+1"},
	}
}

func runAuditCmd(t *testing.T, data string, args ...string) string {
	t.Helper()
	var out, errs bytes.Buffer
	if err := run(context.Background(), append([]string{"audit", "--data", data, "--since", "2026-11-01"}, args...), &out, &errs); err != nil {
		t.Fatalf("audit %q: %v\n%s", args, err, errs.String())
	}
	return out.String()
}

// Names and texts people chose cannot forge lines, columns or terminal output.
func TestAuditCannotBeForged(t *testing.T) {
	data := auditData(t, sampleAudit()...)
	out := runAuditCmd(t, data)
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	if len(lines) != 5 || !strings.HasPrefix(lines[4], "共 4 条") {
		t.Fatalf("4 entries printed as %d lines:\n%s", len(lines), out)
	}
	for _, l := range lines[:4] {
		if n := len(strings.Split(l, "\t")); n != 9 {
			t.Errorf("%d columns, want 9: %q", n, l)
		}
		if strings.ContainsAny(l, "\r\x1b\u202e") {
			t.Errorf("a control character reached the output: %q", l)
		}
	}
	if !strings.Contains(lines[1], `张三\n2026-11-20 10:00:00\tcity_office`) || !strings.Contains(lines[1], `\u001b[2K\u202e伪造`) {
		t.Errorf("the forged entry does not show what was typed, escaped: %q", lines[1])
	}
}

func TestAuditCSV(t *testing.T) {
	data := auditData(t, sampleAudit()...)
	out := runAuditCmd(t, data, "--csv")
	if !strings.HasPrefix(out, "\uFEFF") {
		t.Error("no byte-order mark: Excel would misread the Chinese")
	}
	if n := strings.Count(out, "\n"); n != 5 {
		t.Errorf("a header and 4 entries took %d lines", n)
	}
	records, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(out, "\uFEFF"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(records) != 5 || strings.Join(records[0], ",") != strings.Join(auditColumns, ",") {
		t.Fatalf("records %q", records)
	}
	for _, r := range records {
		if len(r) != 9 {
			t.Errorf("%d fields: %q", len(r), r)
		}
	}
	if got := records[2][8]; !strings.HasPrefix(got, `张三\n`) {
		t.Errorf("forged detail in the CSV: %q", got)
	}
	// A spreadsheet must not run what someone typed.
	if got := records[4][6]; got != `'=HYPERLINK("http://x")` {
		t.Errorf("formula-like target: %q", got)
	}
	if got := records[4][8]; got != "'+1" {
		t.Errorf("formula-like detail: %q", got)
	}
}

func TestAuditFilters(t *testing.T) {
	data := auditData(t, sampleAudit()...)
	tests := []struct {
		args []string
		want int
	}{
		{nil, 4},
		{[]string{"--person", "wx-1"}, 2},
		{[]string{"--person", "王科"}, 2},
		{[]string{"--role", "county_office"}, 2},
		{[]string{"--role", "none"}, 1},
		{[]string{"--role", "admin"}, 1},
		{[]string{"--outcome", "out_of_scope"}, 1},
		{[]string{"--outcome", "ok", "--person", "王科长"}, 1},
		{[]string{"--outcome", "refused", "--role", "county_office"}, 0},
	}
	for _, tt := range tests {
		out := runAuditCmd(t, data, tt.args...)
		if got := strings.Count(out, "\n") - 1; got != tt.want {
			t.Errorf("audit %q: %d entries, want %d:\n%s", tt.args, got, tt.want, out)
		}
	}
	var errs bytes.Buffer
	if err := run(context.Background(), []string{"audit", "--data", data, "--outcome", "good"}, &bytes.Buffer{}, &errs); err == nil || !strings.Contains(errs.String(), "out_of_scope") {
		t.Errorf("an unknown outcome: %v, %s", err, errs.String())
	}
}

func TestEscapeField(t *testing.T) {
	tests := []struct{ in, want string }{
		{"盐湖区 进度", "盐湖区 进度"},
		{"a\tb\nc\rd", `a\tb\nc\rd`},
		{`C:\path`, `C:\\path`},
		{"\x1b[31m红", `\u001b[31m红`},
		{"\u2028\u202e\u2066", `\u2028\u202e\u2066`},
		{"\xff", `\xff`},
		{"\uFFFD", "\uFFFD"},
	}
	for _, tt := range tests {
		if got := escapeField(tt.in); got != tt.want {
			t.Errorf("escapeField(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
