package dialog

import (
	"strings"
	"testing"

	"innobot/survey"
	"innobot/survey/surveytest"
)

func (c *chat) upload(u Upload) Result {
	c.t.Helper()
	return c.run("文件 "+u.Name, func(conv Conversation) Result { return HandleUpload(conv, u, c.now) })
}

// fileAnswers is a whole survey as a file gives it.
func fileAnswers() survey.Answers {
	return survey.Answers{
		"industry": {Text: "钢铁·特殊钢冶炼"}, "ownership": {Choice: 5},
		"has_institutions": {}, "has_projects": {Bool: true},
		"project.0.proj_name": {Text: "高强度螺纹钢工艺改进"}, "project.0.proj_source": {Choice: 1},
		"project.0.proj_doc": {Skipped: true}, "project.0.proj_staff": {Num: 8}, "project.0.proj_cost": {Num: 30},
		"project.0.proj_assets": {Num: 0}, "project.0.#more": {},
		"dir_investment": {Text: "新增研发投入 30 万元"}, "dir_talent": {}, "dir_project": {}, "dir_platform": {},
		"dir_rnd": {}, "dir_cooperation": {}, "other_activities": {Multi: []int{3}},
		"other_explain_3": {Text: "节能改造"}, "liuyou": {Multi: []int{1, 2}},
	}
}

// TestUploadWhole: a file that answers everything goes straight to the review; 确认提交
// submits it as version 1 with the usual 回执.
func TestUploadWhole(t *testing.T) {
	c := newChat(t)
	res := c.upload(Upload{Name: "附件3.xlsx", Enterprise: "山西示范钢铁有限公司", Answers: fileAnswers()})
	if !res.Commit || res.Submission != nil {
		t.Fatalf("upload: commit %v, submission %v", res.Commit, res.Submission)
	}
	got := strings.Join(c.last, "\n")
	for _, want := range []string{"已读取《附件3.xlsx》", "还没有提交", "全部答完了，请核对", "节能改造"} {
		if !strings.Contains(got, want) {
			t.Errorf("reply lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "注意") {
		t.Errorf("the same enterprise is flagged:\n%s", got)
	}
	c.expect("确认提交", "第 1 版")
	if len(c.subs) != 1 {
		t.Fatalf("submissions = %d", len(c.subs))
	}
	surveytest.Check(t, c.subs[0].Answers, fileAnswers())
}

// TestUploadAsksWhatIsOpen: problems are listed, the questions the file left open are asked
// one by one, and a draft's answers of sections the file does not touch stay.
func TestUploadAsksWhatIsOpen(t *testing.T) {
	c := newChat(t)
	c.expect("填报", "所属行业")
	c.expect("钢铁", "企业属性")
	c.expect("5", "研究开发机构")
	a := fileAnswers()
	delete(a, "industry")
	delete(a, "ownership")
	delete(a, "project.0.proj_cost")
	delete(a, "liuyou")
	c.upload(Upload{Name: "调查表.xlsx", Enterprise: "别的公司", Answers: a,
		Problems: []string{"第 12 行 研究开发费用情况：“约五十”不是数字"}})
	got := strings.Join(c.last, "\n")
	for _, want := range []string{
		"注意：文件里的企业全称是“别的公司”", "【基本情况】", "所属行业：钢铁", "研发项目1·研发费用：（未答）",
		"第 12 行 研究开发费用情况：“约五十”不是数字", "还有 2 题", "项目研究开发费用是多少万元",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("reply lacks %q:\n%s", want, got)
		}
	}
	c.expect("五十", "六有")
	c.expect("1,2", "请核对")
	c.expect("确认提交", "回执")
	if v := c.subs[0].Answers["project.0.proj_cost"]; v.Num != 50 {
		t.Errorf("cost = %v", v)
	}
	if v := c.subs[0].Answers["industry"]; v.Text != "钢铁" {
		t.Errorf("industry from the chat draft = %+v", v)
	}
}

// TestUploadMovesClosedDraft: a file sent while a draft of a closed month waits takes that
// draft to the current period with it, instead of leaving it behind under the old month.
func TestUploadMovesClosedDraft(t *testing.T) {
	c := chatAt(t, "inst_staff")
	c.draft.Period, c.sess.Period = "2026-10", "2026-10"
	a := fileAnswers()
	delete(a, "industry")
	delete(a, "ownership")
	res := c.upload(Upload{Name: "附件3.xlsx", Answers: a})
	if !res.DropDraft || c.draft == nil || c.draft.Period != "2026-11" || c.sess.Period != "2026-11" {
		t.Fatalf("drop %v, draft %+v, session %+v", res.DropDraft, c.draft, c.sess)
	}
	if got := strings.Join(c.last, "\n"); !strings.Contains(got, "2026年10月的填报已经截止") {
		t.Errorf("reply does not say the draft moved:\n%s", got)
	}
	if v := c.draft.Answers["industry"]; v.Text != "钢铁·特殊钢冶炼" {
		t.Errorf("the draft's 所属行业, not in the file, is %+v", v)
	}
}

// TestUploadEmpty: a file with no answers changes nothing.
func TestUploadEmpty(t *testing.T) {
	c := newChat(t)
	res := c.upload(Upload{Name: "空白.xlsx", Problems: []string{"第 9 行 期末机构数：“x”不是数字"}})
	if res.Commit || c.draft != nil {
		t.Fatalf("an empty file committed: %+v", res)
	}
	if got := strings.Join(c.last, "\n"); !strings.Contains(got, "没有读到任何答案") || !strings.Contains(got, "第 9 行") {
		t.Errorf("reply:\n%s", got)
	}
}
