package roster

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestCheckCreditCode(t *testing.T) {
	for _, tc := range []struct {
		code string
		want string // "" for valid
	}{
		// Published codes of registered entities, checked against other validators.
		{"91350100M000100Y43", ""},
		{"91440300708461136T", ""},
		{"91110108551385082Q", ""},
		{"91110000802100433B", ""},
		{"91110105771583283D", ""},
		{"91110108735106340Y", ""},
		{"51610700305332460K", ""},
		{"91440300359143307G", ""},
		{"112302070019030687", ""},
		// Yuncheng-style codes (1408xx division codes) whose check character was computed.
		{"91140802MA0K123450", ""},
		{"91140881MA0GRX5T3E", ""},
		{"91140882MA0HX2L7XD", ""},
		{"12140800012345678L", ""},
		{"91140821111222333M", ""},
		{"91140800MA0XXXXX1R", ""},
		{"91140829MA0LL0Q7X0", ""}, // check value 0 (31 mod 31)
		// Invalid.
		{"91350100M000100Y44", "校验位错误"},
		{"91350100M000100Y4", "应为 18 位，实为 17 位"},
		{"91350100M000100Y433", "应为 18 位，实为 19 位"},
		{"", "应为 18 位，实为 0 位"},
		{"91350100M000100I43", "不允许的字符“I”"},
		{"91350100M000100O43", "不允许的字符“O”"},
		{"91350100M000100Z43", "不允许的字符“Z”"},
		{"91350100m000100Y43", "不允许的字符“m”"},
		{"91350100Ｍ000100Y43", "不允许的字符“Ｍ”"},
		{"91440300708461136U", "校验位错误"},
		{"91140881MA0GRX5T3F", "校验位错误"},
		{"19140881MA0GRX5T3E", "校验位错误"}, // two digits swapped
		{"9.11408E+17", "被 Excel 存成了数字"},
		{"1.21400000123457E+17", "被 Excel 存成了数字"},
		{"000070102000E00009", ""}, // an E between digits is a letter, not an exponent (found by fuzzing)
	} {
		err := CheckCreditCode(tc.code)
		switch {
		case tc.want == "" && err != nil:
			t.Errorf("%s: %v, want valid", tc.code, err)
		case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
			t.Errorf("%s: %v, want %q", tc.code, err, tc.want)
		}
	}
}

func TestNormalizeCreditCode(t *testing.T) {
	for in, want := range map[string]string{
		" 9135 0100 M000 100Y43\n": "91350100M000100Y43",
		"９１３５０１００Ｍ０００１００Ｙ４３":       "91350100M000100Y43",
		"91350100m000100y43":       "91350100M000100Y43",
		"\ufeff91350100M000100Y43": "91350100M000100Y43",
	} {
		if got := NormalizeCreditCode(in); got != want {
			t.Errorf("NormalizeCreditCode(%q) = %q, want %q", in, got, want)
		}
	}
}

// A single wrong character is always caught: the weights are non-zero mod 31 and 31 is prime.
func TestCreditCodeCatchesEverySingleSubstitution(t *testing.T) {
	code := "91140802MA0K123450"
	for i := range 18 {
		for j := range len(creditCodeChars) {
			c := creditCodeChars[j]
			if c == code[i] {
				continue
			}
			bad := code[:i] + string(c) + code[i+1:]
			if CheckCreditCode(bad) == nil {
				t.Errorf("%s accepted", bad)
			}
		}
	}
}

func TestMatchHeader(t *testing.T) {
	for cell, want := range map[string]column{
		"企业名称":           colName,
		" 企 业\n名 称 ":     colName,
		"*企业名称（必填）":      colName,
		"企业全称":           colName,
		"所属县（市、区）":       colRegion,
		"所属县(市、区)":       colRegion,
		"所属县\r\n（市、区）":   colRegion,
		"县（市，区）":         colRegion,
		"统一社会信用代码（选填）":   colCreditCode,
		"行业":             colIndustry,
		"行业（细分领域）":       colIndustry,
		"企业属性":           colOwnership,
		"企业联系人":          colContact,
		"联系电话":           colTel,
		"联 系 电 话":        colTel,
		"各县（市、区）对口帮扶人":   colHelper,
		"各县(市、区)\n对口帮扶人": colHelper,
		"对口帮扶人联系电话":      colHelperTel,
		"序号":             colNone,
		"有无研发机构":         colBaseInst,
		"有无\n研发活动":       colBaseRD,
		"有无创新活动":         colBaseInno,
		"是否新进规上":         colNewlyAbove,
		"":               colNone,
		"必填":             colNone,
		"盐湖区开展创新活动企业汇总统计表":  colNone,
		"规上工业企业数量：":         colNone,
		"ＦＵＬＬ":              colNone,
		"计划开展创新活动内容":        colNone,
		"各县（市、区）对口帮扶人及联系电话": colNone,
	} {
		if got := matchHeader(cell); got != want {
			t.Errorf("matchHeader(%q) = %v, want %v", cell, got, want)
		}
	}
}

func TestColName26(t *testing.T) {
	for i, want := range map[int]string{0: "A", 25: "Z", 26: "AA", 27: "AB", 701: "ZZ", 702: "AAA"} {
		if got := colName26(i); got != want {
			t.Errorf("colName26(%d) = %q, want %q", i, got, want)
		}
	}
}

func FuzzCheckCreditCode(f *testing.F) {
	for _, s := range []string{"91350100M000100Y43", "91140802MA0K123450", "", "9.1E+17", "９１", "91350100M000100Y4\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := CheckCreditCode(s) // must not panic
		if err == nil && (len(s) != 18 || !utf8.ValidString(s)) {
			t.Fatalf("%q accepted", s)
		}
		n := NormalizeCreditCode(s)
		if NormalizeCreditCode(n) != n {
			t.Fatalf("NormalizeCreditCode not idempotent on %q", s)
		}
		if len(s) < 17 {
			return
		}
		c, ok := creditCodeCheckChar(s[:17])
		if !ok {
			return
		}
		if err := CheckCreditCode(s[:17] + string(c)); err != nil {
			t.Fatalf("%s%c: computed check char rejected: %v", s[:17], c, err)
		}
		for i := range len(creditCodeChars) {
			if o := creditCodeChars[i]; o != c && CheckCreditCode(s[:17]+string(o)) == nil {
				t.Fatalf("%s%c accepted, check char is %c", s[:17], o, c)
			}
		}
	})
}

func FuzzHeader(f *testing.F) {
	for _, s := range []string{"企业名称", "所属县（市、区）", "各县（市、区）\n对口帮扶人", "联系电话", "*企业名称（必填）", "\xff\xfe", "必填必填"} {
		f.Add(s, "联系电话")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		k := headerKey(a)
		if headerKey(k) != k {
			t.Fatalf("headerKey not idempotent: %q → %q → %q", a, k, headerKey(k))
		}
		if matchHeader(" "+a+"\n") != matchHeader(a) {
			t.Fatalf("spaces change the match of %q", a)
		}
		// Any header row either parses or gives a reason; never a panic.
		for _, cells := range [][]string{{a, b}, {"企业名称", a, "所属县（市、区）", b}, {a, "企业联系人", b, "对口帮扶人", a, b}} {
			l, found, err := parseHeader(cells)
			if found && err == nil {
				for col, i := range l {
					if i >= len(cells) || (i >= 0 && matchHeader(cells[i]) != column(col) && matchHeader(cells[i]) != colTel) {
						t.Fatalf("%q: column %d at %d", cells, col, i)
					}
				}
			}
		}
		var tb table
		_, _ = tb.add([]string{a, b})
		_, _ = tb.add([]string{b, a})
	})
}
