package storetest

import (
	"testing"

	"innobot/storage"
	"innobot/survey"
)

// callersTests check that every record a store returns is the caller's to change (a backend
// that keeps lists in memory hands out copies), and that a list kept in memory shows every
// write to the registry at the next read.
var callersTests = []check[RegistryStore]{
	{"ChangingWhatWasReadChangesNothing", func(t *testing.T, s RegistryStore) {
		ctx := t.Context()
		e1 := sampleEnterprise("E1")
		e1.Baseline = &storage.Baseline{HasRD: true}
		mustPutEnterprise(t, s, e1)
		mustPutEnterprise(t, s, sampleEnterprise("E2"))
		helper := sampleInvite("h-helper", storage.RoleHelper, at(0))
		helper.EnterpriseIDs = []string{"E1", "E2"}
		mustPutInvite(t, s, helper)
		mustRedeem(t, s, "h-helper", "c-helper", at(1))
		d := sampleDraft("E1", "2026-11", "c-1")
		sub := sampleSubmission("E1", "2026-10", 1)
		tr := turn("m1", "c-1", 0)
		tr.Draft, tr.Submission = &d, &sub
		mustCommit(t, s, tr)

		// Everything is read twice, each read is changed, and the next read must not see it.
		for range 2 {
			all, err := s.Enterprises(ctx)
			if err != nil || len(all) != 2 {
				t.Fatalf("Enterprises: %d, %v", len(all), err)
			}
			same(t, "Enterprises()[0] after a caller changed the last read", all[0], e1, normEnterprise)
			all[0].Name, all[0].Baseline.HasRD = "changed", false
			all = append(all[:1], storage.Enterprise{ID: "E0"})
			_ = all

			cs := mustContacts(t, s)
			if len(cs) != 1 || len(cs[0].EnterpriseIDs) != 2 || cs[0].EnterpriseIDs[0] != "E1" || cs[0].Name != "name of c-helper" {
				t.Fatalf("Contacts after a caller changed the last read: %s", show(cs))
			}
			cs[0].EnterpriseIDs[0], cs[0].Name = "E9", "changed"
			c := mustContact(t, s, "c-helper")
			if c.EnterpriseIDs[0] != "E1" {
				t.Fatalf("Contact after a caller changed the last read: %s", show(c))
			}
			c.EnterpriseIDs[0] = "E9"

			got := draftOrNil(t, s, "E1", "2026-11")
			if got == nil {
				t.Fatal("draft missing")
			}
			same(t, "Draft after a caller changed the last read", *got, d, normDraft)
			raw, err := s.Draft(ctx, "E1", "2026-11")
			if err != nil {
				t.Fatal(err)
			}
			raw.Answers["rd_spend"] = survey.Value{Num: 99}
			raw.Carried["extra"] = survey.Value{Text: "changed"}

			subs := mustSubmissions(t, s, "E1")
			same(t, "Submissions after a caller changed the last read", subs, []storage.Submission{sub}, normSubmissions)
			subs[0].Answers["rd_spend"] = survey.Value{Num: 99}
			subs[0].Version = 7
		}
	}},
	{"ListsShowEveryWrite", func(t *testing.T, s RegistryStore) {
		ctx := t.Context()
		liaisonOf := func(id string) string {
			t.Helper()
			all, err := s.Enterprises(ctx)
			if err != nil {
				t.Fatal(err)
			}
			for _, e := range all {
				if e.ID == id {
					return e.LiaisonID
				}
			}
			t.Fatalf("Enterprises lacks %s", id)
			return ""
		}
		roleOf := func(id string) storage.Role {
			t.Helper()
			for _, c := range mustContacts(t, s) {
				if c.ID == id {
					return c.Role
				}
			}
			return "(none)"
		}
		mustPutEnterprise(t, s, sampleEnterprise("E1"))
		if got := enterpriseIDs(t, s); len(got) != 1 || roleOf("c-1") != "(none)" {
			t.Fatalf("after the first enterprise: %q, c-1 %q", got, roleOf("c-1"))
		}
		mustPutEnterprises(t, s, []storage.Enterprise{sampleEnterprise("E2")})
		if got := enterpriseIDs(t, s); len(got) != 2 {
			t.Errorf("Enterprises after an import: %q", got)
		}
		mustPutInvite(t, s, liaisonInvite("h1", "E1", at(0)))
		mustRedeem(t, s, "h1", "c-1", at(1))
		if liaisonOf("E1") != "c-1" || roleOf("c-1") != storage.RoleLiaison {
			t.Errorf("after binding: E1's liaison %q, c-1 %q", liaisonOf("E1"), roleOf("c-1"))
		}
		mustPutInvite(t, s, liaisonInvite("h2", "E1", at(2)))
		mustRedeem(t, s, "h2", "c-2", at(3))
		if liaisonOf("E1") != "c-2" || roleOf("c-1") != storage.RoleNone || roleOf("c-2") != storage.RoleLiaison {
			t.Errorf("after a handover: E1's liaison %q, c-1 %q, c-2 %q", liaisonOf("E1"), roleOf("c-1"), roleOf("c-2"))
		}
		if _, err := s.Unbind(ctx, "c-2", storage.Answer{}); err != nil {
			t.Fatal(err)
		}
		if liaisonOf("E1") != "" || roleOf("c-2") != storage.RoleNone {
			t.Errorf("after unbinding: E1's liaison %q, c-2 %q", liaisonOf("E1"), roleOf("c-2"))
		}
		e := sampleEnterprise("E1")
		e.Name = "改名后有限公司"
		mustPutEnterprise(t, s, e)
		if all, err := s.Enterprises(ctx); err != nil || all[0].Name != e.Name {
			t.Errorf("Enterprises after a rename: %s, %v", show(all), err)
		}
	}},
}

var callersLedgerTests = []check[LedgerStore]{
	{"ChangingHeadsChangesNothing", func(t *testing.T, s LedgerStore) {
		sub := sampleSubmission("E1", "2026-10", 1)
		mustSubmit(t, s, sub)
		for range 2 {
			heads := mustLatestHeads(t, s, "2026-11")
			same(t, "LatestHeads after a caller changed the last read", heads, map[string]storage.Head{"E1": sub.Head()}, normHeads)
			heads["E1"] = storage.Head{EnterpriseID: "E1", Period: "changed"}
			heads["E2"] = storage.Head{}
		}
		// A new submission shows at the next read.
		next := sampleSubmission("E1", "2026-11", 1)
		mustSubmit(t, s, next)
		same(t, "LatestHeads after a submission", mustLatestHeads(t, s, "2026-11"), map[string]storage.Head{"E1": next.Head()}, normHeads)
	}},
}
