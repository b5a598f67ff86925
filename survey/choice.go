package survey

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

func choiceReason(n int) string {
	if n <= 0 {
		return "本题没有可选项，请回复“帮助”联系管理员"
	}
	return fmt.Sprintf("请回复 1 到 %d 之间的编号，例如 %d", n, min(n, 3))
}

// matcher finds options by what a liaison typed for them.
type matcher struct {
	options []string // folded
	aliases map[string]int
}

// newMatcher folds the options as the lexicon folds replies (full-width, case, punctuation at
// the ends), so that an option written with full-width letters matches.
func newMatcher(options []string, aliases map[string]int) matcher {
	m := matcher{options: make([]string, len(options)), aliases: aliases}
	for i, o := range options {
		m.options[i] = Fold(o)
	}
	return m
}

// byName returns the options a text names: the option's text, an alias, or a part of either
// that names exactly one option (民营 for 民营企业), or the characters of one in order (民企
// for 民营企业), because retyping a long option on a phone is slow. ok is false when the text
// names none; several numbers mean it is ambiguous.
func (m matcher) byName(in string) (found []int) {
	if in == "" {
		return nil
	}
	for i, o := range m.options {
		if o == in {
			return []int{i + 1}
		}
	}
	if k, ok := m.aliases[in]; ok {
		return []int{k}
	}
	add := func(k int) {
		if !slices.Contains(found, k) {
			found = append(found, k)
		}
	}
	if utf8.RuneCountInString(in) < 2 {
		return nil // one character (三, 五) is a number or nothing, never a part of a name
	}
	for i, o := range m.options {
		if strings.Contains(o, in) {
			add(i + 1)
		}
	}
	for a, k := range m.aliases {
		if utf8.RuneCountInString(a) >= 2 && strings.Contains(in, a) {
			add(k)
		}
	}
	if len(found) > 0 {
		slices.Sort(found)
		return found
	}
	for i, o := range m.options {
		if subsequence(in, o) {
			add(i + 1)
		}
	}
	slices.Sort(found)
	return found
}

// subsequence reports whether the characters of short appear in long in order.
func subsequence(short, long string) bool {
	for _, r := range short {
		i := strings.IndexRune(long, r)
		if i < 0 {
			return false
		}
		long = long[i+utf8.RuneLen(r):]
	}
	return true
}

// ambiguous says which options a text could mean.
func (m matcher) ambiguous(in string, ks []int, raw []string) string {
	parts := make([]string, len(ks))
	for i, k := range ks {
		parts[i] = fmt.Sprintf("%d %s", k, raw[k-1])
	}
	return fmt.Sprintf("“%s”对应好几项：%s。请回复编号", in, strings.Join(parts, "；"))
}

// ParseChoice reads a single choice and returns its 1-based number. The liaison may answer with
// the number, decorated or not (3, 第3项, 3., 第三项), with the number and the text (5 民营企业),
// or with a name (see matcher.byName; aliases are the form's other names of options, such as
// 民企). The exact text wins over a number, and a number over a part of a text, so that an
// option that happens to contain a digit cannot capture the answer "3".
func ParseChoice(s string, options []string, aliases map[string]int) (int, error) {
	n := len(options)
	in := Fold(s)
	if in == "" || n == 0 {
		return 0, rejectInput(choiceReason(n))
	}
	m := newMatcher(options, aliases)
	if found := m.byName(in); len(found) == 1 && (m.options[found[0]-1] == in || m.aliases[in] == found[0]) {
		return found[0], nil
	}
	k, isNumber := choiceNumber(in)
	if isNumber && k >= 1 && k <= n {
		return k, nil
	}
	if k, ok := numberAndName(in, m); ok {
		return k, nil
	}
	found := m.byName(in)
	switch {
	case isNumber && len(found) == 0:
		return 0, rejectInput(fmt.Sprintf("没有第 %d 项。%s", k, choiceReason(n)))
	case len(found) == 1:
		return found[0], nil
	case len(found) > 1:
		return 0, rejectInput(m.ambiguous(in, found, options))
	}
	// A bare Chinese numeral (三) counts as a number only when it names no option's text.
	if k, ok := parseChineseNumeral(in); ok {
		if k < 1 || k > n {
			return 0, rejectInput(fmt.Sprintf("没有第 %d 项。%s", k, choiceReason(n)))
		}
		return k, nil
	}
	return 0, rejectInput(choiceReason(n))
}

// numberAndName reads "5 民营企业" or "5.民营": a number followed by a part of that option.
func numberAndName(in string, m matcher) (int, bool) {
	i := strings.IndexFunc(in, func(r rune) bool { return r < '0' || r > '9' })
	if i <= 0 {
		return 0, false
	}
	k, err := strconv.Atoi(in[:i])
	if err != nil || k < 1 || k > len(m.options) {
		return 0, false
	}
	rest := strings.TrimLeftFunc(in[i:], func(r rune) bool { return unicode.IsSpace(r) || strings.ContainsRune(".、:：)）", r) })
	if rest == "" || !strings.Contains(m.options[k-1], rest) {
		return 0, false
	}
	return k, true
}

// ItemNumber reads the number of an item as liaisons write it: 9, 第9项, 第九题, 十, 9号.
func ItemNumber(s string) (int, bool) {
	s = Fold(s)
	if k, ok := choiceNumber(s); ok {
		return k, true
	}
	return parseChineseNumeral(s)
}

// choiceNumber reads the numbered forms of a choice: 3, 3、, 第3项, 第三项, (3), 选3, 3号.
func choiceNumber(s string) (int, bool) {
	decorated := false
	for _, p := range []string{"第", "选", "(", "选第", "是"} {
		if rest, ok := strings.CutPrefix(s, p); ok {
			s, decorated = rest, true
			break
		}
	}
	for _, p := range []string{"项", "个", "条", "种", "号", "题", "、", ".", ")"} {
		if rest, ok := strings.CutSuffix(s, p); ok {
			s, decorated = rest, true
			break
		}
	}
	if s != "" && asciiDigitsOnly(s) {
		if len(s) > 9 {
			return 0, false
		}
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

// allPhrases tick every option: 都有, 全部.
var allPhrases = Phrases{
	Core:   []string{"都有", "全有", "全都有", "全部", "全部都有", "都具备", "全选", "都选", "以上都有", "以上全部", "全部具备"},
	Before: []string{"目前", "我们", "公司", "企业", "基本", "六个", "六项", "这几项", "每项", "每个"},
	After:  []string{"了", "啊", "的", "吧"},
}

// multiJoiners are the words that join items as separators do: 3和5, 第3项及第5项.
var multiJoiners = strings.NewReplacer("以及", ",", "还有", ",", "加上", ",", "另外", ",", "和", ",", "及", ",", "跟", ",")

// isMultiSep lists every separator seen in liaisons' answers, so that none of them has to be
// explained in the prompt.
func isMultiSep(r rune) bool {
	return unicode.IsSpace(r) || strings.ContainsRune(",，、;；/", r)
}

var rangeSeps = []string{"-", "~", "至", "到", "—", "–"}

// ParseMulti reads a multiple choice and returns the ticked option numbers, sorted and without
// duplicates. 都有 or 全部 ticks every option. Items may be numbers (3, 第3项, 三), ranges (2-4), or names (see ParseChoice),
// joined by any separator or by 和/及/还有. With fewer than ten options a run of digits such
// as 135 means 1, 3 and 5, because people skip separators on a phone keypad; with ten or more
// it would be ambiguous, so it is one number. "Nothing" is not an answer here: the step decides
// whether nothing ticked is allowed.
func ParseMulti(s string, options []string, aliases map[string]int) ([]int, error) {
	n := len(options)
	in := Fold(s)
	if in == "" || n == 0 {
		return nil, rejectInput(multiReason(n))
	}
	if allPhrases.Match(in) {
		out := make([]int, n)
		for i := range out {
			out[i] = i + 1
		}
		return out, nil
	}
	m := newMatcher(options, aliases)
	// An option text may itself contain a separator (研发机构、实验室), so try it whole first.
	if found := m.byName(in); len(found) == 1 && (m.options[found[0]-1] == in || m.aliases[in] == found[0]) {
		return found, nil
	}
	ticked := make([]bool, n+1)
	items := strings.FieldsFunc(multiJoiners.Replace(in), isMultiSep)
	if len(items) == 0 {
		return nil, rejectInput(multiReason(n))
	}
	for _, item := range items {
		if reason := multiItem(item, m, options, ticked); reason != "" {
			return nil, rejectInput(reason)
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

// multiItem ticks what one item names, or says why it cannot.
func multiItem(item string, m matcher, raw []string, ticked []bool) string {
	n := len(m.options)
	outOfRange := func(k int) string { return fmt.Sprintf("没有第 %d 项。%s", k, multiReason(n)) }
	if k, ok := choiceNumber(strings.TrimSuffix(item, ".")); ok {
		if k < 1 || k > n {
			if n < 10 && k >= 10 && asciiDigitsOnly(item) {
				return runOfDigits(item, n, ticked) // 135 with fewer than ten options
			}
			return outOfRange(k)
		}
		ticked[k] = true
		return ""
	}
	for _, sep := range rangeSeps {
		lo, hi, ok := strings.Cut(item, sep)
		if !ok || lo == "" || hi == "" {
			continue
		}
		a, okA := optionNumber(lo)
		b, okB := optionNumber(hi)
		if !okA || !okB {
			break
		}
		if a > b {
			a, b = b, a
		}
		if a < 1 || b > n {
			return outOfRange(max(b, a))
		}
		for k := a; k <= b; k++ {
			ticked[k] = true
		}
		return ""
	}
	if found := m.byName(item); len(found) == 1 {
		ticked[found[0]] = true
		return ""
	} else if len(found) > 1 {
		return m.ambiguous(item, found, raw)
	}
	if k, ok := parseChineseNumeral(item); ok {
		if k < 1 || k > n {
			return outOfRange(k)
		}
		ticked[k] = true
		return ""
	}
	return fmt.Sprintf("没看懂“%s”。%s", item, multiReason(n))
}

// runOfDigits ticks each digit of a run such as 135.
func runOfDigits(item string, n int, ticked []bool) string {
	for i := 0; i < len(item); i++ {
		k := int(item[i] - '0')
		if k < 1 || k > n {
			return fmt.Sprintf("没有第 %d 项。%s", k, multiReason(n))
		}
	}
	for i := 0; i < len(item); i++ {
		ticked[int(item[i]-'0')] = true
	}
	return ""
}

// optionNumber reads one end of a range: 2, 第2项, 二.
func optionNumber(s string) (int, bool) {
	if k, ok := choiceNumber(s); ok {
		return k, true
	}
	return parseChineseNumeral(s)
}
