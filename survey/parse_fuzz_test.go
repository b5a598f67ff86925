package survey

import (
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// fuzzUnits are the units the form uses plus the other kinds ParseNumber distinguishes; the
// fuzzer picks one by a byte so that every conversion path is explored.
var fuzzUnits = []string{"万元", "元", "人", "个", "%", "平方米", ""}

// checkFuzzError holds every parser to the same contract: a failure is an *InputError with a
// reason, and a success carries no error.
func checkFuzzError(t *testing.T, err error) {
	t.Helper()
	var ie *InputError
	if !errors.As(err, &ie) || ie.Reason == "" {
		t.Fatalf("error %v (%T) is not an *InputError with a reason", err, err)
	}
}

// FuzzParseNumber checks that no input panics or yields a value the bot could not print and
// read back: non-finite, out of range, -0 or with more than six decimals.
func FuzzParseNumber(f *testing.F) {
	seeds := []string{
		"12", "12.5", "１２.５", "１２．５", "12。5", ".5", "12.", "-5", "－５", "−5", "+5", "-0",
		"1,234.5", "1,234,567.5", "1，234", "1,2", "12,34", ",123", "1,,234",
		"12万", "12万元", "12w", "12W", "12 万", "120000元", "12345元", "5000块钱", "1.2亿", "3亿元",
		"12人", "3个", "5名", "3万", "1.2万人", "12%", "120平方米",
		"三", "三个", "五人", "十", "十二", "两百", "一百零五", "三百五", "一千二", "两千零二十六",
		"一千二百三十四", "三万", "三百万", "零", "〇", "一百零五十", "一万二", "十几", "一二三",
		"约12", "12左右", "若干", "NaN", "Inf", "0x1F", "1e5", "12 13", "1000000000000001",
		"1000000000000000亿", "0.0000005", "9.9999995", "", " ", "\xff", "12\x00",
		"12万5", "5千", "3千5", "35个人", "12万元整", "￥120000", "120,000.00元", "1.2e5", "约100万",
		"100多万", "100万左右", "大概50", "不到1万", "2亿3000万", "5千万", "12万500", "十多个", "1e-3",
	}
	for i, s := range seeds {
		f.Add(s, uint8(i))
	}
	f.Fuzz(func(t *testing.T, s string, u uint8) {
		unit := fuzzUnits[int(u)%len(fuzzUnits)]
		r, err := ParseNumber(s, unit)
		if err != nil {
			checkFuzzError(t, err)
			return
		}
		v := r.Value
		if r.MayBeYuan && unit != "万元" {
			t.Fatalf("ParseNumber(%q, %q) may be 元 in a question not in 万元", s, unit)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) || math.Abs(v) > 1e15*1e4 {
			t.Fatalf("ParseNumber(%q, %q) = %v, not a finite value in range", s, unit, v)
		}
		if math.Signbit(v) && v == 0 {
			t.Fatalf("ParseNumber(%q, %q) = -0", s, unit)
		}
		// A value the bot prints back (FormatNumber) must read back as itself, or a
		// liaison who copies it from the review would change the answer.
		if math.Abs(v) <= 1e15 {
			printed := strconv.FormatFloat(v, 'f', -1, 64)
			again, err := ParseNumber(printed, unit)
			if err != nil || again.Value != v || again.Approx {
				t.Fatalf("ParseNumber(%q, %q) = %v, printed %q reads back as %v, %v", s, unit, v, printed, again, err)
			}
		}
		// Six decimal places at most.
		printed := strconv.FormatFloat(v, 'f', -1, 64)
		if _, frac, ok := strings.Cut(printed, "."); ok && len(frac) > 6 {
			t.Fatalf("ParseNumber(%q, %q) = %s, more than six decimal places", s, unit, printed)
		}
	})
}

// FuzzParseYesNo checks that no input panics and that decoration never changes an answer.
func FuzzParseYesNo(f *testing.F) {
	for _, s := range []string{"有", "无", "是的", "没有", "不是", "暂无", "1", "0", "Yes", "ＮＯ", "有。", "有没有", "", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		v, err := ParseYesNo(s)
		if err != nil {
			checkFuzzError(t, err)
			if v {
				t.Fatalf("ParseYesNo(%q) = true with error %v", s, err)
			}
			return
		}
		// The answer must not depend on how it was decorated.
		again, err := ParseYesNo(" " + s + "。")
		if err != nil || again != v {
			t.Fatalf("ParseYesNo(%q) = %v but with decoration %v, %v", s, v, again, err)
		}
	})
}

// FuzzParseChoice checks that no input panics or picks an option that does not exist, with
// option lists from empty to full.
func FuzzParseChoice(f *testing.F) {
	seeds := []string{"3", "３", "第3项", "第三项", "3.", "(3)", "民营", "民营企业", "企业", "三", "0", "8",
		"民企", "私企", "2 民营企业", "国企", "第八项",
		"99999999999999999999", "", "\xff"}
	for i, s := range seeds {
		f.Add(s, uint8(i))
	}
	f.Fuzz(func(t *testing.T, s string, n uint8) {
		opts := testEnterpriseKinds[:int(n)%(len(testEnterpriseKinds)+1)]
		var aliases map[string]int
		if len(opts) == len(testEnterpriseKinds) {
			aliases = map[string]int{"国企": 1, "私企": 2}
		}
		k, err := ParseChoice(s, opts, aliases)
		if err != nil {
			checkFuzzError(t, err)
			if k != 0 {
				t.Fatalf("ParseChoice(%q) = %d with error %v", s, k, err)
			}
			return
		}
		if k < 1 || k > len(opts) {
			t.Fatalf("ParseChoice(%q, %d options) = %d, out of range", s, len(opts), k)
		}
	})
}

// FuzzParseMulti checks that no input panics and that every result is sorted, unique and in
// range, with option counts on both sides of the ten-option digit-run rule.
func FuzzParseMulti(f *testing.F) {
	seeds := []string{"1,3,5", "1、3、5", "1 3 5", "１，３", "1，3、5", "2-4", "2~4", "2至4", "4-2", "135",
		"10", "1,12,14", "有研发人员", "有研发人员、有知识产权", "0", "1-99999999999999999999", ",,", "", "\xff",
		"3和5", "第3项和第5项", "3/5", "三、五", "研发", "研发人员和知识产权", "第十四项"}
	for i, s := range seeds {
		f.Add(s, uint8(i))
	}
	f.Fuzz(func(t *testing.T, s string, n uint8) {
		opts := testSixHave
		if n%2 == 1 {
			opts = numberedOptions(int(n) % 20)
		}
		got, err := ParseMulti(s, opts, nil)
		if err != nil {
			checkFuzzError(t, err)
			if got != nil {
				t.Fatalf("ParseMulti(%q) = %v with error %v", s, got, err)
			}
			return
		}
		if len(got) == 0 {
			t.Fatalf("ParseMulti(%q) = nothing without an error", s)
		}
		for i, k := range got {
			if k < 1 || k > len(opts) {
				t.Fatalf("ParseMulti(%q, %d options) = %v, out of range", s, len(opts), got)
			}
			if i > 0 && got[i-1] >= k {
				t.Fatalf("ParseMulti(%q) = %v, not sorted and unique", s, got)
			}
		}
	})
}

// FuzzParseText checks that what is stored is valid UTF-8, free of control characters, trimmed,
// within the limit, and unchanged by a second pass.
func FuzzParseText(f *testing.F) {
	seeds := []string{"开展新产品研发", "  研发 \n", "第一行\r\n第二行", "a\rb", "研\x00发", "\u0085", "好的👍🏻",
		"\u3000", "", "\xff", "研发\xe7\xa0"}
	for i, s := range seeds {
		f.Add(s, int16(i*3-5))
	}
	f.Fuzz(func(t *testing.T, s string, max int16) {
		got, err := ParseText(s, int(max))
		if err != nil {
			checkFuzzError(t, err)
			if got != "" {
				t.Fatalf("ParseText(%q) = %q with error %v", s, got, err)
			}
			return
		}
		if got == "" || !utf8.ValidString(got) {
			t.Fatalf("ParseText(%q) = %q, empty or invalid UTF-8", s, got)
		}
		if max > 0 && utf8.RuneCountInString(got) > int(max) {
			t.Fatalf("ParseText(%q, %d) = %q, too long", s, max, got)
		}
		for _, r := range got {
			if r != '\n' && unicode.IsControl(r) {
				t.Fatalf("ParseText(%q) = %q, holds control %U", s, got, r)
			}
		}
		if r, _ := utf8.DecodeRuneInString(got); unicode.IsSpace(r) {
			t.Fatalf("ParseText(%q) = %q, not trimmed", s, got)
		}
		if r, _ := utf8.DecodeLastRuneInString(got); unicode.IsSpace(r) {
			t.Fatalf("ParseText(%q) = %q, not trimmed", s, got)
		}
		// Cleaning is idempotent, so a stored answer edited and resent is stored unchanged.
		if again, err := ParseText(got, int(max)); err != nil || again != got {
			t.Fatalf("ParseText(%q) = %q, but again gives %q, %v", s, got, again, err)
		}
	})
}

// FuzzStepParse puts every reply to every question of the form: nothing panics, a refusal is
// an *InputError with a reason, a value fits its question, and "I don't know" is never an
// answer.
func FuzzStepParse(f *testing.F) {
	for i, s := range []string{"无", "没有了", "暂时没有", "不涉及", "都没有", "/", "—", "0", "不知道", "不清楚",
		"有", "有两个", "就这些", "12万5", "约100万", "120000", "民企", "3和5", "跳过", "山西示范", "\xff", ""} {
		f.Add(s, uint8(i*7))
	}
	form := Default()
	var steps []Step
	for _, st := range form.Steps(Answers{"has_institutions": {Bool: true}, "has_projects": {Bool: true}}) {
		steps = append(steps, st)
	}
	f.Fuzz(func(t *testing.T, s string, n uint8) {
		st := steps[int(n)%len(steps)]
		v, d, err := st.Parse(s)
		if err != nil {
			checkFuzzError(t, err)
			return
		}
		if IsUnsure(s) {
			t.Fatalf("%s: %q (I don't know) read as %+v", st.Key, s, v)
		}
		if v.Skipped && !st.Optional() {
			t.Fatalf("%s: %q skipped a required question", st.Key, s)
		}
		switch st.Kind() {
		case Number:
			if math.IsNaN(v.Num) || math.IsInf(v.Num, 0) || st.Q.Min != nil && v.Num < *st.Q.Min {
				t.Fatalf("%s: %q read as %v", st.Key, s, v.Num)
			}
			if d == WhichUnit && st.Q.Unit != "万元" {
				t.Fatalf("%s: %q asks for a unit in a question in %s", st.Key, s, st.Q.Unit)
			}
		case Choice:
			if v.Choice < 1 || v.Choice > len(st.Q.Options) {
				t.Fatalf("%s: %q read as option %d", st.Key, s, v.Choice)
			}
		}
		if IsNone(s) && !st.Nothing(v) {
			t.Fatalf("%s: %q says nothing but reads as %+v, which is not", st.Key, s, v)
		}
	})
}

// FuzzLexicon checks that the lexicon never takes a reply both ways.
func FuzzLexicon(f *testing.F) {
	for _, s := range []string{"无", "没有了", "不知道", "有的", "就这些", "目前还没开展相关工作", "本期无", "有两个"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		none, unsure, yes := IsNone(s), IsUnsure(s), isYes(s)
		if none && unsure || none && yes || unsure && yes {
			t.Fatalf("%q: none %v, unsure %v, yes %v", s, none, unsure, yes)
		}
	})
}
