package period

import "testing"

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
