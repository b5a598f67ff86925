package dialog

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"unicode/utf8"

	"innobot/period"
	"innobot/survey"
)

// goTo asks the step with the given key, or goes to the review when the key is empty or gone
// and nothing is left open.
func (t *turn) goTo(key string) {
	steps := t.steps()
	if key == "" || indexOf(steps, key) < 0 {
		key = t.firstOpen("")
	}
	if key == "" {
		t.enterReview()
		return
	}
	t.s.State, t.s.Cursor, t.s.Pending = stateFilling, key, nil
	t.commit()
	t.ask()
}

// firstOpen is the first unanswered step after key, wrapping round; "" when all are answered.
func (t *turn) firstOpen(after string) string {
	steps := t.steps()
	start := indexOf(steps, after) + 1
	for i := range steps {
		s := steps[(start+i)%len(steps)]
		if _, ok := t.draft.Answers[s.Key]; !ok {
			return s.Key
		}
	}
	return ""
}

func indexOf(steps []survey.Step, key string) int {
	return slices.IndexFunc(steps, func(s survey.Step) bool { return s.Key == key })
}

func answered(steps []survey.Step, a survey.Answers) int {
	n := 0
	for _, s := range steps {
		if _, ok := a[s.Key]; ok {
			n++
		}
	}
	return n
}

// ask shows the question at the cursor, with its place in the survey and its section.
func (t *turn) ask() {
	switch t.s.State {
	case stateReview, stateCheck:
		t.enterReview()
		return
	}
	steps := t.steps()
	i := indexOf(steps, t.s.Cursor)
	if i < 0 {
		t.goTo("")
		return
	}
	st := steps[i]
	var b strings.Builder
	fmt.Fprintf(&b, "（第 %d/%d 题）", i+1, len(steps))
	if sec := t.c.Form.SectionOf(st.Q.Section); sec != nil {
		b.WriteString(sec.Title)
	}
	b.WriteString("\n" + st.PromptText())
	if !st.More {
		for j, o := range st.Q.Options {
			fmt.Fprintf(&b, "\n%d. %s", j+1, o)
		}
		if st.Q.Hint != "" {
			b.WriteString("\n提示：" + st.Q.Hint)
		}
	}
	if v, ok := t.draft.Answers[st.Key]; ok {
		b.WriteString("\n当前答案：" + st.Format(v) + "（重新回复即可修改）")
	} else if v, ok := t.draft.Carried[st.Key]; ok {
		b.WriteString("\n上期：" + st.Format(v) + "（没变回复“不变”）")
	}
	if st.Optional() {
		b.WriteString("\n（选填，没有可回复“无”）")
	}
	switch t.s.State {
	case stateConfirmValue, stateConfirmApprox, stateConfirmUnit:
		switch {
		case t.s.Pending == nil:
		case st.Kind() == survey.Text:
			b.WriteString("\n（请先回复上面的问题：无、确认，或本期做了什么）")
		default:
			b.WriteString("\n（请先确认上面的数值）")
		}
	}
	t.say("%s", b.String())
}

func (t *turn) current() (survey.Step, bool) {
	steps := t.steps()
	i := indexOf(steps, t.s.Cursor)
	if i < 0 {
		return survey.Step{}, false
	}
	return steps[i], true
}

// moveAbout does what the words that move about the survey ask at a question (上一题,
// 修改 N, 添加 or 删除 a row, and 不变 in a monthly update, which keeps last period's answer),
// both while it is asked and while a figure waits for its confirmation. It reports false
// when the words are left to be read as an answer.
func (t *turn) moveAbout(st survey.Step) bool {
	switch t.cmd.kind {
	case cmdBack, cmdWithdraw:
		t.back(st.Key)
		return true
	case cmdEdit:
		return t.jumpIfNamed()
	case cmdEditAll:
		return t.jump() // says to add the item's number
	case cmdAdd, cmdDelete:
		return t.rowsIfNamed(st)
	case cmdUnchanged:
		v, ok := t.draft.Carried[st.Key]
		if ok && restSaid(t.raw) {
			t.keepTheRest()
			return true
		}
		if ok {
			t.store(st, v)
		}
		return ok
	}
	return false
}

// restSaid reports whether 不变 was said of the rest (其他不变, 其余都没变), not of one question.
func restSaid(text string) bool {
	s := survey.Fold(text)
	return slices.ContainsFunc(restWords, func(w string) bool { return strings.HasPrefix(s, w) })
}

// keepTheRest answers every open question that last period answered with last period's
// answer, then goes to the review (or to what is left open). The steps are walked again after
// each answer, since an answer may open questions (a 有 opens its table's rows); each answer
// fills one key of Carried, so the walk ends.
func (t *turn) keepTheRest() {
	for filled := true; filled; {
		filled = false
		for _, s := range t.steps() {
			_, answered := t.draft.Answers[s.Key]
			if v, ok := t.draft.Carried[s.Key]; ok && !answered {
				t.draft.Answers[s.Key], t.cache, filled = v, nil, true
				break
			}
		}
	}
	t.say("好的，其余各题按上期填好了。")
	t.goTo(t.firstOpen(""))
}

func (t *turn) filling() {
	st, ok := t.current()
	if !ok {
		t.goTo("")
		return
	}
	if t.moveAbout(st) || t.commandAt(st) || t.explain(st) {
		return
	}
	t.answer(st, t.raw)
}

// commandAt does what a command's word asks at a question, once moving about is ruled out:
// 跳过, 不用改 and 不变 keep the answer already there and go on; 跳过 skips an optional
// question; 提交, 清空 and 确认 say why they do nothing here. A word that answers the question
// (是 to 有/无) is left to be read as the answer, but at a question that takes any text none
// is: it would be kept as what the enterprise did. It reports false when the message is left
// to be read as an answer.
func (t *turn) commandAt(st survey.Step) bool {
	k := t.cmd.kind
	switch k {
	case cmdSkip, cmdKeep, cmdUnchanged, cmdSubmit, cmdClear, cmdYes:
	default:
		return false
	}
	if v, ok := t.draft.Answers[st.Key]; ok && (k == cmdSkip || k == cmdKeep || k == cmdUnchanged) {
		t.store(st, v)
		return true
	}
	if k == cmdSkip && st.Optional() {
		t.store(st, survey.Value{Skipped: true})
		return true
	}
	if st.Kind() != survey.Text {
		if _, _, err := st.Parse(t.raw); err == nil {
			return false
		}
	}
	switch k {
	case cmdSkip:
		t.fail("这一题必须填写，不能跳过。%s", st.Expect())
	case cmdKeep, cmdUnchanged:
		t.fail("这一题还没有答案。%s", st.Expect())
	case cmdSubmit:
		steps := t.steps()
		t.fail("还没答完，不能提交：还有 %d 题。答完最后一题后会请您核对，再回复“确认”提交。", len(steps)-answered(steps, t.draft.Answers))
	case cmdClear:
		t.fail("要清空本期草稿重新开始，请先回复“取消填报”，再回复“确认清空”。")
	default:
		t.reject(st, t.raw, st.NotAnAnswer(t.raw))
		return true
	}
	t.ask()
	return true
}

// explain answers a question about the form asked at a step, then asks the step again. It
// reports whether the message was such a question.
func (t *turn) explain(st survey.Step) bool {
	// A reply put as a question asks, whatever its words: a choice or a figure in it (我们是国企
	// 还是民企？) would otherwise be kept as the answer.
	asking := survey.IsQuestion(t.raw) || survey.IsAsked(t.raw)
	if st.Kind() == survey.Text {
		// A text answer may hold the words of asking: only a short one asks, or one put as a
		// question.
		asking = survey.IsAsked(t.raw) || survey.IsQuestion(t.raw) && utf8.RuneCountInString(survey.Fold(t.raw)) <= 12
	}
	if !asking {
		return false
	}
	exp := t.c.Form.Explain(t.raw, &st)
	if exp == "" {
		exp = "这一题表上没有更多说明。" + st.Expect()
	}
	t.say("%s", exp)
	t.ask()
	return true
}

// explainForm answers a question about the form asked away from a question (idle, at the
// review or a check) with the form's explanation, then what to send next. It reports false
// when the message is no such question or the form has nothing to say.
func (t *turn) explainForm(next string) bool {
	if !survey.IsQuestion(t.raw) {
		return false
	}
	exp := t.c.Form.Explain(t.raw, nil)
	if exp == "" {
		return false
	}
	t.say("%s\n\n%s", exp, next)
	return true
}

// back goes to the step before key (the last step at the review).
func (t *turn) back(key string) {
	steps := t.steps()
	i := indexOf(steps, key)
	if key == "" {
		i = len(steps)
	}
	if i <= 0 {
		t.fail("%s", t.vary("已经是第一题了。", "前面没有题了，这就是第一题。"))
		t.ask()
		return
	}
	t.s.State, t.s.Cursor, t.s.Pending = stateFilling, steps[i-1].Key, nil
	t.commit()
	t.ask()
}

// answer reads a reply to a step: kept, held for a confirmation, or refused with a reason.
func (t *turn) answer(st survey.Step, text string) {
	v, doubt, err := st.Parse(text)
	if err != nil {
		t.reject(st, text, err)
		return
	}
	t.s.Cursor = st.Key
	switch doubt {
	case survey.WhichUnit:
		t.s.State, t.s.Pending = stateConfirmUnit, &v
		t.commit()
		yuan := st.AsYuan(v)
		t.say("是 %s 元（%s 万元）还是 %s 万元？回复“元”或“万元”，也可以直接发正确的数。",
			survey.FormatNumber(v.Num), survey.FormatNumber(yuan.Num), survey.FormatNumber(v.Num))
	case survey.Approx:
		t.s.State, t.s.Pending = stateConfirmApprox, &v
		t.commit()
		t.say("表上要填确切的数字。按 %s 记，确认请回复“确认”；不对请直接发确切的数。", st.Format(v))
	case survey.NoneFirst:
		// Counted as this period's activity if kept: 有创新活动 in 附件2 hangs on the answer.
		t.s.State, t.s.Pending = stateConfirmApprox, &v
		t.commit()
		t.say("您的回复以“%s”开头。本期没有的话回复“无”；要按原话记，回复“确认”；也可以直接写本期做了什么。", survey.StartsWithNone(text))
	case survey.Large:
		t.holdLarge(st, v)
	default:
		t.store(st, v)
	}
}

func (t *turn) holdLarge(st survey.Step, v survey.Value) {
	t.s.State, t.s.Pending = stateConfirmValue, &v
	t.commit()
	t.say("您填的是 %s，数值偏大。确认无误请回复“确认”；填错了请直接发送正确的数字。", st.Format(v))
}

// reject answers a reply that could not be used: why, then what is accepted, then how to go
// on without an answer, in turn, so the same line never comes twice in a row. "I don't know"
// was understood, so it never hears 没能识别: it hears why it is no answer, then how to pause.
func (t *turn) reject(st survey.Step, text string, err error) {
	t.res.Failed = true
	if survey.IsUnsure(text) {
		if t.c.Tries%2 == 0 {
			t.say("%s", reason(err))
		} else {
			t.say("不清楚的话，可以先回复“取消填报”暂停（已填的都保存），问清楚后回复“填报”接着填。%s", st.Expect())
		}
		t.ask()
		return
	}
	switch t.c.Tries % 3 {
	case 0:
		t.say("%s", reason(err))
	case 1:
		if r := reason(err); strings.Contains(r, "“"+survey.Fold(text)+"”") {
			// A reason about what was typed (“国企”对应好几项) says more than the general line.
			t.say("还是没能识别。%s", r)
		} else {
			t.say("还是没能识别。%s", st.Expect())
		}
	default:
		msg := "这一题还没能识别您的回复。" + st.Expect()
		if st.Optional() {
			msg += "没有的话回复“无”。"
		} else {
			msg += "不清楚的话可以先回复“取消填报”暂停，问清楚后再回复“填报”继续。"
		}
		t.say("%s", msg)
	}
	t.ask()
}

func reason(err error) string {
	var ie *survey.InputError
	if errors.As(err, &ie) {
		return ie.Reason
	}
	return "没能识别您的回复，请按提示重新回复。"
}

// confirming handles the reply to a figure held for a confirmation: over the soft maximum,
// an estimate, or a bare figure that may be 元.
func (t *turn) confirming() {
	st, ok := t.current()
	if !ok || t.s.Pending == nil {
		t.goTo("")
		return
	}
	pending := *t.s.Pending
	if t.moveAbout(st) {
		return
	}
	if t.s.State == stateConfirmUnit {
		switch survey.Fold(survey.WithoutParticles(t.raw)) { // 元的, 万元吧: the particle is off
		case "元", "是元", "1", "按元", "人民币元", "块", "块钱":
			t.keepFigure(st, st.AsYuan(pending))
			return
		case "万元", "是万元", "万", "2", "按万元":
			t.keepFigure(st, pending)
			return
		}
	} else if k := t.cmd.kind; st.Kind() == survey.Text && saysKeep(t.raw) || st.Kind() != survey.Text && (k == cmdYes || k == cmdSubmit || k == cmdKeep) {
		if t.s.State == stateConfirmApprox {
			t.keepFigure(st, pending)
			return
		}
		t.s.Pending = nil
		t.store(st, pending)
		return
	}
	if t.explain(st) {
		return
	}
	if _, _, err := st.Parse(t.raw); err != nil {
		t.res.Failed = true
		var hint string
		switch {
		case t.s.State == stateConfirmUnit:
			hint = t.vary("请回复“元”或“万元”，也可以直接发正确的数。", "这个数的单位是元还是万元？回复“元”或“万元”即可。")
		case st.Kind() == survey.Text:
			hint = t.vary("本期没有的话回复“无”；按原话记回复“确认”；或直接写本期做了什么。",
				"还没确认：回复“无”记为本期没有，回复“确认”按“"+st.Format(pending)+"”记。")
		default:
			hint = t.vary("请回复“确认”保留 "+st.Format(pending)+"，或直接发送正确的数字。",
				"还没确认：回复“确认”就按 "+st.Format(pending)+" 记；不对就直接发正确的数。")
		}
		if _, nerr := survey.ParseNumber(t.raw, st.Q.Unit); nerr == nil && t.c.Tries%2 == 0 {
			hint = reason(err) + "\n" + hint // a figure the question refuses (-3, 2.5 人): say why
		}
		t.say("%s", hint)
		return
	}
	t.answer(st, t.raw)
}

// saysKeep reports whether a reply to a held text asks for it as typed (确认, 按原话): a mere
// 好 or 是 is too vague for an answer that makes the enterprise 有创新活动.
func saysKeep(text string) bool {
	switch survey.Fold(survey.WithoutParticles(text)) {
	case "确认", "确定", "确认无误", "按原话", "按原话记", "原话", "就按原话", "保留", "保留原话", "确认按原话记":
		return true
	}
	return false
}

// keepFigure keeps a confirmed figure, unless it is over the soft maximum, which is asked too.
func (t *turn) keepFigure(st survey.Step, v survey.Value) {
	if st.TooLarge(v) {
		t.holdLarge(st, v)
		return
	}
	t.s.Pending = nil
	t.store(st, v)
}

// store keeps an answer and moves on to the next open question.
func (t *turn) store(st survey.Step, v survey.Value) {
	t.draft.Answers[st.Key] = v
	if st.Shapes() {
		t.cache = nil
	}
	t.s.State, t.s.Pending = stateFilling, nil
	switch {
	case st.Kind() == survey.Number, st.Kind() == survey.Choice, st.Kind() == survey.Multi, v.Skipped,
		st.Kind() == survey.Text && st.Nothing(v):
		t.say("已记：%s", st.Format(v))
	}
	t.goTo(t.firstOpen(st.Key))
}

// jumpIfNamed jumps to the item a 修改 command names. A name that is no item's (修改工艺, an
// answer that starts with 改) is left to be read as an answer: it reports false.
func (t *turn) jumpIfNamed() bool {
	if t.cmd.name != "" && len(t.itemsNamed(t.cmd.name)) == 0 {
		return false
	}
	return t.jump()
}

// rowsIfNamed adds or deletes a row of the table the words name (添加 研发项目, 删掉第二个项目)
// in the middle of the survey. At a text question the reply may be an answer that starts
// like one (新增研发项目, 增加一个研发平台 tell what the enterprise did): there 新增 and 增加
// are read as the answer. It reports false when the words are left to be read as an answer.
func (t *turn) rowsIfNamed(st survey.Step) bool {
	g := t.group(t.cmd.name)
	if g == nil {
		return false
	}
	if st.Kind() == survey.Text && t.cmd.kind == cmdAdd {
		if s := survey.Fold(t.raw); strings.HasPrefix(s, "新增") || strings.HasPrefix(s, "增加") {
			return false
		}
	}
	t.rows()
	return true
}

// jump goes to the item 修改 names (修改 N, 修改 研发费用) and takes the new answer when the
// command carries one (修改 9 为 35). It reports false only when nothing was said.
func (t *turn) jump() bool {
	steps := t.steps()
	var st survey.Step
	switch {
	case t.cmd.n > 0:
		if t.cmd.n > len(steps) {
			t.fail("%s", t.vary(fmt.Sprintf("没有第 %d 项，题号在 1 到 %d 之间，例如 修改 3。回复“查看”可看全部题号。", t.cmd.n, len(steps)),
				fmt.Sprintf("题号只到 %d。回复“查看”看看要改的是第几项。", len(steps))))
			if t.s.State == stateFilling {
				t.ask()
			}
			return true
		}
		st = steps[t.cmd.n-1]
	case t.cmd.name != "":
		found := t.itemsNamed(t.cmd.name)
		switch len(found) {
		case 0:
			t.fail("%s", t.vary(fmt.Sprintf("没找到“%s”这一项。请回复“修改”加题号，例如 修改 3；回复“查看”可看全部题号。", t.cmd.name),
				"题目里没有这个名称。回复“查看”看看题号，再回复“修改 N”。"))
			return true
		case 1:
			st = steps[found[0]]
		default:
			// Not a failure: the list is the answer. The reply names the whole command, since
			// a bare number would be read as an answer to the question at hand.
			var b strings.Builder
			fmt.Fprintf(&b, "“%s”有 %d 项，要改哪一项？请回复“修改”加题号，例如 修改 %d：", t.cmd.name, len(found), found[0]+1)
			to := "" // the new answer, when given, so that the line to send is whole
			if t.cmd.value != "" {
				to = " 为 " + t.cmd.value
			}
			for _, i := range found {
				fmt.Fprintf(&b, "\n修改 %d%s — %s：%s", i+1, to, steps[i].Label(), t.formatAt(steps[i]))
			}
			t.say("%s", b.String())
			return true
		}
	default:
		t.fail("%s", t.vary("请回复“修改”加题号，例如 修改 3（题号见“查看”）。", "要改哪一项？回复题号，例如 修改 3 或 改3。"))
		return true
	}
	t.s.State, t.s.Cursor, t.s.Pending = stateFilling, st.Key, nil
	if t.cmd.value != "" {
		t.answer(st, t.cmd.value)
		return true
	}
	t.commit()
	t.ask()
	return true
}

// formatAt is the answer at a step as a review shows it.
func (t *turn) formatAt(st survey.Step) string {
	if v, ok := t.draft.Answers[st.Key]; ok {
		return st.Format(v)
	}
	return "（未答）"
}

// itemsNamed returns the indexes of the steps whose label names the words: 研发费用 names
// every row's 研发费用 of both tables.
func (t *turn) itemsNamed(name string) []int {
	name = survey.Fold(name)
	if name == "" {
		return nil
	}
	var out []int
	for i, s := range t.steps() {
		if s.More {
			continue
		}
		if strings.Contains(s.Label(), name) || strings.Contains(s.Q.Label, name) || strings.Contains(name, s.Label()) {
			out = append(out, i)
		}
	}
	return out
}

func (t *turn) progress() {
	steps := t.steps()
	n := answered(steps, t.draft.Answers)
	if t.s.State == stateReview || t.s.State == stateCheck {
		t.say("已全部答完（%d 题），等待您确认提交。", n)
		t.ask()
		return
	}
	t.say("本期（%s）已答 %d/%d 题。", period.Label(t.draft.Period), n, len(steps))
	t.ask()
}
