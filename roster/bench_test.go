package roster

import (
	"bytes"
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"innobot/storage"
	"innobot/storage/bolt"
)

var benchRegions = []string{
	"盐湖区", "永济市", "河津市", "临猗县", "万荣县", "稷山县", "新绛县",
	"闻喜县", "绛县", "垣曲县", "夏县", "平陆县", "芮城县", "运城开发区",
}

// bigList writes n enterprises as 附件2 with a title, a counts line and a credit code each.
func bigList(b testing.TB, n int) []byte {
	b.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	rows := [][]any{
		{"运城市开展创新活动企业汇总统计表"},
		{fmt.Sprintf("规上工业企业数量：%d", n)},
		{"序号", "企业名称", "行业", "企业属性", "有无研发机构", "有无研发活动", "有无创新活动", "计划开展创新活动内容",
			"企业联系人", "联系电话", "各县（市、区）对口帮扶人", "联系电话", "所属县（市、区）", "统一社会信用代码"},
	}
	for i := range n {
		region := benchRegions[i%len(benchRegions)]
		rows = append(rows, []any{i + 1, fmt.Sprintf("运城示范%05d制造有限公司", i), "装备制造·通用设备", ownerships[i%len(ownerships)],
			"有", "有", "有", "", fmt.Sprintf("联系人%d", i), fmt.Sprintf("138%08d", i), fmt.Sprintf("帮扶人%d", i%300),
			fmt.Sprintf("139%08d", i%300), region, benchCode(i)})
	}
	for i, r := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := sw.SetRow(cell, r); err != nil {
			b.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// benchCode is a valid credit code, different for each i.
func benchCode(i int) string {
	p := fmt.Sprintf("91140802MA%07d", i)
	c, _ := creditCodeCheckChar(p)
	return p + string(c)
}

// peakMemory samples the heap and the memory the runtime holds from the OS while running.
type peakMemory struct {
	stop       chan struct{}
	done       sync.WaitGroup
	heap, held atomic.Uint64
}

func startPeak() *peakMemory {
	runtime.GC()
	p := &peakMemory{stop: make(chan struct{})}
	samples := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}, {Name: "/memory/classes/total:bytes"}}
	sample := func() {
		metrics.Read(samples)
		if v := samples[0].Value.Uint64(); v > p.heap.Load() {
			p.heap.Store(v)
		}
		if v := samples[1].Value.Uint64(); v > p.held.Load() {
			p.held.Store(v)
		}
	}
	p.done.Add(1)
	go func() {
		defer p.done.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			sample()
			select {
			case <-p.stop:
				sample()
				return
			case <-t.C:
			}
		}
	}()
	return p
}

func (p *peakMemory) end() (heapMB, heldMB float64) {
	close(p.stop)
	p.done.Wait()
	return float64(p.heap.Load()) / (1 << 20), float64(p.held.Load()) / (1 << 20)
}

// BenchmarkImport10000 imports 10,000 enterprises from .xlsx into a bbolt store: Read, Plan
// and Apply, as `innobot import` does. "new" starts from an empty store; "reimport" imports
// the same list over itself with every tenth helper changed. Target: under 5 s and 300 MB.
func BenchmarkImport10000(b *testing.B) {
	const n = 10_000
	data := bigList(b, n)
	b.Logf("list: %d enterprises, %.1f MB .xlsx", n, float64(len(data))/(1<<20))
	ctx := context.Background()

	run := func(b *testing.B, prepare func(*bolt.Store), wantAdded, wantUpdated int) {
		var heapMax, heldMax float64
		b.ResetTimer() // the list and the first import of "reimport" are set-up
		for i := 0; i < b.N; i++ {
			b.StopTimer()
			store, err := bolt.Open(filepath.Join(b.TempDir(), fmt.Sprintf("bench%d.db", i)))
			if err != nil {
				b.Fatal(err)
			}
			prepare(store)
			peak := startPeak()
			b.StartTimer()

			rows, err := Read("名单.xlsx", bytes.NewReader(data))
			if err != nil {
				b.Fatal(err)
			}
			existing, err := store.Enterprises(ctx)
			if err != nil {
				b.Fatal(err)
			}
			cs := Plan(rows, existing, benchRegions)
			if err := Apply(ctx, store, cs); err != nil {
				b.Fatal(err)
			}

			b.StopTimer()
			heap, held := peak.end()
			heapMax, heldMax = max(heapMax, heap), max(heldMax, held)
			if len(cs.Added) != wantAdded || len(cs.Updated) != wantUpdated || len(cs.Rejected) != 0 {
				b.Fatalf("added %d updated %d unchanged %d rejected %d", len(cs.Added), len(cs.Updated), len(cs.Unchanged), len(cs.Rejected))
			}
			if err := store.Close(); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N), "ms/import")
		b.ReportMetric(heapMax, "peak-heap-MB")
		b.ReportMetric(heldMax, "peak-runtime-MB")
	}

	b.Run("new", func(b *testing.B) {
		run(b, func(*bolt.Store) {}, n, 0)
	})
	b.Run("reimport", func(b *testing.B) {
		rows, err := Read("名单.xlsx", bytes.NewReader(data))
		if err != nil {
			b.Fatal(err)
		}
		first := Plan(rows, nil, benchRegions)
		run(b, func(s *bolt.Store) {
			es := make([]storage.Enterprise, 0, n)
			for i, a := range first.Added {
				e := a.Enterprise
				if i%10 == 0 {
					e.Helper = "前任帮扶人"
				}
				es = append(es, e)
			}
			if err := s.PutEnterprises(ctx, es); err != nil {
				b.Fatal(err)
			}
		}, 0, n/10)
	})
}
