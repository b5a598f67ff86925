package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"innobot/bot"
	"innobot/bot/wechat/wechattest"
	"innobot/invite"

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

// A running bot writes a copy at start and then every day, keeps the newest three, and counts
// a day from its newest copy after a restart; each copy it kept opens as a store holding what
// was stored before it was taken; a copy that cannot be written is tried again an hour later.
func TestScheduledBackups(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ctx := t.Context()
		data := t.TempDir()
		store, err := bolt.Open(filepath.Join(data, "innobot.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		put := func(i int) {
			if err := store.PutEnterprise(ctx, storage.Enterprise{ID: fmt.Sprint("E", i), Name: fmt.Sprint("企业", i), Region: "盐湖区"}); err != nil {
				t.Fatal(err)
			}
		}
		dir := filepath.Join(data, "backups")
		if err := os.WriteFile(dir, nil, 0o600); err != nil { // in the way of the directory
			t.Fatal(err)
		}
		var logs bytes.Buffer
		sched := backupSchedule{store: store, dir: dir, every: 24 * time.Hour, keep: 3, loc: time.FixedZone("CST", 8*3600),
			clock: bot.ClockFunc(time.Now), log: slog.New(slog.NewTextHandler(&logs, nil))}
		start := func() (stop func()) {
			ctx, cancel := context.WithCancel(ctx)
			done := make(chan struct{})
			go func() { sched.run(ctx); close(done) }()
			return func() { cancel(); <-done }
		}
		names := func() []string {
			copies, err := sched.copies()
			if err != nil {
				t.Fatal(err)
			}
			var ns []string
			for _, c := range copies {
				ns = append(ns, c.name)
			}
			return ns
		}

		put(0)
		stop := start()
		synctest.Wait()
		if !strings.Contains(logs.String(), "scheduled backup") || !strings.Contains(logs.String(), "level=ERROR") {
			t.Fatalf("a backup dir that cannot be made was not logged: %s", logs.String())
		}
		if err := os.Remove(dir); err != nil {
			t.Fatal(err)
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, "说明.txt"), []byte("not a copy"), 0o600); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Hour + time.Second) // the retry, at 01:00 China time
		synctest.Wait()
		if got := names(); !slices.Equal(got, []string{"innobot-20000101-090000.db"}) {
			t.Fatalf("copies after the retry: %v", got)
		}
		for day := 1; day <= 4; day++ {
			put(day)
			time.Sleep(24 * time.Hour)
			synctest.Wait()
		}
		stop()
		time.Sleep(2 * time.Hour)
		put(5)
		before := names()
		stop = start() // a restart two hours after the last copy: the next is due in 22 hours
		synctest.Wait()
		if got := names(); !slices.Equal(got, before) {
			t.Errorf("a restart took a copy at once: %v, before %v", got, before)
		}
		time.Sleep(22 * time.Hour)
		synctest.Wait()
		stop()

		want := []string{"innobot-20000104-090000.db", "innobot-20000105-090000.db", "innobot-20000106-090000.db"}
		if got := names(); !slices.Equal(got, want) {
			t.Fatalf("copies kept: %v, want %v", got, want)
		}
		if _, err := os.Stat(filepath.Join(dir, "说明.txt")); err != nil {
			t.Errorf("a file that is not a copy was deleted: %v", err)
		}
		for i, name := range want {
			c, err := bolt.Open(filepath.Join(dir, name))
			if err != nil {
				t.Fatalf("restore %s: %v", name, err)
			}
			es, err := c.Enterprises(ctx)
			c.Close()
			if wantN := i + 4; err != nil || len(es) != wantN {
				t.Errorf("%s holds %d enterprises (%v), want %d", name, len(es), err, wantN)
			}
		}
	})
}

// `innobot backup` while `innobot run` holds the file asks the bot on its loopback listener,
// says so, and the copy opens with what the bot stored; the bot gives no copy without its
// key, nor to a backup of another data dir, and a listener with no bot says what to do.
func TestBackupFromRunningBot(t *testing.T) {
	e := newRunEnv(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ctx, stop := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- e.st.serve(ctx, e.store, e.tr, ln, bot.ClockFunc(time.Now), e.log) }()
	defer func() {
		stop()
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	}()
	if !wechattest.WaitFor(t.Context(), 10*time.Second, func() bool { code, _ := get(t, addr, "/healthz"); return code != 0 }) {
		t.Fatal("no listener")
	}

	dest := filepath.Join(t.TempDir(), "备份.db")
	var out, errs bytes.Buffer
	if err := run(t.Context(), []string{"backup", dest, "--data", e.st.dir, "--listen", addr}, &out, &errs); err != nil {
		t.Fatalf("backup of a running bot: %v\n%s", err, errs.String())
	}
	if !strings.Contains(out.String(), "已备份到 "+dest) || !strings.Contains(out.String(), "由运行中的 innobot run 经 "+addr+" 写出") {
		t.Errorf("output %q does not say the running bot wrote the copy", out.String())
	}
	c, err := bolt.Open(dest)
	if err != nil {
		t.Fatal(err)
	}
	if e1, err := c.Enterprise(t.Context(), "E1"); err != nil || e1.Name != "山西示范钢铁有限公司" {
		t.Errorf("the copy holds %+v, %v", e1, err)
	}
	c.Close()

	if code, body := get(t, addr, "/backup?file="+url.QueryEscape(e.st.boltPath())); code != http.StatusForbidden || !strings.Contains(body, "密钥不符") {
		t.Errorf("a request without the key got %d %.60q", code, body)
	}
	// Another data dir with the same key, whose file some process holds.
	other := t.TempDir()
	key, err := os.ReadFile(e.st.keyPath())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(other, invite.KeyFile), key, 0o600); err != nil {
		t.Fatal(err)
	}
	holder, err := bolt.Open(filepath.Join(other, "innobot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	err = run(t.Context(), []string{"backup", filepath.Join(t.TempDir(), "x.db"), "--data", other, "--listen", addr}, &out, &errs)
	if err == nil || !strings.Contains(err.Error(), "这个机器人的数据文件是 "+e.st.boltPath()) {
		t.Errorf("a backup of another data dir through this bot: %v", err)
	}
	idle, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	idleAddr := idle.Addr().String()
	idle.Close()
	err = run(t.Context(), []string{"backup", filepath.Join(t.TempDir(), "y.db"), "--data", e.st.dir, "--listen", idleAddr}, &out, &errs)
	if err == nil || !strings.Contains(err.Error(), idleAddr+" 上没有 innobot run 应答") {
		t.Errorf("a backup with no bot on the listener: %v", err)
	}
}
