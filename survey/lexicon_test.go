package survey

import (
	"slices"
	"strings"
	"testing"
)

// TestLexicon pins how short replies read: "nothing", "I don't know", yes and no.
func TestLexicon(t *testing.T) {
	const (
		none = iota
		unsure
		yes
		no
		chatter
		other
	)
	tests := []struct {
		in   string
		want int
	}{
		{"无", none}, {"没有", none}, {"没有了", none}, {"暂无", none}, {"暂时没有", none}, {"还没有", none},
		{"没开展", none}, {"未开展", none}, {"不涉及", none}, {"无相关活动", none}, {"本期无", none},
		{"都没有", none}, {"一个都没有", none}, {"/", none}, {"-", none}, {"—", none}, {"——", none}, {"0", none},
		{"０", none}, {"无。", none}, {" 没有！", none}, {"目前还没有开展相关工作", none}, {"暂未开展", none},
		{"我们公司没有", none}, {"这个月没有", none}, {"没有这方面的", none}, {"以上都没有", none}, {"None", none},
		{"不知道", unsure}, {"不清楚", unsure}, {"不确定", unsure}, {"我不太清楚", unsure}, {"不晓得啊", unsure},
		{"这个我不知道", unsure}, {"忘了", unsure}, {"待定", unsure}, {"我问问领导", unsure}, {"我得问一下财务", unsure},
		{"暂未", none}, {"尚未", none}, {"还未进行", none}, {"暂时没有合作", none}, {"无投入", none},
		{"没有研发项目", none}, {"暂无平台", none},
		{"我查一下", unsure}, {"没什么", none}, {"没啥活动", none}, {"没有什么相关活动", none},
		{"好的", chatter}, {"谢谢", chatter}, {"好的谢谢", chatter}, {"收到了", chatter}, {"稍等", chatter},
		{"等一下哈", chatter}, {"在吗", chatter}, {"您好", chatter}, {"ok", chatter},
		{"未涉及", none}, {"没有涉及", none}, {"没弄", none}, {"没有搞", none}, {"没有开展此项工作", none}, {"无相关", none},
		{"未发生", none}, {"无新增", none}, {"没有任何", none}, {"无任何活动", none}, {"空白", none}, {"×", none}, {"没有啦", none},
		{"没有研发机构", none}, {"没有技术中心", none}, {"有研发项目", yes}, {"有项目", yes}, {"有一个技术中心", yes}, {"有研发机构的", yes},
		{"没有，谢谢", none}, {"暂无。好的", none}, {"不清楚，我问问", unsure}, {"有的，谢谢", yes}, {"谢谢，稍等", chatter},
		{"没有，但有质检室", other}, {"有，两个", other}, {"没有，谢谢，有一个", other},
		{"好的工艺", other}, {"谢谢支持的项目", other}, {"稍等片刻后投产", other},
		{"有", yes}, {"有的", yes}, {"是", yes}, {"是的", yes}, {"对", yes}, {"嗯嗯", yes}, {"有两个", yes},
		{"有啊", yes}, {"Y", yes}, {"1", yes},
		{"否", none}, {"不是", no}, {"不", no},
		{"无锡", other}, {"没有变化", other}, {"没有研发中心，但有质检室", other}, {"有没有", other},
		{"不知道怎么填", other}, {"暂无计划", other}, {"", other}, {"无所谓", other},
	}
	for _, tt := range tests {
		got := other
		switch {
		case IsNone(tt.in):
			got = none
		case IsUnsure(tt.in):
			got = unsure
		case isYes(tt.in):
			got = yes
		case isNo(tt.in):
			got = no
		case IsChatter(tt.in):
			got = chatter
		}
		if got != tt.want {
			t.Errorf("%q reads as %d, want %d (0 none, 1 unsure, 2 yes, 3 no, 4 chatter, 5 other)", tt.in, got, tt.want)
		}
	}
}

// TestNothingAcrossKinds: every kind takes its forms of "nothing", and Step.Nothing reads the
// stored value as nothing, so the 有/无 figures follow.
func TestNothingAcrossKinds(t *testing.T) {
	f := Default()
	words := []string{"无", "没有了", "暂时没有", "没开展", "不涉及", "都没有", "/", "—", "本期无"}
	for _, id := range []string{"has_institutions", "has_projects", "dir_investment", "dir_rnd", "other_activities", "liuyou"} {
		st := Step{Key: id, Q: f.Question(id), Row: -1}
		for _, w := range words {
			v, d, err := st.Parse(w)
			if err != nil || d != Sure || !st.Nothing(v) {
				t.Errorf("%s: %q = %+v, %v, %v; want nothing", id, w, v, d, err)
			}
		}
	}
	more := f.Steps(Answers{"has_institutions": {Bool: true}})
	i := slices.IndexFunc(more, func(s Step) bool { return s.More })
	for _, w := range append(words, "就这些", "没了", "就一个", "只有这个") {
		v, _, err := more[i].Parse(w)
		if err != nil || v.Bool {
			t.Errorf("还有其他研发机构吗 %q = %+v, %v; want no", w, v, err)
		}
	}
	// An optional question is skipped, and shows as 无.
	doc := f.Steps(Answers{"has_projects": {Bool: true}})
	j := slices.IndexFunc(doc, func(s Step) bool { return s.Q.ID == "proj_doc" })
	for _, w := range []string{"无", "没有", "暂无", "/"} {
		v, _, err := doc[j].Parse(w)
		if err != nil || !v.Skipped || doc[j].Format(v) != "无" {
			t.Errorf("立项文号 %q = %+v, %v; want skipped, shown as 无", w, v, err)
		}
	}
	// A number where 0 makes sense.
	staff := f.Steps(Answers{"has_projects": {Bool: true}})
	k := slices.IndexFunc(staff, func(s Step) bool { return s.Q.ID == "proj_staff" })
	if v, _, err := staff[k].Parse("没有"); err != nil || v.Num != 0 || !staff[k].Nothing(v) {
		t.Errorf("研发人员 没有 = %+v, %v", v, err)
	}
	// 不知道 is never nothing, for any kind.
	for _, st := range f.Steps(Answers{"has_institutions": {Bool: true}, "has_projects": {Bool: true}}) {
		if _, _, err := st.Parse("不知道"); err == nil || !strings.Contains(err.Error(), "取消填报") {
			t.Errorf("%s: 不知道 = %v, want a refusal that says how to go on", st.Key, err)
		}
	}
}

// TestParseNumberLoose reads the figures of the issue as people type them.
func TestParseNumberLoose(t *testing.T) {
	tests := []struct {
		in, unit  string
		want      float64
		approx    bool
		mayBeYuan bool
	}{
		{"12万5", "万元", 12.5, false, false},
		{"5千", "万元", 5000, false, true},
		{"5千", "元", 5000, false, false},
		{"3千5", "人", 3500, false, false},
		{"35个人", "人", 35, false, false},
		{"12万元整", "万元", 12, false, false},
		{"￥120000", "万元", 12, false, false},
		{"¥120000", "万元", 12, false, false},
		{"120,000.00元", "万元", 12, false, false},
		{"1.2e5", "万元", 120000, false, true},
		{"1.2E5元", "万元", 12, false, false},
		{"120000", "万元", 120000, false, true},
		{"9999", "万元", 9999, false, false},
		{"约100万", "万元", 100, true, false},
		{"100多万", "万元", 100, true, false},
		{"100万左右", "万元", 100, true, false},
		{"大概50", "万元", 50, true, false},
		{"不到1万", "万元", 1, true, false},
		{"差不多二十个", "个", 20, true, false},
		{"一万二", "个", 12000, false, false},
		{"2亿3000万", "万元", 23000, false, false},
		{"5千万", "万元", 5000, false, false},
		{"12万500", "元", 120500, false, false},
		{"12 万", "万元", 12, false, false},
		{"共计8人", "人", 8, false, false},
		{"三百五", "个", 350, false, false},
		{"人民币12万元", "万元", 12, false, false},
	}
	for _, tt := range tests {
		r, err := ParseNumber(tt.in, tt.unit)
		if err != nil || r.Value != tt.want || r.Approx != tt.approx || r.MayBeYuan != tt.mayBeYuan {
			t.Errorf("ParseNumber(%q, %q) = %+v, %v; want %v approx %v mayBeYuan %v", tt.in, tt.unit, r, err, tt.want, tt.approx, tt.mayBeYuan)
		}
	}
}

// TestParseNumberReasons: each refusal says why, not one generic line.
func TestParseNumberReasons(t *testing.T) {
	tests := []struct{ in, unit, want string }{
		{"abc", "万元", "请回复一个数字（单位：万元）"},
		{"十几", "人", "表上要填确切的数字"},
		{"若干", "个", "表上要填确切的数字"},
		{"3 4", "人", "一次只填一个数字"},
		{"3和5", "人", "一次只填一个数字"},
		{"12人", "万元", "这一题问的是金额"},
		{"12万元", "人", "这一题问的是数量"},
		{"12米", "平方米", "这一题的单位是平方米"},
		{"1000000000000001", "万元", "太大"},
		{"1,2", "万元", "数字的写法看不懂"},
	}
	for _, tt := range tests {
		_, err := ParseNumber(tt.in, tt.unit)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseNumber(%q, %q) error %v, want it to say %q", tt.in, tt.unit, err, tt.want)
		}
	}
	// And at a question: a fraction of people, a negative count.
	f := Default()
	steps := f.Steps(Answers{"has_institutions": {Bool: true}})
	st := steps[slices.IndexFunc(steps, func(s Step) bool { return s.Q.ID == "inst_staff" })]
	for in, want := range map[string]string{"2.5": "整数", "-3": "不能小于 0"} {
		if _, _, err := st.Parse(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("研发人员 %q: %v, want %q", in, err, want)
		}
	}
}

// TestChoicesByName reads the options of the form by number, alias, part and order of
// characters, and says which options an ambiguous word could mean.
func TestChoicesByName(t *testing.T) {
	f := Default()
	ownership := Step{Key: "ownership", Q: f.Question("ownership"), Row: -1}
	for in, want := range map[string]int{
		"民营": 5, "民企": 5, "私企": 5, "民营企业": 5, "5 民营企业": 5, "5.民营": 5, "第五项": 5, "五": 5, "外企": 7,
		"中外合资": 7, "央企": 1, "省属": 2, "市属国企": 3, "军工": 4, "混改": 6, "混合所有制": 6, "第5项": 5,
	} {
		v, _, err := ownership.Parse(in)
		if err != nil || v.Choice != want {
			t.Errorf("企业属性 %q = %d, %v; want %d", in, v.Choice, err, want)
		}
	}
	for in, want := range map[string]string{"国企": "2 省属国企；3 市属国企", "9": "没有第 9 项", "事业单位": "1 到 7", "无": "选一项"} {
		if _, _, err := ownership.Parse(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("企业属性 %q: %v, want %q", in, err, want)
		}
	}
	other := Step{Key: "other_activities", Q: f.Question("other_activities"), Row: -1}
	for in, want := range map[string][]int{
		"3和5": {3, 5}, "第3项和第5项": {3, 5}, "3/5": {3, 5}, "三、五": {3, 5}, "3、5、11": {3, 5, 11},
		"技术改造和产学研": {3, 11}, "技改": {3}, "培训、专利": {9, 12}, "1-3": {1, 2, 3}, "十四": {14},
		"第十一项": {11}, "3 及 11": {3, 11},
	} {
		v, _, err := other.Parse(in)
		if err != nil || !slices.Equal(v.Multi, want) {
			t.Errorf("其他创新活动 %q = %v, %v; want %v", in, v.Multi, err, want)
		}
	}
	for in, want := range map[string]string{"15": "没有第 15 项", "技术": "对应好几项", "3和15": "没有第 15 项", "天气": "没看懂“天气”"} {
		if _, _, err := other.Parse(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("其他创新活动 %q: %v, want %q", in, err, want)
		}
	}
	liuyou := Step{Key: "liuyou", Q: f.Question("liuyou"), Row: -1}
	for in, want := range map[string][]int{"都有": {1, 2, 3, 4, 5, 6}, "六个都有": {1, 2, 3, 4, 5, 6}, "场所和设备": {1, 3}} {
		v, _, err := liuyou.Parse(in)
		if err != nil || !slices.Equal(v.Multi, want) {
			t.Errorf("六有 %q = %v, %v; want %v", in, v.Multi, err, want)
		}
	}
}

// TestStepDoubts: which figures wait for a confirmation, and why.
func TestStepDoubts(t *testing.T) {
	f := Default()
	steps := f.Steps(Answers{"has_institutions": {Bool: true}})
	cost := steps[slices.IndexFunc(steps, func(s Step) bool { return s.Q.ID == "inst_cost" })]
	for in, want := range map[string]Doubt{
		"12.5": Sure, "120000": WhichUnit, "5千": WhichUnit, "约100万": Approx, "200亿": Large, "12万": Sure, "120000元": Sure,
	} {
		if _, d, err := cost.Parse(in); err != nil || d != want {
			t.Errorf("研发费用 %q: doubt %v, %v; want %v", in, d, err, want)
		}
	}
	if got := cost.AsYuan(Value{Num: 120000}); got.Num != 12 {
		t.Errorf("AsYuan(120000) = %v, want 12", got.Num)
	}
}

// TestNoPlanIsNoPlan: the plan an enterprise with nothing must give (附件2 填表说明4) is not
// "no plan" in other words, while a plan that mentions one is kept.
func TestNoPlanIsNoPlan(t *testing.T) {
	f := Default()
	st := Step{Key: IDPlan, Q: f.Question(IDPlan), Row: -1}
	for _, in := range []string{"无计划", "暂无计划", "目前还没有计划", "明年再说吧", "不打算", "还没想好"} {
		if v, _, err := st.Parse(in); err == nil || !strings.Contains(err.Error(), "下一步计划") {
			t.Errorf("%q: kept %+v (%v)", in, v, err)
		}
	}
	for _, in := range []string{"计划明年建立企业技术中心", "无计划外支出，明年建研发中心"} {
		if v, _, err := st.Parse(in); err != nil || v.Text == "" {
			t.Errorf("%q: refused: %v", in, err)
		}
	}
}
