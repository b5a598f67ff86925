package sanitize

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

func TestLineAndText(t *testing.T) {
	tests := []struct{ in, line, text string }{
		{"山西示范钢铁有限公司", "山西示范钢铁有限公司", "山西示范钢铁有限公司"},
		{"plain ascii", "plain ascii", "plain ascii"},
		{"\x1b[31m红色\x1b[0m公司", "红色公司", "红色公司"},
		{"\x1b[2J\x1b[H清屏", "清屏", "清屏"},
		{"\x1b]0;伪造标题\x07公司", "公司", "公司"},
		{"\x1b]8;;http://x\x1b\\链接\x1b]8;;\x1b\\", "链接", "链接"},
		{"\u009b31m红", "红", "红"},
		{"a\x1b(Bb", "ab", "ab"},
		{"a\x1b", "a", "a"},
		{"第一行\r\n第二行\r第三行\n第四行", "第一行 第二行 第三行 第四行", "第一行\n第二行\n第三行\n第四行"},
		{"a\tb\x00c\x07d\x7fe\u0085f", "a bcdef", "a bcdef"},
		{"invoice\u202egpj.exe", "invoicegpj.exe", "invoicegpj.exe"},
		{"\ufeff名称\u2066x\u2069", "名称x", "名称x"},
		{"段\u2028落", "段 落", "段\n落"},
		{"bad\xffbyte", "badbyte", "badbyte"},
		{"👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧", "👨\u200d👩\u200d👧"},
	}
	for _, tt := range tests {
		if got := Line(tt.in); got != tt.line {
			t.Errorf("Line(%q) = %q, want %q", tt.in, got, tt.line)
		}
		if got := Text(tt.in); got != tt.text {
			t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.text)
		}
	}
}

func FuzzLine(f *testing.F) {
	for _, s := range []string{"公司", "\x1b[31mx", "\x1b]0;t\x07", "a\r\nb", "\u202e", "\xff", "\u009b1m"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, out := range []string{Line(s), Text(s)} {
			if !utf8.ValidString(out) {
				t.Fatalf("invalid UTF-8 out of %q: %q", s, out)
			}
			for _, r := range out {
				if (unicode.IsControl(r) && r != '\n') || hidden(r) {
					t.Fatalf("%q kept %U: %q", s, r, out)
				}
			}
			if Line(out) != strings.ReplaceAll(out, "\n", " ") {
				t.Fatalf("cleaning %q again changes it", out)
			}
		}
		if strings.Contains(Line(s), "\n") {
			t.Fatalf("Line(%q) has a line break", s)
		}
	})
}
