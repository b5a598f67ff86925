package dialog

import (
	"cmp"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"innobot/storage"
	"innobot/survey"
	"innobot/survey/surveytest"
)

var shanghai = time.FixedZone("CST", 8*3600)

// chat holds what a store would: the dialog's results applied turn by turn.
type chat struct {
	t    *testing.T
	form *survey.Form
	now  time.Time
	// period is what the caller's rule says a survey made now reports; the tests set it
	// with the clock, since the rule is not the dialog's.
	period     string
	contact    storage.Contact
	enterprise storage.Enterprise
	sess       storage.Session
	draft      *storage.Draft
	subs       []storage.Submission
	tries      int
	last       []string // replies of the last turn
}

func newChat(t *testing.T) *chat {
	return &chat{t: t, form: survey.Default(), now: time.Date(2026, 11, 25, 10, 0, 0, 0, shanghai), period: "2026-11",
		sess:       storage.Session{ContactID: "张三"},
		contact:    storage.Contact{ID: "张三", Role: storage.RoleLiaison, EnterpriseID: "e1"},
		enterprise: storage.Enterprise{ID: "e1", Name: "山西示范钢铁有限公司", Region: "盐湖区"},
	}
}

// history is the part of subs a turn is given: the latest version of period and the latest
// submission, by period and version.
func history(subs []storage.Submission, period string) []storage.Submission {
	var out []storage.Submission
	for i, s := range subs {
		last := i == len(subs)-1
		lastOfPeriod := s.Period == period && !slices.ContainsFunc(subs[i+1:], func(x storage.Submission) bool { return x.Period == period })
		if last || lastOfPeriod {
			out = append(out, s)
		}
	}
	slices.SortFunc(out, func(a, b storage.Submission) int {
		return cmp.Or(strings.Compare(a.Period, b.Period), a.Version-b.Version)
	})
	return out
}

// say sends one message and applies the result as the bot would after committing it.
func (c *chat) say(text string) Result {
	c.t.Helper()
	return c.run(text, func(conv Conversation) Result { return Handle(conv, text, c.now) })
}

// run runs one turn of handle (text names it in failures) and applies its result.
func (c *chat) run(text string, handle func(Conversation) Result) Result {
	c.t.Helper()
	conv := Conversation{
		Form: c.form, Enterprise: c.enterprise, Contact: c.contact, Session: c.sess,
		Period: c.period, Location: shanghai, Tries: c.tries,
	}
	period := c.sess.Period
	if period == "" {
		period = conv.Period
	}
	// The draft goes in sharing its maps with the last turn's result: Handle must leave the
	// caller's draft as it was.
	var given survey.Answers
	if c.draft != nil && c.draft.Period == period {
		d := *c.draft
		conv.Draft = &d
		given = d.Answers.Clone()
	}
	// As the store gives it (storage.TurnState.History), so that a test fails if a turn
	// starts to need more of the history.
	conv.Submissions = history(c.subs, period)
	before := c.draft
	res := handle(conv)
	if conv.Draft != nil && !reflect.DeepEqual(conv.Draft.Answers, given) {
		c.t.Fatalf("%q: Handle changed the answers it was given", text)
	}
	c.now = c.now.Add(time.Minute)
	c.last = res.Replies
	if len(res.Replies) == 0 {
		c.t.Fatalf("%q: no reply", text)
	}
	if res.Failed {
		c.tries++
	} else {
		c.tries = 0
	}
	if !res.Commit {
		if c.draft != before {
			c.t.Fatalf("%q: draft changed without commit", text)
		}
		return res
	}
	old := c.sess.Cursor
	c.sess = res.Session
	if c.sess.Cursor != old {
		c.tries = 0
	}
	if res.DropDraft {
		c.draft = nil
	}
	if res.Draft != nil {
		c.draft = res.Draft
	}
	if res.Submission != nil {
		c.subs = append(c.subs, *res.Submission)
	}
	return res
}

// expect sends text and checks that the last reply contains want.
func (c *chat) expect(text, want string) {
	c.t.Helper()
	c.say(text)
	if got := strings.Join(c.last, "\n"); !strings.Contains(got, want) {
		c.t.Fatalf("after %q: reply\n%s\n-- want it to contain %q", text, got, want)
	}
}

func TestWholeSurvey(t *testing.T) {
	c := newChat(t)
	steps := surveytest.WholeSurvey()
	for _, step := range steps {
		c.expect(step.Text, step.Want)
	}
	if len(c.subs) != 1 {
		t.Fatalf("submissions = %d, want 1", len(c.subs))
	}
	got := c.subs[0]
	if got.Period != "2026-11" || got.Version != 1 || got.SubmittedBy != "张三" {
		t.Errorf("submission = %s v%d by %s, want 2026-11 v1 by 张三", got.Period, got.Version, got.SubmittedBy)
	}
	surveytest.Check(t, got.Answers, surveytest.Answers(steps))
	if c.draft != nil {
		t.Errorf("draft kept after submission")
	}
	if !strings.Contains(c.last[len(c.last)-1], "第 1 版") {
		t.Errorf("receipt lacks the version: %q", c.last)
	}
}

func TestPlanRequiredWhenNothing(t *testing.T) {
	c := newChat(t)
	for _, s := range []string{"填报", "建材", "民营", "无", "无"} {
		c.say(s)
	}
	for range 6 {
		c.say("无")
	}
	c.expect("无", "六有")
	c.expect("1", "计划开展创新活动内容")
	c.expect("无", "不能只填“无”")
	c.expect("暂无计划", "计划开展创新活动内容") // refused: asked again
	c.expect("明年再说吧", "计划开展创新活动内容")
	c.expect("计划明年建立企业技术中心", "请核对")
	c.expect("确认提交", "回执")
	if got := c.subs[0].Answers["plan"].Text; got != "计划明年建立企业技术中心" {
		t.Errorf("plan = %q", got)
	}
}

func TestBadInputChangesNothing(t *testing.T) {
	c := newChat(t)
	for _, s := range []string{"填报", "钢铁", "5", "有", "技术中心", "自建", "钢"} {
		c.say(s)
	}
	// now at 期末机构数 (a count, integer, min 0)
	bad := []struct{ name, text string }{
		{"empty", ""},
		{"negative", "-5"},
		{"words", "不知道"},
		{"emoji", "😀😀"},
		{"control", "\x00\x07\x1b"},
		{"fraction", "1.5"},
		{"long", strings.Repeat("长", 3000)},
		{"two numbers", "3 4"},
	}
	for _, b := range bad {
		t.Run(b.name, func(t *testing.T) {
			c.t = t
			before := c.draft.Answers.Clone()
			cursor := c.sess.Cursor
			res := c.say(b.text)
			if res.Commit || !res.Failed {
				t.Fatalf("commit=%v failed=%v, want a rejected reply", res.Commit, res.Failed)
			}
			if c.sess.Cursor != cursor || len(c.draft.Answers) != len(before) {
				t.Fatalf("state changed")
			}
			if !strings.Contains(strings.Join(res.Replies, ""), "期末机构数") {
				t.Errorf("the question is not asked again: %q", res.Replies)
			}
		})
	}
	c.t = t
	c.expect("1", "研究开发人员")
}

func TestThreeTriesHelp(t *testing.T) {
	c := newChat(t)
	c.say("填报")
	c.say("钢铁")
	c.expect("x", "请回复 1 到 7")
	c.expect("y", "还是没能识别")
	c.expect("z", "还没能识别")
	c.expect("取消填报", "已暂停")
	c.expect("确认清空", "已清空")
	if c.draft != nil {
		t.Fatal("draft kept after 确认清空")
	}
}

func TestNavigation(t *testing.T) {
	c := newChat(t)
	c.expect("填报", "（第 1/")
	c.expect("上一题", "已经是第一题")
	c.expect("跳过", "不能跳过")
	c.expect("冶金", "（第 2/")
	c.expect("上一题", "当前答案：冶金")
	c.expect("钢铁", "企业属性") // back to the first open question
	if c.draft.Answers["industry"].Text != "钢铁" {
		t.Fatalf("industry = %q", c.draft.Answers["industry"].Text)
	}
	c.expect("进度", "已答 1/")
	c.expect("查看", "所属行业：钢铁")
	c.expect("帮助", "上一题")
	c.expect("取消填报", "已暂停")
	c.expect("你好", "填报已暂停")
	c.expect("填报", "企业属性") // resumes where it was
}

func TestSoftMaxAndReview(t *testing.T) {
	c := newChat(t)
	for _, s := range []string{"填报", "钢铁", "5", "有", "中心", "自建", "钢", "1", "10"} {
		c.say(s)
	}
	c.expect("200亿", "数值偏大")
	c.expect("嗯哼", "请回复“确认”")
	c.expect("2000000", "还是 2000000 万元")
	c.expect("万元", "数值偏大")
	c.expect("确认", "已记：2000000 万元")
	for _, s := range []string{"5", "无", "无"} {
		c.say(s)
	}
	for range 6 {
		c.say("无")
	}
	c.say("无")
	c.expect("1", "“有无研发项目”填的是无")
	c.expect("保留", "可能把“元”当成了“万元”")
	c.expect("保留", "请核对")
	c.expect("修改 99", "题号在 1 到")
	c.expect("修改 1", "当前答案：钢铁")
	c.expect("焦化", "请核对")
	c.expect("确认提交", "第 1 版")
	if got := c.subs[0].Answers["institution.0.inst_cost"].Num; got != 2000000 {
		t.Errorf("inst_cost = %v", got)
	}
	if got := c.subs[0].Answers["industry"].Text; got != "焦化" {
		t.Errorf("industry = %q", got)
	}
	// The same period again: a new version, never an overwrite.
	c.expect("填报", "已于")
	c.expect("无变化", "无需重复提交")
	c.expect("修改", "哪些部分")
	c.expect("1", "所属行业")
	c.expect("钢铁", "企业属性")
	c.expect("5", "所属行业：焦化 → 钢铁")
	c.expect("确认提交", "第 2 版")
	if len(c.subs) != 2 || c.subs[0].Answers["industry"].Text != "焦化" || c.subs[1].Answers["industry"].Text != "钢铁" {
		t.Fatalf("versions overwrote each other: %+v", c.subs)
	}
}

func TestMonthlyUpdate(t *testing.T) {
	c := newChat(t)
	first := surveytest.WholeSurvey()
	for _, s := range first {
		c.say(s.Text)
	}
	c.now, c.period = time.Date(2026, 12, 8, 9, 0, 0, 0, shanghai), "2026-12"
	c.expect("填报", "上期（2026年11月）")
	c.expect("无变化", "已按上期（2026年11月）内容提交")
	if len(c.subs) != 2 || c.subs[1].Period != "2026-12" || c.subs[1].Version != 1 {
		t.Fatalf("got %+v", c.subs[len(c.subs)-1])
	}
	surveytest.Check(t, c.subs[1].Answers, c.subs[0].Answers)

	c.now, c.period = time.Date(2027, 1, 8, 9, 0, 0, 0, shanghai), "2027-01"
	c.expect("填报", "上期（2026年12月）")
	c.expect("修改", "哪些部分")
	c.expect("3", "研究开发项目")
	c.expect("有", "上期：高强度螺纹钢工艺改进")
	for _, s := range []string{"新项目", "2", "晋科〔2026〕1号", "3", "5", "0", "无"} {
		c.say(s)
	}
	if !strings.Contains(strings.Join(c.last, ""), "改动了") {
		t.Fatalf("not at review: %q", c.last)
	}
	c.expect("确认提交", "2027年1月")
	got := c.subs[2].Answers
	if got["project.0.proj_name"].Text != "新项目" || !surveytest.Equal(got["industry"], surveytest.Answers(first)["industry"]) || got["other_explain_3"].Text == "" {
		t.Errorf("update lost or kept the wrong parts: %+v", got)
	}
}
