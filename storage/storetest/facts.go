package storetest

import (
	"fmt"
	"testing"

	"innobot/storage"
	"innobot/survey"
)

// FactsStore is a store whose submissions' facts can be worked out again: what RunFacts
// checks.
type FactsStore interface {
	LedgerStore
	storage.FactsRefresher
}

// RunFacts checks the storage.FactsRefresher of a store in subtests, as Run does the Store.
func RunFacts(t *testing.T, newStore func(t *testing.T) FactsStore) {
	t.Helper()
	runGroups(t, newStore, []group[FactsStore]{
		{"RefreshFacts", factsTests},
	})
}

// factsSubmissions are submissions of several enterprises, periods and versions whose stored
// facts say 有创新活动 while their answers' "dir_rnd" says otherwise for every other one: what
// an older rule left behind.
func factsSubmissions(n int) []storage.Submission {
	var out []storage.Submission
	for i := range n {
		sub := sampleSubmission(fmt.Sprintf("E%d", i%3), fmt.Sprintf("2026-%02d", 9+i/6), 1+i/3%2)
		sub.Facts = survey.Facts{HasInnovation: true, Plan: "计划"}
		sub.Answers = survey.Answers{"dir_rnd": {Text: "有新工艺"}}
		if i%2 == 1 {
			sub.Answers["dir_rnd"] = survey.Value{Text: "没开展"}
		}
		out = append(out, sub)
	}
	return out
}

// newRule is a rule that knows 没开展 for nothing, as the lexicon learnt it.
func newRule(calls *int) func(storage.Submission) (survey.Facts, bool) {
	return func(sub storage.Submission) (survey.Facts, bool) {
		*calls++
		x := sub.Facts
		x.HasInnovation = sub.Answers["dir_rnd"].Text != "没开展"
		return x, true
	}
}

var factsTests = []check[FactsStore]{
	{"WorksFactsOutAgainUnderANewRule", func(t *testing.T, s FactsStore) {
		ctx := t.Context()
		subs := factsSubmissions(14)
		for _, sub := range subs {
			mustSubmit(t, s, sub)
		}
		calls := 0
		n, err := s.RefreshFacts(ctx, "rule-2", newRule(&calls))
		if err != nil {
			t.Fatalf("RefreshFacts: %v", err)
		}
		if n != 7 || calls != 14 {
			t.Errorf("RefreshFacts changed %d submissions and asked about %d; want 7 of 14", n, calls)
		}
		// Each submission now carries the new facts and nothing else changed.
		for _, id := range []string{"E0", "E1", "E2"} {
			got, err := s.Submissions(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			var want []storage.Submission
			for _, sub := range subs {
				if sub.EnterpriseID == id {
					sub.Facts.HasInnovation = sub.Answers["dir_rnd"].Text != "没开展"
					want = append(want, sub)
				}
			}
			same(t, "submissions of "+id, got, want, func(ss []storage.Submission) []storage.Submission { return normAll(ss, normSubmission) })
		}
		// The ledger counts the new facts: the latest submission of each enterprise.
		heads, err := s.LatestHeads(ctx, "2026-12")
		if err != nil {
			t.Fatal(err)
		}
		if len(heads) != 3 {
			t.Fatalf("LatestHeads: %d enterprises, want 3: %+v", len(heads), heads)
		}
		for id, h := range heads {
			subs, err := s.Submissions(ctx, id)
			if err != nil || len(subs) == 0 {
				t.Fatalf("Submissions of %s: %d, %v", id, len(subs), err)
			}
			last := subs[len(subs)-1]
			if h.Facts != last.Facts || h.Period != last.Period || h.Version != last.Version {
				t.Errorf("head of %s: %+v; its latest submission %s v%d has %+v", id, h, last.Period, last.Version, last.Facts)
			}
		}
		// The same rule again reads nothing.
		calls = 0
		if n, err := s.RefreshFacts(ctx, "rule-2", newRule(&calls)); err != nil || n != 0 || calls != 0 {
			t.Errorf("RefreshFacts under the same rule: %d changed, %d asked, %v; want nothing done", n, calls, err)
		}
	}},
	{"LeavesWhatTheRuleDeclines", func(t *testing.T, s FactsStore) {
		ctx := t.Context()
		subs := factsSubmissions(4)
		for _, sub := range subs {
			mustSubmit(t, s, sub)
		}
		// Another form's submissions are not this rule's to judge.
		n, err := s.RefreshFacts(ctx, "rule-2", func(storage.Submission) (survey.Facts, bool) { return survey.Facts{}, false })
		if err != nil || n != 0 {
			t.Fatalf("RefreshFacts declining all: %d changed, %v", n, err)
		}
		got, err := s.Submissions(ctx, "E1")
		if err != nil || len(got) != 1 || got[0].Facts != subs[1].Facts {
			t.Errorf("a declined submission: %+v, %v; want its facts kept", got, err)
		}
	}},
	{"EmptyStore", func(t *testing.T, s FactsStore) {
		calls := 0
		if n, err := s.RefreshFacts(t.Context(), "rule-1", newRule(&calls)); err != nil || n != 0 || calls != 0 {
			t.Errorf("RefreshFacts of an empty store: %d changed, %d asked, %v", n, calls, err)
		}
	}},
}

// testReopenFacts checks that the rule facts were worked out under survives Close: a store
// opened again under the same rule reads no submission.
func testReopenFacts(t *testing.T, reopen func(dir string) (FactsStore, func())) {
	dir := t.TempDir()
	s, closeS := reopen(dir)
	for _, sub := range factsSubmissions(3) {
		mustSubmit(t, s, sub)
	}
	calls := 0
	if n, err := s.RefreshFacts(t.Context(), "rule-2", newRule(&calls)); err != nil || n != 1 {
		t.Fatalf("RefreshFacts: %d changed, %v; want 1", n, err)
	}
	closeS()
	s, _ = reopen(dir)
	calls = 0
	if n, err := s.RefreshFacts(t.Context(), "rule-2", newRule(&calls)); err != nil || n != 0 || calls != 0 {
		t.Errorf("RefreshFacts after reopening under the same rule: %d changed, %d asked, %v", n, calls, err)
	}
}
