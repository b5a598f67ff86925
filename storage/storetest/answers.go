package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"innobot/storage"
)

// RunAnswers checks, on a store that has everything, that each write made for a message
// stores the message's answer (its id handled, its messages queued) in the same write, and
// nothing when the message was handled before; and LoadTurn. newStore is called once per
// subtest, as for Run.
func RunAnswers(t *testing.T, newStore func(t *testing.T) FullStore) {
	t.Helper()
	runGroups(t, newStore, []group[FullStore]{
		{"Answer", answerTests},
		{"LoadTurn", loadTurnTests},
	})
}

// reply is an answer's message to a contact.
func reply(id, to, text string) storage.OutboxMessage {
	return storage.OutboxMessage{ID: id, Account: "bot-1", To: to, Text: text, Source: "reply", QueuedAt: at(5)}
}

// answerOf is the answer of message id: one reply, queued under the message id.
func answerOf(id string) storage.Answer {
	return storage.Answer{MessageID: id, At: at(5), Messages: []storage.OutboxMessage{reply("reply:"+id, "c-1", "answer to "+id)}}
}

// pendingIDs lists the ids of the messages pending for bot-1.
func pendingIDs(t *testing.T, s FullStore) []string {
	t.Helper()
	return messageIDs(mustPending(t, s, "bot-1", 100))
}

// answeredWrites are the writes made for a message, each given the answer to carry, on a
// store prepared by setup.
var answeredWrites = []struct {
	name  string
	write func(t *testing.T, s FullStore, a storage.Answer) error
	// changed reports whether the write's own change is stored.
	changed func(t *testing.T, s FullStore) bool
}{
	{"CommitTurn", func(t *testing.T, s FullStore, a storage.Answer) error {
		tr := turn(a.MessageID, "c-1", 0)
		tr.Answer = a
		return s.CommitTurn(t.Context(), tr)
	}, func(t *testing.T, s FullStore) bool { return mustSession(t, s, "c-1").Version == 1 }},
	{"Answer", func(t *testing.T, s FullStore, a storage.Answer) error {
		return s.Answer(t.Context(), a)
	}, nil},
	{"Redeem", func(t *testing.T, s FullStore, a storage.Answer) error {
		_, err := s.Redeem(t.Context(), "h-E2", storage.Contact{ID: "c-1"}, at(4), func(storage.Redeemed) (storage.Answer, *storage.Session) { return a, nil })
		return err
	}, func(t *testing.T, s FullStore) bool { return mustEnterprise(t, s, "E2").LiaisonID == "c-1" }},
	{"Unbind", func(t *testing.T, s FullStore, a storage.Answer) error {
		_, err := s.Unbind(t.Context(), "c-1", a)
		return err
	}, func(t *testing.T, s FullStore) bool { return mustContact(t, s, "c-1").Role == storage.RoleNone }},
	{"PutGroup", func(t *testing.T, s FullStore, a storage.Answer) error {
		return s.PutGroup(t.Context(), sampleGroup("g-1", "盐湖区"), a)
	}, func(t *testing.T, s FullStore) bool {
		_, err := s.Group(t.Context(), "g-1")
		return err == nil
	}},
	{"PutInvite", func(t *testing.T, s FullStore, a storage.Answer) error {
		return s.PutInvite(t.Context(), liaisonInvite("h-new", "E1", at(4)), nil, a)
	}, func(t *testing.T, s FullStore) bool {
		_, err := s.Redeem(t.Context(), "h-new", storage.Contact{ID: "c-probe"}, at(4), nil)
		return !errors.Is(err, storage.ErrInviteUnknown)
	}},
	{"AddBindFailure", func(t *testing.T, s FullStore, a storage.Answer) error {
		return s.AddBindFailure(t.Context(), "c-1", at(4), a)
	}, func(t *testing.T, s FullStore) bool { return mustBindFailures(t, s, "c-1", at(0)) == 1 }},
	{"SetContactDetails", func(t *testing.T, s FullStore, a storage.Answer) error {
		_, err := s.SetContactDetails(t.Context(), "c-1", "张三", "13912345678", a)
		return err
	}, func(t *testing.T, s FullStore) bool { return mustContact(t, s, "c-1").Mobile == "13912345678" }},
	{"PutMonthlyNote", func(t *testing.T, s FullStore, a storage.Answer) error {
		return s.PutMonthlyNote(t.Context(), sampleNote("2026-11", "盐湖区"), a)
	}, func(t *testing.T, s FullStore) bool {
		notes, err := s.MonthlyNotes(t.Context(), "2026-11")
		if err != nil {
			t.Fatal(err)
		}
		return len(notes) == 1
	}},
}

// inviteOf returns the stored code of a hash.
func inviteOf(t *testing.T, s FullStore, hash string) storage.Invite {
	t.Helper()
	all, err := s.Invites(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, inv := range all {
		if inv.Hash == hash {
			return inv
		}
	}
	t.Fatalf("no code %s", hash)
	return storage.Invite{}
}

// setupAnswers binds c-1 as E1's liaison and leaves a code for E2.
func setupAnswers(t *testing.T, s FullStore) {
	mustPutEnterprise(t, s, sampleEnterprise("E1"))
	mustPutEnterprise(t, s, sampleEnterprise("E2"))
	mustPutInvite(t, s, liaisonInvite("h-E1", "E1", at(0)))
	mustPutInvite(t, s, liaisonInvite("h-E2", "E2", at(0)))
	mustRedeem(t, s, "h-E1", "c-1", at(1))
}

var answerTests = append(writeAnswerTests(), []check[FullStore]{
	{"RefusedWriteStoresNoAnswer", func(t *testing.T, s FullStore) {
		setupAnswers(t, s)
		stale := turn("m-stale", "c-1", 3)
		stale.Answer = answerOf("m-stale")
		wantErr(t, "a stale turn", s.CommitTurn(t.Context(), stale), storage.ErrConflict)
		_, err := s.Redeem(t.Context(), "h-unknown", storage.Contact{ID: "c-1"}, at(4), func(storage.Redeemed) (storage.Answer, *storage.Session) { return answerOf("m-code"), nil })
		wantErr(t, "an unknown code", err, storage.ErrInviteUnknown)
		dup := liaisonInvite("h-E2", "E1", at(4))
		wantErr(t, "a code drawn twice", s.PutInvite(t.Context(), dup, nil, answerOf("m-dup")), storage.ErrConflict)
		_, err = s.Unbind(t.Context(), "c-nobody", answerOf("m-unbind"))
		wantErr(t, "unbinding nobody", err, storage.ErrNotFound)
		for _, id := range []string{"m-stale", "m-code", "m-dup", "m-unbind"} {
			if mustHandled(t, s, id) {
				t.Errorf("%s handled by a refused write", id)
			}
		}
		if got := pendingIDs(t, s); len(got) != 0 {
			t.Errorf("refused writes queued %q", got)
		}
	}},
	{"PutInviteRevokesTheCodesItReplaces", func(t *testing.T, s FullStore) {
		setupAnswers(t, s) // h-E1 used by c-1, h-E2 live
		mustPutInvite(t, s, liaisonInvite("h-E2b", "E2", at(2)))
		// A code drawn twice revokes nothing.
		dup := liaisonInvite("h-E2b", "E2", at(3))
		wantErr(t, "a code drawn twice", s.PutInvite(t.Context(), dup, []string{"h-E2"}, answerOf("m-dup")), storage.ErrConflict)
		if inv := inviteOf(t, s, "h-E2"); !inv.RevokedAt.IsZero() {
			t.Errorf("a refused PutInvite revoked h-E2: %+v", inv)
		}
		// The new code, the live older ones revoked at its time, and the answer: one write.
		newest := liaisonInvite("h-E2c", "E2", at(4))
		if err := s.PutInvite(t.Context(), newest, []string{"h-E2", "h-E2b", "h-E1", "h-unknown"}, answerOf("m-invite")); err != nil {
			t.Fatal(err)
		}
		for _, h := range []string{"h-E2", "h-E2b"} {
			if inv := inviteOf(t, s, h); !inv.RevokedAt.Equal(at(4)) {
				t.Errorf("%s after a newer code: revoked at %v, want %v", h, inv.RevokedAt, at(4))
			}
		}
		if inv := inviteOf(t, s, "h-E1"); !inv.RevokedAt.IsZero() || inv.UsedBy != "c-1" {
			t.Errorf("a used code was revoked: %+v", inv)
		}
		if inv := inviteOf(t, s, "h-E2c"); inv.UsedBy != "" || !inv.RevokedAt.IsZero() {
			t.Errorf("the new code: %+v", inv)
		}
		if !mustHandled(t, s, "m-invite") || mustHandled(t, s, "m-dup") {
			t.Error("the answer was not stored with the new code alone")
		}
		// The message delivered again writes nothing: its code stands, no other is revoked.
		again := liaisonInvite("h-E2d", "E2", at(5))
		if err := s.PutInvite(t.Context(), again, []string{"h-E2c"}, answerOf("m-invite")); err != nil {
			t.Fatal(err)
		}
		if inv := inviteOf(t, s, "h-E2c"); !inv.RevokedAt.IsZero() {
			t.Errorf("the message delivered again revoked its own code: %+v", inv)
		}
	}},
	{"RedeemAnswersWhatTheBindingDid", func(t *testing.T, s FullStore) {
		setupAnswers(t, s)
		// c-2 takes E1 over from c-1: the answer is made from the binding as written, with
		// the enterprise and the liaison replaced.
		mustPutInvite(t, s, liaisonInvite("h-E1b", "E1", at(2)))
		// c-2 talked to the bot before: their session is at version 1.
		if err := s.CommitTurn(t.Context(), turn("m-hello", "c-2", 0)); err != nil {
			t.Fatal(err)
		}
		var seen storage.Redeemed
		r, err := s.Redeem(t.Context(), "h-E1b", storage.Contact{ID: "c-2"}, at(3), func(r storage.Redeemed) (storage.Answer, *storage.Session) {
			seen = r
			a := storage.Answer{MessageID: "m-bind", At: at(3), Messages: []storage.OutboxMessage{reply("reply:m-bind", "c-2", "绑定成功")}}
			if r.Replaced != nil {
				a.Messages = append(a.Messages, reply("reply:m-bind:notice", r.Replaced.ID, "您不再负责"))
			}
			// The session the binding leaves c-2 in, written with it whatever its version.
			return a, &storage.Session{ContactID: "c-2", Version: 99, State: "contact", EnterpriseID: "E1", UpdatedAt: at(3)}
		})
		if err != nil {
			t.Fatal(err)
		}
		if sess, err := s.Session(t.Context(), "c-2"); err != nil || sess.Version != 2 || sess.State != "contact" || sess.EnterpriseID != "E1" {
			t.Errorf("session after the binding: %+v (%v), want version 2 in state contact for E1", sess, err)
		}
		wantErr(t, "a turn read before the binding", s.CommitTurn(t.Context(), turn("m-late", "c-2", 1)), storage.ErrConflict)
		same(t, "what answer saw", normRedeemed(seen), normRedeemed(r), ident)
		if r.Enterprise == nil || r.Enterprise.ID != "E1" || r.Enterprise.LiaisonID != "c-2" || r.Replaced == nil || r.Replaced.ID != "c-1" {
			t.Fatalf("Redeemed = %s, want E1 bound to c-2, replacing c-1", show(r))
		}
		msgs := mustPending(t, s, "bot-1", 10)
		if got := messageIDs(msgs); !slices.Equal(got, []string{"reply:m-bind", "reply:m-bind:notice"}) || msgs[1].To != "c-1" {
			t.Errorf("queued %s, want the reply and the notice to c-1", show(msgs))
		}
	}},
	{"ForgottenOnceSent", func(t *testing.T, s FullStore) {
		// A reply (Forget) is pending until sent, then gone: no record of the send. One given
		// up is kept with the failures.
		code := reply("reply:m-code", "c-1", "邀请码：K7WQM3PA")
		lost := reply("reply:m-lost", "c-9", "您好")
		code.Forget, lost.Forget = true, true
		if err := s.Answer(t.Context(), storage.Answer{MessageID: "m-code", At: at(5), Messages: []storage.OutboxMessage{code, lost}}); err != nil {
			t.Fatal(err)
		}
		if got := mustPending(t, s, "bot-1", 10); len(got) != 2 || got[0].Text != code.Text || !got[0].Forget {
			t.Fatalf("pending %s, want both replies until they are sent", show(got))
		}
		mustMarkSent(t, s, "reply:m-code", at(6), "")
		if err := s.MarkFailed(t.Context(), "reply:m-lost", at(6), "unreachable"); err != nil {
			t.Fatal(err)
		}
		if got := mustSent(t, s, at(0)); len(got) != 0 {
			t.Errorf("sent %s, want the reply forgotten", show(got))
		}
		if got := mustPending(t, s, "bot-1", 10); len(got) != 0 {
			t.Errorf("pending %s after the sends", show(got))
		}
		failed, err := s.Failed(t.Context(), at(0))
		if err != nil || len(failed) != 1 || failed[0].ID != "reply:m-lost" {
			t.Errorf("failed %s, %v; want the reply given up", show(failed), err)
		}
		// Answered again (a write retried): the reply stays forgotten, the message handled.
		if err := s.Answer(t.Context(), storage.Answer{MessageID: "m-code", At: at(5), Messages: []storage.OutboxMessage{code}}); err != nil {
			t.Fatal(err)
		}
		if got := mustPending(t, s, "bot-1", 10); len(got) != 0 {
			t.Errorf("pending %s after the answer came again", show(got))
		}
	}},
}...)

// writeAnswerTests checks each of answeredWrites: its answer is stored with it, and a write
// for a message handled before writes nothing.
func writeAnswerTests() []check[FullStore] {
	var out []check[FullStore]
	for _, w := range answeredWrites {
		out = append(out, check[FullStore]{"StoredWith" + w.name, func(t *testing.T, s FullStore) {
			setupAnswers(t, s)
			id := "m-" + w.name
			if err := w.write(t, s, answerOf(id)); err != nil {
				t.Fatalf("%s: %v", w.name, err)
			}
			if !mustHandled(t, s, id) {
				t.Errorf("%s did not mark its message handled", w.name)
			}
			if got := pendingIDs(t, s); !slices.Equal(got, []string{"reply:" + id}) {
				t.Errorf("%s queued %q, want its answer's reply", w.name, got)
			}
			if w.changed != nil && !w.changed(t, s) {
				t.Errorf("%s's own change is missing", w.name)
			}
		}}, check[FullStore]{"HandledBefore" + w.name, func(t *testing.T, s FullStore) {
			setupAnswers(t, s)
			if err := s.Answer(t.Context(), answerOf("m-1")); err != nil {
				t.Fatal(err)
			}
			again := answerOf("m-1")
			again.Messages[0].ID = "reply:m-1:again"
			if err := w.write(t, s, again); err != nil {
				t.Fatalf("%s of a message handled before: %v, want nil", w.name, err)
			}
			if got := pendingIDs(t, s); !slices.Equal(got, []string{"reply:m-1"}) {
				t.Errorf("%s of a message handled before queued %q, want only the first answer", w.name, got)
			}
			if w.changed != nil && w.changed(t, s) {
				t.Errorf("%s of a message handled before changed the store", w.name)
			}
		}})
	}
	return out
}

var loadTurnTests = []check[FullStore]{
	{"Liaison", func(t *testing.T, s FullStore) {
		ctx := t.Context()
		setupAnswers(t, s)
		// E1's history: 2026-09 v1, 2026-10 v1 and v2, 2026-12 v1; drafts of 2026-10 and
		// 2026-11. E10, whose id extends E1's, has its own.
		version := int64(0)
		commit := func(sub *storage.Submission, d *storage.Draft) {
			t.Helper()
			tr := turn(fmt.Sprint("m-", version), "c-other", version)
			tr.Submission, tr.Draft = sub, d
			mustCommit(t, s, tr)
			version++
		}
		var subs []storage.Submission
		for _, k := range []struct {
			p string
			v int
		}{{"2026-09", 1}, {"2026-10", 1}, {"2026-10", 2}, {"2026-12", 1}} {
			sub := sampleSubmission("E1", k.p, k.v)
			subs = append(subs, sub)
			commit(&sub, nil)
		}
		other := sampleSubmission("E10", "2027-01", 1)
		commit(&other, nil)
		d10, d11 := sampleDraft("E1", "2026-10", "c-1"), sampleDraft("E1", "2026-11", "c-1")
		commit(nil, &d10)
		commit(nil, &d11)
		otherDraft := sampleDraft("E10", "2026-11", "c-9")
		commit(nil, &otherDraft)
		sess := turn("m-sess", "c-1", 0)
		mustCommit(t, s, sess)

		st, err := s.LoadTurn(ctx, "c-1", "m-new")
		if err != nil {
			t.Fatal(err)
		}
		want := storage.TurnState{
			Contact:    mustContact(t, s, "c-1"),
			Enterprise: mustEnterprise(t, s, "E1"),
			Session:    mustSession(t, s, "c-1"),
			Drafts:     []storage.Draft{d10, d11},
			History:    []storage.Submission{subs[2], subs[3]},
		}
		same(t, "LoadTurn of a liaison", st, want, normTurnState)

		st, err = s.LoadTurn(ctx, "c-1", "m-sess")
		if err != nil {
			t.Fatal(err)
		}
		same(t, "LoadTurn of a message handled", st, storage.TurnState{Handled: true, Session: storage.Session{ContactID: "c-1"}}, normTurnState)
	}},
	{"Others", func(t *testing.T, s FullStore) {
		ctx := t.Context()
		setupAnswers(t, s)
		d := sampleDraft("E1", "2026-11", "c-1")
		tr := turn("m1", "c-1", 0)
		tr.Draft = &d
		mustCommit(t, s, tr)

		st, err := s.LoadTurn(ctx, "c-stranger", "")
		if err != nil {
			t.Fatal(err)
		}
		same(t, "LoadTurn of a stranger", st, storage.TurnState{Session: storage.Session{ContactID: "c-stranger"}}, normTurnState)

		county := sampleInvite("h-county", storage.RoleCounty, at(0))
		county.Region = "盐湖区"
		mustPutInvite(t, s, county)
		mustRedeem(t, s, "h-county", "c-county", at(1))
		st, err = s.LoadTurn(ctx, "c-county", "m2")
		if err != nil {
			t.Fatal(err)
		}
		same(t, "LoadTurn of a county clerk", st,
			storage.TurnState{Contact: mustContact(t, s, "c-county"), Session: storage.Session{ContactID: "c-county"}}, normTurnState)

		// A replaced liaison keeps a session, but no enterprise: nothing of E1 is loaded.
		mustPutInvite(t, s, liaisonInvite("h-E1b", "E1", at(2)))
		mustRedeem(t, s, "h-E1b", "c-2", at(3))
		st, err = s.LoadTurn(ctx, "c-1", "m3")
		if err != nil {
			t.Fatal(err)
		}
		same(t, "LoadTurn of a replaced liaison", st,
			storage.TurnState{Contact: mustContact(t, s, "c-1"), Session: mustSession(t, s, "c-1")}, normTurnState)
	}},
}

func normTurnState(st storage.TurnState) storage.TurnState {
	st.Contact = normContact(st.Contact)
	st.Enterprise = normEnterprise(st.Enterprise)
	st.Session = normSession(st.Session)
	st.Drafts = normAll(st.Drafts, normDraft)
	st.History = normSubmissions(st.History)
	return st
}
