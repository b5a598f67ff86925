package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"

	"innobot/storage"
	"innobot/storage/bolt"
)

// TestBackup copies a data dir's store and opens the copy: everything is there.
func TestBackup(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	s, err := bolt.Open(filepath.Join(data, "innobot.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutEnterprise(ctx, storage.Enterprise{ID: "e1", Name: "甲钢铁有限公司", Region: "盐湖区"}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "备份.db")
	var out, errs bytes.Buffer
	if err := run(ctx, []string{"backup", dest, "--data", data}, &out, &errs); err != nil {
		t.Fatalf("backup: %v\n%s", err, errs.String())
	}
	if !strings.Contains(out.String(), "已备份到") || !strings.Contains(out.String(), filepath.Join(data, "secret.key")) {
		t.Errorf("output %q", out.String())
	}
	c, err := bolt.Open(dest)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	e, err := c.Enterprise(ctx, "e1")
	if err != nil || e.Name != "甲钢铁有限公司" {
		t.Errorf("the copy holds %+v, %v", e, err)
	}
	if err := run(ctx, []string{"backup", "--data", data}, &out, &errs); err == nil {
		t.Error("backup without a file name ran")
	}
}
