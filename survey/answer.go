package survey

import (
	"fmt"
	"math"
	"slices"
	"strings"
)

// noneWords are the ways a liaison says "nothing" to a question that allows it.
var noneWords = []string{"无", "没有", "暂无", "没", "无。", "none", "0"}

// IsNone reports whether text says "nothing" (无).
func IsNone(text string) bool {
	return slices.Contains(noneWords, strings.ToLower(Normalize(text)))
}

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

// Parse turns a liaison's reply into the step's answer. confirm is true when the value is
// valid but implausible (over the question's soft maximum) and must be confirmed before it is
// kept. A rejected reply is an *InputError whose Reason tells the liaison what to send.
func (s Step) Parse(text string) (v Value, confirm bool, err error) {
	q := s.Q
	switch s.Kind() {
	case YesNo:
		b, err := ParseYesNo(text)
		return Value{Bool: b}, false, err
	case Number:
		n, err := ParseNumber(text, q.Unit)
		if err != nil {
			return Value{}, false, err
		}
		if q.Integer && n != math.Trunc(n) {
			return Value{}, false, &InputError{Reason: fmt.Sprintf("请填写整数（单位：%s），例如 3", q.Unit)}
		}
		if q.Min != nil && n < *q.Min {
			return Value{}, false, &InputError{Reason: fmt.Sprintf("不能小于 %s %s，请重新填写", FormatNumber(*q.Min), q.Unit)}
		}
		return Value{Num: n}, q.SoftMax != nil && n > *q.SoftMax, nil
	case Choice:
		c, err := ParseChoice(text, q.Options)
		return Value{Choice: c}, false, err
	case Multi:
		if q.NoneOK && IsNone(text) {
			return Value{}, false, nil
		}
		m, err := ParseMulti(text, q.Options)
		return Value{Multi: m}, false, err
	default:
		if IsNone(text) {
			if q.NoneOK {
				return Value{}, false, nil
			}
			return Value{}, false, &InputError{Reason: "这一题需要填写具体内容，不能只填“无”。"}
		}
		t, err := ParseText(text, q.MaxLen)
		return Value{Text: t}, false, err
	}
}

// Expect says plainly what the step accepts; it is shown after repeated failed tries.
func (s Step) Expect() string {
	q := s.Q
	switch s.Kind() {
	case YesNo:
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
		return fmt.Sprintf("只需回复一个编号（1 到 %d），例如 1。", len(q.Options))
	case Multi:
		msg := fmt.Sprintf("只需回复编号（1 到 %d），多个用逗号隔开，例如 1,3", len(q.Options))
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
