package assistant

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"innobot/period"
	"innobot/survey"
)

// The staff command line is read loosely, the way clerks type on a phone: words run together
// (导出台账, 盐湖区进度), the region and the month in any order and place (导出 台账 2026年11月
// 盐湖), a unique beginning of a region's name (进度 盐湖), common other words (查看进度,
// 未填报企业, 催报), and punctuation anywhere (进度？). A line is a command when every word of
// it is known: a liaison's answer that merely contains 台账 is not taken for one.

// staffKeywords are the words that make up commands, each with the ways people say it.
var staffKeywords = map[string][]string{
	"进度":  {"进度", "填报进度", "填报情况", "完成情况", "填报率", "进度表", "填了多少", "多少家填了", "填了几家", "几家填了"},
	"未填报": {"未填报", "没填报", "未填", "没填", "未报", "没报", "未提交", "没提交", "未交", "没交", "谁没填", "哪些没填", "没有填报", "还没填"},
	"销号":  {"销号", "新增开展"},
	"台账":  {"台账", "附件2", "附件二", "汇总表", "汇总统计表", "统计表", "台帐"},
	"月报":  {"月报", "月度报告", "月报表"},
	"导出":  {"导出", "导", "下载", "生成", "发我", "发给我", "给我发", "打印"},
	"提醒":  {"提醒", "催", "催报", "催促", "督促", "一键提醒", "催一下"},
	"帮助":  {"帮助", "菜单", "指令", "命令", "功能", "怎么用", "说明", "help"},
	"解绑":  {"解绑", "解除绑定"},
	"图":   {"图", "图片", "图表", "柱状图", "画图"},
}

// staffFillers are words that change nothing in a command line.
var staffFillers = []string{"查看", "看看", "看下", "看一下", "看", "查", "查下", "一下", "请", "帮我", "我要", "给我", "我想", "想",
	"的", "企业", "企业名单", "名单", "列表", "清单", "一览", "吧", "呢", "啊", "了", "哪些", "有哪些", "全部", "所有",
	"现在", "目前", "最新", "本地区", "我县", "我区", "我市", "情况", "数据", "表格", "excel", "下",
	"谁", "还有", "还", "把", "他们", "填报", "怎么样", "怎么样了", "如何", "咋样", "几家", "有几家", "多少家", "多少",
	"发个", "发一下"}

// cityWords name the whole city as a region argument.
var cityWords = []string{"全市", "运城市", "运城", "全部地区", "各县", "各县区", "全市各县"}

// monthPattern finds the ways a month is written in a command line: 2026年11月, 2026-11,
// 2026.11, 2026/11, 202611, 11月, and 上月, 下月, 本月, 本期 ….
// Bare digits are matched too, so that a run of digits is read whole (202611 as a month, 5
// as an unknown word), never as part of one.
var monthPattern = regexp.MustCompile(`(\d{4})\s*(?:年|[-./])\s*(\d{1,2})\s*(?:月份|月)?|(\d+)\s*(月份|月)?|上个?月|上一?期|下个?月|下一?期|本月|本期|这个?月|当月|当期`)

// staffLine is a staff command line as read.
type staffLine struct {
	cmd *command
	// region is the configured region the line names, "" for none; city is set when it
	// names the whole city (全市).
	region string
	city   bool
	// month is the period the line names (2026-11), "" for the current one.
	month string
	// args is the free text after a command that takes one (a company keyword, a note).
	args string
	// problem is what to tell the person about a line whose command is clear but whose words
	// are not (an unknown word, a future month, a month the command does not take); it is
	// told only to someone who may use the command.
	problem string
}

// staffParser reads staff command lines for one command table and list of regions.
type staffParser struct {
	commands []*command
	regions  []string
	// vocab maps each known word to what it is, for the longest-match scan.
	vocab   map[string]token
	longest int // the longest word, in runes
}

// tokenKind is what a known word of a command line is.
type tokenKind int

const (
	tokKeyword tokenKind = iota
	tokFiller
	tokRegion
	tokCity
	tokAmbiguous // a beginning shared by several regions
)

type token struct {
	kind tokenKind
	word string   // the keyword or region it stands for
	alts []string // the regions an ambiguous beginning could be
}

func newStaffParser(commands []*command, regions []string) *staffParser {
	p := &staffParser{commands: commands, regions: regions, vocab: map[string]token{}}
	add := func(w string, t token) {
		w = strings.ToLower(w)
		if old, ok := p.vocab[w]; ok && old.kind != tokAmbiguous && t.kind != tokAmbiguous {
			return // the first meaning stays: keywords, then fillers, then regions
		}
		p.vocab[w] = t
		p.longest = max(p.longest, utf8.RuneCountInString(w))
	}
	for kw, words := range staffKeywords {
		for _, w := range words {
			add(w, token{kind: tokKeyword, word: kw})
		}
	}
	for _, w := range staffFillers {
		add(w, token{kind: tokFiller})
	}
	for _, w := range cityWords {
		add(w, token{kind: tokCity})
	}
	// A region by its name, its name without 区/县/市 and any beginning of two characters or
	// more that no other region shares.
	begins := map[string][]string{}
	for _, r := range regions {
		rs := []rune(r)
		for n := 2; n < len(rs); n++ {
			b := string(rs[:n])
			if !slices.Contains(begins[b], r) {
				begins[b] = append(begins[b], r)
			}
		}
	}
	for b, rs := range begins {
		if slices.Contains(regions, b) {
			continue
		}
		if len(rs) == 1 {
			add(b, token{kind: tokRegion, word: rs[0]})
		} else {
			add(b, token{kind: tokAmbiguous, alts: rs})
		}
	}
	for _, r := range regions {
		p.vocab[strings.ToLower(r)] = token{kind: tokRegion, word: r}
		p.longest = max(p.longest, utf8.RuneCountInString(r))
		if strings.HasSuffix(r, "开发区") {
			add("开发区", token{kind: tokRegion, word: r})
		}
	}
	return p
}

// fold is a command line as the parser compares it: half-width, lower case.
func fold(text string) string { return strings.ToLower(survey.Normalize(text)) }

// compact drops spaces and punctuation, which carry nothing in a command line.
func compact(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) {
			return -1
		}
		return r
	}, s)
}

// cutWords reports whether s starts with the words of form, spaces and punctuation between
// them ignored, and returns how many runes of s they take, with the spaces and punctuation
// after them.
func cutWords(s, form string) (int, bool) {
	i, n := 0, 0
	for _, want := range form {
		for {
			if i >= len(s) {
				return 0, false
			}
			r, size := utf8.DecodeRuneInString(s[i:])
			if unicode.IsSpace(r) || unicode.IsPunct(r) {
				i += size
				n++
				continue
			}
			if r != want {
				return 0, false
			}
			i += size
			n++
			break
		}
	}
	for _, r := range s[i:] {
		if !unicode.IsSpace(r) && !unicode.IsPunct(r) {
			break
		}
		n++
	}
	return n, true
}

// restOf is text from its nth rune on, as typed: free text keeps its case, its full-width
// punctuation and its spaces inside. fold keeps runes where they are but for spaces at the
// start, which both skip.
func restOf(text string, n int) string {
	rs := []rune(strings.TrimLeftFunc(text, unicode.IsSpace))
	if n >= len(rs) {
		return ""
	}
	return strings.TrimSpace(string(rs[n:]))
}

// parse reads a command line. ok is false when the line is no command (some word of it is
// unknown and it names no command that takes free text): the survey, the welcome or the
// staff's "not understood" answer it. current is the period being reported, which 上月 and
// a bare 11月 are read against and which no month may come after.
func (p *staffParser) parse(text, current string) (staffLine, bool) {
	s := fold(text)
	// Commands that take free text (and any not named by keywords) are known by how the line
	// starts.
	var best *command
	bestRest, bestLen := "", 0
	for _, c := range p.commands {
		if len(c.keys) > 0 {
			continue // named by keywords, below
		}
		for _, form := range append([]string{c.name}, c.words...) {
			f := compact(strings.ToLower(form))
			if n, ok := cutWords(s, f); ok && len(f) > bestLen {
				best, bestRest, bestLen = c, restOf(text, n), len(f)
			}
		}
	}
	if best != nil && best.target == requireCompany && bestRest != "" {
		// 查询进度, 查看 未填报: what follows a company command's word is itself a command.
		if line, ok := p.parse(bestRest, current); ok && line.problem == "" && line.cmd.target != requireCompany {
			return line, true
		}
	}
	if best != nil {
		line := staffLine{cmd: best, args: bestRest}
		if best.target == requireCompany {
			line.args = companyWords(bestRest)
		}
		switch {
		case best.target == requireRegion && bestRest != "":
			line.region, line.city, line.problem = p.region(bestRest)
		case best.month:
			// A month among the company words (导出 调查表 钢铁 10月) is the month's, not the name's.
			if rest, month, problem := takeMonth(bestRest, current); month != "" || problem != "" {
				line.args, line.month, line.problem = companyWords(strings.Join(strings.Fields(rest), " ")), month, problem
				if problem == "" && month > current {
					line.problem = notYet(month, current)
				}
			}
		}
		return line, true
	}

	line := staffLine{}
	if t := strings.TrimSpace(s); t != "" && strings.Trim(t, "?") == "" {
		line.cmd = p.command([]string{"帮助"}) // a lone ？
		return line, line.cmd != nil
	}
	rest, month, problem := takeMonth(s, current)
	line.month, line.problem = month, problem

	keys, unknown, regions, ambiguous, city := p.scan(compact(rest))
	line.cmd = p.command(keys)
	if line.cmd == nil {
		return line, false
	}
	switch {
	case line.problem != "":
	case unknown != "":
		if sug := p.suggest(text); sug != "" {
			line.problem = fmt.Sprintf("没有看懂“%s”。您是不是想发送“%s”？", unknown, sug)
		} else {
			line.problem = fmt.Sprintf("没有看懂“%s”。%s", unknown, p.usage(line.cmd))
		}
	case len(ambiguous) > 0:
		line.problem = ambiguousRegion(ambiguous)
	case len(regions) > 1 || len(regions) == 1 && city:
		line.problem = "一次只能写一个地区。" + p.usage(line.cmd)
	case (len(regions) > 0 || city) && line.cmd.target != optionalRegion:
		line.problem = fmt.Sprintf("“%s”不用写地区，直接发送“%s”即可。", line.cmd.name, line.cmd.name)
	case line.month != "" && !line.cmd.month:
		line.problem = fmt.Sprintf("“%s”只针对本期（%s），不用写月份。", line.cmd.name, period.Label(current))
	case line.month > current:
		line.problem = notYet(line.month, current)
	}
	if len(regions) == 1 {
		line.region = regions[0]
	}
	line.city = city
	return line, true
}

// chineseMonth finds a month written in Chinese numerals (十一月, 九月份), as a phone's
// pinyin input gives it; chineseMonths are their digits.
var (
	chineseMonth  = regexp.MustCompile(`(十[一二]?|[一二三四五六七八九])月`)
	chineseMonths = map[string]string{"一": "1", "二": "2", "三": "3", "四": "4", "五": "5", "六": "6",
		"七": "7", "八": "8", "九": "9", "十": "10", "十一": "11", "十二": "12"}
)

// arabicMonths writes the months of s in Chinese numerals in digits (十一月 → 11月), for
// monthPattern to read. A numeral that is part of a word or number before it stays: 上一月,
// 统一月报, 十三月.
func arabicMonths(s string) string {
	var b strings.Builder
	last := 0
	for _, m := range chineseMonth.FindAllStringSubmatchIndex(s, -1) {
		if r, _ := utf8.DecodeLastRuneInString(s[:m[0]]); strings.ContainsRune("上下这本当每个统单第一二三四五六七八九十〇零", r) {
			continue
		}
		b.WriteString(s[last:m[0]])
		b.WriteString(chineseMonths[s[m[2]:m[3]]])
		last = m[3]
	}
	b.WriteString(s[last:])
	return b.String()
}

// companyAsides are what people add after an enterprise's name in a question about it
// (查一下钢铁的情况, 查询 钢铁填了没有): no part of the name.
var companyAsides = []string{"填了没有", "填了没", "填了吗", "填报了吗", "报了没有", "报了没", "报了吗", "交了没", "交了吗",
	"怎么样了", "怎么样", "的情况", "情况", "的"}

// companyWords is the enterprise name (or part of it) a company command names, without a
// question's words after it.
func companyWords(args string) string {
	s := strings.TrimRightFunc(args, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) })
	for again := true; again; {
		again = false
		for _, a := range companyAsides {
			if rest, ok := strings.CutSuffix(s, a); ok && strings.TrimSpace(rest) != "" {
				s, again = strings.TrimSpace(rest), true
			}
		}
	}
	return s
}

// notYet answers a month that is not reported yet.
func notYet(month, current string) string {
	return fmt.Sprintf("%s还没有到报送的时候：当前报告期是%s。请写%s或更早的月份。",
		period.Label(month), period.Label(current), period.Label(current))
}

// takeMonth takes the month out of a command line: rest is the line without it, month the
// period it names ("" for none), and problem what to tell the person about a month that is
// no month or a second one. Digits that are no month stay in rest, as a word.
func takeMonth(s, current string) (rest, month, problem string) {
	s = arabicMonths(s)
	var b strings.Builder
	last, n := 0, 0
	for _, m := range monthPattern.FindAllStringSubmatchIndex(s, -1) {
		read, isMonth, err := readMonth(s, m, current)
		if !isMonth {
			continue
		}
		b.WriteString(s[last:m[0]])
		b.WriteString(" ")
		last = m[1]
		n++
		switch {
		case problem != "":
		case n > 1:
			problem = "一次只能写一个月份，例如：导出 台账 2026年11月"
		case err != "":
			problem = err
		default:
			month = read
		}
	}
	b.WriteString(s[last:])
	return b.String(), month, problem
}

// readMonth reads one match of monthPattern. isMonth is false for digits that are no month
// (5, 2026); err is the reply for a month that cannot be (13月, 2026-13).
func readMonth(s string, m []int, current string) (month string, isMonth bool, err string) {
	group := func(i int) string {
		if m[2*i] < 0 {
			return ""
		}
		return s[m[2*i]:m[2*i+1]]
	}
	whole := strings.TrimSpace(s[m[0]:m[1]])
	bad := fmt.Sprintf("“%s”不是有效的月份，请写成 2026年11月、2026-11 或 11月。", whole)
	digits := group(3)
	switch {
	case group(1) != "":
		month, e := period.Parse(group(1) + "-" + group(2))
		if e != nil {
			return "", true, bad
		}
		return month, true, ""
	case digits != "" && group(4) == "" && len(digits) == 6:
		month, e := period.Parse(digits)
		if e != nil {
			return "", true, bad
		}
		return month, true, ""
	case digits != "" && group(4) == "":
		return "", false, ""
	case digits != "":
		n, _ := strconv.Atoi(digits)
		if n < 1 || n > 12 || len(digits) > 2 {
			return "", true, bad
		}
		// The latest such month that is not after the period being reported; but the month
		// right after it is the one under way (12月 early in December, while November is
		// reported), which parse refuses as not reported yet, not last year's.
		next, _ := period.Next(current)
		if nm, _ := strconv.Atoi(next[5:]); nm == n {
			return next, true, ""
		}
		y, _ := strconv.Atoi(current[:4])
		cm, _ := strconv.Atoi(current[5:])
		if n > cm {
			y--
		}
		return fmt.Sprintf("%04d-%02d", y, n), true, ""
	case strings.HasPrefix(whole, "上"):
		prev, _ := period.Previous(current)
		return prev, true, ""
	case strings.HasPrefix(whole, "下"):
		if strings.HasPrefix(s[m[1]:], "报") {
			return "", false, "" // 看下月报 is 看下 + 月报
		}
		next, _ := period.Next(current) // refused by parse as a month not yet reported
		return next, true, ""
	}
	return current, true, ""
}

// scan splits a compact line into the words it knows, longest first at each place, and
// collects what it does not know. residue is the line without its regions and the words that
// change nothing: what a suggestion compares with the commands.
func (p *staffParser) scan(s string) (keys []string, unknown string, regions, ambiguous []string, city bool) {
	keys, unknown, regions, ambiguous, city, _ = p.scanResidue(s)
	return
}

func (p *staffParser) scanResidue(s string) (keys []string, unknown string, regions, ambiguous []string, city bool, residue string) {
	rs := []rune(s)
	var unk, res []rune
	for i := 0; i < len(rs); {
		n := min(p.longest, len(rs)-i)
		var t token
		found := false
		for ; n > 0; n-- {
			if t, found = p.vocab[string(rs[i:i+n])]; found {
				break
			}
		}
		if !found {
			unk = append(unk, rs[i])
			res = append(res, rs[i])
			i++
			continue
		}
		switch t.kind {
		case tokKeyword:
			if !slices.Contains(keys, t.word) {
				keys = append(keys, t.word)
			}
			res = append(res, rs[i:i+n]...)
		case tokRegion:
			if !slices.Contains(regions, t.word) {
				regions = append(regions, t.word)
			}
		case tokCity:
			city = true
		case tokAmbiguous:
			ambiguous = append([]string{string(rs[i : i+n])}, t.alts...)
		}
		i += n
	}
	return keys, string(unk), regions, ambiguous, city, string(res)
}

// command is the command whose keywords are exactly keys, or nil.
func (p *staffParser) command(keys []string) *command {
	if len(keys) == 0 {
		return nil
	}
	slices.Sort(keys)
	for _, c := range p.commands {
		for _, ks := range c.keys {
			if len(ks) == len(keys) && slices.Equal(sortedCopy(ks), keys) {
				return c
			}
		}
	}
	return nil
}

func sortedCopy(s []string) []string {
	c := slices.Clone(s)
	slices.Sort(c)
	return c
}

// region reads the region a free-text argument names (绑定本群 盐湖): a configured region,
// the beginning of just one, or the whole city.
func (p *staffParser) region(arg string) (region string, city bool, problem string) {
	keys, unknown, regions, ambiguous, city := p.scan(compact(fold(arg)))
	switch {
	case len(ambiguous) > 0:
		return "", false, ambiguousRegion(ambiguous)
	case unknown != "" || len(keys) > 0 || len(regions) > 1 || len(regions) == 0 && !city:
		return "", false, fmt.Sprintf("没有“%s”这个地区。可选：%s", strings.TrimSpace(arg), strings.Join(p.regions, "、"))
	case city:
		return "", true, ""
	}
	return regions[0], false, ""
}

// ambiguousRegion asks for the full name of a region that a short word (ambiguous[0]) could
// be any of ambiguous[1:].
func ambiguousRegion(ambiguous []string) string {
	return fmt.Sprintf("“%s”可能是%s，请写全地区名称。", ambiguous[0], strings.Join(ambiguous[1:], "或"))
}

// usage is how a command is written, for a reply to a line that named it with words it did
// not understand.
func (p *staffParser) usage(c *command) string {
	switch {
	case c.target == optionalRegion && c.month:
		return fmt.Sprintf("可以写地区和月份，例如：%s %s 2026年11月", c.name, p.example())
	case c.target == optionalRegion:
		return fmt.Sprintf("可以写地区，例如：%s %s", c.name, p.example())
	case c.month:
		return fmt.Sprintf("可以写月份，例如：%s 2026年11月", c.name)
	}
	return fmt.Sprintf("请直接发送“%s”。", c.name)
}

func (p *staffParser) example() string {
	if len(p.regions) > 0 {
		return p.regions[0]
	}
	return "盐湖区"
}

// suggest names the command a line most likely meant, for a line that is no command or whose
// words are not all known: the command a region alone usually goes with, else the commands a
// line of only part of their words begins (导出: 导出 台账”或“导出 月报, quoted as
// alternatives), else the command written closest to what the line says besides regions and
// months (by edit distance, at most half its length away), else nothing.
func (p *staffParser) suggest(text string) string {
	s := compact(monthPattern.ReplaceAllString(arabicMonths(fold(text)), " "))
	keys, unknown, regions, _, _, residue := p.scanResidue(s)
	if len(keys) == 0 && unknown == "" && len(regions) == 1 {
		return "进度 " + regions[0]
	}
	if unknown == "" && len(keys) > 0 {
		// Part of a command's words (导出 alone): the commands they begin, as alternatives.
		var names []string
		for _, c := range p.commands {
			if slices.ContainsFunc(c.keys, func(ks []string) bool { return len(ks) > len(keys) && containsAll(ks, keys) }) {
				names = append(names, c.name)
			}
		}
		return strings.Join(names, "”或“")
	}
	if unknown == "" || residue == "" {
		return ""
	}
	best, dist := "", 0
	for _, c := range p.commands {
		forms := append([]string{c.name}, c.words...)
		for _, ks := range c.keys {
			if len(ks) == 1 {
				forms = append(forms, staffKeywords[ks[0]]...)
			}
		}
		for _, form := range forms {
			f := compact(strings.ToLower(form))
			d := editDistance(residue, f)
			if best == "" || d < dist {
				best, dist = c.name, d
			}
		}
	}
	if best == "" || dist > max(1, utf8.RuneCountInString(residue)/2) || dist >= utf8.RuneCountInString(residue) {
		return ""
	}
	if len(regions) == 1 && slices.ContainsFunc(p.commands, func(c *command) bool { return c.name == best && c.target == optionalRegion }) {
		return best + " " + regions[0]
	}
	return best
}

// containsAll reports whether every word of sub is in words.
func containsAll(words, sub []string) bool {
	for _, w := range sub {
		if !slices.Contains(words, w) {
			return false
		}
	}
	return true
}

// editDistance is the Levenshtein distance between a and b, in runes.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
