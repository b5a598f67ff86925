package main

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"innobot/bot/sim"
	"innobot/invite"
	"innobot/storage"
	"innobot/storage/bolt"
	storeredis "innobot/storage/redis"
	"innobot/storage/redis/redistest"
)

// bindStore is what the bind crash test reads of a store after a kill.
type bindStore interface {
	Handled(ctx context.Context, messageID string) (bool, error)
	Contact(ctx context.Context, id string) (storage.Contact, error)
	Enterprise(ctx context.Context, id string) (storage.Enterprise, error)
	Pending(ctx context.Context, account string, limit int) ([]storage.OutboxMessage, error)
	MonthlyNotes(ctx context.Context, period string) ([]storage.MonthlyNote, error)
	Group(ctx context.Context, id string) (storage.Group, error)
	Close() error
}

// bindCrashRig starts the simulator on one store, again and again, and opens that store.
type bindCrashRig struct {
	start func(demo bool) *simProc
	open  func() bindStore
}

var liaisonCode = regexp.MustCompile(`联络人邀请码：([` + invite.Alphabet + `]{8})`)

// TestBindCrash kills the simulator (SIGKILL) at random moments while the county office asks
// for an enterprise's code in chat, and while a new liaison binds with it and so replaces the
// enterprise's liaison; after each kill it restarts the simulator and delivers the same message
// again, as a transport that never saw it answered would. The office is given one code, and
// the code it had before is void. For the binding: the store
// holds the binding whole (the new liaison bound, the enterprise theirs, the old liaison
// unbound, the message handled, what it owes queued, the new liaison's session asking for their
// name and mobile) or not at all; the new liaison hears 绑定成功 and never that the code was
// used, and their name and mobile are taken next; the replaced liaison is told once. Once means
// once, except that a message printed just before the kill and not yet marked sent is printed
// again after the restart (the outbox sends at least once): the test allows a second copy
// only of a message the store still held as pending after the kill. On bolt and on Redis (the
// bot killed, Redis running on).
func TestBindCrash(t *testing.T) {
	onBindCrashRigs(t, bindCrash)
}

// onBindCrashRigs runs crash on the simulator over bolt and over Redis (the bot killed, Redis
// running on).
func onBindCrashRigs(t *testing.T, crash func(*testing.T, bindCrashRig)) {
	now := "--now=2026-11-25T10:00:00+08:00"
	t.Run("bolt", func(t *testing.T) {
		dir := t.TempDir()
		crash(t, bindCrashRig{
			start: func(demo bool) *simProc {
				if demo {
					return startSim(t, dir, "--demo", now)
				}
				return startSim(t, dir, now)
			},
			open: func() bindStore {
				s, err := bolt.Open(filepath.Join(dir, "innobot.db"))
				if err != nil {
					t.Fatal(err)
				}
				return s
			},
		})
	})
	t.Run("redis", func(t *testing.T) {
		srv := redistest.Start(t, "--appendfsync", "always")
		prefix := srv.Prefix(t)
		var cfg string
		crash(t, bindCrashRig{
			start: func(demo bool) *simProc {
				if demo {
					var p *simProc
					p, cfg = redisSim(t, srv, prefix, "county-a", "--demo", now)
					return p
				}
				return startSim(t, filepath.Dir(cfg), "--config", cfg, now)
			},
			open: func() bindStore {
				s, err := storeredis.Open(t.Context(), srv.URL, prefix)
				if err != nil {
					t.Fatal(err)
				}
				return s
			},
		})
	})
}

func bindCrash(t *testing.T, rig bindCrashRig) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 1))
	const enterprise, entID = "山西示范钢铁有限公司", "demo-01"
	p := rig.start(true)
	p.send(sim.Incoming{From: "县办", Text: "你好"}) // the demo's codes come with the first reply
	county := p.county
	p.expect("县办", "绑定 "+county, "绑定成功")
	old := "联络人0"
	p.expect(old, "绑定 "+p.codes[enterprise], "绑定成功")

	kills := 10
	if testing.Short() {
		kills = 3
	}
	stats := map[string]int{}
	for i := 1; i <= kills; i++ {
		// The county office asks for a code, which voids the code it asked for before (never
		// used); the simulator is killed before, while or after the code is written, and the
		// request delivered again after the restart.
		stale := liaisonCode.FindStringSubmatch(p.say("县办", "邀请码 "+enterprise))
		if stale == nil {
			t.Fatalf("kill %d: no code", i)
		}
		ask := sim.Incoming{From: "县办", Text: "邀请码 " + enterprise, ID: fmt.Sprint("invite-", i)}
		crashWrite(p, ask)
		time.Sleep(time.Duration(rng.IntN(40)) * time.Millisecond)
		asked := killAndDrain(p)
		p = rig.start(false)
		asked = append(asked, p.send(ask)...)
		var codes []string
		for _, o := range asked {
			if m := liaisonCode.FindStringSubmatch(o.Text); m != nil && o.To == "县办" && !slices.Contains(codes, m[1]) {
				codes = append(codes, m[1])
			}
		}
		if len(codes) != 1 {
			t.Fatalf("kill %d: the county office was given codes %q for one request, want one", i, codes)
		}
		if got := p.say("路人"+fmt.Sprint(i), "绑定 "+stale[1]); !strings.Contains(got, "作废") {
			t.Fatalf("kill %d: the code issued before the request still binds: %q", i, got)
		}

		// The new liaison binds with the code, and the simulator is killed before, while or
		// after the binding is written.
		newcomer, id := fmt.Sprint("联络人", i), fmt.Sprint("bind-", i)
		bind := sim.Incoming{From: newcomer, Text: "绑定 " + codes[0], ID: id}
		crashWrite(p, bind)
		time.Sleep(time.Duration(rng.IntN(40)) * time.Millisecond)
		before := killAndDrain(p)

		// The store holds the binding whole or not at all.
		s := rig.open()
		ctx := t.Context()
		handled, err := s.Handled(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		e, err := s.Enterprise(ctx, entID)
		if err != nil {
			t.Fatal(err)
		}
		was, _ := s.Contact(ctx, old)
		var pending []storage.OutboxMessage
		for _, account := range []string{"", "county-a"} { // the bolt bot's, the Redis bot's
			more, err := s.Pending(ctx, account, 100)
			if err != nil {
				t.Fatal(err)
			}
			pending = append(pending, more...)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		switch {
		case handled && (e.LiaisonID != newcomer || was.Role != storage.RoleNone):
			t.Fatalf("kill %d: the binding is handled but half written: enterprise's liaison %q, %s's role %q", i, e.LiaisonID, old, was.Role)
		case !handled && (e.LiaisonID != old || was.Role != storage.RoleLiaison):
			t.Fatalf("kill %d: the binding is not handled but wrote: enterprise's liaison %q, %s's role %q", i, e.LiaisonID, old, was.Role)
		case handled:
			stats["written before the kill"]++
		default:
			stats["not written"]++
		}
		stillPending := map[string]bool{}
		for _, o := range pending {
			stillPending[o.To+"\x00"+o.Text] = true
		}

		// The same message again, after the restart.
		p = rig.start(false)
		after := p.send(bind)
		for _, who := range []struct{ name, want string }{{newcomer, "绑定成功"}, {old, "不再负责"}} {
			n, again := 0, 0
			for k, outs := range [][]sim.Output{before, after} {
				for _, o := range outs {
					if o.To != who.name {
						continue
					}
					if strings.Contains(o.Text, "用过") {
						t.Fatalf("kill %d: %s was told %q", i, who.name, o.Text)
					}
					if strings.Contains(o.Text, who.want) {
						n++
						if k == 1 && stillPending[o.To+"\x00"+o.Text] {
							again++
						}
					}
				}
			}
			// A copy printed before the kill and still pending may be printed again.
			if n < 1 || n-1 > again {
				t.Fatalf("kill %d: %s heard %q %d times (%d of them printed again from the outbox); before the kill: %v; after: %v",
					i, who.name, who.want, n, again, textsTo(before, who.name), textsTo(after, who.name))
			}
			if n > 1 {
				stats["sent again after the kill"]++
			}
		}
		// The binding left the new liaison asked for their name and mobile, with it.
		p.expect(newcomer, fmt.Sprintf("王小明 139123456%02d", i), "已登记")
		old = newcomer
	}
	p.quit()
	t.Logf("%d rounds of two kills: %v", kills, stats)
}

// TestCommandCrash kills the simulator (SIGKILL) while each office command that writes is
// handled (月报, 填表人, 提醒 未填报, 绑定本群, and a liaison's 解绑), restarts it and
// delivers the command again: the store holds what the command did, the person hears its
// reply (twice only when the first copy was printed and the kill came before it was marked
// sent), and nobody hears 系统繁忙. On bolt and on Redis.
func TestCommandCrash(t *testing.T) {
	onBindCrashRigs(t, commandCrash)
}

func commandCrash(t *testing.T, rig bindCrashRig) {
	seed := rand.Uint64()
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 2))
	p := rig.start(true)
	p.send(sim.Incoming{From: "县办", Text: "你好"}) // the demo's codes come with the first reply
	county := p.county
	p.expect("县办", "绑定 "+county, "绑定成功")
	p.expect("张三", "绑定 "+p.codes["山西示范钢铁有限公司"], "绑定成功")
	ctx := t.Context()
	commands := []struct {
		in        sim.Incoming
		to, group string // who hears the reply
		want      string
		stored    func(s bindStore) bool
	}{
		{sim.Incoming{From: "县办", Text: "月报 进展 本月走访企业 15 家"}, "县办", "", "已记下", func(s bindStore) bool {
			notes, err := s.MonthlyNotes(ctx, "2026-11")
			return err == nil && len(notes) == 1 && notes[0].Progress == "本月走访企业 15 家"
		}},
		{sim.Incoming{From: "县办", Text: "填表人 王芳 13912345678"}, "县办", "", "已记下：填表人", func(s bindStore) bool {
			c, err := s.Contact(ctx, "县办")
			return err == nil && c.Person == "王芳" && c.Mobile == "13912345678"
		}},
		{sim.Incoming{From: "县办", Text: "提醒 未填报"}, "县办", "", "已排队私信提醒", func(s bindStore) bool {
			return true // the liaison's nudge is counted below, as a reply is
		}},
		{sim.Incoming{From: "县办", Group: "盐湖区二群", Text: "@创新助手 绑定本群 盐湖区"}, "", "盐湖区二群", "本群已绑定", func(s bindStore) bool {
			g, err := s.Group(ctx, "盐湖区二群")
			return err == nil && g.Region == "盐湖区"
		}},
		{sim.Incoming{From: "张三", Text: "解绑"}, "张三", "", "已解除绑定", func(s bindStore) bool {
			c, err := s.Contact(ctx, "张三")
			return err == nil && c.Role == storage.RoleNone
		}},
	}
	for i, c := range commands {
		c.in.ID = fmt.Sprint("command-", i)
		crashWrite(p, c.in)
		time.Sleep(time.Duration(rng.IntN(40)) * time.Millisecond)
		before := killAndDrain(p)
		s := rig.open()
		var pending []storage.OutboxMessage
		for _, account := range []string{"", "county-a"} {
			more, err := s.Pending(ctx, account, 100)
			if err != nil {
				t.Fatal(err)
			}
			pending = append(pending, more...)
		}
		if err := s.Close(); err != nil {
			t.Fatal(err)
		}
		stillPending := map[string]bool{}
		for _, o := range pending {
			stillPending[o.To+"\x00"+o.Group+"\x00"+o.Text] = true
		}
		p = rig.start(false)
		after := p.send(c.in)
		heard := func(match func(sim.Output) bool) (n, again int) {
			for k, outs := range [][]sim.Output{before, after} {
				for _, o := range outs {
					if strings.Contains(o.Text, "系统繁忙") {
						t.Fatalf("%q: %+v", c.in.Text, o)
					}
					if match(o) {
						n++
						if k == 1 && stillPending[o.To+"\x00"+o.Group+"\x00"+o.Text] {
							again++
						}
					}
				}
			}
			return n, again
		}
		n, again := heard(func(o sim.Output) bool { return o.To == c.to && o.Group == c.group && strings.Contains(o.Text, c.want) })
		if n < 1 || n-1 > again {
			t.Fatalf("%q: the reply %q heard %d times (%d printed again from the outbox); before the kill %+v, after %+v", c.in.Text, c.want, n, again, before, after)
		}
		if strings.HasPrefix(c.in.Text, "提醒") {
			if n, again := heard(func(o sim.Output) bool { return o.To == "张三" }); n < 1 || n-1 > again {
				t.Fatalf("the nudge heard %d times by the liaison (%d printed again); before the kill %+v, after %+v", n, again, before, after)
			}
		}
		p.quit() // a bolt file admits one process
		s = rig.open()
		ok := c.stored(s)
		s.Close()
		if !ok {
			t.Fatalf("%q: not stored after the kill and the redelivery", c.in.Text)
		}
		p = rig.start(false)
	}
	p.quit()
}

// killAndDrain kills the simulator (SIGKILL) and returns what it had printed that was not
// read yet: the pipe is read to its end before Wait, which would close it.
func killAndDrain(p *simProc) []sim.Output {
	_ = p.cmd.Process.Kill()
	var out []sim.Output
	for p.out.Scan() {
		var o sim.Output
		if json.Unmarshal(p.out.Bytes(), &o) == nil && o.Text != "" {
			out = append(out, o)
		}
	}
	_ = p.cmd.Wait()
	return out
}

// textsTo are the texts sent to one person.
func textsTo(outs []sim.Output, to string) []string {
	var got []string
	for _, o := range outs {
		if o.To == to {
			got = append(got, o.Text)
		}
	}
	return got
}
