package survey

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// Term is a word of the form with what it means: the 填表说明's words where it has them, else
// the definition the statistics behind the form use. A liaison who asks 研发费用怎么算 gets it.
type Term struct {
	Term string `yaml:"term"`
	// Words are other ways liaisons name it (研发费用 for 研究开发费用).
	Words []string `yaml:"words"`
	Text  string   `yaml:"text"`
}

// askMarkers are the words of a question about the form ("这个研发费用怎么算").
var askMarkers = []string{
	"怎么算", "怎么填", "怎么写", "如何填", "如何填写", "怎样填", "如何计算", "怎么计算", "怎么统计",
	"是什么", "是啥", "什么是", "啥是", "什么意思", "啥意思", "指什么", "指的是什么", "怎么理解",
	"包括什么", "包括哪些", "包含什么", "包含哪些", "包不包括", "含不含", "算不算", "算吗",
	"哪些算", "什么算", "填什么", "写什么", "什么叫", "啥叫", "咋填", "咋写", "咋算", "怎么弄",
	"必须填", "必填吗", "一定要填", "要填吗", "需要填吗", "要不要填", "可以不填", "能不能不填", "不填可以",
	"不填行", "要写吗", "看不懂", "没看懂", "不明白", "没明白", "不太明白", "不理解",
}

// IsQuestion reports whether a reply asks about the form rather than answering it: short, and
// holding one of the ways of asking (怎么算, 是什么, 包括什么, 算不算, 什么意思). A long text
// with such words in it is taken as an answer: it has content.
func IsQuestion(text string) bool {
	s := Fold(text)
	if s == "" || utf8.RuneCountInString(s) > 30 {
		return false
	}
	for _, m := range askMarkers {
		if strings.Contains(s, m) {
			return true
		}
	}
	return false
}

// IsAsked reports whether a short reply is put as a question: it holds a question mark, or
// ends with 吗 or with one of the ways of asking (我们和高校合作这个算不算). At a question that
// takes any text, only such a reply is read as asking: a longer answer may merely hold the
// words (培训员工掌握新工艺是什么样的效果还要看), and one put as a question never answers. A
// greeting (在吗) asks nothing about the form.
func IsAsked(text string) bool {
	s := Fold(text)
	if s == "" || utf8.RuneCountInString(s) > 30 || IsChatter(text) {
		return false
	}
	if strings.ContainsRune(Normalize(text), '?') || strings.HasSuffix(s, "吗") {
		return true
	}
	for _, m := range askMarkers {
		if strings.HasSuffix(s, m) {
			return true
		}
	}
	return false
}

// Explanation is what the form says about a step: its own note and the terms it names. It is
// empty when the form says nothing about it.
func (f *Form) Explanation(s Step) string {
	q := s.Q
	var parts []string
	if q.Explain != "" {
		parts = append(parts, q.Explain)
	}
	for _, name := range q.Terms {
		if t := f.term(name); t != nil {
			parts = append(parts, "【"+t.Term+"】"+t.Text)
		}
	}
	return strings.Join(parts, "\n")
}

// Explain answers a question asked about the form (IsQuestion) at a step, or at none (nil):
// the terms the question names, else the step's own explanation. It is empty when the form
// has nothing to say.
func (f *Form) Explain(question string, at *Step) string {
	s := Fold(question)
	var parts []string
	for i := range f.Glossary {
		t := &f.Glossary[i]
		for _, w := range append([]string{t.Term}, t.Words...) {
			if strings.Contains(s, w) {
				parts = append(parts, "【"+t.Term+"】"+t.Text)
				break
			}
		}
	}
	if len(parts) > 0 {
		return strings.Join(parts, "\n")
	}
	if at != nil {
		return f.Explanation(*at)
	}
	return ""
}

func (f *Form) term(name string) *Term {
	for i := range f.Glossary {
		if f.Glossary[i].Term == name {
			return &f.Glossary[i]
		}
	}
	return nil
}

// checkGlossary checks the terms and the questions' references to them.
func (f *Form) checkGlossary() error {
	seen := map[string]bool{}
	for i, t := range f.Glossary {
		if t.Term == "" || t.Text == "" || seen[t.Term] {
			return fmt.Errorf("glossary[%d]: term %q empty, duplicate or without text", i, t.Term)
		}
		seen[t.Term] = true
	}
	for id, q := range f.byID {
		for _, name := range q.Terms {
			if !seen[name] {
				return fmt.Errorf("question %s: term %q is not in the glossary", id, name)
			}
		}
	}
	return nil
}
