package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"innobot/bot/sim"
	"innobot/storage"
	"innobot/storage/bolt"
	"innobot/survey"
	"innobot/survey/surveytest"
)

// crashScripts are the liaisons of TestSimCrash: each binds to a demo enterprise and fills the
// whole survey in loose input, with 上一题, re-answers, 跳过, refused replies and 修改 N.
func crashScripts() []*crashLiaison {
	txt := func(s string) survey.Value { return survey.Value{Text: s} }
	num := func(n float64) survey.Value { return survey.Value{Num: n} }
	yes := func(b bool) survey.Value { return survey.Value{Bool: b} }
	choice := func(n int) survey.Value { return survey.Value{Choice: n} }
	multi := func(n ...int) survey.Value { return survey.Value{Multi: n} }
	none, skipped := survey.Value{}, survey.Value{Skipped: true}
	return []*crashLiaison{
		{
			name: "张三", enterprise: "山西示范钢铁有限公司", entID: "demo-01",
			steps: surveytest.WholeSurvey(),
		},
		{
			name: "李四", enterprise: "永济示范电机有限公司", entID: "demo-02",
			steps: []surveytest.Step{
				{Text: "填报", Want: "（第 1/", Ask: "所属行业"},
				{Text: "电机制造·高效节能电机", Key: "industry", Value: txt("电机制造·高效节能电机"), Want: "企业属性"},
				{Text: "6", Key: "ownership", Value: choice(6), Want: "已记：混合制企业", Ask: "研究开发机构"},
				{Text: "无", Key: "has_institutions", Value: yes(false), Want: "研究开发项目"},
				{Text: "有", Key: "has_projects", Value: yes(true), Want: "项目名称"},
				{Text: "永磁同步电机研发", Key: "project.0.proj_name", Value: txt("永磁同步电机研发"), Want: "项目来源"},
				{Text: "1", Key: "project.0.proj_source", Value: choice(1), Want: "已记：企业自选项目", Ask: "立项文号"},
				{Text: "跳过", Key: "project.0.proj_doc", Value: skipped, Want: "研究开发人员"},
				{Text: "十二", Key: "project.0.proj_staff", Value: num(12), Want: "已记：12 人", Ask: "研究开发费用"},
				{Text: "abc", Want: "请回复一个数字", Ask: "研究开发费用"},
				{Text: "45.5", Key: "project.0.proj_cost", Value: num(45.5), Want: "已记：45.5 万元", Ask: "研究开发资产"},
				{Text: "１２０００００元", Key: "project.0.proj_assets", Value: num(120), Want: "已记：120 万元", Ask: "还有其他研发项目"},
				{Text: "有", Key: "project.0.#more", Value: yes(true), Want: "【研发项目 第 2 个】"},
				{Text: "电机控制器软件开发", Key: "project.1.proj_name", Value: txt("电机控制器软件开发"), Want: "项目来源"},
				{Text: "3", Key: "project.1.proj_source", Value: choice(3), Want: "已记：其他企业（单位）委托项目", Ask: "立项文号"},
				{Text: "跳过", Key: "project.1.proj_doc", Value: skipped, Want: "研究开发人员"},
				{Text: "上一题", Want: "立项文号"},
				{Text: "跳过", Key: "project.1.proj_doc", Value: skipped, Want: "研究开发人员"},
				{Text: "5名", Key: "project.1.proj_staff", Value: num(5), Want: "已记：5 人", Ask: "研究开发费用"},
				{Text: "８万", Key: "project.1.proj_cost", Value: num(8), Want: "已记：8 万元", Ask: "研究开发资产"},
				{Text: "0", Key: "project.1.proj_assets", Value: num(0), Want: "还有其他研发项目"},
				{Text: "没", Key: "project.1.#more", Value: yes(false), Want: "创新投入"},
				{Text: "无", Key: "dir_investment", Value: none, Want: "创新人才"},
				{Text: "引进电机设计人才 3 名", Key: "dir_talent", Value: txt("引进电机设计人才 3 名"), Want: "创新项目"},
				{Text: "无", Key: "dir_project", Value: none, Want: "创新平台"},
				{Text: "无", Key: "dir_platform", Value: none, Want: "技术研发"},
				{Text: "完成两项工艺改进", Key: "dir_rnd", Value: txt("完成两项工艺改进"), Want: "技术合作"},
				{Text: "无", Key: "dir_cooperation", Value: none, Want: "其他创新活动"},
				{Text: "１，３", Key: "other_activities", Value: multi(1, 3), Want: "已记：1、3", Ask: "您选了“1"},
				{Text: "成立电机研究所", Key: "other_explain_1", Value: txt("成立电机研究所"), Want: "您选了“3"},
				{Text: "改进绕线工艺", Key: "other_explain_3", Value: txt("改进绕线工艺"), Want: "六有"},
				{Text: "上一题", Want: "当前答案：改进绕线工艺", Ask: "您选了“3"},
				{Text: "改进绕线和浸漆工艺", Key: "other_explain_3", Value: txt("改进绕线和浸漆工艺"), Want: "六有"},
				{Text: "1 2 4", Key: "liuyou", Value: multi(1, 2, 4), Want: "请核对"},
				{Text: "确认提交", Submit: true, Want: "✅ 提交成功（回执）"},
			},
		},
		{
			name: "王五", enterprise: "河津示范铝业有限公司", entID: "demo-03",
			steps: []surveytest.Step{
				{Text: "填报", Want: "（第 1/", Ask: "所属行业"},
				{Text: "有色金属冶炼·电解铝", Key: "industry", Value: txt("有色金属冶炼·电解铝"), Want: "企业属性"},
				{Text: "省属国企", Key: "ownership", Value: choice(2), Want: "已记：省属国企", Ask: "研究开发机构"},
				{Text: "1", Key: "has_institutions", Value: yes(true), Want: "名称"},
				{Text: "河津铝业技术中心", Key: "institution.0.inst_name", Value: txt("河津铝业技术中心"), Want: "批准部门"},
				{Text: "企业自建", Key: "institution.0.inst_approver", Value: txt("企业自建"), Want: "研究领域"},
				{Text: "电解铝节能", Key: "institution.0.inst_field", Value: txt("电解铝节能"), Want: "期末机构数"},
				{Text: "2", Key: "institution.0.inst_count", Value: num(2), Want: "研究开发人员"},
				{Text: "30人", Key: "institution.0.inst_staff", Value: num(30), Want: "研究开发费用"},
				{Text: "1.5", Key: "institution.0.inst_cost", Value: num(1.5), Want: "已记：1.5 万元", Ask: "仪器和设备原价"},
				{Text: "80万", Key: "institution.0.inst_equipment", Value: num(80), Want: "已记：80 万元", Ask: "还有其他研发机构"},
				{Text: "y", Key: "institution.0.#more", Value: yes(true), Want: "【研发机构 第 2 个】"},
				{Text: "河津铝业检测中心", Key: "institution.1.inst_name", Value: txt("河津铝业检测中心"), Want: "批准部门"},
				{Text: "山西省工业和信息化厅", Key: "institution.1.inst_approver", Value: txt("山西省工业和信息化厅"), Want: "研究领域"},
				{Text: "铝合金检测", Key: "institution.1.inst_field", Value: txt("铝合金检测"), Want: "期末机构数"},
				{Text: "１", Key: "institution.1.inst_count", Value: num(1), Want: "研究开发人员"},
				{Text: "3.5", Want: "请填写整数", Ask: "研究开发人员"},
				{Text: "四", Key: "institution.1.inst_staff", Value: num(4), Want: "研究开发费用"},
				{Text: "９８７６５元", Key: "institution.1.inst_cost", Value: num(9.8765), Want: "已记：9.8765 万元", Ask: "仪器和设备原价"},
				{Text: "0", Key: "institution.1.inst_equipment", Value: num(0), Want: "还有其他研发机构"},
				{Text: "n", Key: "institution.1.#more", Value: yes(false), Want: "研究开发项目"},
				{Text: "有", Key: "has_projects", Value: yes(true), Want: "项目名称"},
				{Text: "铝灰渣资源化利用", Key: "project.0.proj_name", Value: txt("铝灰渣资源化利用"), Want: "项目来源"},
				{Text: "上一题", Want: "当前答案：铝灰渣资源化利用", Ask: "项目名称"},
				{Text: "上一题", Want: "有没有研究开发项目"},
				{Text: "无", Key: "has_projects", Value: yes(false), Want: "创新投入"},
				{Text: "无", Key: "dir_investment", Value: none, Want: "创新人才"},
				{Text: "无", Key: "dir_talent", Value: none, Want: "创新项目"},
				{Text: "无", Key: "dir_project", Value: none, Want: "创新平台"},
				{Text: "建成铝合金中试平台", Key: "dir_platform", Value: txt("建成铝合金中试平台"), Want: "技术研发"},
				{Text: "无", Key: "dir_rnd", Value: none, Want: "技术合作"},
				{Text: "无", Key: "dir_cooperation", Value: none, Want: "其他创新活动"},
				{Text: "无", Key: "other_activities", Value: none, Want: "六有"},
				// The institutions have R&D costs but there is no project: a check asks.
				{Text: "1、2、3、6", Key: "liuyou", Value: multi(1, 2, 3, 6), Want: "研发机构有研发费用"},
				{Text: "修改 2", Want: "当前答案：省属国企", Ask: "企业属性"},
				{Text: "市属国企", Key: "ownership", Value: choice(3), Want: "研发机构有研发费用"},
				{Text: "上一题", Want: "当前答案：1、2、3、6", Ask: "六有"},
				{Text: "1236", Key: "liuyou", Value: multi(1, 2, 3, 6), Want: "研发机构有研发费用"},
				{Text: "保留", Key: "#kept.institution_cost_without_projects", Value: yes(true), Want: "请核对"},
				{Text: "确认提交", Submit: true, Want: "✅ 提交成功（回执）"},
			},
			// 有 → 无 for 研发项目 leaves the project's name in the draft, and the kept check
			// is the draft's note; the submission keeps only what the form asks.
			hidden: []string{"project.0.proj_name", "#kept.institution_cost_without_projects"},
		},
	}
}

// crashLiaison is one liaison of TestSimCrash and how far their script has come.
type crashLiaison struct {
	name, enterprise, entID string
	steps                   []surveytest.Step
	hidden                  []string

	// after[i] is the draft's answers once steps[:i] are done; after[0] is nil (no draft).
	after []survey.Answers
	// pos is the number of steps known done: acknowledged, or found stored after a kill.
	pos int
	// lastInFlight is true when the last step done was found stored after a kill rather
	// than acknowledged.
	lastInFlight bool
	resumes      int // 填报 sent after restarts, for message ids
}

func (l *crashLiaison) prepare() {
	l.after = make([]survey.Answers, len(l.steps)+1)
	for i, s := range l.steps {
		a := l.after[i].Clone()
		if s.Key != "" {
			a[s.Key] = s.Value
		}
		l.after[i+1] = a
	}
}

func (l *crashLiaison) done() bool { return l.pos == len(l.steps) }

func (l *crashLiaison) msgID(i int) string { return fmt.Sprintf("crash-%s-%d", l.name, i) }

// submitted reports whether the steps done include the submission.
func (l *crashLiaison) submitted() bool { return l.pos > 0 && l.steps[l.pos-1].Submit }

// final is what the submission must hold: the last answers without those the form no longer
// asks.
func (l *crashLiaison) final() survey.Answers {
	a := l.after[len(l.steps)].Clone()
	for _, k := range l.hidden {
		delete(a, k)
	}
	return a
}

// crashSend is a message written to the simulator whose reply was not read before the kill.
type crashSend struct {
	l    *crashLiaison
	step int
}

const crashPeriod = "2026-11"

// TestSimCrash kills the simulator (SIGKILL) at random points while three liaisons fill the
// survey in interleaved, scripted conversations. After every kill the store is read directly:
// every answer the bot acknowledged is there with its exact value, a message written but not
// acknowledged is either wholly stored or not at all, and nothing else changed. Then the
// simulator restarts on the same data and each liaison carries on where the store says they
// are; at the end each submits and the submissions are read back.
//
// The seed is logged; INNOBOT_CRASH_SEED=N replays the same script order and kill points
// (whether an in-flight message was committed before the kill still depends on timing).
func TestSimCrash(t *testing.T) {
	seed := rand.Uint64()
	if s := os.Getenv("INNOBOT_CRASH_SEED"); s != "" {
		var err error
		if seed, err = strconv.ParseUint(s, 10, 64); err != nil {
			t.Fatalf("INNOBOT_CRASH_SEED=%q: %v", s, err)
		}
	}
	t.Logf("seed %d (replay with INNOBOT_CRASH_SEED=%d)", seed, seed)
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	fail := func(format string, args ...any) {
		t.Helper()
		t.Fatalf("%s [seed %d: replay with INNOBOT_CRASH_SEED=%d]", fmt.Sprintf(format, args...), seed, seed)
	}

	ls := crashScripts()
	total := 0
	for _, l := range ls {
		l.prepare()
		total += len(l.steps)
	}
	kills := 20
	if testing.Short() {
		kills = 6
	}
	// Kill points are turns of the main loop, spread over the whole conversation.
	killAt := map[int]bool{}
	for _, i := range rng.Perm(total - 1)[:kills] {
		killAt[i+1] = true
	}

	dir := t.TempDir()
	now := "--now=2026-11-25T10:00:00+08:00"
	start := time.Now()
	p := startSim(t, dir, "--demo", now)
	for _, l := range ls {
		p.expect(l.name, "你好", "绑定 邀请码")
	}
	for _, l := range ls {
		code := p.codes[l.enterprise]
		if code == "" {
			t.Fatalf("no demo code for %s: %v", l.enterprise, p.codes)
		}
		p.expect(l.name, "绑定 "+code, "绑定成功：您是【"+l.enterprise+"】")
	}

	// say sends step i of l and reads its reply: the step is then acknowledged.
	say := func(l *crashLiaison) {
		t.Helper()
		s := l.steps[l.pos]
		got := crashReply(p, l.name, s.Text, l.msgID(l.pos))
		if !strings.Contains(got, s.Want) {
			fail("%s step %d %q\nreply: %s\nwant it to contain %q", l.name, l.pos, s.Text, got, s.Want)
		}
		l.pos++
		l.lastInFlight = false
	}
	active := func() []*crashLiaison {
		var out []*crashLiaison
		for _, l := range ls {
			if !l.done() {
				out = append(out, l)
			}
		}
		return out
	}

	var stats struct{ kills, inFlight, stored, afterAck int }
	for turn := 0; ; turn++ {
		act := active()
		if len(act) == 0 {
			break
		}
		if !killAt[turn] {
			say(act[rng.IntN(len(act))])
			continue
		}

		// A kill: right after an ack, or with messages written and their replies unread.
		var flight []crashSend
		if rng.IntN(4) > 0 {
			n := 1 + rng.IntN(min(3, len(act)))
			for _, i := range rng.Perm(len(act))[:n] {
				l := act[i]
				crashWrite(p, sim.Incoming{From: l.name, Text: l.steps[l.pos].Text, ID: l.msgID(l.pos)})
				flight = append(flight, crashSend{l: l, step: l.pos})
			}
			// The sim handles lines one after another, each waiting for its commit; a
			// random pause lets the kill land before, during or after those commits.
			if d := rng.IntN(60); d > 0 {
				time.Sleep(time.Duration(d) * time.Millisecond)
			}
		} else {
			stats.afterAck++
		}
		p.kill()
		stats.kills++
		stats.inFlight += len(flight)

		s, err := bolt.Open(filepath.Join(dir, "innobot.db"))
		if err != nil {
			fail("open store after kill %d: %v", stats.kills, err)
		}
		var problems []string
		stored := crashResolve(s, flight, &problems)
		stats.stored += stored
		for _, l := range ls {
			crashCheck(s, l, &problems)
		}
		crashCheckOthers(s, &problems)
		if err := s.Close(); err != nil {
			fail("close store: %v", err)
		}
		if len(problems) > 0 {
			desc := "none, killed right after an ack"
			if len(flight) > 0 {
				parts := make([]string, len(flight))
				for i, f := range flight {
					parts[i] = fmt.Sprintf("%s step %d %q", f.l.name, f.step, f.l.steps[f.step].Text)
				}
				desc = strings.Join(parts, "; ")
			}
			fail("after kill %d at turn %d (in flight: %s):\n%s", stats.kills, turn, desc, strings.Join(problems, "\n"))
		}

		p = startSim(t, dir, now)
		for _, l := range ls {
			if l.pos == 0 || l.done() || rng.IntN(4) == 0 {
				continue // not started, finished, or carries on without asking to resume
			}
			want := l.steps[l.pos-1].At()
			l.resumes++
			got := crashReply(p, l.name, "填报", fmt.Sprintf("crash-%s-resume-%d", l.name, l.resumes))
			if !strings.Contains(got, want) {
				fail("%s: 填报 after restart (after step %d %q)\nreply: %s\nwant it to contain %q", l.name, l.pos-1, l.steps[l.pos-1].Text, got, want)
			}
		}
	}
	p.quit()
	t.Logf("%d turns, %d kills (%d right after an ack), %d messages in flight at a kill, %d of them stored; %s",
		total, stats.kills, stats.afterAck, stats.inFlight, stats.stored, time.Since(start).Round(time.Millisecond))

	s, err := bolt.Open(filepath.Join(dir, "innobot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var problems []string
	for _, l := range ls {
		crashCheck(s, l, &problems)
	}
	crashCheckOthers(s, &problems)
	if len(problems) > 0 {
		fail("at the end:\n%s", strings.Join(problems, "\n"))
	}
}

// crashReply sends a message with an id and returns the text of the replies to its sender.
func crashReply(p *simProc, from, text, id string) string {
	p.t.Helper()
	var texts []string
	for _, o := range p.send(sim.Incoming{From: from, Text: text, ID: id}) {
		if o.To == from {
			texts = append(texts, o.Text)
		}
	}
	return strings.Join(texts, "\n")
}

// crashWrite writes a message without waiting for its ack.
func crashWrite(p *simProc, in sim.Incoming) {
	p.t.Helper()
	b, err := json.Marshal(in)
	if err != nil {
		p.t.Fatal(err)
	}
	if _, err := fmt.Fprintf(p.in, "%s\n", b); err != nil {
		p.t.Fatalf("write to sim: %v", err)
	}
	p.n++
}

// crashResolve finds which of the messages in flight were handled (a turn's id is recorded in
// the same transaction as the turn; a refused reply's is recorded alone) and moves those
// liaisons past them; the draft checks that
// follow then hold the store to exactly that. It returns how many were stored.
func crashResolve(s *bolt.Store, flight []crashSend, problems *[]string) int {
	ctx := context.Background()
	stored := 0
	laterStored := ""
	for i := len(flight) - 1; i >= 0; i-- {
		f := flight[i]
		st := f.l.steps[f.step]
		ok, err := s.Handled(ctx, f.l.msgID(f.step))
		if err != nil {
			*problems = append(*problems, fmt.Sprintf("handled %s: %v", f.l.msgID(f.step), err))
			continue
		}
		if !ok && laterStored != "" {
			// The simulator handles lines in order: a later one cannot be recorded before an
			// earlier one. (A refused reply is recorded as handled too, with nothing stored:
			// the draft checks that follow hold it to that.)
			*problems = append(*problems, fmt.Sprintf("%s: %q not recorded, but %s, written after it, was", f.l.name, st.Text, laterStored))
		}
		if ok {
			stored++
			f.l.pos = f.step + 1
			f.l.lastInFlight = true
			laterStored = fmt.Sprintf("%s's %q", f.l.name, st.Text)
		}
	}
	return stored
}

// crashCheck compares what the store holds for a liaison's enterprise with their script.
func crashCheck(s *bolt.Store, l *crashLiaison, problems *[]string) {
	ctx := context.Background()
	add := func(format string, args ...any) {
		*problems = append(*problems, l.name+" ("+l.entID+"): "+fmt.Sprintf(format, args...))
	}
	subs, err := s.Submissions(ctx, l.entID)
	if err != nil {
		add("submissions: %v", err)
		return
	}
	d, err := s.Draft(ctx, l.entID, crashPeriod)
	draftFound := err == nil
	if err != nil && !errors.Is(err, storage.ErrNotFound) {
		add("draft: %v", err)
		return
	}

	switch {
	case l.submitted():
		if draftFound {
			add("draft left after the submission: %v", d.Answers)
		}
		if len(subs) != 1 {
			add("%d submissions, want 1", len(subs))
			return
		}
		sub := subs[0]
		if sub.Period != crashPeriod || sub.Version != 1 || sub.SubmittedBy != l.name || sub.Form != "fujian3" || sub.EnterpriseID != l.entID {
			add("submission header = %s %s v%d by %s form %s", sub.EnterpriseID, sub.Period, sub.Version, sub.SubmittedBy, sub.Form)
		}
		diffAnswers("submission", sub.Answers, l.final(), add)
		return
	case len(subs) != 0:
		add("%d submissions before the script submitted (after step %d)", len(subs), l.pos)
	}

	want := l.after[l.pos]
	if want == nil {
		if draftFound {
			add("draft before 填报: %v", d.Answers)
		}
		return
	}
	if !draftFound {
		add("no draft for %s after step %d %q, want %d answers", crashPeriod, l.pos-1, l.steps[l.pos-1].Text, len(want))
		return
	}
	if d.EnterpriseID != l.entID || d.Period != crashPeriod {
		add("draft is for %s %s", d.EnterpriseID, d.Period)
	}
	how := "acknowledged"
	if l.lastInFlight {
		how = "in flight, its id recorded as handled"
	}
	diffAnswers(fmt.Sprintf("draft after step %d %q (%s)", l.pos-1, l.steps[l.pos-1].Text, how), d.Answers, want, add)
}

// crashCheckOthers checks that the demo enterprises nobody fills for stay untouched.
func crashCheckOthers(s *bolt.Store, problems *[]string) {
	ctx := context.Background()
	for _, id := range []string{"demo-04", "demo-05", "demo-06"} {
		if _, err := s.Draft(ctx, id, crashPeriod); !errors.Is(err, storage.ErrNotFound) {
			*problems = append(*problems, fmt.Sprintf("%s: draft lookup = %v, want not found", id, err))
		}
		if subs, err := s.Submissions(ctx, id); err != nil || len(subs) != 0 {
			*problems = append(*problems, fmt.Sprintf("%s: %d submissions (err %v), want none", id, len(subs), err))
		}
	}
}

// diffAnswers reports every answer of got that differs from want.
func diffAnswers(what string, got, want survey.Answers, add func(string, ...any)) {
	for _, d := range surveytest.Diff(got, want) {
		add("%s: %s", what, d)
	}
}
