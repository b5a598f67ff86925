package assistant

import (
	"strings"
	"testing"

	"innobot/invite"
	"innobot/survey"
)

func TestParseBind(t *testing.T) {
	tests := []struct {
		text, code string
		ok         bool
	}{
		{"绑定 483920", "483920", true},
		{"绑定483920", "483920", true},
		{"绑定：483920", "483920", true},
		{"绑定: 483 920", "483920", true},
		{"绑定　４８３９２０。", "483920", true},
		{"  绑定 483920 ", "483920", true},
		{"绑定 K7WQM3PA", "K7WQM3PA", true},
		{"绑定 k7wq-m3pa", "K7WQM3PA", true},
		{"绑定 Ｋ７ＷＱ　Ｍ３ＰＡ", "K7WQM3PA", true},
		{"绑定邀请码 K7WQM3PA", "K7WQM3PA", true},
		{"绑定 邀请码：483920", "483920", true},
		{"绑定 23456789", "23456789", true},
		{"绑定", "", false},
		{"绑定：", "", false},
		{"绑定 12345", "", false},    // five digits
		{"绑定 1234567", "", false},  // seven digits
		{"绑定 K7WQM3P0", "", false}, // 0 is not in the alphabet
		{"绑定 ILOVEYOU", "", false}, // I, L, O are not either
		{"绑定了两个平台", "", false},     // a survey answer
		{"绑定本群 盐湖区", "", false},    // a group binding, a staff command
		{"绑定 48392O", "", false},   // a letter among digits
		{"请绑定 483920", "", false},  // not at the start
		{"483920", "", false},
		{"绑定 483920 谢谢", "", false},
	}
	for _, tt := range tests {
		code, ok := parseBind(tt.text)
		if code != tt.code || ok != tt.ok {
			t.Errorf("parseBind(%q) = %q, %v; want %q, %v", tt.text, code, ok, tt.code, tt.ok)
		}
	}
}

func FuzzParseBind(f *testing.F) {
	for _, s := range []string{"绑定 483920", "绑定 k7wq-m3pa", "绑定了两个平台", "绑定", "绑定：邀请码 ２３４５６７８９"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		code, ok := parseBind(text)
		if !ok {
			if code != "" {
				t.Fatalf("parseBind(%q) = %q, false", text, code)
			}
			return
		}
		if _, shape := invite.Parse(code); !strings.HasPrefix(survey.Normalize(text), "绑定") || shape == invite.NotACode {
			t.Fatalf("parseBind(%q) = %q, true: not a code after 绑定", text, code)
		}
		if again, ok := parseBind("绑定 " + code); !ok || again != code {
			t.Fatalf("the code %q read from %q does not read back: %q, %v", code, text, again, ok)
		}
	})
}
