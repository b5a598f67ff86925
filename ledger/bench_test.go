package ledger

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"innobot/storage"
	"innobot/storage/bolt"
)

const benchEnterprises = 10_000

// benchEnterprise is a registry row of realistic length.
func benchEnterprise(i int) storage.Enterprise {
	id := fmt.Sprintf("E%05d", i)
	return storage.Enterprise{
		ID: id, Name: fmt.Sprintf("山西运城某某第%d号新材料科技有限公司", i), Region: regions[i%len(regions)],
		CreditCode: "91140800MA0K" + id, Industry: "非金属矿物制品业", Ownership: "民营企业",
		Helper: "帮扶人" + id, HelperTel: "1390359" + id[1:], ContactName: "联系人" + id, ContactTel: "1380359" + id[1:],
	}
}

// benchSubmission is a full survey; one in three enterprises has nothing yet and a plan.
func benchSubmission(i int, e storage.Enterprise) storage.Submission {
	a := fullAnswers()
	if i%3 == 0 {
		a = planAnswers()
	}
	s := submission(e.ID, "2026-11", a)
	s.Version = 1
	s.SubmittedAt = time.Date(2026, 11, 3, 2, 4, 0, 0, time.UTC).Add(time.Duration(i) * time.Second)
	return s
}

// seedBolt fills a bolt store the way the bot does: the registry in one import, then one
// committed turn per submission, many at once.
func seedBolt(b *testing.B, st *bolt.Store) {
	ctx := context.Background()
	es := make([]storage.Enterprise, benchEnterprises)
	for i := range es {
		es[i] = benchEnterprise(i)
	}
	if reg, ok := any(st).(interface {
		PutEnterprises(context.Context, []storage.Enterprise) error
	}); ok {
		if err := reg.PutEnterprises(ctx, es); err != nil {
			b.Fatal(err)
		}
	} else {
		for _, e := range es {
			if err := st.PutEnterprise(ctx, e); err != nil {
				b.Fatal(err)
			}
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	errs := make(chan error, 1)
	for range 200 {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(es) {
					return
				}
				sub := benchSubmission(i, es[i])
				err := st.CommitTurn(ctx, storage.Turn{
					Answer:     storage.Answer{MessageID: "m-" + es[i].ID, At: sub.SubmittedAt},
					Session:    storage.Session{ContactID: "c-" + es[i].ID},
					Submission: &sub,
				})
				if err != nil {
					select {
					case errs <- err:
					default:
					}
					return
				}
			}
		})
	}
	wg.Wait()
	select {
	case err := <-errs:
		b.Fatal(err)
	default:
	}
}

func seedFake() *fakeStore {
	f := newFake()
	for i := range benchEnterprises {
		e := benchEnterprise(i)
		f.putEnterprise(e)
		f.submit(benchSubmission(i, e))
	}
	return f
}

// peakHeap samples the live heap while fn runs, since the bar is on peak memory, which
// allocation totals do not show.
func peakHeap(fn func()) (base, peak uint64) {
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	read := func() uint64 {
		metrics.Read(sample)
		return sample[0].Value.Uint64()
	}
	var max atomic.Uint64
	base = read()
	max.Store(base)
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTicker(200 * time.Microsecond)
		defer t.Stop()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				if v := read(); v > max.Load() {
					max.Store(v)
				}
			}
		}
	}()
	fn()
	close(done)
	<-stopped
	if v := read(); v > max.Load() {
		max.Store(v)
	}
	return base, max.Load()
}

// BenchmarkLedger10k measures the README's bars on 10,000 enterprises with a submission
// each: `进度` under 50 ms, the city-wide 附件2 export under 3 s and 300 MB. It runs on a
// bolt store, as in production, and on the in-memory fake to show the ledger's own share.
func BenchmarkLedger10k(b *testing.B) {
	ctx := context.Background()
	st, err := bolt.Open(filepath.Join(b.TempDir(), "innobot.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	start := time.Now()
	seedBolt(b, st)
	b.Logf("seeded bolt with %d enterprises and submissions in %v", benchEnterprises, time.Since(start).Round(time.Millisecond))
	var boltSrc Source = st
	fake := seedFake()

	progress := func(src Source, period string) func(b *testing.B) {
		return func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r, err := Progress(ctx, src, City(), period, regions)
				if err != nil {
					b.Fatal(err)
				}
				if r.Total.Enterprises != benchEnterprises {
					b.Fatalf("%d enterprises", r.Total.Enterprises)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
		}
	}
	b.Run("Progress/bolt", progress(boltSrc, "2026-11"))
	// December: nobody has reported yet, all 10,000 are on the 未填报 list.
	b.Run("Progress/bolt/all-lagging", progress(boltSrc, "2026-12"))
	// The ledger's own share: the store's answers read once and handed back as they are.
	static, err := snapshot(ctx, boltSrc, "2026-11", "2026-10")
	if err != nil {
		b.Fatal(err)
	}
	b.Run("Progress/ledger-only", progress(static, "2026-11"))
	// The store's share, part by part.
	b.Run("Store/Enterprises", func(b *testing.B) {
		for b.Loop() {
			if _, err := st.Enterprises(ctx); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
	})
	b.Run("Store/LatestHeads", func(b *testing.B) {
		for b.Loop() {
			if _, err := st.LatestHeads(ctx, "2026-11"); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.Elapsed().Microseconds())/1000/float64(b.N), "ms/op")
	})

	export := func(src Source) func(b *testing.B) {
		return func(b *testing.B) {
			b.ReportAllocs()
			dir := b.TempDir()
			var peak, growth uint64
			var size int64
			for b.Loop() {
				runtime.GC()
				base, p := peakHeap(func() {
					r, err := Progress(ctx, src, City(), "2026-11", regions)
					if err != nil {
						b.Fatal(err)
					}
					path := filepath.Join(dir, LedgerFileName(r))
					out, err := os.Create(path)
					if err != nil {
						b.Fatal(err)
					}
					if err := WriteLedger(out, r, LedgerOptions{Preparer: "张文书", Phone: "0359-2688888"}); err != nil {
						b.Fatal(err)
					}
					if err := out.Close(); err != nil {
						b.Fatal(err)
					}
					fi, _ := os.Stat(path)
					size = fi.Size()
				})
				peak, growth = max(peak, p), max(growth, p-base)
			}
			b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/op")
			b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MB")
			b.ReportMetric(float64(growth)/(1<<20), "heap-growth-MB")
			b.ReportMetric(float64(size)/(1<<20), "file-MB")
		}
	}
	b.Run("Ledger附件2/bolt", export(boltSrc))
	b.Run("Ledger附件2/fake", export(fake))

	b.Run("Monthly/bolt/all-lagging", func(b *testing.B) {
		b.ReportAllocs()
		r, err := Progress(ctx, boltSrc, City(), "2026-12", regions)
		if err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			if err := WriteMonthly(discard{}, r, MonthlyOptions{}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// staticSource answers from memory what a store answered once.
type staticSource struct {
	enterprises []storage.Enterprise
	heads       map[string]map[string]storage.Head
	contacts    map[string]storage.Contact
}

func snapshot(ctx context.Context, src Source, periods ...string) (*staticSource, error) {
	es, err := src.Enterprises(ctx)
	if err != nil {
		return nil, err
	}
	s := &staticSource{enterprises: es, heads: map[string]map[string]storage.Head{}}
	for _, p := range periods {
		if s.heads[p], err = src.LatestHeads(ctx, p); err != nil {
			return nil, err
		}
	}
	return s, nil
}

func (s *staticSource) Enterprises(context.Context) ([]storage.Enterprise, error) {
	return s.enterprises, nil
}

func (s *staticSource) LatestHeads(_ context.Context, upTo string) (map[string]storage.Head, error) {
	return s.heads[upTo], nil
}

func (s *staticSource) Contact(_ context.Context, id string) (storage.Contact, error) {
	return storage.Contact{}, storage.ErrNotFound
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
