package wechat

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"innobot/storage"
	"innobot/storage/bolt"
)

// rulesEnv is a directory over a bolt store, reopened at will as a restart would.
type rulesEnv struct {
	t     *testing.T
	store *bolt.Store
	now   time.Time
	d     *directory
}

func newRulesEnv(t *testing.T) *rulesEnv {
	t.Helper()
	store, err := bolt.Open(filepath.Join(t.TempDir(), "innobot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close() })
	e := &rulesEnv{t: t, store: store, now: time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC)}
	e.reopen()
	return e
}

// reopen saves and loads the directory again, as after a restart.
func (e *rulesEnv) reopen() {
	e.t.Helper()
	if e.d != nil {
		if err := e.d.save(context.Background()); err != nil {
			e.t.Fatal(err)
		}
	}
	d, err := newDirectory(context.Background(), e.store, "bot-1", func() time.Time { return e.now }, 3)
	if err != nil {
		e.t.Fatal(err)
	}
	e.d = d
}

// login assigns ids to a full listing and saves, as a login does.
func (e *rulesEnv) login(peers ...peer) []assigned {
	e.t.Helper()
	e.now = e.now.Add(24 * time.Hour)
	ids := e.d.listing(peers, true)
	if err := e.d.save(context.Background()); err != nil {
		e.t.Fatal(err)
	}
	return ids
}

func contact(userName, remark, nick, profile string) peer {
	return peer{kind: KindContact, userName: userName, remark: remark, nick: nick, profile: profile}
}

func group(userName, nick string, members ...string) peer {
	return peer{kind: KindGroup, userName: userName, nick: nick, profile: groupProfile(members)}
}

func TestIdentityRules(t *testing.T) {
	e := newRulesEnv(t)
	zhang := contact("@z1", "盐湖钢铁-张三", "张三", "p-zhang")
	li := contact("@l1", "", "李四", "p-li")
	g := group("@@g1", "盐湖区帮扶群", "张三", "王五", "赵六", "钱七")
	first := e.login(zhang, li, g)
	for i, a := range first {
		if !a.stable {
			t.Fatalf("first login: peer %d got a fresh id %+v", i, a)
		}
	}
	Z, L, G := first[0].id, first[1].id, first[2].id

	// A restart and a re-login with new UserNames: the same names get the same ids.
	e.reopen()
	zhang.userName, li.userName, g.userName = "@z2", "@l2", "@@g2"
	if got := e.login(g, zhang, li); got[0].id != G || got[1].id != Z || got[2].id != L {
		t.Errorf("re-login ids %+v, want %s %s %s", got, G, Z, L)
	}

	// A remark set after binding keeps the id; so does a new nickname under a unique remark.
	li.userName, li.remark = "@l3", "永济机械-李四"
	zhang.userName, zhang.nick = "@z3", "张三丰"
	if got := e.login(zhang, li, g); got[0].id != Z || got[1].id != L {
		t.Errorf("after a remark was set and a nickname changed: %+v, want %s %s", got, Z, L)
	}
	li.remark = "" // the remark taken off again: known by its nickname only if unique
	li.userName = "@l4"

	// An impostor copies 李四's nickname (no remark, another profile): the profile tells
	// them apart, now and at later logins, and the impostor never gets the id.
	imp := contact("@i4", "", "李四", "p-impostor")
	got := e.login(zhang, li, g, imp)
	if got[1].id != L || got[3].id == L || got[3].stable {
		t.Errorf("with an impostor: 李四 %+v, impostor %+v; want 李四 to keep %s and the impostor a fresh id", got[1], got[3], L)
	}
	li.userName, imp.userName = "@l5", "@i5"
	got = e.login(imp, zhang, g, li)
	if got[3].id != L || got[0].id == L {
		t.Errorf("next login with the impostor first: %+v", got)
	}
	// The real 李四 leaves; the impostor alone never takes the contested id.
	imp.userName = "@i6"
	if got := e.login(imp, zhang, g); got[0].id == L {
		t.Errorf("the impostor took the id once alone: %+v", got[0])
	}

	// Identical twins (same names, same profile): neither gets the id, and it is kept.
	e.reopen()
	twin := contact("@t7", "盐湖钢铁-张三", "张三丰", "p-zhang")
	zhang.userName = "@z7"
	got = e.login(zhang, twin, g)
	if got[0].id == Z || got[1].id == Z || got[0].stable || got[1].stable {
		t.Errorf("two friends with one remark: %+v, want both fresh", got[:2])
	}
	if r, ok := e.d.get(Z); !ok || r.Retired {
		t.Errorf("the record of the shared remark was wiped: %+v %v", r, ok)
	}

	// A same-named group with other members: the real group keeps its id.
	fake := group("@@f8", "盐湖区帮扶群", "路人甲", "路人乙", "路人丙")
	g.userName, zhang.userName = "@@g8", "@z8"
	got = e.login(fake, g, zhang)
	if got[1].id != G || got[0].id == G {
		t.Errorf("same-named groups: real %+v, other %+v; want the real one to keep %s", got[1], got[0], G)
	}
	// The real group renames while the bot is away, and another group takes the old name:
	// its members differ, so it does not take the binding.
	g.userName, g.nick = "@@g9", "盐湖区帮扶群（旧）"
	fake.userName = "@@f9"
	zhang.userName = "@z9"
	if got := e.login(g, fake, zhang); got[1].id == G {
		t.Errorf("a new group with the old name took the binding: %+v", got[1])
	}
}

// TestIdentityRenames: renames WeChat reports move the holder's record; a new group that takes
// the old name starts unbound.
func TestIdentityRenames(t *testing.T) {
	e := newRulesEnv(t)
	g := group("@@g1", "盐湖区帮扶群", "a", "b")
	li := contact("@l1", "", "李四", "p-li")
	got := e.login(g, li)
	G, L := got[0].id, got[1].id
	e.d.renamed(G, peer{kind: KindGroup, userName: "@@g1", nick: "盐湖区帮扶群（2026）"})
	e.d.renamed(L, peer{kind: KindContact, userName: "@l1", nick: "李四（永济）", profile: "p-li"})
	e.reopen()
	newcomer := group("@@n2", "盐湖区帮扶群")
	g.userName, g.nick, li.userName, li.nick = "@@g2", "盐湖区帮扶群（2026）", "@l2", "李四（永济）"
	got = e.login(newcomer, g, li)
	if got[1].id != G || got[2].id != L {
		t.Errorf("renamed group and friend: %+v, want %s %s", got[1:], G, L)
	}
	if got[0].id == G {
		t.Errorf("a new group with the old name got the renamed group's id")
	}
}

// TestIdentityRetirement: a holder missing from RetireAfter listings in a row has its record
// retired; someone new with its names starts unbound, and the old id is never handed out.
func TestIdentityRetirement(t *testing.T) {
	e := newRulesEnv(t)
	wang := contact("@w1", "", "王五", "p")
	other := contact("@o1", "", "赵六", "q")
	W := e.login(wang, other)[0].id
	e.login(other) // one miss
	e.login(other) // two
	if got := e.login(wang, other); got[0].id != W {
		t.Errorf("back after two missed logins: %+v, want %s", got[0], W)
	}
	for range 3 {
		e.login(other)
	}
	if r, _ := e.d.get(W); !r.Retired {
		t.Fatalf("record after three missed logins: %+v, want retired", r)
	}
	newcomer := contact("@n5", "", "王五", "p")
	if got := e.login(newcomer, other); got[0].id == W || !got[0].stable {
		t.Errorf("a new holder of a retired name: %+v, want a new stable id", got[0])
	}
	// An incomplete listing (contacts failed) counts nobody missing.
	e.d.listing([]peer{other}, false)
	if r, _ := e.d.get(e.login(newcomer, other)[0].id); r.Misses != 0 {
		t.Errorf("an incomplete listing counted a miss: %+v", r)
	}
}

// TestIdentitySession: met during a session, a newcomer with a held record's names is an
// impostor: fresh id, and the record becomes contested; its holder keeps it.
func TestIdentitySession(t *testing.T) {
	e := newRulesEnv(t)
	li := contact("@l1", "", "李四", "p-li")
	L := e.login(li)[0].id
	held := map[string]string{L: "@l1"}
	if a := e.d.one(contact("@x1", "", "李四", "p-x"), held); a.id == L || a.stable {
		t.Errorf("a newcomer with 李四's names got %+v", a)
	}
	// One whose profile WeChat shows alike (same sex and region) is told apart by the
	// UserName that holds the record in this session alone.
	if a := e.d.one(contact("@x2", "", "李四", "p-li"), held); a.id == L || a.stable {
		t.Errorf("a newcomer with 李四's names and profile got %+v", a)
	}
	if r, _ := e.d.get(L); !r.Contested {
		t.Errorf("the record after an impostor showed up: %+v, want contested", r)
	}
	if a := e.d.one(li, held); a.id != L {
		t.Errorf("the holder itself met again: %+v", a)
	}
	// A member of a group known only within it; twins within one group are fresh.
	m := e.d.one(peer{kind: KindMember, scope: "wxg-1", userName: "@m1", nick: "王五"}, nil)
	if !m.stable {
		t.Errorf("a group member got %+v", m)
	}
	if a := e.d.one(peer{kind: KindMember, scope: "wxg-fresh", userName: "@m2", nick: "王五", ephemeralScope: true}, nil); a.stable {
		t.Errorf("a member of an unsure group got a kept id %+v", a)
	}
}

// TestAccountPin: the first login's account is pinned; another pin retires every record.
func TestAccountPin(t *testing.T) {
	e := newRulesEnv(t)
	e.d.pin("123", "机器人", false)
	L := e.login(contact("@l1", "", "李四", "p"))[0].id
	e.reopen()
	if r := e.d.accountRecord(); r == nil || r.Uin != "123" {
		t.Fatalf("pinned account after a restart: %+v", r)
	}
	e.d.pin("456", "新号", true)
	if r, _ := e.d.get(L); !r.Retired {
		t.Errorf("a contact of the old account after moving to another: %+v, want retired", r)
	}
	if r := e.d.accountRecord(); r == nil || r.Uin != "456" {
		t.Errorf("pinned account after the move: %+v", r)
	}
}

// TestLegacyIdentities: the side file of earlier versions moves into the store once, and its
// ids keep working.
func TestLegacyIdentities(t *testing.T) {
	e := newRulesEnv(t)
	path := filepath.Join(t.TempDir(), LegacyIdentitiesName)
	doc := `{"identities":[{"id":"wxc-old1","kind":"contact","account":"123","remark_name":"盐湖钢铁-张三","nick_name":"张三","first_seen":"2026-10-01T00:00:00Z","last_seen":"2026-10-02T00:00:00Z"},
{"id":"wxc-old2","kind":"contact","account":"123","nick_name":"李四","ambiguous":true,"first_seen":"2026-10-01T00:00:00Z","last_seen":"2026-10-02T00:00:00Z"}]}`
	if err := os.WriteFile(path, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	n, err := migrateLegacy(context.Background(), path, "bot-1", e.store)
	if err != nil || n != 2 {
		t.Fatalf("migrateLegacy = %d, %v", n, err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the side file is still there: %v", err)
	}
	if n, err := migrateLegacy(context.Background(), path, "bot-1", e.store); n != 0 || err != nil {
		t.Errorf("a second start moved %d (%v)", n, err)
	}
	e.d = nil
	e.reopen()
	got := e.login(contact("@z", "盐湖钢铁-张三", "张三", ""), contact("@l", "", "李四", ""))
	if got[0].id != "wxc-old1" {
		t.Errorf("张三 after the move: %+v, want wxc-old1", got[0])
	}
	if got[1].id == "wxc-old2" {
		t.Errorf("李四, ambiguous before, got the old id without proof: %+v", got[1])
	}
	ids, _ := e.store.Identities(context.Background(), "bot-1")
	for _, i := range ids {
		if i.ID == "wxc-old2" && !i.Contested {
			t.Errorf("an ambiguous record lost its mark: %+v", i)
		}
	}
	_ = storage.IdentityContact
}
