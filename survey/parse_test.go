package survey

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// checkInputError fails unless err is an *InputError whose Reason is Chinese text a liaison can
// act on.
func checkInputError(t *testing.T, err error) {
	t.Helper()
	var ie *InputError
	if !errors.As(err, &ie) {
		t.Fatalf("error %v (%T) is not an *InputError", err, err)
	}
	if ie.Reason == "" || ie.Error() != ie.Reason {
		t.Fatalf("InputError has Reason %q, Error() %q", ie.Reason, ie.Error())
	}
	han := false
	for _, r := range ie.Reason {
		if unicode.Is(unicode.Han, r) {
			han = true
			break
		}
	}
	if !han {
		t.Fatalf("Reason %q is not Chinese", ie.Reason)
	}
}

// TestNormalize covers each way a phone keyboard spells the same answer differently.
func TestNormalize(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"empty", "", ""},
		{"plain", "12", "12"},
		{"full-width digits", "１２．５", "12.5"},
		{"full-width letters", "ＹＥＳ", "YES"},
		{"full-width comma", "１，３", "1,3"},
		{"ideographic space trimmed", "\u3000有\u3000", "有"},
		{"ideographic space inside", "1\u30003", "1 3"},
		{"ascii spaces", "  有  ", "有"},
		{"tabs and newlines", "\t有\n", "有"},
		{"trailing 。", "有。", "有"},
		{"trailing ！", "是的！", "是的"},
		{"trailing !!", "yes!!", "yes"},
		{"trailing ～", "好～", "好"},
		{"trailing ~", "好~", "好"},
		{"trailing dot", "3.", "3"},
		{"trailing mix", "有 。！~ ", "有"},
		{"leading punctuation kept", "。有", "。有"},
		{"inner punctuation kept", "1.5", "1.5"},
		{"only punctuation", "。。。", ""},
		{"other chinese kept", "民营企业", "民营企业"},
		{"full-width range edges", "\uff01a\uff5e", "!a"},
		{"invalid utf8 kept", "a\xffb", "a\xffb"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Normalize(tt.in); got != tt.want {
				t.Errorf("Normalize(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestParseYesNo covers every accepted word, since the list is closed on purpose.
func TestParseYesNo(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want bool
	}{
		{"有", "有", true},
		{"是", "是", true},
		{"是的", "是的", true},
		{"有的", "有的", true},
		{"对", "对", true},
		{"1", "1", true},
		{"full-width 1", "１", true},
		{"y", "y", true},
		{"Y", "Y", true},
		{"yes", "yes", true},
		{"YES", "YES", true},
		{"Yes full-width", "Ｙｅｓ", true},
		{"有 with 。", "有。", true},
		{"是的 with ！", "是的！", true},
		{"spaces", "  有 ", true},
		{"无", "无", false},
		{"否", "否", false},
		{"没有", "没有", false},
		{"没", "没", false},
		{"不是", "不是", false},
		{"不", "不", false},
		{"0", "0", false},
		{"full-width 0", "０", false},
		{"n", "n", false},
		{"N", "N", false},
		{"no", "no", false},
		{"NO", "NO", false},
		{"暂无", "暂无", false},
		{"没有 with 。", "没有。", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseYesNo(tt.in)
			if err != nil {
				t.Fatalf("ParseYesNo(%q) error %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseYesNo(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// TestParseYesNoRejects makes sure near-misses are asked again rather than guessed.
func TestParseYesNoRejects(t *testing.T) {
	for _, in := range []string{"", "  ", "。", "有没有", "也许", "2", "yes no", "ye", "有没有啊", "无所谓", "可能有", "\xff"} {
		t.Run(in, func(t *testing.T) {
			_, err := ParseYesNo(in)
			checkInputError(t, err)
			if !strings.Contains(err.Error(), "“有”或“无”") {
				t.Errorf("reason %q does not name the answers", err)
			}
		})
	}
}

// TestParseNumber covers every accepted spelling and unit conversion a liaison may type.
func TestParseNumber(t *testing.T) {
	tests := []struct {
		name string
		in   string
		unit string
		want float64
	}{
		// Plain forms.
		{"integer", "12", "万元", 12},
		{"decimal", "12.5", "万元", 12.5},
		{"full-width", "１２.５", "万元", 12.5},
		{"full-width point", "１２．５", "万元", 12.5},
		{"ideographic point", "12。5", "万元", 12.5},
		{"leading point", ".5", "万元", 0.5},
		{"trailing point", "12.", "万元", 12},
		{"spaces", "  12.5  ", "万元", 12.5},
		{"ideographic spaces", "\u300012\u3000", "万元", 12},
		{"trailing 。", "12。", "万元", 12},
		{"leading zeros", "007", "个", 7},
		{"zero", "0", "万元", 0},
		{"negative", "-5", "万元", -5},
		{"negative full-width", "－５", "万元", -5},
		{"negative unicode minus", "−5", "万元", -5},
		{"negative zero", "-0", "万元", 0},
		{"plus", "+5", "万元", 5},
		{"limit", "1000000000000000", "", 1e15},
		// Thousands separators.
		{"thousands", "1,234.5", "万元", 1234.5},
		{"thousands many", "1,234,567.5", "万元", 1234567.5},
		{"thousands full-width comma", "1，234", "万元", 1234},
		{"thousands full-width all", "１，２３４", "万元", 1234},
		// Money into 万元.
		{"万", "12万", "万元", 12},
		{"万元", "12万元", "万元", 12},
		{"w", "12w", "万元", 12},
		{"W", "12W", "万元", 12},
		{"space before suffix", "12 万", "万元", 12},
		{"元", "120000元", "万元", 12},
		{"元 exact", "12345元", "万元", 1.2345},
		{"元 with thousands", "120,000元", "万元", 12},
		{"块", "5000块", "万元", 0.5},
		{"块钱", "5000块钱", "万元", 0.5},
		{"亿", "1.2亿", "万元", 12000},
		{"亿元", "3亿元", "万元", 30000},
		{"元 rounds to 6 places", "1.23元", "万元", 0.000123},
		{"元 below rounding", "0.001元", "万元", 0},
		{"元 rounding up", "0.005元", "万元", 0.000001},
		{"万 decimal", "0.5万", "万元", 0.5},
		{"limit 亿", "1000000000000000亿", "万元", 1e19},
		// Money into 元.
		{"元 bare", "120000", "元", 120000},
		{"元 suffix", "120000元", "元", 120000},
		{"元 from 万", "12万", "元", 120000},
		{"元 from 万元", "1.5万元", "元", 15000},
		{"元 from w", "3w", "元", 30000},
		{"元 from 亿", "1.2亿", "元", 120000000},
		{"元 from 块", "35块", "元", 35},
		// Counts.
		{"count bare", "12", "人", 12},
		{"count 人", "12人", "人", 12},
		{"count 个", "3个", "个", 3},
		{"count 名", "5名", "人", 5},
		{"count 位", "5位", "人", 5},
		{"count 家", "2家", "个", 2},
		{"count 项", "4项", "个", 4},
		{"count 台", "4台", "个", 4},
		{"count 套", "4套", "个", 4},
		{"count 万", "3万", "人", 30000},
		{"count 万人", "1.2万人", "人", 12000},
		{"count space", "12 人", "人", 12},
		// Chinese numerals.
		{"三", "三", "个", 3},
		{"三个", "三个", "个", 3},
		{"五人", "五人", "人", 5},
		{"零", "零", "个", 0},
		{"〇", "〇", "个", 0},
		{"十", "十", "个", 10},
		{"十二", "十二", "个", 12},
		{"一十二", "一十二", "个", 12},
		{"二十", "二十", "个", 20},
		{"二十三", "二十三", "个", 23},
		{"两百", "两百", "个", 200},
		{"两个", "两个", "个", 2},
		{"一百零五", "一百零五", "个", 105},
		{"三百五", "三百五", "个", 350},
		{"一千二", "一千二", "个", 1200},
		{"一千零五十", "一千零五十", "个", 1050},
		{"两千零二十六", "两千零二十六", "个", 2026},
		{"一千二百三十四", "一千二百三十四", "个", 1234},
		{"九千九百九十九", "九千九百九十九", "个", 9999},
		{"三万 count", "三万", "人", 30000},
		{"三万 万元", "三万", "万元", 3},
		{"十万 元", "十万", "元", 100000},
		{"三百万 万元", "三百万", "万元", 300},
		{"五千元 万元", "五千元", "万元", 0.5},
		{"negative chinese", "-三", "个", -3},
		// Other units.
		{"percent bare", "12.5", "%", 12.5},
		{"percent suffix", "12.5%", "%", 12.5},
		{"percent full-width", "12.5％", "%", 12.5},
		{"unit suffix", "120平方米", "平方米", 120},
		{"unit suffix case", "12KG", "kg", 12},
		{"no unit", "42", "", 42},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := ParseNumber(tt.in, tt.unit)
			if err != nil {
				t.Fatalf("ParseNumber(%q, %q) error %v", tt.in, tt.unit, err)
			}
			if got := r.Value; got != tt.want || r.Approx {
				t.Errorf("ParseNumber(%q, %q) = %v, want %v", tt.in, tt.unit, got, tt.want)
			}
		})
	}
}

// TestParseNumberExact checks values as they will be printed back to the liaison, where a
// float artefact (1.2345000000000002) would be visible.
func TestParseNumberExact(t *testing.T) {
	tests := []struct{ in, unit, want string }{
		{"12345元", "万元", "1.2345"},
		{"1元", "万元", "0.0001"},
		{"0.1万", "元", "1000"},
		{"1.1亿", "万元", "11000"},
		{"0.3", "万元", "0.3"},
		{"123456789.123456789", "万元", "123456789.123457"},
		{"1.0000005", "万元", "1.000001"}, // 四舍五入, in decimal
		{"1.0000015", "万元", "1.000002"},
		{"1.0000004999", "万元", "1"},
		{"-1.0000005", "万元", "-1.000001"},
		{"9.9999999", "万元", "10"},
		{"0.9999995", "万元", "1"},
		{"-0.0000001", "万元", "0"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ParseNumber(tt.in, tt.unit)
			if err != nil {
				t.Fatalf("ParseNumber(%q, %q) error %v", tt.in, tt.unit, err)
			}
			if s := FormatNumber(got.Value); s != tt.want {
				t.Errorf("ParseNumber(%q, %q) prints as %s, want %s", tt.in, tt.unit, s, tt.want)
			}
		})
	}
}

// TestParseNumberRejects covers the vague, malformed and mismatched answers that must be asked again.
func TestParseNumberRejects(t *testing.T) {
	tests := []struct{ name, in, unit string }{
		{"empty", "", "万元"},
		{"spaces", "   ", "万元"},
		{"point only", ".", "万元"},
		{"sign only", "-", "万元"},
		{"double sign", "--5", "万元"},
		{"sign then space", "- 5", "万元"},
		{"NaN", "NaN", "万元"},
		{"nan", "nan", ""},
		{"Inf", "Inf", "万元"},
		{"infinity", "+Infinity", ""},
		{"hex", "0x1F", "万元"},
		{"two numbers", "12 13", "万元"},
		{"two numbers comma space", "12, 13", "万元"},
		{"bad group 1,2", "1,2", "万元"},
		{"bad group 12,34", "12,34", "万元"},
		{"bad group 1,2345", "1,2345", "万元"},
		{"empty group", "1,,234", "万元"},
		{"leading comma", ",123", "万元"},
		{"trailing comma", "123,", "万元"},
		{"comma in fraction", "1.234,5", "万元"},
		{"two points", "1.2.3", "万元"},
		{"words 十几", "十几", "个"},
		{"words 若干", "若干", "个"},
		{"digit string chinese", "一二三", "个"},
		{"百 alone", "百", "个"},
		{"trailing 零", "一百零", "个"},
		{"leading 零", "零五", "个"},
		{"useless 零", "一百零五十", "个"},
		{"over 1e15", "1000000000000001", "万元"},
		{"huge", strings.Repeat("9", 400), "万元"},
		{"over limit 元 亿", "1000000000000000亿", "元"},
		{"count suffix on money", "12人", "万元"},
		{"count suffix on 元", "3个", "元"},
		{"money suffix on count", "12元", "人"},
		{"万元 on count", "12万元", "人"},
		{"w on count", "12w", "人"},
		{"money on other unit", "12万", "%"},
		{"count on other unit", "12人", "%"},
		{"suffix without unit", "12%", ""},
		{"wrong unit", "12米", "平方米"},
		{"suffix only", "万", "万元"},
		{"two suffixes", "12万万", "万元"},
		{"prefix unit", "元12", "万元"},
		{"letters", "abc", "万元"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseNumber(tt.in, tt.unit)
			if err == nil {
				t.Fatalf("ParseNumber(%q, %q) = %v, want an error", tt.in, tt.unit, got)
			}
			checkInputError(t, err)
		})
	}
}

// TestParseNumberReason pins the texts liaisons see, since the unit in them is the hint they need.
func TestParseNumberReason(t *testing.T) {
	tests := []struct{ unit, want string }{
		{"万元", "请回复一个数字（单位：万元），例如 12.5、12万 或 120000元"},
		{"人", "请回复一个数字（单位：人），例如 12 或 12人"},
		{"%", "请回复一个数字（单位：%），例如 12.5"},
		{"", "请回复一个数字，例如 12.5"},
	}
	for _, tt := range tests {
		_, err := ParseNumber("abc", tt.unit)
		if err == nil || err.Error() != tt.want {
			t.Errorf("ParseNumber(abc, %q) error %v, want %q", tt.unit, err, tt.want)
		}
	}
}

var testEnterpriseKinds = []string{"国有企业", "民营企业", "外资企业", "港澳台资企业", "集体企业", "股份制企业", "其他"}

// TestParseChoice covers numbers, decorated numbers and option texts, and their precedence.
func TestParseChoice(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		options []string
		want    int
	}{
		{"number", "3", testEnterpriseKinds, 3},
		{"first", "1", testEnterpriseKinds, 1},
		{"last", "7", testEnterpriseKinds, 7},
		{"full-width", "３", testEnterpriseKinds, 3},
		{"leading zero", "03", testEnterpriseKinds, 3},
		{"第3项", "第3项", testEnterpriseKinds, 3},
		{"第３项 full-width", "第３项", testEnterpriseKinds, 3},
		{"第3", "第3", testEnterpriseKinds, 3},
		{"3.", "3.", testEnterpriseKinds, 3},
		{"3、", "3、", testEnterpriseKinds, 3},
		{"(3)", "(3)", testEnterpriseKinds, 3},
		{"（3）", "（3）", testEnterpriseKinds, 3},
		{"选3", "选3", testEnterpriseKinds, 3},
		{"第三项", "第三项", testEnterpriseKinds, 3},
		{"bare chinese numeral", "三", testEnterpriseKinds, 3},
		{"spaces", " 2 ", testEnterpriseKinds, 2},
		{"exact text", "民营企业", testEnterpriseKinds, 2},
		{"exact text with 。", "民营企业。", testEnterpriseKinds, 2},
		{"substring", "民营", testEnterpriseKinds, 2},
		{"substring 港澳", "港澳", testEnterpriseKinds, 4},
		{"exact beats substring", "其他", testEnterpriseKinds, 7},
		{"exact beats number", "2", []string{"1", "2"}, 2},
		{"exact option that is a number", "2026", []string{"2025", "2026"}, 2},
		{"number beats substring", "1", []string{"1年以内", "1到3年", "3年以上"}, 1},
		{"substring holding a number", "2025", []string{"2025年", "2026年"}, 1},
		{"exact wins over longer option", "企业", []string{"企业", "企业集团"}, 1},
		{"ascii case", "OTHER", []string{"Yes", "Other"}, 2},
		{"full-width option", "A类", []string{"Ａ类", "Ｂ类"}, 1},
		{"chinese numeral when option holds none", "二", []string{"是", "否"}, 2},
		{"chinese numeral beats one character of a text", "三", []string{"其他", "三资企业", "集体", "外资"}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseChoice(tt.in, tt.options, nil)
			if err != nil {
				t.Fatalf("ParseChoice(%q) error %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseChoice(%q) = %d, want %d", tt.in, got, tt.want)
			}
		})
	}
}

// TestParseChoiceRejects covers ambiguous and out-of-range answers.
func TestParseChoiceRejects(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		options []string
	}{
		{"empty", "", testEnterpriseKinds},
		{"zero", "0", testEnterpriseKinds},
		{"out of range", "8", testEnterpriseKinds},
		{"negative", "-1", testEnterpriseKinds},
		{"huge", "99999999999999999999999", testEnterpriseKinds},
		{"ambiguous substring", "企业", testEnterpriseKinds},
		{"ambiguous one char", "资", testEnterpriseKinds},
		{"no match", "事业单位", testEnterpriseKinds},
		{"two numbers", "1,3", testEnterpriseKinds},
		{"第八项", "第八项", testEnterpriseKinds},
		{"decimal", "2.5", testEnterpriseKinds},
		{"no options", "1", nil},
		{"one character of a text", "集", testEnterpriseKinds},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseChoice(tt.in, tt.options, nil)
			if err == nil {
				t.Fatalf("ParseChoice(%q) = %d, want an error", tt.in, got)
			}
			checkInputError(t, err)
		})
	}
	_, err := ParseChoice("8", testEnterpriseKinds, nil)
	if want := "没有第 8 项。请回复 1 到 7 之间的编号，例如 3"; err == nil || err.Error() != want {
		t.Errorf("reason %v, want %q", err, want)
	}
	_, err = ParseChoice("3", []string{"是", "否"}, nil)
	if want := "没有第 3 项。请回复 1 到 2 之间的编号，例如 2"; err == nil || err.Error() != want {
		t.Errorf("reason %v, want %q", err, want)
	}
}

func numberedOptions(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("选项%c", 'A'+i)
	}
	return out
}

var testSixHave = []string{"有研发机构", "有研发人员", "有研发经费", "有研发项目", "有产学研合作", "有知识产权"}

// TestParseMulti covers every separator, range form and digit run liaisons use.
func TestParseMulti(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		options []string
		want    []int
	}{
		{"one", "3", numberedOptions(7), []int{3}},
		{"comma", "1,3,5", numberedOptions(7), []int{1, 3, 5}},
		{"chinese comma", "1，3，5", numberedOptions(7), []int{1, 3, 5}},
		{"enumeration comma", "1、3、5", numberedOptions(7), []int{1, 3, 5}},
		{"spaces", "1 3 5", numberedOptions(7), []int{1, 3, 5}},
		{"many spaces", "  1   3 5 ", numberedOptions(7), []int{1, 3, 5}},
		{"ideographic space", "1\u30003", numberedOptions(7), []int{1, 3}},
		{"full-width", "１，３", numberedOptions(7), []int{1, 3}},
		{"mixed", "1，3、5", numberedOptions(7), []int{1, 3, 5}},
		{"semicolon", "1;3；5", numberedOptions(7), []int{1, 3, 5}},
		{"slash", "1/3／5", numberedOptions(7), []int{1, 3, 5}},
		{"comma and space", "1, 3, 5", numberedOptions(7), []int{1, 3, 5}},
		{"trailing separator", "1,3,", numberedOptions(7), []int{1, 3}},
		{"leading separator", ",1,3", numberedOptions(7), []int{1, 3}},
		{"trailing 。", "1,3。", numberedOptions(7), []int{1, 3}},
		{"dotted items", "1. 3. 5.", numberedOptions(7), []int{1, 3, 5}},
		{"unsorted", "5,1,3", numberedOptions(7), []int{1, 3, 5}},
		{"duplicates", "3,3,1,3", numberedOptions(7), []int{1, 3}},
		{"range -", "2-4", numberedOptions(7), []int{2, 3, 4}},
		{"range ~", "2~4", numberedOptions(7), []int{2, 3, 4}},
		{"range ～", "2～4", numberedOptions(7), []int{2, 3, 4}},
		{"range 至", "2至4", numberedOptions(7), []int{2, 3, 4}},
		{"range 到", "2到4", numberedOptions(7), []int{2, 3, 4}},
		{"range reversed", "4-2", numberedOptions(7), []int{2, 3, 4}},
		{"range single", "3-3", numberedOptions(7), []int{3}},
		{"range and items", "1,3-5,7", numberedOptions(7), []int{1, 3, 4, 5, 7}},
		{"range overlapping", "1-3,2-4", numberedOptions(7), []int{1, 2, 3, 4}},
		{"digit run", "135", numberedOptions(7), []int{1, 3, 5}},
		{"digit run duplicates", "3311", numberedOptions(7), []int{1, 3}},
		{"digit run and item", "13,5", numberedOptions(7), []int{1, 3, 5}},
		{"digit run full-width", "１３５", numberedOptions(7), []int{1, 3, 5}},
		{"nine options digit run", "19", numberedOptions(9), []int{1, 9}},
		{"ten options two digits", "10", numberedOptions(10), []int{10}},
		{"fourteen options", "1,12,14", numberedOptions(14), []int{1, 12, 14}},
		{"fourteen options range", "9-11", numberedOptions(14), []int{9, 10, 11}},
		{"leading zero many options", "03", numberedOptions(14), []int{3}},
		{"option text", "有研发人员", testSixHave, []int{2}},
		{"option texts", "有研发人员、有知识产权", testSixHave, []int{2, 6}},
		{"option text and number", "1,有知识产权", testSixHave, []int{1, 6}},
		{"option text case", "b", []string{"A", "B"}, []int{2}},
		{"option text with separator", "研发机构、实验室", []string{"研发机构、实验室", "其他"}, []int{1}},
		{"option text that is a number", "2025", []string{"2025", "2026"}, []int{1}},
		{"part of an option text", "研发人员", testSixHave, []int{2}},
		{"all", "1-6", testSixHave, []int{1, 2, 3, 4, 5, 6}},
		{"all in words", "都有", testSixHave, []int{1, 2, 3, 4, 5, 6}},
		{"all in words 全部", "全部。", numberedOptions(3), []int{1, 2, 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMulti(tt.in, tt.options, nil)
			if err != nil {
				t.Fatalf("ParseMulti(%q) error %v", tt.in, err)
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("ParseMulti(%q) = %v, want %v", tt.in, got, tt.want)
			}
		})
	}
}

// TestParseMultiRejects makes sure a partly wrong list is refused whole, never half stored.
func TestParseMultiRejects(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		options []string
	}{
		{"empty", "", numberedOptions(7)},
		{"separators only", ",、 ;", numberedOptions(7)},
		{"zero", "0", numberedOptions(7)},
		{"zero in list", "1,0,3", numberedOptions(7)},
		{"out of range", "8", numberedOptions(7)},
		{"out of range in list", "1,8", numberedOptions(7)},
		{"digit run with zero", "105", numberedOptions(7)},
		{"digit run out of range", "18", numberedOptions(7)},
		{"two-digit out of range", "15", numberedOptions(14)},
		{"range out of range", "5-9", numberedOptions(7)},
		{"range open", "2-", numberedOptions(7)},
		{"range open start", "-2", numberedOptions(7)},
		{"range of runs", "1-2-3", numberedOptions(7)},
		{"range zero", "0-3", numberedOptions(7)},
		{"huge", "99999999999999999999999", numberedOptions(14)},
		{"huge range", "1-99999999999999999999999", numberedOptions(14)},
		{"word 无", "无", numberedOptions(7)},
		{"word", "也许吧", testSixHave},
		{"ambiguous part of texts", "研发", testSixHave},
		{"decimal", "1.5", numberedOptions(7)},
		{"negative", "-1", numberedOptions(7)},
		{"no options", "1", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseMulti(tt.in, tt.options, nil)
			if err == nil {
				t.Fatalf("ParseMulti(%q) = %v, want an error", tt.in, got)
			}
			checkInputError(t, err)
		})
	}
	_, err := ParseMulti("15", numberedOptions(14), nil)
	if want := "没有第 15 项。请回复编号，多个用逗号隔开，例如 1,3,5（共 14 项）"; err == nil || err.Error() != want {
		t.Errorf("reason %v, want %q", err, want)
	}
	_, err = ParseMulti("3", numberedOptions(2), nil)
	if want := "没有第 3 项。请回复编号，多个用逗号隔开，例如 1,2（共 2 项）"; err == nil || err.Error() != want {
		t.Errorf("reason %v, want %q", err, want)
	}
}

// TestParseText covers the cleaning that keeps Excel exports intact while keeping the wording.
func TestParseText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		max  int
		want string
	}{
		{"plain", "开展新产品研发", 100, "开展新产品研发"},
		{"trimmed", "  开展研发 \n", 100, "开展研发"},
		{"ideographic space trimmed", "\u3000开展研发\u3000", 100, "开展研发"},
		{"inner spaces kept", "研发  项目", 100, "研发  项目"},
		{"full-width kept", "ＡＢＣ１２３", 100, "ＡＢＣ１２３"},
		{"final 。 kept", "计划明年建设研发中心。", 100, "计划明年建设研发中心。"},
		{"newline kept", "第一行\n第二行", 100, "第一行\n第二行"},
		{"crlf collapsed", "第一行\r\n第二行", 100, "第一行\n第二行"},
		{"lone cr", "第一行\r第二行", 100, "第一行\n第二行"},
		{"tab to space", "研发\t项目", 100, "研发 项目"},
		{"C0 stripped", "研\x00发\x07项\x1b目", 100, "研发项目"},
		{"DEL stripped", "研发\x7f", 100, "研发"},
		{"C1 stripped", "研\u0085发\u009f", 100, "研发"},
		{"terminal colours stripped", "\x1b[31m研发\x1b[0m项目", 100, "研发项目"},
		{"terminal title stripped", "\x1b]0;伪造\x07研发", 100, "研发"},
		{"right-to-left override stripped", "研发\u202e目项", 100, "研发目项"},
		{"emoji", "好的👍🏻 👨‍👩‍👧", 100, "好的👍🏻 👨‍👩‍👧"},
		{"exactly max", "一二三四五", 5, "一二三四五"},
		{"max counts after trim", "  一二三四五  ", 5, "一二三四五"},
		{"no limit", strings.Repeat("字", 5000), 0, strings.Repeat("字", 5000)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseText(tt.in, tt.max)
			if err != nil {
				t.Fatalf("ParseText(%q) error %v", tt.in, err)
			}
			if got != tt.want {
				t.Errorf("ParseText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

// TestParseTextRejects pins the empty, too-long and undecodable cases.
func TestParseTextRejects(t *testing.T) {
	tests := []struct {
		name, in string
		max      int
		reason   string
	}{
		{"empty", "", 10, "内容不能为空，请重新输入"},
		{"spaces", " \u3000\t\n", 10, "内容不能为空，请重新输入"},
		{"controls only", "\x00\x01\r\n", 10, "内容不能为空，请重新输入"},
		{"too long", "一二三四五六", 5, "内容过长（最多 5 字），请精简后再发"},
		{"invalid utf8", "研发\xff", 10, ""},
		{"truncated utf8", "研发\xe7\xa0", 10, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := ParseText(tt.in, tt.max)
			if err == nil {
				t.Fatalf("ParseText(%q) = %q, want an error", tt.in, got)
			}
			checkInputError(t, err)
			if tt.reason != "" && err.Error() != tt.reason {
				t.Errorf("reason %q, want %q", err, tt.reason)
			}
		})
	}
}

// TestInputErrorNil guards against a panic when a nil *InputError is logged.
func TestInputErrorNil(t *testing.T) {
	var e *InputError
	if e.Error() == "" {
		t.Error("nil *InputError has an empty message")
	}
}

// chineseNumeral writes n (0..9999) the formal way, with 零 for skipped places.
func chineseNumeral(n int) string {
	if n == 0 {
		return "零"
	}
	digits := []rune("零一二三四五六七八九")
	units := []string{"千", "百", "十", ""}
	places := []int{n / 1000, n / 100 % 10, n / 10 % 10, n % 10}
	var b strings.Builder
	started, gap := false, false
	for i, d := range places {
		if d == 0 {
			gap = started
			continue
		}
		if gap {
			b.WriteRune('零')
			gap = false
		}
		if !(d == 1 && i == 2 && !started) { // 十二, not 一十二
			b.WriteRune(digits[d])
		}
		b.WriteString(units[i])
		started = true
	}
	return b.String()
}

// TestParseNumberChineseAll reads every numeral the grammar covers, in formal and spoken form.
func TestParseNumberChineseAll(t *testing.T) {
	for n := 0; n <= 9999; n++ {
		s := chineseNumeral(n)
		got, err := ParseNumber(s+"个", "个")
		if err != nil || got.Value != float64(n) {
			t.Fatalf("ParseNumber(%q) = %v, %v, want %d", s, got, err, n)
		}
	}
	// The spoken short forms drop the last unit: 三百五 is 350.
	spoken := map[string]float64{"三百五": 350, "一千二": 1200, "两千五": 2500, "一百一": 110, "一千二百三": 1230}
	for s, want := range spoken {
		if got, err := ParseNumber(s, "人"); err != nil || got.Value != want {
			t.Errorf("ParseNumber(%q) = %v, %v, want %v", s, got, err, want)
		}
	}
}

// TestParseNumberThousands reads every grouping of a range of numbers written with commas.
func TestParseNumberThousands(t *testing.T) {
	for _, n := range []int64{0, 7, 999, 1000, 1234, 12345, 123456, 1234567, 1000000, 999999999999999} {
		s := strconv.FormatInt(n, 10)
		var b strings.Builder
		for i, c := range s {
			if i > 0 && (len(s)-i)%3 == 0 {
				b.WriteByte(',')
			}
			b.WriteRune(c)
		}
		for _, in := range []string{b.String(), b.String() + ".25", strings.ReplaceAll(b.String(), ",", "，")} {
			want, _ := strconv.ParseFloat(strings.NewReplacer(",", "", "，", "").Replace(in), 64)
			if got, err := ParseNumber(in, "万元"); err != nil || got.Value != want {
				t.Errorf("ParseNumber(%q) = %v, %v, want %v", in, got, err, want)
			}
		}
	}
}
