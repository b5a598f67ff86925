package assistant

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"innobot/bot"
	"innobot/ledger"
	"innobot/period"
	"innobot/storage"
)

// NudgeResult is what 提醒 未填报 did.
type NudgeResult struct {
	// Sent counts the liaisons nudged now; Already those nudged earlier the same day, who
	// are not nudged twice.
	Sent, Already int
	// Unbound are the lagging enterprises with no liaison bound: nobody the bot can reach.
	Unbound []string
	// Messages are the nudges, for the command to queue with its reply.
	Messages []storage.OutboxMessage
}

// NudgeFunc builds the 提醒 未填报 nudges for the lagging liaisons of a region ("" for the
// whole city), for the command to queue with its reply; the reminders engine provides it.
type NudgeFunc func(ctx context.Context, region string, now time.Time) (NudgeResult, error)

// listLimit bounds lists in a chat reply; longer ones point to the exported file.
const listLimit = 30

// officeCommands are the staff's ledger commands (progress, lists, lookups, exports, notes, nudges).
func (s *Service) officeCommands() []*command {
	return []*command{
		{name: "进度", keys: [][]string{{"进度"}}, month: true, roles: ledgerReaders, where: anyChat, target: optionalRegion, audit: "query",
			help: "进度 [地区] [月份] — 填报进度，如 进度 盐湖、盐湖区进度、进度 2026年10月", run: s.progressCmd},
		{name: "进度图", keys: [][]string{{"进度", "图"}}, month: true, roles: ledgerReaders, where: anyChat, target: optionalRegion, audit: "query",
			help: "进度图 [地区] [月份] — 填报进度（图片）", run: s.progressChartCmd},
		{name: "未填报", keys: [][]string{{"未填报"}}, month: true, roles: ledgerReaders, where: anyChat, target: optionalRegion, audit: "query",
			help: "未填报 [地区] [月份] — 还没填报的企业", run: s.listCmd(ledger.FormatLagging)},
		{name: "销号", keys: [][]string{{"销号"}}, month: true, roles: staffRoles, where: privateOnly, target: optionalRegion, audit: "query",
			help: "销号 [地区] [月份] — 新开展创新活动的企业", run: s.listCmd(ledger.FormatTickedOff)},
		{name: "查询", words: []string{"查", "查看", "查一下", "搜索", "搜"}, roles: staffRoles, where: privateOnly, target: requireCompany, audit: "query",
			help: "查询 企业名关键词 — 某家企业的填报情况", run: s.lookupCmd},
		{name: "导出 台账", keys: [][]string{{"台账"}, {"导出", "台账"}}, month: true, roles: staffRoles, where: privateOnly, target: optionalRegion, audit: "export",
			help: "导出 台账 [地区] [月份] — 附件2 汇总统计表（Excel），如 导出台账、导出 台账 2026年11月", run: s.exportLedger},
		{name: "导出 调查表", words: []string{"调查表", "导出附件3", "附件3", "导出附件三", "附件三"}, month: true, roles: staffRoles, where: privateOnly, target: requireCompany, audit: "export",
			help: "导出 调查表 企业名 [月份] — 该企业的附件3 调查表（Excel）", run: s.exportSurvey},
		{name: "导出 月报", keys: [][]string{{"月报"}, {"导出", "月报"}}, month: true, roles: officeRoles, where: privateOnly, target: optionalRegion, audit: "export",
			help: "导出 月报 [月份] — 月报（工作进展、进度汇总、销号、未填报、附件2）", run: s.exportMonthly},
		{name: "月报 进展", words: []string{"月报工作进展", "工作进展", "本月工作进展", "本期工作进展"}, freeText: true, roles: officeRoles, where: privateOnly, audit: "note",
			help: "月报 进展 文字 — 写入本期月报的“工作进展”", run: s.noteCmd(false)},
		{name: "月报 问题", words: []string{"月报存在问题", "存在问题", "本月存在问题", "本期存在问题"}, freeText: true, roles: officeRoles, where: privateOnly, audit: "note",
			help: "月报 问题 文字 — 写入本期月报的“存在问题”", run: s.noteCmd(true)},
		{name: "提醒 未填报", keys: [][]string{{"提醒"}, {"提醒", "未填报"}}, roles: officeRoles, where: privateOnly, target: optionalRegion, audit: "nudge",
			help: "提醒 未填报 — 立即私信提醒本地区未填报的联络人（每人每天一次）", run: s.nudgeCmd},
		{name: "填表人", words: []string{"修改填表人", "设置填表人", "填表人信息"}, freeText: true, details: true, roles: staffRoles, where: privateOnly, audit: "details",
			help: "填表人 姓名 电话 — 导出表格时的填表人和联系方式", run: s.detailsCmd},
	}
}

// period is the reporting month of now.
func (s *Service) period() string { return s.Periods.Of(s.Clock.Now()) }

// Warm reads once what 进度 reads, for the whole city this month, so that the first person to
// ask after a start does not wait while the store builds its lists: at 50,000 enterprises that
// takes about a second, half of the reply deadline.
func (s *Service) Warm(ctx context.Context) error {
	_, err := ledger.Progress(ctx, s.Store, ledger.City(), s.period(), s.Regions)
	return err
}

// report computes the ledger of a scope for a period.
func (s *Service) report(ctx context.Context, scope Scope, period string) (ledger.Report, error) {
	rep, err := ledger.Progress(ctx, s.Store, scope.Scope, period, s.Regions)
	if err != nil {
		return ledger.Report{}, fmt.Errorf("ledger of %s for %s: %w", scope.label(), period, err)
	}
	rep.Location = s.Location
	return rep, nil
}

func (s *Service) progressCmd(ctx context.Context, w bot.Replier, r *Request) error {
	rep, err := s.report(ctx, r.Scope, r.Month)
	if err != nil {
		return err
	}
	w.Reply(ledger.FormatProgress(rep))
	return nil
}

// progressChartCmd sends the progress as a picture: a bar per region, or per enterprise for
// a helper, after a line with the period, the totals and what to send next.
func (s *Service) progressChartCmd(ctx context.Context, w bot.Replier, r *Request) error {
	rep, err := s.report(ctx, r.Scope, r.Month)
	if err != nil {
		return err
	}
	now := s.Clock.Now()
	caption := ledger.Chart(rep, now).Caption
	if rep.Total.Submitted < rep.Total.Enterprises {
		send := "发送"
		if r.Msg.Group != "" {
			send = "在群里 @我 发送"
		}
		caption += "还没填报的企业，" + send + "“未填报”查看。"
	}
	return s.sendFile(w, "进度图", caption, func(dir string) (string, error) { return ledger.SaveChart(dir, rep, now) })
}

// listCmd replies with a list of the requested scope's enterprises for the month (未填报 with
// ledger.FormatLagging, 销号 with ledger.FormatTickedOff), phones only where the scope shows them.
func (s *Service) listCmd(format func(ledger.Report, ledger.TextOptions) string) func(ctx context.Context, w bot.Replier, r *Request) error {
	return func(ctx context.Context, w bot.Replier, r *Request) error {
		rep, err := s.report(ctx, r.Scope, r.Month)
		if err != nil {
			return err
		}
		w.Reply(format(rep, ledger.TextOptions{WithPhones: r.Scope.Phones, Limit: listLimit}))
		return nil
	}
}

// lookupCmd shows one enterprise: where its survey stands and who to call.
func (s *Service) lookupCmd(ctx context.Context, w bot.Replier, r *Request) error {
	e := *r.Target.Enterprise
	rep, err := s.report(ctx, Scope{Scope: ledger.Helper(e.ID), Phones: r.Scope.Phones}, s.period())
	if err != nil {
		return err
	}
	if len(rep.Entries) != 1 {
		return fmt.Errorf("lookup of %s: %d entries in its ledger", e.ID, len(rep.Entries))
	}
	x := rep.Entries[0]
	var b strings.Builder
	fmt.Fprintf(&b, "【%s】（%s）\n", e.Name, e.Region)
	switch {
	case x.Head == nil:
		b.WriteString("还没有提交过调查表。")
	case x.Submitted:
		fmt.Fprintf(&b, "本期（%s）已填报：第 %d 版，%s 提交。", period.Label(rep.Period), x.Head.Version, x.Head.SubmittedAt.In(s.Location).Format("01-02 15:04"))
	default:
		fmt.Fprintf(&b, "本期（%s）未填报；最近一次是 %s。", period.Label(rep.Period), period.Label(x.Head.Period))
	}
	if x.Head != nil {
		f := x.Head.Facts
		fmt.Fprintf(&b, "\n研发机构：%s，研发活动：%s，创新活动：%s", yesNo(f.HasInstitution), yesNo(f.HasRD), yesNo(f.HasInnovation))
	}
	b.WriteString("\n" + ledger.LiaisonText(x, r.Scope.Phones))
	if !x.LiaisonBound && slices.Contains(officeRoles, r.Contact.Role) {
		fmt.Fprintf(&b, "（发送“邀请码 %s”为其生成邀请码）", e.Name)
	}
	if e.Helper != "" {
		b.WriteString("；对口帮扶人：" + e.Helper)
		if r.Scope.Phones && e.HelperTel != "" {
			b.WriteString(" " + e.HelperTel)
		}
	}
	if x.Head != nil {
		fmt.Fprintf(&b, "\n导出调查表：导出 调查表 %s", e.Name)
	}
	w.Reply(b.String())
	return nil
}

func yesNo(b bool) string {
	if b {
		return "有"
	}
	return "无"
}

// exportDir makes a fresh folder for one export, so two people exporting the same table at
// once never write the same file.
func (s *Service) exportDir() (string, error) {
	if err := os.MkdirAll(s.ExportDir, 0o750); err != nil {
		return "", fmt.Errorf("export dir: %w", err)
	}
	dir, err := os.MkdirTemp(s.ExportDir, s.Clock.Now().In(s.Location).Format(exportDirLayout))
	if err != nil {
		return "", fmt.Errorf("export dir: %w", err)
	}
	return dir, nil
}

// sendExport writes a file with save and replies with it.
func (s *Service) sendExport(w bot.Replier, what string, save func(dir string) (string, error)) error {
	return s.sendFile(w, what, fmt.Sprintf("%s已生成，请查收文件。", what), save)
}

// sendFile writes a file with save into a fresh export folder and replies with the caption,
// then the file: a chat shows a file by its name alone, so the text says what it is.
func (s *Service) sendFile(w bot.Replier, what, caption string, save func(dir string) (string, error)) error {
	dir, err := s.exportDir()
	var path string
	if err == nil {
		path, err = save(dir)
	}
	if err != nil {
		return fmt.Errorf("export %s: %w", what, err)
	}
	w.Reply(caption)
	w.ReplyFile(path)
	return nil
}

func (s *Service) exportLedger(ctx context.Context, w bot.Replier, r *Request) error {
	if err := s.askPreparer(w, r); err != nil {
		return err
	}
	rep, err := s.report(ctx, r.Scope, r.Month)
	if err != nil {
		return err
	}
	o := ledger.LedgerOptions{Preparer: r.Contact.Person, Phone: r.Contact.Mobile}
	return s.sendExport(w, fmt.Sprintf("%s %s附件2 汇总统计表", rep.Area, period.Label(r.Month)), func(dir string) (string, error) {
		return ledger.SaveLedger(dir, rep, o)
	})
}

func (s *Service) exportSurvey(ctx context.Context, w bot.Replier, r *Request) error {
	e := *r.Target.Enterprise
	subs, err := s.Store.Submissions(ctx, e.ID)
	if err != nil {
		return fmt.Errorf("export survey of %s: %w", e.ID, err)
	}
	sub, ok := ledger.LatestSubmission(subs, r.Month)
	switch {
	case !ok && r.Month != s.period():
		w.Reply(fmt.Sprintf("【%s】在%s及以前没有提交过调查表。", e.Name, period.Label(r.Month)))
		return nil
	case !ok:
		next := "请联系该企业联络人尽快填报。"
		if slices.Contains(officeRoles, r.Contact.Role) {
			next = "可发送“提醒 未填报”提醒联络人。" // a helper has no right to nudge
		}
		w.Reply(fmt.Sprintf("【%s】还没有提交过调查表。%s", e.Name, next))
		return nil
	}
	return s.sendExport(w, fmt.Sprintf("【%s】调查表（%s 第 %d 版）", e.Name, period.Label(sub.Period), sub.Version), func(dir string) (string, error) {
		return ledger.SaveSurvey(dir, s.Form, e, sub)
	})
}

func (s *Service) exportMonthly(ctx context.Context, w bot.Replier, r *Request) error {
	if err := s.askPreparer(w, r); err != nil {
		return err
	}
	rep, err := s.report(ctx, r.Scope, r.Month)
	if err != nil {
		return err
	}
	notes, err := s.Store.MonthlyNotes(ctx, r.Month)
	if err != nil {
		return fmt.Errorf("monthly notes of %s: %w", r.Month, err)
	}
	o := ledger.MonthlyOptions{Preparer: r.Contact.Person, Phone: r.Contact.Mobile, Date: s.Clock.Now(), Notes: ledger.NotesOf(notes, rep.Scope)}
	return s.sendExport(w, fmt.Sprintf("%s %s月报", rep.Area, period.Label(r.Month)), func(dir string) (string, error) {
		return ledger.SaveMonthly(dir, rep, o)
	})
}

// askPreparer asks the staff member for the 填表人 and 联系方式 an export is signed with, once:
// they are kept with their role. It returns needDetails while they are missing.
func (s *Service) askPreparer(w bot.Replier, r *Request) error {
	if r.Contact.Person != "" && r.Contact.Mobile != "" {
		return nil
	}
	w.Reply("导出的表格要写上填表人和联系方式（只需告诉我一次，之后自动填写）。\n请回复姓名和电话，例如：王芳 13912345678\n（办公电话也可以，如 0359-2688888；以后要改，发送“填表人 姓名 电话”）")
	return needDetails{}
}

// detailsCmd keeps the 填表人 and 联系方式 the staff member gave.
func (s *Service) detailsCmd(ctx context.Context, w bot.Replier, r *Request) error {
	name, phone, problem := parseDetails(r.Args)
	switch {
	case r.Args == "" && r.Contact.Person != "":
		problem = fmt.Sprintf("现在的填表人：%s，联系方式：%s。要修改请发送：填表人 姓名 电话", r.Contact.Person, r.Contact.Mobile)
	case r.Args == "":
		// Asked for them: the bare "姓名 电话" that follows is the answer.
		w.Reply("请写上姓名和电话，例如：王芳 13912345678")
		return needDetails{}
	}
	if problem != "" {
		w.Reply(problem)
		return errBadArgs
	}
	// Not with the message's answer: an export waiting for these details runs next and adds
	// its file to the replies, which the router stores once the message is done. Written
	// again, the same details change nothing.
	if _, err := s.Store.SetContactDetails(ctx, r.Contact.ID, name, phone, storage.Answer{}); err != nil {
		return fmt.Errorf("set details of %s: %w", r.Contact.ID, err)
	}
	r.detail = "填表人 " + name
	w.Reply(fmt.Sprintf("已记下：填表人 %s，联系方式 %s。导出的附件2 和月报都会这样填写。", name, phone))
	return nil
}

// noteCmd keeps the text of the 工作进展 (or, with problems, 存在问题) part of the sender's
// 月报 for the period being reported: a county's for its region, the city office's for the
// city. It takes no month: the period being reported is the month whose report is due next,
// so until November's deadline (4 or 5 December) a note is November's, which is when a clerk
// writes and amends it; once the deadline has passed that 月报 has been sent, and exporting it
// again shows the notes it was sent with. A month typed in the text (11月走访企业 5 家) is
// part of the note.
func (s *Service) noteCmd(problems bool) func(ctx context.Context, w bot.Replier, r *Request) error {
	part, word, example := "工作进展", "进展", "月报 进展 本月走访企业 15 家，组织培训 2 次"
	if problems {
		part, word, example = "存在问题", "问题", "月报 问题 部分企业没有专职科技人员"
	}
	return func(ctx context.Context, w bot.Replier, r *Request) error {
		region, area := "", ledger.CityName
		if r.Contact.Role == storage.RoleCounty {
			region, area = r.Contact.Region, r.Contact.Region
		}
		notes, err := s.Store.MonthlyNotes(ctx, r.Month)
		if err != nil {
			return fmt.Errorf("monthly notes of %s: %w", r.Month, err)
		}
		n := storage.MonthlyNote{Period: r.Month, Region: region}
		for _, x := range notes {
			if x.Region == region {
				n = x
			}
		}
		field := &n.Progress
		if problems {
			field = &n.Problems
		}
		text := strings.TrimSpace(r.Args)
		switch {
		case text == "" && *field == "":
			w.Reply(fmt.Sprintf("%s%s月报的“%s”还没有写。请发送，例如：%s", area, period.Label(r.Month), part, example))
			return errBadArgs
		case text == "":
			w.Reply(fmt.Sprintf("%s%s月报的“%s”现在是：\n%s\n要修改，发送“月报 %s 新的内容”。", area, period.Label(r.Month), part, *field, word))
			return nil
		case utf8.RuneCountInString(text) > maxNoteRunes:
			w.Reply(fmt.Sprintf("内容太长（%d 字），请精简到 %d 字以内再发。", utf8.RuneCountInString(text), maxNoteRunes))
			return errBadArgs
		}
		*field = text
		n.UpdatedBy, n.UpdatedAt = r.Contact.ID, s.Clock.Now()
		r.detail = fmt.Sprintf("月报 %s %s", part, period.Label(r.Month))
		w.Reply(fmt.Sprintf("已记下%s%s月报的“%s”（%d 字），导出月报时写入。再发一次会替换它；发送“导出 月报”查看。",
			area, period.Label(r.Month), part, utf8.RuneCountInString(text)))
		return store(w, func(a storage.Answer) error {
			if err := s.Store.PutMonthlyNote(ctx, n, a); err != nil {
				return fmt.Errorf("put monthly note: %w", err)
			}
			return nil
		})
	}
}

// maxNoteRunes bounds a note: a paragraph or two of a printed report.
const maxNoteRunes = 1000

func (s *Service) nudgeCmd(ctx context.Context, w bot.Replier, r *Request) error {
	if s.Nudge == nil {
		w.Reply("提醒功能没有开启（配置里没有截止日期）。请联系系统管理员在配置中填写截止日期；现在可发送“未填报”查看名单后逐一联系。")
		return refuse(storage.OutcomeRefused, "no deadlines configured")
	}
	region := ""
	if r.Scope.Kind == ledger.ScopeRegion {
		region = r.Scope.Region
	}
	res, err := s.Nudge(ctx, region, s.Clock.Now())
	if err != nil {
		return fmt.Errorf("nudge %q: %w", region, err)
	}
	w.Reply(nudgeText(r.Scope.words(), period.Label(r.Month), res))
	if len(res.Messages) == 0 {
		return nil
	}
	return store(w, func(a storage.Answer) error {
		a.Messages = append(a.Messages, res.Messages...)
		if err := s.Store.Answer(ctx, a); err != nil {
			return fmt.Errorf("queue nudges: %w", err)
		}
		return nil
	})
}

// nudgeText says what 提醒 未填报 did, and who it could not reach.
func nudgeText(area, month string, res NudgeResult) string {
	var b strings.Builder
	switch {
	case res.Sent > 0:
		fmt.Fprintf(&b, "已排队私信提醒 %d 位联络人（%s本期 %s），将按节奏陆续发出。", res.Sent, area, month)
	case res.Already == 0 && len(res.Unbound) == 0:
		fmt.Fprintf(&b, "%s本期（%s）的企业都已填报，没有需要提醒的联络人。", area, month)
		return b.String()
	case res.Already == 0:
		b.WriteString("没有可以私信提醒的联络人。")
	default:
		b.WriteString("这次没有发出新的提醒。")
	}
	if res.Already > 0 {
		fmt.Fprintf(&b, "\n%d 位联络人今天已经提醒过，每人每天只提醒一次。", res.Already)
	}
	if n := len(res.Unbound); n > 0 {
		names := res.Unbound
		more := ""
		if n > 20 {
			names, more = names[:20], fmt.Sprintf("等 %d 家", n)
		}
		fmt.Fprintf(&b, "\n以下 %d 家企业没有绑定联络人，无法提醒：%s%s。可发送“邀请码 企业名”生成邀请码，请企业联络人绑定。",
			n, strings.Join(names, "、"), more)
	}
	b.WriteString("\n稍后可发送“进度”查看填报情况。")
	return b.String()
}
