package bot_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"innobot/bot"
	"innobot/invite"
	"innobot/storage"
)

// issue makes a code of any role with the env's key.
func (e *env) issue(inv storage.Invite) string {
	e.t.Helper()
	code, err := bot.IssueInvite(e.t.Context(), e.store, e.svc.Key, inv, e.clock.Now(), 7*24*time.Hour)
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
	if w := e.say("路人", "绑定 "+code); w.lacks("绑定已暂停到") || w.has("绑定成功") {
		t.Fatalf("a right code while barred: %s", w)
	}
	if n := len(e.auditOf("bind")); n != refusedBefore {
		t.Errorf("attempts while barred are audited one by one: %d entries, had %d", n, refusedBefore)
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
	for range 50 {
		live = append(live, e.invite("E1"))
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

	// The city office was told once (one message for the hour), in private, through the outbox.
	pending, err := e.store.Pending(ctx, "", 100)
	if err != nil {
		t.Fatal(err)
	}
	var told []storage.OutboxMessage
	for _, m := range pending {
		if m.To == "市办" {
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
