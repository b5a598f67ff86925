package dialog

import (
	"strings"

	"innobot/period"
	"innobot/storage"
	"innobot/survey"
)

// idle answers a liaison with no survey under way (or one paused by 取消填报).
func (t *turn) idle() {
	paused := t.s.State == stateConfirmCancel
	switch t.cmd.kind {
	case cmdStart:
		t.start()
	case cmdClear:
		if !paused || t.draft == nil {
			t.fail("%s", t.vary("没有可清空的草稿。回复“填报”开始填写。", "现在没有草稿要清空。需要填写时回复“填报”。"))
			return
		}
		sub := t.editing()
		t.res.DropDraft = true
		t.s = t.reset()
		t.setDraft(nil)
		t.commit()
		if sub != nil {
			t.say("修改的草稿已清空，本期（%s）仍以已提交的第 %d 版为准。", period.Label(sub.Period), sub.Version)
			return
		}
		t.say("本期草稿已清空。需要时回复“填报”重新开始。")
	case cmdProgress:
		t.idleProgress()
	case cmdView:
		t.viewLast()
	case cmdHelp:
		t.say("%s", idleHelp)
	case cmdUnchanged:
		t.unchanged()
	case cmdEdit, cmdEditAll, cmdAdd, cmdDelete:
		if t.draft != nil {
			t.s.State = stateFilling
			t.resumeWith()
			return
		}
		t.fromSubmission()
	case cmdContact:
		t.askContact()
	case cmdWithdraw:
		if t.latest() == nil {
			t.fail("还没有提交过调查表，没有可撤回的。回复“填报”开始填写。")
			return
		}
		t.fail("已提交的调查表不能撤回，每次提交都留档。内容有误请回复“修改 N”改正（N 见“查看”），确认后会提交为新的一版。")
	default:
		if t.explainForm("填报时回复“填报”开始。") {
			return
		}
		thanks := survey.IsChatter(t.raw) && strings.Contains(t.raw, "谢")
		if thanks || t.cmd.kind == cmdYes {
			// Thanks or 好的 after a reply is no mistake: say only what to send when needed.
			ack := "好的。"
			if thanks {
				ack = "不客气。"
			}
			if paused {
				t.say("%s答案都保存着，需要时回复“填报”继续。", ack)
				return
			}
			t.say("%s需要时回复“填报”；回复“帮助”可看全部指令。", ack)
			return
		}
		if paused {
			t.fail("%s", t.vary("填报已暂停，答案都保存着。回复“填报”继续，或“确认清空”清空本期草稿。",
				"您的草稿还在，回复“填报”就能接着填；要重新开始请回复“确认清空”。"))
			return
		}
		t.fail("%s", t.vary("您好！回复“填报”开始或继续填写调查表；和上期一样回复“无变化”；回复“帮助”查看全部指令。",
			"没有识别这条消息。填调查表请回复“填报”；查看全部指令请回复“帮助”。",
			"我是调查表填报助手，只能处理填报。请回复“填报”，或回复“帮助”看看还能做什么。"))
	}
}

// resumeWith resumes a paused draft and then acts on the command that woke it (修改 N …).
func (t *turn) resumeWith() {
	if t.s.EnterpriseID == "" {
		t.s.EnterpriseID, t.s.Period = t.draft.EnterpriseID, t.draft.Period
	}
	switch t.cmd.kind {
	case cmdEdit:
		if t.jump() {
			return
		}
	case cmdAdd, cmdDelete:
		t.rows()
		return
	}
	t.resume()
}

func (t *turn) latest() *storage.Submission {
	if n := len(t.c.Submissions); n > 0 {
		return &t.c.Submissions[n-1]
	}
	return nil
}

func (t *turn) viewLast() {
	last := t.latest()
	if last == nil {
		t.say("还没有提交过调查表。回复“填报”开始填写。")
		return
	}
	t.say("【%s】%s 第 %d 版（%s 提交）：\n%s\n\n要改哪一项回复“修改 N”，例如 修改 3；和上期一样回复“无变化”。", t.c.Enterprise.Name,
		period.Label(last.Period), last.Version, t.clock(last.SubmittedAt), t.formatAnswers(last.Answers))
}

// editing is the submission a draft changes when the draft's period is already submitted
// (修改 N after submitting), or nil: such a draft is a new version, and the period stays
// submitted while it waits.
func (t *turn) editing() *storage.Submission {
	if last := t.latest(); last != nil && t.draft != nil && last.Period == t.draft.Period {
		return last
	}
	return nil
}

func (t *turn) idleProgress() {
	if t.draft != nil {
		steps := t.steps()
		n := answered(steps, t.draft.Answers)
		if sub := t.editing(); sub != nil {
			t.say("本期（%s）已提交第 %d 版（%s）；修改的草稿还没有提交（已填 %d/%d 题）。回复“填报”接着改，不改了回复“确认清空”。",
				period.Label(sub.Period), sub.Version, t.clock(sub.SubmittedAt), n, len(steps))
			return
		}
		t.say("本期（%s）草稿已填 %d/%d 题，尚未提交。回复“填报”继续。", period.Label(t.draft.Period), n, len(steps))
		return
	}
	if last := t.latest(); last != nil && last.Period == t.c.Period {
		t.say("本期（%s）已提交第 %d 版（%s）。如有变化，回复“修改 N”或“填报”。", period.Label(last.Period), last.Version, t.clock(last.SubmittedAt))
		return
	}
	t.say("本期（%s）还没有填报。回复“填报”开始。", period.Label(t.c.Period))
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
		t.say("开始填写《企业创新活动开展情况调查表》（%s，%s）。一次回答一题，随时可回复“帮助”；看不懂题目可以直接问。",
			t.c.Enterprise.Name, period.Label(t.c.Period))
		t.goTo(t.firstOpen(""))
		return
	}
	t.s = storage.Session{ContactID: t.s.ContactID, Version: t.s.Version, State: stateUpdate, EnterpriseID: t.c.Enterprise.ID, Period: t.c.Period}
	t.commit()
	if last.Period == t.c.Period {
		t.say("本期（%s）已于 %s 提交第 %d 版：\n%s\n要改某一项回复“修改 N”（N 见“查看”）；按部分重填回复“修改”；不改回复“取消”。",
			period.Label(last.Period), t.clock(last.SubmittedAt), last.Version, t.summary(last.Answers))
		return
	}
	t.say("上期（%s）填报的关键数据：\n%s\n本期（%s）如果没有变化，回复“无变化”直接提交；只改某一项回复“修改 N”（N 见“查看”）；按部分重填回复“修改”。",
		period.Label(last.Period), t.summary(last.Answers), period.Label(t.c.Period))
}

// resume puts the liaison back at the question they were on.
func (t *turn) resume() {
	if t.draft == nil {
		t.s = t.reset()
		t.start()
		return
	}
	if t.s.State == stateIdle || t.s.State == stateConfirmCancel {
		t.s.State = stateFilling
		if t.s.EnterpriseID == "" {
			t.s.EnterpriseID, t.s.Period = t.draft.EnterpriseID, t.draft.Period
		}
		t.say("继续填写（%s）。", period.Label(t.draft.Period))
	}
	if t.s.State == stateReview || t.s.State == stateCheck {
		t.goTo("")
		return
	}
	t.goTo(t.s.Cursor)
}
