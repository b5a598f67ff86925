package main

import (
	"context"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"innobot/storage"
	"innobot/storage/bolt"
)

// TestExportChart: innobot export 进度图 writes the period's progress picture and prints its
// path.
func TestExportChart(t *testing.T) {
	dir, out := t.TempDir(), t.TempDir()
	s, err := bolt.Open(filepath.Join(dir, "innobot.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutEnterprise(context.Background(), storage.Enterprise{ID: "e1", Name: "山西示范钢铁有限公司", Region: "盐湖区"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := runCmd(t, "export", "进度图", "--period", "2026-01", "--region", "盐湖区", "--data", dir, "--out", out)
	if err != nil {
		t.Fatal(err)
	}
	path := strings.TrimSpace(got)
	if filepath.Dir(path) != out || !strings.HasPrefix(filepath.Base(path), "盐湖区填报进度_2026-01_") || filepath.Ext(path) != ".png" {
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
