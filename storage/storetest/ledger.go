package storetest

import (
	"fmt"
	"sync"
	"testing"

	"innobot/storage"
	"innobot/survey"
)

var latestHeadsTests = []check[LedgerStore]{
	{"Empty", func(t *testing.T, s LedgerStore) {
		if got := mustLatestHeads(t, s, "2026-11"); len(got) != 0 {
			t.Errorf("LatestHeads of an empty store: %+v", got)
		}
	}},
	{"LatestPeriodThenVersion", func(t *testing.T, s LedgerStore) {
		subs := map[string]storage.Submission{}
		for _, sub := range []storage.Submission{
			sampleSubmission("E1", "2026-09", 1),
			sampleSubmission("E1", "2026-10", 1),
			sampleSubmission("E1", "2026-10", 2),
			sampleSubmission("E1", "2026-11", 1),
			sampleSubmission("E2", "2026-11", 1),
			sampleSubmission("E3", "2026-08", 1),
			sampleSubmission("E3", "2026-08", 2),
			sampleSubmission("E3", "2026-08", 3),
		} {
			sub.SubmittedBy = fmt.Sprintf("c-%s-%s-%d", sub.EnterpriseID, sub.Period, sub.Version)
			mustSubmit(t, s, sub)
			subs[fmt.Sprintf("%s %s %d", sub.EnterpriseID, sub.Period, sub.Version)] = sub
		}
		head := func(key string) storage.Head { return subs[key].Head() }
		for _, tc := range []struct {
			upTo string
			want map[string]storage.Head
		}{
			{"2026-07", map[string]storage.Head{}},
			{"2026-08", map[string]storage.Head{"E3": head("E3 2026-08 3")}},
			{"2026-09", map[string]storage.Head{"E1": head("E1 2026-09 1"), "E3": head("E3 2026-08 3")}},
			{"2026-10", map[string]storage.Head{"E1": head("E1 2026-10 2"), "E3": head("E3 2026-08 3")}},
			{"2026-11", map[string]storage.Head{"E1": head("E1 2026-11 1"), "E2": head("E2 2026-11 1"), "E3": head("E3 2026-08 3")}},
			{"2027-01", map[string]storage.Head{"E1": head("E1 2026-11 1"), "E2": head("E2 2026-11 1"), "E3": head("E3 2026-08 3")}},
		} {
			same(t, "LatestHeads("+tc.upTo+")", mustLatestHeads(t, s, tc.upTo), tc.want, normHeads)
		}
	}},
	{"HeadOfTheSubmission", func(t *testing.T, s LedgerStore) {
		// Everything of the head comes back: facts with every field set, and none at all.
		full := sampleSubmission("E1", "2026-10", 1)
		bare := storage.Submission{EnterpriseID: "E2", Period: "2026-10", Version: 1}
		mustSubmit(t, s, full)
		mustSubmit(t, s, bare)
		got := mustLatestHeads(t, s, "2026-10")
		same(t, "LatestHeads", got, map[string]storage.Head{"E1": full.Head(), "E2": bare.Head()}, normHeads)
		if !got["E1"].SubmittedAt.Equal(full.SubmittedAt) {
			t.Errorf("SubmittedAt %v came back as %v", full.SubmittedAt, got["E1"].SubmittedAt)
		}
	}},
	{"VersionsPastNine", func(t *testing.T, s LedgerStore) {
		// Versions compare as numbers, not as text.
		var last storage.Submission
		for v := 1; v <= 12; v++ {
			last = sampleSubmission("E1", "2026-11", v)
			mustSubmit(t, s, last)
		}
		same(t, "LatestHeads after 12 versions", mustLatestHeads(t, s, "2026-11"),
			map[string]storage.Head{"E1": last.Head()}, normHeads)
	}},
	{"IDsThatArePrefixes", func(t *testing.T, s LedgerStore) {
		subs := []storage.Submission{
			sampleSubmission("E", "2026-09", 1),
			sampleSubmission("E1", "2026-10", 1),
			sampleSubmission("E10", "2026-08", 1),
			sampleSubmission("E10", "2026-11", 1),
			sampleSubmission("E1 0", "2026-10", 2),
			sampleSubmission("E2", "2026-12", 1),
		}
		for i := range subs {
			if subs[i].Version == 2 {
				mustSubmit(t, s, sampleSubmission(subs[i].EnterpriseID, subs[i].Period, 1))
			}
			mustSubmit(t, s, subs[i])
		}
		want := map[string]storage.Head{"E": subs[0].Head(), "E1": subs[1].Head(), "E10": subs[2].Head(), "E1 0": subs[4].Head()}
		same(t, "LatestHeads(2026-10)", mustLatestHeads(t, s, "2026-10"), want, normHeads)
	}},
	{"RefusedTurnAddsNoHead", func(t *testing.T, s LedgerStore) {
		first := sampleSubmission("E1", "2026-11", 1)
		mustSubmit(t, s, first)
		again := sampleSubmission("E1", "2026-11", 1)
		again.Facts = survey.Facts{Plan: "不应出现"}
		tr := turn("m-again", "c-again", 0)
		tr.Submission = &again
		wantErr(t, "a taken version", s.CommitTurn(t.Context(), tr), storage.ErrConflict)
		stale := sampleSubmission("E1", "2026-11", 2)
		stale.Facts = survey.Facts{Plan: "不应出现"}
		mustCommit(t, s, turn("m-1", "c-stale", 0))
		tr = turn("m-stale", "c-stale", 0)
		tr.Submission = &stale
		wantErr(t, "a stale session", s.CommitTurn(t.Context(), tr), storage.ErrConflict)
		same(t, "LatestHeads after refused turns", mustLatestHeads(t, s, "2026-11"),
			map[string]storage.Head{"E1": first.Head()}, normHeads)
	}},
	{"AgreesWithSubmissions", func(t *testing.T, s LedgerStore) {
		// The heads are what the submissions say, for any upTo, with short histories and long
		// ones (a backend may walk the first and seek in the second).
		var periods []string
		for m := range 16 {
			periods = append(periods, fmt.Sprintf("%d-%02d", 2025+m/12, 1+m%12))
		}
		ids := []string{"A", "A1", "B", "盐湖01", "盐湖010", "Z"}
		var wg sync.WaitGroup
		for i, id := range ids {
			wg.Go(func() {
				// A has one period, A1 three, the others most of them; versions vary.
				n := 0
				for j, p := range periods {
					if i == 0 && j != 5 || i == 1 && j%5 != 0 || (i+j)%4 == 0 {
						continue
					}
					for v := 1; v <= 1+(i*j)%3; v++ {
						sub := sampleSubmission(id, p, v)
						sub.SubmittedAt = at(n)
						n++
						tr := turn(fmt.Sprintf("m %s %s %d", id, p, v), "c-"+id, int64(n-1))
						tr.Submission = &sub
						if err := s.CommitTurn(t.Context(), tr); err != nil {
							t.Errorf("CommitTurn(%s %s v%d): %v", id, p, v, err)
							return
						}
					}
				}
			})
		}
		wg.Wait()
		upTos := append([]string{"2024-12", "2025-01", "2025-06", "2025-06x", "2025-13", "2099-01"}, periods...)
		for _, upTo := range upTos {
			want := map[string]storage.Head{}
			for _, id := range ids {
				for _, sub := range mustSubmissions(t, s, id) {
					if sub.Period <= upTo {
						want[id] = sub.Head() // submissions come by period and version
					}
				}
			}
			same(t, "LatestHeads("+upTo+")", mustLatestHeads(t, s, upTo), want, normHeads)
		}
	}},
	{"ConcurrentTurns", func(t *testing.T, s LedgerStore) {
		const n = 40
		var wg sync.WaitGroup
		want := map[string]storage.Head{}
		for i := range n {
			sub := sampleSubmission(fmt.Sprintf("E%d", i), "2026-11", 1)
			want[sub.EnterpriseID] = sub.Head()
			wg.Go(func() {
				tr := turn(fmt.Sprintf("m%d", i), fmt.Sprintf("c-%d", i), 0)
				tr.Submission = &sub
				if err := s.CommitTurn(t.Context(), tr); err != nil {
					t.Errorf("turn %d: %v", i, err)
				}
			})
		}
		wg.Wait()
		same(t, "LatestHeads after concurrent turns", mustLatestHeads(t, s, "2026-11"), want, normHeads)
	}},
}

func mustLatestHeads(t *testing.T, s storage.Ledger, upTo string) map[string]storage.Head {
	t.Helper()
	m, err := s.LatestHeads(t.Context(), upTo)
	if err != nil {
		t.Fatalf("LatestHeads(%s): %v", upTo, err)
	}
	return m
}
