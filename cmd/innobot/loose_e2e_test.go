package main

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"innobot/bot/sim"
	"innobot/ledger"
	"innobot/survey"
	"innobot/survey/surveytest"
)

// liaisonChat counts the messages one liaison sends through the simulator.
type liaisonChat struct {
	p    *simProc
	name string
	sent int
}

func (l *liaisonChat) expect(text, want string) string {
	l.p.t.Helper()
	l.sent++
	return l.p.expect(l.name, text, want)
}

// bindLiaison starts the demo simulator and binds 张三 to the demo steel company.
func bindLiaison(t *testing.T, dir string) (*simProc, *liaisonChat) {
	t.Helper()
	p := startSim(t, dir, "--demo", "--now=2026-11-25T10:00:00+08:00")
	p.expect("张三", "你好", "绑定") // the demo's codes are read with the first reply
	l := &liaisonChat{p: p, name: "张三"}
	l.expect("绑定 "+strings.ToLower(p.codes["山西示范钢铁有限公司"]), "请回复您的姓名和手机号")
	return p, l
}

// TestSimLooseLiaison: a liaison who answers every question of 附件3 in the loosest way the
// bot accepts (1 institution, 1 project, 3 other activities) finishes in at most 40 messages,
// binding and name included, and the submission holds exactly what was meant.
func TestSimLooseLiaison(t *testing.T) {
	dir := t.TempDir()
	p, l := bindLiaison(t, dir)
	for _, step := range [][2]string{
		{"张三 139 1234 5678", "已登记：联系人 张三，手机 13912345678"},
		{"填报", "（第 1/"},
		{"钢铁·特钢", "企业属性"},
		{"民企", "已记：民营企业"},
		{"有的", "名称"},
		{"示范钢铁技术中心", "批准部门"},
		{"企业自建", "研究领域"},
		{"特钢材料", "期末机构数"},
		{"1个", "研究开发人员"},
		{"35个人", "已记：35 人"},
		{"12万5", "已记：12.5 万元"},
		{"80万", "已记：80 万元"},
		{"就这些", "有没有研究开发项目"},
		{"有", "项目名称"},
		{"螺纹钢工艺改进", "项目来源"},
		{"自选", "已记：企业自选项目"},
		{"无", "已记：无"},
		{"8人", "已记：8 人"},
		{"30万元整", "已记：30 万元"},
		{"0", "还有其他研发项目"},
		{"没有了", "创新投入"},
		{"新增研发投入30万", "创新人才"},
		{"暂时没有", "创新项目"},
		{"没开展", "创新平台"},
		{"不涉及", "技术研发"},
		{"无相关活动", "技术合作"},
		{"与太原理工大学合作", "其他创新活动"},
		{"技改、新技术和产学研", "已记：3、5、11"},
		{"对轧钢线做了节能改造", "您选了“5"},
		{"用新工艺降低能耗", "您选了“11"},
		{"与太原理工大学联合开发新钢种", "六有"},
		{"都有", "全部答完了，请核对"},
		{"好的", "✅ 提交成功（回执）"},
	} {
		l.expect(step[0], step[1])
	}
	if l.sent > 40 {
		t.Errorf("%d messages, want at most 40", l.sent)
	}
	t.Logf("附件3 finished in %d messages", l.sent)
	p.quit()

	s := openData(t, dir)
	subs, err := s.Submissions(context.Background(), "demo-01")
	if err != nil || len(subs) != 1 {
		t.Fatalf("submissions %v, %v", subs, err)
	}
	surveytest.Check(t, subs[0].Answers, survey.Answers{
		"industry": {Text: "钢铁·特钢"}, "ownership": {Choice: 5}, "has_institutions": {Bool: true},
		"institution.0.inst_name": {Text: "示范钢铁技术中心"}, "institution.0.inst_approver": {Text: "企业自建"},
		"institution.0.inst_field": {Text: "特钢材料"}, "institution.0.inst_count": {Num: 1}, "institution.0.inst_staff": {Num: 35},
		"institution.0.inst_cost": {Num: 12.5}, "institution.0.inst_equipment": {Num: 80}, "institution.0.#more": {},
		"has_projects": {Bool: true}, "project.0.proj_name": {Text: "螺纹钢工艺改进"}, "project.0.proj_source": {Choice: 1},
		"project.0.proj_doc": {Skipped: true}, "project.0.proj_staff": {Num: 8}, "project.0.proj_cost": {Num: 30},
		"project.0.proj_assets": {}, "project.0.#more": {},
		"dir_investment": {Text: "新增研发投入30万"}, "dir_talent": {}, "dir_project": {}, "dir_platform": {}, "dir_rnd": {},
		"dir_cooperation": {Text: "与太原理工大学合作"}, "other_activities": {Multi: []int{3, 5, 11}},
		"other_explain_3": {Text: "对轧钢线做了节能改造"}, "other_explain_5": {Text: "用新工艺降低能耗"},
		"other_explain_11": {Text: "与太原理工大学联合开发新钢种"}, "liuyou": {Multi: []int{1, 2, 3, 4, 5, 6}},
	})
	c, err := s.Contact(context.Background(), "张三")
	if err != nil || c.Person != "张三" || c.Mobile != "13912345678" {
		t.Errorf("contact %+v, %v: want the name and mobile given", c, err)
	}
}

// TestSimNothingEnterprise: an enterprise with nothing, answered with the lexicon of
// "nothing", is asked for its plan, and 附件2 says 无/无/无 with the plan.
func TestSimNothingEnterprise(t *testing.T) {
	dir := t.TempDir()
	p := startSim(t, dir, "--demo", "--now=2026-11-25T10:00:00+08:00")
	p.send(sim.Incoming{From: "张三", Text: "你好"}) // the demo's codes come with the first reply
	clerk := p.county
	l := &liaisonChat{p: p, name: "张三"}
	l.expect("绑定 "+p.codes["山西示范钢铁有限公司"], "请回复您的姓名和手机号")
	for _, step := range [][2]string{
		{"填报", "（第 1/"},
		{"建材·新型墙材", "企业属性"},
		{"5", "研究开发机构"},
		{"暂时没有", "研究开发项目"},
		{"没开展", "创新投入"},
		{"无", "创新人才"},
		{"没有", "创新项目"},
		{"暂无", "创新平台"},
		{"不涉及", "技术研发"},
		{"本期无", "技术合作"},
		{"/", "其他创新活动"},
		{"都没有", "六有"},
		{"一个都没有", "计划开展的创新活动内容"},
		{"明年与高校合作开展节能工艺改进", "全部答完了，请核对"},
		{"确认", "计划开展创新活动内容：明年与高校合作开展节能工艺改进"},
	} {
		l.expect(step[0], step[1])
	}
	p.expect("王科员", "绑定 "+clerk, "绑定成功")
	// The first export asks the clerk's 填表人 and 联系方式, then sends the file.
	p.expect("王科员", "导出 台账", "填表人和联系方式")
	var file string
	for _, o := range p.send(sim.Incoming{From: "王科员", Text: "王科员 13912345678"}) {
		if o.File != "" {
			file = o.File
		}
	}
	if file == "" {
		t.Fatal("导出 台账 sent no file")
	}
	p.quit()

	f, err := excelize.OpenFile(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := f.GetRows(ledger.SheetLedger)
	if err != nil {
		t.Fatal(err)
	}
	cols := map[string]int{}
	var row []string
	for _, r := range rows {
		for i, cell := range r {
			for _, h := range []string{"有无研发机构", "有无研发活动", "有无创新活动", "计划开展创新活动内容"} {
				if strings.ReplaceAll(cell, "\n", "") == h {
					cols[h] = i
				}
			}
		}
		if slices.Contains(r, "山西示范钢铁有限公司") {
			row = r
		}
	}
	if len(cols) != 4 || row == nil {
		t.Fatalf("附件2 columns %v, row %q", cols, row)
	}
	for _, h := range []string{"有无研发机构", "有无研发活动", "有无创新活动"} {
		if i := cols[h]; i >= len(row) || row[i] != "无" {
			t.Errorf("%s = %q, want 无 (row %q)", h, row[min(i, len(row)-1)], row)
		}
	}
	if i := cols["计划开展创新活动内容"]; i >= len(row) || row[i] != "明年与高校合作开展节能工艺改进" {
		t.Errorf("plan missing from row %q", row)
	}
}

// submitBase binds 张三 and submits a survey in November, skipping the contact question.
func submitBase(t *testing.T, dir string) (*simProc, *liaisonChat) {
	t.Helper()
	p, l := bindLiaison(t, dir)
	for _, s := range []string{"填报", "钢铁", "5", "有", "技术中心", "企业自建", "特钢", "1", "20", "50", "300", "无",
		"有", "工艺改进", "1", "无", "8", "30", "10", "无", "研发投入50万", "无", "无", "无", "无", "无", "无", "1,2,3,4"} {
		l.p.say("张三", s)
	}
	l.expect("确认", "✅ 提交成功")
	l.sent = 0
	return p, l
}

// TestSimOneFigureAfterSubmitting: one figure corrected after submitting in three messages,
// and in one line; each makes a new version that differs in that figure only.
func TestSimOneFigureAfterSubmitting(t *testing.T) {
	dir := t.TempDir()
	p, l := submitBase(t, dir)
	l.expect("修改第16项", "当前答案：8 人")
	l.expect("12个人", "16. 研发项目1·研发人员：8 人 → 12 人")
	l.expect("确认", "第 2 版")
	if l.sent > 3 {
		t.Errorf("%d messages, want at most 3", l.sent)
	}
	l.expect("修改 研发资产 为 12", "研发资产：10 万元 → 12 万元")
	l.expect("好的", "第 3 版")
	p.quit()

	subs, err := openData(t, dir).Submissions(context.Background(), "demo-01")
	if err != nil || len(subs) != 3 {
		t.Fatalf("submissions %d, %v", len(subs), err)
	}
	want := subs[0].Answers.Clone()
	want["project.0.proj_staff"] = survey.Value{Num: 12}
	surveytest.Check(t, subs[1].Answers, want)
	want["project.0.proj_assets"] = survey.Value{Num: 12}
	surveytest.Check(t, subs[2].Answers, want)
}

// TestSimUnchangedFromReminder: next month, 没有变化 in reply to the reminder submits in one
// message, without 填报 first.
func TestSimUnchangedFromReminder(t *testing.T) {
	dir := t.TempDir()
	p, l := submitBase(t, dir)
	out := byRecipient(p.send(sim.Incoming{Clock: "2027-01-04T09:00:00+08:00"}))
	if !strings.Contains(out["张三"], "回复“无变化”即可提交") {
		t.Fatalf("no reminder to 张三 on 4 January: %+v", out)
	}
	got := l.expect("没有变化", "✅ 提交成功（回执）")
	if l.sent > 2 || !strings.Contains(got, "已按上期（2026年11月）内容提交本期") {
		t.Errorf("%d messages; reply %s", l.sent, got)
	}
	p.quit()
	subs, err := openData(t, dir).Submissions(context.Background(), "demo-01")
	if err != nil || len(subs) != 2 || subs[1].Period != "2026-12" || subs[1].Version != 1 {
		t.Fatalf("submissions %+v, %v", subs, err)
	}
	surveytest.Check(t, subs[1].Answers, subs[0].Answers)
}
