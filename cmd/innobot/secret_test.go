package main

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"innobot/config"
	"innobot/invite"
	"innobot/storage"
	"innobot/storage/bolt"
)

var printedCode = regexp.MustCompile(`绑定 ([` + invite.Alphabet + `]{8})`)

// The first command that needs the key makes it, readable by its owner only; later ones use
// it, so a code issued on the command line binds in the bot.
func TestInviteKeyFileMadeOnce(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	var out, errs bytes.Buffer
	if err := run(ctx, []string{"invite", "--role", "city_office", "--data", data}, &out, &errs); err != nil {
		t.Fatalf("invite: %v\n%s", err, errs.String())
	}
	keyPath := filepath.Join(data, invite.KeyFile)
	info, err := os.Stat(keyPath)
	if err != nil {
		t.Fatalf("no key file after the first invite: %v", err)
	}
	if info.Mode().Perm() != 0o600 {
		t.Errorf("key file mode %#o, want 0600", info.Mode().Perm())
	}
	if !strings.Contains(errs.String(), "created the invite key") {
		t.Errorf("making the key was not logged: %s", errs.String())
	}
	first, _ := os.ReadFile(keyPath)
	m := printedCode.FindStringSubmatch(out.String())
	if m == nil {
		t.Fatalf("no code printed: %s", out.String())
	}

	errs.Reset()
	if err := run(ctx, []string{"invite", "--role", "city_office", "--data", data}, io.Discard, &errs); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(keyPath); !bytes.Equal(again, first) || strings.Contains(errs.String(), "created") {
		t.Errorf("the second invite made a new key")
	}

	k, err := invite.ParseKey(string(first))
	if err != nil {
		t.Fatal(err)
	}
	s, err := bolt.Open(filepath.Join(data, "innobot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := s.Redeem(ctx, k.Hash(m[1]), storage.Contact{ID: "孙七"}, time.Now(), nil)
	if err != nil || r.Contact.Role != "city_office" {
		t.Errorf("the printed code under the file's key: %+v, %v", r.Contact, err)
	}
}

// Redis deployments must give the key; the environment wins over the config.
func TestInviteKeyForRedis(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	st := settings{cfg: config.Default(), dir: t.TempDir()}
	st.cfg.Storage = config.Storage{Driver: config.DriverRedis, URL: "redis://127.0.0.1:1/0"}
	if _, err := st.inviteKey(log); err == nil || !strings.Contains(err.Error(), envSecretKey) {
		t.Errorf("Redis without a key: %v, want advice naming %s", err, envSecretKey)
	}
	if _, err := os.Stat(filepath.Join(st.dir, invite.KeyFile)); err == nil {
		t.Error("a Redis deployment made a key file of its own")
	}

	fromConfig, fromEnv := strings.Repeat("1a", 32), strings.Repeat("2b", 32)
	st.cfg.Invite.SecretKey = fromConfig
	if k, err := st.inviteKey(log); err != nil || k.Hex() != fromConfig {
		t.Errorf("key from the config: %v", err)
	}
	t.Setenv(envSecretKey, fromEnv)
	if k, err := st.inviteKey(log); err != nil || k.Hex() != fromEnv {
		t.Errorf("the environment does not win over the config: %v", err)
	}
	t.Setenv(envSecretKey, "short")
	if _, err := st.inviteKey(log); err == nil || !strings.Contains(err.Error(), envSecretKey) {
		t.Errorf("a bad key in the environment: %v", err)
	}
}

func TestKeygen(t *testing.T) {
	var a, b bytes.Buffer
	if err := run(context.Background(), []string{"keygen"}, &a, io.Discard); err != nil {
		t.Fatal(err)
	}
	if err := run(context.Background(), []string{"keygen"}, &b, io.Discard); err != nil {
		t.Fatal(err)
	}
	if _, err := invite.ParseKey(a.String()); err != nil {
		t.Errorf("keygen printed %q: %v", a.String(), err)
	}
	if a.String() == b.String() {
		t.Error("keygen printed the same key twice")
	}
}

// innobot invite --list shows the live codes, never the codes; --revoke takes one by its id,
// or all that a filter picks; both are audited, and revoked codes bind nobody.
func TestInviteListAndRevoke(t *testing.T) {
	ctx := context.Background()
	data := t.TempDir()
	s, err := bolt.Open(filepath.Join(data, "innobot.db"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range []storage.Enterprise{{ID: "e1", Name: "甲钢铁有限公司", Region: "盐湖区"}, {ID: "e2", Name: "乙电机有限公司", Region: "永济市"}} {
		if err := s.PutEnterprise(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	issue := func(args ...string) string {
		t.Helper()
		var out, errs bytes.Buffer
		if err := run(ctx, append([]string{"invite", "--data", data}, args...), &out, &errs); err != nil {
			t.Fatalf("invite %q: %v\n%s", args, err, errs.String())
		}
		m := printedCode.FindStringSubmatch(out.String())
		if m == nil {
			t.Fatalf("no code printed: %s", out.String())
		}
		return m[1]
	}
	steel := issue("--enterprise", "甲钢铁有限公司")
	motor := issue("--enterprise", "e2")
	county := issue("--role", "county_office", "--region", "盐湖区")
	issue("--role", "county_office", "--region", "永济市")

	list := func(args ...string) string {
		t.Helper()
		var out, errs bytes.Buffer
		if err := run(ctx, append([]string{"invite", "--list", "--data", data}, args...), &out, &errs); err != nil {
			t.Fatalf("invite --list %q: %v\n%s", args, err, errs.String())
		}
		return out.String()
	}
	all := list()
	for _, code := range []string{steel, motor, county} {
		if strings.Contains(all, code) {
			t.Errorf("--list shows a code: %s", all)
		}
	}
	if !strings.Contains(all, "共 4 个") || !strings.Contains(all, "【甲钢铁有限公司】（盐湖区）") {
		t.Errorf("--list:\n%s", all)
	}
	if got := list("--role", "county_office"); !strings.Contains(got, "共 2 个") {
		t.Errorf("--list --role county_office:\n%s", got)
	}
	if got := list("--region", "盐湖区"); !strings.Contains(got, "共 2 个") {
		t.Errorf("--list --region 盐湖区 (the liaison code of 甲 and the county code):\n%s", got)
	}
	motorLine := ""
	for _, l := range strings.Split(list("--enterprise", "乙电机有限公司"), "\n") {
		if strings.Contains(l, "乙电机") {
			motorLine = l
		}
	}
	id := strings.Fields(motorLine)[0]

	revoke := func(args ...string) string {
		t.Helper()
		var out, errs bytes.Buffer
		if err := run(ctx, append([]string{"invite", "--data", data, "--revoke"}, args...), &out, &errs); err != nil {
			t.Fatalf("invite --revoke %q: %v\n%s", args, err, errs.String())
		}
		return out.String()
	}
	if got := revoke(id); !strings.Contains(got, "已收回 1 个") {
		t.Errorf("--revoke %s: %s", id, got)
	}
	if got := revoke("all", "--role", "county_office"); !strings.Contains(got, "已收回 2 个") {
		t.Errorf("--revoke all --role county_office: %s", got)
	}
	if got := list(); !strings.Contains(got, "共 1 个") || !strings.Contains(got, "甲钢铁") {
		t.Errorf("left after revoking:\n%s", got)
	}
	if err := run(ctx, []string{"invite", "--data", data, "--revoke", "ffffffff"}, io.Discard, io.Discard); err == nil {
		t.Error("revoking an unknown id succeeded")
	}

	keyHex, err := os.ReadFile(filepath.Join(data, invite.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	k, err := invite.ParseKey(string(keyHex))
	if err != nil {
		t.Fatal(err)
	}
	s, err = bolt.Open(filepath.Join(data, "innobot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	for _, code := range []string{motor, county} {
		if _, err := s.Redeem(ctx, k.Hash(code), storage.Contact{ID: "x"}, time.Now(), nil); !errors.Is(err, storage.ErrInviteRevoked) {
			t.Errorf("a revoked code: %v", err)
		}
	}
	log, err := s.AuditLog(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	revokes := 0
	for _, e := range log {
		if e.Action == "revoke" && e.Role == "admin" {
			revokes++
		}
	}
	if revokes != 2 {
		t.Errorf("%d revocations audited, want 2", revokes)
	}
}

// A sixth county code for one region is refused with what to do.
func TestInviteCap(t *testing.T) {
	data := t.TempDir()
	for range 5 {
		if err := run(context.Background(), []string{"invite", "--data", data, "--role", "county_office", "--region", "夏县"}, io.Discard, io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	err := run(context.Background(), []string{"invite", "--data", data, "--role", "county_office", "--region", "夏县"}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), "--revoke") {
		t.Errorf("a sixth code: %v", err)
	}
}

// The demo can be loaded again and again on one data dir: each run's codes replace the last
// run's, which stop working, and the cap on staff codes is never reached.
func TestDemoAgain(t *testing.T) {
	ctx := context.Background()
	s, err := bolt.Open(filepath.Join(t.TempDir(), "innobot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	key, err := invite.NewKey()
	if err != nil {
		t.Fatal(err)
	}
	var first []string
	for run := range 7 {
		var codes []string
		notice := func(text string) error {
			if m := printedCode.FindStringSubmatch(text); m != nil {
				codes = append(codes, m[1])
			}
			return nil
		}
		if err := loadDemo(ctx, s, key, "", time.Now(), time.Hour, notice); err != nil {
			t.Fatalf("demo run %d: %v", run+1, err)
		}
		if run == 0 {
			first = codes
		}
	}
	for _, code := range first {
		if _, err := s.Redeem(ctx, key.Hash(code), storage.Contact{ID: "x"}, time.Now(), nil); !errors.Is(err, storage.ErrInviteRevoked) {
			t.Errorf("a code of the first demo run after six more: %v", err)
		}
	}
}
