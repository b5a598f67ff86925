package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"innobot/bot"
	"innobot/bot/sim"
	"innobot/invite"
	storeredis "innobot/storage/redis"
	"innobot/storage/redis/redistest"
)

// redisSim starts `innobot sim --json` on a data dir of its own, with a config that puts the
// store on srv under prefix and names the bot account it speaks for. It returns the process
// and its config file.
func redisSim(t *testing.T, srv *redistest.Server, prefix, account string, args ...string) (*simProc, string) {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "innobot.yaml")
	text := fmt.Sprintf("bot: {account: %q}\nstorage: {driver: redis, url: %q, prefix: %q}\ninvite: {secret_key: %s}\n", account, srv.URL, prefix, redisTestKey)
	if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return startSim(t, dir, append([]string{"--config", cfg}, args...)...), cfg
}

// redisTestKey is the invite key the bots sharing one Redis are given, as a deployment gives
// them the same key in their config.
var redisTestKey = strings.Repeat("5a", 32)

var countyCode = regexp.MustCompile(`演示县级工作人员邀请码：绑定 ([` + invite.Alphabet + `]{8})`)

// TestRedisThreeEngines runs three simulators, each speaking for its own bot account, on one
// Redis. One liaison's survey goes through two of them alternately and leaves one consistent
// draft; then the clocks of all three move through December 2026 and every reminder is
// printed exactly once, by the engine of the account its recipient talks to.
func TestRedisThreeEngines(t *testing.T) {
	srv := redistest.Start(t)
	prefix := srv.Prefix(t)
	now := "--now=2026-11-28T10:00:00+08:00"
	a, cfgA := redisSim(t, srv, prefix, "county-a", "--demo", now)
	a.send(sim.Incoming{From: "路人", Text: "你好"}) // the demo's codes come with the first reply
	county := a.county
	if county == "" || len(a.codes) != 6 {
		t.Fatalf("demo codes: %v, county %q", a.codes, county)
	}
	b, _ := redisSim(t, srv, prefix, "county-b", now)
	c, _ := redisSim(t, srv, prefix, "county-c", now)
	engine := map[*simProc]string{a: "a", b: "b", c: "c"}

	a.expect("张三", "绑定 "+a.codes["山西示范钢铁有限公司"], "绑定成功")
	b.expect("李四", "绑定 "+a.codes["永济示范电机有限公司"], "绑定成功")
	c.expect("王五", "绑定 "+a.codes["河津示范铝业有限公司"], "绑定成功")
	b.expect("孙七", "绑定 "+a.codes["临猗示范果蔬食品有限公司"], "绑定成功")
	c.expect("县办", "绑定 "+county, "绑定成功")
	// The county clerk binds the demo group through c: the group's messages go out there.
	if outs := c.send(sim.Incoming{From: "县办", Group: "盐湖区帮扶群", Text: "@创新助手 绑定本群 盐湖区"}); len(outs) == 0 {
		t.Fatal("no reply to 绑定本群")
	}
	store, err := storeredis.Open(t.Context(), srv.URL, prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	if g, err := store.Group(t.Context(), "盐湖区帮扶群"); err != nil || g.Account != "county-c" {
		t.Fatalf("group after 绑定本群 through c: %+v, %v", g, err)
	}
	if ct, _ := store.Contact(t.Context(), "李四"); ct.Account != "county-b" {
		t.Fatalf("李四 bound through b has account %q", ct.Account)
	}

	// 张三's survey through a and b in turn: every reply is the one the script expects, and
	// the draft holds exactly the answers of the steps taken.
	l := crashScripts()[0]
	l.prepare()
	procs := []*simProc{a, b}
	const steps = 14
	for i := range steps {
		st := l.steps[i]
		p := procs[i%2]
		got := crashReply(p, l.name, st.Text, "alt-"+strconv.Itoa(i))
		if !strings.Contains(got, st.Want) {
			t.Fatalf("step %d %q through %s: reply %q, want it to contain %q", i, st.Text, engine[p], got, st.Want)
		}
	}
	d, err := store.Draft(t.Context(), l.entID, crashPeriod)
	if err != nil {
		t.Fatalf("draft after alternating engines: %v", err)
	}
	diffAnswers("draft after alternating engines", d.Answers, l.after[steps], func(f string, args ...any) { t.Errorf(f, args...) })
	if sess, _ := store.Session(t.Context(), l.name); sess.Version < 10 {
		t.Errorf("session version %d after %d answers", sess.Version, steps)
	}

	// December, a day at a time, each day's clock line to the three engines in a rotating
	// order, so that each claims some reminders and prints others claimed elsewhere.
	loc := time.FixedZone("CST", 8*3600)
	type printed struct {
		engine string
		out    sim.Output
	}
	var all []printed
	all3 := []*simProc{a, b, c}
	tick := func(i int, at time.Time) {
		for j := range all3 {
			p := all3[(i+j)%3]
			for _, o := range p.send(sim.Incoming{Clock: at.Format(time.RFC3339)}) {
				all = append(all, printed{engine[p], o})
			}
		}
	}
	i := 0
	for day := time.Date(2026, 12, 1, 9, 30, 0, 0, loc); day.Month() == time.December; day = day.AddDate(0, 0, 1) {
		tick(i, day)
		i++
	}
	// One more round, so that what the last engine claimed is printed by the others too.
	tick(i, time.Date(2027, 1, 1, 0, 0, 0, 0, loc))

	// What should have gone out: `innobot reminders` over the same span, as the store stands.
	var list, errs bytes.Buffer
	err = run(t.Context(), []string{"reminders", "--config", cfgA, "--data", t.TempDir(), "--from", "2026-11-28", "--to", "2026-12-31"}, &list, &errs)
	if err != nil {
		t.Fatalf("reminders: %v\n%s", err, errs.String())
	}
	want := 0
	for _, m := range regexp.MustCompile(`（共 (\d+) 条）`).FindAllStringSubmatch(list.String(), -1) {
		n, _ := strconv.Atoi(m[1])
		want += n
	}
	if want < 10 {
		t.Fatalf("reminders lists %d messages:\n%s", want, list.String())
	}

	owner := map[string]string{"张三": "a", "李四": "b", "孙七": "b", "王五": "c", "县办": "c", "盐湖区帮扶群": "c"}
	seen := map[string]int{}
	perEngine := map[string]int{}
	for _, p := range all {
		to := p.out.To + p.out.Group
		seen[to+"\n"+p.out.Text+p.out.File]++ // a message is a text or a file
		perEngine[p.engine]++
		if owner[to] != p.engine {
			t.Errorf("engine %s printed a message to %s, whose account is engine %s's: %.60s", p.engine, to, owner[to], p.out.Text)
		}
	}
	for k, n := range seen {
		if n > 1 {
			t.Errorf("printed %d times: %.80s", n, k)
		}
	}
	t.Logf("December: %d reminder messages printed (a %d, b %d, c %d); `innobot reminders` lists %d",
		len(all), perEngine["a"], perEngine["b"], perEngine["c"], want)
	if len(all) != want {
		t.Errorf("%d messages printed across the three engines, want %d:\n%s", len(all), want, list.String())
	}
	for _, p := range all3 {
		p.quit()
	}
}

// midSurveyOnRedis starts the demo simulator on a private redis-server (skipping the test
// when there is none) and has the first crash script's liaison bind and answer its first n
// steps, each reply checked.
func midSurveyOnRedis(t *testing.T, n int) (srv *redistest.Server, prefix string, p *simProc, l *crashLiaison) {
	t.Helper()
	srv = redistest.Start(t, "--appendfsync", "always")
	if !srv.Private {
		t.Skip("needs a private redis-server: unset REDIS_URL")
	}
	prefix = srv.Prefix(t)
	p, _ = redisSim(t, srv, prefix, "county-a", "--demo", "--now=2026-11-25T10:00:00+08:00")
	p.expect("路人", "你好", "绑定")
	l = crashScripts()[0]
	l.prepare()
	p.expect(l.name, "绑定 "+p.codes[l.enterprise], "绑定成功")
	for i := range n {
		if got := crashReply(p, l.name, l.steps[i].Text, "m-"+strconv.Itoa(i)); !strings.Contains(got, l.steps[i].Want) {
			t.Fatalf("step %d: %q", i, got)
		}
	}
	return srv, prefix, p, l
}

// TestRedisDown kills redis-server in the middle of a survey: the liaison is told 系统繁忙, with
// no claim that the message was or was not handled (nothing could be read or written), and
// nothing of that message is stored; once redis-server is started again on its files, the same
// simulator (never restarted) answers again, every acknowledged answer is there, and the survey
// goes on.
func TestRedisDown(t *testing.T) {
	const before = 6
	srv, prefix, p, l := midSurveyOnRedis(t, before)
	say := func(i int, id string) string {
		t.Helper()
		return crashReply(p, l.name, l.steps[i].Text, id)
	}

	srv.Kill(t)
	start := time.Now()
	for _, id := range []string{"down-1", "down-2"} {
		got := say(before, id)
		if !strings.HasPrefix(got, "系统繁忙，还不能确定") {
			t.Fatalf("with Redis down the reply is %q, want 系统繁忙，还不能确定…", got)
		}
	}
	t.Logf("two messages with Redis down answered 系统繁忙 in %v", time.Since(start).Round(time.Millisecond))

	srv.Restart(t)
	store, err := storeredis.Open(t.Context(), srv.URL, prefix)
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	check := func(what string, pos int) {
		t.Helper()
		d, err := store.Draft(t.Context(), l.entID, crashPeriod)
		if err != nil {
			t.Fatalf("%s: draft: %v", what, err)
		}
		diffAnswers(what, d.Answers, l.after[pos], func(f string, args ...any) { t.Errorf(f, args...) })
	}
	check("after Redis came back", before)
	for _, id := range []string{"down-1", "down-2"} {
		if ok, _ := store.Handled(t.Context(), id); ok {
			t.Errorf("message %s, answered 系统繁忙, is recorded as handled", id)
		}
	}

	// The same process answers again, from where the store says the liaison is. go-redis
	// keeps failing fast for up to a second after a run of refused dials (its pool probes the
	// server once a second), so the liaison may have to send once more, as people do.
	back := time.Now()
	tries := 0
	for {
		tries++
		got := say(before, "retry-"+strconv.Itoa(tries))
		if strings.Contains(got, l.steps[before].Want) {
			break
		}
		if !strings.HasPrefix(got, "系统繁忙") || time.Since(back) > 10*time.Second {
			t.Fatalf("step %d after Redis came back: %q, want %q", before, got, l.steps[before].Want)
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("answering again %v after Redis came back (%d tries)", time.Since(back).Round(time.Millisecond), tries)
	for i := before + 1; i < before+4; i++ {
		if got := say(i, "m-"+strconv.Itoa(i)); !strings.Contains(got, l.steps[i].Want) {
			t.Fatalf("step %d after Redis came back: %q, want %q", i, got, l.steps[i].Want)
		}
	}
	check("at the end", before+4)
	p.quit()
}

// TestRedisPaused stops redis-server (SIGSTOP: connections stay open, nothing answers) in the
// middle of a survey, as a hung machine would. The liaison hears 系统繁忙 within the reply
// deadline (2 s by default), not after go-redis' own timeouts and retries; once Redis wakes,
// the same answer sent again is taken at the same question.
func TestRedisPaused(t *testing.T) {
	const before = 4
	srv, _, p, l := midSurveyOnRedis(t, before)

	srv.Pause(t)
	start := time.Now()
	crashWrite(p, sim.Incoming{From: l.name, Text: l.steps[before].Text, ID: "paused"})
	// The time to the reply, not to the ack: the simulator acknowledges a line once its
	// outbox has looked for more to send, which waits on the paused Redis too.
	if !p.out.Scan() {
		t.Fatalf("sim output ended: %v", p.out.Err())
	}
	took := time.Since(start)
	var reply sim.Output
	if err := json.Unmarshal(p.out.Bytes(), &reply); err != nil {
		t.Fatalf("reply line %s: %v", p.out.Bytes(), err)
	}
	got := reply.Text
	srv.Resume(t)
	p.until(p.n)
	t.Logf("with Redis paused the reply came in %v: %q", took.Round(time.Millisecond), got)
	if !strings.HasPrefix(got, "系统繁忙") {
		t.Errorf("with Redis paused the reply is %q, want 系统繁忙…", got)
	}
	// The promise is the 2 s deadline; the second of slack is for a loaded two-core machine,
	// where timers fire late and the simulator's process waits for the CPU. Without the
	// deadline, go-redis' timeouts and retries took 9-12 s; with it but without go-redis
	// honouring it on the socket (ContextTimeoutEnabled), its 3 s read timeout. Nothing here
	// waits on a timer of the test's.
	if limit := 2*time.Second + time.Second; took > limit {
		t.Errorf("with Redis paused the reply took %v, want under %v", took.Round(time.Millisecond), limit)
	}

	// The paused message was not handled: the answer sent again is taken at its question.
	deadline := time.Now().Add(10 * time.Second)
	for try := 1; ; try++ {
		got := crashReply(p, l.name, l.steps[before].Text, "after-"+strconv.Itoa(try))
		if strings.Contains(got, l.steps[before].Want) {
			break
		}
		if !strings.Contains(got, "系统繁忙") || time.Now().After(deadline) {
			t.Fatalf("after Redis woke: %q, want %q", got, l.steps[before].Want)
		}
	}
	p.quit()
}

// A bot on a Redis whose appendfsync is everysec says at start what a crash may undo, and
// /healthz carries it; under appendfsync always it says nothing.
func TestRedisDurabilityWarning(t *testing.T) {
	for _, fsync := range []string{"everysec", "always"} {
		t.Run(fsync, func(t *testing.T) {
			srv := redistest.Start(t, "--appendfsync", fsync)
			if !srv.Private {
				t.Skip("needs a private redis-server: unset REDIS_URL")
			}
			dir := t.TempDir()
			cfg := filepath.Join(dir, "innobot.yaml")
			text := fmt.Sprintf("storage: {driver: redis, url: %q, prefix: %q}\ninvite: {secret_key: %s}\n", srv.URL, srv.Prefix(t), redisTestKey)
			if err := os.WriteFile(cfg, []byte(text), 0o600); err != nil {
				t.Fatal(err)
			}
			st, err := loadSettings(cfg, dir)
			if err != nil {
				t.Fatal(err)
			}
			var logs bytes.Buffer
			log := slog.New(slog.NewTextHandler(&logs, nil))
			eng, err := st.openEngine(t.Context(), bot.ClockFunc(time.Now), &sim.Transport{Out: &bytes.Buffer{}}, log)
			if err != nil {
				t.Fatal(err)
			}
			defer eng.close()
			risk := storageHealth(t.Context(), eng.store).Durability
			warned := strings.Contains(logs.String(), "level=WARN") && strings.Contains(logs.String(), "appendfsync everysec")
			if fsync == "everysec" && (!warned || !strings.Contains(risk, "the last second or two")) {
				t.Errorf("everysec: warned %v, health %q; log:\n%s", warned, risk, logs.String())
			}
			if fsync == "always" && (risk != "" || strings.Contains(logs.String(), "level=WARN")) {
				t.Errorf("always: health %q; log:\n%s", risk, logs.String())
			}
		})
	}
}
