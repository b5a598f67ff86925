package period

import (
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	for in, want := range map[string]string{
		"2026-11": "2026-11", "2026-1": "2026-01", "2026年11月": "2026-11", "2026年3月": "2026-03",
		"2026.11": "2026-11", "2026/11": "2026-11", "202611": "2026-11", "２０２６－１１": "2026-11",
		" 2026-11 ": "2026-11", " 2026年 11 月 ": "2026-11", "abc": "",
		"2026-13": "", "26-11": "", "2026": "", "十一月": "", "": "", "1999-12": "", "2026-1a": "",
	} {
		got, err := Parse(in)
		if want == "" {
			if err == nil {
				t.Errorf("Parse(%q) = %q, want an error", in, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("Parse(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestNextPrevious(t *testing.T) {
	for _, c := range []struct{ p, prev, next string }{
		{"2026-11", "2026-10", "2026-12"},
		{"2027-01", "2026-12", "2027-02"},
		{"2026-12", "2026-11", "2027-01"},
	} {
		if got, err := Previous(c.p); err != nil || got != c.prev {
			t.Errorf("Previous(%q) = %q, %v; want %q", c.p, got, err, c.prev)
		}
		if got, err := Next(c.p); err != nil || got != c.next {
			t.Errorf("Next(%q) = %q, %v; want %q", c.p, got, err, c.next)
		}
	}
	if _, err := Next("11月"); err == nil {
		t.Error("Next of a non-period: no error")
	}
}

func TestLabel(t *testing.T) {
	for in, want := range map[string]string{"2026-11": "2026年11月", "2026-03": "2026年3月", "2026-10": "2026年10月", "abc": "abc", "2026-1x": "2026-1x"} {
		if got := Label(in); got != want {
			t.Errorf("Label(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestZeroRule: with no calendar, the report of a month is due on the 5th of the next.
func TestZeroRule(t *testing.T) {
	cst := time.FixedZone("CST", 8*3600)
	for at, want := range map[string]string{
		"2026-11-05T23:59:00+08:00": "2026-10",
		"2026-11-06T00:00:00+08:00": "2026-11",
		"2026-12-05T12:00:00+08:00": "2026-11",
		"2026-12-06T00:00:00+08:00": "2026-12",
		"2027-01-05T08:00:00+08:00": "2026-12",
		"2027-01-01T00:00:00+08:00": "2026-12",
		"2026-12-05T16:00:00Z":      "2026-12", // 00:00 on the 6th in China
	} {
		ts, err := time.Parse(time.RFC3339, at)
		if err != nil {
			t.Fatal(err)
		}
		if got := (Rule{}).Of(ts); got != want {
			t.Errorf("Of(%s) = %s, want %s", at, got, want)
		}
	}
	if d, err := (Rule{Location: cst}).Due("2026-12"); err != nil || d.Format("2006-01-02") != "2027-01-05" {
		t.Errorf("Due(2026-12) = %v, %v", d, err)
	}
	if _, err := (Rule{}).Due("2026年12月"); err == nil {
		t.Error("Due of a label: no error")
	}
}

// TestRuleDeadlineInTheMonthBefore: a deadline moved back into the reported month itself (a
// break at the start of the next) closes that month's report early.
func TestRuleDeadlineInTheMonthBefore(t *testing.T) {
	r := Rule{Deadline: func(y int, m time.Month) (int, time.Month, int) {
		if y == 2026 && m == 9 {
			return 2026, 9, 30
		}
		n := time.Date(y, m+1, 5, 0, 0, 0, 0, time.UTC)
		return n.Year(), n.Month(), 5
	}}
	for at, want := range map[string]string{
		"2026-09-05T10:00:00+08:00": "2026-08",
		"2026-09-06T10:00:00+08:00": "2026-09",
		"2026-09-30T10:00:00+08:00": "2026-09",
		"2026-10-01T10:00:00+08:00": "2026-10",
		"2026-10-05T10:00:00+08:00": "2026-10",
		"2026-11-05T10:00:00+08:00": "2026-10",
	} {
		ts, _ := time.Parse(time.RFC3339, at)
		if got := r.Of(ts); got != want {
			t.Errorf("Of(%s) = %s, want %s", at, got, want)
		}
	}
}

// FuzzParse: whatever is typed, Parse returns an error or a period of the store's form that
// reads back as itself, from its own form and from its label.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"2026-11", "2026年11月", "202611", "２０２６．１１", "2026/1", "2026-13", "11月", "", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(s)
		if err != nil {
			return
		}
		if len(p) != 7 || p[4] != '-' {
			t.Fatalf("Parse(%q) = %q", s, p)
		}
		for _, again := range []string{p, Label(p)} {
			if q, err := Parse(again); err != nil || q != p {
				t.Fatalf("Parse(%q) = %q; Parse(%q) = %q, %v", s, p, again, q, err)
			}
		}
	})
}
