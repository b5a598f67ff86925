package dialog

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"innobot/survey"
)

// cmd is what a message asks the dialog to do, read from its words. Which commands a state
// listens to is the state's business: 好的 submits at the review and is an answer elsewhere.
type cmd struct {
	kind  cmdKind
	n     int    // the item of 修改 N, the row of 删除 研发项目 N (from 1)
	name  string // the label of 修改 研发费用, the group of 添加 研发项目
	value string // what follows 修改 9 为 …
}

type cmdKind int

const (
	cmdNone      cmdKind = iota
	cmdStart             // 填报, 开始, 继续
	cmdSubmit            // 确认提交, 提交, 确认无误
	cmdYes               // 确认, 好的, 是, 没问题: a confirmation, which submits at the review
	cmdKeep              // 保留, 不改: keep an answer a check questions
	cmdUnchanged         // 无变化, 没有变化, 和上月一样
	cmdEdit              // 修改 N, 修改第9项, 改9, 修改 研发费用, 修改 9 为 35
	cmdEditAll           // 修改 alone
	cmdContact           // 修改 联系方式
	cmdAdd               // 添加 研发项目
	cmdDelete            // 删除 研发项目 2
	cmdBack              // 上一题
	cmdSkip              // 跳过
	cmdCancel            // 取消填报, 取消, 暂停
	cmdClear             // 确认清空
	cmdView              // 查看
	cmdProgress          // 进度
	cmdHelp              // 帮助, ？
	cmdFile              // 可以发表格吗: whether the filled 附件3 may be sent as a file
	cmdWithdraw          // 撤回: take back the last answer (上一题), or a submission, which cannot be
)

// The words of the commands. Each is matched whole (survey.Phrases), so an answer that merely
// contains one (“改性塑料”, “继续加大研发投入”) stays an answer.
var (
	particles = []string{"了", "吧", "啊", "呀", "哈", "哦", "的", "呢"}
	phrases   = []struct {
		kind cmdKind
		p    survey.Phrases
	}{
		{cmdStart, survey.Phrases{
			Core: []string{"填报", "开始", "开始填报", "继续", "继续填报", "填表", "开始填表", "填写", "开始填写", "接着填", "继续填", "重新开始",
				"更新", "上报", "报一下", "填一下", "有变化", "有变动"},
			Before: []string{"我要", "现在", "那就", "好", "好的", "我想", "要"},
			After:  append([]string{"一下"}, particles...),
		}},
		{cmdSubmit, survey.Phrases{
			Core:   []string{"确认提交", "提交", "确认无误", "确认无误提交", "无误", "无误提交", "可以提交", "确定提交", "没问题提交", "立即提交", "马上提交"},
			Before: []string{"好的", "好", "嗯", "没问题", "那就", "请"},
			After:  particles,
		}},
		{cmdYes, survey.Phrases{
			Core:   []string{"确认", "确定", "好", "好的", "是", "是的", "对", "对的", "没错", "没问题", "可以", "行", "ok", "okay", "嗯", "嗯嗯", "同意", "正确", "无误", "就这样", "就这么填", "对了"},
			Before: []string{"嗯", "好", "好的"},
			After:  particles,
		}},
		{cmdKeep, survey.Phrases{
			Core:   []string{"保留", "不改", "不用改", "不需要改", "不修改", "保持", "保持不变", "是对的", "数据没错", "没填错", "忽略", "按现在的"},
			Before: []string{"嗯", "好", "我", "这个"},
			After:  particles,
		}},
		{cmdUnchanged, unchangedWords},
		{cmdBack, survey.Phrases{
			Core:   []string{"上一题", "上一个", "上一步", "返回", "退回", "后退", "回上一题", "返回上一题", "上题", "回到上一题"},
			Before: []string{"我要", "请"},
			After:  particles,
		}},
		{cmdWithdraw, survey.Phrases{
			Core:   []string{"撤回", "撤销", "撤回提交", "撤销提交", "撤回上一条", "撤回答案", "撤回刚才的"},
			Before: []string{"我要", "我想", "请", "能", "能不能", "可以"},
			After:  append([]string{"吗", "一下"}, particles...),
		}},
		{cmdSkip, survey.Phrases{
			Core:   []string{"跳过", "略过", "先跳过", "下一题", "先不填这题"},
			Before: []string{"这题", "这个"},
			After:  append([]string{"这题", "这一题", "这个", "这项", "这一项"}, particles...),
		}},
		{cmdCancel, survey.Phrases{
			Core: []string{"取消填报", "取消", "退出", "暂停", "先不填了", "不填了", "等会再填", "稍后再填", "晚点再填", "先停一下", "退出填报", "暂停填报",
				"回头再填", "明天再填", "改天再填", "下午再填", "晚上再填", "一会再填", "一会儿再填", "过会再填", "待会再填", "等会儿再填",
				"以后再填", "回头填", "明天填", "回头再说", "明天再说", "以后再说", "改天再说"},
			Before: []string{"我要", "我先", "先"},
			After:  particles,
		}},
		{cmdClear, survey.Phrases{Core: []string{"确认清空", "清空"}, After: particles}},
		{cmdView, survey.Phrases{
			Core:   []string{"查看", "看看", "查看答案", "看一下", "看下", "查看已填", "我填了什么", "看答案", "看全部", "查看全部"},
			Before: []string{"我要", "请", "让我", "我想"},
			After:  append([]string{"一下", "下"}, particles...),
		}},
		{cmdProgress, survey.Phrases{
			Core: []string{"进度", "填到哪了", "还有几题", "还剩几题", "还有多少题", "填到哪里了", "进度如何",
				"提交了吗", "提交了没", "提交了没有", "提交成功了吗", "提交成功没", "交上去了吗", "报上去了吗", "填好了吗", "成功了吗", "算提交了吗"},
			Before: []string{"查看", "看看", "看下", "看一下", "查下", "查一下", "我的", "现在的", "填报"},
			After:  particles,
		}},
		{cmdFile, survey.Phrases{
			Core: []string{"发文件", "发个文件", "发表格", "发个表格", "发个表", "传文件", "传表格", "发excel", "发个excel", "发附件",
				"发附件3", "用表格填", "用excel填", "发电子表格", "直接发表格", "直接发文件"},
			Before: []string{"可以", "能", "能不能", "可不可以", "我", "我能", "我可以", "我想", "我直接", "直接", "我要", "给你"},
			After:  append([]string{"吗", "行吗", "可以吗", "行不行", "好吗", "给你", "过来", "过去", "可以不"}, particles...),
		}},
		{cmdHelp, survey.Phrases{
			Core:  []string{"帮助", "?", "？", "??", "？？", "help", "怎么用", "菜单", "指令", "有哪些指令", "不会用"},
			After: particles,
		}},
	}
)

// unchangedWords say that nothing changed since the last submission (无变化, 和上月一样), or,
// after the rest words, that nothing else did (其他不变, 其余都没变).
var unchangedWords = survey.Phrases{
	Core: []string{"无变化", "没有变化", "没变化", "没变", "不变", "没有改变", "没改变", "没有变动", "无变动", "没变动",
		"和上月一样", "跟上月一样", "与上月一样", "同上月", "和上个月一样", "跟上个月一样", "和上月相同", "与上月相同",
		"和上次一样", "跟上次一样", "与上次一样", "同上次", "和上期一样", "跟上期一样", "同上期", "与上期相同", "和上期相同",
		"一样", "照旧", "同上", "还是一样", "跟以前一样", "和以前一样", "老样子", "还是老样子", "都没变", "都没有变化",
		"没什么变化", "没啥变化", "没有什么变化", "一切照旧", "没有更新", "无更新"},
	Before: append([]string{"本期", "本月", "这个月", "这期", "都", "基本", "情况", "我们", "公司", "企业", "目前"}, restWords...),
	After:  append([]string{"无需修改", "不用改"}, particles...),
}

// restWords name what a change left alone: 其他不变.
var restWords = []string{"其他的", "其他", "其余的", "其余", "其它", "别的", "剩下的", "剩下"}

var (
	editPrefixes    = []string{"修改为", "修改一下", "修改下", "修改", "更改", "更正", "修正", "改一下", "改下", "重填", "重新填报", "重新填写", "重新填", "改"}
	editWants       = []string{"我要", "我想", "我需要", "需要", "要", "想", "请", "帮我"} // before 修改: 我要修改第9项
	editSeparators  = []string{"改成", "改为", "为", "=", "＝", ":", "："}
	editAfterNumber = []string{"修改为", "改成", "改为", "改一下", "改下", "要改", "修改", "改"}
	editTo          = []string{"修改为", "改成", "改为", "更改为", "应为"}
	contactWords    = []string{"联系方式", "联系人", "手机号", "手机号码", "手机", "电话", "联系电话", "电话号码", "姓名", "我的手机号", "我的电话"}
	addPrefixes     = []string{"再添加一个", "再增加一个", "再加一个", "添加一个", "增加一个", "新增一个", "加一个", "添一个", "多一个", "再添加", "再增加", "添加", "增加", "新增"}
	deletePrefixes  = []string{"删除", "删掉", "去掉", "删去", "移除", "删"}
)

// parseCmd reads what a message asks. The text is the message as typed.
func parseCmd(text string) cmd {
	s := survey.Fold(text)
	if s == "" {
		return cmd{}
	}
	// A question mark after a command asks for it (进度？, 查看?); alone it asks for help.
	if q := strings.TrimRight(s, "?？ "); q != "" {
		s = q
	}
	if head, ok := cutRest(s); ok {
		switch c := parseCmd(head); c.kind {
		case cmdEdit, cmdAdd, cmdDelete, cmdUnchanged:
			return c // the change; a change from the last submission keeps the rest
		}
	}
	if c := parseOne(s); c.kind != cmdNone {
		return c
	}
	return parsePieces(s)
}

// cutRest cuts off a closing 其他不变 (其余都没变, 别的一样) after a space or a punctuation mark,
// and returns what comes before it: 研发费用改成30万，其他不变 is the change alone.
func cutRest(s string) (string, bool) {
	i := strings.LastIndexFunc(s, func(r rune) bool { return unicode.IsSpace(r) || strings.ContainsRune("，,。；;！!、", r) })
	if i <= 0 {
		return "", false
	}
	_, size := utf8.DecodeRuneInString(s[i:])
	head, tail := strings.TrimSpace(s[:i]), s[i+size:]
	for _, w := range restWords {
		if rest, ok := strings.CutPrefix(tail, w); ok && rest != "" && unchangedWords.Match(rest) {
			return head, head != ""
		}
	}
	return "", false
}

// parsePieces reads a message of several parts (和上个月一样，没变化; 好的，确认提交): the
// parts that only agree or thank (好的, 嗯, 谢谢) go, and what is left must be one command,
// or the same one said again. A part that is no command makes the whole no command.
func parsePieces(s string) cmd {
	parts := survey.Pieces(s)
	if len(parts) < 2 {
		return cmd{}
	}
	var got cmd
	agreed := false
	for _, p := range parts {
		c := parseOne(p)
		switch {
		case c.kind == cmdYes:
			agreed = true
		case c.kind == cmdNone && survey.IsChatter(p):
		case c.kind == cmdNone, got.kind != cmdNone && got != c:
			return cmd{}
		default:
			got = c
		}
	}
	if got.kind == cmdNone && agreed {
		got.kind = cmdYes
	}
	return got
}

// parseOne reads a message, or a part of one, folded, as one command.
func parseOne(s string) cmd {
	for _, p := range phrases {
		if p.p.Match(s) {
			return cmd{kind: p.kind}
		}
	}
	if c, ok := parseEdit(s); ok {
		return c
	}
	if c, ok := parseRows(s); ok {
		return c
	}
	return cmd{}
}

// parseEdit reads 修改 N, 修改第9项, 改9, 改第9题, 修改十, 修改 9 为 35, 第9项改成35,
// 修改 研发费用 and 修改 联系方式.
func parseEdit(s string) (cmd, bool) {
	for _, w := range editWants {
		if rest, ok := strings.CutPrefix(s, w); ok && slices.ContainsFunc(editPrefixes, func(p string) bool { return strings.HasPrefix(rest, p) }) {
			s = rest
			break
		}
	}
	for _, p := range editPrefixes {
		rest, ok := strings.CutPrefix(s, p)
		if !ok {
			continue
		}
		rest = strings.TrimSpace(rest)
		if rest == "" {
			return cmd{kind: cmdEditAll}, true
		}
		for _, w := range contactWords {
			if rest == w || rest == "我的"+w {
				return cmd{kind: cmdContact}, true
			}
		}
		if n, ok := survey.ItemNumber(strings.ReplaceAll(rest, " ", "")); ok {
			return cmd{kind: cmdEdit, n: n}, true
		}
		target, value := splitEdit(rest)
		if n, ok := survey.ItemNumber(strings.ReplaceAll(target, " ", "")); ok {
			return cmd{kind: cmdEdit, n: n, value: value}, true
		}
		if !strings.ContainsFunc(target, func(r rune) bool { return unicode.IsLetter(r) && !strings.ContainsRune("第项题个", r) }) {
			return cmd{kind: cmdEditAll}, true // 修改 -1, 修改第: an item not named, asked for
		}
		return cmd{kind: cmdEdit, name: target, value: value}, true
	}
	// The number first: 第9项改成35, 9改一下.
	for _, w := range editAfterNumber {
		i := strings.Index(s, w)
		if i <= 0 {
			continue
		}
		if n, ok := survey.ItemNumber(strings.TrimSpace(s[:i])); ok {
			return cmd{kind: cmdEdit, n: n, value: strings.TrimSpace(s[i+len(w):])}, true
		}
	}
	// The name first, with the new answer: 研发费用改成30万, 把研发资产改为20. A name that is
	// no item's leaves the words to be read as an answer (生产线改成自动化).
	for _, w := range editTo {
		name, value, ok := strings.Cut(s, w)
		name = strings.TrimSpace(strings.TrimPrefix(name, "把"))
		if value = strings.TrimSpace(value); ok && name != "" && value != "" {
			return cmd{kind: cmdEdit, name: name, value: value}, true
		}
	}
	return cmd{}, false
}

// splitEdit splits "9 为 35" into the item and the new answer: at the first of the words that
// say "to" (为, 改成, =, ：), or else at the last space (修改 第 9 项 35).
func splitEdit(rest string) (target, value string) {
	best, sep := -1, ""
	for _, w := range editSeparators {
		if i := strings.Index(rest, w); i > 0 && (best < 0 || i < best) {
			best, sep = i, w
		}
	}
	if best < 0 {
		best, sep = strings.LastIndex(rest, " "), " "
	}
	if best <= 0 {
		return rest, ""
	}
	return strings.TrimSpace(rest[:best]), strings.TrimSpace(rest[best+len(sep):])
}

// parseRows reads 添加 研发项目 and 删除 研发项目 2 (删除第2个研发项目).
func parseRows(s string) (cmd, bool) {
	for _, p := range addPrefixes {
		if rest, ok := strings.CutPrefix(s, p); ok && strings.TrimSpace(rest) != "" {
			return cmd{kind: cmdAdd, name: strings.TrimSpace(rest)}, true
		}
	}
	for _, p := range deletePrefixes {
		rest, ok := strings.CutPrefix(s, p)
		if !ok || strings.TrimSpace(rest) == "" {
			continue
		}
		name, n := rowOf(strings.TrimSpace(rest))
		return cmd{kind: cmdDelete, name: name, n: n}, true
	}
	return cmd{}, false
}

// rowOf splits "研发项目 2", "研发项目2", "第2个研发项目" or "研发项目第二个" into the group and
// the row number (0 when none is given).
func rowOf(s string) (name string, n int) {
	if strings.HasPrefix(s, "第") {
		if i := strings.Index(s, "个"); i > 0 {
			if k, ok := survey.ItemNumber(s[:i+len("个")]); ok {
				return strings.TrimSpace(s[i+len("个"):]), k
			}
		}
	}
	for i := range s {
		if k, ok := survey.ItemNumber(strings.TrimSpace(s[i:])); ok && i > 0 {
			return strings.TrimSpace(s[:i]), k
		}
	}
	return s, 0
}
