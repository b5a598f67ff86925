package survey

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// Value is one typed answer. Which field is meaningful follows from the question's kind; an
// answer that exists in Answers with zero fields is a real 无 / 0 / nothing ticked.
type Value struct {
	Text    string  `json:"t,omitempty"`
	Num     float64 `json:"n,omitempty"`
	Bool    bool    `json:"b,omitempty"`
	Choice  int     `json:"c,omitempty"`
	Multi   []int   `json:"m,omitempty"`
	Skipped bool    `json:"s,omitempty"`
}

// Answers holds a survey's answers by key: a question id at top level, "group.row.id" inside a
// repeating group (rows from 0) and "group.row.#more" for the 还有其他…吗 answer after a row.
type Answers map[string]Value

// Clone returns a copy that shares nothing with a.
func (a Answers) Clone() Answers {
	c := make(Answers, len(a))
	for k, v := range a {
		v.Multi = slices.Clone(v.Multi)
		c[k] = v
	}
	return c
}

// Step is one question as asked: a question at a place (its row in a group), or the question
// asked after a group's row whether there is another.
type Step struct {
	Key  string
	Q    *Question // for a More step, the group
	Row  int       // row in the group from 0; -1 at top level
	More bool
}

// RowKey is the answer key of question id in row of group.
func RowKey(group string, row int, id string) string {
	return group + "." + strconv.Itoa(row) + "." + id
}

func moreKey(group string, row int) string { return RowKey(group, row, "#more") }

// Steps lists the steps the form asks given the answers so far: hidden questions are left out
// and a group has as many rows as the liaison said there are. The list grows as answers come,
// so a step is found by its key, never by a stored index.
func (f *Form) Steps(a Answers) []Step {
	out := make([]Step, 0, 64)
	for _, s := range f.Sections {
		out = f.appendSteps(out, s.Questions, a)
	}
	return out
}

func (f *Form) appendSteps(out []Step, qs []*Question, a Answers) []Step {
	for _, q := range qs {
		if !f.Shown(q, a) {
			continue
		}
		if q.Kind != Group {
			out = append(out, Step{Key: q.ID, Q: q, Row: -1})
			continue
		}
		for row := 0; ; row++ {
			for _, c := range q.Questions {
				out = append(out, Step{Key: c.rowKey(row, false), Q: c, Row: row})
			}
			mk := q.rowKey(row, true)
			out = append(out, Step{Key: mk, Q: q, Row: row, More: true})
			if v, ok := a[mk]; !ok || !v.Bool {
				break
			}
		}
	}
	return out
}

// Shown reports whether q is asked given the answers so far.
func (f *Form) Shown(q *Question, a Answers) bool {
	c := q.ShownIf
	if c == nil {
		return true
	}
	switch {
	case c.Yes != "":
		v, ok := a[c.Yes]
		return ok && v.Bool
	case c.Includes != nil:
		v, ok := a[c.Includes.Q]
		return ok && slices.Contains(v.Multi, c.Includes.Option)
	default:
		for _, id := range c.AllNo {
			v, ok := a[id]
			if !ok || !(Step{Key: id, Q: f.byID[id], Row: -1}).Nothing(v) {
				return false
			}
		}
		return true
	}
}

// Visible returns only the answers to steps the form asks, so that answers left behind by a
// changed 有 → 无 never reach a submission.
func (f *Form) Visible(a Answers) Answers {
	out := Answers{}
	for _, s := range f.Steps(a) {
		if v, ok := a[s.Key]; ok {
			out[s.Key] = v
		}
	}
	return out
}

// Rows counts the rows of a group in the answers.
func (f *Form) Rows(group string, a Answers) int {
	n := 0
	for _, s := range f.Steps(a) {
		if s.More && s.Q.ID == group {
			n++
		}
	}
	return n
}

// Shapes reports whether the answer at this step can change the steps: a group's 还有…吗, or a
// question a shown_if names. An answer anywhere else leaves Steps as they were, so a caller
// that lists them at every answer may keep the list.
func (s Step) Shapes() bool { return s.More || s.Q.shapes }

// PromptText is what the step asks, in the liaison's words.
func (s Step) PromptText() string {
	if s.More {
		return s.Q.More
	}
	if s.Row >= 0 {
		return fmt.Sprintf("【%s 第 %d 个】%s", s.Q.Parent.Label, s.Row+1, s.Q.Prompt)
	}
	return s.Q.Prompt
}

// Label is the short name of the step used in reviews.
func (s Step) Label() string {
	if s.More {
		return fmt.Sprintf("%s 第 %d 个后还有", s.Q.Label, s.Row+1)
	}
	if s.Row >= 0 {
		return fmt.Sprintf("%s%d·%s", s.Q.Parent.Label, s.Row+1, s.Q.Label)
	}
	return s.Q.Label
}

// Kind is the answer kind of the step: a More step is a yes/no question.
func (s Step) Kind() Kind {
	if s.More {
		return YesNo
	}
	return s.Q.Kind
}

// Optional reports whether the step may be skipped.
func (s Step) Optional() bool { return !s.More && s.Q.Optional }

// Format renders an answer for a review, a receipt or a spreadsheet cell.
func (s Step) Format(v Value) string {
	if v.Skipped {
		return "无"
	}
	switch s.Kind() {
	case YesNo:
		if v.Bool {
			return "有"
		}
		return "无"
	case Number:
		return FormatNumber(v.Num) + " " + s.Q.Unit
	case Choice:
		if v.Choice >= 1 && v.Choice <= len(s.Q.Options) {
			return s.Q.Options[v.Choice-1]
		}
		return strconv.Itoa(v.Choice)
	case Multi:
		if len(v.Multi) == 0 {
			return "无"
		}
		// The numbers, as typed, then what they stand for, so a slip (3 for 13) shows.
		nums := make([]string, len(v.Multi))
		names := make([]string, 0, len(v.Multi))
		for i, n := range v.Multi {
			nums[i] = strconv.Itoa(n)
			if n >= 1 && n <= len(s.Q.Options) {
				names = append(names, s.Q.Options[n-1])
			}
		}
		return strings.Join(nums, "、") + "（" + strings.Join(names, "；") + "）"
	default:
		if v.Text == "" {
			return "无"
		}
		return v.Text
	}
}

// FormatNumber prints a number the way a clerk writes it: no exponent, no trailing zeros.
func FormatNumber(n float64) string { return strconv.FormatFloat(n, 'f', -1, 64) }

// Clear removes the answers to the given sections, rows of their groups included, so that a
// monthly update asks those sections again and carries the rest.
func (f *Form) Clear(a Answers, sections ...string) {
	for _, id := range sections {
		s := f.SectionOf(id)
		if s == nil {
			continue
		}
		for _, q := range s.Questions {
			delete(a, q.ID)
			if q.Kind == Group {
				for k := range a {
					if strings.HasPrefix(k, q.ID+".") {
						delete(a, k)
					}
				}
			}
		}
	}
}

// AddRow opens a new row at the end of a group (添加 研发项目): the group's 有/无 question is
// answered 有 and the last row's 还有…吗 有, so the new row's questions are asked next. It
// returns the new row's index.
func (f *Form) AddRow(a Answers, group string) int {
	g := f.Question(group)
	n := f.Rows(group, a) // 0 while the group is hidden (answered 无)
	if g.ShownIf != nil && g.ShownIf.Yes != "" {
		a[g.ShownIf.Yes] = Value{Bool: true}
	}
	if n > 0 {
		a[g.rowKey(n-1, true)] = Value{Bool: true}
	}
	return n
}

// DeleteRow removes a row of a group (删除 研发项目 2), moving the later rows up: the last row
// left says there is no other, and a group left with none has its 有/无 question answered 无.
func (f *Form) DeleteRow(a Answers, group string, row int) {
	g := f.Question(group)
	n := f.Rows(group, a)
	if row < 0 || row >= n {
		return
	}
	move := func(from, to int) {
		for _, q := range append(slices.Clone(g.Questions), nil) {
			var src, dst string
			if q == nil {
				src, dst = g.rowKey(from, true), g.rowKey(to, true)
			} else {
				src, dst = q.rowKey(from, false), q.rowKey(to, false)
			}
			if v, ok := a[src]; ok {
				a[dst] = v
			} else {
				delete(a, dst)
			}
		}
	}
	for r := row; r < n-1; r++ {
		move(r+1, r)
	}
	for _, q := range g.Questions {
		delete(a, q.rowKey(n-1, false))
	}
	delete(a, g.rowKey(n-1, true))
	switch {
	case n > 1:
		a[g.rowKey(n-2, true)] = Value{}
	case g.ShownIf != nil && g.ShownIf.Yes != "":
		a[g.ShownIf.Yes] = Value{}
	}
}
