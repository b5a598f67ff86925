package main

import (
	"context"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"innobot/bot/sim"
	"innobot/ledger"
)

// TestSimReportingMonth drives the built simulator through the first days of December 2026:
// the November report is due Friday 4 December (the 5th is a Saturday). A liaison who fills
// the survey on 2 December files November's report: it is in `导出 台账 2026-11` and `导出
// 月报 2026-11`, with the name and mobile the liaison gave, and the reminders of 3 and 4
// December no longer chase the enterprise. December is refused until it is being reported.
func TestSimReportingMonth(t *testing.T) {
	dir := t.TempDir()
	p := startSim(t, dir, "--demo", "--now=2026-11-25T10:00:00+08:00")
	p.send(sim.Incoming{From: "张三", Text: "你好"}) // the demo's codes come with the first reply
	clerk := p.county
	if clerk == "" || p.codes["山西示范钢铁有限公司"] == "" {
		t.Fatalf("no demo codes: %v", p.codes)
	}
	p.expect("张三", "绑定 "+p.codes["山西示范钢铁有限公司"], "姓名和手机号")
	p.expect("张三", "张三 13912345678", "")
	p.expect("王科员", "绑定 "+clerk, "绑定成功")
	p.expect("王科员", "进度", "【盐湖区 2026年11月进度】")

	// 1 December, 09:00: the 3-day reminder chases 张三.
	out := byRecipient(p.send(sim.Incoming{Clock: "2026-12-01T09:30:00+08:00"}))
	if !strings.Contains(out["张三"], "月度进展及台账报送（2026年11月）截止 12月4日（周五）") {
		t.Fatalf("1 December reminder:\n%v", out)
	}

	// 2 December: the survey, an enterprise with nothing yet and a plan.
	p.send(sim.Incoming{Clock: "2026-12-02T15:00:00+08:00"})
	for _, step := range [][2]string{
		{"填报", "2026年11月"},
		{"建材·新型墙材", "企业属性"},
		{"5", "研究开发机构"},
		{"无", "研究开发项目"},
		{"无", "创新投入"},
		{"无", "创新人才"},
		{"无", "创新项目"},
		{"无", "创新平台"},
		{"无", "技术研发"},
		{"无", "技术合作"},
		{"无", "其他创新活动"},
		{"无", "六有"},
		{"无", "计划开展"},
		{"明年与高校合作开展节能工艺改进", "请核对"},
	} {
		p.expect("张三", step[0], step[1])
	}
	p.expect("张三", "确认提交", "回执")

	// The county clerk's November exports hold it.
	p.expect("王科员", "进度", "本期已填报 1 家")
	p.expect("王科员", "导出 台账 2026-12", "2026年12月还没有到报送的时候")
	p.expect("王科员", "导出 台账 2026-11", "填表人和联系方式")
	ledgerFile := fileSent(t, p.send(sim.Incoming{From: "王科员", Text: "王科员 0359-2688888"}))
	p.expect("王科员", "月报 进展 走访企业 3 家", "已记下盐湖区2026年11月月报")
	monthlyFile := fileSent(t, p.send(sim.Incoming{From: "王科员", Text: "导出 月报 2026年11月"}))

	// 3 and 4 December: the reminders go out, and none chases 山西示范钢铁.
	for _, at := range []string{"2026-12-03T09:30:00+08:00", "2026-12-04T09:30:00+08:00"} {
		out := byRecipient(p.send(sim.Incoming{Clock: at}))
		if got := out["张三"]; got != "" {
			t.Errorf("%s: 张三 was chased after submitting:\n%s", at, got)
		}
		for to, text := range out {
			if strings.Contains(text, "山西示范钢铁有限公司") && !strings.Contains(text, "已全部提交") {
				t.Errorf("%s: the reminder to %s lists the enterprise that reported:\n%s", at, to, text)
			}
		}
		if !strings.Contains(out["王科员"], "盐湖区 2026年11月：企业 1 家，已提交 1 家，未提交 0 家") {
			t.Errorf("%s: the county office reads\n%s", at, out["王科员"])
		}
	}
	p.quit()

	s := openData(t, dir)
	subs, err := s.Submissions(context.Background(), "demo-01")
	if err != nil || len(subs) != 1 || subs[0].Period != "2026-11" {
		t.Fatalf("submissions %+v, %v: want one for 2026-11", subs, err)
	}

	row := func(f *excelize.File, sheet string) []string {
		t.Helper()
		rows, err := f.GetRows(sheet)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(rows[1][0], "日期：2026年11月") {
			t.Errorf("%s counts line %q", sheet, rows[1][0])
		}
		for _, r := range rows {
			if len(r) > 1 && r[1] == "山西示范钢铁有限公司" {
				return r
			}
		}
		t.Fatalf("%s has no row for 山西示范钢铁有限公司", sheet)
		return nil
	}
	want := "1|山西示范钢铁有限公司|建材·新型墙材|民营企业|无|无|无|明年与高校合作开展节能工艺改进|张三|13912345678|王建国|13800000001"
	if got := strings.Join(row(ledgerFile, ledger.SheetLedger), "|"); got != want {
		t.Errorf("导出 台账 2026-11 row\n got %s\nwant %s", got, want)
	}
	if got := strings.Join(row(monthlyFile, ledger.SheetLedger), "|"); got != want {
		t.Errorf("导出 月报 2026-11 附件2 row\n got %s\nwant %s", got, want)
	}
	sum, err := monthlyFile.GetRows(ledger.SheetSummary)
	if err != nil {
		t.Fatal(err)
	}
	var text []string
	for _, r := range sum {
		text = append(text, strings.Join(r, "|"))
	}
	all := strings.Join(text, "\n")
	for _, w := range []string{"报告期：2026年11月", "填表人：王科员", "联系电话：0359-2688888", "走访企业 3 家",
		"1|盐湖区|1|0|0|1|0.0%|1|0|100.0%|0|1"} {
		if !strings.Contains(all, w) {
			t.Errorf("the 月报 lacks %q:\n%s", w, all)
		}
	}
}

// fileSent opens the spreadsheet among a line's outputs.
func fileSent(t *testing.T, out []sim.Output) *excelize.File {
	t.Helper()
	for _, o := range out {
		if o.File != "" {
			f, err := excelize.OpenFile(o.File)
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { f.Close() })
			return f
		}
	}
	t.Fatalf("no file sent: %+v", out)
	return nil
}
