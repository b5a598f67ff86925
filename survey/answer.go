package survey

import (
	"fmt"
	"math"
	"strings"
)

// Nothing reports whether v, the answer at this step, means "nothing" (无): 无 to a yes/no
// question or to "还有其他…吗", nothing ticked, a text that says none (in any of the words
// IsNone knows, so answers stored before a word was added read the same), 0, or an optional
// question skipped. Every 有/无 figure (附件2's three columns, 已开展/未开展, 销号, whether the
// plan is asked) is derived from this one meaning, never from whether a text is empty.
func (s Step) Nothing(v Value) bool {
	if v.Skipped {
		return true
	}
	switch s.Kind() {
	case YesNo:
		return !v.Bool
	case Number:
		return v.Num == 0
	case Choice:
		return v.Choice == 0
	case Multi:
		return len(v.Multi) == 0
	default:
		return v.Text == "" || IsNone(v.Text)
	}
}

// Doubt says why an answer that was read waits for the liaison's word before it is kept.
type Doubt int

// The doubts Step.Parse reports.
const (
	Sure      Doubt = iota // keep the answer
	Large                  // over the question's soft maximum (a slip of 万 for 元 is the commonest error)
	Approx                 // an estimate (约100万), read as the nearest exact figure
	WhichUnit              // a figure with no unit in a 万元 question that may be 元 (120000)
	NoneFirst              // a text that allows 无 and begins with it (没有，明年计划加大投入)
)

// Parse turns a liaison's reply into the step's answer. A doubt other than Sure means the
// value is read but must be confirmed before it is kept. A rejected reply is an *InputError
// whose Reason says why and what to send. Every kind takes its forms of "nothing" (IsNone):
// 无 to a yes/no question, nothing ticked, a text that allows none, 0 for a number; an
// optional question answered with "nothing" is skipped. "I don't know" (IsUnsure) is never
// "nothing": it is refused with a reason that says how to go on.
func (s Step) Parse(text string) (v Value, d Doubt, err error) {
	q := s.Q
	if IsUnsure(text) {
		return Value{}, Sure, rejectInput(s.unsureReason(text))
	}
	if IsChatter(text) {
		return Value{}, Sure, s.NotAnAnswer(text)
	}
	if s.Optional() && s.Kind() != YesNo && IsNone(text) {
		return Value{Skipped: true}, Sure, nil
	}
	if k := s.Kind(); k == Number || k == Choice || k == Multi {
		text = WithoutParticles(text)
	}
	switch s.Kind() {
	case YesNo:
		if s.More && isMoreDone(text) {
			return Value{}, Sure, nil
		}
		b, err := ParseYesNo(text)
		return Value{Bool: b}, Sure, err
	case Number:
		return s.parseNumber(text)
	case Choice:
		if IsNone(text) {
			return Value{}, Sure, rejectInput(fmt.Sprintf("这一题要从下面选一项，请回复 1 到 %d 之间的编号。", len(q.Options)))
		}
		c, err := ParseChoice(text, q.Options, q.Aliases)
		return Value{Choice: c}, Sure, err
	case Multi:
		if IsNone(text) {
			if q.NoneOK {
				return Value{}, Sure, nil
			}
			return Value{}, Sure, rejectInput("这一题至少要选一项。" + multiReason(len(q.Options)))
		}
		m, err := ParseMulti(text, q.Options, q.Aliases)
		return Value{Multi: m}, Sure, err
	default:
		if IsNone(text) {
			if q.NoneOK {
				return Value{}, Sure, nil
			}
			return Value{}, Sure, rejectInput("这一题需要填写具体内容，不能只填“无”。")
		}
		if isYes(text) {
			return Value{}, Sure, rejectInput("“" + Fold(text) + "”还不够，请写明具体内容。" + s.Expect())
		}
		if q.ID == IDPlan && noPlanPhrases.Match(text) {
			// 附件2 填表说明4 asks these enterprises for the next step; "no plan" is no plan.
			return Value{}, Sure, rejectInput("这一题要写下一步计划开展的创新活动，不能只填“" + Fold(text) + "”。例如：明年与某高校合作开展某工艺改进，计划投入 20 万元。")
		}
		t, err := ParseText(text, q.MaxLen)
		if err == nil && q.NoneOK && StartsWithNone(text) != "" {
			return Value{Text: t}, NoneFirst, nil
		}
		return Value{Text: t}, Sure, err
	}
}

func (s Step) parseNumber(text string) (Value, Doubt, error) {
	q := s.Q
	zeroOK := q.Min == nil || *q.Min <= 0
	if IsNone(text) && zeroOK {
		return Value{}, Sure, nil
	}
	r, err := ParseNumber(text, q.Unit)
	if err != nil {
		return Value{}, Sure, err
	}
	n := r.Value
	if q.Integer && n != math.Trunc(n) && !r.MayBeYuan {
		return Value{}, Sure, &InputError{Reason: fmt.Sprintf("请填写整数（单位：%s），例如 3", q.Unit)}
	}
	if q.Min != nil && n < *q.Min {
		if *q.Min == 0 {
			return Value{}, Sure, &InputError{Reason: fmt.Sprintf("不能小于 0 %s，不能填负数。没有请回复 0", q.Unit)}
		}
		return Value{}, Sure, &InputError{Reason: fmt.Sprintf("不能小于 %s %s，请重新填写", FormatNumber(*q.Min), q.Unit)}
	}
	v := Value{Num: n}
	switch {
	case r.MayBeYuan:
		return v, WhichUnit, nil
	case r.Approx:
		return v, Approx, nil
	case s.TooLarge(v):
		return v, Large, nil
	}
	return v, Sure, nil
}

// TooLarge reports whether a figure is over the question's soft maximum.
func (s Step) TooLarge(v Value) bool {
	return s.Kind() == Number && s.Q.SoftMax != nil && v.Num > *s.Q.SoftMax
}

// AsYuan is the other reading of a WhichUnit figure: typed in 元, so v/10000 万元, exactly.
func (s Step) AsYuan(v Value) Value {
	r, err := ParseNumber(FormatNumber(v.Num)+"元", s.Q.Unit)
	if err != nil {
		return v
	}
	return Value{Num: r.Value}
}

// NotAnAnswer is the refusal of a reply that carries no answer to the step (谢谢, 稍等, or a
// command's word such as 确认 where it means nothing): it was not kept, and what to send.
func (s Step) NotAnAnswer(text string) error {
	return rejectInput("“" + Fold(text) + "”没有记为答案。" + s.Expect())
}

// unsureReason answers 不知道: it is no answer, and here is how to go on.
func (s Step) unsureReason(text string) string {
	said := "“" + Fold(text) + "”"
	var b strings.Builder
	switch k := s.Kind(); {
	case k == Number:
		fmt.Fprintf(&b, "%s不能当作 0。如果确实没有，请回复 0；", said)
	case k == Choice:
		b.WriteString("这一题要选一项。")
	case k == YesNo || s.Q.NoneOK || s.Optional():
		fmt.Fprintf(&b, "%s不能当作“无”。如果确实没有，请回复“无”；", said)
	default:
		b.WriteString("这一题要填写具体内容。")
	}
	if s.Optional() {
		b.WriteString("这一题是选填，也可以回复“跳过”；")
	}
	b.WriteString("需要问同事的话，可以回复“取消填报”先暂停（已填的都保存），问清楚后回复“填报”接着填。")
	return b.String()
}

// ParseYesNo reads a 有/无 answer: the yes words, the no words and every way of saying
// "nothing" (IsNone), decorated or not, and 有 with a count (有两个). Only these count: a
// free-text answer such as "有没有" may hide a detail the question does not capture, so it is
// better asked again than guessed at.
func ParseYesNo(s string) (bool, error) {
	switch {
	case isYes(s):
		return true, nil
	case isNo(s):
		return false, nil
	}
	if rest, ok := strings.CutPrefix(Fold(s), "有"); ok {
		if r, err := ParseNumber(rest, "个"); err == nil && !r.Approx && r.Value >= 1 {
			return true, nil
		}
	}
	return false, rejectInput("请回复“有”或“无”（也可回复 1 或 0）")
}

// Expect says plainly what the step accepts; it is shown after repeated failed tries.
func (s Step) Expect() string {
	q := s.Q
	switch s.Kind() {
	case YesNo:
		if s.More {
			return "还有就回复“有”，没有了就回复“无”（或“没有了”）。"
		}
		return "只需回复“有”或“无”（也可回复 1 或 0）。"
	case Number:
		var b strings.Builder
		fmt.Fprintf(&b, "只需回复一个数字，单位是%s", q.Unit)
		if q.Integer {
			b.WriteString("，填整数")
		}
		if q.Unit == "万元" {
			b.WriteString("。例如 12.5，也可写 12万 或 120000元")
		} else {
			b.WriteString("。例如 3")
		}
		b.WriteString("；没有请回复 0。")
		return b.String()
	case Choice:
		return fmt.Sprintf("只需回复一个编号（1 到 %d），例如 1，也可以回复名称。", len(q.Options))
	case Multi:
		msg := fmt.Sprintf("只需回复编号（1 到 %d），多个用逗号或“和”隔开，例如 1,3 或 1和3", len(q.Options))
		if q.NoneOK {
			msg += "；一个都没有请回复“无”"
		}
		return msg + "。"
	default:
		msg := fmt.Sprintf("请用文字简要说明（%d 字以内）", q.MaxLen)
		if q.NoneOK {
			msg += "；没有请回复“无”"
		}
		return msg + "。"
	}
}
