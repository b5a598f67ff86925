package survey

import (
	"fmt"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// InputError is a rejected answer. The dialog shows Reason to the liaison and asks the question
// again, so Reason is short Chinese that says what is expected and gives an example; nothing is
// stored when a parser returns an InputError.
type InputError struct{ Reason string }

// Error returns Reason unchanged so that the text can go straight into a chat reply.
func (e *InputError) Error() string {
	if e == nil {
		return "<nil>"
	}
	return e.Reason
}

func rejectInput(reason string) error { return &InputError{Reason: reason} }

// Normalize folds the ways a phone keyboard writes the same answer into one spelling: Chinese
// input methods emit full-width digits and Latin letters and the ideographic space, and people
// end a one-word answer with 。 or ！ out of habit. Every parser calls it first. Bytes that are
// not valid UTF-8 are kept as they are, so that ParseText can still notice them.
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			b.WriteByte(s[i])
		case r >= 0xFF01 && r <= 0xFF5E:
			b.WriteRune(r - 0xFEE0)
		case r == 0x3000:
			b.WriteByte(' ')
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	out := strings.TrimLeftFunc(b.String(), unicode.IsSpace)
	return strings.TrimRightFunc(out, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune("。.!~", r)
	})
}

// ---------------------------------------------------------------------------------------------
// Yes / no

var yesNoWords = map[string]bool{
	"有": true, "是": true, "是的": true, "有的": true, "对": true, "1": true, "y": true, "yes": true,
	"无": false, "否": false, "没有": false, "没": false, "不是": false, "不": false, "0": false,
	"n": false, "no": false, "暂无": false,
}

// ParseYesNo reads a 有/无 answer. Only a closed list of words counts: a free-text answer such as
// "有一个" may hide a detail the question does not capture, so it is better asked again than
// guessed at.
func ParseYesNo(s string) (bool, error) {
	v, ok := yesNoWords[strings.ToLower(Normalize(s))]
	if !ok {
		return false, rejectInput("请回复“有”或“无”（也可回复 1 或 0）")
	}
	return v, nil
}

// ---------------------------------------------------------------------------------------------
// Numbers

// maxNumber bounds what a liaison may type: larger figures are slips (a pasted phone number, an
// ID card number) and beyond 2^53 float64 can no longer hold every integer.
const maxNumber = 1e15

// maxValue bounds a converted value: 1e15 typed with 亿 fits a 万元 question, while in a 元
// question it is refused.
const maxValue = maxNumber * 1e4

// Suffix exponents: the power of ten a suffix multiplies by, relative to one 元 or one item.
var (
	moneySuffixes = map[string]int{
		"万元": 4, "万": 4, "w": 4, "W": 4,
		"元": 0, "块": 0, "块钱": 0,
		"亿": 8, "亿元": 8,
	}
	countSuffixes = map[string]bool{
		"人": true, "个": true, "名": true, "位": true, "家": true, "项": true, "台": true, "套": true,
	}
)

func numberReason(unit string) string {
	switch {
	case unit == "万元":
		return "请回复一个数字（单位：万元），例如 12.5、12万 或 120000元"
	case unit == "元":
		return "请回复一个数字（单位：元），例如 120000、12万 或 120000元"
	case unit == "人" || unit == "个":
		return fmt.Sprintf("请回复一个数字（单位：%s），例如 12 或 12%s", unit, unit)
	case unit != "":
		return fmt.Sprintf("请回复一个数字（单位：%s），例如 12.5", unit)
	}
	return "请回复一个数字，例如 12.5"
}

// ParseNumber reads a number and converts it to the question's unit. Liaisons copy figures from
// ledgers kept in 元 while the survey asks for 万元, so the unit they write wins over the unit
// asked; a unit of the wrong kind (12人 for money) is refused rather than ignored, because it
// means the liaison is answering a different question. Scaling is done on the decimal digits, not
// in floating point, so 12345元 becomes exactly 1.2345 万元.
func ParseNumber(s string, unit string) (float64, error) {
	unit = strings.TrimSpace(unit)
	v, ok := parseNumber(Normalize(s), unit)
	if !ok {
		return 0, rejectInput(numberReason(unit))
	}
	return v, nil
}

func parseNumber(s, unit string) (float64, bool) {
	neg := false
	switch {
	case strings.HasPrefix(s, "-"):
		neg, s = true, s[1:]
	case strings.HasPrefix(s, "−"): // U+2212, what some keyboards insert for minus
		neg, s = true, s[len("−"):]
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	}
	intDigits, fracDigits, rest, ok := scanNumber(s)
	if !ok {
		return 0, false
	}
	exp, ok := suffixExponent(strings.TrimLeftFunc(rest, unicode.IsSpace), unit)
	if !ok {
		return 0, false
	}
	raw, err := strconv.ParseFloat(shiftDecimal(intDigits, fracDigits, 0), 64)
	if err != nil || raw > maxNumber {
		return 0, false
	}
	v, err := strconv.ParseFloat(round6(shiftDecimal(intDigits, fracDigits, exp)), 64)
	if err != nil || v > maxValue {
		return 0, false
	}
	if neg && v != 0 { // -0 would print as "-0"
		v = -v
	}
	return v, true
}

// scanNumber splits s into the digits of a leading number and what follows it. A number is
// either Arabic (with a decimal point and thousands separators) or a small Chinese numeral.
func scanNumber(s string) (intDigits, fracDigits, rest string, ok bool) {
	end := 0
	for end < len(s) {
		c := s[end]
		if c >= '0' && c <= '9' || c == ',' || c == '.' {
			end++
		} else if strings.HasPrefix(s[end:], "。") && end > 0 {
			// A Chinese input method types 。 for the decimal point key.
			end += len("。")
		} else {
			break
		}
	}
	if end > 0 {
		intDigits, fracDigits, ok = splitArabic(strings.ReplaceAll(s[:end], "。", "."))
		return intDigits, fracDigits, s[end:], ok
	}
	for end < len(s) {
		r, size := utf8.DecodeRuneInString(s[end:])
		if !strings.ContainsRune(chineseNumerals, r) {
			break
		}
		end += size
	}
	if end == 0 {
		return "", "", "", false
	}
	n, ok := parseChineseNumeral(s[:end])
	if !ok {
		return "", "", "", false
	}
	return strconv.Itoa(n), "", s[end:], true
}

// splitArabic checks thousands separators strictly: "1,2" is more likely two answers or a
// European decimal comma than one thousand-something, so only whole groups of three pass.
func splitArabic(num string) (intDigits, fracDigits string, ok bool) {
	intPart, fracPart, hasPoint := strings.Cut(num, ".")
	if hasPoint && (fracPart == "" || !asciiDigitsOnly(fracPart)) {
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

// shiftDecimal writes intDigits.fracDigits × 10^exp as a decimal string, so that unit conversion
// stays exact and strconv does the only rounding.
func shiftDecimal(intDigits, fracDigits string, exp int) string {
	all := intDigits + fracDigits
	if all == "" {
		return "0"
	}
	point := len(intDigits) + exp
	switch {
	case point <= 0:
		return "0." + strings.Repeat("0", -point) + all
	case point >= len(all):
		return all + strings.Repeat("0", point-len(all))
	}
	return all[:point] + "." + all[point:]
}

// round6 rounds a decimal string to six places, half away from zero as in 四舍五入. Rounding
// the digits rather than the float keeps 0.005元 (0.0000005 万元, just under half in binary)
// at 0.000001, and leaves a number that has six places or fewer untouched, so a figure printed
// with strconv reads back unchanged.
func round6(dec string) string {
	intPart, frac, _ := strings.Cut(dec, ".")
	if len(frac) <= 6 {
		return dec
	}
	up := frac[6] >= '5'
	digits := []byte(intPart + frac[:6])
	for i := len(digits) - 1; up && i >= 0; i-- {
		if digits[i] == '9' {
			digits[i] = '0'
		} else {
			digits[i]++
			up = false
		}
	}
	if up {
		digits = append([]byte{'1'}, digits...)
	}
	n := len(digits) - 6
	return string(digits[:n]) + "." + string(digits[n:])
}

// suffixExponent says by what power of ten a suffix scales the number for the question's unit,
// and whether the suffix fits the unit at all.
func suffixExponent(suffix, unit string) (int, bool) {
	switch unit {
	case "万元", "元":
		base := moneySuffixes[unit]
		if suffix == "" {
			return 0, true
		}
		e, ok := moneySuffixes[suffix]
		return e - base, ok
	case "人", "个":
		if suffix == "" || countSuffixes[suffix] {
			return 0, true
		}
		if rest, ok := strings.CutPrefix(suffix, "万"); ok && (rest == "" || countSuffixes[rest]) {
			return 4, true
		}
		return 0, false
	}
	return 0, suffix == "" || unit != "" && strings.EqualFold(suffix, unit)
}

// ---------------------------------------------------------------------------------------------
// Chinese numerals

const chineseNumerals = "零〇一二两三四五六七八九十百千"

func chineseDigit(r rune) (int, bool) {
	switch r {
	case '零', '〇':
		return 0, true
	case '一':
		return 1, true
	case '二', '两':
		return 2, true
	case '三':
		return 3, true
	case '四':
		return 4, true
	case '五':
		return 5, true
	case '六':
		return 6, true
	case '七':
		return 7, true
	case '八':
		return 8, true
	case '九':
		return 9, true
	}
	return 0, false
}

func chineseUnit(r rune) int {
	switch r {
	case '十':
		return 10
	case '百':
		return 100
	case '千':
		return 1000
	}
	return 0
}

// parseChineseNumeral reads numerals below 10000 as people write them in chat: 十二, 两百,
// 一千零五, and the spoken short forms 三百五 (350) and 一千二 (1200). Anything vaguer, such as
// 十几 or 一二三, is refused: a survey figure must be one definite number.
func parseChineseNumeral(s string) (int, bool) {
	if s == "零" || s == "〇" {
		return 0, true
	}
	total := 0
	digit := -1       // a digit waiting for its unit
	lastUnit := 10000 // units must come in decreasing order
	zero := false     // a 零 was seen since the last unit, so the next place is skipped
	for i, r := range s {
		if d, ok := chineseDigit(r); ok {
			if digit >= 0 {
				return 0, false // two digits in a row: 一二
			}
			if d == 0 {
				if zero || i == 0 || lastUnit < 100 {
					return 0, false
				}
				zero = true
				continue
			}
			digit = d
			continue
		}
		u := chineseUnit(r)
		if u == 0 || u >= lastUnit {
			return 0, false
		}
		switch {
		case digit > 0:
		case digit < 0 && i == 0 && u == 10:
			digit = 1 // 十二 means 一十二
		default:
			return 0, false
		}
		if zero && u*10 >= lastUnit {
			return 0, false // 一百零五十: the 零 skipped nothing
		}
		total += digit * u
		digit, lastUnit, zero = -1, u, false
	}
	if digit > 0 {
		place := 1
		if !zero && lastUnit <= 1000 {
			place = lastUnit / 10 // 三百五 is 350
		}
		total += digit * place
	} else if zero {
		return 0, false // a trailing 零
	}
	return total, true
}

// ---------------------------------------------------------------------------------------------
// Choices

func choiceReason(n int) string {
	if n <= 0 {
		return "本题没有可选项，请回复“帮助”联系管理员"
	}
	return fmt.Sprintf("请回复 1 到 %d 之间的编号，例如 %d", n, min(n, 3))
}

// foldOption is how an option and an answer are compared: the same folding as the answer, and
// ASCII case ignored, so that an option written with full-width letters still matches.
func foldOption(s string) string { return strings.ToLower(Normalize(s)) }

// ParseChoice reads a single choice and returns its 1-based number. The liaison may answer with
// the number, decorated or not (3, 第3项, 3.), with the option's text, or with any part of the
// text that names exactly one option (民营 for 民营企业), because retyping a long option on a
// phone is slow. The exact text wins over a number, and a number over a part of a text, so that
// an option that happens to contain a digit cannot capture the answer "3".
func ParseChoice(s string, options []string) (int, error) {
	n := len(options)
	in := foldOption(s)
	if in == "" || n == 0 {
		return 0, rejectInput(choiceReason(n))
	}
	for i, o := range options {
		if foldOption(o) == in {
			return i + 1, nil
		}
	}
	if k, ok := choiceNumber(in); ok && k >= 1 && k <= n {
		return k, nil
	}
	found, matches := 0, 0
	for i, o := range options {
		if strings.Contains(foldOption(o), in) {
			found, matches = i+1, matches+1
		}
	}
	if matches == 1 {
		return found, nil
	}
	if matches == 0 {
		// A bare Chinese numeral (三) counts as a number only when it names no option's text.
		if k, ok := parseChineseNumeral(in); ok && k >= 1 && k <= n {
			return k, nil
		}
	}
	return 0, rejectInput(choiceReason(n))
}

// choiceNumber reads the numbered forms of a choice: 3, 3、, 第3项, 第三项, (3), 选3.
func choiceNumber(s string) (int, bool) {
	decorated := false
	for _, p := range []string{"第", "选", "("} {
		if rest, ok := strings.CutPrefix(s, p); ok {
			s, decorated = rest, true
			break
		}
	}
	for _, p := range []string{"项", "个", "条", "种", "号", "、", ".", ")"} {
		if rest, ok := strings.CutSuffix(s, p); ok {
			s, decorated = rest, true
			break
		}
	}
	if s != "" && asciiDigitsOnly(s) {
		k, err := strconv.Atoi(s)
		return k, err == nil
	}
	if decorated {
		return parseChineseNumeral(s)
	}
	return 0, false
}

// ---------------------------------------------------------------------------------------------
// Multiple choices

func multiReason(n int) string {
	if n <= 0 {
		return choiceReason(n)
	}
	example := [...]string{"1", "1,2", "1,3", "1,3"}
	ex := "1,3,5"
	if n <= len(example) {
		ex = example[n-1]
	}
	return fmt.Sprintf("请回复编号，多个用逗号隔开，例如 %s（共 %d 项）", ex, n)
}

// isMultiSep lists every separator seen in liaisons' answers, so that none of them has to be
// explained in the prompt.
func isMultiSep(r rune) bool {
	return unicode.IsSpace(r) || strings.ContainsRune(",，、;；/", r)
}

var rangeSeps = []string{"-", "~", "至", "到", "—", "–"}

// ParseMulti reads a multiple choice and returns the ticked option numbers, sorted and without
// duplicates. Items may be numbers, ranges (2-4) or exact option texts, mixed with any
// separators. With fewer than ten options a run of digits such as 135 means 1, 3 and 5, because
// people skip separators on a phone keypad; with ten or more it would be ambiguous, so it is one
// number. 无 is not an answer here: the dialog decides whether nothing ticked is allowed.
func ParseMulti(s string, options []string) ([]int, error) {
	n := len(options)
	in := foldOption(s)
	if in == "" || n == 0 {
		return nil, rejectInput(multiReason(n))
	}
	folded := make([]string, n)
	for i, o := range options {
		folded[i] = foldOption(o)
	}
	// An option text may itself contain a separator (研发机构、实验室), so try it whole first.
	for i, o := range folded {
		if o == in {
			return []int{i + 1}, nil
		}
	}
	ticked := make([]bool, n+1)
	items := strings.FieldsFunc(in, isMultiSep)
	if len(items) == 0 {
		return nil, rejectInput(multiReason(n))
	}
	for _, item := range items {
		if !multiItem(item, folded, ticked) {
			return nil, rejectInput(multiReason(n))
		}
	}
	var out []int
	for k := 1; k <= n; k++ {
		if ticked[k] {
			out = append(out, k)
		}
	}
	return out, nil
}

// multiItem ticks what one item names and reports whether the item made sense.
func multiItem(item string, folded []string, ticked []bool) bool {
	n := len(folded)
	for i, o := range folded {
		if o == item {
			ticked[i+1] = true
			return true
		}
	}
	item = strings.TrimSuffix(item, ".") // "1. 3. 5"
	for _, sep := range rangeSeps {
		lo, hi, ok := strings.Cut(item, sep)
		if !ok {
			continue
		}
		a, okA := optionNumber(lo, n)
		b, okB := optionNumber(hi, n)
		if !okA || !okB {
			return false
		}
		if a > b {
			a, b = b, a
		}
		for k := a; k <= b; k++ {
			ticked[k] = true
		}
		return true
	}
	if item == "" || !asciiDigitsOnly(item) {
		return false
	}
	if n < 10 && len(item) > 1 {
		for i := 0; i < len(item); i++ {
			k := int(item[i] - '0')
			if k < 1 || k > n {
				return false
			}
			ticked[k] = true
		}
		return true
	}
	k, ok := optionNumber(item, n)
	if ok {
		ticked[k] = true
	}
	return ok
}

func optionNumber(s string, n int) (int, bool) {
	if s == "" || !asciiDigitsOnly(s) {
		return 0, false
	}
	k, err := strconv.Atoi(s)
	return k, err == nil && k >= 1 && k <= n
}

// ---------------------------------------------------------------------------------------------
// Text

// ParseText cleans a free-text answer for storage and for the Excel exports, where a stray
// control character corrupts the cell or the file. Content is kept as typed (full-width letters
// and final 。 included) because it is the liaison's own wording; only whitespace around it goes.
// Line breaks become \n, a tab becomes a space so that words do not run together, and other
// control characters are dropped. maxRunes <= 0 means no limit.
func ParseText(s string, maxRunes int) (string, error) {
	if !utf8.ValidString(s) {
		return "", rejectInput("内容含有无法识别的字符，请重新输入")
	}
	var b strings.Builder
	b.Grow(len(s))
	for i, r := range s {
		switch {
		case r == '\r':
			if i+1 < len(s) && s[i+1] == '\n' {
				continue
			}
			b.WriteByte('\n')
		case r == '\n':
			b.WriteByte('\n')
		case r == '\t':
			b.WriteByte(' ')
		case unicode.IsControl(r):
		default:
			b.WriteRune(r)
		}
	}
	out := strings.TrimFunc(b.String(), unicode.IsSpace)
	if out == "" {
		return "", rejectInput("内容不能为空，请重新输入")
	}
	if maxRunes > 0 && utf8.RuneCountInString(out) > maxRunes {
		return "", rejectInput(fmt.Sprintf("内容过长（最多 %d 字），请精简后再发", maxRunes))
	}
	return out, nil
}
