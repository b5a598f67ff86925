// Package surveytest helps tests compare answers the way a liaison would read them.
package surveytest

import (
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"innobot/survey"
)

// Equal reports whether two answers say the same thing.
func Equal(a, b survey.Value) bool {
	return a.Text == b.Text && a.Num == b.Num && a.Bool == b.Bool && a.Choice == b.Choice &&
		a.Skipped == b.Skipped && slices.Equal(a.Multi, b.Multi)
}

// Diff lists how got differs from want, key by key in order: missing, unexpected and
// different answers. It is empty when they agree.
func Diff(got, want survey.Answers) []string {
	keys := make([]string, 0, len(got)+len(want))
	for k := range want {
		keys = append(keys, k)
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var out []string
	for _, k := range keys {
		g, gok := got[k]
		w, wok := want[k]
		switch {
		case !gok:
			out = append(out, "answer "+k+" missing, want "+show(w))
		case !wok:
			out = append(out, "unexpected answer "+k+" = "+show(g))
		case !Equal(g, w):
			out = append(out, "answer "+k+" = "+show(g)+", want "+show(w))
		}
	}
	return out
}

// Check fails the test for every difference between got and want.
func Check(t testing.TB, got, want survey.Answers) {
	t.Helper()
	for _, d := range Diff(got, want) {
		t.Error(d)
	}
}

func show(v survey.Value) string {
	s := ""
	switch {
	case v.Skipped:
		s = "skipped"
	case v.Text != "":
		s = "text " + v.Text
	case v.Multi != nil:
		s = "multi"
		for _, n := range v.Multi {
			s += " " + strconv.Itoa(n)
		}
	case v.Choice != 0:
		s = "choice " + strconv.Itoa(v.Choice)
	default:
		s = "num " + survey.FormatNumber(v.Num)
		if v.Bool {
			s += " yes"
		}
	}
	return "{" + s + "}"
}

// words are what generated text answers are made of: the Chinese of the survey, full-width
// letters and punctuation, digits, a line break, an emoji and a leading = that a spreadsheet
// could take for a formula.
var words = []string{
	"研发", "中心", "钢铁", "工艺", "改进", "山西", "运城", "省工信厅", "企业自建", "新材料", "晋科〔2026〕18号",
	"ＡＢＣ", "（一）", "“五小”", "2026", "12.5", "=SUM(A1)", "\n", "😀", "、", "；", " ", "技术", "合作",
}

// Text returns a text of up to n words that the chat's text parser keeps as it is and that
// says something (no 无).
func Text(rng *rand.Rand, n int) string {
	for {
		var b strings.Builder
		for range 1 + rng.IntN(n) {
			b.WriteString(words[rng.IntN(len(words))])
		}
		s := b.String()
		if t, err := survey.ParseText(s, 0); err == nil && t == s && !survey.IsNone(s) {
			return s
		}
	}
}

// Random answers the whole form as a liaison could in the chat: every reply goes through the
// step's own parser, so the answers are exactly what the dialog would have stored. Groups get
// a few rows; numbers stay under their soft maximum, which a file cannot confirm.
func Random(rng *rand.Rand, form *survey.Form) survey.Answers {
	a := survey.Answers{}
	for {
		var open *survey.Step
		for _, st := range form.Steps(a) {
			if _, ok := a[st.Key]; !ok {
				open = &st
				break
			}
		}
		if open == nil {
			return a
		}
		st := *open
		if st.Optional() && rng.IntN(3) == 0 {
			a[st.Key] = survey.Value{Skipped: true}
			continue
		}
		v, doubt, err := st.Parse(reply(rng, st))
		if err != nil || doubt != survey.Sure {
			continue
		}
		a[st.Key] = v
	}
}

// reply is what a liaison might type at a step.
func reply(rng *rand.Rand, st survey.Step) string {
	q := st.Q
	switch st.Kind() {
	case survey.YesNo:
		if st.More {
			// Fewer rows the more there are already: 0, 1 or 2 more after the first.
			if rng.IntN(st.Row+2) == 0 {
				return "有"
			}
			return "无"
		}
		return []string{"有", "无"}[rng.IntN(2)]
	case survey.Number:
		n := float64(rng.IntN(5000))
		if !q.Integer && rng.IntN(2) == 0 {
			n += float64(rng.IntN(1000000)) / 1000000
		}
		if q.SoftMax != nil {
			n = min(n, *q.SoftMax)
		}
		return survey.FormatNumber(n)
	case survey.Choice:
		return strconv.Itoa(1 + rng.IntN(len(q.Options)))
	case survey.Multi:
		if q.NoneOK && rng.IntN(4) == 0 {
			return "无"
		}
		var picks []string
		for i := range q.Options {
			if rng.IntN(3) == 0 {
				picks = append(picks, strconv.Itoa(i+1))
			}
		}
		if len(picks) == 0 {
			picks = append(picks, "1")
		}
		return strings.Join(picks, ",")
	default:
		if q.NoneOK && rng.IntN(3) == 0 {
			return "无"
		}
		return Text(rng, 6)
	}
}
