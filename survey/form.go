// Package survey holds the questionnaire as data (附件3 企业创新活动开展情况调查表, shipped as an
// embedded YAML form) and the parsers that turn loose Chinese chat input into typed answers.
// It knows nothing of chats, storage or WeChat, so the same form drives the dialog, the ledger
// and the Excel exports.
package survey

import (
	"bytes"
	_ "embed"
	"fmt"
	"os"
	"sync"

	"github.com/goccy/go-yaml"
)

// Kind is what sort of answer a question takes.
type Kind string

// The question kinds a form may use.
const (
	Text   Kind = "text"   // free text
	Number Kind = "number" // a number with a unit, a minimum and a soft maximum
	YesNo  Kind = "yesno"  // 有/无
	Choice Kind = "choice" // one of numbered options
	Multi  Kind = "multi"  // several of numbered options
	Group  Kind = "group"  // a repeating group of rows (one per 研发机构 or 研发项目)
)

// Form is a whole questionnaire: sections of questions in the order they are asked.
type Form struct {
	ID       string    `yaml:"id"`
	Title    string    `yaml:"title"`
	Sections []Section `yaml:"sections"`
	// Glossary explains the form's words; Checks are its cross-question rules.
	Glossary []Term  `yaml:"glossary"`
	Checks   []Check `yaml:"checks"`

	byID map[string]*Question
}

// Section is one part of the form, such as 一、企业研究开发机构情况. The monthly update lets a
// liaison pick sections to change, so a section is also the unit of 修改.
type Section struct {
	ID        string      `yaml:"id"`
	Title     string      `yaml:"title"`
	Questions []*Question `yaml:"questions"`
}

// Question is one thing asked. Questions inside a Group are asked once per row.
type Question struct {
	ID     string `yaml:"id"`
	Kind   Kind   `yaml:"kind"`
	Label  string `yaml:"label"`  // short name used in reviews and exports
	Prompt string `yaml:"prompt"` // what the bot asks
	Hint   string `yaml:"hint"`   // shown under the prompt (e.g. 与审计报告一致)
	// Explain is what the form says about the question, and Terms the glossary entries it
	// uses: the answer to 这个怎么算 asked at the question.
	Explain  string   `yaml:"explain"`
	Terms    []string `yaml:"terms"`
	Optional bool     `yaml:"optional"`
	// MaxLen limits text answers in characters; 0 means the form default.
	MaxLen int `yaml:"max_len"`
	// Unit, Min and SoftMax apply to numbers. A value over SoftMax is kept only after the liaison
	// confirms it, because a slip of 万 for 元 is the commonest error in these ledgers.
	Unit    string   `yaml:"unit"`
	Min     *float64 `yaml:"min"`
	SoftMax *float64 `yaml:"soft_max"`
	Integer bool     `yaml:"integer"`
	// Options are the numbered choices of Choice and Multi questions.
	Options []string `yaml:"options"`
	// Aliases are other names liaisons use for options (民企 for 民营企业), by option number.
	Aliases map[string]int `yaml:"aliases"`
	// NoneOK lets a Multi or Text question be answered 无: nothing ticked, or nothing to say
	// (the six innovation directions of 附件3 section 三 are mostly 无 for small firms).
	NoneOK bool `yaml:"none_ok"`
	// Questions and More belong to a Group: the row's questions and the question asked after
	// each row ("还有其他研发机构吗？").
	Questions []*Question `yaml:"questions"`
	More      string      `yaml:"more"`
	// ShownIf makes the question depend on earlier answers.
	ShownIf *Condition `yaml:"shown_if"`

	// Section is the id of the section holding the question (set at load).
	Section string `yaml:"-"`
	// Parent is the group holding the question, nil at section level (set at load).
	Parent *Question `yaml:"-"`
	// rowKeys are, for a question in a group, its answer keys in the group's first keyedRows
	// rows, and for a group, the keys of its #more answers (set at load).
	rowKeys []string
	// shapes is true when a shown_if names the question (set at load).
	shapes bool
}

// keyedRows is how many rows of each group have their answer keys made at load: Steps runs a
// few times a turn, and building "project.3.name" at each step was a third of its cost.
const keyedRows = 32

// rowKey is the question's answer key in a row of its group (q is the group for its #more).
func (q *Question) rowKey(row int, more bool) string {
	if row < len(q.rowKeys) {
		return q.rowKeys[row]
	}
	if more {
		return moreKey(q.ID, row)
	}
	return RowKey(q.Parent.ID, row, q.ID)
}

// Condition says when a question is shown. Exactly one field is set.
type Condition struct {
	// Yes names a yes/no question that must be answered 有.
	Yes string `yaml:"yes"`
	// Includes names a multi question and an option number that must be ticked.
	Includes *Inclusion `yaml:"includes"`
	// AllNo names yes/no, multi and text questions that must all be answered 无 (附件2 rule 4: an
	// enterprise with no institution, no project and no activity must give its plan).
	AllNo []string `yaml:"all_no"`
}

// Inclusion is a Condition on one ticked option of a multi question.
type Inclusion struct {
	Q      string `yaml:"q"`
	Option int    `yaml:"option"`
}

//go:embed form.yaml
var embedded []byte

// Default returns the embedded 附件3 form. A Form is never changed after loading, so one copy
// serves every caller.
var Default = sync.OnceValue(func() *Form {
	f, err := Parse("form.yaml", embedded)
	if err != nil {
		panic(fmt.Sprintf("survey: embedded form: %v", err)) // a build defect, caught by tests
	}
	return f
})

// Load reads a form from a YAML file.
func Load(path string) (*Form, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read form: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes and checks a form. name is used in errors so that a wrong form fails at load
// with the place named.
func Parse(name string, data []byte) (*Form, error) {
	var f Form
	dec := yaml.NewDecoder(bytes.NewReader(data), yaml.DisallowUnknownField())
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s: %s", name, yaml.FormatError(err, false, false))
	}
	if err := f.check(); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &f, nil
}

func (f *Form) check() error {
	if len(f.Sections) == 0 {
		return fmt.Errorf("form has no sections")
	}
	f.byID = map[string]*Question{}
	sections := map[string]bool{}
	// seen holds the questions declared so far: a condition may name only an earlier question,
	// so that answering in order always knows whether the next question is shown.
	for si := range f.Sections {
		s := &f.Sections[si]
		where := fmt.Sprintf("sections[%d]", si)
		if s.ID == "" || sections[s.ID] {
			return fmt.Errorf("%s: section id %q empty or duplicate", where, s.ID)
		}
		sections[s.ID] = true
		if s.Title == "" {
			return fmt.Errorf("%s (%s): no title", where, s.ID)
		}
		for qi, q := range s.Questions {
			if err := f.checkQuestion(q, s.ID, nil, fmt.Sprintf("%s.questions[%d]", where, qi)); err != nil {
				return err
			}
		}
	}
	if err := f.checkGlossary(); err != nil {
		return err
	}
	return f.checkChecks()
}

func (f *Form) checkQuestion(q *Question, section string, parent *Question, where string) error {
	if q.ID != "" {
		where += " (" + q.ID + ")"
	}
	if q.ID == "" {
		return fmt.Errorf("%s: no id", where)
	}
	if _, dup := f.byID[q.ID]; dup {
		return fmt.Errorf("%s: duplicate id %q", where, q.ID)
	}
	if q.Prompt == "" {
		return fmt.Errorf("%s: no prompt", where)
	}
	if q.Label == "" {
		q.Label = q.Prompt
	}
	q.Section, q.Parent = section, parent
	switch q.Kind {
	case Text:
		if q.MaxLen == 0 {
			q.MaxLen = 500
		}
	case Number:
		if q.Unit == "" {
			return fmt.Errorf("%s: number without unit", where)
		}
	case YesNo:
	case Choice, Multi:
		if len(q.Options) < 2 {
			return fmt.Errorf("%s: %s needs at least 2 options", where, q.Kind)
		}
		for a, k := range q.Aliases {
			if k < 1 || k > len(q.Options) {
				return fmt.Errorf("%s: alias %q names option %d of 1..%d", where, a, k, len(q.Options))
			}
		}
	case Group:
		if parent != nil {
			return fmt.Errorf("%s: group inside a group", where)
		}
		if len(q.Questions) == 0 || q.More == "" {
			return fmt.Errorf("%s: group needs questions and more", where)
		}
	default:
		return fmt.Errorf("%s: unknown kind %q", where, q.Kind)
	}
	if len(q.Aliases) > 0 && q.Kind != Choice && q.Kind != Multi {
		return fmt.Errorf("%s: aliases only belong to choice and multi", where)
	}
	if q.Kind != Group && (len(q.Questions) > 0 || q.More != "") {
		return fmt.Errorf("%s: questions/more only belong to a group", where)
	}
	if err := f.checkCondition(q, where); err != nil {
		return err
	}
	f.byID[q.ID] = q
	for i, c := range q.Questions {
		if err := f.checkQuestion(c, section, q, fmt.Sprintf("%s.questions[%d]", where, i)); err != nil {
			return err
		}
	}
	if q.Kind == Group {
		for row := range keyedRows {
			q.rowKeys = append(q.rowKeys, moreKey(q.ID, row))
			for _, c := range q.Questions {
				c.rowKeys = append(c.rowKeys, RowKey(q.ID, row, c.ID))
			}
		}
	}
	return nil
}

func (f *Form) checkCondition(q *Question, where string) error {
	c := q.ShownIf
	if c == nil {
		return nil
	}
	if q.Parent != nil {
		return fmt.Errorf("%s: shown_if inside a group is not supported", where)
	}
	set := 0
	earlier := func(id string, kinds ...Kind) error {
		t, ok := f.byID[id]
		if !ok {
			return fmt.Errorf("%s: shown_if names %q, which is no earlier question", where, id)
		}
		if t.Parent != nil {
			return fmt.Errorf("%s: shown_if names %q inside a group", where, id)
		}
		for _, k := range kinds {
			if t.Kind == k {
				t.shapes = true
				return nil
			}
		}
		return fmt.Errorf("%s: shown_if names %q of kind %s", where, id, t.Kind)
	}
	if c.Yes != "" {
		set++
		if err := earlier(c.Yes, YesNo); err != nil {
			return err
		}
	}
	if c.Includes != nil {
		set++
		if err := earlier(c.Includes.Q, Multi); err != nil {
			return err
		}
		if n := len(f.byID[c.Includes.Q].Options); c.Includes.Option < 1 || c.Includes.Option > n {
			return fmt.Errorf("%s: shown_if option %d out of 1..%d", where, c.Includes.Option, n)
		}
	}
	if len(c.AllNo) > 0 {
		set++
		for _, id := range c.AllNo {
			if err := earlier(id, YesNo, Multi, Text); err != nil {
				return err
			}
			if t := f.byID[id]; t.Kind != YesNo && !t.NoneOK {
				return fmt.Errorf("%s: all_no names %q, which cannot be answered 无", where, id)
			}
		}
	}
	if set != 1 {
		return fmt.Errorf("%s: shown_if must set exactly one of yes, includes, all_no", where)
	}
	return nil
}

// Question returns the question with the given id, or nil.
func (f *Form) Question(id string) *Question { return f.byID[id] }

// SectionOf returns the section with the given id, or nil.
func (f *Form) SectionOf(id string) *Section {
	for i := range f.Sections {
		if f.Sections[i].ID == id {
			return &f.Sections[i]
		}
	}
	return nil
}
