package survey

import (
	"fmt"
	"slices"
)

// Check is a cross-question rule of the form: answers that contradict each other or the form's
// own words (六有 says 有科技研发经费 while every 研发费用 is 0). Checks are data, kept with the
// form; the dialog lists what they find before the review and lets the liaison fix or keep each.
type Check struct {
	ID string `yaml:"id"`
	// When holds when all its conditions hold.
	When []Cond `yaml:"when"`
	// Fix is the question to go to when the liaison fixes it, unless a condition names the
	// very answer that stands out (the project with the most staff, the figure that looks
	// like 元).
	Fix string `yaml:"fix"`
	// Says is the contradiction in the liaison's words; Quote the form's own words it goes
	// against.
	Says  string `yaml:"says"`
	Quote string `yaml:"quote"`
}

// Cond is one condition of a Check. Exactly one field is set.
type Cond struct {
	// Yes names a question whose answer is not "nothing" (有); No one whose answer is
	// (Step.Nothing). An unanswered or hidden question satisfies neither.
	Yes string `yaml:"yes"`
	No  string `yaml:"no"`
	// Ticked names a multi question and an option that is ticked.
	Ticked *Inclusion `yaml:"ticked"`
	// Compare compares two figures.
	Compare *Compare `yaml:"compare"`
	// Outlier finds one figure far above the others of a kind.
	Outlier *Outlier `yaml:"outlier"`
}

// Figure is a number computed from answers: the sum or the largest of the answers to number
// questions (in every row of their groups), or a constant.
type Figure struct {
	Sum   []string `yaml:"sum"`
	Max   []string `yaml:"max"`
	Value *float64 `yaml:"value"`
}

// Compare holds when Left Op Right, Op one of = != < <= > >=.
type Compare struct {
	Left  Figure `yaml:"left"`
	Op    string `yaml:"op"`
	Right Figure `yaml:"right"`
}

// Outlier holds when one answer to the questions Of is at least AtLeast while every other
// non-zero one is below OthersBelow: a figure typed in 元 into a 万元 question.
type Outlier struct {
	Of          []string `yaml:"of"`
	AtLeast     float64  `yaml:"at_least"`
	OthersBelow float64  `yaml:"others_below"`
}

// Finding is a check that holds for a set of answers, with the answer to go to to fix it.
type Finding struct {
	Check *Check
	Key   string
}

// answered is one answer with its step.
type answered struct {
	step  Step
	value Value
}

// Findings runs the form's checks on the answers asked (hidden ones are left out) and returns
// those that hold, in the form's order.
func (f *Form) Findings(a Answers) []Finding {
	byQ := map[string][]answered{}
	for _, s := range f.Steps(a) {
		if v, ok := a[s.Key]; ok && !s.More {
			byQ[s.Q.ID] = append(byQ[s.Q.ID], answered{s, v})
		}
	}
	var out []Finding
	for i := range f.Checks {
		c := &f.Checks[i]
		key, holds := "", true
		for _, cond := range c.When {
			ok, k := cond.holds(byQ)
			if !ok {
				holds = false
				break
			}
			if key == "" {
				key = k
			}
		}
		if !holds {
			continue
		}
		if key == "" {
			if as := byQ[c.Fix]; len(as) > 0 {
				key = as[0].step.Key
			} else if q := f.Question(c.Fix); q != nil && q.Parent == nil {
				key = q.ID
			}
		}
		out = append(out, Finding{Check: c, Key: key})
	}
	return out
}

// holds evaluates the condition and returns the answer key it singles out, if any.
func (c Cond) holds(byQ map[string][]answered) (bool, string) {
	switch {
	case c.Yes != "" || c.No != "":
		id := c.Yes + c.No
		as := byQ[id]
		if len(as) == 0 {
			return false, ""
		}
		nothing := as[0].step.Nothing(as[0].value)
		return nothing == (c.No != ""), ""
	case c.Ticked != nil:
		as := byQ[c.Ticked.Q]
		return len(as) > 0 && slices.Contains(as[0].value.Multi, c.Ticked.Option), ""
	case c.Compare != nil:
		l, key := c.Compare.Left.value(byQ)
		r, _ := c.Compare.Right.value(byQ)
		return compare(l, c.Compare.Op, r), key
	case c.Outlier != nil:
		return c.Outlier.find(byQ)
	}
	return false, ""
}

func (g Figure) value(byQ map[string][]answered) (float64, string) {
	switch {
	case g.Value != nil:
		return *g.Value, ""
	case len(g.Sum) > 0:
		sum := 0.0
		for _, id := range g.Sum {
			for _, a := range byQ[id] {
				sum += a.value.Num
			}
		}
		return sum, ""
	}
	best, key := 0.0, ""
	for _, id := range g.Max {
		for _, a := range byQ[id] {
			if key == "" || a.value.Num > best {
				best, key = a.value.Num, a.step.Key
			}
		}
	}
	return best, key
}

func compare(l float64, op string, r float64) bool {
	switch op {
	case "=":
		return l == r
	case "!=":
		return l != r
	case "<":
		return l < r
	case "<=":
		return l <= r
	case ">":
		return l > r
	case ">=":
		return l >= r
	}
	return false
}

func (o *Outlier) find(byQ map[string][]answered) (bool, string) {
	var all []answered
	for _, id := range o.Of {
		all = append(all, byQ[id]...)
	}
	top := -1
	for i, a := range all {
		if a.value.Num >= o.AtLeast && (top < 0 || a.value.Num > all[top].value.Num) {
			top = i
		}
	}
	if top < 0 {
		return false, ""
	}
	for i, a := range all {
		if i != top && a.value.Num != 0 && a.value.Num >= o.OthersBelow {
			return false, ""
		}
	}
	return true, all[top].step.Key
}

var compareOps = []string{"=", "!=", "<", "<=", ">", ">="}

// checkChecks checks the rules against the form, so that a wrong rule fails at load.
func (f *Form) checkChecks() error {
	ids := map[string]bool{}
	for i, c := range f.Checks {
		where := fmt.Sprintf("checks[%d]", i)
		if c.ID == "" || ids[c.ID] {
			return fmt.Errorf("%s: id %q empty or duplicate", where, c.ID)
		}
		ids[c.ID] = true
		where += " (" + c.ID + ")"
		if c.Says == "" || len(c.When) == 0 {
			return fmt.Errorf("%s: needs when and says", where)
		}
		if q := f.Question(c.Fix); q == nil || q.Kind == Group {
			return fmt.Errorf("%s: fix names %q, which is no question", where, c.Fix)
		}
		for j, cond := range c.When {
			if err := f.checkCond(cond); err != nil {
				return fmt.Errorf("%s.when[%d]: %w", where, j, err)
			}
		}
	}
	return nil
}

func (f *Form) checkCond(c Cond) error {
	set := 0
	kind := func(id string, kinds ...Kind) error {
		q := f.Question(id)
		if q == nil {
			return fmt.Errorf("%q is no question", id)
		}
		if !slices.Contains(kinds, q.Kind) {
			return fmt.Errorf("%q is of kind %s", id, q.Kind)
		}
		return nil
	}
	numbers := func(ids []string) error {
		for _, id := range ids {
			if err := kind(id, Number); err != nil {
				return err
			}
		}
		return nil
	}
	figure := func(g Figure) error {
		n := 0
		for _, set := range []bool{len(g.Sum) > 0, len(g.Max) > 0, g.Value != nil} {
			if set {
				n++
			}
		}
		if n != 1 {
			return fmt.Errorf("a figure needs exactly one of sum, max, value")
		}
		if err := numbers(g.Sum); err != nil {
			return err
		}
		return numbers(g.Max)
	}
	for _, id := range []string{c.Yes, c.No} {
		if id == "" {
			continue
		}
		set++
		if err := kind(id, YesNo, Text, Multi, Number, Choice); err != nil {
			return err
		}
	}
	if c.Ticked != nil {
		set++
		if err := kind(c.Ticked.Q, Multi); err != nil {
			return err
		}
		if n := len(f.Question(c.Ticked.Q).Options); c.Ticked.Option < 1 || c.Ticked.Option > n {
			return fmt.Errorf("option %d out of 1..%d", c.Ticked.Option, n)
		}
	}
	if c.Compare != nil {
		set++
		if !slices.Contains(compareOps, c.Compare.Op) {
			return fmt.Errorf("unknown op %q", c.Compare.Op)
		}
		if err := figure(c.Compare.Left); err != nil {
			return err
		}
		if err := figure(c.Compare.Right); err != nil {
			return err
		}
	}
	if c.Outlier != nil {
		set++
		if len(c.Outlier.Of) == 0 {
			return fmt.Errorf("outlier of nothing")
		}
		if err := numbers(c.Outlier.Of); err != nil {
			return err
		}
	}
	if set != 1 {
		return fmt.Errorf("a condition needs exactly one of yes, no, ticked, compare, outlier")
	}
	return nil
}
