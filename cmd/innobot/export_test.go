package main

import (
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"innobot/storage"
	"innobot/storage/bolt"
)

// oneEnterpriseData is a data dir whose store holds one enterprise of 盐湖区 and nothing else,
// closed so that a command can open it.
func oneEnterpriseData(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	s, err := bolt.Open(filepath.Join(dir, "innobot.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutEnterprise(t.Context(), storage.Enterprise{ID: "e1", Name: "山西示范钢铁有限公司", Region: "盐湖区"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir
}

// TestExportChart: innobot export 进度图 writes the period's progress picture and prints its
// path.
func TestExportChart(t *testing.T) {
	dir, out := oneEnterpriseData(t), t.TempDir()
	got, err := runCmd(t, "export", "进度图", "--period", "2026-01", "--region", "盐湖区", "--data", dir, "--out", out)
	if err != nil {
		t.Fatal(err)
	}
	path := strings.TrimSpace(got)
	if filepath.Dir(path) != out || !strings.HasPrefix(filepath.Base(path), "盐湖区填报进度_2026年1月_") || filepath.Ext(path) != ".png" {
		t.Fatalf("printed %q", got)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if cfg, err := png.DecodeConfig(f); err != nil || cfg.Width < 1080 {
		t.Errorf("picture %+v, %v", cfg, err)
	}
}

// TestExportMonthlyFromTheCommandLine: innobot export 月报 writes the workbook signed by
// --preparer/--phone; a --period after the month being reported is refused, and so is a
// survey no report of which exists up to the period, writing nothing.
func TestExportMonthlyFromTheCommandLine(t *testing.T) {
	dir, out := oneEnterpriseData(t), t.TempDir()
	got, err := runCmd(t, "export", "月报", "--period", "2026年1月", "--region", "盐湖区", "--preparer", "王芳", "--phone", "0359-2688888", "--data", dir, "--out", out)
	if err != nil {
		t.Fatal(err)
	}
	if path := strings.TrimSpace(got); filepath.Base(path) != "盐湖区企业技术创新全覆盖工作月报_2026年1月.xlsx" {
		t.Errorf("printed %q", got)
	}
	_, err = runCmd(t, "export", "台账", "--period", "2999-01", "--data", dir, "--out", out)
	if err == nil || !strings.Contains(err.Error(), "2999年1月 还没有开始报送") {
		t.Errorf("a future period: %v", err)
	}
	// A survey of a month before any: the month as people write it, and no file.
	_, err = runCmd(t, "export", "调查表", "--enterprise", "山西示范钢铁", "--period", "2026-01", "--data", dir, "--out", out)
	if err == nil || !strings.Contains(err.Error(), "【山西示范钢铁有限公司】在2026年1月及以前没有提交过调查表") {
		t.Errorf("a survey never submitted: %v", err)
	}
	if entries, _ := os.ReadDir(out); len(entries) != 1 {
		t.Errorf("%d files written, want the 月报 alone", len(entries))
	}
}
