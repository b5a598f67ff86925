package survey

import (
	"fmt"
	"math/big"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"
)

// maxNumber bounds the figure a liaison may type before units: larger figures are slips (a
// pasted phone number, an ID card number), and beyond 2^53 float64 can no longer hold every
// integer.
const maxNumber = 1e15

// maxValue bounds a converted value: 1e15 typed with 亿 fits a 万元 question, while in a 元
// question it is refused.
const maxValue = maxNumber * 1e4

// Reading is a figure as a liaison wrote it, read for a question's unit.
type Reading struct {
	// Value is in the question's unit, rounded to six decimal places.
	Value float64
	// Approx is true when the figure was given as an estimate (约100万, 100多万, 不到1万):
	// Value is the nearest exact figure, which the liaison must confirm.
	Approx bool
	// MayBeYuan is true in a 万元 question when the figure carries no money unit and looks
	// like 元: 10,000 or more, or written with 千 (5千). Value is then the figure taken as
	// 万元, as typed; Value/10000 is the other reading.
	MayBeYuan bool
}

// Suffixes a figure may carry, by what they measure.
var (
	moneyWords = []string{"元", "块钱", "块", "圆", "人民币"}
	countWords = []string{"个人", "人次", "人", "个", "名", "位", "家", "项", "台", "套", "处", "所"}
	// approxBefore and approxAfter make a figure an estimate; exactWords change nothing.
	approxBefore = []string{"大约是", "大概是", "大约", "大概", "差不多", "将近", "接近", "不到", "不足", "约为", "约合", "约", "近", "大致", "估计", "预计", "可能"}
	approxAfter  = []string{"左右", "上下", "出头", "多点", "多一点", "来", "多", "余"}
	exactBefore  = []string{"一共是", "一共", "总共", "合计", "共计", "共", "是"}
	exactAfter   = []string{"整"}
	currency     = []string{"￥", "¥", "rmb", "人民币"}
)

func isMoney(unit string) bool { return unit == "万元" || unit == "元" }
func isCount(unit string) bool { return unit == "人" || unit == "个" }

// numberReason is the reply to a reply with no figure in it, with examples in the unit.
func numberReason(unit string) string {
	switch {
	case unit == "万元":
		return "请回复一个数字（单位：万元），例如 12.5、12万 或 120000元"
	case unit == "元":
		return "请回复一个数字（单位：元），例如 120000、12万 或 120000元"
	case isCount(unit):
		return fmt.Sprintf("请回复一个数字（单位：%s），例如 12 或 12%s", unit, unit)
	case unit != "":
		return fmt.Sprintf("请回复一个数字（单位：%s），例如 12.5", unit)
	}
	return "请回复一个数字，例如 12.5"
}

// ParseNumber reads a figure and converts it to the question's unit. It takes what liaisons
// type: 12.5, 1,200,000元, 12万, 12万5 (12.5万), 5千, 3千5, 二十五, 35个人, 12万元整,
// ￥120000, 1.2e5; estimates (约100万, 100多万) are read as the nearest figure with Approx
// set. The unit written wins over the unit asked, because ledgers are kept in 元 while the
// survey asks 万元; a unit of the wrong kind (12人 for money) is refused rather than ignored,
// because it means the liaison answers another question. Arithmetic is exact (big.Rat), so
// 12345元 is exactly 1.2345 万元. A rejection says why: no figure, two figures, a vague one,
// the wrong unit, or too large.
func ParseNumber(s, unit string) (Reading, error) {
	unit = strings.TrimSpace(unit)
	r, reason := readNumber(Normalize(s), unit)
	if reason != "" {
		return Reading{}, rejectInput(reason)
	}
	return r, nil
}

// token is one piece of a figure: a number, or a magnitude (十, 百, 千, 万, 亿).
type token struct {
	num   *big.Rat // nil for a magnitude
	mag   int64    // 10, 100, 1000, 1e4, 1e8
	digit bool     // a single digit (short forms: 12万5 is 12.5万)
	zero  bool     // 零: the next place is skipped, so a digit after it is taken as written
}

func readNumber(s, unit string) (Reading, string) {
	var r Reading
	s = strings.ToLower(strings.TrimSpace(s))
	typed := s
	money := false
	for {
		if rest, ok := cutWord(s, approxBefore); ok {
			s, r.Approx = rest, true
		} else if rest, ok := cutWord(s, exactBefore); ok {
			s = rest
		} else if rest, ok := cutWord(s, currency); ok {
			s, money = rest, true
		} else {
			break
		}
	}
	neg := false
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	case strings.HasPrefix(s, "−"): // U+2212, what some keyboards insert for minus
		neg, s = true, s[len("−"):]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	tokens, rest, reason := scanFigure(s, isMoney(unit), &r)
	if reason != "" {
		return r, reason
	}
	if len(tokens) == 0 || strings.Contains(rest, "几") {
		return r, vagueOr(typed, numberReason(unit))
	}
	rest = strings.TrimSpace(rest)
	for {
		if v, ok := cutSuffixWord(rest, approxAfter); ok {
			rest, r.Approx = v, true
		} else if v, ok := cutSuffixWord(rest, exactAfter); ok {
			rest = v
		} else {
			break
		}
	}
	value, big10k, thousand, reason := evalFigure(tokens)
	if reason != "" {
		return r, reason
	}
	// What the suffix says the figure is in, relative to the question's unit.
	exp := 0
	switch {
	case rest == "":
	case isMoney(unit) && slices.Contains(moneyWords, rest):
		money = true
	case isCount(unit) && slices.Contains(countWords, rest):
	case !isMoney(unit) && !isCount(unit) && unit != "" && strings.EqualFold(rest, unit):
	default:
		return r, suffixReason(rest, unit)
	}
	if (big10k || thousand) && !isMoney(unit) && !isCount(unit) {
		return r, numberReason(unit) // 12万 of a percentage is a slip
	}
	if isMoney(unit) {
		switch {
		case money || big10k:
			if unit == "万元" {
				exp = -4
			}
		case unit == "万元":
			r.MayBeYuan = thousand || value.Cmp(big.NewRat(10000, 1)) >= 0
		}
	}
	if exp != 0 {
		value.Mul(value, big.NewRat(1, 10000))
	}
	f, err := strconv.ParseFloat(value.FloatString(6), 64)
	if err != nil || f > maxValue {
		return r, "这个数字太大了，请核对后重新填写"
	}
	if neg && f != 0 { // -0 would print as "-0"
		f = -f
	}
	r.Value = f
	return r, ""
}

// cutWord takes one of words off the start of s, when something is left after it.
func cutWord(s string, words []string) (string, bool) {
	for _, w := range words {
		if rest, ok := strings.CutPrefix(s, w); ok && strings.TrimSpace(rest) != "" {
			return strings.TrimSpace(rest), true
		}
	}
	return s, false
}

// cutSuffixWord takes one of words off the end of s.
func cutSuffixWord(s string, words []string) (string, bool) {
	for _, w := range words {
		if rest, ok := strings.CutSuffix(s, w); ok {
			return strings.TrimSpace(rest), true
		}
	}
	return s, false
}

// vagueWords make a figure no figure at all: they need a number, not a confirmation.
var vagueWords = []string{"几", "若干", "一些", "好多", "很多", "不少", "少量", "许多"}

func vagueOr(s, reason string) string {
	for _, w := range vagueWords {
		if strings.Contains(s, w) {
			return "表上要填确切的数字，“" + s + "”请换成一个具体的数，例如 12"
		}
	}
	return reason
}

// suffixReason says why what follows the figure does not fit the question.
func suffixReason(rest, unit string) string {
	switch {
	case strings.ContainsAny(rest, "0123456789") || strings.ContainsAny(rest, "一二两三四五六七八九十"):
		return "一次只填一个数字。" + numberReason(unit)
	case isMoney(unit) && slices.Contains(countWords, rest):
		return fmt.Sprintf("这一题问的是金额（单位：%s），“%s”是数量的单位。请只回复金额，例如 12.5 或 12万", unit, rest)
	case isCount(unit) && (slices.Contains(moneyWords, rest) || rest == "w"):
		return fmt.Sprintf("这一题问的是数量（单位：%s），不是金额。请只回复数字，例如 12", unit)
	case unit != "":
		return fmt.Sprintf("这一题的单位是%s，“%s”对不上。%s", unit, rest, numberReason(unit))
	}
	return numberReason(unit)
}

// scanFigure splits s into the tokens of a leading figure and what follows it. An estimate
// word inside the figure (100多万) sets r.Approx.
// w stands for 万 only when money is asked (12w).
func scanFigure(s string, money bool, r *Reading) (tokens []token, rest string, reason string) {
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			if len(tokens) > 0 && tokens[len(tokens)-1].num != nil {
				return nil, "", "一次只填一个数字。"
			}
			n, size, why := scanArabic(s[i:])
			if why != "" {
				return nil, "", why
			}
			tokens = append(tokens, n)
			i += size
			continue
		case c == ' ':
			// Spaces may sit between a figure and its unit, never between two figures.
			j := i
			for j < len(s) && s[j] == ' ' {
				j++
			}
			if j < len(s) && (s[j] >= '0' && s[j] <= '9') && len(tokens) > 0 {
				return nil, "", "一次只填一个数字。"
			}
			if next, _ := utf8.DecodeRuneInString(s[j:]); len(tokens) > 0 && magnitude(next) >= 1000 && next != 'w' {
				i = j // 12 万
				continue
			}
			return tokens, s[i:], ""
		}
		ch, size := utf8.DecodeRuneInString(s[i:])
		if d, ok := chineseDigit(ch); ok {
			if len(tokens) > 0 && tokens[len(tokens)-1].num != nil && !tokens[len(tokens)-1].zero {
				return nil, "", "一次只填一个数字。"
			}
			t := token{num: big.NewRat(int64(d), 1), digit: d > 0, zero: d == 0}
			tokens = append(tokens, t)
			i += size
			continue
		}
		if m := magnitude(ch); m > 0 && len(tokens) > 0 || m == 10 && len(tokens) == 0 {
			if ch == 'w' && (!money || !(i+size == len(s) || strings.HasPrefix(s[i+size:], "元") || s[i+size] == ' ')) {
				return tokens, s[i:], "" // a w that is not 万 is left to the suffix
			}
			tokens = append(tokens, token{mag: m})
			i += size
			continue
		}
		if (ch == '多' || ch == '余' || ch == '来') && len(tokens) > 0 && i+size < len(s) {
			if next, _ := utf8.DecodeRuneInString(s[i+size:]); magnitude(next) >= 1000 || next == '元' || next == '个' || next == '人' || next == '块' {
				r.Approx = true
				i += size
				continue
			}
		}
		return tokens, s[i:], ""
	}
	return tokens, "", ""
}

// magnitude is the power of ten a character stands for in a figure, 0 for none.
func magnitude(r rune) int64 {
	switch r {
	case '十', '拾':
		return 10
	case '百', '佰':
		return 100
	case '千', '仟':
		return 1000
	case '万', '萬', 'w':
		return 1e4
	case '亿':
		return 1e8
	}
	return 0
}

// scanArabic reads an Arabic figure at the start of s: digits with thousands separators (in
// whole groups of three: "1,2" is more likely two answers than one figure), a decimal point
// (。 as a Chinese keyboard types it), and an exponent (1.2e5).
func scanArabic(s string) (token, int, string) {
	end := 0
	for end < len(s) {
		c := s[end]
		if c >= '0' && c <= '9' || c == ',' || c == '.' {
			end++
		} else if strings.HasPrefix(s[end:], "。") && end > 0 && end+len("。") < len(s) && s[end+len("。")] >= '0' && s[end+len("。")] <= '9' {
			end += len("。")
		} else {
			break
		}
	}
	num := strings.ReplaceAll(s[:end], "。", ".")
	intDigits, fracDigits, ok := splitArabic(num)
	if !ok {
		return token{}, 0, "数字的写法看不懂，请写成 12.5 或 120000 这样"
	}
	dec := intDigits
	if fracDigits != "" {
		dec += "." + fracDigits
	}
	if dec == "" {
		dec = "0"
	}
	v, ok := new(big.Rat).SetString(dec)
	if !ok {
		return token{}, 0, "数字的写法看不懂，请写成 12.5 或 120000 这样"
	}
	// An exponent: 1.2e5, as a spreadsheet shows a large figure.
	if end < len(s) && (s[end] == 'e') {
		j := end + 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		k := j
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		if k > j && k-j <= 2 {
			e, _ := strconv.Atoi(s[end+1 : k])
			if e < -6 || e > 15 {
				return token{}, 0, "这个数字太大了，请核对后重新填写"
			}
			p := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(e))), nil))
			if e < 0 {
				p.Inv(p)
			}
			v.Mul(v, p)
			end = k
		}
	}
	if f, _ := v.Float64(); len(intDigits) > 19 || f > maxNumber {
		return token{}, 0, "这个数字太大了，请核对后重新填写"
	}
	digit := len(intDigits) == 1 && fracDigits == "" && intDigits != "0"
	return token{num: v, digit: digit}, end, ""
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// evalFigure computes tokens as Chinese writes figures: 一千零五, 3千5 (3500), 12万5
// (125000), 1.5万, 2亿3000万. big10k says 万 or 亿 was written, thousand that 千 was.
func evalFigure(tokens []token) (v *big.Rat, big10k, thousand bool, reason string) {
	bad := "数字的写法看不懂，请写成 12.5 或 12万 这样"
	total := new(big.Rat)   // completed 亿 and 万 sections
	section := new(big.Rat) // the part below 万 being read
	var pending *big.Rat    // a number waiting for its magnitude
	pendingDigit, afterZero := false, false
	lastSmall := int64(10000) // magnitudes within a section must fall: 千, 百, 十
	lastBig := int64(1e9)     // 亿 then 万
	lastMag := int64(0)       // the magnitude just read, for the short form 12万5
	for i, t := range tokens {
		if t.num != nil {
			if t.zero {
				if i == 0 && len(tokens) == 1 {
					pending = new(big.Rat)
					continue
				}
				if i == 0 || afterZero {
					return nil, false, false, bad
				}
				afterZero, lastMag = true, 0
				continue
			}
			if pending != nil {
				return nil, false, false, "一次只填一个数字。"
			}
			pending, pendingDigit = t.num, t.digit
			continue
		}
		m := t.mag
		switch {
		case m < 1e4:
			if m >= lastSmall || afterZero && m*10 >= lastSmall {
				return nil, false, false, bad // 一百零五十: the 零 skipped nothing
			}
			n := pending
			if n == nil {
				if m != 10 || i != 0 && lastMag == 0 {
					return nil, false, false, bad
				}
				n = big.NewRat(1, 1) // 十二 is 一十二
			}
			section.Add(section, new(big.Rat).Mul(n, big.NewRat(m, 1)))
			lastSmall = m
			thousand = thousand || m == 1000
		default:
			if m >= lastBig {
				return nil, false, false, bad
			}
			if pending != nil {
				section.Add(section, pending)
			}
			if section.Sign() == 0 {
				return nil, false, false, bad
			}
			if m == 1e8 {
				total.Add(total, section)
				total.Mul(total, big.NewRat(m, 1))
			} else {
				total.Add(total, section.Mul(section, big.NewRat(m, 1)))
			}
			section = new(big.Rat)
			lastBig, lastSmall, big10k = m, 10000, true
		}
		pending, pendingDigit, afterZero, lastMag = nil, false, false, m
	}
	if pending != nil {
		if pendingDigit && !afterZero && lastMag > 10 {
			// The spoken short form: 三百五 is 350, 12万5 is 12.5万, 3千5 is 3500.
			pending = new(big.Rat).Mul(pending, big.NewRat(lastMag/10, 1))
		} else if lastMag > 0 && !afterZero && !pendingDigit {
			// 12万500 is 120500, but 12.5 after a magnitude is no figure.
			if !pending.IsInt() || pending.Cmp(big.NewRat(min(lastMag, 1e4), 1)) >= 0 {
				return nil, false, false, bad
			}
		}
		section.Add(section, pending)
	} else if afterZero {
		return nil, false, false, bad // a trailing 零
	}
	return total.Add(total, section), big10k, thousand, ""
}

// splitArabic checks thousands separators strictly: "1,2" is more likely two answers or a
// European decimal comma than one thousand-something, so only whole groups of three pass.
func splitArabic(num string) (intDigits, fracDigits string, ok bool) {
	intPart, fracPart, hasPoint := strings.Cut(num, ".")
	if hasPoint && (fracPart == "" && intPart == "" || !asciiDigitsOnly(fracPart)) {
		return "", "", false
	}
	if intPart == "" && !hasPoint {
		return "", "", false
	}
	if strings.Contains(intPart, ",") {
		groups := strings.Split(intPart, ",")
		if len(groups[0]) < 1 || len(groups[0]) > 3 {
			return "", "", false
		}
		for _, g := range groups[1:] {
			if len(g) != 3 {
				return "", "", false
			}
		}
		intPart = strings.Join(groups, "")
	}
	if !asciiDigitsOnly(intPart) {
		return "", "", false
	}
	return intPart, fracPart, true
}

func asciiDigitsOnly(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

func chineseDigit(r rune) (int, bool) {
	switch r {
	case '零', '〇':
		return 0, true
	case '一', '壹':
		return 1, true
	case '二', '两', '贰':
		return 2, true
	case '三', '叁':
		return 3, true
	case '四', '肆':
		return 4, true
	case '五', '伍':
		return 5, true
	case '六', '陆':
		return 6, true
	case '七', '柒':
		return 7, true
	case '八', '捌':
		return 8, true
	case '九', '玖':
		return 9, true
	}
	return 0, false
}

// parseChineseNumeral reads a whole numeral as a number of items (三, 十二, 第十四 without
// 第): what a liaison writes for an option number. Anything vaguer is refused.
func parseChineseNumeral(s string) (int, bool) {
	if s == "" || strings.IndexFunc(s, func(r rune) bool {
		_, d := chineseDigit(r)
		return !d && magnitude(r) == 0 || r == 'w'
	}) >= 0 {
		return 0, false
	}
	var r Reading
	tokens, rest, reason := scanFigure(s, false, &r)
	if reason != "" || rest != "" || len(tokens) == 0 || r.Approx {
		return 0, false
	}
	v, _, _, reason := evalFigure(tokens)
	if reason != "" || !v.IsInt() || v.Num().BitLen() > 31 {
		return 0, false
	}
	return int(v.Num().Int64()), true
}
