package storetest

import (
	"testing"

	"innobot/storage"
)

// NotesStore is a Store with the offices' monthly notes: what RunNotes checks.
type NotesStore interface {
	storage.Store
	storage.Notes
}

// RunNotes checks the storage.Notes of a store in subtests, as Run does the Store.
func RunNotes(t *testing.T, newStore func(t *testing.T) NotesStore) {
	t.Helper()
	runGroups(t, newStore, []group[NotesStore]{
		{"MonthlyNotes", notesTests},
	})
}

func sampleNote(period, region string) storage.MonthlyNote {
	return storage.MonthlyNote{Period: period, Region: region, Progress: "组织培训 2 次，走访企业 15 家\n第二行",
		Problems: "=部分企业无专职人员", UpdatedBy: "c-county", UpdatedAt: at(3)}
}

func normNote(n storage.MonthlyNote) storage.MonthlyNote {
	n.UpdatedAt = normTime(n.UpdatedAt)
	return n
}

func mustNotes(t *testing.T, s storage.Notes, period string) []storage.MonthlyNote {
	t.Helper()
	ns, err := s.MonthlyNotes(t.Context(), period)
	if err != nil {
		t.Fatalf("MonthlyNotes(%s): %v", period, err)
	}
	return ns
}

var notesTests = []check[NotesStore]{
	{"PutAndList", func(t *testing.T, s NotesStore) {
		ctx := t.Context()
		for _, n := range []storage.MonthlyNote{sampleNote("2026-11", "永济市"), sampleNote("2026-11", ""),
			sampleNote("2026-11", "盐湖区"), sampleNote("2026-10", "盐湖区"), sampleNote("2026-111", "盐湖区")} {
			if err := s.PutMonthlyNote(ctx, n, storage.Answer{}); err != nil {
				t.Fatalf("PutMonthlyNote(%s %s): %v", n.Period, n.Region, err)
			}
		}
		want := []storage.MonthlyNote{sampleNote("2026-11", ""), sampleNote("2026-11", "永济市"), sampleNote("2026-11", "盐湖区")}
		// Region order is byte order, which is what both backends sort by.
		if want[1].Region > want[2].Region {
			want[1], want[2] = want[2], want[1]
		}
		same(t, "notes of 2026-11", mustNotes(t, s, "2026-11"), want, func(ns []storage.MonthlyNote) []storage.MonthlyNote {
			return normAll(ns, normNote)
		})
		if got := mustNotes(t, s, "2026-12"); len(got) != 0 {
			t.Errorf("notes of a period with none: %+v", got)
		}
	}},
	{"Replaces", func(t *testing.T, s NotesStore) {
		ctx := t.Context()
		first := sampleNote("2026-11", "盐湖区")
		if err := s.PutMonthlyNote(ctx, first, storage.Answer{}); err != nil {
			t.Fatal(err)
		}
		second := first
		second.Progress, second.Problems = "", "新的问题"
		if err := s.PutMonthlyNote(ctx, second, storage.Answer{}); err != nil {
			t.Fatal(err)
		}
		same(t, "note put twice", mustNotes(t, s, "2026-11"), []storage.MonthlyNote{second}, func(ns []storage.MonthlyNote) []storage.MonthlyNote {
			return normAll(ns, normNote)
		})
	}},
	{"Refuses", func(t *testing.T, s NotesStore) {
		ctx := t.Context()
		for _, n := range []storage.MonthlyNote{{Region: "盐湖区"}, {Period: "2026-11", Region: "盐\x00湖区"}} {
			if err := s.PutMonthlyNote(ctx, n, storage.Answer{}); err == nil {
				t.Errorf("PutMonthlyNote(%q %q) succeeded", n.Period, n.Region)
			}
		}
		if _, err := s.MonthlyNotes(ctx, ""); err == nil {
			t.Error("MonthlyNotes of an empty period: no error")
		}
	}},
}

var contactDetailsTests = []check[RegistryStore]{
	{"SetKeepsRole", func(t *testing.T, s RegistryStore) {
		ctx := t.Context()
		mustPutEnterprise(t, s, sampleEnterprise("E1"))
		mustPutInvite(t, s, liaisonInvite("h1", "E1", at(0)))
		bound := mustRedeem(t, s, "h1", "c-1", at(1)).Contact
		got, err := s.SetContactDetails(ctx, "c-1", "张 三", "13912345678", storage.Answer{})
		if err != nil {
			t.Fatalf("SetContactDetails: %v", err)
		}
		want := bound
		want.Person, want.Mobile = "张 三", "13912345678"
		same(t, "returned contact", got, want, normContact)
		same(t, "stored contact", mustContact(t, s, "c-1"), want, normContact)
		if cs := mustContacts(t, s); len(cs) != 1 || cs[0].Person != "张 三" {
			t.Errorf("Contacts after SetContactDetails: %+v", cs)
		}
		if e := mustEnterprise(t, s, "E1"); e.LiaisonID != "c-1" {
			t.Errorf("E1's liaison %q after SetContactDetails, want c-1", e.LiaisonID)
		}
	}},
	{"ClearedByUnbind", func(t *testing.T, s RegistryStore) {
		ctx := t.Context()
		mustPutEnterprise(t, s, sampleEnterprise("E1"))
		mustPutInvite(t, s, liaisonInvite("h1", "E1", at(0)))
		mustRedeem(t, s, "h1", "c-1", at(1))
		if _, err := s.SetContactDetails(ctx, "c-1", "张三", "13912345678", storage.Answer{}); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Unbind(ctx, "c-1", storage.Answer{}); err != nil {
			t.Fatal(err)
		}
		if c := mustContact(t, s, "c-1"); c.Person != "" || c.Mobile != "" {
			t.Errorf("details kept after unbinding: %+v", c)
		}
	}},
	{"Unknown", func(t *testing.T, s RegistryStore) {
		_, err := s.SetContactDetails(t.Context(), "c-nobody", "张三", "13912345678", storage.Answer{})
		wantErr(t, "SetContactDetails of a contact never bound", err, storage.ErrNotFound)
	}},
}
