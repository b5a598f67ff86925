package surveytest

import "innobot/survey"

// Step is one message of a liaison's conversation and what must follow it.
type Step struct {
	// Text is what the liaison types.
	Text string
	// Key is the answer the message stores and Value what is stored; Key is "" for a
	// message that stores none (填报, 上一题, a refused reply).
	Key   string
	Value survey.Value
	// Want is part of the reply.
	Want string
	// Ask is part of the question the liaison is at after the message, which 填报 shows
	// again after a restart; Want when empty (see At).
	Ask string
	// Submit: the message is 确认提交, which makes the draft the period's submission.
	Submit bool
}

// At is part of the question the liaison is at after the step.
func (s Step) At() string {
	if s.Ask != "" {
		return s.Ask
	}
	return s.Want
}

// Answers is what the steps leave in the draft: each key's last value.
func Answers(steps []Step) survey.Answers {
	a := survey.Answers{}
	for _, s := range steps {
		if s.Key != "" {
			a[s.Key] = s.Value
		}
	}
	return a
}

// WholeSurvey is a whole first survey of the default form (survey.Default) for a steelworks,
// typed the way a hurried liaison types: full-width and Chinese numerals, units, a negative
// count and an implausible cost refused, a second institution begun and taken back with 上一题,
// 跳过 then the number after all, an emoji, 修改 1 at the review, then 确认提交.
func WholeSurvey() []Step {
	txt := func(s string) survey.Value { return survey.Value{Text: s} }
	num := func(n float64) survey.Value { return survey.Value{Num: n} }
	yes := func(b bool) survey.Value { return survey.Value{Bool: b} }
	multi := func(n ...int) survey.Value { return survey.Value{Multi: n} }
	var none survey.Value
	return []Step{
		{Text: "填报", Want: "（第 1/", Ask: "所属行业"},
		{Text: "钢铁·特殊钢冶炼", Key: "industry", Value: txt("钢铁·特殊钢冶炼"), Want: "企业属性"},
		{Text: "民营", Key: "ownership", Value: survey.Value{Choice: 5}, Want: "已记：民营企业", Ask: "研究开发机构"},
		{Text: "有的", Key: "has_institutions", Value: yes(true), Want: "名称"},
		{Text: "山西示范钢铁技术中心", Key: "institution.0.inst_name", Value: txt("山西示范钢铁技术中心"), Want: "批准部门"},
		{Text: "运城市工信局", Key: "institution.0.inst_approver", Value: txt("运城市工信局"), Want: "研究领域"},
		{Text: "特殊钢材料", Key: "institution.0.inst_field", Value: txt("特殊钢材料"), Want: "期末机构数"},
		{Text: "１个", Key: "institution.0.inst_count", Value: num(1), Want: "研究开发人员"},
		{Text: "-5", Want: "不能小于 0", Ask: "研究开发人员"},
		{Text: "二十五", Key: "institution.0.inst_staff", Value: num(25), Want: "研究开发费用"},
		{Text: "１２.５万", Key: "institution.0.inst_cost", Value: num(12.5), Want: "已记：12.5 万元", Ask: "仪器和设备原价"},
		{Text: "1,200,000元", Key: "institution.0.inst_equipment", Value: num(120), Want: "已记：120 万元", Ask: "还有其他研发机构"},
		{Text: "有", Key: "institution.0.#more", Value: yes(true), Want: "【研发机构 第 2 个】"},
		{Text: "上一题", Want: "还有其他研发机构"},
		{Text: "没有", Key: "institution.0.#more", Value: yes(false), Want: "研究开发项目"},
		{Text: "是", Key: "has_projects", Value: yes(true), Want: "项目名称"},
		{Text: "高强度螺纹钢工艺改进", Key: "project.0.proj_name", Value: txt("高强度螺纹钢工艺改进"), Want: "项目来源"},
		{Text: "２", Key: "project.0.proj_source", Value: survey.Value{Choice: 2}, Want: "立项文号"},
		{Text: "跳过", Key: "project.0.proj_doc", Value: survey.Value{Skipped: true}, Want: "研究开发人员"},
		{Text: "上一题", Want: "当前答案：无", Ask: "立项文号"},
		{Text: "晋科〔2026〕18号", Key: "project.0.proj_doc", Value: txt("晋科〔2026〕18号"), Want: "研究开发人员"},
		{Text: "8人", Key: "project.0.proj_staff", Value: num(8), Want: "研究开发费用"},
		{Text: "200亿", Want: "数值偏大", Ask: "研究开发费用"},
		{Text: "30万元", Key: "project.0.proj_cost", Value: num(30), Want: "研究开发资产"},
		{Text: "0", Key: "project.0.proj_assets", Value: num(0), Want: "还有其他研发项目"},
		{Text: "否", Key: "project.0.#more", Value: yes(false), Want: "创新投入"},
		{Text: "新增研发投入 30 万元 😀", Key: "dir_investment", Value: txt("新增研发投入 30 万元 😀"), Want: "创新人才"},
		{Text: "无", Key: "dir_talent", Value: none, Want: "创新项目"},
		{Text: "没有", Key: "dir_project", Value: none, Want: "创新平台"},
		{Text: "暂无", Key: "dir_platform", Value: none, Want: "技术研发"},
		{Text: "无", Key: "dir_rnd", Value: none, Want: "技术合作"},
		{Text: "与太原理工大学合作", Key: "dir_cooperation", Value: txt("与太原理工大学合作"), Want: "其他创新活动"},
		{Text: "3、11", Key: "other_activities", Value: multi(3, 11), Want: "已记：3、11", Ask: "您选了“3"},
		{Text: "对轧钢产线进行了节能改造", Key: "other_explain_3", Value: txt("对轧钢产线进行了节能改造"), Want: "您选了“11"},
		{Text: "与太原理工大学联合开发新钢种", Key: "other_explain_11", Value: txt("与太原理工大学联合开发新钢种"), Want: "六有"},
		{Text: "１，２ 3、4", Key: "liuyou", Value: multi(1, 2, 3, 4), Want: "请核对"},
		{Text: "修改 1", Want: "当前答案：钢铁·特殊钢冶炼"},
		{Text: "钢铁·特殊钢冶炼（螺纹钢）", Key: "industry", Value: txt("钢铁·特殊钢冶炼（螺纹钢）"), Want: "请核对"},
		{Text: "确认提交", Submit: true, Want: "✅ 提交成功（回执）"},
	}
}
