package survey

import (
	"maps"
	"strings"
	"testing"
)

// consistent is a survey no check questions: 1 institution, 1 project, costs on both, staff
// of the project within the institution's.
func consistent() Answers {
	return Answers{
		"industry": {Text: "钢铁"}, "ownership": {Choice: 5},
		"has_institutions": {Bool: true}, "institution.0.inst_name": {Text: "技术中心"}, "institution.0.inst_approver": {Text: "企业自建"},
		"institution.0.inst_field": {Text: "特钢"}, "institution.0.inst_count": {Num: 1}, "institution.0.inst_staff": {Num: 20},
		"institution.0.inst_cost": {Num: 50}, "institution.0.inst_equipment": {Num: 300}, "institution.0.#more": {},
		"has_projects": {Bool: true}, "project.0.proj_name": {Text: "工艺改进"}, "project.0.proj_source": {Choice: 1},
		"project.0.proj_doc": {Skipped: true}, "project.0.proj_staff": {Num: 8}, "project.0.proj_cost": {Num: 30},
		"project.0.proj_assets": {Num: 10}, "project.0.#more": {},
		"dir_investment": {Text: "研发投入 50 万"}, "dir_talent": {}, "dir_project": {}, "dir_platform": {}, "dir_rnd": {}, "dir_cooperation": {},
		"other_activities": {}, "liuyou": {Multi: []int{1, 2, 3, 4}},
	}
}

// TestFindings table-tests each cross-question check of the form: when it holds, and the
// answer it sends the liaison to.
func TestFindings(t *testing.T) {
	tests := []struct {
		name   string
		change Answers
		drop   []string
		want   map[string]string // check id → key to fix
	}{
		{name: "consistent", want: map[string]string{}},
		{name: "六有 funds but every cost 0",
			change: Answers{"institution.0.inst_cost": {}, "project.0.proj_cost": {}},
			want:   map[string]string{"funds_without_cost": "liuyou"}},
		{name: "六有 funds with no institution and no project",
			change: Answers{"has_institutions": {}, "has_projects": {}},
			want:   map[string]string{"funds_without_cost": "liuyou"}},
		{name: "六有 without funds and every cost 0",
			change: Answers{"institution.0.inst_cost": {}, "project.0.proj_cost": {}, "liuyou": {Multi: []int{1, 2}}},
			want:   map[string]string{}},
		{name: "institution without staff",
			change: Answers{"institution.0.inst_staff": {}, "project.0.proj_staff": {}},
			want:   map[string]string{"institution_without_staff": "institution.0.inst_staff"}},
		{name: "project staff above the institution's",
			change: Answers{"project.0.proj_staff": {Num: 30}},
			want:   map[string]string{"project_staff_over_institutions": "project.0.proj_staff"}},
		{name: "project staff above the largest of two institutions",
			change: Answers{"institution.0.#more": {Bool: true}, "institution.1.inst_name": {Text: "实验室"}, "institution.1.inst_approver": {Text: "省工信厅"},
				"institution.1.inst_field": {Text: "检测"}, "institution.1.inst_count": {Num: 1}, "institution.1.inst_staff": {Num: 25},
				"institution.1.inst_cost": {Num: 5}, "institution.1.inst_equipment": {Num: 50}, "institution.1.#more": {},
				"project.0.proj_staff": {Num: 26}},
			want: map[string]string{"project_staff_over_institutions": "project.0.proj_staff"}},
		{name: "project staff equal to the institution's", change: Answers{"project.0.proj_staff": {Num: 20}}, want: map[string]string{}},
		{name: "project staff without institutions",
			change: Answers{"has_institutions": {}, "project.0.proj_staff": {Num: 30}},
			want:   map[string]string{}},
		{name: "institution costs but no project",
			change: Answers{"has_projects": {}},
			want:   map[string]string{"institution_cost_without_projects": "has_projects"}},
		{name: "no institution costs and no project",
			change: Answers{"has_projects": {}, "institution.0.inst_cost": {}, "liuyou": {Multi: []int{1}}},
			want:   map[string]string{}},
		{name: "a 万元 figure that looks like 元",
			change: Answers{"institution.0.inst_equipment": {Num: 3000000}},
			want:   map[string]string{"yuan_as_wan": "institution.0.inst_equipment"}},
		{name: "a large figure among large ones",
			change: Answers{"institution.0.inst_equipment": {Num: 30000}, "institution.0.inst_cost": {Num: 5000}},
			want:   map[string]string{}},
		{name: "two contradictions at once",
			change: Answers{"has_projects": {}, "project.0.proj_cost": {}, "institution.0.inst_staff": {}},
			want:   map[string]string{"institution_cost_without_projects": "has_projects", "institution_without_staff": "institution.0.inst_staff"}},
	}
	f := Default()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := consistent()
			maps.Copy(a, tt.change)
			got := map[string]string{}
			for _, fd := range f.Findings(a) {
				got[fd.Check.ID] = fd.Key
				if fd.Check.Says == "" || fd.Check.Quote == "" {
					t.Errorf("%s: says or quote empty", fd.Check.ID)
				}
			}
			if !maps.Equal(got, tt.want) {
				t.Errorf("findings = %v, want %v", got, tt.want)
			}
		})
	}
}

// TestChecksQuoteTheForm: a check that speaks of costs quotes 填表说明 3, as the form says it.
func TestChecksQuoteTheForm(t *testing.T) {
	for _, c := range Default().Checks {
		if c.ID == "funds_without_cost" && !strings.Contains(c.Quote, "填表说明 3：“研究开发费用情况”应与经审计的财务报告") {
			t.Errorf("funds_without_cost quotes %q", c.Quote)
		}
	}
}

// TestExplanations: the terms the issue names are in the glossary, every question that names
// a term explains it, and a question names the term it asks about.
func TestExplanations(t *testing.T) {
	f := Default()
	for _, term := range []string{"研究开发人员", "研究开发费用", "研究开发资产", "期末仪器和设备原价", "项目来源", "研究开发机构",
		"创新投入", "创新人才", "创新项目", "创新平台", "技术研发", "技术合作", "六有"} {
		if f.term(term) == nil {
			t.Errorf("glossary lacks %s", term)
		}
	}
	explained := 0
	for _, st := range f.Steps(Answers{"has_institutions": {Bool: true}, "has_projects": {Bool: true}, "other_activities": {Multi: []int{1}}}) {
		if exp := f.Explanation(st); exp != "" {
			explained++
			if got := f.Explain("这个怎么算", &st); got != exp {
				t.Errorf("%s: Explain = %q, want the step's %q", st.Key, got, exp)
			}
		}
	}
	if explained < 20 {
		t.Errorf("only %d questions explained", explained)
	}
	for q, want := range map[string]string{
		"这个研发费用怎么算":    "【研究开发费用】",
		"研发人员包括哪些":     "【研究开发人员】",
		"研发资产是什么":      "【研究开发资产】",
		"六有是什么意思":      "【六有】",
		"项目来源怎么填":      "【项目来源】",
		"技术中心算不算研发机构？": "【研究开发机构】",
	} {
		if !IsQuestion(q) {
			t.Errorf("IsQuestion(%q) = false", q)
		}
		if got := f.Explain(q, nil); !strings.Contains(got, want) {
			t.Errorf("Explain(%q) = %q, want %q", q, got, want)
		}
	}
	for _, a := range []string{"新增研发投入 30 万元", "与太原理工大学合作", "是", strings.Repeat("明确研发费用包括哪些，", 5)} {
		if IsQuestion(a) {
			t.Errorf("IsQuestion(%q) = true for an answer", a)
		}
	}
	// Put as a question, whatever the words: never a text answer.
	for _, q := range []string{"跟高校有合作吗？这个算不算", "我们和高校有合作这个算不算", "可以写无吗", "这个必须填吗", "有合作?"} {
		if !IsAsked(q) {
			t.Errorf("IsAsked(%q) = false", q)
		}
	}
	for _, a := range []string{"培训员工掌握新工艺是什么样的效果还要看", "与山西大学合作研究耐候钢", "在吗", "还在研发中呢",
		strings.Repeat("与高校合作开发新型材料，", 3) + "这个算不算"} {
		if IsAsked(a) {
			t.Errorf("IsAsked(%q) = true for an answer", a)
		}
	}
}

// TestRows adds and deletes rows of a group the way 添加/删除 do.
func TestRows(t *testing.T) {
	f := Default()
	a := consistent()
	if row := f.AddRow(a, "project"); row != 1 || !a["project.0.#more"].Bool {
		t.Fatalf("AddRow = %d, #more %v", row, a["project.0.#more"])
	}
	a["project.1.proj_name"] = Value{Text: "第二个"}
	a["project.1.#more"] = Value{}
	f.DeleteRow(a, "project", 0)
	if got := a["project.0.proj_name"].Text; got != "第二个" || f.Rows("project", a) != 1 {
		t.Fatalf("after deleting row 0: name %q, rows %d", got, f.Rows("project", a))
	}
	if _, ok := a["project.1.proj_name"]; ok {
		t.Error("row 1 left behind")
	}
	f.DeleteRow(a, "project", 0)
	if a["has_projects"].Bool || f.Rows("project", a) != 0 {
		t.Errorf("deleting the last row: has_projects %v, rows %d", a["has_projects"], f.Rows("project", a))
	}
	b := Answers{"has_projects": {}}
	if row := f.AddRow(b, "project"); row != 0 || !b["has_projects"].Bool {
		t.Errorf("AddRow to none: %d, has_projects %v", row, b["has_projects"])
	}
}

// TestBadFormData: a wrong alias, term or check fails at load with its place named.
func TestBadFormData(t *testing.T) {
	base := "id: f\ntitle: t\nsections:\n  - id: s\n    title: S\n    questions:\n" +
		"      - {id: c, kind: choice, prompt: p, options: [a, b]%s}\n      - {id: n, kind: number, unit: 人, prompt: q%s}\n      - {id: y, kind: yesno, prompt: r}\n"
	tests := []struct{ name, c, n, tail, want string }{
		{"alias out of range", ", aliases: {x: 3}", "", "", "alias"},
		{"alias on a number", "", ", aliases: {x: 1}", "", "aliases only"},
		{"unknown term", "", ", terms: [nope]", "", "not in the glossary"},
		{"check on no question", "", "", "checks:\n  - {id: k, says: s, fix: y, when: [{yes: nope}]}\n", "no question"},
		{"check with two conditions in one", "", "", "checks:\n  - {id: k, says: s, fix: y, when: [{yes: y, no: y}]}\n", "exactly one"},
		{"check with a bad op", "", "", "checks:\n  - {id: k, says: s, fix: y, when: [{compare: {left: {sum: [n]}, op: '~', right: {value: 0}}}]}\n", "unknown op"},
		{"check summing a text", "", "", "checks:\n  - {id: k, says: s, fix: y, when: [{compare: {left: {sum: [c]}, op: '=', right: {value: 0}}}]}\n", "kind choice"},
		{"check fixing nothing", "", "", "checks:\n  - {id: k, says: s, fix: nope, when: [{yes: y}]}\n", "fix names"},
		{"duplicate term", "", "", "glossary:\n  - {term: a, text: x}\n  - {term: a, text: y}\n", "duplicate"},
	}
	for _, tt := range tests {
		_, err := Parse("bad.yaml", []byte(fmtForm(base, tt.c, tt.n)+tt.tail))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: %v, want %q", tt.name, err, tt.want)
		}
	}
	if _, err := Parse("ok.yaml", []byte(fmtForm(base, ", aliases: {x: 2}", ", terms: [a]")+"glossary:\n  - {term: a, text: x}\n")); err != nil {
		t.Errorf("a good form: %v", err)
	}
}

func fmtForm(base, c, n string) string {
	return strings.Replace(strings.Replace(base, "%s", c, 1), "%s", n, 1)
}
