package bot

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"innobot/ledger"
	"innobot/period"
	"innobot/storage"
)

// NudgeFunc queues the 提醒 未填报 nudges for the lagging liaisons of a region ("" for the
// whole city) and returns how many; the reminders engine provides it.
type NudgeFunc func(ctx context.Context, region string, now time.Time) (int, error)

// listLimit bounds lists in a chat reply; longer ones point to the exported file.
const listLimit = 30

// officeCommands are the staff's ledger commands (DESIGN.md §2, office staff).
func (s *Service) officeCommands() []*command {
	return []*command{
		{name: "进度", roles: ledgerReaders, where: anyChat, target: optionalRegion, audit: "query",
			help: "进度 [地区] — 本期填报进度", run: s.progressCmd},
		{name: "进度图", roles: ledgerReaders, where: anyChat, target: optionalRegion, audit: "query",
			help: "进度图 [地区] — 本期填报进度（图片）", run: s.progressChartCmd},
		{name: "进度 图", roles: ledgerReaders, where: anyChat, target: optionalRegion, audit: "query", run: s.progressChartCmd},
		{name: "未填报", roles: ledgerReaders, where: anyChat, target: optionalRegion, audit: "query",
			help: "未填报 [地区] — 本期还没填报的企业", run: s.laggingCmd},
		{name: "销号", roles: staffRoles, where: privateOnly, target: optionalRegion, audit: "query",
			help: "销号 [地区] — 本期新开展创新活动的企业", run: s.tickedOffCmd},
		{name: "查询", roles: staffRoles, where: privateOnly, target: requireCompany, audit: "query",
			help: "查询 企业名关键词 — 某家企业的填报情况", run: s.lookupCmd},
		{name: "导出 台账", roles: staffRoles, where: privateOnly, target: optionalRegion, audit: "export",
			help: "导出 台账 [地区] — 附件2 汇总统计表（Excel）", run: s.exportLedger},
		{name: "导出 调查表", roles: staffRoles, where: privateOnly, target: requireCompany, audit: "export",
			help: "导出 调查表 企业名 — 该企业的附件3 调查表（Excel）", run: s.exportSurvey},
		{name: "导出 月报", roles: officeRoles, where: privateOnly, audit: "export",
			help: "导出 月报 [2026-11] — 月报（进度汇总、销号、未填报）", run: s.exportMonthly},
		{name: "提醒 未填报", roles: officeRoles, where: privateOnly, audit: "nudge",
			help: "提醒 未填报 — 立即私信提醒本地区未填报的联络人", run: s.nudgeCmd},
	}
}

// period is the reporting month of now.
func (s *Service) period() string { return s.Periods.Of(s.Clock.Now()) }

// report computes the ledger of a scope for a period.
func (s *Service) report(ctx context.Context, scope Scope, period string) (ledger.Report, error) {
	rep, err := ledger.Progress(ctx, s.Store, scope.Scope, period, s.Regions)
	if err != nil {
		return ledger.Report{}, fmt.Errorf("ledger of %s for %s: %w", scope.label(), period, err)
	}
	rep.Location = s.Location
	return rep, nil
}

func (s *Service) progressCmd(ctx context.Context, w Replier, r *Request) error {
	rep, err := s.report(ctx, r.Scope, s.period())
	if err != nil {
		return err
	}
	w.Reply(ledger.FormatProgress(rep))
	return nil
}

// progressChartCmd sends the progress as a picture: a bar per region, or per enterprise for
// a helper.
func (s *Service) progressChartCmd(ctx context.Context, w Replier, r *Request) error {
	rep, err := s.report(ctx, r.Scope, s.period())
	if err != nil {
		return err
	}
	dir, err := s.exportDir()
	if err != nil {
		return err
	}
	path, err := ledger.SaveChart(dir, rep, s.Clock.Now())
	if err != nil {
		return err
	}
	w.ReplyFile(path)
	return nil
}

func (s *Service) laggingCmd(ctx context.Context, w Replier, r *Request) error {
	rep, err := s.report(ctx, r.Scope, s.period())
	if err != nil {
		return err
	}
	w.Reply(ledger.FormatLagging(rep, ledger.TextOptions{WithPhones: r.Scope.Phones, Limit: listLimit}))
	return nil
}

func (s *Service) tickedOffCmd(ctx context.Context, w Replier, r *Request) error {
	rep, err := s.report(ctx, r.Scope, s.period())
	if err != nil {
		return err
	}
	w.Reply(ledger.FormatTickedOff(rep, ledger.TextOptions{WithPhones: r.Scope.Phones, Limit: listLimit}))
	return nil
}

// lookupCmd shows one enterprise: where its survey stands and who to call.
func (s *Service) lookupCmd(ctx context.Context, w Replier, r *Request) error {
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
		fmt.Fprintf(&b, "本期（%s）已填报：第 %d 版，%s 提交。", rep.Period, x.Head.Version, x.Head.SubmittedAt.In(s.Location).Format("01-02 15:04"))
	default:
		fmt.Fprintf(&b, "本期（%s）未填报；最近一次是 %s。", rep.Period, x.Head.Period)
	}
	if x.Head != nil {
		f := x.Head.Facts
		fmt.Fprintf(&b, "\n研发机构：%s，研发活动：%s，创新活动：%s", yesNo(f.HasInstitution), yesNo(f.HasRD), yesNo(f.HasInnovation))
	}
	liaison := "未绑定联络人"
	if x.LiaisonBound {
		liaison = "联络人：" + x.Liaison
	} else if slices.Contains(officeRoles, r.Contact.Role) {
		liaison += fmt.Sprintf("（发送“邀请码 %s”为其生成邀请码）", e.Name)
	}
	b.WriteString("\n" + liaison)
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
func (s *Service) sendExport(w Replier, what string, save func(dir string) (string, error)) error {
	dir, err := s.exportDir()
	var path string
	if err == nil {
		path, err = save(dir)
	}
	if err != nil {
		return fmt.Errorf("export %s: %w", what, err)
	}
	w.Reply(fmt.Sprintf("%s已生成，请查收文件。", what))
	w.ReplyFile(path)
	return nil
}

func (s *Service) exportLedger(ctx context.Context, w Replier, r *Request) error {
	rep, err := s.report(ctx, r.Scope, s.period())
	if err != nil {
		return err
	}
	name := r.Contact.Name
	return s.sendExport(w, "附件2 汇总统计表", func(dir string) (string, error) {
		return ledger.SaveLedger(dir, rep, ledger.LedgerOptions{Preparer: name})
	})
}

func (s *Service) exportSurvey(ctx context.Context, w Replier, r *Request) error {
	e := *r.Target.Enterprise
	subs, err := s.Store.Submissions(ctx, e.ID)
	if err != nil {
		return fmt.Errorf("export survey of %s: %w", e.ID, err)
	}
	sub, ok := ledger.LatestSubmission(subs, s.period())
	if !ok {
		next := "请联系该企业联络人尽快填报。"
		if slices.Contains(officeRoles, r.Contact.Role) {
			next = "可发送“提醒 未填报”提醒联络人。" // a helper has no right to nudge
		}
		w.Reply(fmt.Sprintf("【%s】还没有提交过调查表。%s", e.Name, next))
		return nil
	}
	return s.sendExport(w, fmt.Sprintf("【%s】调查表（%s 第 %d 版）", e.Name, sub.Period, sub.Version), func(dir string) (string, error) {
		return ledger.SaveSurvey(dir, s.Form, e, sub)
	})
}

func (s *Service) exportMonthly(ctx context.Context, w Replier, r *Request) error {
	month := s.period()
	if r.Args != "" {
		p, err := period.Parse(r.Args)
		if err != nil {
			w.Reply("月份写法不对，请写成 2026-11，例如：导出 月报 2026-11")
			return errBadArgs
		}
		month = p
	}
	rep, err := s.report(ctx, r.Scope, month)
	if err != nil {
		return err
	}
	notes, err := s.Store.MonthlyNotes(ctx, month)
	if err != nil {
		return fmt.Errorf("monthly notes of %s: %w", month, err)
	}
	o := ledger.MonthlyOptions{Preparer: r.Contact.Person, Phone: r.Contact.Mobile, Date: s.Clock.Now(), Notes: ledger.NotesOf(notes, rep.Scope)}
	return s.sendExport(w, period.Label(month)+"月报", func(dir string) (string, error) { return ledger.SaveMonthly(dir, rep, o) })
}

func (s *Service) nudgeCmd(ctx context.Context, w Replier, r *Request) error {
	if s.Nudge == nil {
		w.Reply("提醒功能没有开启（配置里没有截止日期）。请联系系统管理员在配置中填写截止日期；现在可发送“未填报”查看名单后逐一联系。")
		return refuse(storage.OutcomeRefused, "no deadlines configured")
	}
	region := ""
	if r.Scope.Kind == ledger.ScopeRegion {
		region = r.Scope.Region
	}
	n, err := s.Nudge(ctx, region, s.Clock.Now())
	if err != nil {
		return fmt.Errorf("nudge %q: %w", region, err)
	}
	if n == 0 {
		w.Reply(fmt.Sprintf("%s没有需要提醒的联络人（未填报的企业都还没有绑定联络人，或都已填报）。发送“未填报”查看名单，没有联络人的企业可发送“邀请码 企业名”生成邀请码。", r.Scope.words()))
		return nil
	}
	w.Reply(fmt.Sprintf("已排队私信提醒 %d 位联络人，将按节奏陆续发出。稍后可发送“进度”查看填报情况。", n))
	return nil
}
