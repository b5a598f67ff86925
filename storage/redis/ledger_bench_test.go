package redis_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"innobot/storage"
	storeredis "innobot/storage/redis"
	"innobot/storage/redis/redistest"
	"innobot/survey"
)

// BenchmarkProgress reads what `进度` reads over 10,000 enterprises that each submitted
// twelve months: the enterprise list (cached, so one GET when unchanged) and LatestHeads, for
// the latest month and for a month back (where every enterprise costs one ZREVRANGEBYLEX).
// The README's bar for 进度 is under 50 ms.
//
//	go test -run '^$' -bench Progress ./storage/redis
func BenchmarkProgress(b *testing.B) {
	srv := redistest.Start(b)
	s := storeredis.New(srv.Client(b), srv.Prefix(b))
	ctx := context.Background()
	const n = 10000
	es := make([]storage.Enterprise, n)
	for i := range es {
		es[i] = storage.Enterprise{ID: fmt.Sprintf("E%05d", i), Name: fmt.Sprintf("企业%05d", i), Region: "盐湖区"}
	}
	if err := s.PutEnterprises(ctx, es); err != nil {
		b.Fatal(err)
	}
	at := time.Date(2026, 1, 10, 9, 0, 0, 0, time.UTC)
	for m := 1; m <= 12; m++ {
		period := fmt.Sprintf("2026-%02d", m)
		for i, e := range es {
			sub := storage.Submission{EnterpriseID: e.ID, Period: period, Version: 1, SubmittedBy: "c", SubmittedAt: at,
				Facts: survey.Facts{HasRD: i%2 == 0, Projects: m, Industry: "钢铁", Ownership: "民营"}}
			if err := s.CommitTurn(ctx, storage.Turn{Session: storage.Session{ContactID: fmt.Sprintf("c%d-%d", i, m)}, Submission: &sub}); err != nil {
				b.Fatal(err)
			}
		}
	}
	for _, upTo := range []string{"2026-12", "2026-11"} {
		b.Run("upTo="+upTo, func(b *testing.B) {
			for b.Loop() {
				list, err := s.Enterprises(ctx)
				if err != nil || len(list) != n {
					b.Fatal(len(list), err)
				}
				heads, err := s.LatestHeads(ctx, upTo)
				if err != nil || len(heads) != n || heads["E00001"].Period != upTo {
					b.Fatal(len(heads), err)
				}
			}
		})
	}
}
