package dialog

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"innobot/storage"
	"innobot/survey"
)

// baseAnswers is a whole survey no check questions: 1 institution, 1 project, 2 activities.
func baseAnswers() survey.Answers {
	return survey.Answers{
		"industry": {Text: "钢铁·特殊钢冶炼"}, "ownership": {Choice: 5},
		"has_institutions": {Bool: true}, "institution.0.inst_name": {Text: "示范技术中心"}, "institution.0.inst_approver": {Text: "企业自建"},
		"institution.0.inst_field": {Text: "特殊钢"}, "institution.0.inst_count": {Num: 1}, "institution.0.inst_staff": {Num: 20},
		"institution.0.inst_cost": {Num: 50}, "institution.0.inst_equipment": {Num: 300}, "institution.0.#more": {},
		"has_projects": {Bool: true}, "project.0.proj_name": {Text: "螺纹钢工艺改进"}, "project.0.proj_source": {Choice: 1},
		"project.0.proj_doc": {Skipped: true}, "project.0.proj_staff": {Num: 8}, "project.0.proj_cost": {Num: 30},
		"project.0.proj_assets": {Num: 10}, "project.0.#more": {},
		"dir_investment": {Text: "研发投入 50 万元"}, "dir_talent": {}, "dir_project": {}, "dir_platform": {}, "dir_rnd": {},
		"dir_cooperation":  {Text: "与高校合作"},
		"other_activities": {Multi: []int{3, 11}}, "other_explain_3": {Text: "节能改造"}, "other_explain_11": {Text: "联合开发"},
		"liuyou": {Multi: []int{1, 2, 3, 4}},
	}
}

// chatAt is a chat waiting where `at` says: a question id (in the first row of its group;
// "institution.#more" for a group's 还有…吗), or one of review, idle+last (a submission of the
// month before), idle+now (this month's), update (idle+last, then 填报) and contact. Messages
// after "|" are sent first.
func chatAt(t *testing.T, at string) *chat {
	t.Helper()
	parts := strings.Split(at, "|")
	c := newChat(t)
	form := c.form
	base := baseAnswers()
	submitted := func(p string) {
		c.subs = append(c.subs, storage.Submission{EnterpriseID: "e1", Period: p, Version: 1, Form: form.ID, Answers: base, SubmittedBy: "张三", SubmittedAt: c.now.AddDate(0, -1, 0)})
	}
	switch parts[0] {
	case "review":
		c.draft = &storage.Draft{EnterpriseID: "e1", Period: c.period, Answers: base}
		c.sess = storage.Session{ContactID: "张三", State: stateReview, EnterpriseID: "e1", Period: c.period}
	case "idle+last", "update":
		submitted("2026-10")
		if parts[0] == "update" {
			c.say("填报")
		}
	case "idle+now":
		submitted(c.period)
	case "contact":
		c.enterprise.ContactName, c.enterprise.ContactTel = "李四", "0359-2020202"
		c.sess = storage.Session{ContactID: "张三", State: stateContact, EnterpriseID: "e1"}
	default:
		id, more := strings.CutSuffix(parts[0], ".#more")
		steps := form.Steps(base)
		i := slices.IndexFunc(steps, func(s survey.Step) bool { return s.Q.ID == id && s.More == more })
		if i < 0 {
			t.Fatalf("no question %q", parts[0])
		}
		a := survey.Answers{}
		for _, s := range steps[:i] {
			a[s.Key] = base[s.Key]
		}
		c.draft = &storage.Draft{EnterpriseID: "e1", Period: c.period, Answers: a}
		c.sess = storage.Session{ContactID: "张三", State: stateFilling, EnterpriseID: "e1", Period: c.period, Cursor: steps[i].Key}
	}
	for _, m := range parts[1:] {
		c.say(m)
	}
	return c
}

func val(v survey.Value) *survey.Value { return &v }

// looseCases are real-style replies, each with the answer it leaves or the reply it gets.
var looseCases = []struct {
	at, in string
	want   *survey.Value // the answer stored at the question asked; nil: check the reply
	reply  string
}{
	// 有/无, in every way of saying it.
	{"has_institutions", "有", val(survey.Value{Bool: true}), ""},
	{"has_institutions", "有的", val(survey.Value{Bool: true}), ""},
	{"has_institutions", "是的", val(survey.Value{Bool: true}), ""},
	{"has_institutions", "对", val(survey.Value{Bool: true}), ""},
	{"has_institutions", "嗯", val(survey.Value{Bool: true}), ""},
	{"has_institutions", "有两个", val(survey.Value{Bool: true}), ""},
	{"has_institutions", "有一个", val(survey.Value{Bool: true}), ""},
	{"has_institutions", "有啊", val(survey.Value{Bool: true}), ""},
	{"has_institutions", "Ｙ", val(survey.Value{Bool: true}), ""},
	{"has_institutions", "1", val(survey.Value{Bool: true}), ""},
	{"has_institutions", "无", val(survey.Value{}), ""},
	{"has_institutions", "没有", val(survey.Value{}), ""},
	{"has_institutions", "没有了", val(survey.Value{}), ""},
	{"has_institutions", "暂无", val(survey.Value{}), ""},
	{"has_institutions", "暂时没有", val(survey.Value{}), ""},
	{"has_institutions", "还没有", val(survey.Value{}), ""},
	{"has_institutions", "没开展", val(survey.Value{}), ""},
	{"has_institutions", "未开展", val(survey.Value{}), ""},
	{"has_institutions", "不涉及", val(survey.Value{}), ""},
	{"has_institutions", "本期无", val(survey.Value{}), ""},
	{"has_institutions", "都没有", val(survey.Value{}), ""},
	{"has_institutions", "/", val(survey.Value{}), ""},
	{"has_institutions", "—", val(survey.Value{}), ""},
	{"has_institutions", "-", val(survey.Value{}), ""},
	{"has_institutions", "不确定", nil, "“不确定”不能当作“无”"},
	{"has_institutions", "0", val(survey.Value{}), ""},
	{"has_institutions", "否", val(survey.Value{}), ""},
	{"has_institutions", "目前还没有。", val(survey.Value{}), ""},
	{"has_institutions", "不知道", nil, "“不知道”不能当作“无”"},
	{"has_institutions", "有没有", nil, "请回复“有”或“无”"},
	{"has_institutions", "研发机构是什么", nil, "【研究开发机构】"},
	// 还有其他…吗
	{"institution.#more", "就这些", val(survey.Value{}), ""},
	{"institution.#more", "没了", val(survey.Value{}), ""},
	{"institution.#more", "就一个", val(survey.Value{}), ""},
	{"institution.#more", "只有这一个", val(survey.Value{}), ""},
	{"institution.#more", "就这一个", val(survey.Value{}), ""},
	{"has_institutions", "没有研发机构", val(survey.Value{}), ""},
	{"has_institutions", "有一个技术中心", val(survey.Value{Bool: true}), ""},
	{"has_projects", "有研发项目", val(survey.Value{Bool: true}), ""},
	{"institution.#more", "没有了", val(survey.Value{}), ""},
	{"institution.#more", "无", val(survey.Value{}), ""},
	{"institution.#more", "还有", val(survey.Value{Bool: true}), ""},
	{"institution.#more", "有", val(survey.Value{Bool: true}), ""},
	{"institution.#more", "还有一个", nil, "请回复“有”或“无”"},
	// Texts that allow none.
	{"dir_talent", "无", val(survey.Value{}), ""},
	{"dir_talent", "没有", val(survey.Value{}), ""},
	{"dir_talent", "暂无", val(survey.Value{}), ""},
	{"dir_talent", "没开展", val(survey.Value{}), ""},
	{"dir_talent", "无相关活动", val(survey.Value{}), ""},
	{"dir_talent", "本期无", val(survey.Value{}), ""},
	{"dir_talent", "/", val(survey.Value{}), ""},
	{"dir_talent", "—", val(survey.Value{}), ""},
	{"dir_talent", "-", val(survey.Value{}), ""},
	{"dir_talent", "不涉及", val(survey.Value{}), ""},
	{"dir_talent", "目前没有", val(survey.Value{}), ""},
	{"dir_talent", "一个都没有", val(survey.Value{}), ""},
	{"dir_talent", "引进硕士 2 名", val(survey.Value{Text: "引进硕士 2 名"}), ""},
	{"dir_talent", "有", nil, "“有”还不够，请写明具体内容。请用文字简要说明（500 字以内）；没有请回复“无”。"},
	{"dir_talent", "有的", nil, "“有的”还不够，请写明具体内容"},
	{"dir_talent", "是", nil, "“是”没有记为答案"},
	{"dir_talent", "不清楚", nil, "“不清楚”不能当作“无”"},
	{"dir_talent", "创新人才指什么", nil, "【创新人才】"},
	{"dir_talent", "培训员工掌握新工艺是什么样的效果还要看", val(survey.Value{Text: "培训员工掌握新工艺是什么样的效果还要看"}), ""},
	{"dir_talent", "引进的人才算不算创新人才？", nil, "【创新人才】"},
	{"dir_talent", "没有", nil, "已记：无"},
	// Texts that must say something.
	{"industry", "钢铁·特钢", val(survey.Value{Text: "钢铁·特钢"}), ""},
	{"industry", "改性塑料", val(survey.Value{Text: "改性塑料"}), ""},
	{"industry", "绑定了两个平台", val(survey.Value{Text: "绑定了两个平台"}), ""},
	{"industry", "无", nil, "不能只填“无”"},
	{"industry", "不知道", nil, "这一题要填写具体内容。需要问同事的话，可以回复“取消填报”"},
	{"industry", "行业怎么填", nil, "填表说明 1"},
	// An optional text: nothing is skipped, shown as 无.
	{"proj_doc", "无", val(survey.Value{Skipped: true}), ""},
	{"proj_doc", "没有", val(survey.Value{Skipped: true}), ""},
	{"proj_doc", "暂无", val(survey.Value{Skipped: true}), ""},
	{"proj_doc", "/", val(survey.Value{Skipped: true}), ""},
	{"proj_doc", "跳过", val(survey.Value{Skipped: true}), ""},
	{"proj_doc", "晋科〔2026〕18号", val(survey.Value{Text: "晋科〔2026〕18号"}), ""},
	{"proj_doc", "不知道", nil, "也可以回复“跳过”"},
	{"proj_doc", "没有", nil, "已记：无"},
	{"proj_doc", "没有文号", val(survey.Value{Skipped: true}), ""},
	{"proj_doc", "无立项文号", val(survey.Value{Skipped: true}), ""},
	// One choice.
	{"ownership", "5", val(survey.Value{Choice: 5}), ""},
	{"ownership", "民营", val(survey.Value{Choice: 5}), ""},
	{"ownership", "民企", val(survey.Value{Choice: 5}), ""},
	{"ownership", "私企", val(survey.Value{Choice: 5}), ""},
	{"ownership", "民营企业。", val(survey.Value{Choice: 5}), ""},
	{"ownership", "第5项", val(survey.Value{Choice: 5}), ""},
	{"ownership", "第五项", val(survey.Value{Choice: 5}), ""},
	{"ownership", "５", val(survey.Value{Choice: 5}), ""},
	{"ownership", "五", val(survey.Value{Choice: 5}), ""},
	{"ownership", "5 民营企业", val(survey.Value{Choice: 5}), ""},
	{"ownership", "外企", val(survey.Value{Choice: 7}), ""},
	{"ownership", "中外合资", val(survey.Value{Choice: 7}), ""},
	{"ownership", "央企", val(survey.Value{Choice: 1}), ""},
	{"ownership", "混改", val(survey.Value{Choice: 6}), ""},
	{"ownership", "民营企业吧", val(survey.Value{Choice: 5}), ""},
	{"ownership", "5吧", val(survey.Value{Choice: 5}), ""},
	{"ownership", "民营的", val(survey.Value{Choice: 5}), ""},
	{"ownership", "国企", nil, "2 省属国企；3 市属国企"},
	{"ownership", "9", nil, "没有第 9 项"},
	{"ownership", "事业单位", nil, "1 到 7"},
	{"ownership", "我们是国企还是民企？", nil, "附件2 填表说明 2"},
	{"inst_staff", "这个包括外聘的吗", nil, "【研究开发人员】"},
	{"has_institutions", "质检科算研发机构吗", nil, "【研究开发机构】"},
	{"proj_source", "自选", val(survey.Value{Choice: 1}), ""},
	{"proj_source", "自主立项", val(survey.Value{Choice: 1}), ""},
	{"proj_source", "政府", val(survey.Value{Choice: 2}), ""},
	{"proj_source", "省科技厅项目", val(survey.Value{Choice: 2}), ""},
	{"proj_source", "委托", val(survey.Value{Choice: 3}), ""},
	{"proj_source", "横向", val(survey.Value{Choice: 3}), ""},
	{"proj_source", "国外", val(survey.Value{Choice: 4}), ""},
	{"proj_source", "第二项", val(survey.Value{Choice: 2}), ""},
	{"proj_source", "项目来源怎么填", nil, "【项目来源】"},
	// Several choices.
	{"other_activities", "3和5", val(survey.Value{Multi: []int{3, 5}}), ""},
	{"other_activities", "第3项和第5项", val(survey.Value{Multi: []int{3, 5}}), ""},
	{"other_activities", "3/5", val(survey.Value{Multi: []int{3, 5}}), ""},
	{"other_activities", "三、五", val(survey.Value{Multi: []int{3, 5}}), ""},
	{"other_activities", "3，5，11", val(survey.Value{Multi: []int{3, 5, 11}}), ""},
	{"other_activities", "技术改造和产学研", val(survey.Value{Multi: []int{3, 11}}), ""},
	{"other_activities", "技改、培训", val(survey.Value{Multi: []int{3, 12}}), ""},
	{"other_activities", "都没有", val(survey.Value{}), ""},
	{"other_activities", "3、5吧", val(survey.Value{Multi: []int{3, 5}}), ""},
	{"other_activities", "一个都没有", val(survey.Value{}), ""},
	{"other_activities", "无", val(survey.Value{}), ""},
	{"other_activities", "没有", val(survey.Value{}), ""},
	{"other_activities", "15", nil, "没有第 15 项"},
	{"other_activities", "技术", nil, "对应好几项"},
	{"other_activities", "3和5", nil, "已记：3、5"},
	{"liuyou", "都有", val(survey.Value{Multi: []int{1, 2, 3, 4, 5, 6}}), ""},
	{"liuyou", "六个都有", val(survey.Value{Multi: []int{1, 2, 3, 4, 5, 6}}), ""},
	{"liuyou", "1,2,4", val(survey.Value{Multi: []int{1, 2, 4}}), ""},
	{"liuyou", "都没有", val(survey.Value{}), ""},
	{"liuyou", "六有是什么意思", nil, "【六有】"},
	// Counts.
	{"inst_staff", "35", val(survey.Value{Num: 35}), ""},
	{"inst_staff", "35个人", val(survey.Value{Num: 35}), ""},
	{"inst_staff", "35人", val(survey.Value{Num: 35}), ""},
	{"inst_staff", "35名", val(survey.Value{Num: 35}), ""},
	{"inst_staff", "三十五", val(survey.Value{Num: 35}), ""},
	{"inst_staff", "３５", val(survey.Value{Num: 35}), ""},
	{"inst_staff", "3千5", val(survey.Value{Num: 3500}), ""},
	{"inst_staff", "没有", val(survey.Value{}), ""},
	{"inst_staff", "无", val(survey.Value{}), ""},
	{"inst_staff", "0", val(survey.Value{}), ""},
	{"inst_staff", "2.5", nil, "整数"},
	{"inst_staff", "-3", nil, "不能小于 0"},
	{"inst_staff", "十几", nil, "表上要填确切的数字"},
	{"inst_staff", "约30人", nil, "按 30 人 记"},
	{"inst_staff", "12万元", nil, "这一题问的是数量"},
	{"inst_staff", "不清楚", nil, "不能当作 0"},
	{"inst_staff", "研发人员包括哪些", nil, "【研究开发人员】"},
	// Money in 万元.
	{"inst_cost", "12.5", val(survey.Value{Num: 12.5}), ""},
	{"inst_cost", "12万", val(survey.Value{Num: 12}), ""},
	{"inst_cost", "12万5", val(survey.Value{Num: 12.5}), ""},
	{"inst_cost", "120000元", val(survey.Value{Num: 12}), ""},
	{"inst_cost", "￥120000", val(survey.Value{Num: 12}), ""},
	{"inst_cost", "120,000.00元", val(survey.Value{Num: 12}), ""},
	{"inst_cost", "12万元整", val(survey.Value{Num: 12}), ""},
	{"inst_cost", "１２.５万", val(survey.Value{Num: 12.5}), ""},
	{"inst_cost", "0", val(survey.Value{}), ""},
	{"inst_cost", "50万吧", val(survey.Value{Num: 50}), ""},
	{"inst_cost", "50万元吧。", val(survey.Value{Num: 50}), ""},
	{"inst_cost", "50万左右吧", nil, "按 50 万元 记"},
	{"inst_staff", "35个人吧", val(survey.Value{Num: 35}), ""},
	{"inst_cost", "没有", val(survey.Value{}), ""},
	{"inst_cost", "12万5", nil, "已记：12.5 万元"},
	{"inst_cost", "5千", nil, "是 5000 元（0.5 万元）还是 5000 万元？"},
	{"inst_cost", "120000", nil, "是 120000 元（12 万元）还是 120000 万元？"},
	{"inst_cost", "1.2e5", nil, "是 120000 元（12 万元）还是 120000 万元？"},
	{"inst_cost", "约100万", nil, "按 100 万元 记"},
	{"inst_cost", "100多万", nil, "按 100 万元 记"},
	{"inst_cost", "100万左右", nil, "按 100 万元 记"},
	{"inst_cost", "大概50", nil, "按 50 万元 记"},
	{"inst_cost", "不到1万", nil, "按 1 万元 记"},
	{"inst_cost", "200亿", nil, "数值偏大"},
	{"inst_cost", "12人", nil, "这一题问的是金额"},
	{"inst_cost", "这个研发费用怎么算", nil, "填表说明 3"},
	{"inst_cost", "研发费用包括什么", nil, "【研究开发费用】"},
	// Answers held for a word.
	{"inst_cost|120000", "元", val(survey.Value{Num: 12}), ""},
	{"inst_cost|120000", "1", val(survey.Value{Num: 12}), ""},
	{"inst_cost|120000", "万元", val(survey.Value{Num: 120000}), ""},
	{"inst_cost|120000", "是万元", val(survey.Value{Num: 120000}), ""},
	{"inst_cost|120000", "元吧", val(survey.Value{Num: 12}), ""},
	{"inst_cost|120000", "是元的", val(survey.Value{Num: 12}), ""},
	{"inst_cost|120000", "12", val(survey.Value{Num: 12}), ""},
	{"inst_cost|120000", "好的", nil, "回复“元”或“万元”"},
	{"inst_cost|5千", "元", val(survey.Value{Num: 0.5}), ""},
	{"inst_cost|约100万", "确认", val(survey.Value{Num: 100}), ""},
	{"inst_cost|约100万", "好的", val(survey.Value{Num: 100}), ""},
	{"inst_cost|约100万", "是的", val(survey.Value{Num: 100}), ""},
	{"inst_cost|约100万", "120", val(survey.Value{Num: 120}), ""},
	{"inst_cost|约100万", "嗯哼", nil, "请回复“确认”保留 100 万元"},
	{"inst_cost|200亿", "确认", val(survey.Value{Num: 2000000}), ""},
	{"inst_staff|约5个人", "-3", nil, "不能小于 0 人，不能填负数。没有请回复 0\n请回复“确认”保留 5 人"},
	{"inst_staff|约5个人", "3.5", nil, "请填写整数（单位：人）"},
	{"inst_staff|不知道", "不清楚", nil, "不清楚的话，可以先回复“取消填报”暂停"},
	{"has_institutions|不知道", "不清楚", nil, "不清楚的话，可以先回复“取消填报”暂停（已填的都保存），问清楚后回复“填报”接着填。只需回复“有”或“无”"},
	{"inst_cost|200亿", "20", val(survey.Value{Num: 20}), ""},
	// Moving about while filling.
	{"dir_rnd", "修改 3", nil, "当前答案：有"},
	{"dir_rnd", "改9", nil, "当前答案：50 万元"},
	{"dir_rnd", "修改第九项", nil, "当前答案：50 万元"},
	{"dir_rnd", "修改 研发资产", nil, "当前答案：10 万元"},
	{"dir_rnd", "修改 99", nil, "没有第 99 项"},
	{"dir_rnd", "修改 -1", nil, "请回复“修改”加题号"},
	{"dir_rnd", "修改第", nil, "请回复“修改”加题号"},
	{"dir_rnd", "撤回", nil, "【创新平台】"},
	{"idle+now", "重新填报", nil, "要改某一项回复“修改 N”"},
	{"idle+now", "撤回", nil, "已提交的调查表不能撤回"},
	{"idle+now", "撤销提交", nil, "已提交的调查表不能撤回"},
	{"review", "先不提交", nil, "先不提交回复“取消填报”"},
	{"dir_rnd", "上一题", nil, "【创新平台】"},
	{"dir_rnd", "修改 9 为 60", nil, "已记：60 万元"},
	{"dir_rnd", "添加 研发项目", nil, "好的，添加第 2 个研发项目"},
	{"dir_rnd", "删除 研发项目 1", nil, "已删除第 1 个研发项目（螺纹钢工艺改进）"},
	{"inst_cost", "添加一个研发机构", nil, "好的，添加第 2 个研发机构"},
	{"proj_staff", "删除 研发项目 2", nil, "研发项目有 1 个，例如 删除 研发项目 1"},
	{"inst_cost|约100万", "删除 研发机构 1", nil, "已删除第 1 个研发机构（示范技术中心）"},
	{"dir_rnd", "研发资产改成20万", nil, "已记：20 万元"},
	{"dir_investment", "生产线改成自动化", val(survey.Value{Text: "生产线改成自动化"}), ""},
	{"dir_project", "新增研发项目", val(survey.Value{Text: "新增研发项目"}), ""},
	{"dir_platform", "增加一个研发平台", val(survey.Value{Text: "增加一个研发平台"}), ""},
	{"dir_rnd", "删掉第一个项目", nil, "已删除第 1 个研发项目（螺纹钢工艺改进）"},
	{"dir_rnd", "删除项目", nil, "已删除第 1 个研发项目（螺纹钢工艺改进）"},
	{"dir_rnd", "再加一个研发机构", nil, "好的，添加第 2 个研发机构"},
	{"dir_rnd", "添加一个项目", nil, "好的，添加第 2 个研发项目"},
	{"review", "修改一下", nil, "请回复“修改”加题号，例如 修改 3。"},
	{"review", "我要修改", nil, "请回复“修改”加题号，例如 修改 3。"},
	{"review", "我要修改第9项", nil, "当前答案：50 万元"},
	{"idle+now", "我要改一下", nil, "要改某一项回复“修改 N”"},
	{"review", "提交了吗", nil, "等待您确认提交"},
	{"idle+now", "提交了吗", nil, "本期（2026年11月）已提交第 1 版"},
	{"idle+now", "提交成功了吗？", nil, "本期（2026年11月）已提交第 1 版"},
	{"idle+now", "好的谢谢", nil, "不客气"},
	{"dir_investment", "新增研发投入30万", val(survey.Value{Text: "新增研发投入30万"}), ""},
	// The review.
	{"review", "确认", nil, "✅ 提交成功"},
	{"review", "好的", nil, "✅ 提交成功"},
	{"review", "提交", nil, "✅ 提交成功"},
	{"review", "确认无误", nil, "✅ 提交成功"},
	{"review", "没问题", nil, "✅ 提交成功"},
	{"review", "确认提交", nil, "✅ 提交成功"},
	{"review", "ok", nil, "✅ 提交成功"},
	{"review", "好的，确认提交", nil, "✅ 提交成功"},
	{"review", "对，提交吧", nil, "✅ 提交成功"},
	{"review", "好的，谢谢", nil, "✅ 提交成功"},
	{"review", "好的，取消", nil, "已暂停填报"},
	{"review", "修改十", nil, "（第 10/"},
	{"review", "修改第9项", nil, "（第 9/"},
	{"review", "改9", nil, "（第 9/"},
	{"review", "改第9题", nil, "（第 9/"},
	{"review", "修改 9", nil, "（第 9/"},
	{"review", "修改 研发费用", nil, "“研发费用”有 2 项"},
	{"review", "修改 99", nil, "没有第 99 项"},
	{"review|修改 9", "修改 3", nil, "当前答案：有"}, // during an edit, another item
	{"review|修改 9", "改第16题", nil, "当前答案：8 人"},
	{"review|修改 9|修改 3", "有", nil, "全部答完了，请核对"},
	{"idle+now|修改 16", "修改 3", nil, "当前答案：有"},
	{"review", "上一题", nil, "六有"},
	{"review", "修改 9 为 15", nil, "9. 研发机构1·研发费用：15 万元"},
	{"review", "查看", nil, "已填答案"},
	{"review", "查看", nil, "29. 六有：1、2、3、4（有固定的办公场所；有专门的技术人员；有必要的仪器设备；有科技研发经费）\n无误请回复“确认”提交"},
	{"review", "添加 研发项目", nil, "添加第 2 个研发项目"},
	{"review", "删除 研发项目 1", nil, "已删除第 1 个研发项目（螺纹钢工艺改进）"},
	{"review", "嗯哼", nil, "请回复“确认”提交"},
	// Straight from a reminder, no 填报 first.
	{"idle+last", "没有变化", nil, "已按上期（2026年10月）内容提交本期"},
	{"idle+last", "没变化", nil, "已按上期"},
	{"idle+last", "不变", nil, "已按上期"},
	{"idle+last", "和上月一样", nil, "已按上期"},
	{"idle+last", "同上月", nil, "已按上期"},
	{"idle+last", "跟上次一样", nil, "已按上期"},
	{"idle+last", "无变化", nil, "已按上期"},
	{"idle+last", "本月没有变化", nil, "已按上期"},
	{"idle+last", "照旧", nil, "已按上期"},
	{"idle+last", "和上个月一样，没变化", nil, "已按上期"},
	{"idle+last", "嗯，没有变化", nil, "已按上期"},
	{"idle+last", "没变化，谢谢", nil, "已按上期"},
	{"idle+last", "好的，修改 9 为 60", nil, "9. 研发机构1·研发费用：50 万元 → 60 万元"},
	{"idle+last", "没有变化，修改 9 为 60", nil, "回复“填报”"},
	{"idle+last", "仪器设备原价改成400万，其他不变", nil, "10. 研发机构1·仪器设备原价：300 万元 → 400 万元"},
	{"idle+last", "修改 9 为 60 其余没变", nil, "9. 研发机构1·研发费用：50 万元 → 60 万元"},
	{"idle+last", "其他都没变", nil, "已按上期"},
	{"update", "其他不变", nil, "已按上期"},
	{"idle+last", "修改第9项", nil, "当前答案：50 万元"},
	{"idle+last", "修改 9 为 60", nil, "9. 研发机构1·研发费用：50 万元 → 60 万元"},
	{"idle+last", "仪器设备原价改成400万", nil, "10. 研发机构1·仪器设备原价：300 万元 → 400 万元"},
	{"idle+last", "把研发资产改为20", nil, "研发项目1·研发资产：10 万元 → 20 万元"},
	{"idle+last", "研发费用改成30万", nil, "“研发费用”有 2 项，要改哪一项？请回复“修改”加题号，例如 修改 9：\n修改 9 为 30万 — 研发机构1·研发费用：50 万元"},
	{"idle+last", "研发费用怎么算", nil, "【研究开发费用】"},
	{"idle+last", "你好", nil, "回复“填报”"},
	{"idle+last", "我直接发个文件给你行吗", nil, "Excel 文件（.xlsx）直接发到这里"},
	{"industry", "可以发表格吗？", nil, "Excel 文件（.xlsx）直接发到这里，我读出来请您核对后再提交。\n也可以接着一题一题回复：\n（第 1/"},
	{"contact", "能发excel吗", nil, "直接发到这里"},
	{"idle+now", "没有变化", nil, "无需重复提交"},
	{"idle+now|修改 16|取消", "进度", nil, "本期（2026年11月）已提交第 1 版（2026-10-25 10:00）；修改的草稿还没有提交（已填 29/29 题）。回复“填报”接着改，不改了回复“确认清空”。"},
	{"idle+last|修改 16|取消", "进度", nil, "本期（2026年11月）草稿已填 29/29 题，尚未提交。回复“填报”继续。"},
	{"idle+now|修改 16", "取消", nil, "已暂停修改，改动都保存着，已提交的第 1 版不受影响。"},
	{"idle+now|修改 16|取消", "确认清空", nil, "修改的草稿已清空，本期（2026年11月）仍以已提交的第 1 版为准。"},
	{"idle+last|修改 16", "取消", nil, "已暂停填报"},
	{"idle+now", "修改 研发费用", nil, "“研发费用”有 2 项，要改哪一项？请回复“修改”加题号，例如 修改 9"},
	{"update", "没有变化", nil, "已按上期"},
	{"update|修改 7|20万", "不变", val(survey.Value{Num: 1}), "已记：1 个"},
	{"update|修改 7", "不变", val(survey.Value{Num: 1}), "已记：1 个"},
	{"update", "修改 16", nil, "当前答案：8 人"},
	{"update", "修改", nil, "哪些部分有变化"},
	{"update|修改", "2,4", nil, "只重新填写选中的部分"},
	{"update|修改", "2和4吧", nil, "只重新填写选中的部分"},
	{"update|修改|4", "不变", nil, "【创新人才】"},
	{"update|修改|4", "其他不变", nil, "好的，其余各题按上期填好了。\n与上次提交的内容相同"},
	{"update|修改|4|研发投入80万元", "其余都没变", nil, "与上次提交相比，改动了：\n20. 创新投入：研发投入 50 万元 → 研发投入80万元"},
	{"update", "去掉一个项目", nil, "已删除第 1 个研发项目（螺纹钢工艺改进）"},
	{"idle+last", "更新一下", nil, "上期（2026年10月）填报的关键数据"},
	{"idle+last", "我要上报", nil, "上期（2026年10月）填报的关键数据"},
	{"idle+last", "有变化", nil, "上期（2026年10月）填报的关键数据"},
	{"update|修改", "修改 3", nil, "当前答案：有"},
	{"update|修改", "改9为60", nil, "9. 研发机构1·研发费用：50 万元 → 60 万元"},
	{"update|修改", "没有变化", nil, "已按上期"},
	{"update|修改", "删除 研发项目 1", nil, "已删除第 1 个研发项目"},
	{"update", "添加 研发机构", nil, "添加第 2 个研发机构"},
	// The liaison's name and mobile.
	{"contact", "张三 13912345678", nil, "已登记：联系人 张三，手机 13912345678"},
	{"contact", "13912345678 张三", nil, "联系人 张三，手机 13912345678"},
	{"contact", "张三，139-1234-5678", nil, "联系人 张三，手机 13912345678"},
	{"contact", "姓名：张三 手机：139 1234 5678", nil, "联系人 张三，手机 13912345678"},
	{"contact", "１３９１２３４５６７８ 张三", nil, "联系人 张三，手机 13912345678"},
	{"contact", "+86 13912345678 张三", nil, "联系人 张三，手机 13912345678"},
	{"contact", "张三 1391234567", nil, "11 位数字"},
	{"contact", "张三 12912345678", nil, "以 13 到 19 开头"},
	{"contact", "13912345678", nil, "请再回复您的姓名"},
	{"contact", "张三", nil, "请再回复您的手机号"},
	{"contact", "沿用", nil, "联系人 李四，手机 0359-2020202"},
	{"contact", "填报", nil, "（第 1/"},
	{"contact", "你好", nil, "例如：张三 13912345678"},
	{"contact", "绑定了吗", nil, "请回复您的姓名和手机号"},
	{"contact", "什么意思？", nil, "请回复您的姓名和手机号"},
	{"contact", "好的谢谢", nil, "请回复您的姓名和手机号"},
	{"contact", "稍等一下", nil, "请回复您的姓名和手机号"},
	{"contact", "欧阳娜娜", nil, "姓名 欧阳娜娜 记下了"},
	{"contact", "不方便", nil, "暂时不填请回复“填报”"},
	{"contact", "保密", nil, "暂时不填请回复“填报”"},
	{"contact", "不想留", nil, "暂时不填请回复“填报”"},
	{"contact|填报|钢铁", "修改 联系方式", nil, "暂时不填回复“填报”接着填调查表"},
	{"contact|填报|钢铁|修改 联系方式", "修改 1", nil, "当前答案：钢铁"},
}

// TestLooseInput is the table of real-style inputs: each reply gets the value or the reply
// the table says, and a refused one changes nothing.
func TestLooseInput(t *testing.T) {
	if len(looseCases) < 150 {
		t.Fatalf("%d cases, want at least 150", len(looseCases))
	}
	for _, tc := range looseCases {
		t.Run(tc.at+"/"+tc.in, func(t *testing.T) {
			c := chatAt(t, tc.at)
			key := c.sess.Cursor
			var before survey.Answers
			if c.draft != nil {
				before = c.draft.Answers.Clone()
			}
			res := c.say(tc.in)
			got := strings.Join(res.Replies, "\n")
			if tc.reply != "" && !strings.Contains(got, tc.reply) {
				t.Fatalf("reply\n%s\nwant it to contain %q", got, tc.reply)
			}
			if tc.want != nil {
				v, ok := c.draft.Answers[key]
				if !ok || !reflect.DeepEqual(v, *tc.want) {
					t.Fatalf("answer at %s = %+v (%v), want %+v; reply %s", key, v, ok, *tc.want, got)
				}
			}
			if res.Failed && c.draft != nil && !reflect.DeepEqual(before, c.draft.Answers) {
				t.Errorf("a refused reply changed the answers")
			}
		})
	}
}

// TestContactDetails: what the contact state gives the caller to store.
func TestContactDetails(t *testing.T) {
	for in, want := range map[string]*Details{
		"张三 13912345678":      {Person: "张三", Mobile: "13912345678"},
		"欧阳·娜娜 137 0000 1111": {Person: "欧阳·娜娜", Mobile: "13700001111"},
		"沿用":                  {Person: "李四", Mobile: "0359-2020202"},
		"张三 1391234567":       nil,
		"你好":                  nil,
	} {
		c := chatAt(t, "contact")
		res := c.say(in)
		if !reflect.DeepEqual(res.Details, want) {
			t.Errorf("%q: details %+v, want %+v", in, res.Details, want)
		}
	}
	// In two messages.
	c := chatAt(t, "contact")
	c.say("13912345678")
	if res := c.say("王五"); !reflect.DeepEqual(res.Details, &Details{Person: "王五", Mobile: "13912345678"}) {
		t.Errorf("in two messages: %+v", res.Details)
	}
	// 修改 联系方式 mid-survey, then back to the question.
	c = chatAt(t, "inst_staff")
	c.contact = storage.Contact{ID: "张三", Person: "张三", Mobile: "13912345678"}
	c.expect("修改 联系方式", "现在登记的是：张三 13912345678。\n不改回复“不改”，接着填调查表。")
	c.expect("张三 13800001111", "机构研究开发人员有多少人")
	// Binding asks, offering the imported list.
	c = newChat(t)
	c.enterprise.ContactName, c.enterprise.ContactTel = "李四", "13800000000"
	res := Bound(Conversation{Form: c.form, Enterprise: c.enterprise, Contact: c.contact, Session: c.sess}, c.now)
	if !res.Commit || res.Session.State != stateContact || !strings.Contains(strings.Join(res.Replies, ""), "名单上登记的是：李四 13800000000，沿用请回复“沿用”") {
		t.Errorf("Bound = %+v", res)
	}
}

// TestNoLineTwiceInARow: a person who keeps sending what is not understood never gets the
// same line twice in a row, in any state.
func TestNoLineTwiceInARow(t *testing.T) {
	for _, tc := range []struct{ at, in string }{
		{"idle+last", "哈哈"}, {"idle+now", "随便"}, {"review", "嗯哼"}, {"update", "哦"},
		{"ownership", "x"}, {"inst_cost", "abc"}, {"inst_staff", "2.5"}, {"has_institutions", "也许"},
		{"other_activities", "天气"}, {"industry", "无"}, {"inst_cost|120000", "好的"}, {"inst_cost|约100万", "嗯哼"},
		{"contact", "你好"}, {"dir_rnd", "修改 99"}, {"review", "修改"},
		{"inst_staff", "不知道"}, {"inst_staff|约5个人", "-3"}, {"inst_cost|120000", "-3"},
	} {
		t.Run(tc.at+"/"+tc.in, func(t *testing.T) {
			c := chatAt(t, tc.at)
			last := ""
			for i := range 5 {
				res := c.say(tc.in)
				first, _, _ := strings.Cut(strings.Join(res.Replies, "\n"), "\n")
				if i > 0 && first == last {
					t.Fatalf("try %d: %q again", i+1, first)
				}
				last = first
			}
		})
	}
}

// TestExplainEveryQuestion: at every question the form explains, "这个怎么算" gets the
// explanation and then the question again, and changes nothing.
func TestExplainEveryQuestion(t *testing.T) {
	c := newChat(t)
	all := c.form.Steps(survey.Answers{"has_institutions": {Bool: true}, "has_projects": {Bool: true}, "other_activities": {Multi: []int{1}}})
	explained := 0
	for _, st := range all {
		exp := c.form.Explanation(st)
		if exp == "" {
			continue
		}
		explained++
		c.draft = &storage.Draft{EnterpriseID: "e1", Period: c.period, Answers: survey.Answers{"has_institutions": {Bool: true}, "has_projects": {Bool: true}, "other_activities": {Multi: []int{1}}}}
		c.sess = storage.Session{ContactID: "张三", State: stateFilling, EnterpriseID: "e1", Period: c.period, Cursor: st.Key}
		res := c.say("这个怎么算？")
		got := strings.Join(res.Replies, "\n")
		if res.Commit || !strings.Contains(got, exp) || !strings.Contains(got, st.PromptText()) {
			t.Errorf("%s: commit %v, reply\n%s\nwant the explanation and the question", st.Key, res.Commit, got)
		}
	}
	if explained < 20 {
		t.Errorf("%d questions explained", explained)
	}
}

// TestChecksAtReview: a contradiction is listed before the review with the form's words;
// 修改 goes to the answer, 保留 keeps it, and a kept one is not asked again.
func TestChecksAtReview(t *testing.T) {
	c := chatAt(t, "liuyou")
	c.draft.Answers["institution.0.inst_cost"] = survey.Value{}
	c.draft.Answers["project.0.proj_cost"] = survey.Value{}
	c.expect("1,2,3,4", "“六有”里选了“有科技研发经费”，但研发机构和研发项目的研发费用都是 0")
	if !strings.Contains(c.last[len(c.last)-1], "填表说明 3") {
		t.Errorf("the check does not quote the form: %q", c.last)
	}
	c.expect("修改", "六有")
	c.expect("1,2,3", "全部答完了，请核对")
	c.expect("上一题", "六有")
	c.expect("1234", "有科技研发经费")
	c.expect("保留", "全部答完了，请核对")
	c.expect("修改 1", "所属行业")
	c.expect("钢铁", "全部答完了，请核对") // kept: not asked again
	c.expect("确认", "✅ 提交成功")
	if _, ok := c.subs[0].Answers[keptPrefix+"funds_without_cost"]; ok {
		t.Error("the kept check reached the submission")
	}
}

// TestOneFigureAfterSubmitting: after submitting, one figure is corrected in three messages
// (or one), and the new version differs from the last in that figure only.
func TestOneFigureAfterSubmitting(t *testing.T) {
	c := chatAt(t, "idle+now")
	c.expect("修改 16", "当前答案：8 人")
	c.expect("12", "16. 研发项目1·研发人员：8 人 → 12 人")
	c.expect("确认", "第 2 版")
	want := baseAnswers()
	want["project.0.proj_staff"] = survey.Value{Num: 12}
	if got := c.subs[1].Answers; !reflect.DeepEqual(got, want) {
		t.Errorf("version 2 = %v", got)
	}
	c.expect("修改 研发资产 为 11", "研发资产：10 万元 → 11 万元")
	c.expect("好的", "第 3 版")
}

// TestRowsAfterSubmitting adds and deletes a project of a submitted survey.
func TestRowsAfterSubmitting(t *testing.T) {
	c := chatAt(t, "idle+now")
	c.expect("添加 研发项目", "【研发项目 第 2 个】研发项目名称是？")
	for _, s := range []string{"新型耐候钢", "政府项目", "晋科〔2026〕5号", "6", "20万", "0"} {
		c.say(s)
	}
	c.expect("没有了", "研发项目2·项目名称：（无） → 新型耐候钢")
	c.expect("确认", "研发项目：2 个（研发人员 14 人，研发费用 50 万元，研发资产 10 万元）")
	c.expect("删除第1个研发项目", "已删除第 1 个研发项目（螺纹钢工艺改进）")
	c.expect("确认", "研发项目：1 个（研发人员 6 人，研发费用 20 万元，研发资产 0 万元）")
	if got := c.subs[2].Answers["project.0.proj_name"].Text; got != "新型耐候钢" || len(c.subs) != 3 {
		t.Errorf("after deleting: %q, %d versions", got, len(c.subs))
	}
	// The only project left, deleted: 有无研发项目 becomes 无, and the check on institution
	// costs without a project asks.
	c.expect("删除 研发项目", "“有无研发项目”填的是无")
	c.expect("保留", "改动了")
	c.expect("添加 天气", "可以添加或删除的是：研发机构、研发项目")
}

// TestClosedMonthDraftMoves: a draft started in a month whose report is closed moves to the
// current period when resumed, answers kept, the liaison told.
func TestClosedMonthDraftMoves(t *testing.T) {
	c := chatAt(t, "inst_staff")
	c.draft.Period, c.sess.Period = "2026-10", "2026-10"
	before := c.draft.Answers.Clone()
	res := c.say("25")
	got := strings.Join(res.Replies, "\n")
	if !res.DropDraft || c.draft.Period != "2026-11" || c.sess.Period != "2026-11" {
		t.Fatalf("drop %v, draft %s, session %s", res.DropDraft, c.draft.Period, c.sess.Period)
	}
	if !strings.Contains(got, "2026年10月的填报已经截止，您的草稿已转到本期（2026年11月）接着填") || !strings.Contains(got, "已记：25 人") {
		t.Errorf("reply %s", got)
	}
	for k, v := range before {
		if !reflect.DeepEqual(c.draft.Answers[k], v) {
			t.Errorf("%s lost in the move", k)
		}
	}
	// At the review the move is shown before anything is submitted.
	c = chatAt(t, "review")
	c.draft.Period, c.sess.Period = "2026-10", "2026-10"
	res = c.say("确认")
	if res.Submission != nil || !strings.Contains(strings.Join(res.Replies, ""), "请核对") {
		t.Fatalf("submitted into the new month without a look: %q", res.Replies)
	}
	c.expect("确认", "期别：2026年11月")
}

// TestReceiptInZone: the 回执 shows the time in the configured zone on a UTC clock, and each
// table's figures on its own.
func TestReceiptInZone(t *testing.T) {
	c := chatAt(t, "review")
	c.now = c.now.UTC().Truncate(24 * time.Hour).Add(2*time.Hour + 30*time.Minute) // 02:30 UTC is 10:30 in Shanghai
	res := c.say("确认")
	got := strings.Join(res.Replies, "\n")
	for _, want := range []string{"时间：2026-11-25 10:30", "期别：2026年11月",
		"研发机构：1 个（期末机构数 1 个，研发人员 20 人，研发费用 50 万元，仪器设备原价 300 万元）",
		"研发项目：1 个（研发人员 8 人，研发费用 30 万元，研发资产 10 万元）",
		"创新活动方向：创新投入、技术合作", "其他创新活动：2 项（3、11）", "六有：4 项（1、2、3、4）"} {
		if !strings.Contains(got, want) {
			t.Errorf("receipt lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "28 人") || strings.Contains(got, "80 万元") {
		t.Errorf("receipt adds institution and project figures:\n%s", got)
	}
	if fmt.Sprint(c.now.Hour()) != "2" {
		t.Fatalf("clock %v", c.now)
	}
	// A table with no row says so.
	c = chatAt(t, "review")
	c.draft.Answers["has_projects"] = survey.Value{}
	c.expect("确认", "研发项目：无")
}

// TestCommandsAsked: a command typed as a question (进度？) or with 一下 does what it says in
// every state that takes free text, and is never kept as the answer or as a name.
func TestCommandsAsked(t *testing.T) {
	for _, tc := range []struct{ at, in, reply string }{
		{"industry", "进度？", "已答 0/"},
		{"industry", "进度?", "已答 0/"},
		{"industry", "看一下进度", "已答 0/"},
		{"ownership", "查看一下", "已填答案："},
		{"ownership", "查看？", "已填答案："},
		{"industry", "？", "填报时可以这样回复"},
		{"contact", "进度？", "联系方式以后可以"},
		{"contact", "查看？", "联系方式以后可以"},
	} {
		t.Run(tc.at+"/"+tc.in, func(t *testing.T) {
			c := chatAt(t, tc.at)
			key := c.sess.Cursor
			res := c.say(tc.in)
			got := strings.Join(res.Replies, "\n")
			if !strings.Contains(got, tc.reply) {
				t.Errorf("reply\n%s\nwant it to contain %q", got, tc.reply)
			}
			if res.Details != nil {
				t.Errorf("kept as contact details: %+v", res.Details)
			}
			if c.draft != nil {
				if v, ok := c.draft.Answers[key]; ok {
					t.Errorf("kept as the answer to %s: %+v", key, v)
				}
			}
		})
	}
}

// TestNeverKeptAsText: at a question that takes any text, what a hurried liaison types that
// is no answer — a question about the form, a command, thanks, a request to wait — is never
// kept as what the enterprise did; the reply says what to send instead.
func TestNeverKeptAsText(t *testing.T) {
	cases := []struct{ in, reply string }{
		// Questions, with or without the words of asking the glossary knows.
		{"这个必须填吗", "【技术研发】"},
		{"这题要写什么？", "【技术研发】"},
		{"跟高校有合作吗？这个算不算", "【技术研发】"},
		{"我们和高校有合作这个算不算", "【技术研发】"},
		{"跟高校有合作吗", "【技术研发】"},
		{"可以写无吗", "【技术研发】"},
		{"看不懂", "【技术研发】"},
		{"没看懂这题", "【技术研发】"},
		{"啥意思", "【技术研发】"},
		// Commands that mean nothing at a question not yet answered.
		{"确认", "没有记为答案"},
		{"好的", "没有记为答案"},
		{"提交", "还没答完"},
		{"确认提交", "还没答完"},
		{"清空", "先回复“取消填报”"},
		{"确认清空", "先回复“取消填报”"},
		{"修改", "修改 3"},
		{"跳过这题", "不能跳过"},
		{"不用改", "还没有答案"},
		// Thanks, greetings, waiting, putting off.
		{"谢谢", "没有记为答案"},
		{"收到", "没有记为答案"},
		{"稍等", "没有记为答案"},
		{"等一下", "没有记为答案"},
		{"你好", "没有记为答案"},
		{"在吗", "没有记为答案"},
		{"好的，谢谢", "没有记为答案"},
		{"谢谢，稍等", "没有记为答案"},
		{"好的，跳过", "不能跳过"},
		{"回头再填", "已暂停填报"},
		{"明天再填吧", "已暂停填报"},
		{"我问问领导", "取消填报"},
	}
	for _, at := range []string{"dir_rnd", "industry", "inst_name", "proj_name"} {
		for _, tc := range cases {
			t.Run(at+"/"+tc.in, func(t *testing.T) {
				c := chatAt(t, at)
				key, before := c.sess.Cursor, c.draft.Answers.Clone()
				res := c.say(tc.in)
				got := strings.Join(res.Replies, "\n")
				if v, ok := c.draft.Answers[key]; ok {
					t.Fatalf("kept as the answer to %s: %+v; reply %s", key, v, got)
				}
				if !reflect.DeepEqual(before, c.draft.Answers) {
					t.Fatalf("answers changed: %v → %v", before, c.draft.Answers)
				}
				if at == "dir_rnd" && !strings.Contains(got, tc.reply) {
					t.Errorf("reply\n%s\nwant it to contain %q", got, tc.reply)
				}
			})
		}
	}
}

// TestKeepAnAnswerAndGoOn: back at an answered question (上一题, 修改 N), 不用改, 跳过 and 下一题
// keep its answer and go on, instead of being refused as an answer again and again.
func TestKeepAnAnswerAndGoOn(t *testing.T) {
	for _, tc := range []struct{ at, in, reply string }{
		{"dir_rnd|上一题", "不用改", "【技术研发】"},
		{"dir_rnd|上一题", "跳过这题", "【技术研发】"},
		{"dir_rnd|上一题", "下一题", "【技术研发】"},
		{"dir_rnd|上一题", "不变", "【技术研发】"},
		{"dir_rnd|修改 2", "不用改", "【技术研发】"},
		{"dir_rnd|修改 2", "保留", "【技术研发】"},
		{"dir_rnd|修改 1", "下一题吧", "【技术研发】"},
		{"review|修改 2", "不改", "全部答完了，请核对"},
		{"review|修改 9", "跳过", "全部答完了，请核对"},
	} {
		t.Run(tc.at+"/"+tc.in, func(t *testing.T) {
			c := chatAt(t, tc.at)
			key := c.sess.Cursor
			kept := c.draft.Answers[key]
			res := c.say(tc.in)
			got := strings.Join(res.Replies, "\n")
			if !strings.Contains(got, tc.reply) {
				t.Errorf("reply\n%s\nwant it to contain %q", got, tc.reply)
			}
			if res.Failed {
				t.Errorf("counted as a failed reply")
			}
			if v := c.draft.Answers[key]; !reflect.DeepEqual(v, kept) {
				t.Errorf("answer at %s = %+v, want %+v kept", key, v, kept)
			}
		})
	}
}

// TestNoneThenMore: a reply that begins with 无 and goes on (没有，明年计划加大投入) at a
// question whose answer makes the enterprise 有创新活动 is not kept until the liaison says
// which they meant: 无, the words as typed, or what was done.
func TestNoneThenMore(t *testing.T) {
	for _, tc := range []struct {
		then string
		want survey.Value
	}{
		{"无", survey.Value{}},
		{"确认", survey.Value{Text: "没有，明年计划加大投入"}},
		{"按原话记", survey.Value{Text: "没有，明年计划加大投入"}},
		{"引进了两名博士", survey.Value{Text: "引进了两名博士"}},
	} {
		t.Run(tc.then, func(t *testing.T) {
			c := chatAt(t, "dir_talent")
			key := c.sess.Cursor
			res := c.say("没有，明年计划加大投入")
			if got := strings.Join(res.Replies, "\n"); !strings.Contains(got, "您的回复以“没有”开头") {
				t.Fatalf("reply\n%s", got)
			}
			if v, ok := c.draft.Answers[key]; ok {
				t.Fatalf("kept before the liaison said which: %+v", v)
			}
			c.say(tc.then)
			if v, ok := c.draft.Answers[key]; !ok || !reflect.DeepEqual(v, tc.want) {
				t.Errorf("after %q: %+v (%v), want %+v", tc.then, v, ok, tc.want)
			}
		})
	}
	// 好吧 is too vague: asked again, nothing kept.
	c := chatAt(t, "dir_talent")
	key := c.sess.Cursor
	c.say("没有，明年计划加大投入")
	if res := c.say("好吧"); !strings.Contains(strings.Join(res.Replies, "\n"), "本期没有的话回复“无”") {
		t.Errorf("好吧 got %q", res.Replies)
	}
	if v, ok := c.draft.Answers[key]; ok {
		t.Errorf("好吧 kept %+v", v)
	}
	// 没有，谢谢 is 无 at once.
	c = chatAt(t, "dir_talent")
	key = c.sess.Cursor
	c.say("没有，谢谢")
	if v, ok := c.draft.Answers[key]; !ok || !reflect.DeepEqual(v, survey.Value{}) {
		t.Errorf("没有，谢谢: %+v (%v), want 无", v, ok)
	}
}

// TestSecondTryKeepsTheReason: a reason about what was typed (an ambiguous name) is said on
// the second failed try too, not replaced by the general line.
func TestSecondTryKeepsTheReason(t *testing.T) {
	c := chatAt(t, "ownership")
	c.say("事业单位")
	res := c.say("国企")
	if got := strings.Join(res.Replies, "\n"); !strings.Contains(got, "还是没能识别。“国企”对应好几项：2 省属国企；3 市属国企") {
		t.Errorf("second try:\n%s", got)
	}
}
