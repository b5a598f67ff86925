package storetest

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"innobot/storage"
)

var putEnterprisesTests = []check[RegistryStore]{
	{"AddsAndReplaces", func(t *testing.T, s RegistryStore) {
		mustPutEnterprise(t, s, sampleEnterprise("E1"))
		mustPutEnterprise(t, s, sampleEnterprise("E9"))
		e1 := sampleEnterprise("E1")
		e1.Name, e1.Region, e1.ContactName, e1.ContactTel = "改名后有限公司", "永济市", "赵联系", "0359-1234567"
		e1.UpdatedAt = at(60)
		e2 := sampleEnterprise("E2")
		e2.ContactName, e2.ContactTel = "钱联系", "13900000000"
		mustPutEnterprises(t, s, []storage.Enterprise{e2, e1})
		same(t, "replaced E1", mustEnterprise(t, s, "E1"), e1, normEnterprise)
		same(t, "added E2", mustEnterprise(t, s, "E2"), e2, normEnterprise)
		same(t, "E9, not in the import", mustEnterprise(t, s, "E9"), sampleEnterprise("E9"), normEnterprise)
		if ids := enterpriseIDs(t, s); !slices.Equal(ids, []string{"E1", "E2", "E9"}) {
			t.Errorf("Enterprises ids %q, want E1 E2 E9", ids)
		}
	}},
	{"KeepsLiaison", func(t *testing.T, s RegistryStore) {
		// As PutEnterprise: the liaison is Redeem's; an import neither sets nor drops it.
		mustPutEnterprise(t, s, sampleEnterprise("E1"))
		mustPutEnterprise(t, s, sampleEnterprise("E2"))
		mustPutInvite(t, s, liaisonInvite("h1", "E1", at(0)))
		mustRedeem(t, s, "h1", "c-1", at(1))
		var es []storage.Enterprise
		for _, id := range []string{"E1", "E2", "E3"} {
			e := sampleEnterprise(id)
			e.Name = "导入" + id
			e.LiaisonID = "forged"
			es = append(es, e)
		}
		mustPutEnterprises(t, s, es)
		for id, want := range map[string]string{"E1": "c-1", "E2": "", "E3": ""} {
			got := mustEnterprise(t, s, id)
			if got.LiaisonID != want || got.Name != "导入"+id {
				t.Errorf("%s after the import: LiaisonID %q name %q, want %q and 导入%s", id, got.LiaisonID, got.Name, want, id)
			}
		}
	}},
	{"Empty", func(t *testing.T, s RegistryStore) {
		mustPutEnterprises(t, s, nil)
		if ids := enterpriseIDs(t, s); len(ids) != 0 {
			t.Errorf("Enterprises after an empty import: %q", ids)
		}
	}},
	{"SameIDTwice", func(t *testing.T, s RegistryStore) {
		// This suite's reading: as if put one by one, the later one wins.
		first, second := sampleEnterprise("E1"), sampleEnterprise("E1")
		second.Name = "后一条有限公司"
		mustPutEnterprises(t, s, []storage.Enterprise{first, sampleEnterprise("E2"), second})
		same(t, "E1 given twice", mustEnterprise(t, s, "E1"), second, normEnterprise)
		if ids := enterpriseIDs(t, s); !slices.Equal(ids, []string{"E1", "E2"}) {
			t.Errorf("Enterprises ids %q, want E1 E2", ids)
		}
	}},
	{"RefusedWritesNothing", func(t *testing.T, s RegistryStore) {
		// One atomic write: an enterprise without an id refuses the whole import.
		mustPutEnterprise(t, s, sampleEnterprise("E1"))
		renamed := sampleEnterprise("E1")
		renamed.Name = "不应写入"
		err := s.PutEnterprises(t.Context(), []storage.Enterprise{renamed, sampleEnterprise("E2"), {Name: "无编号"}})
		if err == nil {
			t.Fatal("PutEnterprises with an empty id succeeded")
		}
		same(t, "E1 after a refused import", mustEnterprise(t, s, "E1"), sampleEnterprise("E1"), normEnterprise)
		if ids := enterpriseIDs(t, s); !slices.Equal(ids, []string{"E1"}) {
			t.Errorf("Enterprises ids after a refused import %q, want E1", ids)
		}
	}},
	{"TenThousand", func(t *testing.T, s RegistryStore) {
		// The city's list is about this long.
		const n = 10000
		es := make([]storage.Enterprise, n)
		for i := range es {
			es[i] = sampleEnterprise(fmt.Sprintf("E%05d", i))
		}
		mustPutEnterprise(t, s, sampleEnterprise("E00042"))
		mustPutInvite(t, s, liaisonInvite("h1", "E00042", at(0)))
		mustRedeem(t, s, "h1", "c-1", at(1))
		mustPutEnterprises(t, s, es)
		all, err := s.Enterprises(t.Context())
		if err != nil {
			t.Fatalf("Enterprises: %v", err)
		}
		if len(all) != n {
			t.Fatalf("Enterprises after importing %d: %d", n, len(all))
		}
		for i, e := range all {
			want := es[i]
			if e.ID == "E00042" {
				want.LiaisonID = "c-1"
			}
			if normEnterprise(e) != normEnterprise(want) {
				t.Fatalf("Enterprises()[%d] = %+v, want %+v", i, e, want)
			}
		}
	}},
}

var contactsTests = []check[RegistryStore]{
	{"Empty", func(t *testing.T, s RegistryStore) {
		if cs := mustContacts(t, s); len(cs) != 0 {
			t.Errorf("Contacts of an empty store: %+v", cs)
		}
	}},
	{"EveryOneEverBoundByID", func(t *testing.T, s RegistryStore) {
		mustPutEnterprise(t, s, sampleEnterprise("E1"))
		ids := []string{"c-3", "c-10", "c-1", "wx-张三", "A"}
		var want []storage.Contact
		for i, id := range ids {
			inv := liaisonInvite(fmt.Sprintf("h%d", i), "E1", at(0))
			mustPutInvite(t, s, inv)
			want = append(want, mustRedeem(t, s, inv.Hash, id, at(i+1)).Contact)
		}
		// Each liaison code replaced the one before, so all but the last are unbound now;
		// they are still listed.
		for i := range want[:len(want)-1] {
			want[i] = storage.Contact{ID: want[i].ID, Name: want[i].Name}
		}
		mustCommit(t, s, turn("m1", "c-session-only", 0))
		slices.SortFunc(want, func(a, b storage.Contact) int { return strings.Compare(a.ID, b.ID) })
		same(t, "Contacts", mustContacts(t, s), want, normContacts)
	}},
}

var unbindTests = []check[RegistryStore]{
	{"NeverBound", func(t *testing.T, s RegistryStore) {
		mustCommit(t, s, turn("m1", "c-1", 0))
		_, err := s.Unbind(t.Context(), "c-1", storage.Answer{})
		wantErr(t, "Unbind of a contact never bound", err, storage.ErrNotFound)
		_, err = s.Contact(t.Context(), "c-1")
		wantErr(t, "Contact after Unbind of one never bound", err, storage.ErrNotFound)
	}},
	{"Liaison", func(t *testing.T, s RegistryStore) {
		ent := sampleEnterprise("E1")
		mustPutEnterprise(t, s, ent)
		mustPutInvite(t, s, liaisonInvite("h1", "E1", at(0)))
		r, err := s.Redeem(t.Context(), "h1", storage.Contact{ID: "c-1", Name: "张联络", Account: "bot-1"}, at(1), nil)
		if err != nil {
			t.Fatalf("Redeem: %v", err)
		}
		was, err := s.Unbind(t.Context(), "c-1", storage.Answer{})
		if err != nil {
			t.Fatalf("Unbind: %v", err)
		}
		same(t, "Unbind returned", was, r.Contact, normContact)
		same(t, "Contact after Unbind", mustContact(t, s, "c-1"),
			storage.Contact{ID: "c-1", Name: "张联络", Account: "bot-1"}, normContact)
		after := mustEnterprise(t, s, "E1")
		if after.LiaisonID != "" {
			t.Errorf("LiaisonID %q after its liaison was unbound", after.LiaisonID)
		}
		sameEnterpriseBut(t, after, ent)
	}},
	{"LiaisonReplacedBefore", func(t *testing.T, s RegistryStore) {
		// c-1 was replaced by c-2: unbinding c-1 must not take the enterprise from c-2.
		mustPutEnterprise(t, s, sampleEnterprise("E1"))
		mustPutInvite(t, s, liaisonInvite("h1", "E1", at(0)))
		mustPutInvite(t, s, liaisonInvite("h2", "E1", at(0)))
		mustRedeem(t, s, "h1", "c-1", at(1))
		mustRedeem(t, s, "h2", "c-2", at(2))
		before := mustContact(t, s, "c-1")
		was, err := s.Unbind(t.Context(), "c-1", storage.Answer{})
		if err != nil {
			t.Fatalf("Unbind of a replaced liaison: %v", err)
		}
		same(t, "Unbind of a replaced liaison returned", was, before, normContact)
		if id := mustEnterprise(t, s, "E1").LiaisonID; id != "c-2" {
			t.Errorf("LiaisonID %q after unbinding the replaced liaison, want c-2", id)
		}
		if c := mustContact(t, s, "c-2"); c.Role != storage.RoleLiaison || c.EnterpriseID != "E1" {
			t.Errorf("the new liaison after unbinding the old one: %+v", c)
		}
	}},
	{"Twice", func(t *testing.T, s RegistryStore) {
		mustPutEnterprise(t, s, sampleEnterprise("E1"))
		mustPutInvite(t, s, liaisonInvite("h1", "E1", at(0)))
		mustRedeem(t, s, "h1", "c-1", at(1))
		if _, err := s.Unbind(t.Context(), "c-1", storage.Answer{}); err != nil {
			t.Fatalf("Unbind: %v", err)
		}
		was, err := s.Unbind(t.Context(), "c-1", storage.Answer{})
		if err != nil {
			t.Fatalf("Unbind of an unbound contact: %v", err)
		}
		if was.Role != storage.RoleNone || was.ID != "c-1" {
			t.Errorf("second Unbind returned %+v, want c-1 without a role", was)
		}
	}},
	{"Staff", func(t *testing.T, s RegistryStore) {
		mustPutEnterprise(t, s, sampleEnterprise("E1"))
		mustPutEnterprise(t, s, sampleEnterprise("E2"))
		mustPutInvite(t, s, liaisonInvite("h-l", "E1", at(0)))
		mustRedeem(t, s, "h-l", "c-liaison", at(1))
		helper := sampleInvite("h-helper", storage.RoleHelper, at(0))
		helper.EnterpriseIDs = []string{"E1", "E2"}
		county := sampleInvite("h-county", storage.RoleCounty, at(0))
		county.Region = "盐湖区"
		city := sampleInvite("h-city", storage.RoleCityOffice, at(0))
		for _, inv := range []storage.Invite{helper, county, city} {
			mustPutInvite(t, s, inv)
			c := storage.Contact{ID: "c-" + string(inv.Role), Name: "员工", Account: "bot-2"}
			r, err := s.Redeem(t.Context(), inv.Hash, c, at(2), nil)
			if err != nil {
				t.Fatalf("Redeem(%s): %v", inv.Hash, err)
			}
			was, err := s.Unbind(t.Context(), c.ID, storage.Answer{})
			if err != nil {
				t.Fatalf("Unbind(%s): %v", c.ID, err)
			}
			same(t, "Unbind("+c.ID+") returned", was, r.Contact, normContact)
			same(t, "Contact("+c.ID+") after Unbind", mustContact(t, s, c.ID), c, normContact)
		}
		if id := mustEnterprise(t, s, "E1").LiaisonID; id != "c-liaison" {
			t.Errorf("LiaisonID %q after unbinding staff, want c-liaison", id)
		}
	}},
	{"BindAgain", func(t *testing.T, s RegistryStore) {
		mustPutEnterprise(t, s, sampleEnterprise("E1"))
		mustPutInvite(t, s, liaisonInvite("h1", "E1", at(0)))
		mustPutInvite(t, s, liaisonInvite("h2", "E1", at(0)))
		mustRedeem(t, s, "h1", "c-1", at(1))
		if _, err := s.Unbind(t.Context(), "c-1", storage.Answer{}); err != nil {
			t.Fatalf("Unbind: %v", err)
		}
		got := mustRedeem(t, s, "h2", "c-1", at(2))
		if got.Replaced != nil {
			t.Errorf("binding after Unbind replaced %+v", *got.Replaced)
		}
		if id := mustEnterprise(t, s, "E1").LiaisonID; id != "c-1" {
			t.Errorf("LiaisonID %q after binding again, want c-1", id)
		}
	}},
}

var groupTests = []check[RegistryStore]{
	{"NotFound", func(t *testing.T, s RegistryStore) {
		mustPutGroup(t, s, sampleGroup("g1", "盐湖区"))
		for _, id := range []string{"g2", "g", "g10", ""} {
			_, err := s.Group(t.Context(), id)
			wantErr(t, "Group("+id+")", err, storage.ErrNotFound)
		}
	}},
	{"PutGet", func(t *testing.T, s RegistryStore) {
		want := sampleGroup("g1", "盐湖区")
		mustPutGroup(t, s, want)
		same(t, "Group(g1)", mustGroup(t, s, "g1"), want, normGroup)
	}},
	{"Replace", func(t *testing.T, s RegistryStore) {
		mustPutGroup(t, s, sampleGroup("g1", "盐湖区"))
		want := storage.Group{ID: "g1", Name: "永济帮扶群", Region: "永济市", BoundBy: "c-9", BoundAt: at(30)}
		mustPutGroup(t, s, want)
		same(t, "Group(g1) after binding again", mustGroup(t, s, "g1"), want, normGroup)
		if gs := mustGroups(t, s); len(gs) != 1 {
			t.Errorf("Groups after binding one group twice: %d, want 1", len(gs))
		}
	}},
	{"ListOrderedByID", func(t *testing.T, s RegistryStore) {
		if gs := mustGroups(t, s); len(gs) != 0 {
			t.Errorf("Groups of an empty store: %+v", gs)
		}
		ids := []string{"g3", "g10", "g1", "@@room", "盐湖群"}
		for _, id := range ids {
			mustPutGroup(t, s, sampleGroup(id, "盐湖区"))
		}
		slices.Sort(ids)
		var want []storage.Group
		for _, id := range ids {
			want = append(want, sampleGroup(id, "盐湖区"))
		}
		same(t, "Groups", mustGroups(t, s), want, func(gs []storage.Group) []storage.Group { return normAll(gs, normGroup) })
	}},
}

var bindFailureTests = []check[RegistryStore]{
	{"None", func(t *testing.T, s RegistryStore) {
		if n := mustBindFailures(t, s, "c-1", time.Time{}); n != 0 {
			t.Errorf("BindFailures of a contact without any: %d", n)
		}
	}},
	{"Window", func(t *testing.T, s RegistryStore) {
		for _, m := range []int{0, 1, 5, 14} {
			mustAddBindFailure(t, s, "c-1", at(m))
		}
		mustAddBindFailure(t, s, "c-2", at(5))
		for _, tc := range []struct {
			since time.Time
			want  int
		}{
			{at(-60), 4},
			{at(0), 4}, // at since counts
			{at(0).Add(time.Nanosecond), 3},
			{at(5), 2},
			{at(14), 1},
			{at(15), 0},
		} {
			if n := mustBindFailures(t, s, "c-1", tc.since); n != tc.want {
				t.Errorf("BindFailures(c-1, since %v) = %d, want %d", tc.since, n, tc.want)
			}
		}
		if n := mustBindFailures(t, s, "c-2", at(0)); n != 1 {
			t.Errorf("BindFailures(c-2) = %d, want 1", n)
		}
		if n := mustBindFailures(t, s, "c-3", at(0)); n != 0 {
			t.Errorf("BindFailures(c-3) = %d, want 0", n)
		}
	}},
	{"OldOnesIgnored", func(t *testing.T, s RegistryStore) {
		// Yesterday's wrong codes do not count against today's window. (A store may forget
		// failures older than a day; this suite asks only about the last day.)
		mustAddBindFailure(t, s, "c-1", at(-2*24*60))
		mustAddBindFailure(t, s, "c-1", at(-3*60))
		mustAddBindFailure(t, s, "c-1", at(-10))
		mustAddBindFailure(t, s, "c-1", at(0))
		if n := mustBindFailures(t, s, "c-1", at(-15)); n != 2 {
			t.Errorf("BindFailures in the last 15 minutes: %d, want 2", n)
		}
		if n := mustBindFailures(t, s, "c-1", at(-4*60)); n != 3 {
			t.Errorf("BindFailures in the last 4 hours: %d, want 3", n)
		}
	}},
	{"SameInstant", func(t *testing.T, s RegistryStore) {
		for range 3 {
			mustAddBindFailure(t, s, "c-1", at(1))
		}
		if n := mustBindFailures(t, s, "c-1", at(0)); n != 3 {
			t.Errorf("three failures at one instant counted %d", n)
		}
	}},
}

var auditTests = []check[RegistryStore]{
	{"Empty", func(t *testing.T, s RegistryStore) {
		if log := mustAuditLog(t, s, time.Time{}); len(log) != 0 {
			t.Errorf("AuditLog of an empty store: %+v", log)
		}
	}},
	{"OldestFirstAndSince", func(t *testing.T, s RegistryStore) {
		// Added out of time order; same-instant entries stay in the order added (this suite's
		// reading of append-only).
		e := func(m int, action string) storage.AuditEntry {
			return storage.AuditEntry{At: at(m), Contact: "c-1", Name: "王科长", Role: storage.RoleCounty,
				Group: "盐湖区帮扶群", Action: action, Target: "盐湖区", Outcome: storage.OutcomeOK, Detail: "进度 盐湖区 " + action}
		}
		added := []storage.AuditEntry{e(5, "query"), e(1, "bind"), e(5, "export"), e(3, "invite"), e(5, "query2")}
		added[1].Outcome, added[1].Group = storage.OutcomeRefused, ""
		// What people typed goes into an entry as it was: the store keeps any text.
		added[3].Detail, added[3].Target = "邀请码 甲\n2026-11-20 10:00\tcity_office\t伪造", "【甲\t公司】"
		for _, a := range added {
			mustAudit(t, s, a)
		}
		all := []storage.AuditEntry{added[1], added[3], added[0], added[2], added[4]}
		norm := func(es []storage.AuditEntry) []storage.AuditEntry { return normAll(es, normAudit) }
		same(t, "AuditLog(zero)", mustAuditLog(t, s, time.Time{}), all, norm)
		same(t, "AuditLog(at 1)", mustAuditLog(t, s, at(1)), all, norm)
		same(t, "AuditLog(just after 1)", mustAuditLog(t, s, at(1).Add(time.Nanosecond)), all[1:], norm)
		same(t, "AuditLog(at 5)", mustAuditLog(t, s, at(5)), all[2:], norm)
		same(t, "AuditLog(after everything)", mustAuditLog(t, s, at(6)), nil, norm)
	}},
	{"SameEntryTwice", func(t *testing.T, s RegistryStore) {
		// An audit log keeps every event, even two that look alike.
		e := storage.AuditEntry{At: at(1), Contact: "c-1", Role: storage.RoleCityOffice, Action: "export"}
		mustAudit(t, s, e)
		mustAudit(t, s, e)
		if log := mustAuditLog(t, s, at(0)); len(log) != 2 {
			t.Errorf("AuditLog after the same entry twice: %d entries, want 2", len(log))
		}
	}},
}

func sampleGroup(id, region string) storage.Group {
	return storage.Group{ID: id, Name: region + "帮扶小组", Region: region, BoundBy: "c-county", BoundAt: at(4), Account: "bot-1"}
}

func enterpriseIDs(t *testing.T, s storage.Store) []string {
	t.Helper()
	all, err := s.Enterprises(t.Context())
	if err != nil {
		t.Fatalf("Enterprises: %v", err)
	}
	var ids []string
	for _, e := range all {
		ids = append(ids, e.ID)
	}
	return ids
}

func mustPutEnterprises(t *testing.T, s storage.Registry, es []storage.Enterprise) {
	t.Helper()
	if err := s.PutEnterprises(t.Context(), es); err != nil {
		t.Fatalf("PutEnterprises(%d): %v", len(es), err)
	}
}

func mustContacts(t *testing.T, s storage.Registry) []storage.Contact {
	t.Helper()
	cs, err := s.Contacts(t.Context())
	if err != nil {
		t.Fatalf("Contacts: %v", err)
	}
	return cs
}

func mustPutGroup(t *testing.T, s storage.Registry, g storage.Group) {
	t.Helper()
	if err := s.PutGroup(t.Context(), g, storage.Answer{}); err != nil {
		t.Fatalf("PutGroup(%s): %v", g.ID, err)
	}
}

func mustGroup(t *testing.T, s storage.Registry, id string) storage.Group {
	t.Helper()
	g, err := s.Group(t.Context(), id)
	if err != nil {
		t.Fatalf("Group(%s): %v", id, err)
	}
	return g
}

func mustGroups(t *testing.T, s storage.Registry) []storage.Group {
	t.Helper()
	gs, err := s.Groups(t.Context())
	if err != nil {
		t.Fatalf("Groups: %v", err)
	}
	return gs
}

func mustAddBindFailure(t *testing.T, s storage.Registry, contactID string, at time.Time) {
	t.Helper()
	if err := s.AddBindFailure(t.Context(), contactID, at, storage.Answer{}); err != nil {
		t.Fatalf("AddBindFailure(%s, %v): %v", contactID, at, err)
	}
}

func mustBindFailures(t *testing.T, s storage.Registry, contactID string, since time.Time) int {
	t.Helper()
	n, err := s.BindFailures(t.Context(), contactID, since)
	if err != nil {
		t.Fatalf("BindFailures(%s, %v): %v", contactID, since, err)
	}
	return n
}

func mustAudit(t *testing.T, s storage.Registry, e storage.AuditEntry) {
	t.Helper()
	if err := s.Audit(t.Context(), e); err != nil {
		t.Fatalf("Audit(%s): %v", e.Action, err)
	}
}

func mustAuditLog(t *testing.T, s storage.Registry, since time.Time) []storage.AuditEntry {
	t.Helper()
	log, err := s.AuditLog(t.Context(), since)
	if err != nil {
		t.Fatalf("AuditLog(%v): %v", since, err)
	}
	return log
}
