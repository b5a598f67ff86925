package survey

import (
	"slices"
	"testing"
)

// TestFactsColumns derives 附件2's three 有无 columns from every kind of answer the form takes:
// yes/no, text (with content, stored empty, stored as a word for none, skipped), multi
// (ticked, none) and answers the form no longer asks.
func TestFactsColumns(t *testing.T) {
	f := Default()
	// base answers every question with "nothing"; each case changes some.
	base := func() Answers {
		a := Answers{IDIndustry: {Text: "钢铁"}, IDOwnership: {Choice: 5}, IDHasInstitutions: {}, IDHasProjects: {}, IDOtherActivities: {}}
		for _, id := range directions {
			a[id] = Value{}
		}
		return a
	}
	institution := func(a Answers) {
		a[IDHasInstitutions] = Value{Bool: true}
		for k, v := range map[string]Value{"inst_name": {Text: "技术中心"}, "inst_approver": {Text: "企业自建"}, "inst_field": {Text: "冶炼"},
			"inst_count": {Num: 1}, "inst_staff": {Num: 12}, "inst_cost": {Num: 80}, "inst_equipment": {Num: 30}} {
			a[RowKey(IDInstitution, 0, k)] = v
		}
		a[moreKey(IDInstitution, 0)] = Value{}
	}
	project := func(a Answers) {
		a[IDHasProjects] = Value{Bool: true}
		for k, v := range map[string]Value{"proj_name": {Text: "新工艺"}, "proj_source": {Choice: 1}, "proj_doc": {Skipped: true},
			"proj_staff": {Num: 3}, "proj_cost": {Num: 20}, "proj_assets": {Num: 0}} {
			a[RowKey(IDProject, 0, k)] = v
		}
		a[moreKey(IDProject, 0)] = Value{}
	}
	type cols struct{ inst, rd, inno bool }
	for _, c := range []struct {
		name string
		set  func(Answers)
		want cols
	}{
		{"nothing anywhere", func(Answers) {}, cols{}},
		{"研发机构 有", institution, cols{inst: true}},
		{"研发项目 有", project, cols{rd: true}},
		{"研发机构 and 研发项目", func(a Answers) { institution(a); project(a) }, cols{inst: true, rd: true}},
		{"institution staff and spending, no project: 无研发活动", institution, cols{inst: true}},
		{"a direction with content", func(a Answers) { a["dir_rnd"] = Value{Text: "开展新工艺试验"} }, cols{inno: true}},
		{"each direction alone counts", func(a Answers) { a["dir_cooperation"] = Value{Text: "与太原理工大学合作"} }, cols{inno: true}},
		{"an activity ticked", func(a Answers) { a[IDOtherActivities] = Value{Multi: []int{3}} }, cols{inno: true}},
		{"directions stored as 无", func(a Answers) { setAll(a, Value{Text: "无"}) }, cols{}},
		{"directions stored as 没有", func(a Answers) { setAll(a, Value{Text: "没有"}) }, cols{}},
		{"directions stored as 暂无", func(a Answers) { setAll(a, Value{Text: "暂无"}) }, cols{}},
		{"directions stored as 0", func(a Answers) { setAll(a, Value{Text: "0"}) }, cols{}},
		{"directions in full-width and with a full stop", func(a Answers) { setAll(a, Value{Text: "无。"}) }, cols{}},
		{"directions skipped", func(a Answers) { setAll(a, Value{Skipped: true}) }, cols{}},
		// Texts stored before the lexicon knew them as "nothing" read as 无 all the same.
		{"directions stored as 没开展", func(a Answers) { setAll(a, Value{Text: "没开展"}) }, cols{}},
		{"directions stored as 暂时没有", func(a Answers) { setAll(a, Value{Text: "暂时没有"}) }, cols{}},
		{"directions stored as 未开展", func(a Answers) { setAll(a, Value{Text: "未开展"}) }, cols{}},
		{"directions stored as 不涉及", func(a Answers) { setAll(a, Value{Text: "不涉及"}) }, cols{}},
		{"directions stored as /", func(a Answers) { setAll(a, Value{Text: "/"}) }, cols{}},
		{"directions stored as —", func(a Answers) { setAll(a, Value{Text: "—"}) }, cols{}},
		{"directions stored as 都没有", func(a Answers) { setAll(a, Value{Text: "都没有"}) }, cols{}},
		{"directions stored as 无相关活动", func(a Answers) { setAll(a, Value{Text: "无相关活动"}) }, cols{}},
		{"directions stored as 本期无", func(a Answers) { setAll(a, Value{Text: "本期无"}) }, cols{}},
		{"a direction saying something after 没有", func(a Answers) { a["dir_rnd"] = Value{Text: "没有研发中心，但开展了工艺试验"} }, cols{inno: true}},
		{"directions never answered", func(a Answers) {
			for _, id := range directions {
				delete(a, id)
			}
		}, cols{}},
		{"answers left behind by 有 → 无 do not count", func(a Answers) {
			institution(a)
			project(a)
			a[IDHasInstitutions], a[IDHasProjects] = Value{}, Value{}
		}, cols{}},
		{"everything", func(a Answers) {
			institution(a)
			project(a)
			a["dir_investment"] = Value{Text: "研发投入增长"}
			a[IDOtherActivities] = Value{Multi: []int{5, 11}}
		}, cols{true, true, true}},
	} {
		t.Run(c.name, func(t *testing.T) {
			a := base()
			c.set(a)
			x := f.Facts(a)
			got := cols{x.HasInstitution, x.HasRD, x.HasInnovation}
			if got != c.want {
				t.Errorf("有无研发机构/研发活动/创新活动 = %s, want %s", yn(got.inst, got.rd, got.inno), yn(c.want.inst, c.want.rd, c.want.inno))
			}
			if x.Active() != (c.want.inst || c.want.rd || c.want.inno) {
				t.Errorf("Active() = %v", x.Active())
			}
			// The plan is asked exactly when all three say 无 (附件2 填表说明 4).
			_, finished := a["dir_rnd"] // else the plan is not asked yet
			if asked := f.Shown(f.Question(IDPlan), a); finished && asked != !x.Active() {
				t.Errorf("plan asked = %v with Active() = %v", asked, x.Active())
			}
		})
	}
}

// TestFactsFigures: the counts come from the rows the form asks.
func TestFactsFigures(t *testing.T) {
	a := Answers{IDHasInstitutions: {Bool: true},
		RowKey(IDInstitution, 0, "inst_staff"): {Num: 12}, RowKey(IDInstitution, 0, "inst_cost"): {Num: 80.5}, moreKey(IDInstitution, 0): {Bool: true},
		RowKey(IDInstitution, 1, "inst_staff"): {Num: 3}, RowKey(IDInstitution, 1, "inst_cost"): {Num: 4}, moreKey(IDInstitution, 1): {},
		IDHasProjects: {}, RowKey(IDProject, 0, "proj_staff"): {Num: 99},
		IDOtherActivities: {Multi: []int{1, 2, 3}}, IDOwnership: {Choice: 2}, IDIndustry: {Text: "焦化"}, IDPlan: {Text: "x"}}
	x := Default().Facts(a)
	if x.Institutions != 2 || x.Projects != 0 || x.Activities != 3 ||
		x.Ownership != "省属国企" || x.Industry != "焦化" || x.Plan != "x" {
		t.Errorf("facts %+v", x)
	}
}

var directions = []string{"dir_investment", "dir_talent", "dir_project", "dir_platform", "dir_rnd", "dir_cooperation"}

func setAll(a Answers, v Value) {
	for _, id := range directions {
		a[id] = v
	}
}

func yn(bs ...bool) string {
	s := ""
	for _, b := range bs {
		if b {
			s += "有"
		} else {
			s += "无"
		}
	}
	return s
}

// TestFactsRule: the rule's name is the same for the same form and changes with what Facts
// reads (a question's kind, an option, the lexicon of "nothing").
func TestFactsRule(t *testing.T) {
	f := Default()
	rule := f.FactsRule()
	if again := Default().FactsRule(); again != rule {
		t.Errorf("FactsRule of one form: %q, then %q", rule, again)
	}
	other, err := Parse("other.yaml", []byte(`id: 附件3-test
title: t
sections:
  - id: activities
    title: 三
    questions:
      - {id: dir_rnd, kind: text, label: 技术研发, prompt: 做了什么？, none_ok: true}
`))
	if err != nil {
		t.Fatal(err)
	}
	if other.FactsRule() == rule {
		t.Errorf("another form has the same FactsRule %q", rule)
	}
	saved := noneCore
	t.Cleanup(func() { noneCore = saved })
	noneCore = append(slices.Clone(saved), "没弄")
	if f.FactsRule() == rule {
		t.Errorf("a word added to the lexicon of nothing left FactsRule at %q", rule)
	}
	noneCore = saved
	chatter := chatterPhrases
	t.Cleanup(func() { chatterPhrases = chatter })
	chatterPhrases.Core = append(slices.Clone(chatter.Core), "好嘞嘞")
	if f.FactsRule() == rule {
		t.Errorf("a word added to the chatter IsNone lets stand beside 无 (没有，谢谢) left FactsRule at %q", rule)
	}
}
