package survey

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestDefaultFormIsFujian3 checks the embedded form holds what 附件3 and 附件2 ask.
func TestDefaultFormIsFujian3(t *testing.T) {
	f := Default()
	options := map[string]int{
		IDOwnership:       7,  // 附件2 rule 2
		"proj_source":     4,  // 研发项目来源
		IDOtherActivities: 14, // 其他创新活动
		"liuyou":          6,  // 六有
	}
	for id, n := range options {
		q := f.Question(id)
		if q == nil {
			t.Fatalf("question %s missing", id)
		}
		if len(q.Options) != n {
			t.Errorf("%s has %d options, want %d", id, len(q.Options), n)
		}
	}
	for _, id := range []string{"inst_name", "inst_approver", "inst_field", "inst_count", "inst_staff", "inst_cost", "inst_equipment",
		"proj_name", "proj_source", "proj_doc", "proj_staff", "proj_cost", "proj_assets", IDIndustry, IDPlan,
		"dir_investment", "dir_talent", "dir_project", "dir_platform", "dir_rnd", "dir_cooperation"} {
		if f.Question(id) == nil {
			t.Errorf("question %s missing", id)
		}
	}
	for i := 1; i <= 14; i++ {
		q := f.Question(fmt.Sprintf("other_explain_%d", i))
		if q == nil || q.ShownIf == nil || q.ShownIf.Includes == nil || q.ShownIf.Includes.Option != i {
			t.Errorf("option %d has no explanation question shown when ticked", i)
		}
	}
	if got := f.Question("inst_cost").Unit; got != "万元" {
		t.Errorf("inst_cost unit = %q, want 万元", got)
	}
	plan := f.Question(IDPlan)
	if plan.ShownIf == nil || len(plan.ShownIf.AllNo) != 9 {
		t.Errorf("plan must depend on 研发机构, 研发项目, the 6 directions and other activities: %+v", plan.ShownIf)
	}
}

func TestStepsFollowAnswers(t *testing.T) {
	f := Default()
	tests := []struct {
		name    string
		answers Answers
		want    []string // keys that must be asked
		absent  []string // keys that must not
	}{
		{"start", Answers{}, []string{IDIndustry, IDHasInstitutions, IDHasProjects, IDOtherActivities, "liuyou"}, []string{"institution.0.inst_name", IDPlan, "other_explain_1"}},
		{"one institution", Answers{IDHasInstitutions: {Bool: true}}, []string{"institution.0.inst_name", "institution.0.#more"}, []string{"institution.1.inst_name"}},
		{"two institutions", Answers{IDHasInstitutions: {Bool: true}, "institution.0.#more": {Bool: true}}, []string{"institution.1.inst_name", "institution.1.#more"}, []string{"institution.2.inst_name"}},
		{"ticked 3", Answers{IDOtherActivities: {Multi: []int{3}}}, []string{"other_explain_3"}, []string{"other_explain_1"}},
		{"nothing at all", Answers{IDHasInstitutions: {}, IDHasProjects: {}, "dir_investment": {}, "dir_talent": {}, "dir_project": {},
			"dir_platform": {}, "dir_rnd": {}, "dir_cooperation": {}, IDOtherActivities: {}}, []string{IDPlan}, nil},
		{"one direction", Answers{IDHasInstitutions: {}, IDHasProjects: {}, "dir_investment": {Text: "投入"}, "dir_talent": {}, "dir_project": {},
			"dir_platform": {}, "dir_rnd": {}, "dir_cooperation": {}, IDOtherActivities: {}}, nil, []string{IDPlan}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			keys := map[string]bool{}
			for _, s := range f.Steps(tt.answers) {
				if keys[s.Key] {
					t.Errorf("step %s twice", s.Key)
				}
				keys[s.Key] = true
			}
			for _, k := range tt.want {
				if !keys[k] {
					t.Errorf("%s not asked", k)
				}
			}
			for _, k := range tt.absent {
				if keys[k] {
					t.Errorf("%s asked", k)
				}
			}
		})
	}
}

// TestStepKeysInManyRows checks the keys of rows past those made at load.
func TestStepKeysInManyRows(t *testing.T) {
	f := Default()
	const rows = keyedRows + 3
	a := Answers{IDHasInstitutions: {Bool: true}}
	for row := range rows - 1 {
		a[RowKey(IDInstitution, row, "#more")] = Value{Bool: true}
	}
	n := 0
	for _, s := range f.Steps(a) {
		if s.Row < 0 {
			continue
		}
		want := RowKey(IDInstitution, s.Row, s.Q.ID)
		if s.More {
			want = RowKey(IDInstitution, s.Row, "#more")
		}
		if s.Key != want {
			t.Errorf("row %d: key %q, want %q", s.Row, s.Key, want)
		}
		if s.More {
			n++
		}
	}
	if n != rows {
		t.Errorf("%d rows asked, want %d", n, rows)
	}
}

// TestStepsShapes checks Step.Shapes: an answer at a step that says it cannot change the
// steps, whatever it is, leaves Steps as they were.
func TestStepsShapes(t *testing.T) {
	f := Default()
	values := []Value{{}, {Bool: true}, {Multi: []int{1, 3, 11}}, {Text: "有"}, {Num: 5}, {Choice: 2}, {Skipped: true}}
	starts := []Answers{
		{},
		{IDHasInstitutions: {Bool: true}, IDHasProjects: {Bool: true}, "institution.0.#more": {Bool: true}},
		{IDHasInstitutions: {}, IDHasProjects: {}, "dir_investment": {}, "dir_talent": {}, "dir_project": {},
			"dir_platform": {}, "dir_rnd": {}, "dir_cooperation": {}, IDOtherActivities: {Multi: []int{2}}},
	}
	shaping := 0
	for _, a := range starts {
		before := f.Steps(a)
		for _, st := range before {
			if st.Shapes() {
				shaping++
				continue
			}
			for _, v := range values {
				b := a.Clone()
				b[st.Key] = v
				if after := f.Steps(b); !slices.Equal(keys(after), keys(before)) {
					t.Errorf("%s = %+v changed the steps, but Shapes is false", st.Key, v)
				}
			}
		}
	}
	if shaping == 0 {
		t.Error("no step shapes the steps")
	}
}

func keys(steps []Step) []string {
	var out []string
	for _, s := range steps {
		out = append(out, s.Key)
	}
	return out
}

func TestVisibleDropsHiddenAnswers(t *testing.T) {
	f := Default()
	a := Answers{IDHasInstitutions: {Bool: false}, "institution.0.inst_name": {Text: "旧中心"}, IDIndustry: {Text: "钢铁"}}
	got := f.Visible(a)
	if _, ok := got["institution.0.inst_name"]; ok {
		t.Error("an answer behind 无 reached the submission")
	}
	if got[IDIndustry].Text != "钢铁" {
		t.Error("a visible answer was dropped")
	}
}

func TestBadFormsNameThePlace(t *testing.T) {
	const head = "id: f\ntitle: T\nsections:\n  - id: s\n    title: S\n    questions:\n"
	tests := []struct {
		name, body, want string
	}{
		{"duplicate id", "      - {id: a, kind: text, prompt: A}\n      - {id: a, kind: text, prompt: B}\n", `sections[0].questions[1] (a): duplicate id "a"`},
		{"unknown kind", "      - {id: a, kind: date, prompt: A}\n", `sections[0].questions[0] (a): unknown kind "date"`},
		{"shown_if names nothing", "      - {id: a, kind: text, prompt: A, shown_if: {yes: nope}}\n", `shown_if names "nope", which is no earlier question`},
		{"shown_if names a later question", "      - {id: a, kind: text, prompt: A, shown_if: {yes: b}}\n      - {id: b, kind: yesno, prompt: B}\n", `shown_if names "b", which is no earlier question`},
		{"shown_if wrong kind", "      - {id: a, kind: text, prompt: A}\n      - {id: b, kind: text, prompt: B, shown_if: {yes: a}}\n", `shown_if names "a" of kind text`},
		{"option out of range", "      - {id: a, kind: multi, prompt: A, options: [x, y]}\n      - {id: b, kind: text, prompt: B, shown_if: {includes: {q: a, option: 3}}}\n", "option 3 out of 1..2"},
		{"number without unit", "      - {id: a, kind: number, prompt: A}\n", "number without unit"},
		{"choice without options", "      - {id: a, kind: choice, prompt: A, options: [x]}\n", "needs at least 2 options"},
		{"group without more", "      - {id: g, kind: group, prompt: G, questions: [{id: a, kind: text, prompt: A}]}\n", "group needs questions and more"},
		{"unknown key", "      - {id: a, kind: text, prompt: A, colour: red}\n", "colour"},
		{"no prompt", "      - {id: a, kind: text}\n", "(a): no prompt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("bad.yaml", []byte(head+tt.body))
			if err == nil {
				t.Fatal("accepted a bad form")
			}
			if !strings.HasPrefix(err.Error(), "bad.yaml") || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error = %q, want it to name bad.yaml and contain %q", err, tt.want)
			}
		})
	}
}

func TestLoadFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "form.yaml")
	if err := os.WriteFile(path, embedded, 0o600); err != nil {
		t.Fatal(err)
	}
	f, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(f.Steps(Answers{})) != len(Default().Steps(Answers{})) {
		t.Error("a loaded copy of the embedded form differs")
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.yaml")); err == nil {
		t.Error("a missing file loaded")
	}
}

func TestFormatNamesTickedOptions(t *testing.T) {
	f := Default()
	st := Step{Key: IDOtherActivities, Q: f.Question(IDOtherActivities), Row: -1}
	tests := []struct {
		v    Value
		want string
	}{
		{Value{Multi: []int{3, 11}}, "3、11（对产品工艺进行技术改造、技术升级、技术改进；产学研合作）"},
		{Value{}, "无"},
		{Value{Skipped: true}, "无"},
	}
	for _, tt := range tests {
		if got := st.Format(tt.v); got != tt.want {
			t.Errorf("Format(%+v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestNothing(t *testing.T) {
	f := Default()
	step := func(id string) Step { return Step{Key: id, Q: f.Question(id), Row: -1} }
	more := Step{Key: "institution.0.#more", Q: f.Question(IDInstitution), Row: 0, More: true}
	for _, c := range []struct {
		name string
		s    Step
		v    Value
		want bool
	}{
		{"有", step(IDHasInstitutions), Value{Bool: true}, false},
		{"无", step(IDHasInstitutions), Value{}, true},
		{"还有：有", more, Value{Bool: true}, false},
		{"还有：无", more, Value{}, true},
		{"text", step("dir_rnd"), Value{Text: "新工艺试验"}, false},
		{"text none", step("dir_rnd"), Value{}, true},
		{"text 没有 kept as typed", step("dir_rnd"), Value{Text: "没有"}, true},
		{"multi ticked", step(IDOtherActivities), Value{Multi: []int{3}}, false},
		{"multi none", step(IDOtherActivities), Value{}, true},

		{"skipped", step("dir_rnd"), Value{Skipped: true}, true},
	} {
		if c.s.Q == nil {
			t.Fatalf("%s: no such question", c.name)
		}
		if got := c.s.Nothing(c.v); got != c.want {
			t.Errorf("%s: Nothing(%+v) = %v, want %v", c.name, c.v, got, c.want)
		}
	}
	// The plan is asked when everything says nothing, whatever words were stored for it.
	a := Answers{IDHasInstitutions: {}, IDHasProjects: {}, IDOtherActivities: {}}
	for _, id := range []string{"dir_investment", "dir_talent", "dir_project", "dir_platform", "dir_rnd", "dir_cooperation"} {
		a[id] = Value{Text: "无"}
	}
	if !f.Shown(f.Question(IDPlan), a) {
		t.Error("plan not asked when every answer says 无")
	}
	a["dir_rnd"] = Value{Text: "新工艺试验"}
	if f.Shown(f.Question(IDPlan), a) {
		t.Error("plan asked although 技术研发 has content")
	}
}
