// Package dialog is the survey conversation: a pure state machine that takes what is stored
// about a liaison's conversation, one message and the time, and returns what to store and what
// to reply. It does no I/O, so every path through a conversation is a plain table test.
package dialog

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"innobot/storage"
	"innobot/survey"
)

// The states of a Session. The empty state is idle: no survey under way.
const (
	stateIdle          = ""
	stateFilling       = "filling"        // asking the question at Cursor
	stateConfirmValue  = "confirm_value"  // Pending waits for 是 (over the soft maximum)
	stateReview        = "review"         // all answered: 修改 N or 确认提交
	stateConfirmCancel = "confirm_cancel" // paused by 取消填报: 确认清空 discards the draft
	stateUpdate        = "update"         // monthly update: 无变化 or 修改
	stateUpdatePick    = "update_pick"    // monthly update: which sections change
)

// Conversation is what the dialog needs to know, loaded by the caller before the turn.
type Conversation struct {
	Form       *survey.Form
	Enterprise storage.Enterprise
	ContactID  string
	Session    storage.Session
	// Draft is the enterprise's draft for the session's period (or for Period when idle), or
	// nil when there is none. Handle works on a copy: the caller's is left as it was.
	Draft *storage.Draft
	// Submissions are the enterprise's submissions, by period and version. They are only
	// read where NeedsHistory says so; elsewhere the caller may leave them out.
	Submissions []storage.Submission
	// Period is the period of the clock (e.g. 2026-11), the one a new survey is for.
	Period string
	// Tries counts failed replies at the session's cursor so far; the caller keeps it, since
	// a bad reply changes nothing stored.
	Tries int
}

// Result is what one turn does. Commit is false when nothing needs storing (a bad reply, a
// question repeated); then only Replies and Failed matter.
type Result struct {
	Commit     bool
	Session    storage.Session
	Draft      *storage.Draft
	DropDraft  bool
	Submission *storage.Submission
	Replies    []string
	// Failed is true when the reply was rejected; the caller counts it toward Tries.
	Failed bool
}

// Surveying reports whether a session is in the middle of the survey (answering, reviewing or
// updating), as opposed to idle.
func Surveying(s storage.Session) bool { return s.State != stateIdle }

// NeedsHistory reports whether a turn from this session may read the enterprise's
// submissions. Answering a question never does, and that is most turns: the history grows
// every month, and decoding it for each answer would be most of a turn's cost.
func NeedsHistory(s storage.Session, hasDraft bool) bool {
	return !hasDraft || (s.State != stateFilling && s.State != stateConfirmValue)
}

// turn carries one turn's working state, so the handlers below stay small.
type turn struct {
	c     Conversation
	now   time.Time
	raw   string // as typed, for answers: text answers keep their full-width punctuation
	text  string // normalized, for commands
	s     storage.Session
	draft *storage.Draft
	res   Result
	// cache holds the steps of the draft's answers: they are asked for several times a turn
	// and cost a walk of the whole form. setDraft drops it, and so does store when the answer
	// changes the steps.
	cache []survey.Step
}

// steps lists the steps of the draft's answers as they stand.
func (t *turn) steps() []survey.Step {
	if t.cache == nil {
		t.cache = t.c.Form.Steps(t.draft.Answers)
	}
	return t.cache
}

// setDraft replaces the draft the turn works on.
func (t *turn) setDraft(d *storage.Draft) {
	t.draft, t.cache = d, nil
}

// Handle runs one turn. It never panics on any input and never changes anything when the
// reply is rejected.
func Handle(c Conversation, text string, now time.Time) Result {
	t := &turn{c: c, now: now, raw: text, text: survey.Normalize(text), s: c.Session}
	if c.Draft != nil {
		d := *c.Draft
		d.Answers = c.Draft.Answers.Clone()
		t.draft = &d
	}
	t.run()
	return t.res
}

func (t *turn) say(format string, args ...any) {
	t.res.Replies = append(t.res.Replies, fmt.Sprintf(format, args...))
}

// commit marks the turn as changing the session (and the draft when set).
func (t *turn) commit() {
	t.res.Commit = true
	t.s.UpdatedAt = t.now
	t.res.Session = t.s
	t.res.Draft = t.draft
	if t.draft != nil {
		t.draft.UpdatedAt = t.now
		t.draft.UpdatedBy = t.c.ContactID
	}
}

func (t *turn) run() {
	cmd := t.text
	switch t.s.State {
	case stateIdle, stateConfirmCancel:
		t.idle(cmd)
		return
	case stateUpdate, stateUpdatePick:
		t.updating(cmd)
		return
	}
	if t.draft == nil {
		// The draft went away under the session (submitted or cleared by another liaison of
		// the enterprise): start again from what is stored.
		t.s = storage.Session{ContactID: t.s.ContactID, Version: t.s.Version}
		t.say("本期草稿已不存在（可能已由同企业的其他联络人提交或清空）。")
		t.start()
		return
	}
	switch cmd {
	case "帮助", "?", "？":
		t.say("%s", helpText)
		t.ask()
		return
	case "进度":
		t.progress()
		return
	case "查看":
		t.say("%s", t.listAnswers())
		t.ask()
		return
	case "取消填报", "取消", "退出":
		t.s.State = stateConfirmCancel
		t.commit()
		t.say("已暂停填报，已填的答案都保存着。回复“填报”继续；如要清空本期草稿重新开始，回复“确认清空”。")
		return
	case "填报":
		t.ask()
		return
	}
	switch t.s.State {
	case stateFilling:
		t.filling(cmd)
	case stateConfirmValue:
		t.confirmValue(cmd)
	case stateReview:
		t.review(cmd)
	default:
		// A state this build does not know (an older or newer binary wrote it): start over
		// from the draft, which keeps every answer.
		t.resume()
	}
}

const helpText = "填报时可用的指令：\n" +
	"上一题 — 回到上一题\n跳过 — 跳过选填题\n进度 — 看看填到哪了\n查看 — 查看已填答案\n" +
	"取消填报 — 暂停（答案会保存）\n帮助 — 显示本说明"

const idleHelp = "可用指令：\n填报 — 开始或继续填写《企业创新活动开展情况调查表》\n" +
	"进度 — 本期填报情况\n查看 — 查看最近一次提交的内容\n解绑 — 不再担任联络人\n帮助 — 显示本说明"

func (t *turn) idle(cmd string) {
	switch cmd {
	case "填报", "开始", "开始填报", "继续", "继续填报":
		t.start()
	case "确认清空":
		if t.s.State != stateConfirmCancel || t.draft == nil {
			t.say("没有可清空的草稿。回复“填报”开始填写。")
			return
		}
		t.res.DropDraft = true
		t.s = storage.Session{ContactID: t.s.ContactID, Version: t.s.Version}
		t.setDraft(nil)
		t.commit()
		t.say("本期草稿已清空。需要时回复“填报”重新开始。")
	case "进度":
		t.idleProgress()
	case "查看":
		last := t.latest()
		if last == nil {
			t.say("还没有提交过调查表。回复“填报”开始填写。")
			return
		}
		t.say("【%s】%s 第 %d 版（%s 提交）：\n%s\n\n需要更新时回复“填报”。", t.c.Enterprise.Name, last.Period, last.Version,
			last.SubmittedAt.Format("2006-01-02 15:04"), t.formatAnswers(last.Answers))
	case "帮助", "?", "？":
		t.say("%s", idleHelp)
	default:
		if t.s.State == stateConfirmCancel {
			t.say("填报已暂停，答案都保存着。回复“填报”继续，或“确认清空”清空本期草稿。")
			return
		}
		t.say("您好！回复“填报”开始或继续填写调查表；回复“帮助”查看全部指令。")
	}
}

func (t *turn) latest() *storage.Submission {
	if n := len(t.c.Submissions); n > 0 {
		return &t.c.Submissions[n-1]
	}
	return nil
}

func (t *turn) idleProgress() {
	if t.draft != nil {
		steps := t.steps()
		t.say("本期（%s）草稿已填 %d/%d 题，尚未提交。回复“填报”继续。", t.draft.Period, answered(steps, t.draft.Answers), len(steps))
		return
	}
	if last := t.latest(); last != nil && last.Period == t.c.Period {
		t.say("本期（%s）已提交第 %d 版（%s）。如有变化，回复“填报”修改。", last.Period, last.Version, last.SubmittedAt.Format("01-02 15:04"))
		return
	}
	t.say("本期（%s）还没有填报。回复“填报”开始。", t.c.Period)
}

// start begins or resumes a survey.
func (t *turn) start() {
	if t.draft != nil {
		t.resume()
		return
	}
	last := t.latest()
	if last == nil {
		t.setDraft(&storage.Draft{EnterpriseID: t.c.Enterprise.ID, Period: t.c.Period, Answers: survey.Answers{}})
		t.s = storage.Session{ContactID: t.s.ContactID, Version: t.s.Version, EnterpriseID: t.c.Enterprise.ID, Period: t.c.Period}
		t.say("开始填写《企业创新活动开展情况调查表》（%s，%s）。一次回答一题，随时可回复“帮助”。", t.c.Enterprise.Name, t.c.Period)
		t.goTo(t.firstOpen(""))
		return
	}
	t.s = storage.Session{ContactID: t.s.ContactID, Version: t.s.Version, State: stateUpdate, EnterpriseID: t.c.Enterprise.ID, Period: t.c.Period}
	t.commit()
	x := t.c.Form.Facts(last.Answers)
	if last.Period == t.c.Period {
		t.say("本期（%s）已于 %s 提交第 %d 版：\n%s\n要修改并提交新版本，回复“修改”；不改回复“取消”。",
			last.Period, last.SubmittedAt.Format("01-02 15:04"), last.Version, summary(x))
		return
	}
	t.say("上期（%s）填报的关键数据：\n%s\n本期（%s）如果没有变化，回复“无变化”直接提交；有变化回复“修改”。",
		last.Period, summary(x), t.c.Period)
}

// summary is the short form of a survey's key figures, used in receipts and monthly updates.
func summary(x survey.Facts) string {
	yn := func(b bool) string {
		if b {
			return "有"
		}
		return "无"
	}
	return fmt.Sprintf("研发机构：%s（%d 个）\n研发项目：%s（%d 个）\n研发人员：%s 人，研发费用：%s 万元\n创新活动：%s（其他创新活动 %d 项）",
		yn(x.HasInstitution), x.Institutions, yn(x.HasRD), x.Projects,
		survey.FormatNumber(x.RDStaff), survey.FormatNumber(x.RDCost), yn(x.HasInnovation), x.Activities)
}

// updating handles the monthly-update questions, which come before any draft exists.
func (t *turn) updating(cmd string) {
	switch cmd {
	case "取消", "取消填报", "退出":
		t.s = storage.Session{ContactID: t.s.ContactID, Version: t.s.Version}
		t.commit()
		t.say("好的，已取消，没有改动任何内容。需要时回复“填报”。")
		return
	case "帮助", "?", "？", "填报":
		if t.s.State == stateUpdatePick {
			t.say("%s", t.sectionMenu())
			return
		}
		t.say("本期如果没有变化，回复“无变化”直接提交；有变化回复“修改”；不填了回复“取消”。")
		return
	}
	if t.s.State == stateUpdatePick {
		t.updatePick(cmd)
		return
	}
	t.update(cmd)
}

func (t *turn) update(cmd string) {
	last := t.latest()
	switch {
	case last == nil:
		t.s.State = stateIdle
		t.start()
	case cmd == "无变化" && last.Period == t.c.Period:
		t.say("本期已提交，无需重复提交。有变化请回复“修改”，否则回复“取消”。")
	case cmd == "无变化":
		t.setDraft(&storage.Draft{EnterpriseID: t.c.Enterprise.ID, Period: t.c.Period, Answers: last.Answers.Clone()})
		t.submit("已按上期内容提交。")
	case cmd == "修改":
		t.s.State = stateUpdatePick
		t.commit()
		t.say("%s", t.sectionMenu())
	default:
		t.say("请回复“无变化”或“修改”。")
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

func (t *turn) updatePick(cmd string) {
	last := t.latest()
	titles := make([]string, len(t.c.Form.Sections))
	for i, s := range t.c.Form.Sections {
		titles[i] = s.Title
	}
	picks, err := survey.ParseMulti(cmd, titles)
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
	// Only what is asked again needs last period's answer beside it (上期); the rest is
	// carried in Answers itself.
	carried := survey.Answers{}
	for k, v := range last.Answers {
		if _, kept := answers[k]; !kept {
			carried[k] = v
		}
	}
	t.setDraft(&storage.Draft{EnterpriseID: t.c.Enterprise.ID, Period: t.c.Period, Answers: answers, Carried: carried})
	t.say("好的，只重新填写选中的部分，其余沿用上期。")
	t.goTo(t.firstOpen(""))
}

// resume puts the liaison back at the question they were on.
func (t *turn) resume() {
	if t.draft == nil {
		t.s = storage.Session{ContactID: t.s.ContactID, Version: t.s.Version}
		t.start()
		return
	}
	if t.s.State == stateIdle || t.s.State == stateConfirmCancel {
		t.s.State = stateFilling
		if t.s.EnterpriseID == "" {
			t.s.EnterpriseID, t.s.Period = t.draft.EnterpriseID, t.draft.Period
		}
		t.say("继续填写（%s）。", t.draft.Period)
	}
	if t.s.State == stateReview {
		t.goTo("")
		return
	}
	t.goTo(t.s.Cursor)
}

// goTo asks the step with the given key, or the review when the key is empty or gone and
// nothing is left open.
func (t *turn) goTo(key string) {
	steps := t.steps()
	if key == "" || indexOf(steps, key) < 0 {
		key = t.firstOpen("")
	}
	if key == "" {
		t.s.State, t.s.Cursor, t.s.Pending = stateReview, "", nil
		t.commit()
		t.say("%s", t.reviewText())
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
	if t.s.State == stateReview {
		t.say("%s", t.reviewText())
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
		b.WriteString("\n上期：" + st.Format(v))
	}
	if st.Optional() {
		b.WriteString("\n（选填，可回复“跳过”）")
	}
	if t.s.State == stateConfirmValue && t.s.Pending != nil {
		b.WriteString("\n（请先确认上面的数值）")
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

func (t *turn) filling(cmd string) {
	st, ok := t.current()
	if !ok {
		t.goTo("")
		return
	}
	switch cmd {
	case "上一题", "上一个", "返回":
		steps := t.steps()
		i := indexOf(steps, st.Key)
		if i <= 0 {
			t.say("已经是第一题了。")
			t.ask()
			return
		}
		t.s.Cursor = steps[i-1].Key
		t.commit()
		t.ask()
		return
	case "跳过":
		if !st.Optional() {
			t.res.Failed = true
			t.say("这一题必须填写，不能跳过。%s", st.Expect())
			t.ask()
			return
		}
		t.store(st, survey.Value{Skipped: true})
		return
	}
	v, confirm, err := st.Parse(t.raw)
	if err != nil {
		t.reject(st, err)
		return
	}
	if confirm {
		t.s.State, t.s.Pending = stateConfirmValue, &v
		t.commit()
		t.say("您填的是 %s，数值偏大。确认无误请回复“确认”；填错了请直接发送正确的数字。", st.Format(v))
		return
	}
	t.store(st, v)
}

// reject answers a reply that could not be used: what is expected, and after three tries,
// plainly what would be accepted.
func (t *turn) reject(st survey.Step, err error) {
	t.res.Failed = true
	if t.c.Tries+1 >= 3 {
		msg := "这一题还没能识别您的回复。" + st.Expect()
		if st.Optional() {
			msg += "不清楚的话可以回复“跳过”，以后再补。"
		} else {
			msg += "也可以先回复“取消填报”暂停，问清楚后再回复“填报”继续。"
		}
		t.say("%s", msg)
	} else {
		t.say("%s", reason(err))
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

func (t *turn) confirmValue(cmd string) {
	st, ok := t.current()
	if !ok || t.s.Pending == nil {
		t.goTo("")
		return
	}
	switch cmd {
	case "确认", "是", "是的", "对", "确定", "没错":
		v := *t.s.Pending
		t.s.Pending = nil
		t.store(st, v)
		return
	}
	v, confirm, err := st.Parse(t.raw)
	if err != nil {
		t.res.Failed = true
		t.say("请回复“确认”保留 %s，或直接发送正确的数字。", st.Format(*t.s.Pending))
		return
	}
	if confirm {
		t.s.Pending = &v
		t.commit()
		t.say("您填的是 %s，数值偏大。确认无误请回复“确认”；填错了请直接发送正确的数字。", st.Format(v))
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
	echo := ""
	switch st.Kind() {
	case survey.Number, survey.Choice, survey.Multi:
		echo = "已记：" + st.Format(v)
	}
	if echo != "" {
		t.say("%s", echo)
	}
	t.goTo(t.firstOpen(st.Key))
}

func (t *turn) reviewText() string {
	return "全部答完了，请核对：\n" + t.formatAnswers(t.draft.Answers) +
		"\n\n无误请回复“确认提交”；要改第几项回复“修改 N”，例如 修改 3。"
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

func (t *turn) review(cmd string) {
	if cmd == "确认提交" || cmd == "提交" {
		if key := t.firstOpen(""); key != "" {
			t.say("还有未答的题目，先把它答完。")
			t.goTo(key)
			return
		}
		t.submit("")
		return
	}
	if rest, ok := strings.CutPrefix(cmd, "修改"); ok {
		steps := t.steps() // the numbering of the review
		n, err := strconv.Atoi(strings.TrimSpace(rest))
		if err != nil || n < 1 || n > len(steps) {
			t.res.Failed = true
			t.say("请回复“修改”加题号，题号在 1 到 %d 之间，例如 修改 3。", len(steps))
			return
		}
		t.s.State, t.s.Cursor = stateFilling, steps[n-1].Key
		t.commit()
		t.ask()
		return
	}
	t.res.Failed = true
	t.say("请回复“确认提交”提交；要改某一项回复“修改 N”，例如 修改 3。")
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
		SubmittedBy:  t.c.ContactID,
		SubmittedAt:  t.now,
	}
	sub.Facts = t.c.Form.Facts(sub.Answers)
	t.res.Submission = &sub
	t.res.DropDraft = true
	t.setDraft(nil)
	t.s = storage.Session{ContactID: t.s.ContactID, Version: t.s.Version}
	t.commit()
	t.say("%s✅ 提交成功（回执）\n企业：%s\n期别：%s\n版本：第 %d 版\n时间：%s\n%s\n下月需要更新时，回复“填报”即可。",
		note, t.c.Enterprise.Name, sub.Period, sub.Version, t.now.Format("2006-01-02 15:04"), summary(sub.Facts))
}

func (t *turn) progress() {
	steps := t.steps()
	n := answered(steps, t.draft.Answers)
	if t.s.State == stateReview {
		t.say("已全部答完（%d 题），等待您确认提交。", n)
		t.ask()
		return
	}
	t.say("本期（%s）已答 %d/%d 题。", t.draft.Period, n, len(steps))
	t.ask()
}
