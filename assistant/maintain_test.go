package assistant_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"innobot/storage"
)

// Maintain removes what is kept only for a while, and nothing else.
func TestMaintain(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	now := e.clock.Now()
	e.svc.ExportDir = t.TempDir()
	e.svc.ExportKeep = 30 * 24 * time.Hour
	maintain := func() {
		t.Helper()
		if err := e.svc.Maintain(ctx); err != nil {
			t.Fatal(err)
		}
	}
	exports := func() []string {
		t.Helper()
		entries, err := os.ReadDir(e.svc.ExportDir)
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, d := range entries {
			names = append(names, d.Name())
		}
		return names
	}
	hashes := func() []string {
		t.Helper()
		invs, err := e.store.Invites(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var hs []string
		for _, inv := range invs {
			hs = append(hs, inv.Hash)
		}
		slices.Sort(hs)
		return hs
	}
	wrong := func() int {
		t.Helper()
		n, err := e.store.WrongCodes(ctx, time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}

	// Exports are named by the time they were made.
	old := now.Add(-31*24*time.Hour).In(e.loc).Format("20060102-150405-") + "abc"
	recent := now.Add(-29*24*time.Hour).In(e.loc).Format("20060102-150405-") + "def"
	for _, name := range []string{old, recent, "备份"} { // 备份 is not an export of ours
		if err := os.MkdirAll(filepath.Join(e.svc.ExportDir, name), 0o750); err != nil {
			t.Fatal(err)
		}
	}
	// Codes: a liaison code valid 7 days, an unkeyed 6-digit code issued before.
	live := e.svc.Key.Hash(e.invite("E1"))
	retired := strings.Repeat("ab", 32)
	if err := e.store.PutInvite(ctx, storage.Invite{Hash: retired, Role: storage.RoleCityOffice, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}, nil, storage.Answer{}); err != nil {
		t.Fatal(err)
	}
	// Wrong codes: one of two days ago, one now.
	for _, at := range []time.Time{now.Add(-49 * time.Hour), now} {
		if err := e.store.AddWrongCode(ctx, "路人", at); err != nil {
			t.Fatal(err)
		}
	}

	maintain()
	if got := exports(); !slices.Equal(got, []string{recent, "备份"}) {
		t.Errorf("exports left %q, want the recent one and the folder that is not an export", got)
	}
	if got := hashes(); !slices.Equal(got, []string{live}) {
		t.Errorf("codes left %q, want the live one (the retired one deleted)", got)
	}
	if got := wrong(); got != 1 {
		t.Errorf("wrong codes left %d, want today's", got)
	}

	// Nine days on: the liaison code expired two days ago, everything else has aged out.
	e.clock.Add(9 * 24 * time.Hour)
	maintain()
	if got := exports(); !slices.Equal(got, []string{"备份"}) {
		t.Errorf("exports left %q nine days on", got)
	}
	if got := hashes(); len(got) != 0 {
		t.Errorf("codes left %q two days past their expiry", got)
	}
	if got := wrong(); got != 0 {
		t.Errorf("wrong codes left %d nine days on", got)
	}
}
