package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"innobot/bot/sim"
	"innobot/ledger"
	"innobot/storage"
	"innobot/survey"
)

// TestFactsOfAnEarlierRule: a submission stored while the lexicon did not know 没开展 for
// "nothing" carries the facts of that rule (a direction with text: 有创新活动). The next start
// works its facts out again, so that 进度, the 附件2 row and the counts line say 无 like every
// submission made since, and the stored submission and its head say so too.
func TestFactsOfAnEarlierRule(t *testing.T) {
	dir := t.TempDir()
	p := startSim(t, dir, "--demo", "--now=2026-11-25T10:00:00+08:00")
	p.send(sim.Incoming{From: "张三", Text: "你好"}) // the demo's codes come with the first reply
	clerk := p.county
	if clerk == "" {
		t.Fatal("no county code in the demo's output")
	}
	p.expect("王科员", "绑定 "+clerk, "绑定成功")
	p.expect("王科员", "填表人 王科员 0359-2688888", "已记下")
	p.quit()

	// What an earlier innobot stored: 没开展 kept as the text of 创新投入, counted as 有.
	ctx := context.Background()
	s := openData(t, dir)
	sub := storage.Submission{EnterpriseID: "demo-01", Period: "2026-11", Version: 1, Form: survey.Default().ID,
		Answers: survey.Answers{survey.IDIndustry: {Text: "钢铁"}, survey.IDOwnership: {Choice: 5},
			survey.IDHasInstitutions: {}, survey.IDHasProjects: {}, "dir_investment": {Text: "没开展"},
			"dir_talent": {Text: "无"}, "dir_project": {Text: "无"}, "dir_platform": {Text: "无"}, "dir_rnd": {Text: "无"},
			"dir_cooperation": {Text: "无"}, survey.IDOtherActivities: {}, "liuyou": {}, survey.IDPlan: {Text: "明年建研发中心"}},
		SubmittedBy: "c-old", SubmittedAt: time.Date(2026, 11, 20, 10, 0, 0, 0, time.FixedZone("CST", 8*3600)),
		Facts: survey.Facts{HasInnovation: true, Industry: "钢铁", Ownership: "民营企业"}}
	if got := survey.Default().Facts(sub.Answers); got.Active() {
		t.Fatalf("today's rule reads the answers as active: %+v", got)
	}
	if err := s.CommitTurn(ctx, storage.Turn{Session: storage.Session{ContactID: "c-old"}, Submission: &sub,
		Answer: storage.Answer{MessageID: "earlier"}}); err != nil {
		t.Fatal(err)
	}
	// The store last worked facts out under another rule.
	if _, err := s.RefreshFacts(ctx, "an earlier rule", func(storage.Submission) (survey.Facts, bool) { return survey.Facts{}, false }); err != nil {
		t.Fatal(err)
	}
	s.Close()

	p = startSim(t, dir, "--now=2026-11-26T10:00:00+08:00")
	p.expect("王科员", "进度", "已开展创新活动 0 家（0%），未开展 1 家")
	f := fileSent(t, p.send(sim.Incoming{From: "王科员", Text: "导出 台账"}))
	rows, err := f.GetRows(ledger.SheetLedger)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(rows[1][0], "已开展创新活动企业数量：0  未开展创新活动企业数量：1") {
		t.Errorf("counts line %q", rows[1][0])
	}
	if got := strings.Join(rows[3][1:7], "|"); got != "山西示范钢铁有限公司|钢铁|民营企业|无|无|无" {
		t.Errorf("附件2 row %q", got)
	}
	p.quit()

	s = openData(t, dir)
	subs, err := s.Submissions(ctx, "demo-01")
	if err != nil || len(subs) != 1 || subs[0].Facts.Active() || subs[0].Answers["dir_investment"].Text != "没开展" {
		t.Errorf("stored submission %+v, %v: want its answers kept and its facts 无", subs, err)
	}
	heads, err := s.LatestHeads(ctx, "2026-11")
	if err != nil || heads["demo-01"].Facts.Active() {
		t.Errorf("stored head %+v, %v: want 无", heads["demo-01"], err)
	}
}
