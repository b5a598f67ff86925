package survey

import (
	"slices"
	"strings"
	"unicode"
)

// The lexicon of short answers: how liaisons say "nothing", "I don't know", yes and no in chat.
// A reply is matched whole, after folding (Normalize, lower case, punctuation at either end)
// and after taking off the words that decorate it ("目前还没有了" is 目前 + 还 + 没有 + 了), so
// that a longer reply with content in it ("没有研发中心，但有质检室") is never taken for one.

// noneCore are the ways of saying "nothing" once the decoration is off.
var noneCore = []string{
	"无", "没有", "没", "暂无", "尚无", "没得", "木有", "没开展", "未开展", "没有开展", "未有", "未",
	"未做", "未进行", "没进行", "没有进行",
	"没做", "没有做", "没搞", "没有搞", "没弄", "没有弄", "没什么", "没啥", "没有什么", "不涉及", "未涉及", "没涉及", "没有涉及",
	"不适用", "无此项", "空", "空白", "否", "零", "未发生", "没发生", "无新增", "没有新增", "没有任何", "无任何", "×", "✗",
	"都没有", "一个都没有", "一个也没有", "一项都没有", "一项也没有", "都不是", "全无", "均无",
	"以上都没有", "以上都不是", "以上均无", "以上皆无",
	"none", "no", "null", "nil", "n/a", "na", "0", "/", "-", "—", "——", "--", "无无",
}

// nonePrefixes are the words that may come before a "nothing" without changing it.
var nonePrefixes = []string{
	"目前", "暂时", "当前", "现在", "本期", "本月", "这个月", "这期", "今年", "今年度", "本年度",
	"我们", "我司", "公司", "企业", "基本", "暂", "还", "尚", "都", "也", "均", "确实", "真的",
}

// noneSuffixes are the words that may follow a "nothing" without changing it.
var noneSuffixes = []string{
	"了", "啊", "呢", "的", "哦", "喔", "吧", "呀", "哈", "嗯", "啦",
	"相关", "工作", "相关活动", "相关内容", "相关工作", "相关项目", "此项", "这项", "这一项", "这方面", "这块",
	"此类活动", "此类", "内容", "活动", "其他", "别的", "更多", "情况",
	// The directions the questions ask about, said back (暂时没有合作, 无投入, 没有研发项目).
	"合作", "投入", "人才", "项目", "平台", "研发", "创新", "机构", "技术中心", "研发中心", "文号", "立项文号",
}

// unsureCore are the ways of saying "I don't know", which never mean "nothing": a liaison who
// does not know must be asked, not counted as 无.
var unsureCore = []string{
	"不知道", "不清楚", "不确定", "不晓得", "不了解", "说不好", "不好说", "不记得", "记不清",
	"忘了", "忘记了", "待定", "不详", "未知", "不懂", "搞不清", "搞不清楚", "要问问", "问问",
	"我问问", "问一下", "待确认", "需要确认", "还不知道", "不太清楚", "不太确定", "不太知道",
	"不太懂", "不大清楚", "去问问", "我去问问", "查一下", "我查一下", "查查", "我查查", "核实一下", "待核实",
}

// chatterCore are the replies that carry no answer: thanks, an acknowledgement, a greeting,
// a request to wait. At a question that takes any text they would otherwise be kept as what
// the enterprise did.
var chatterCore = []string{
	"好", "好的", "好嘞", "好滴", "行", "行的", "ok", "okay", "收到", "知道了", "明白", "明白了", "了解",
	"谢谢", "多谢", "谢谢你", "感谢", "辛苦了", "麻烦了", "你好", "您好", "在吗", "在不在", "哈哈", "呵呵",
	"稍等", "稍等一下", "等一下", "等下", "等等", "等一会", "等一会儿", "等会", "等会儿", "马上",
}

// yesCore are the ways of saying yes (有) once the decoration is off.
var yesCore = []string{
	"有", "是", "对", "嗯", "嗯嗯", "有的", "是的", "对的", "还有", "确实有", "肯定有", "当然有",
	"有一个", "有个", "有几个", "有多个", "有好几个", "有两个", "是有", "1", "y", "yes", "yeah",
}

// yesSuffixes are the words that may follow a yes: particles, and the thing asked about said
// back (有研发项目, 有一个技术中心).
var yesSuffixes = []string{"了", "啊", "呢", "的", "哦", "吧", "呀", "哈", "滴", "项目", "研发", "机构", "平台", "技术中心", "研发中心"}

// noCore are the ways of saying no besides "nothing".
var noCore = []string{"不是", "不", "不对", "没有的", "n"}

// moreDone are the ways of saying there is no other row, after 还有其他…吗 only: "就一个"
// answers that question with no, but 有没有研发机构 with yes.
var moreDone = []string{
	"就这些", "就这个", "就这么多", "就一个", "只有一个", "只有这个", "只有这些", "只有这一个", "就这一个", "只有一项", "就这一项",
	"就这样", "够了", "完了", "没了", "没有了", "就这俩", "就两个", "只有两个", "就这几个",
}

// modalParticles end a reply without adding to it (50万吧, 民营的, 3、5啊).
var modalParticles = []string{"吧", "啊", "呀", "哦", "呢", "啦", "哈", "嘛", "的", "了"}

// WithoutParticles is a reply with the modal particles at its end, and the punctuation
// around them, taken off: what a figure or a choice is read from.
func WithoutParticles(text string) string {
	s := Normalize(text)
	for {
		t := strings.TrimRightFunc(s, func(r rune) bool { return unicode.IsSpace(r) || strings.ContainsRune("。，,.!！~～…", r) })
		for _, p := range modalParticles {
			if rest, ok := strings.CutSuffix(t, p); ok && rest != "" {
				t = rest
				break
			}
		}
		if t == s {
			return s
		}
		s = t
	}
}

// Fold is how the lexicon compares replies: Normalize, lower case, and punctuation and spaces
// at either end taken off.
func Fold(s string) string {
	s = strings.ToLower(Normalize(s))
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune("。，,.!！~～…、；;：:\"“”'‘’", r)
	})
}

// Phrases is a set of short replies matched whole after folding: one of Core, with any of
// Before in front and any of After behind, as often as they come ("目前还没有了" is 目前 + 还 +
// 没有 + 了). A longer reply with content in it never matches.
type Phrases struct{ Core, Before, After []string }

// Match reports whether text is one of the phrases.
func (p Phrases) Match(text string) bool {
	s := Fold(text)
	return s != "" && len(s) <= 64 && p.strip(s, true)
}

func (p Phrases) strip(s string, front bool) bool {
	if slices.Contains(p.Core, s) {
		return true
	}
	if front {
		for _, w := range p.Before {
			if rest, ok := strings.CutPrefix(s, w); ok && rest != "" && p.strip(rest, true) {
				return true
			}
		}
	}
	for _, w := range p.After {
		if rest, ok := strings.CutSuffix(s, w); ok && rest != "" && p.strip(rest, false) {
			return true
		}
	}
	return false
}

var (
	nonePhrases   = Phrases{noneCore, nonePrefixes, noneSuffixes}
	unsurePhrases = Phrases{unsureCore, []string{"我", "我也", "我们", "还", "暂时", "目前", "这个", "这个我", "我得", "得"},
		[]string{"了", "啊", "呢", "哦", "吧", "呀", "领导", "同事", "财务", "老板", "一下"}}
	chatterPhrases = Phrases{chatterCore, []string{"好的", "好", "嗯", "那", "请", "麻烦"}, []string{"了", "啊", "呀", "哈", "哦", "吧", "呢", "哈哈"}}
	yesPhrases     = Phrases{yesCore, []string{"嗯", "对", "是", "目前", "现在", "我们", "公司"}, yesSuffixes}
	noPhrases      = Phrases{noCore, nil, []string{"了", "啊", "呢", "的", "哦", "吧", "呀"}}
	noPlanPhrases  = Phrases{[]string{"无计划", "没有计划", "没计划", "暂无计划", "不打算", "没打算", "没有打算", "暂不考虑", "没想好", "还没想好", "再说"},
		[]string{"暂时", "目前", "还", "现在", "我们", "明年", "今年", "以后", "暂", "都"}, []string{"了", "啊", "呢", "的", "吧", "哦", "呀"}}
	morePhrases = Phrases{moreDone, []string{"嗯", "目前", "暂时", "就"}, []string{"了", "啊", "呢", "的", "吧", "哦"}}
)

// IsNone reports whether text says "nothing" (无): 无, 没有, 没有了, 暂无, 暂时没有, 还没有,
// 没开展, 未开展, 不涉及, 无相关活动, 本期无, 都没有, 一个都没有, "/", "-", "—", 0 and their
// decorated forms. It is the one lexicon of "nothing": every parser that accepts "nothing" asks
// it, and Step.Nothing reads stored texts with it.
func IsNone(text string) bool { return saysOnly(nonePhrases, text) }

// IsUnsure reports whether text says "I don't know" (不知道, 不清楚, 不确定 …), which is not
// "nothing" and must not be stored as an answer.
func IsUnsure(text string) bool { return saysOnly(unsurePhrases, text) }

// IsChatter reports whether text carries no answer: thanks (谢谢), an acknowledgement (好的,
// 收到), a greeting (在吗) or a request to wait (稍等, 等一下). It is never kept as an answer.
func IsChatter(text string) bool { return saysOnly(chatterPhrases, text) }

// isYes reports whether text says yes (有).
func isYes(text string) bool { return saysOnly(yesPhrases, text) }

// Pieces splits a reply at the punctuation between its parts: 和上个月一样，没变化 is two.
func Pieces(text string) []string {
	return strings.FieldsFunc(Fold(text), func(r rune) bool { return strings.ContainsRune("，,。；;！!～~、", r) })
}

// saysOnly reports whether text is one of p's phrases, or says one in a part and only
// chatter in the others (没有，谢谢; 好的，稍等).
func saysOnly(p Phrases, text string) bool {
	if p.Match(text) {
		return true
	}
	parts := Pieces(text)
	if len(parts) < 2 {
		return false
	}
	said := false
	for _, part := range parts {
		switch {
		case p.Match(part):
			said = true
		case !chatterPhrases.Match(part):
			return false
		}
	}
	return said
}

// StartsWithNone returns the first part of a reply that begins with "nothing" and goes on
// with more (没有，明年计划加大投入), and "" for any other reply. Such a reply may mean this
// period's 无 with a word about later, or something done after all: it is asked about.
func StartsWithNone(text string) string {
	parts := Pieces(text)
	if len(parts) < 2 || !IsNone(parts[0]) {
		return ""
	}
	return parts[0]
}

// isNo reports whether text says no (无): "nothing", or a plain no.
func isNo(text string) bool { return IsNone(text) || noPhrases.Match(text) }

// isMoreDone reports whether text says there are no more rows (就这些, 没了).
func isMoreDone(text string) bool { return morePhrases.Match(text) }
