package dialog

import (
	"fmt"
	"strings"
	"time"

	"innobot/period"
	"innobot/storage"
	"innobot/survey"
)

// keptPrefix marks, among a draft's answers, a cross-question check the liaison chose to keep.
// No question has such a key, so it never reaches a submission (Form.Visible).
const keptPrefix = "#kept."

// checkCursor is the session cursor while a check waits for the liaison.
const checkCursor = "#check:"

// enterReview runs the cross-question checks and shows the first one still open, or the
// review when none is.
func (t *turn) enterReview() {
	findings := t.openFindings()
	if len(findings) > 0 {
		f := findings[0]
		t.s.State, t.s.Cursor, t.s.Pending = stateCheck, checkCursor+f.Check.ID, nil
		t.commit()
		t.say("%s", t.findingText(f, len(findings)))
		return
	}
	t.s.State, t.s.Cursor, t.s.Pending = stateReview, "", nil
	t.commit()
	t.say("%s", t.reviewText())
}

// openFindings are the checks that hold, less those the liaison kept and those that held
// already in the submission the draft started from (the liaison submitted them once).
func (t *turn) openFindings() []survey.Finding {
	var before map[string]bool
	if len(t.draft.Carried) > 0 {
		before = map[string]bool{}
		for _, f := range t.c.Form.Findings(t.draft.Carried) {
			before[f.Check.ID] = true
		}
	}
	var out []survey.Finding
	for _, f := range t.c.Form.Findings(t.draft.Answers) {
		if _, kept := t.draft.Answers[keptPrefix+f.Check.ID]; !kept && !before[f.Check.ID] {
			out = append(out, f)
		}
	}
	return out
}

func (t *turn) findingText(f survey.Finding, open int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "提交前请核对（还有 %d 处）：\n%s", open, f.Check.Says)
	steps := t.steps()
	if i := indexOf(steps, f.Key); i >= 0 {
		fmt.Fprintf(&b, "\n（第 %d 项 %s：%s）", i+1, steps[i].Label(), t.formatAt(steps[i]))
	}
	if f.Check.Quote != "" {
		b.WriteString("\n" + f.Check.Quote)
	}
	b.WriteString("\n要改回复“修改”；确认没问题回复“保留”。")
	return b.String()
}

// checking handles the reply to a cross-question check: fix it or keep the answers.
func (t *turn) checking() {
	id := strings.TrimPrefix(t.s.Cursor, checkCursor)
	var f *survey.Finding
	for _, x := range t.openFindings() {
		if x.Check.ID == id {
			f = &x
			break
		}
	}
	if f == nil {
		t.enterReview()
		return
	}
	switch t.cmd.kind {
	case cmdEditAll:
		t.s.State, t.s.Cursor, t.s.Pending = stateFilling, f.Key, nil
		t.commit()
		t.ask()
	case cmdEdit:
		t.jump()
	case cmdKeep, cmdYes, cmdSubmit, cmdSkip:
		t.draft.Answers[keptPrefix+id] = survey.Value{Bool: true}
		t.enterReview()
	case cmdBack, cmdWithdraw:
		t.back("")
	default:
		if t.explainForm("要改回复“修改”；确认没问题回复“保留”。") {
			return
		}
		t.fail("%s", t.vary("请回复“修改”去改这一项，或回复“保留”按现在的答案继续。",
			"这一处要改吗？改就回复“修改”，不改就回复“保留”。"))
	}
}

// reviewText is the review: every answer, or, for a draft made from a submission, what
// changed since it.
func (t *turn) reviewText() string {
	if len(t.draft.Carried) > 0 {
		changes := t.changes()
		if len(changes) == 0 {
			return "与上次提交的内容相同。确认按此提交本期请回复“确认”；要改某一项回复“修改 N”；查看全部回复“查看”。"
		}
		return "与上次提交相比，改动了：\n" + strings.Join(changes, "\n") +
			"\n\n无误请回复“确认”提交；还要改别的回复“修改 N”；查看全部回复“查看”。"
	}
	return "全部答完了，请核对：\n" + t.formatAnswers(t.draft.Answers) +
		"\n\n无误请回复“确认”提交；要改第几项回复“修改 N”，例如 修改 3；回到最后一题回复“上一题”。"
}

// changes lists the answers that differ from the submission the draft started from.
func (t *turn) changes() []string {
	cur := t.c.Form.Visible(t.draft.Answers)
	old := t.c.Form.Visible(t.draft.Carried)
	var out []string
	for i, s := range t.steps() {
		v, ok := cur[s.Key]
		was, had := old[s.Key]
		if s.More || ok && had && s.Format(v) == s.Format(was) || !ok && !had {
			continue
		}
		before, after := "（无）", "（未答）"
		if had {
			before = s.Format(was)
		}
		if ok {
			after = s.Format(v)
		}
		out = append(out, fmt.Sprintf("%d. %s：%s → %s", i+1, s.Label(), before, after))
	}
	for _, s := range t.c.Form.Steps(t.draft.Carried) {
		if _, still := cur[s.Key]; !still && !s.More {
			if was, had := old[s.Key]; had {
				out = append(out, fmt.Sprintf("%s：%s → （已删除）", s.Label(), s.Format(was)))
			}
		}
	}
	return out
}

// formatAnswers lists answers numbered, section by section.
func (t *turn) formatAnswers(a survey.Answers) string {
	var b strings.Builder
	section := ""
	for i, s := range t.c.Form.Steps(a) {
		if s.Q.Section != section {
			section = s.Q.Section
			if sec := t.c.Form.SectionOf(section); sec != nil {
				if b.Len() > 0 {
					b.WriteString("\n")
				}
				b.WriteString("【" + sec.Title + "】\n")
			}
		}
		v, ok := a[s.Key]
		val := "（未答）"
		if ok {
			val = s.Format(v)
		}
		fmt.Fprintf(&b, "%d. %s：%s\n", i+1, s.Label(), val)
	}
	return strings.TrimRight(b.String(), "\n")
}

func (t *turn) listAnswers() string {
	if len(t.draft.Answers) == 0 {
		return "还没有填写任何答案。"
	}
	return "已填答案：\n" + t.formatAnswers(t.draft.Answers)
}

func (t *turn) review() {
	switch t.cmd.kind {
	case cmdSubmit, cmdYes:
		if key := t.firstOpen(""); key != "" {
			t.say("还有未答的题目，先把它答完。")
			t.goTo(key)
			return
		}
		t.submit("")
	case cmdEdit:
		t.jump()
	case cmdBack, cmdWithdraw:
		t.back("")
	case cmdAdd, cmdDelete:
		t.rows()
	case cmdEditAll:
		t.fail("%s", t.vary("请回复“修改”加题号，例如 修改 3。", "要改哪一项？回复题号，例如 修改 3 或 改3。"))
	default:
		if t.explainForm("无误请回复“确认”提交；要改某一项回复“修改 N”。") {
			return
		}
		t.fail("%s", t.vary("请回复“确认”提交；要改某一项回复“修改 N”，例如 修改 3；先不提交回复“取消填报”（答案都保存着）。",
			"都核对好了吗？没问题就回复“确认”；要改就回复“修改”加题号，例如 改3。",
			"还没有提交。回复“确认”提交，回复“查看”再看一遍答案；先不提交回复“取消填报”。"))
	}
}

// submit turns the draft into the next version of the period's submission and sends the 回执.
func (t *turn) submit(note string) {
	version := 1
	for _, s := range t.c.Submissions {
		if s.Period == t.draft.Period && s.Version >= version {
			version = s.Version + 1
		}
	}
	sub := storage.Submission{
		EnterpriseID: t.c.Enterprise.ID,
		Period:       t.draft.Period,
		Version:      version,
		Form:         t.c.Form.ID,
		Answers:      t.c.Form.Visible(t.draft.Answers),
		SubmittedBy:  t.c.Contact.ID,
		SubmittedAt:  t.now,
	}
	sub.Facts = t.c.Form.Facts(sub.Answers)
	t.res.Submission = &sub
	t.res.DropDraft = true
	t.setDraft(nil)
	t.s = t.reset()
	t.commit()
	t.say("%s✅ 提交成功（回执）\n企业：%s\n期别：%s\n版本：第 %d 版\n时间：%s\n%s\n下月需要更新时，回复“填报”；和上月一样回复“无变化”；只改一项回复“修改 N”。",
		note, t.c.Enterprise.Name, period.Label(sub.Period), sub.Version, t.clock(t.now), t.summary(sub.Answers))
}

// clock shows a time in the configured zone, as a clerk reads it.
func (t *turn) clock(at time.Time) string {
	if t.c.Location != nil {
		at = at.In(t.c.Location)
	}
	return at.Format("2006-01-02 15:04")
}

// summary is the key figures of a survey, table by table, as the form has them: a table's
// figures are added over its own rows only, never across tables, since an institution's staff
// and costs include its projects'.
func (t *turn) summary(a survey.Answers) string {
	f := t.c.Form
	var lines []string
	for _, sec := range f.Sections[1:] {
		dirs, at := []string(nil), -1 // the 主要内容 answered, shown where the first is asked
		for _, q := range sec.Questions {
			if !f.Shown(q, a) {
				if q.Kind == survey.Group {
					lines = append(lines, q.Label+"：无")
				}
				continue
			}
			st := survey.Step{Key: q.ID, Q: q, Row: -1}
			v, ok := a[q.ID]
			switch {
			case q.Kind == survey.Group:
				lines = append(lines, t.groupLine(q, a))
			case q.Kind == survey.Multi && ok && st.Nothing(v):
				lines = append(lines, q.Label+"：无")
			case q.Kind == survey.Multi && ok:
				lines = append(lines, fmt.Sprintf("%s：%d 项（%s）", q.Label, len(v.Multi), joinInts(v.Multi)))
			case q.Kind == survey.Text && q.NoneOK:
				if at < 0 {
					at = len(lines)
					lines = append(lines, "")
				}
				if ok && !st.Nothing(v) {
					dirs = append(dirs, q.Label)
				}
			case q.Kind == survey.Text && q.ShownIf != nil && q.ShownIf.AllNo != nil && ok:
				lines = append(lines, q.Label+"："+shorten(v.Text, 30))
			}
		}
		if at >= 0 {
			lines[at] = "创新活动方向：无"
			if len(dirs) > 0 {
				lines[at] = "创新活动方向：" + strings.Join(dirs, "、")
			}
		}
	}
	return strings.Join(lines, "\n")
}

// groupLine is one table's line: its rows and each figure added over them.
func (t *turn) groupLine(g *survey.Question, a survey.Answers) string {
	rows := t.c.Form.Rows(g.ID, a)
	if rows == 0 {
		return g.Label + "：无"
	}
	var parts []string
	for _, q := range g.Questions {
		if q.Kind != survey.Number {
			continue
		}
		sum := 0.0
		for row := range rows {
			sum += a[survey.RowKey(g.ID, row, q.ID)].Num
		}
		parts = append(parts, fmt.Sprintf("%s %s %s", q.Label, survey.FormatNumber(sum), q.Unit))
	}
	return fmt.Sprintf("%s：%d 个（%s）", g.Label, rows, strings.Join(parts, "，"))
}

func joinInts(xs []int) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = fmt.Sprint(x)
	}
	return strings.Join(s, "、")
}

func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
