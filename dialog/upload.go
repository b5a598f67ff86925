package dialog

import (
	"fmt"
	"strings"
	"time"

	"innobot/period"
	"innobot/storage"
	"innobot/survey"
)

// Upload is a filled survey read from a workbook the liaison sent.
type Upload struct {
	// Name is the file's name, as the liaison sees it in the chat.
	Name string
	// Enterprise is the 企业全称 the file gives, "" when it gives none.
	Enterprise string
	// Answers are what the file answered, keyed as the form keys them.
	Answers survey.Answers
	// Problems name the cells that could not be read (第 7 行 研究开发费用：“约五十”不是数字);
	// their questions have no answer, so they are asked.
	Problems []string
	// Notes are anything else the liaison should hear about the file.
	Notes []string
}

// HandleUpload runs the turn of a filled survey sent as a file. What the file answered
// becomes the draft of the conversation's period, never a submission: each section the file
// answers replaces that section of a draft already there, the other sections stay. The reply
// lists what was read section by section and the cells that could not be read, then asks the
// first question the file left open, or shows the review when none is; `确认提交` then
// submits as after a chat survey, with the same version and 回执.
func HandleUpload(c Conversation, u Upload, now time.Time) Result {
	t := &turn{c: c, now: now, s: c.Session}
	if len(u.Answers) == 0 {
		t.say("《%s》里没有读到任何答案（是空白表吗？），没有改动。请填好后再发送，或回复“填报”在聊天中逐题填写。", u.Name)
		if len(u.Problems) > 0 {
			t.say("没能读取的单元格：\n%s", strings.Join(u.Problems, "\n"))
		}
		return t.res
	}
	answers := survey.Answers{}
	var carried survey.Answers
	moved := ""
	if c.Draft != nil {
		answers, carried = c.Draft.Answers.Clone(), c.Draft.Carried
		if c.Draft.Period != c.Period {
			// A draft of a month whose report is closed moves here with the file, as a typed
			// message would move it: nothing stays behind under the old month.
			t.res.DropDraft = true
			moved = c.Draft.Period
		}
		var sections []string
		for _, sec := range c.Form.Sections {
			if answersSection(c.Form, sec, u.Answers) {
				sections = append(sections, sec.ID)
			}
		}
		c.Form.Clear(answers, sections...)
	} else if last := t.latest(); last != nil {
		carried = last.Answers // shown as 上期 beside what the file left open
	}
	for k, v := range u.Answers {
		answers[k] = v
	}
	t.setDraft(&storage.Draft{EnterpriseID: c.Enterprise.ID, Period: c.Period, Answers: answers, Carried: carried})
	t.s = storage.Session{ContactID: t.s.ContactID, Version: t.s.Version, State: stateFilling, EnterpriseID: c.Enterprise.ID, Period: c.Period}

	var b strings.Builder
	fmt.Fprintf(&b, "已读取《%s》，作为本期（%s）的草稿，还没有提交。", u.Name, period.Label(c.Period))
	if moved != "" {
		fmt.Fprintf(&b, "\n%s的填报已经截止，那时没提交的草稿也转到了本期，文件里没有的部分沿用草稿。", period.Label(moved))
	}
	if u.Enterprise != "" && compact(u.Enterprise) != compact(c.Enterprise.Name) {
		fmt.Fprintf(&b, "\n注意：文件里的企业全称是“%s”，您绑定的是“%s”，请核对。", u.Enterprise, c.Enterprise.Name)
	}
	for _, n := range u.Notes {
		b.WriteString("\n" + n)
	}
	open := t.firstOpen("")
	if open != "" {
		b.WriteString("\n读到的内容：\n" + t.formatAnswers(answers))
	}
	if len(u.Problems) > 0 {
		b.WriteString("\n\n没能读取的单元格（下面会逐题问到）：\n" + strings.Join(u.Problems, "\n"))
	}
	if open != "" {
		steps := t.steps()
		fmt.Fprintf(&b, "\n\n还有 %d 题文件里没有填，下面逐题补充。", len(steps)-answered(steps, answers))
	}
	t.say("%s", b.String())
	t.goTo(open)
	return t.res
}

// answersSection reports whether a answers any question of the section.
func answersSection(f *survey.Form, sec survey.Section, a survey.Answers) bool {
	for k := range a {
		id := k
		if group, _, ok := strings.Cut(k, "."); ok {
			id = group
		}
		if q := f.Question(id); q != nil && q.Section == sec.ID {
			return true
		}
	}
	return false
}

// compact is a name without its spaces, as typed twice it may differ only in them.
func compact(s string) string { return strings.Join(strings.Fields(s), "") }
