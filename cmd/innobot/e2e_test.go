package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"innobot/bot/sim"
	"innobot/survey"
	"innobot/survey/surveytest"
)

// TestSimWholeSurvey drives the built binary through its JSON pipes: a liaison binds, answers
// the whole survey in loose real-world Chinese, the process is killed mid-survey, comes back,
// and the liaison finishes where they were. The stored submission is then read back field by
// field.
func TestSimWholeSurvey(t *testing.T) {
	dir := t.TempDir()
	now := "--now=2026-11-25T10:00:00+08:00"
	p := startSim(t, dir, "--demo", now)
	p.expect("张三", "你好", "绑定 邀请码")
	code := p.codes["山西示范钢铁有限公司"]
	if code == "" {
		t.Fatalf("no demo code printed: %v", p.codes)
	}
	p.expect("张三", "绑定 "+code, "绑定成功：您是【山西示范钢铁有限公司】（盐湖区）")
	p.expect("李四", "绑定 "+code, "已经用过")
	p.expect("张三", "填报", "（第 1/")
	p.expect("张三", "钢铁·特殊钢冶炼", "企业属性")
	p.expect("张三", "民营", "已记：民营企业")
	p.expect("张三", "有的", "名称")
	p.expect("张三", "山西示范钢铁技术中心", "批准部门")
	p.expect("张三", "运城市工信局", "研究领域")
	p.expect("张三", "特殊钢材料", "期末机构数")
	p.expect("张三", "１个", "研究开发人员")
	p.expect("张三", "-5", "不能小于 0")
	p.expect("张三", "二十五", "研究开发费用")

	// A crash in the middle: everything acknowledged so far must be there after it.
	p.kill()
	p = startSim(t, dir, now)
	p.expect("张三", "填报", "研究开发费用")
	p.expect("张三", "１２.５万", "已记：12.5 万元")
	p.expect("张三", "1,200,000元", "已记：120 万元")
	p.expect("张三", "有", "【研发机构 第 2 个】")
	p.expect("张三", "上一题", "还有其他研发机构")
	p.expect("张三", "没有", "研究开发项目")
	p.expect("张三", "是", "项目名称")
	p.expect("张三", "高强度螺纹钢工艺改进", "项目来源")
	p.expect("张三", "２", "立项文号")
	p.expect("张三", "晋科〔2026〕18号", "研究开发人员")
	p.expect("张三", "8人", "研究开发费用")
	p.expect("张三", "200亿", "数值偏大")
	p.expect("张三", "30万元", "研究开发资产")
	p.expect("张三", "0", "还有其他研发项目")
	p.expect("张三", "否", "创新投入")
	p.send(sim.Incoming{Restart: true})
	p.expect("张三", "新增研发投入 30 万元 😀", "创新人才")
	p.expect("张三", "无", "创新项目")
	p.expect("张三", "没有", "创新平台")
	p.expect("张三", "暂无", "技术研发")
	p.expect("张三", "无", "技术合作")
	p.expect("张三", "与太原理工大学合作", "其他创新活动")
	p.expect("张三", "3、11", "已记：3、11")
	p.expect("张三", "对轧钢产线进行了节能改造", "产学研合作")
	p.expect("张三", "与太原理工大学联合开发新钢种", "六有")
	p.expect("张三", "１，２ 3、4", "请核对")
	p.expect("张三", "修改 1", "当前答案：钢铁·特殊钢冶炼")
	p.expect("张三", "钢铁·特殊钢冶炼（螺纹钢）", "请核对")
	receipt := p.expect("张三", "确认提交", "✅ 提交成功（回执）")
	// Each table's own figures, never added across tables (an institution's staff and costs
	// include its projects').
	for _, want := range []string{"山西示范钢铁有限公司", "2026年11月", "第 1 版", "研发机构：1 个（期末机构数 1 个，研发人员 25 人，研发费用 12.5 万元，仪器设备原价 120 万元）",
		"研发项目：1 个（研发人员 8 人，研发费用 30 万元，研发资产 0 万元）"} {
		if !strings.Contains(receipt, want) {
			t.Errorf("receipt lacks %q:\n%s", want, receipt)
		}
	}
	p.quit()

	s := openData(t, dir)
	subs, err := s.Submissions(context.Background(), "demo-01")
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 1 {
		t.Fatalf("submissions = %d, want 1", len(subs))
	}
	sub := subs[0]
	if sub.Period != "2026-11" || sub.Version != 1 || sub.SubmittedBy != "张三" || sub.Form != "fujian3" {
		t.Errorf("submission header = %s v%d by %s form %s", sub.Period, sub.Version, sub.SubmittedBy, sub.Form)
	}
	if sub.SubmittedAt.Before(time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)) {
		t.Errorf("submitted at %v, before the simulated clock", sub.SubmittedAt)
	}
	want := survey.Answers{
		"industry":                     {Text: "钢铁·特殊钢冶炼（螺纹钢）"},
		"ownership":                    {Choice: 5},
		"has_institutions":             {Bool: true},
		"institution.0.inst_name":      {Text: "山西示范钢铁技术中心"},
		"institution.0.inst_approver":  {Text: "运城市工信局"},
		"institution.0.inst_field":     {Text: "特殊钢材料"},
		"institution.0.inst_count":     {Num: 1},
		"institution.0.inst_staff":     {Num: 25},
		"institution.0.inst_cost":      {Num: 12.5},
		"institution.0.inst_equipment": {Num: 120},
		"institution.0.#more":          {Bool: false},
		"has_projects":                 {Bool: true},
		"project.0.proj_name":          {Text: "高强度螺纹钢工艺改进"},
		"project.0.proj_source":        {Choice: 2},
		"project.0.proj_doc":           {Text: "晋科〔2026〕18号"},
		"project.0.proj_staff":         {Num: 8},
		"project.0.proj_cost":          {Num: 30},
		"project.0.proj_assets":        {Num: 0},
		"project.0.#more":              {Bool: false},
		"dir_investment":               {Text: "新增研发投入 30 万元 😀"},
		"dir_talent":                   {},
		"dir_project":                  {},
		"dir_platform":                 {},
		"dir_rnd":                      {},
		"dir_cooperation":              {Text: "与太原理工大学合作"},
		"other_activities":             {Multi: []int{3, 11}},
		"other_explain_3":              {Text: "对轧钢产线进行了节能改造"},
		"other_explain_11":             {Text: "与太原理工大学联合开发新钢种"},
		"liuyou":                       {Multi: []int{1, 2, 3, 4}},
	}
	surveytest.Check(t, sub.Answers, want)
	if _, err := s.Draft(context.Background(), "demo-01", "2026-11"); err == nil {
		t.Error("draft left after submission")
	}
}
