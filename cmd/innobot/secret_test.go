package main

import (
	"bytes"
	"context"
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
	r, err := s.Redeem(ctx, k.Hash(m[1]), storage.Contact{ID: "孙七"}, time.Now())
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
