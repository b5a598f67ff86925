package assistant_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"innobot/assistant"
	"innobot/bot"
	"innobot/bot/bottest"
	"innobot/invite"
	"innobot/storage"
	"innobot/storage/bolt"
)

// issue makes a code of any role with the env's key.
func (e *env) issue(inv storage.Invite) string {
	e.t.Helper()
	code, err := assistant.IssueInvite(e.t.Context(), e.store, e.svc.Key, inv, e.clock.Now(), 7*24*time.Hour, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return code
}

// guess returns a code of the right shape that is not a live one (one in 8.5×10¹¹ would be).
func guess(t *testing.T) string {
	t.Helper()
	code, err := invite.New()
	if err != nil {
		t.Fatal(err)
	}
	return code
}

func (e *env) auditOf(action string) []storage.AuditEntry {
	e.t.Helper()
	log, err := e.store.AuditLog(e.t.Context(), time.Time{})
	if err != nil {
		e.t.Fatal(err)
	}
	var out []storage.AuditEntry
	for _, a := range log {
		if a.Action == action {
			out = append(out, a)
		}
	}
	return out
}

// One contact: 5 wrong codes per 15 minutes, and 10 within a day bar it for 24 hours, during
// which even a right code is not looked at.
func TestBindLimitsPerContact(t *testing.T) {
	e := newEnv(t)
	code := e.invite("E1")
	for i := range 5 {
		if w := e.say("路人", "绑定 "+guess(t)); w.lacks("邀请码不正确") {
			t.Fatalf("wrong code %d: %s", i+1, w)
		}
	}
	if w := e.say("路人", "绑定 "+code); w.lacks("15 分钟后再试") {
		t.Fatalf("a sixth code within 15 minutes: %s", w)
	}
	e.clock.Add(16 * time.Minute)
	for i := range 4 {
		if w := e.say("路人", "绑定 "+guess(t)); w.lacks("邀请码不正确") || w.has("暂停") {
			t.Fatalf("wrong code %d after the pause: %s", i+6, w)
		}
	}
	if w := e.say("路人", "绑定 "+guess(t)); w.lacks("邀请码不正确") || w.lacks("暂停 24 小时") {
		t.Fatalf("the tenth wrong code: %s", w)
	}
	if locks := e.auditOf("bind_lock"); len(locks) != 1 || !strings.Contains(locks[0].Target, "路人") {
		t.Errorf("the lock is not audited with the contact: %+v", locks)
	}
	refusedBefore := len(e.auditOf("bind"))
	e.clock.Add(23 * time.Hour)
	for range 3 {
		if w := e.say("路人", "绑定 "+code); w.lacks("绑定已暂停到") || w.has("绑定成功") {
			t.Fatalf("a right code while barred: %s", w)
		}
	}
	// The first try of the day while barred is audited, with the sender; the others are not,
	// so that the log does not grow with every line a barred sender types.
	binds := e.auditOf("bind")
	if n := len(binds); n != refusedBefore+1 {
		t.Fatalf("tries while barred: %d audit entries, had %d; want one more", n, refusedBefore)
	}
	if last := binds[len(binds)-1]; last.Outcome != storage.OutcomeRefused || !strings.Contains(last.Name, "路人") || !strings.Contains(last.Detail, "暂停") {
		t.Errorf("a try while barred is audited as %+v", last)
	}
	e.clock.Add(2 * time.Hour)
	if w := e.say("路人", "绑定 "+code); w.lacks("绑定成功") {
		t.Fatalf("the right code once the day is over: %s", w)
	}
}

// The attack of issue 14: someone switches WeChat identities, a few guesses each, against the
// live codes. Past the city-wide budget every identity that guessed is barred (its next try,
// even of a live code, is not looked at), the city office is told once, and the audit names
// every identity; a liaison who never sent a wrong code binds all the while.
func TestIdentityRotationIsStoppedByTheCityBudget(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	cityCode := e.issue(storage.Invite{Role: storage.RoleCityOffice})
	if w := e.say("市办", "绑定 "+cityCode); w.lacks("绑定成功") {
		t.Fatal(w)
	}
	var live []string
	for i := range 50 {
		id := fmt.Sprintf("E%03d", 100+i)
		e.enterprise(id, fmt.Sprintf("运城某某%03d有限公司", i), "盐湖区")
		live = append(live, e.invite(id))
	}
	identity := func(i int) string { return fmt.Sprintf("wxid_attacker%03d", i) }

	// 25 identities × 4 guesses: exactly the budget (100); nobody is barred yet but by their
	// own count, and nobody is told.
	for i := range 25 {
		for range 4 {
			e.say(identity(i), "绑定 "+guess(t))
			e.clock.Add(5 * time.Second)
		}
	}
	if locks := e.auditOf("bind_lock"); len(locks) != 0 {
		t.Fatalf("locks within the budget: %+v", locks)
	}
	// The 101st wrong code, from a new identity: everyone who guessed is barred.
	if w := e.say(identity(25), "绑定 "+guess(t)); w.lacks("暂停 24 小时") {
		t.Errorf("the guess past the budget: %s", w)
	}
	for i := range 26 {
		until, err := e.store.BindingLocked(ctx, identity(i))
		if err != nil || !until.After(e.clock.Now().Add(23*time.Hour)) {
			t.Errorf("%s barred until %v, %v; want a day", identity(i), until, err)
		}
	}
	// A barred identity trying a live code: not looked at; the code stays unused.
	if w := e.say(identity(3), "绑定 "+live[7]); w.has("绑定成功") || w.lacks("绑定已暂停到") {
		t.Errorf("a barred identity sending a live code: %s", w)
	}
	// Fresh identities keep coming: each gets one look, then is barred at once.
	for i := 26; i < 60; i++ {
		if w := e.say(identity(i), "绑定 "+guess(t)); w.lacks("暂停 24 小时") {
			t.Fatalf("a fresh identity past the budget was not barred after its guess: %s", w)
		}
		if w := e.say(identity(i), "绑定 "+guess(t)); w.lacks("绑定已暂停到") {
			t.Fatalf("a barred fresh identity was looked at again: %s", w)
		}
	}
	// Meanwhile a liaison who never sent a wrong code binds.
	if w := e.say("真联络人", "绑定 "+live[7]); w.lacks("绑定成功") {
		t.Errorf("a liaison with no wrong code, during the attack: %s", w)
	}

	// The city office was told once (one message for the hour), in private, through the outbox
	// (which sends what each message queued).
	sent, err := e.store.Sent(ctx, time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	var told []storage.OutboxMessage
	for _, m := range sent {
		if m.To == "市办" && m.Source != bot.ReplySource {
			told = append(told, m)
		}
	}
	if len(told) != 1 || !strings.Contains(told[0].Text, "猜测邀请码") || !strings.Contains(told[0].Text, "innobot audit") {
		t.Errorf("the city office was told %+v, want one warning", told)
	}
	// Every identity that guessed is named in the audit.
	named := map[string]bool{}
	for _, a := range e.auditOf("bind") {
		if a.Outcome == storage.OutcomeRefused {
			named[a.Contact] = true
		}
	}
	for i := range 60 {
		if !named[identity(i)] {
			t.Errorf("%s's guesses are not in the audit", identity(i))
		}
	}
}

// Codes that were real (used, expired, revoked) and retired 6-digit ones are no guesses: many
// of them do not bar anyone else.
func TestStaleCodesAreNoGuesses(t *testing.T) {
	e := newEnv(t)
	used := e.invite("E1")
	e.say("张三", "绑定 "+used)
	for i := range 150 {
		text := "绑定 483920"
		if i%2 == 0 {
			text = "绑定 " + used
		}
		if w := e.say(fmt.Sprintf("持旧码%03d", i), text); w.has("暂停") {
			t.Fatalf("stale code %d: %s", i, w)
		}
	}
	if locks := e.auditOf("bind_lock"); len(locks) != 0 {
		t.Errorf("stale codes barred people: %+v", locks)
	}
}

// The budget counts one hour: the same number of wrong codes spread thinner bars nobody.
func TestCityBudgetIsPerHour(t *testing.T) {
	e := newEnv(t)
	for i := range 150 {
		e.say(fmt.Sprintf("手误%03d", i), "绑定 "+guess(t))
		e.clock.Add(time.Minute) // 60 an hour
	}
	if locks := e.auditOf("bind_lock"); len(locks) != 0 {
		t.Errorf("60 wrong codes an hour barred people: %+v", locks)
	}
}

// A new liaison code for an enterprise revokes its older unused ones: only the newest binds.
func TestNewLiaisonCodeRevokesOlder(t *testing.T) {
	e := newEnv(t)
	first, other := e.invite("E1"), e.invite("E2")
	second := e.invite("E1")
	if w := e.say("张三", "绑定 "+first); w.lacks("已作废") || w.has("绑定成功") {
		t.Errorf("the older code: %s", w)
	}
	if w := e.say("张三", "绑定 "+second); w.lacks("绑定成功") {
		t.Errorf("the newest code: %s", w)
	}
	if w := e.say("李四", "绑定 "+other); w.lacks("永济某某电机有限公司") {
		t.Errorf("another enterprise's code: %s", w)
	}
}

// At most MaxLiveStaffCodes unused staff codes per role and region.
func TestStaffCodesAreCapped(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	e.enterprise("E3", "盐湖某某化工有限公司", "盐湖区")
	issue := func(inv storage.Invite) (string, error) {
		return assistant.IssueInvite(ctx, e.store, e.svc.Key, inv, e.clock.Now(), 7*24*time.Hour, nil)
	}
	yanhu := storage.Invite{Role: storage.RoleCounty, Region: "盐湖区"}
	var codes []string
	for i := range assistant.MaxLiveStaffCodes {
		code, err := issue(yanhu)
		if err != nil {
			t.Fatalf("county code %d: %v", i+1, err)
		}
		codes = append(codes, code)
	}
	for _, tt := range []struct {
		name string
		inv  storage.Invite
		want error
	}{
		{"a sixth for 盐湖区", yanhu, assistant.ErrTooManyCodes},
		{"the first for 永济市", storage.Invite{Role: storage.RoleCounty, Region: "永济市"}, nil},
		{"a helper of 盐湖区", storage.Invite{Role: storage.RoleHelper, EnterpriseIDs: []string{"E1"}}, nil},
		{"a liaison", storage.Invite{Role: storage.RoleLiaison, EnterpriseID: "E1"}, nil},
	} {
		if _, err := issue(tt.inv); !errors.Is(err, tt.want) {
			t.Errorf("%s: %v, want %v", tt.name, err, tt.want)
		}
	}
	// A code used, or expired, no longer counts.
	if w := e.say("王科长", "绑定 "+codes[0]); w.lacks("绑定成功") {
		t.Fatal(w)
	}
	if _, err := issue(yanhu); err != nil {
		t.Errorf("after one was used: %v", err)
	}
	e.clock.Add(8 * 24 * time.Hour)
	for i := range assistant.MaxLiveStaffCodes {
		if _, err := issue(yanhu); err != nil {
			t.Errorf("code %d once the others expired: %v", i+1, err)
		}
	}
	// Helpers count by their enterprises' region (the first helper code has expired).
	for i := range assistant.MaxLiveStaffCodes {
		if _, err := issue(storage.Invite{Role: storage.RoleHelper, EnterpriseIDs: []string{"E3"}}); err != nil {
			t.Fatalf("helper code %d: %v", i+1, err)
		}
	}
	if _, err := issue(storage.Invite{Role: storage.RoleHelper, EnterpriseIDs: []string{"E1", "E3"}}); !errors.Is(err, assistant.ErrTooManyCodes) {
		t.Errorf("a sixth helper code of 盐湖区: %v", err)
	}
	if _, err := issue(storage.Invite{Role: storage.RoleHelper, EnterpriseIDs: []string{"E2"}}); err != nil {
		t.Errorf("a helper code of 永济市: %v", err)
	}
}

// A new liaison tells the one replaced and the county office of the enterprise's region, and
// the audit names the enterprise, the old and the new liaison.
func TestHandoverTellsTheOldLiaisonAndTheCounty(t *testing.T) {
	e := newEnv(t)
	for who, region := range map[string]string{"盐湖县办": "盐湖区", "永济县办": "永济市"} {
		if w := e.say(who, "绑定 "+e.issue(storage.Invite{Role: storage.RoleCounty, Region: region})); w.lacks("绑定成功") {
			t.Fatal(w)
		}
	}
	e.bind("张三", "E1")
	w := e.say("李四", "绑定 "+e.invite("E1"))
	to := map[string]string{}
	for _, s := range w.sends {
		to[s.To] = s.Text
	}
	if len(to) != 2 || !strings.Contains(to["张三"], "不再负责") || !strings.Contains(to["盐湖县办"], "原 张三，新 李四") {
		t.Errorf("told %+v, want the old liaison and the 盐湖区 office", w.sends)
	}
	binds := e.auditOf("bind")
	last := binds[len(binds)-1]
	if last.Target != "【山西某某钢铁有限公司】（E1）" || !strings.Contains(last.Detail, "原 张三") || !strings.Contains(last.Detail, "新 李四") {
		t.Errorf("the handover audited as %+v", last)
	}
}

// answerFails is a bolt store whose writes of answers fail with err, as a store that went
// down does.
type answerFails struct {
	*bolt.Store
	err error
}

func (s *answerFails) Answer(ctx context.Context, a storage.Answer) error {
	if s.err != nil {
		return s.err
	}
	return s.Store.Answer(ctx, a)
}

// A refused code is counted with its answer, in one write: should the router's own write of
// an answer fail, the refusal is stored all the same, and the message delivered again
// (WeChat after a restart) is neither answered nor counted again.
func TestRefusedCodeCountsOnce(t *testing.T) {
	e := newEnv(t)
	store := &answerFails{Store: e.store, err: errors.New("disk full")}
	e.svc.Store = store
	e.h = e.svc.Handler()
	e.chat = bottest.NewChat(t, store, e.h, e.svc.Clock)
	m := bot.Message{ID: "wx-msg-1", From: "路人", Text: "绑定 " + guess(t)}
	if w := e.send(m); w.lacks("邀请码不正确") {
		t.Fatalf("first delivery: %s", w)
	}
	store.err = nil
	if w := e.send(m); !w.silent() {
		t.Errorf("the same message again was answered: %s", w)
	}
	n, err := e.store.BindFailures(context.Background(), "路人", time.Time{})
	if err != nil || n != 1 {
		t.Errorf("refused codes counted %d, %v; want 1", n, err)
	}
}
