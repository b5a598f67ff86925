package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"innobot/storage"
	"innobot/storage/bolt"
	"innobot/survey"
)

// BenchmarkOneShotRSS runs the one-shot commands over 50,000 enterprises as the office runs
// them, each in a process of its own, and reports the peak resident memory of each process
// (peak-MB, the kernel's own count, mapped file pages included): `innobot import` of the list
// into an empty data dir, then, the campaign half done (half the enterprises reported, a
// third with a draft), `innobot export 台账` and `innobot export 月报` of the whole city.
// Floor: under 300 MB each.
//
//	go test -run '^$' -bench OneShotRSS -benchtime 1x ./cmd/innobot
func BenchmarkOneShotRSS(b *testing.B) {
	const n = 50_000
	bin, err := binary()
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	list := filepath.Join(dir, "名单.xlsx")
	writeList(b, list, n)
	data := filepath.Join(dir, "data")
	run := func(b *testing.B, args ...string) float64 {
		cmd := exec.Command(bin, append(args, "--data", data)...)
		if out, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("innobot %v: %v\n%s", args, err, out)
		}
		return float64(cmd.ProcessState.SysUsage().(*syscall.Rusage).Maxrss) / 1024
	}
	b.Run("import", func(b *testing.B) {
		peak := 0.0
		for b.Loop() {
			if err := os.RemoveAll(data); err != nil {
				b.Fatal(err)
			}
			peak = max(peak, run(b, "import", list))
		}
		b.ReportMetric(peak, "peak-MB")
	})
	halfDone(b, filepath.Join(data, "innobot.db"), n)
	for _, kind := range []string{"台账", "月报"} {
		b.Run("export="+kind, func(b *testing.B) {
			peak := 0.0
			for b.Loop() {
				peak = max(peak, run(b, "export", kind, "--period", "2026-11", "--out", b.TempDir()))
			}
			b.ReportMetric(peak, "peak-MB")
		})
	}
}

// writeList writes an enterprise list of n rows in 附件2's columns.
func writeList(b *testing.B, path string, n int) {
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		b.Fatal(err)
	}
	regions := []string{"盐湖区", "永济市", "河津市", "临猗县", "万荣县", "闻喜县", "稷山县", "新绛县", "绛县", "垣曲县", "夏县", "平陆县", "芮城县", "运城开发区"}
	rows := [][]any{{"运城市开展创新活动企业汇总统计表"}, {fmt.Sprintf("规上工业企业数量：%d", n)},
		{"序号", "企业名称", "行业", "企业属性", "有无研发机构", "有无研发活动", "有无创新活动", "计划开展创新活动内容",
			"企业联系人", "联系电话", "各县（市、区）对口帮扶人", "联系电话", "所属县（市、区）"}}
	for i := range n {
		rows = append(rows, []any{i + 1, fmt.Sprintf("运城示范%05d制造有限公司", i), "装备制造·通用设备", "民营企业", "有", "有", "有", "",
			fmt.Sprintf("联系人%d", i), fmt.Sprintf("138%08d", i), fmt.Sprintf("帮扶人%d", i%300), fmt.Sprintf("139%08d", i%300), regions[i%len(regions)]})
	}
	for i, r := range rows {
		cell, err := excelize.CoordinatesToCellName(1, i+1)
		if err == nil {
			err = sw.SetRow(cell, r)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.SaveAs(path); err != nil {
		b.Fatal(err)
	}
}

// halfDone brings the store at path to the campaign half done: every other enterprise
// reported 2026-11 with a full survey, every third has a draft under way.
func halfDone(b *testing.B, path string, n int) {
	ctx := context.Background()
	store, err := bolt.Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer store.Close()
	all, err := store.Enterprises(ctx)
	if err != nil || len(all) != n {
		b.Fatalf("%d enterprises imported, %v", len(all), err)
	}
	form := survey.Default()
	answers := survey.Answers{
		"industry": {Text: "装备制造·通用设备"}, "ownership": {Choice: 5}, "has_institutions": {Bool: true},
		"institution.0.inst_name": {Text: "企业技术中心"}, "institution.0.inst_count": {Num: 1}, "institution.0.inst_staff": {Num: 12},
		"institution.0.inst_cost": {Num: 35.5}, "institution.0.#more": {Bool: false}, "has_projects": {Bool: false},
		"dir_investment": {Text: "新增研发投入 30 万元"}, "other_activities": {Multi: []int{3}}, "liuyou": {Multi: []int{1, 2, 3}},
	}
	at := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	var next atomic.Int64
	var wg sync.WaitGroup
	var failed atomic.Pointer[error]
	for range 100 {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < n; i = int(next.Add(1)) - 1 {
				e := all[i]
				tr := storage.Turn{Session: storage.Session{ContactID: "c-" + e.ID}}
				if i%2 == 0 {
					sub := storage.Submission{EnterpriseID: e.ID, Period: "2026-11", Version: 1, Form: form.ID, Answers: answers, SubmittedBy: "c-" + e.ID, SubmittedAt: at}
					sub.Facts = form.Facts(answers)
					tr.Submission = &sub
				} else if i%3 == 0 {
					tr.Draft = &storage.Draft{EnterpriseID: e.ID, Period: "2026-12", Answers: answers, UpdatedBy: "c-" + e.ID, UpdatedAt: at}
				} else {
					continue
				}
				if err := store.CommitTurn(ctx, tr); err != nil {
					failed.CompareAndSwap(nil, &err)
					return
				}
			}
		})
	}
	wg.Wait()
	if p := failed.Load(); p != nil {
		b.Fatal(*p)
	}
}
