// Package dialog is the survey conversation: a pure state machine that takes what is stored
// about a liaison's conversation, one message and the time, and returns what to store and what
// to reply. It does no I/O, so every path through a conversation is a plain table test.
package dialog

import (
	"fmt"
	"time"

	"innobot/period"
	"innobot/storage"
	"innobot/survey"
)

// The states of a Session. The empty state is idle: no survey under way.
const (
	stateIdle          = ""
	stateFilling       = "filling"        // asking the question at Cursor
	stateConfirmValue  = "confirm_value"  // Pending waits for 确认 (over the soft maximum)
	stateConfirmApprox = "confirm_approx" // Pending is the nearest exact figure to an estimate, or a text that begins with 无 (survey.NoneFirst)
	stateConfirmUnit   = "confirm_unit"   // Pending is a bare figure in 万元 that may be 元
	stateCheck         = "check"          // a cross-question check waits: fix or keep (Cursor names it)
	stateReview        = "review"         // all answered: 修改 N or 确认提交
	stateConfirmCancel = "confirm_cancel" // paused by 取消填报: 确认清空 discards the draft
	stateUpdate        = "update"         // monthly update: 无变化, 修改 N or 修改
	stateUpdatePick    = "update_pick"    // monthly update: which sections change
	stateContact       = "contact"        // asking the liaison's name and mobile
)

// Conversation is what the dialog needs to know, loaded by the caller before the turn.
type Conversation struct {
	Form       *survey.Form
	Enterprise storage.Enterprise
	// Contact is the liaison, with the name and mobile they gave (Person, Mobile).
	Contact storage.Contact
	Session storage.Session
	// Draft is the enterprise's draft for the session's period (or for Period when idle), or
	// nil when there is none. Handle works on a copy: the caller's is left as it was.
	Draft *storage.Draft
	// Submissions are the enterprise's submissions a turn reads, by period and version: at
	// least the latest one, and the latest version of the draft's period (the next version
	// is numbered from it), which is what storage.TurnState.History holds.
	Submissions []storage.Submission
	// Period is the period a survey made now reports (e.g. 2026-11): the caller's rule. A
	// draft of an earlier period is moved to it, since that month's report is closed.
	Period string
	// Location is the zone times are shown in (the 回执); nil shows them as given.
	Location *time.Location
	// Tries counts failed replies at the session's cursor so far; the caller keeps it, since
	// a bad reply changes nothing stored.
	Tries int
}

// Details are the name and mobile a liaison gave, for the caller to keep on the contact.
type Details struct{ Person, Mobile string }

// Result is what one turn does. Commit is false when nothing needs storing (a bad reply, a
// question repeated); then only Replies and Failed matter.
type Result struct {
	Commit  bool
	Session storage.Session
	Draft   *storage.Draft
	// DropDraft removes the draft the turn was given (of the session's period), after a
	// submission, a discard or a move to the current period.
	DropDraft  bool
	Submission *storage.Submission
	// Details, when set, are the liaison's new name and mobile; the caller stores them.
	Details *Details
	Replies []string
	// Failed is true when the reply was rejected or not understood; the caller counts it
	// toward Tries, which vary the wording so that no line is sent twice in a row.
	Failed bool
}

// Surveying reports whether a session is in the middle of the survey (answering, reviewing or
// updating), as opposed to idle.
func Surveying(s storage.Session) bool { return s.State != stateIdle && s.State != stateContact }

// turn carries one turn's working state, so the handlers stay small.
type turn struct {
	c     Conversation
	now   time.Time
	raw   string // as typed, for answers: text answers keep their full-width punctuation
	cmd   cmd    // what the words ask, whatever the state
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
	t := &turn{c: c, now: now, raw: text, cmd: parseCmd(text), s: c.Session}
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

// fail says a line that did not move the conversation on, and counts it.
func (t *turn) fail(format string, args ...any) {
	t.res.Failed = true
	t.say(format, args...)
}

// vary picks one of several wordings by the failed tries so far, so that a person who keeps
// sending what is not understood never gets the same line twice in a row.
func (t *turn) vary(lines ...string) string { return lines[t.c.Tries%len(lines)] }

// commit marks the turn as changing the session (and the draft when set).
func (t *turn) commit() {
	t.res.Commit = true
	t.s.UpdatedAt = t.now
	t.res.Session = t.s
	t.res.Draft = t.draft
	if t.draft != nil {
		t.draft.UpdatedAt = t.now
		t.draft.UpdatedBy = t.c.Contact.ID
	}
}

// reset is an idle session of the same contact.
func (t *turn) reset() storage.Session {
	return storage.Session{ContactID: t.s.ContactID, Version: t.s.Version}
}

func (t *turn) run() {
	if t.draft != nil && t.c.Period != "" && t.draft.Period < t.c.Period {
		if t.moveDraft() {
			return
		}
	}
	if t.cmd.kind == cmdFile {
		t.say("可以。把填好的附件3《企业创新活动开展情况调查表》Excel 文件（.xlsx）直接发到这里，我读出来请您核对后再提交。")
		switch t.s.State {
		case stateFilling, stateConfirmValue, stateConfirmApprox, stateConfirmUnit, stateReview, stateCheck:
			if t.draft != nil {
				t.say("也可以接着一题一题回复：")
				t.ask()
			}
		}
		return
	}
	switch t.s.State {
	case stateIdle, stateConfirmCancel:
		t.idle()
		return
	case stateUpdate, stateUpdatePick:
		t.updating()
		return
	case stateContact:
		t.contact()
		return
	}
	if t.draft == nil {
		// The draft went away under the session (submitted or cleared by another liaison of
		// the enterprise): start again from what is stored.
		t.s = t.reset()
		t.say("本期草稿已不存在（可能已由同企业的其他联络人提交或清空）。")
		t.start()
		return
	}
	switch t.cmd.kind {
	case cmdHelp:
		t.say("%s", helpText)
		t.ask()
		return
	case cmdProgress:
		t.progress()
		return
	case cmdView:
		t.say("%s", t.listAnswers())
		if t.s.State == stateReview {
			// The review is the list again: say only what to send.
			t.say("无误请回复“确认”提交；要改某一项回复“修改 N”，例如 修改 3。")
			return
		}
		t.ask()
		return
	case cmdCancel:
		t.s.State = stateConfirmCancel
		t.commit()
		if sub := t.editing(); sub != nil {
			t.say("已暂停修改，改动都保存着，已提交的第 %d 版不受影响。回复“填报”接着改；不改了回复“确认清空”。", sub.Version)
			return
		}
		t.say("已暂停填报，已填的答案都保存着。回复“填报”继续；如要清空本期草稿重新开始，回复“确认清空”。")
		return
	case cmdStart:
		t.ask()
		return
	case cmdContact:
		t.askContact()
		return
	}
	switch t.s.State {
	case stateFilling:
		t.filling()
	case stateConfirmValue, stateConfirmApprox, stateConfirmUnit:
		t.confirming()
	case stateReview:
		t.review()
	case stateCheck:
		t.checking()
	default:
		// A state this build does not know (an older or newer binary wrote it): start over
		// from the draft, which keeps every answer.
		t.resume()
	}
}

// moveDraft moves a draft of a month whose report is closed to the current period, answers
// kept, and tells the liaison. At the review the liaison sees it again before submitting, so
// the message is not read as a submission into the new month; it reports whether the turn
// is over.
func (t *turn) moveDraft() bool {
	old := t.draft.Period
	d := *t.draft
	d.Period = t.c.Period
	t.draft, t.cache = &d, nil
	t.res.DropDraft = true
	t.s.Period = t.c.Period
	if t.s.State == stateIdle {
		t.s.EnterpriseID = t.draft.EnterpriseID
	}
	t.commit()
	t.say("%s的填报已经截止，您的草稿已转到本期（%s）接着填，已填的答案都保留。", period.Label(old), period.Label(t.c.Period))
	switch t.s.State {
	case stateReview, stateCheck:
		t.enterReview()
		return true
	}
	return false
}

const helpText = "填报时可以这样回复：\n" +
	"上一题 — 回到上一题\n跳过 — 跳过选填题（也可回复“无”）\n修改 N — 改第 N 项（N 见“查看”），例如 修改 9 或 改9\n" +
	"进度 — 看看填到哪了\n查看 — 查看已填答案\n看不懂题目可以直接问，例如“研发费用怎么算”\n" +
	"不清楚的题可以回复“取消填报”先暂停（答案会保存），问清楚再回复“填报”\n也可以直接发送填好的附件3 Excel 文件（.xlsx）\n" +
	"修改 联系方式 — 改您的姓名和手机号\n帮助 — 显示本说明"

const idleHelp = "可以这样回复：\n填报 — 开始或继续填写《企业创新活动开展情况调查表》\n" +
	"无变化 — 和上期一样，直接提交本期\n修改 N — 改已提交的第 N 项并提交新版本（N 见“查看”）\n" +
	"添加 研发项目 / 删除 研发项目 2 — 增删一个项目或机构\n进度 — 本期填报情况\n查看 — 查看最近一次提交的内容\n" +
	"也可以直接发送填好的附件3 Excel 文件（.xlsx）\n" +
	"修改 联系方式 — 改您的姓名和手机号\n解绑 — 不再担任联络人\n帮助 — 显示本说明"
