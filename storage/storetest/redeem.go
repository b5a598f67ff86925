package storetest

import (
	"testing"
	"time"

	"innobot/storage"
)

var redeemTests = []subtest{
	{"Unknown", func(t *testing.T, s storage.Store) {
		mustPutInvite(t, s, liaisonInvite("h1", "E1", at(0)))
		for _, hash := range []string{"h2", "h", "h10", ""} {
			_, err := s.Redeem(t.Context(), hash, storage.Contact{ID: "c-1"}, at(1), nil)
			wantErr(t, "Redeem("+hash+")", err, storage.ErrInviteUnknown)
		}
		_, err := s.Contact(t.Context(), "c-1")
		wantErr(t, "Contact after unknown codes", err, storage.ErrNotFound)
	}},
	{"Used", func(t *testing.T, s storage.Store) {
		mustPutEnterprise(t, s, sampleEnterprise("E1"))
		mustPutInvite(t, s, liaisonInvite("h1", "E1", at(0)))
		mustRedeem(t, s, "h1", "c-1", at(1))
		for _, c := range []string{"c-2", "c-1"} {
			_, err := s.Redeem(t.Context(), "h1", storage.Contact{ID: c}, at(2), nil)
			wantErr(t, "Redeem of a used code by "+c, err, storage.ErrInviteUsed)
		}
		_, err := s.Contact(t.Context(), "c-2")
		wantErr(t, "Contact refused a used code", err, storage.ErrNotFound)
		if got := mustEnterprise(t, s, "E1").LiaisonID; got != "c-1" {
			t.Errorf("LiaisonID after a used code was refused: %q, want c-1", got)
		}
	}},
	{"Expired", func(t *testing.T, s storage.Store) {
		mustPutEnterprise(t, s, sampleEnterprise("E1"))
		inv := liaisonInvite("h1", "E1", at(0))
		mustPutInvite(t, s, inv)
		_, err := s.Redeem(t.Context(), "h1", storage.Contact{ID: "c-1"}, inv.ExpiresAt.Add(time.Nanosecond), nil)
		wantErr(t, "Redeem after ExpiresAt", err, storage.ErrInviteExpired)
		_, err = s.Contact(t.Context(), "c-1")
		wantErr(t, "Contact refused an expired code", err, storage.ErrNotFound)
		if got := mustEnterprise(t, s, "E1").LiaisonID; got != "" {
			t.Errorf("LiaisonID after an expired code: %q", got)
		}
		// Nothing was written, so the code still works within its time; ExpiresAt itself is
		// within it.
		mustRedeem(t, s, "h1", "c-1", inv.ExpiresAt)
	}},
	{"Liaison", func(t *testing.T, s storage.Store) {
		ent := sampleEnterprise("E1")
		mustPutEnterprise(t, s, ent)
		inv := liaisonInvite("h1", "E1", at(0))
		mustPutInvite(t, s, inv)
		now := at(90)
		got, err := s.Redeem(t.Context(), "h1", storage.Contact{ID: "c-1", Name: "张联络"}, now, nil)
		if err != nil {
			t.Fatalf("Redeem: %v", err)
		}
		wantContact := storage.Contact{ID: "c-1", Name: "张联络", Role: storage.RoleLiaison, EnterpriseID: "E1", BoundAt: now}
		usedInv := inv
		usedInv.UsedBy, usedInv.UsedAt = "c-1", now
		after := mustEnterprise(t, s, "E1")
		same(t, "Redeemed", got, storage.Redeemed{Contact: wantContact, Enterprise: &after, Invite: usedInv}, normRedeemed)
		same(t, "Contact after Redeem", mustContact(t, s, "c-1"), wantContact, normContact)
		if after.LiaisonID != "c-1" {
			t.Errorf("LiaisonID %q, want c-1", after.LiaisonID)
		}
		sameEnterpriseBut(t, after, ent)
	}},
	{"Account", func(t *testing.T, s storage.Store) {
		// The bot account the person talks to comes from the contact given, whatever the
		// role, and replaces the one stored before.
		mustPutEnterprise(t, s, sampleEnterprise("E1"))
		mustPutInvite(t, s, liaisonInvite("h1", "E1", at(0)))
		county := sampleInvite("h2", storage.RoleCounty, at(0))
		county.Region = "盐湖区"
		mustPutInvite(t, s, county)
		for i, tc := range []struct{ hash, account string }{{"h1", "bot-1"}, {"h2", "bot-2"}} {
			got, err := s.Redeem(t.Context(), tc.hash, storage.Contact{ID: "c-1", Name: "张三", Account: tc.account}, at(i+1), nil)
			if err != nil {
				t.Fatalf("Redeem(%s): %v", tc.hash, err)
			}
			if got.Contact.Account != tc.account {
				t.Errorf("Redeemed.Contact.Account %q, want %q", got.Contact.Account, tc.account)
			}
			if a := mustContact(t, s, "c-1").Account; a != tc.account {
				t.Errorf("Contact.Account %q after Redeem(%s), want %q", a, tc.hash, tc.account)
			}
		}
	}},
	{"Roles", testRoles},
	{"Handover", testHandover},
	{"SameEnterpriseAgain", func(t *testing.T, s storage.Store) {
		mustPutEnterprise(t, s, sampleEnterprise("E1"))
		mustPutInvite(t, s, liaisonInvite("h1", "E1", at(0)))
		mustPutInvite(t, s, liaisonInvite("h2", "E1", at(0)))
		mustRedeem(t, s, "h1", "c-1", at(1))
		got := mustRedeem(t, s, "h2", "c-1", at(2))
		if got.Replaced != nil {
			t.Errorf("rebinding the same liaison replaced %+v", *got.Replaced)
		}
		if id := mustEnterprise(t, s, "E1").LiaisonID; id != "c-1" {
			t.Errorf("LiaisonID %q, want c-1", id)
		}
		if c := mustContact(t, s, "c-1"); c.Role != storage.RoleLiaison || c.EnterpriseID != "E1" {
			t.Errorf("contact after rebinding: %+v", c)
		}
	}},
	{"LiaisonMoves", func(t *testing.T, s storage.Store) {
		mustPutEnterprise(t, s, sampleEnterprise("E1"))
		mustPutEnterprise(t, s, sampleEnterprise("E2"))
		mustPutInvite(t, s, liaisonInvite("h1", "E1", at(0)))
		mustPutInvite(t, s, liaisonInvite("h2", "E2", at(0)))
		mustRedeem(t, s, "h1", "c-1", at(1))
		got := mustRedeem(t, s, "h2", "c-1", at(2))
		if got.Replaced != nil {
			t.Errorf("moving to an enterprise without a liaison replaced %+v", *got.Replaced)
		}
		if id := mustEnterprise(t, s, "E1").LiaisonID; id != "" {
			t.Errorf("old enterprise's LiaisonID %q after its liaison moved, want none", id)
		}
		if id := mustEnterprise(t, s, "E2").LiaisonID; id != "c-1" {
			t.Errorf("new enterprise's LiaisonID %q, want c-1", id)
		}
		if c := mustContact(t, s, "c-1"); c.Role != storage.RoleLiaison || c.EnterpriseID != "E2" {
			t.Errorf("contact after moving: %+v", c)
		}
	}},
	{"LiaisonBecomesStaff", func(t *testing.T, s storage.Store) {
		mustPutEnterprise(t, s, sampleEnterprise("E1"))
		mustPutInvite(t, s, liaisonInvite("h1", "E1", at(0)))
		county := sampleInvite("h2", storage.RoleCounty, at(0))
		county.Region = "盐湖区"
		mustPutInvite(t, s, county)
		mustRedeem(t, s, "h1", "c-1", at(1))
		mustRedeem(t, s, "h2", "c-1", at(2))
		if id := mustEnterprise(t, s, "E1").LiaisonID; id != "" {
			t.Errorf("LiaisonID %q after its liaison became county office, want none", id)
		}
	}},
	{"PutInviteTwice", func(t *testing.T, s storage.Store) {
		mustPutEnterprise(t, s, sampleEnterprise("E1"))
		mustPutEnterprise(t, s, sampleEnterprise("E2"))
		mustPutInvite(t, s, liaisonInvite("h1", "E1", at(0)))
		err := s.PutInvite(t.Context(), liaisonInvite("h1", "E2", at(5)), nil, storage.Answer{})
		wantErr(t, "PutInvite of a stored hash", err, storage.ErrConflict)
		if got := mustRedeem(t, s, "h1", "c-1", at(6)); got.Contact.EnterpriseID != "E1" {
			t.Errorf("the first code was overwritten: bound to %q", got.Contact.EnterpriseID)
		}
		// Issuing a used code again must not make it usable.
		err = s.PutInvite(t.Context(), liaisonInvite("h1", "E1", at(7)), nil, storage.Answer{})
		wantErr(t, "PutInvite of a used hash", err, storage.ErrConflict)
		_, err = s.Redeem(t.Context(), "h1", storage.Contact{ID: "c-2"}, at(8), nil)
		wantErr(t, "Redeem after issuing a used code again", err, storage.ErrInviteUsed)
	}},
}

func liaisonInvite(hash, enterpriseID string, now time.Time) storage.Invite {
	inv := sampleInvite(hash, storage.RoleLiaison, now)
	inv.EnterpriseID = enterpriseID
	return inv
}

func mustRedeem(t *testing.T, s storage.Store, hash, contactID string, now time.Time) storage.Redeemed {
	t.Helper()
	r, err := s.Redeem(t.Context(), hash, storage.Contact{ID: contactID, Name: "name of " + contactID}, now, nil)
	if err != nil {
		t.Fatalf("Redeem(%s) by %s: %v", hash, contactID, err)
	}
	return r
}

func normRedeemed(r storage.Redeemed) storage.Redeemed {
	r.Contact = normContact(r.Contact)
	if r.Enterprise != nil {
		e := normEnterprise(*r.Enterprise)
		r.Enterprise = &e
	}
	r.Invite = normInvite(r.Invite)
	if r.Replaced != nil {
		c := normContact(*r.Replaced)
		r.Replaced = &c
	}
	return r
}

// sameEnterpriseBut checks that binding changed nothing of the enterprise the office keeps.
func sameEnterpriseBut(t *testing.T, got, want storage.Enterprise) {
	t.Helper()
	got.LiaisonID, want.LiaisonID = "", ""
	got.UpdatedAt, want.UpdatedAt = time.Time{}, time.Time{}
	same(t, "enterprise after binding, but for its liaison", got, want, normEnterprise)
}

func testRoles(t *testing.T, s storage.Store) {
	mustPutEnterprise(t, s, sampleEnterprise("E1"))
	tests := []struct {
		name string
		inv  storage.Invite
	}{
		{"helper", storage.Invite{Role: storage.RoleHelper, EnterpriseIDs: []string{"E1", "E2", "E3"}}},
		{"county office", storage.Invite{Role: storage.RoleCounty, Region: "盐湖区"}},
		{"city office", storage.Invite{Role: storage.RoleCityOffice}},
		{"liaison", storage.Invite{Role: storage.RoleLiaison, EnterpriseID: "E1"}},
		{"helper again", storage.Invite{Role: storage.RoleHelper, EnterpriseIDs: []string{"E4"}}},
	}
	// One contact goes through every role, so each binding must also drop the scope of the
	// one before.
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			inv := tc.inv
			inv.Hash = "h-" + tc.name
			inv.CreatedBy = "c-office"
			inv.CreatedAt = at(i)
			inv.ExpiresAt = at(i + 60)
			mustPutInvite(t, s, inv)
			now := at(i + 1)
			got, err := s.Redeem(t.Context(), inv.Hash, storage.Contact{ID: "c-1", Name: "李四"}, now, nil)
			if err != nil {
				t.Fatalf("Redeem: %v", err)
			}
			want := storage.Contact{
				ID:            "c-1",
				Name:          "李四",
				Role:          inv.Role,
				EnterpriseID:  inv.EnterpriseID,
				EnterpriseIDs: inv.EnterpriseIDs,
				Region:        inv.Region,
				BoundAt:       now,
			}
			same(t, "Redeemed.Contact", got.Contact, want, normContact)
			same(t, "Contact", mustContact(t, s, "c-1"), want, normContact)
			if got.Invite.UsedBy != "c-1" || !got.Invite.UsedAt.Equal(now) {
				t.Errorf("Redeemed.Invite used by %q at %v, want c-1 at %v", got.Invite.UsedBy, got.Invite.UsedAt, now)
			}
		})
	}
}

func testHandover(t *testing.T, s storage.Store) {
	ent := sampleEnterprise("E1")
	mustPutEnterprise(t, s, ent)
	mustPutEnterprise(t, s, sampleEnterprise("E2"))
	mustPutInvite(t, s, liaisonInvite("h1", "E1", at(0)))
	mustPutInvite(t, s, liaisonInvite("h2", "E1", at(0)))
	mustPutInvite(t, s, liaisonInvite("h3", "E2", at(0)))
	mustRedeem(t, s, "h1", "c-old", at(1))
	mustRedeem(t, s, "h3", "c-other", at(1))

	now := at(2)
	got := mustRedeem(t, s, "h2", "c-new", now)
	if got.Replaced == nil {
		t.Fatal("Redeemed.Replaced nil on a handover")
	}
	if got.Replaced.ID != "c-old" {
		t.Errorf("Redeemed.Replaced is %q, want c-old", got.Replaced.ID)
	}
	old := mustContact(t, s, "c-old")
	if old.Role != storage.RoleNone || old.EnterpriseID != "" || len(old.EnterpriseIDs) != 0 || old.Region != "" {
		t.Errorf("replaced liaison still bound: %+v", old)
	}
	after := mustEnterprise(t, s, "E1")
	if after.LiaisonID != "c-new" {
		t.Errorf("LiaisonID %q after handover, want c-new", after.LiaisonID)
	}
	sameEnterpriseBut(t, after, ent)
	if c := mustContact(t, s, "c-new"); c.Role != storage.RoleLiaison || c.EnterpriseID != "E1" || !c.BoundAt.Equal(now) {
		t.Errorf("new liaison: %+v", c)
	}
	if id := mustEnterprise(t, s, "E2").LiaisonID; id != "c-other" {
		t.Errorf("another enterprise's LiaisonID changed to %q", id)
	}
	if c := mustContact(t, s, "c-other"); c.Role != storage.RoleLiaison || c.EnterpriseID != "E2" {
		t.Errorf("another enterprise's liaison changed: %+v", c)
	}
}
