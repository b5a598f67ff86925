// Package surveytest helps tests compare answers the way a liaison would read them.
package surveytest

import (
	"slices"
	"sort"
	"strconv"
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
