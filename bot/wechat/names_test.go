package wechat_test

import (
	"context"
	"testing"

	"innobot/bot"
	"innobot/bot/wechat/wechattest"
)

// TestRemarkSetAfterBinding: a friend first known by nickname keeps their id when the owner
// gives them a remark, as the README advises, and when they change their nickname later.
func TestRemarkSetAfterBinding(t *testing.T) {
	h := newHarness(t)
	h.online()
	id := h.say("1", "li", "绑定 123456").From
	h.fake.Rename("li", "李四", "永济机械-李四", false) // set on the phone while the bot runs
	h.relogin()
	if got := h.say("2", "li", "填报").From; got != id {
		t.Errorf("after a remark was set: id %s, want %s", got, id)
	}
	h.fake.Rename("li", "老李", "永济机械-李四", false)
	h.relogin()
	if got := h.say("3", "li", "填报").From; got != id {
		t.Errorf("after a new nickname under the remark: id %s, want %s", got, id)
	}
}

// TestRenamesReported: renames WeChat reports during a session (ModContactList) carry the
// identity of a friend without a remark and of a group; a new group that takes the old group
// name starts unbound, and a send to the renamed group still reaches it.
func TestRenamesReported(t *testing.T) {
	h := newHarness(t)
	h.online()
	li := h.say("1", "li", "你好").From
	h.fake.Deliver(wechattest.Msg{ID: "2", From: "group", Member: "wang", Text: "大家好"})
	g := h.next().Group
	h.fake.Rename("li", "李四（永济）", "", true)
	h.fake.Rename("group", "盐湖区帮扶群（2026）", "", true)
	h.waitFor("the renames applied", func() bool { return h.logged("盐湖区帮扶群（2026）") && h.logged("李四（永济）") })
	if m := h.say("3", "li", "还是我"); m.From != li || m.FromName != "李四（永济）" {
		t.Errorf("after the rename: %+v, want id %s named 李四（永济）", m, li)
	}
	h.fake.Add(wechattest.Person{Key: "newgroup", NickName: "盐湖区帮扶群", Group: true, Members: []string{"zhang"}})
	h.relogin()
	if m := h.say("4", "li", "再试"); m.From != li {
		t.Errorf("after a re-login: %s, want %s", m.From, li)
	}
	h.fake.Deliver(wechattest.Msg{ID: "5", From: "group", Member: "wang", Text: "改名后"})
	if m := h.next(); m.Group != g || m.GroupName != "盐湖区帮扶群（2026）" {
		t.Errorf("the renamed group: %+v, want id %s", m, g)
	}
	h.fake.Deliver(wechattest.Msg{ID: "6", From: "newgroup", Member: "zhang", Text: "新群"})
	if m := h.next(); m.Group == g {
		t.Errorf("a new group with the old name got the bound group's id %s", g)
	}
	if err := h.tr.Send(context.Background(), bot.Outgoing{Group: g, Text: "通知"}); err != nil {
		t.Fatal(err)
	}
	if s := h.sent(); s.Who != "group" {
		t.Errorf("a send to the renamed group went to %+v", s)
	}
}

// TestImpostorNeverTakesABinding: a friend who copies a liaison's nickname gets an id of their
// own, during the session and after re-logins, and the liaison keeps theirs; a same-named group
// does not unbind the real one at every login.
func TestImpostorNeverTakesABinding(t *testing.T) {
	h := newHarness(t)
	h.online()
	li := h.say("1", "li", "我是联络人").From
	h.fake.Deliver(wechattest.Msg{ID: "2", From: "group", Member: "wang", Text: "hi"})
	g := h.next().Group
	h.fake.Add(
		wechattest.Person{Key: "fakeli", NickName: "李四", Province: "广东", City: "深圳", Sex: 2},
		wechattest.Person{Key: "fakegroup", NickName: "盐湖区帮扶群", Group: true, Members: []string{"fakeli"}},
	)
	if m := h.say("3", "fakeli", "我也是李四"); m.From == li {
		t.Fatalf("the impostor got the liaison's id during the session")
	}
	for round := range 3 {
		h.relogin()
		if m := h.say("li"+string(rune('a'+round)), "li", "在"); m.From != li {
			t.Errorf("round %d: the liaison got %s, want %s", round, m.From, li)
		}
		if m := h.say("fake"+string(rune('a'+round)), "fakeli", "在"); m.From == li {
			t.Errorf("round %d: the impostor got the liaison's id", round)
		}
		h.fake.Deliver(wechattest.Msg{ID: "g" + string(rune('a'+round)), From: "group", Member: "wang", Text: "hi"})
		if m := h.next(); m.Group != g {
			t.Errorf("round %d: the real group got %s, want %s", round, m.Group, g)
		}
		h.fake.Deliver(wechattest.Msg{ID: "f" + string(rune('a'+round)), From: "fakegroup", Member: "fakeli", Text: "hi"})
		if m := h.next(); m.Group == g {
			t.Errorf("round %d: the same-named group got the real group's id", round)
		}
	}
}

// TestHotLoginCarriesNickname: a friend without a remark who changed their nickname while the
// bot was away keeps their id when the hot login keeps the session's UserNames.
func TestHotLoginCarriesNickname(t *testing.T) {
	h := newHarness(t)
	h.fake.KeepUserNames(true)
	h.online()
	li := h.say("1", "li", "你好").From
	h.shutdown()
	h.fake.Rename("li", "李四（出差中）", "", false)
	h.start()
	h.waitFor("logged in", func() bool { return h.status().LoggedIn })
	if m := h.say("2", "li", "回来了"); m.From != li {
		t.Errorf("after a nickname change across a hot login: %s, want %s", m.From, li)
	}
}

// TestRetiredNameStartsUnbound: a friend gone for RetireAfter logins is retired; a new friend
// with the same nickname starts unbound.
func TestRetiredNameStartsUnbound(t *testing.T) {
	h := newHarness(t)
	h.cfg.RetireAfter = 2
	h.online()
	li := h.say("1", "li", "你好").From
	h.fake.Remove("li")
	h.relogin()
	h.relogin()
	h.fake.Add(wechattest.Person{Key: "li2", NickName: "李四", Province: "山西", City: "运城", Sex: 1})
	h.relogin()
	if m := h.say("2", "li2", "我是新来的李四"); m.From == li {
		t.Errorf("a new friend with a retired name got its id %s", li)
	}
}

// TestPagedContacts: a contact list served in pages is read whole, so a friend on the last
// page can be sent to before writing.
func TestPagedContacts(t *testing.T) {
	h := newHarness(t)
	h.fake.PageSize(1)
	h.online()
	id := h.say("1", "li", "你好").From // li is on the second page
	h.relogin()
	if err := h.tr.Send(context.Background(), bot.Outgoing{To: id, Text: "提醒"}); err != nil {
		t.Fatalf("send to a friend of the second page: %v", err)
	}
	if s := h.sent(); s.Who != "li" {
		t.Errorf("sent to %+v", s)
	}
}
