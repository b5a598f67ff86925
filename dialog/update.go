package dialog

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"innobot/period"
	"innobot/storage"
	"innobot/survey"
)

// updating handles the monthly-update questions, which come before any draft exists.
func (t *turn) updating() {
	switch t.cmd.kind {
	case cmdCancel:
		t.s = t.reset()
		t.commit()
		t.say("好的，已取消，没有改动任何内容。需要时回复“填报”。")
		return
	case cmdHelp, cmdStart:
		if t.s.State == stateUpdatePick {
			t.say("%s", t.sectionMenu())
			return
		}
		t.say("本期如果没有变化，回复“无变化”直接提交；只改某一项回复“修改 N”（N 见“查看”）；按部分重填回复“修改”；不填了回复“取消”。")
		return
	case cmdView:
		t.viewLast()
		return
	case cmdContact:
		t.askContact()
		return
	}
	switch t.cmd.kind {
	case cmdUnchanged:
		t.unchanged()
		return
	case cmdEdit, cmdAdd, cmdDelete:
		// 修改 N names an item wherever it is typed, the list of sections included.
		t.fromSubmission()
		return
	}
	if t.s.State == stateUpdatePick {
		t.updatePick()
		return
	}
	switch t.cmd.kind {
	case cmdEditAll:
		if t.latest() == nil {
			t.s.State = stateIdle
			t.start()
			return
		}
		t.s.State = stateUpdatePick
		t.commit()
		t.say("%s", t.sectionMenu())
	default:
		if t.latest() == nil {
			t.s.State = stateIdle
			t.start()
			return
		}
		t.fail("%s", t.vary("请回复“无变化”直接提交，或“修改 N”改某一项，或“修改”按部分重填。",
			"本期和上期一样吗？一样就回复“无变化”；要改就回复“修改”加题号，例如 修改 9。"))
	}
}

// unchanged submits last period's answers as this period's: 没有变化 in reply to a reminder,
// from any idle or update state.
func (t *turn) unchanged() {
	last := t.latest()
	switch {
	case t.draft != nil:
		steps := t.steps()
		t.fail("本期已经开始填写（已答 %d/%d 题），回复“填报”接着填。", answered(steps, t.draft.Answers), len(steps))
	case last == nil:
		t.fail("还没有提交过调查表，没有上期可以沿用。回复“填报”开始填写。")
	case last.Period == t.c.Period:
		t.fail("本期（%s）已提交第 %d 版，无需重复提交。有变化请回复“修改 N”。", period.Label(last.Period), last.Version)
	default:
		t.setDraft(&storage.Draft{EnterpriseID: t.c.Enterprise.ID, Period: t.c.Period, Answers: last.Answers.Clone()})
		t.submit(fmt.Sprintf("已按上期（%s）内容提交本期。\n", period.Label(last.Period)))
	}
}

func (t *turn) sectionMenu() string {
	var b strings.Builder
	b.WriteString("哪些部分有变化？回复编号，多个用逗号隔开，例如 2,4：")
	for i, s := range t.c.Form.Sections {
		fmt.Fprintf(&b, "\n%d. %s", i+1, s.Title)
	}
	return b.String()
}

func (t *turn) updatePick() {
	last := t.latest()
	titles := make([]string, len(t.c.Form.Sections))
	for i, s := range t.c.Form.Sections {
		titles[i] = s.Title
	}
	picks, err := survey.ParseMulti(survey.WithoutParticles(t.raw), titles, nil)
	if err != nil || last == nil {
		t.res.Failed = true
		t.say("%s", reason(err))
		t.say("%s", t.sectionMenu())
		return
	}
	answers := last.Answers.Clone()
	var ids []string
	for _, p := range picks {
		ids = append(ids, t.c.Form.Sections[p-1].ID)
	}
	t.c.Form.Clear(answers, ids...)
	t.setDraft(t.updateDraft(last, answers))
	t.s.Period = t.c.Period
	t.say("好的，只重新填写选中的部分，其余沿用上期。")
	t.goTo(t.firstOpen(""))
}

// updateDraft is a draft of the current period made from a submission: the answers to start
// from, and the submission's as Carried, shown as 上期 beside the questions asked again and
// compared at the review.
func (t *turn) updateDraft(last *storage.Submission, answers survey.Answers) *storage.Draft {
	return &storage.Draft{EnterpriseID: t.c.Enterprise.ID, Period: t.c.Period, Answers: answers, Carried: last.Answers}
}

// fromSubmission starts a draft from the last submission for a 修改 N, 添加 or 删除 sent with
// no draft: one item changes, then one confirmation submits the new version.
func (t *turn) fromSubmission() {
	last := t.latest()
	if last == nil {
		t.fail("还没有提交过调查表，没有可修改的内容。回复“填报”开始填写。")
		return
	}
	if t.cmd.kind == cmdEditAll {
		t.start()
		return
	}
	t.setDraft(t.updateDraft(last, t.c.Form.Visible(last.Answers)))
	t.s = storage.Session{ContactID: t.s.ContactID, Version: t.s.Version, State: stateFilling, EnterpriseID: t.c.Enterprise.ID, Period: t.c.Period}
	switch t.cmd.kind {
	case cmdAdd, cmdDelete:
		t.rows()
	default:
		if t.cmd.name != "" && len(t.itemsNamed(t.cmd.name)) == 0 {
			t.res = Result{}
			t.fail("没找到“%s”这一项。请回复“修改”加题号，例如 修改 3；回复“查看”可看全部题号。", t.cmd.name)
			return
		}
		if t.jump() && t.res.Failed {
			t.res.Commit = false // nothing changes when the item is not understood
		}
	}
}

// rows adds a row to a repeating group (添加 研发项目) or deletes one (删除 研发项目 2).
func (t *turn) rows() {
	g := t.group(t.cmd.name)
	if g == nil {
		var names []string
		for _, sec := range t.c.Form.Sections {
			for _, q := range sec.Questions {
				if q.Kind == survey.Group {
					names = append(names, q.Label)
				}
			}
		}
		t.res = Result{}
		t.fail("没找到“%s”。可以添加或删除的是：%s，例如 添加 %s。", t.cmd.name, strings.Join(names, "、"), names[0])
		return
	}
	if t.cmd.kind == cmdAdd {
		row := t.c.Form.AddRow(t.draft.Answers, g.ID)
		t.cache = nil
		t.say("好的，添加第 %d 个%s。", row+1, g.Label)
		t.goTo(t.firstOpen(""))
		return
	}
	rows := t.c.Form.Rows(g.ID, t.draft.Answers)
	n := t.cmd.n
	if n == 0 && rows == 1 {
		n = 1
	}
	if n < 1 || n > rows {
		t.res = Result{}
		if rows == 0 {
			t.fail("现在没有%s，不用删除。", g.Label)
			return
		}
		t.fail("请写明删第几个，%s有 %d 个，例如 删除 %s %d。", g.Label, rows, g.Label, rows)
		return
	}
	name := ""
	if len(g.Questions) > 0 {
		if v, ok := t.draft.Answers[survey.RowKey(g.ID, n-1, g.Questions[0].ID)]; ok && v.Text != "" {
			name = "（" + v.Text + "）"
		}
	}
	t.c.Form.DeleteRow(t.draft.Answers, g.ID, n-1)
	t.cache = nil
	t.say("已删除第 %d 个%s%s。", n, g.Label, name)
	t.goTo(t.firstOpen(""))
}

// group finds the repeating group a name means: 研发项目, 项目, 研发机构, 平台.
func (t *turn) group(name string) *survey.Question {
	name = strings.TrimPrefix(strings.TrimSuffix(strings.TrimSpace(name), "一个"), "一个")
	var found *survey.Question
	for _, sec := range t.c.Form.Sections {
		for _, q := range sec.Questions {
			if q.Kind != survey.Group {
				continue
			}
			if name == q.Label || name == q.ID || utf8.RuneCountInString(name) >= 2 && (strings.Contains(q.Label, name) || strings.Contains(q.Prompt, name)) {
				if found != nil {
					return nil
				}
				found = q
			}
		}
	}
	return found
}
