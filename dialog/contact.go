package dialog

import (
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"innobot/storage"
	"innobot/survey"
)

// Bound starts the conversation of a liaison who has just bound: it asks once for their name
// and mobile (附件2's 企业联系人 and 联系电话), offering the ones on the imported list. The
// caller stores the session and sends the replies after its own words of welcome.
func Bound(c Conversation, now time.Time) Result {
	t := &turn{c: c, now: now, s: c.Session}
	t.s = storage.Session{ContactID: c.Contact.ID, Version: c.Session.Version, State: stateContact, EnterpriseID: c.Enterprise.ID}
	t.commit()
	t.say("%s", t.contactQuestion())
	return t.res
}

func (t *turn) contactQuestion() string {
	var b strings.Builder
	b.WriteString("请回复您的姓名和手机号（登记为本企业的联系人和联系电话，不会在群里显示），例如：张三 13912345678。")
	p, m := t.c.Contact.Person, t.c.Contact.Mobile
	if m != "" {
		fmt.Fprintf(&b, "\n现在登记的是：%s %s。", p, m)
	} else if e := t.c.Enterprise; e.ContactTel != "" || e.ContactName != "" {
		fmt.Fprintf(&b, "\n名单上登记的是：%s %s，沿用请回复“沿用”。", e.ContactName, e.ContactTel)
	}
	// Asked in the middle of the survey (修改 联系方式), the way out goes back to it.
	switch {
	case m != "" && t.draft != nil:
		b.WriteString("\n不改回复“不改”，接着填调查表。")
	case m != "":
		b.WriteString("\n不改回复“不改”。")
	case t.draft != nil:
		b.WriteString("\n暂时不填回复“填报”接着填调查表，以后回复“修改 联系方式”补上。")
	default:
		b.WriteString("\n暂时不填可回复“填报”直接开始，以后回复“修改 联系方式”补上。")
	}
	return b.String()
}

// askContact asks for the liaison's name and mobile (修改 联系方式), keeping the cursor, so
// that the survey goes on where it was afterwards.
func (t *turn) askContact() {
	if t.s.EnterpriseID == "" {
		t.s.EnterpriseID = t.c.Enterprise.ID
	}
	t.s.State, t.s.Pending = stateContact, nil
	t.commit()
	t.say("%s", t.contactQuestion())
}

var (
	keepListed = survey.Phrases{
		Core:   []string{"沿用", "用名单上的", "就用名单上的", "用原来的", "按名单", "名单上的", "是我", "就是我", "不改", "不用改", "保留", "同上"},
		Before: []string{"好的", "好", "嗯", "可以"},
		After:  []string{"吧", "了", "的"},
	}
	contactLabels = []string{"我的名字是", "我的名字", "我叫", "我是", "姓名", "名字", "联系人", "手机号码", "手机号", "手机", "联系电话",
		"电话号码", "电话", "号码", "tel", "电话是", "手机是"}
)

// contact reads the liaison's name and mobile. A name alone or a mobile alone is kept in
// Pending until the other part comes.
func (t *turn) contact() {
	switch t.cmd.kind {
	case cmdStart, cmdSkip:
		t.say("好的，联系方式以后可以回复“修改 联系方式”补上。")
		t.s.State, t.s.Pending = stateIdle, nil
		t.start()
		return
	case cmdCancel:
		t.say("好的，联系方式没有改动。")
		t.afterContact()
		return
	case cmdHelp:
		t.say("%s", t.contactQuestion())
		return
	case cmdEdit, cmdEditAll, cmdAdd, cmdDelete, cmdUnchanged, cmdView, cmdProgress:
		// The survey's words leave the question for later and do what they say.
		t.say("好的，联系方式以后可以回复“修改 联系方式”补上。")
		t.s.State, t.s.Pending = stateIdle, nil
		if t.draft != nil && t.s.Period != "" {
			t.s.State = stateFilling
		}
		t.run()
		return
	}
	e, c := t.c.Enterprise, t.c.Contact
	if keepListed.Match(t.raw) || t.cmd.kind == cmdYes {
		switch {
		case c.Mobile != "":
			t.say("好的，联系方式不变：%s %s。", c.Person, c.Mobile)
			t.afterContact()
		case e.ContactTel != "" || e.ContactName != "":
			t.saveDetails(e.ContactName, e.ContactTel)
		default:
			t.fail("名单上没有登记联系人。请回复您的姓名和手机号，例如：张三 13912345678。")
		}
		return
	}
	person, mobile, why := parseDetails(t.raw)
	if why != "" {
		t.fail("%s", why)
		return
	}
	if p := t.s.Pending; p != nil {
		if person == "" && !isMobile(p.Text) {
			person = p.Text
		}
		if mobile == "" && isMobile(p.Text) {
			mobile = p.Text
		}
	}
	switch {
	case person != "" && mobile != "":
		t.saveDetails(person, mobile)
	case mobile != "":
		t.s.Pending = &survey.Value{Text: mobile}
		t.commit()
		t.say("手机号 %s 记下了。请再回复您的姓名。", mobile)
	case person != "":
		t.s.Pending = &survey.Value{Text: person}
		t.commit()
		t.say("姓名 %s 记下了。请再回复您的手机号（11 位）。", person)
	default:
		t.fail("%s", t.vary("请回复您的姓名和手机号，例如：张三 13912345678；暂时不填请回复“填报”。",
			"没有看出姓名或手机号。请这样回复：张三 13912345678。"))
	}
}

func (t *turn) saveDetails(person, mobile string) {
	t.res.Details = &Details{Person: person, Mobile: mobile}
	t.say("已登记：联系人 %s，手机 %s。以后要改回复“修改 联系方式”。", person, mobile)
	t.afterContact()
}

// afterContact goes back to the survey where it was, or to idle.
func (t *turn) afterContact() {
	t.s.Pending = nil
	if t.draft != nil && t.s.Period != "" {
		t.s.State = stateFilling
		if t.s.Cursor == "" {
			t.goTo("")
			return
		}
		t.goTo(t.s.Cursor)
		return
	}
	t.s.State = stateIdle
	t.commit()
	switch {
	case t.draft != nil:
		t.say("本企业已有填到一半的调查表，回复“填报”接着填。")
	case t.latest() != nil:
		t.say("调查表有变化时回复“填报”或“修改 N”。")
	default:
		t.say("回复“填报”开始填写《企业创新活动开展情况调查表》。")
	}
}

// parseDetails finds a name and a mobile in a reply such as "张三 139-1234-5678",
// "手机：13912345678，姓名：张三" or "１３９ １２３４ ５６７８". A figure that is no mobile
// number is refused with the reason.
func parseDetails(text string) (person, mobile, why string) {
	s := survey.Normalize(text)
	// Digits with the spaces and dashes people put inside a number, joined.
	var digits, rest strings.Builder
	runs := 0
	inRun := false
	for i, r := range s {
		switch {
		case r >= '0' && r <= '9':
			if !inRun {
				if runs > 0 {
					digits.WriteByte('|')
				}
				runs++
			}
			digits.WriteRune(r)
			inRun = true
		case inRun && (r == ' ' || r == '-' || r == '—' || r == '－') && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
		default:
			if inRun {
				rest.WriteRune(' ')
			}
			inRun = false
			rest.WriteRune(r)
		}
	}
	for _, d := range strings.Split(digits.String(), "|") {
		if d == "" {
			continue
		}
		d = strings.TrimPrefix(d, "0086")
		if len(d) == 13 && strings.HasPrefix(d, "86") {
			d = d[2:]
		}
		if !isMobile(d) {
			return "", "", fmt.Sprintf("手机号应为 11 位数字、以 13 到 19 开头，例如 13912345678；您发的“%s”不是手机号，请核对后重发。", d)
		}
		if mobile != "" && mobile != d {
			return "", "", "只要一个手机号，请只发一个，例如：张三 13912345678。"
		}
		mobile = d
	}
	name := rest.String()
	for _, l := range contactLabels {
		name = strings.ReplaceAll(name, l, " ")
	}
	name = strings.Join(strings.FieldsFunc(name, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r) && r != '·' || unicode.IsSymbol(r)
	}), "")
	if name == "+" || slices.Contains(notNames, name) || survey.IsNone(name) || survey.IsUnsure(name) {
		name = ""
	}
	n := utf8.RuneCountInString(name)
	if n > 20 {
		return "", "", "姓名太长了，请只回复姓名和手机号，例如：张三 13912345678。"
	}
	if mobile == "" && !looksLikeName(name) {
		name = "" // alone, only what looks like a name is taken for one
	}
	return name, mobile, ""
}

// notNames are replies that are never a name.
var notNames = []string{"你好", "您好", "好的", "收到", "谢谢", "在吗", "嗯", "好", "哦", "知道了", "明白", "可以", "ok", "保密", "隐私"}

// chatWords are characters of the short replies people send in a chat (绑定了吗, 什么意思,
// 好的谢谢, 稍等一下, 不方便) that hardly ever stand in a name.
const chatWords = "吗呢吧啊呀么了的是怎什哪谁你您我们这绑填等下不"

// looksLikeName reports whether s is a Chinese name (2 to 6 characters, · allowed, none of
// chatWords) or a short Latin one.
func looksLikeName(s string) bool {
	n := utf8.RuneCountInString(s)
	if n < 2 || n > 20 || strings.ContainsAny(s, chatWords) {
		return false
	}
	han := 0
	for _, r := range s {
		switch {
		case unicode.Is(unicode.Han, r):
			han++
		case r == '·' || unicode.IsLetter(r) && r < 0x80:
		default:
			return false
		}
	}
	return han == 0 || han == n-strings.Count(s, "·") && n <= 6
}

// isMobile reports whether s is a mainland mobile number: 11 digits, 1 then 3 to 9.
func isMobile(s string) bool {
	if len(s) != 11 || s[0] != '1' || s[1] < '3' || s[1] > '9' {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
