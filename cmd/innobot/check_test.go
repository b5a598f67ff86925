package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"innobot/bot"
	"innobot/storage"
	"innobot/storage/bolt"
)

// damagedDataDir is a data dir whose store lost the second half of its file.
func damagedDataDir(t *testing.T) (dir, path string) {
	t.Helper()
	dir = t.TempDir()
	path = filepath.Join(dir, "innobot.db")
	s, err := bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	var es []storage.Enterprise
	for i := range 2000 {
		es = append(es, storage.Enterprise{ID: fmt.Sprintf("E%04d", i), Name: fmt.Sprintf("示范企业有限公司%d", i), Region: "盐湖区"})
	}
	if err := s.PutEnterprises(t.Context(), es); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(path, fi.Size()/2/4096*4096); err != nil {
		t.Fatal(err)
	}
	return dir, path
}

// innobot check says a sound file is sound, of the data dir or of a copy named, and names a
// damaged one with what to do; every command refuses to start on a damaged file with that one
// line and no stack trace, and leaves the file as it was.
func TestCheckCommand(t *testing.T) {
	ctx := context.Background()
	good := t.TempDir()
	s, err := bolt.Open(filepath.Join(good, "innobot.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.PutEnterprise(ctx, storage.Enterprise{ID: "e1", Name: "甲钢铁有限公司", Region: "盐湖区"}); err != nil {
		t.Fatal(err)
	}
	s.Close()
	for _, args := range [][]string{{"check", "--data", good}, {"check", filepath.Join(good, "innobot.db")}} {
		var out, errs bytes.Buffer
		if err := run(ctx, args, &out, &errs); err != nil || !strings.HasPrefix(out.String(), "数据文件完好：") {
			t.Errorf("%q: %v, output %q %q", args, err, out.String(), errs.String())
		}
	}

	dir, path := damagedDataDir(t)
	before, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var out, errs bytes.Buffer
	err = run(ctx, []string{"check", "--data", dir}, &out, &errs)
	if err == nil || !strings.HasPrefix(err.Error(), "数据文件已损坏："+path) || !strings.HasSuffix(err.Error(), "请用 innobot backup 的副本恢复") {
		t.Errorf("check of a damaged file: %v", err)
	}

	bin, err := binary()
	if err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{"sim", "--data", dir}, {"export", "台账", "--data", dir, "--out", t.TempDir()}} {
		cmd := exec.Command(bin, args...)
		cmd.Stdin = strings.NewReader("张三: 你好\n")
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		msg := strings.TrimSpace(stderr.String())
		if err == nil || strings.Count(msg, "\n") != 0 || !strings.HasPrefix(msg, "innobot: 数据文件已损坏："+path) ||
			!strings.HasSuffix(msg, "；请用 innobot backup 的副本恢复") || strings.Contains(msg, "goroutine") {
			t.Errorf("%q on a damaged file: %v\nstderr: %s\nstdout: %s", args, err, msg, stdout.String())
		}
	}
	if after, err := os.ReadFile(path); err != nil || !bytes.Equal(before, after) {
		t.Errorf("the damaged file was written to (%v)", err)
	}
}

// halfWriter copies a store and loses the second half of the copy, as a backup disk that fills
// up silently would.
type halfWriter struct{ s *bolt.Store }

func (h halfWriter) Backup(ctx context.Context, w io.Writer) (int64, error) {
	var buf bytes.Buffer
	if _, err := h.s.Backup(ctx, &buf); err != nil {
		return 0, err
	}
	n, err := w.Write(buf.Bytes()[:buf.Len()/2/4096*4096])
	return int64(n), err
}

// A copy that does not pass the check is not kept: the last good one stays in its place.
func TestBackupChecksTheCopy(t *testing.T) {
	ctx := context.Background()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "innobot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var es []storage.Enterprise
	for i := range 2000 {
		es = append(es, storage.Enterprise{ID: fmt.Sprintf("E%04d", i), Name: "示范企业有限公司", Region: "盐湖区"})
	}
	if err := s.PutEnterprises(ctx, es); err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "备份.db")
	if _, err := backup(ctx, s, dest); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(dest)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := backup(ctx, halfWriter{s}, dest); err == nil || !strings.Contains(err.Error(), "数据文件已损坏") {
		t.Errorf("a damaged copy: %v, want it refused", err)
	}
	if now, err := os.ReadFile(dest); err != nil || !bytes.Equal(now, good) {
		t.Errorf("the good copy was replaced (%v)", err)
	}
	entries, _ := os.ReadDir(filepath.Dir(dest))
	if len(entries) != 1 {
		t.Errorf("left in the backup dir: %v", entries)
	}
}

// A store that met a damaged page while running says so on /healthz (503: someone must
// restore a backup) and in /metrics.
func TestHealthSaysTheStoreFailed(t *testing.T) {
	e := newRunEnv(t)
	defer e.store.Close()
	eng, err := e.st.newEngine(t.Context(), e.store, bot.ClockFunc(time.Now), e.tr, e.log)
	if err != nil {
		t.Fatal(err)
	}
	healthz := func() (int, health) {
		rec := httptest.NewRecorder()
		healthMux(e.tr, eng, "", true).ServeHTTP(rec, httptest.NewRequest("GET", "/healthz", nil))
		var h health
		if err := json.Unmarshal(rec.Body.Bytes(), &h); err != nil {
			t.Fatalf("/healthz: %s: %v", rec.Body, err)
		}
		return rec.Code, h
	}
	if _, h := healthz(); h.Storage != (storage.Health{}) {
		t.Fatalf("a sound store: %+v", h.Storage)
	}
	if err := os.Truncate(e.st.boltPath(), 4096); err != nil {
		t.Fatal(err)
	}
	if _, err := e.store.Contact(t.Context(), "张三"); err == nil {
		t.Fatal("a read past the end of the file worked")
	}
	code, h := healthz()
	if code != http.StatusServiceUnavailable || !strings.Contains(h.Storage.Failed, "数据文件已损坏") {
		t.Errorf("/healthz after the damage: %d %+v", code, h.Storage)
	}
	rec := httptest.NewRecorder()
	healthMux(e.tr, eng, "", true).ServeHTTP(rec, httptest.NewRequest("GET", "/metrics", nil))
	if !strings.Contains(rec.Body.String(), "innobot_storage_failed 1") {
		t.Errorf("/metrics lacks innobot_storage_failed 1")
	}
}
