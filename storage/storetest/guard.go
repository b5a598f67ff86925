package storetest

import (
	"slices"
	"testing"
	"time"

	"innobot/storage"
)

// GuardStore is a Store with the office's tools for codes and the guard against guessing
// them: what RunGuard checks.
type GuardStore interface {
	storage.Store
	storage.Registry
	storage.InviteAdmin
	storage.BindGuard
}

// RunGuard checks storage.InviteAdmin and storage.BindGuard in subtests, as Run does the Store.
// Locks are compared to the microsecond, the precision Redis keeps.
func RunGuard(t *testing.T, newStore func(t *testing.T) GuardStore) {
	t.Helper()
	runGroups(t, newStore, []group[GuardStore]{
		{"Invites", inviteAdminTests},
		{"WrongCodes", wrongCodeTests},
		{"Locks", lockTests},
		{"Prune", guardPruneTests},
	})
}

var inviteAdminTests = []check[GuardStore]{
	{"ListRevokeDelete", func(t *testing.T, s GuardStore) {
		ctx := t.Context()
		mustPutEnterprise(t, s, sampleEnterprise("E1"))
		for _, h := range []string{"h3", "h1", "h2", "h4"} {
			mustPutInvite(t, s, liaisonInvite(h, "E1", at(0)))
		}
		mustRedeem(t, s, "h4", "c-1", at(1))
		if got := inviteHashes(t, s); !slices.Equal(got, []string{"h1", "h2", "h3", "h4"}) {
			t.Fatalf("Invites %q, want h1 h2 h3 h4", got)
		}
		// h4 is used and h9 unknown: only h1 and h2 are revoked.
		n, err := s.RevokeInvites(ctx, []string{"h1", "h2", "h4", "h9"}, at(2))
		if err != nil || n != 2 {
			t.Fatalf("RevokeInvites = %d, %v; want 2", n, err)
		}
		if n, err := s.RevokeInvites(ctx, []string{"h1"}, at(3)); err != nil || n != 0 {
			t.Errorf("revoking a revoked code again = %d, %v; want 0", n, err)
		}
		for _, inv := range mustInvites(t, s) {
			revoked := inv.Hash == "h1" || inv.Hash == "h2"
			if revoked != inv.RevokedAt.Equal(at(2)) {
				t.Errorf("%s RevokedAt %v", inv.Hash, inv.RevokedAt)
			}
		}
		_, err = s.Redeem(ctx, "h1", storage.Contact{ID: "c-2"}, at(4), nil)
		wantErr(t, "Redeem of a revoked code", err, storage.ErrInviteRevoked)
		mustRedeem(t, s, "h3", "c-2", at(4))

		if n, err := s.DeleteInvites(ctx, []string{"h1", "h4", "h9"}); err != nil || n != 2 {
			t.Errorf("DeleteInvites = %d, %v; want 2", n, err)
		}
		if got := inviteHashes(t, s); !slices.Equal(got, []string{"h2", "h3"}) {
			t.Errorf("Invites after deleting h1 and h4: %q", got)
		}
		_, err = s.Redeem(ctx, "h1", storage.Contact{ID: "c-3"}, at(5), nil)
		wantErr(t, "Redeem of a deleted code", err, storage.ErrInviteUnknown)
	}},
}

var wrongCodeTests = []check[GuardStore]{
	{"CountedCityWide", func(t *testing.T, s GuardStore) {
		for i, c := range []string{"c-1", "c-2", "c-1", "c-3", "c-3"} {
			mustAddWrongCode(t, s, c, at(i))
		}
		mustAddWrongCode(t, s, "c-4", at(2)) // the same instant as another: both kept
		for _, tt := range []struct {
			since time.Time
			want  int
		}{{time.Time{}, 6}, {at(2), 4}, {at(2).Add(time.Nanosecond), 2}, {at(5), 0}} {
			if got := mustWrongCodes(t, s, tt.since); got != tt.want {
				t.Errorf("WrongCodes(%v) = %d, want %d", tt.since, got, tt.want)
			}
		}
		// The per-contact record is the Registry's, apart.
		if n, err := s.BindFailures(t.Context(), "c-1", time.Time{}); err != nil || n != 0 {
			t.Errorf("BindFailures after wrong codes only = %d, %v", n, err)
		}
	}},
}

var lockTests = []check[GuardStore]{
	{"LaterLockKept", func(t *testing.T, s GuardStore) {
		ctx := t.Context()
		if until := mustLocked(t, s, "c-1"); !until.IsZero() {
			t.Errorf("a contact never locked is locked until %v", until)
		}
		for _, until := range []time.Time{at(60), at(30), at(90)} {
			if err := s.LockBinding(ctx, "c-1", until); err != nil {
				t.Fatal(err)
			}
		}
		if until := mustLocked(t, s, "c-1"); !sameLock(until, at(90)) {
			t.Errorf("locked until %v, want the latest lock %v", until, at(90))
		}
	}},
	{"LockWrongCoders", func(t *testing.T, s GuardStore) {
		ctx := t.Context()
		mustAddWrongCode(t, s, "c-old", at(0))
		mustAddWrongCode(t, s, "c-1", at(10))
		mustAddWrongCode(t, s, "c-2", at(11))
		mustAddWrongCode(t, s, "c-1", at(12))
		mustAddWrongCode(t, s, "c-3", at(13))
		if err := s.LockBinding(ctx, "c-3", at(10_000)); err != nil {
			t.Fatal(err)
		}
		locked, err := s.LockWrongCoders(ctx, at(10), at(1440))
		if err != nil {
			t.Fatal(err)
		}
		slices.Sort(locked)
		if !slices.Equal(locked, []string{"c-1", "c-2"}) {
			t.Errorf("LockWrongCoders barred %q, want c-1 c-2 (c-old is too old, c-3 barred longer already)", locked)
		}
		for id, want := range map[string]time.Time{"c-1": at(1440), "c-2": at(1440), "c-3": at(10_000), "c-old": {}, "c-never": {}} {
			if got := mustLocked(t, s, id); !sameLock(got, want) {
				t.Errorf("%s locked until %v, want %v", id, got, want)
			}
		}
		if again, err := s.LockWrongCoders(ctx, at(10), at(1440)); err != nil || len(again) != 0 {
			t.Errorf("LockWrongCoders again barred %q, %v; want none new", again, err)
		}
	}},
}

var guardPruneTests = []check[GuardStore]{
	{"OldGoesNewStays", func(t *testing.T, s GuardStore) {
		ctx := t.Context()
		for _, m := range []int{0, 5, 20} {
			mustAddWrongCode(t, s, "c-1", at(m))
			if err := s.AddBindFailure(ctx, "c-1", at(m), storage.Answer{}); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.AddBindFailure(ctx, "c-2", at(1), storage.Answer{}); err != nil {
			t.Fatal(err)
		}
		for id, until := range map[string]time.Time{"c-1": at(9), "c-2": at(30)} {
			if err := s.LockBinding(ctx, id, until); err != nil {
				t.Fatal(err)
			}
		}
		n, err := s.PruneBindFailures(ctx, at(10))
		if err != nil {
			t.Fatal(err)
		}
		// Wrong codes at 0 and 5, refused codes of c-1 at 0 and 5 and of c-2 at 1, c-1's lock.
		if n != 6 {
			t.Errorf("PruneBindFailures removed %d records, want 6", n)
		}
		if got := mustWrongCodes(t, s, time.Time{}); got != 1 {
			t.Errorf("wrong codes left %d, want 1", got)
		}
		for id, want := range map[string]int{"c-1": 1, "c-2": 0} {
			if got, err := s.BindFailures(ctx, id, time.Time{}); err != nil || got != want {
				t.Errorf("BindFailures(%s) after pruning = %d, %v; want %d", id, got, err, want)
			}
		}
		if got := mustLocked(t, s, "c-1"); !got.IsZero() {
			t.Errorf("an ended lock stays: %v", got)
		}
		if got := mustLocked(t, s, "c-2"); !sameLock(got, at(30)) {
			t.Errorf("a running lock was pruned: %v", got)
		}
	}},
}

func mustInvites(t *testing.T, s storage.InviteAdmin) []storage.Invite {
	t.Helper()
	invs, err := s.Invites(t.Context())
	if err != nil {
		t.Fatalf("Invites: %v", err)
	}
	return invs
}

func inviteHashes(t *testing.T, s storage.InviteAdmin) []string {
	t.Helper()
	var hs []string
	for _, inv := range mustInvites(t, s) {
		hs = append(hs, inv.Hash)
	}
	return hs
}

func mustAddWrongCode(t *testing.T, s storage.BindGuard, contactID string, at time.Time) {
	t.Helper()
	if err := s.AddWrongCode(t.Context(), contactID, at); err != nil {
		t.Fatalf("AddWrongCode(%s): %v", contactID, err)
	}
}

func mustWrongCodes(t *testing.T, s storage.BindGuard, since time.Time) int {
	t.Helper()
	n, err := s.WrongCodes(t.Context(), since)
	if err != nil {
		t.Fatalf("WrongCodes: %v", err)
	}
	return n
}

func mustLocked(t *testing.T, s storage.BindGuard, contactID string) time.Time {
	t.Helper()
	until, err := s.BindingLocked(t.Context(), contactID)
	if err != nil {
		t.Fatalf("BindingLocked(%s): %v", contactID, err)
	}
	return until
}

// sameLock compares locks to the microsecond.
func sameLock(a, b time.Time) bool {
	return a.Truncate(time.Microsecond).Equal(b.Truncate(time.Microsecond))
}
