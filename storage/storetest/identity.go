package storetest

import (
	"testing"

	"innobot/storage"
)

// IdentitiesStore is a Store with the transport's identity records: what RunIdentities checks.
type IdentitiesStore interface {
	storage.Store
	storage.Identities
}

// RunIdentities checks the storage.Identities of a store in subtests, as Run does the Store.
func RunIdentities(t *testing.T, newStore func(t *testing.T) IdentitiesStore) {
	t.Helper()
	runGroups(t, newStore, []group[IdentitiesStore]{
		{"Identities", identityTests},
	})
}

func sampleIdentity(account, id string) storage.Identity {
	return storage.Identity{ID: id, Account: account, Kind: storage.IdentityContact, RemarkName: "盐湖钢铁-张三",
		NickName: "张三\U0001F600", UserName: "@a1b2", Profile: "p1", FirstSeen: at(0), LastSeen: at(2),
		Listed: true, Misses: 2, Contested: true}
}

func normIdentity(i storage.Identity) storage.Identity {
	i.FirstSeen, i.LastSeen = normTime(i.FirstSeen), normTime(i.LastSeen)
	return i
}

func normIdentities(ids []storage.Identity) []storage.Identity { return normAll(ids, normIdentity) }

func mustIdentities(t *testing.T, s storage.Identities, account string) []storage.Identity {
	t.Helper()
	ids, err := s.Identities(t.Context(), account)
	if err != nil {
		t.Fatalf("Identities(%q): %v", account, err)
	}
	return ids
}

func mustPutIdentities(t *testing.T, s storage.Identities, ids ...storage.Identity) {
	t.Helper()
	if err := s.PutIdentities(t.Context(), ids); err != nil {
		t.Fatalf("PutIdentities: %v", err)
	}
}

var identityTests = []check[IdentitiesStore]{
	{"PerAccountByID", func(t *testing.T, s IdentitiesStore) {
		group := sampleIdentity("bot-1", "wxg-1")
		group.Kind, group.RemarkName, group.NickName = storage.IdentityGroup, "", "盐湖区帮扶群"
		member := sampleIdentity("bot-1", "wxm-1")
		member.Kind, member.Scope = storage.IdentityMember, "wxg-1"
		self := storage.Identity{ID: "self", Account: "bot-1", Kind: storage.IdentityAccount, Uin: "123", FirstSeen: at(0), LastSeen: at(0)}
		// Accounts that share a prefix, and the empty account of a single bot.
		mustPutIdentities(t, s, sampleIdentity("bot-1", "wxc-2"), member, sampleIdentity("bot-10", "wxc-1"),
			sampleIdentity("", "wxc-9"), group, sampleIdentity("bot-1", "wxc-1"), self)
		same(t, "Identities(bot-1)", mustIdentities(t, s, "bot-1"),
			[]storage.Identity{self, sampleIdentity("bot-1", "wxc-1"), sampleIdentity("bot-1", "wxc-2"), group, member}, normIdentities)
		same(t, "Identities(bot-10)", mustIdentities(t, s, "bot-10"), []storage.Identity{sampleIdentity("bot-10", "wxc-1")}, normIdentities)
		same(t, `Identities("")`, mustIdentities(t, s, ""), []storage.Identity{sampleIdentity("", "wxc-9")}, normIdentities)
		if got := mustIdentities(t, s, "bot-2"); len(got) != 0 {
			t.Errorf("Identities of an account with none: %+v", got)
		}
	}},
	{"Replaces", func(t *testing.T, s IdentitiesStore) {
		first := sampleIdentity("bot-1", "wxc-1")
		mustPutIdentities(t, s, first)
		renamed := first
		renamed.NickName, renamed.Profile, renamed.Contested, renamed.Misses, renamed.Retired = "张三丰", "", false, 0, true
		// The same ID under another account is another record.
		other := sampleIdentity("bot-2", "wxc-1")
		mustPutIdentities(t, s, renamed, other)
		same(t, "a record put again", mustIdentities(t, s, "bot-1"), []storage.Identity{renamed}, normIdentities)
		same(t, "the other account's", mustIdentities(t, s, "bot-2"), []storage.Identity{other}, normIdentities)
	}},
	{"Refuses", func(t *testing.T, s IdentitiesStore) {
		ctx := t.Context()
		good := sampleIdentity("bot-1", "wxc-1")
		noID, noKind, nulAccount := good, good, good
		noID.ID, noKind.Kind, nulAccount.Account = "", "", "bot\x001"
		for _, bad := range []storage.Identity{noID, noKind, nulAccount} {
			// A bad record refuses the whole write: the good one beside it is not stored.
			if err := s.PutIdentities(ctx, []storage.Identity{good, bad}); err == nil {
				t.Errorf("PutIdentities(%+v) succeeded", bad)
			}
		}
		if got := mustIdentities(t, s, "bot-1"); len(got) != 0 {
			t.Errorf("a refused write stored %+v", got)
		}
		if _, err := s.Identities(ctx, "bot\x001"); err == nil {
			t.Error("Identities of an account with NUL: no error")
		}
		mustPutIdentities(t, s) // nothing to write is no error
	}},
}

// testReopenIdentities: records survive Close, and a record put again after reopening replaces
// the one of before.
func testReopenIdentities(t *testing.T, open func(dir string) (IdentitiesStore, func())) {
	dir := t.TempDir()
	s, closeS := open(dir)
	a, b := sampleIdentity("bot-1", "wxc-1"), sampleIdentity("bot-1", "wxc-2")
	mustPutIdentities(t, s, a, b)
	closeS()

	s, closeS = open(dir)
	same(t, "Identities after reopening", mustIdentities(t, s, "bot-1"), []storage.Identity{a, b}, normIdentities)
	b.NickName, b.Retired = "李四", true
	mustPutIdentities(t, s, b)
	closeS()

	s, closeS = open(dir)
	defer closeS()
	same(t, "Identities after the third open", mustIdentities(t, s, "bot-1"), []storage.Identity{a, b}, normIdentities)
}
