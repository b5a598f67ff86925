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

// crashStep is one message of a scripted conversation and what it must leave in the draft.
type crashStep struct {
	in   string
	key  string // the answer key the message stores; "" when it stores none
	val  survey.Value
	want string // the reply contains this
	// ask is part of the question the bot is at after this message, which 填报 shows again
	// after a restart; want when empty.
	ask    string
	submit bool // 确认提交: the draft becomes the period's submission
}

func (s crashStep) resumeText() string {
	if s.ask != "" {
		return s.ask
	}
	return s.want
}

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
			steps: []crashStep{
				{in: "填报", want: "（第 1/", ask: "所属行业"},
				{in: "钢铁·特殊钢冶炼", key: "industry", val: txt("钢铁·特殊钢冶炼"), want: "企业属性"},
				{in: "民营", key: "ownership", val: choice(5), want: "已记：民营企业", ask: "研究开发机构"},
				{in: "有的", key: "has_institutions", val: yes(true), want: "名称"},
				{in: "山西示范钢铁技术中心", key: "institution.0.inst_name", val: txt("山西示范钢铁技术中心"), want: "批准部门"},
				{in: "运城市工信局", key: "institution.0.inst_approver", val: txt("运城市工信局"), want: "研究领域"},
				{in: "特殊钢材料", key: "institution.0.inst_field", val: txt("特殊钢材料"), want: "期末机构数"},
				{in: "１个", key: "institution.0.inst_count", val: num(1), want: "研究开发人员"},
				{in: "-5", want: "不能小于 0", ask: "研究开发人员"},
				{in: "二十五", key: "institution.0.inst_staff", val: num(25), want: "研究开发费用"},
				{in: "１２.５万", key: "institution.0.inst_cost", val: num(12.5), want: "已记：12.5 万元", ask: "仪器和设备原价"},
				{in: "1,200,000元", key: "institution.0.inst_equipment", val: num(120), want: "已记：120 万元", ask: "还有其他研发机构"},
				{in: "有", key: "institution.0.#more", val: yes(true), want: "【研发机构 第 2 个】"},
				{in: "上一题", want: "还有其他研发机构"},
				{in: "没有", key: "institution.0.#more", val: yes(false), want: "研究开发项目"},
				{in: "是", key: "has_projects", val: yes(true), want: "项目名称"},
				{in: "高强度螺纹钢工艺改进", key: "project.0.proj_name", val: txt("高强度螺纹钢工艺改进"), want: "项目来源"},
				{in: "２", key: "project.0.proj_source", val: choice(2), want: "立项文号"},
				{in: "跳过", key: "project.0.proj_doc", val: skipped, want: "研究开发人员"},
				{in: "上一题", want: "当前答案：无", ask: "立项文号"},
				{in: "晋科〔2026〕18号", key: "project.0.proj_doc", val: txt("晋科〔2026〕18号"), want: "研究开发人员"},
				{in: "8人", key: "project.0.proj_staff", val: num(8), want: "研究开发费用"},
				{in: "200亿", want: "数值偏大", ask: "研究开发费用"},
				{in: "30万元", key: "project.0.proj_cost", val: num(30), want: "研究开发资产"},
				{in: "0", key: "project.0.proj_assets", val: num(0), want: "还有其他研发项目"},
				{in: "否", key: "project.0.#more", val: yes(false), want: "创新投入"},
				{in: "新增研发投入 30 万元 😀", key: "dir_investment", val: txt("新增研发投入 30 万元 😀"), want: "创新人才"},
				{in: "无", key: "dir_talent", val: none, want: "创新项目"},
				{in: "没有", key: "dir_project", val: none, want: "创新平台"},
				{in: "暂无", key: "dir_platform", val: none, want: "技术研发"},
				{in: "无", key: "dir_rnd", val: none, want: "技术合作"},
				{in: "与太原理工大学合作", key: "dir_cooperation", val: txt("与太原理工大学合作"), want: "其他创新活动"},
				{in: "3、11", key: "other_activities", val: multi(3, 11), want: "已记：3、11", ask: "您选了“3"},
				{in: "对轧钢产线进行了节能改造", key: "other_explain_3", val: txt("对轧钢产线进行了节能改造"), want: "您选了“11"},
				{in: "与太原理工大学联合开发新钢种", key: "other_explain_11", val: txt("与太原理工大学联合开发新钢种"), want: "六有"},
				{in: "１，２ 3、4", key: "liuyou", val: multi(1, 2, 3, 4), want: "请核对"},
				{in: "修改 1", want: "当前答案：钢铁·特殊钢冶炼"},
				{in: "钢铁·特殊钢冶炼（螺纹钢）", key: "industry", val: txt("钢铁·特殊钢冶炼（螺纹钢）"), want: "请核对"},
				{in: "确认提交", submit: true, want: "✅ 提交成功（回执）"},
			},
		},
		{
			name: "李四", enterprise: "永济示范电机有限公司", entID: "demo-02",
			steps: []crashStep{
				{in: "填报", want: "（第 1/", ask: "所属行业"},
				{in: "电机制造·高效节能电机", key: "industry", val: txt("电机制造·高效节能电机"), want: "企业属性"},
				{in: "6", key: "ownership", val: choice(6), want: "已记：混合制企业", ask: "研究开发机构"},
				{in: "无", key: "has_institutions", val: yes(false), want: "研究开发项目"},
				{in: "有", key: "has_projects", val: yes(true), want: "项目名称"},
				{in: "永磁同步电机研发", key: "project.0.proj_name", val: txt("永磁同步电机研发"), want: "项目来源"},
				{in: "1", key: "project.0.proj_source", val: choice(1), want: "已记：企业自选项目", ask: "立项文号"},
				{in: "跳过", key: "project.0.proj_doc", val: skipped, want: "研究开发人员"},
				{in: "十二", key: "project.0.proj_staff", val: num(12), want: "已记：12 人", ask: "研究开发费用"},
				{in: "abc", want: "请回复一个数字", ask: "研究开发费用"},
				{in: "45.5", key: "project.0.proj_cost", val: num(45.5), want: "已记：45.5 万元", ask: "研究开发资产"},
				{in: "１２０００００元", key: "project.0.proj_assets", val: num(120), want: "已记：120 万元", ask: "还有其他研发项目"},
				{in: "有", key: "project.0.#more", val: yes(true), want: "【研发项目 第 2 个】"},
				{in: "电机控制器软件开发", key: "project.1.proj_name", val: txt("电机控制器软件开发"), want: "项目来源"},
				{in: "3", key: "project.1.proj_source", val: choice(3), want: "已记：其他企业（单位）委托项目", ask: "立项文号"},
				{in: "跳过", key: "project.1.proj_doc", val: skipped, want: "研究开发人员"},
				{in: "上一题", want: "立项文号"},
				{in: "跳过", key: "project.1.proj_doc", val: skipped, want: "研究开发人员"},
				{in: "5名", key: "project.1.proj_staff", val: num(5), want: "已记：5 人", ask: "研究开发费用"},
				{in: "８万", key: "project.1.proj_cost", val: num(8), want: "已记：8 万元", ask: "研究开发资产"},
				{in: "0", key: "project.1.proj_assets", val: num(0), want: "还有其他研发项目"},
				{in: "没", key: "project.1.#more", val: yes(false), want: "创新投入"},
				{in: "无", key: "dir_investment", val: none, want: "创新人才"},
				{in: "引进电机设计人才 3 名", key: "dir_talent", val: txt("引进电机设计人才 3 名"), want: "创新项目"},
				{in: "无", key: "dir_project", val: none, want: "创新平台"},
				{in: "无", key: "dir_platform", val: none, want: "技术研发"},
				{in: "完成两项工艺改进", key: "dir_rnd", val: txt("完成两项工艺改进"), want: "技术合作"},
				{in: "无", key: "dir_cooperation", val: none, want: "其他创新活动"},
				{in: "１，３", key: "other_activities", val: multi(1, 3), want: "已记：1、3", ask: "您选了“1"},
				{in: "成立电机研究所", key: "other_explain_1", val: txt("成立电机研究所"), want: "您选了“3"},
				{in: "改进绕线工艺", key: "other_explain_3", val: txt("改进绕线工艺"), want: "六有"},
				{in: "上一题", want: "当前答案：改进绕线工艺", ask: "您选了“3"},
				{in: "改进绕线和浸漆工艺", key: "other_explain_3", val: txt("改进绕线和浸漆工艺"), want: "六有"},
				{in: "1 2 4", key: "liuyou", val: multi(1, 2, 4), want: "请核对"},
				{in: "确认提交", submit: true, want: "✅ 提交成功（回执）"},
			},
		},
		{
			name: "王五", enterprise: "河津示范铝业有限公司", entID: "demo-03",
			steps: []crashStep{
				{in: "填报", want: "（第 1/", ask: "所属行业"},
				{in: "有色金属冶炼·电解铝", key: "industry", val: txt("有色金属冶炼·电解铝"), want: "企业属性"},
				{in: "省属国企", key: "ownership", val: choice(2), want: "已记：省属国企", ask: "研究开发机构"},
				{in: "1", key: "has_institutions", val: yes(true), want: "名称"},
				{in: "河津铝业技术中心", key: "institution.0.inst_name", val: txt("河津铝业技术中心"), want: "批准部门"},
				{in: "企业自建", key: "institution.0.inst_approver", val: txt("企业自建"), want: "研究领域"},
				{in: "电解铝节能", key: "institution.0.inst_field", val: txt("电解铝节能"), want: "期末机构数"},
				{in: "2", key: "institution.0.inst_count", val: num(2), want: "研究开发人员"},
				{in: "30人", key: "institution.0.inst_staff", val: num(30), want: "研究开发费用"},
				{in: "1.5", key: "institution.0.inst_cost", val: num(1.5), want: "已记：1.5 万元", ask: "仪器和设备原价"},
				{in: "80万", key: "institution.0.inst_equipment", val: num(80), want: "已记：80 万元", ask: "还有其他研发机构"},
				{in: "y", key: "institution.0.#more", val: yes(true), want: "【研发机构 第 2 个】"},
				{in: "河津铝业检测中心", key: "institution.1.inst_name", val: txt("河津铝业检测中心"), want: "批准部门"},
				{in: "山西省工业和信息化厅", key: "institution.1.inst_approver", val: txt("山西省工业和信息化厅"), want: "研究领域"},
				{in: "铝合金检测", key: "institution.1.inst_field", val: txt("铝合金检测"), want: "期末机构数"},
				{in: "１", key: "institution.1.inst_count", val: num(1), want: "研究开发人员"},
				{in: "3.5", want: "请填写整数", ask: "研究开发人员"},
				{in: "四", key: "institution.1.inst_staff", val: num(4), want: "研究开发费用"},
				{in: "９８７６５元", key: "institution.1.inst_cost", val: num(9.8765), want: "已记：9.8765 万元", ask: "仪器和设备原价"},
				{in: "0", key: "institution.1.inst_equipment", val: num(0), want: "还有其他研发机构"},
				{in: "n", key: "institution.1.#more", val: yes(false), want: "研究开发项目"},
				{in: "有", key: "has_projects", val: yes(true), want: "项目名称"},
				{in: "铝灰渣资源化利用", key: "project.0.proj_name", val: txt("铝灰渣资源化利用"), want: "项目来源"},
				{in: "上一题", want: "当前答案：铝灰渣资源化利用", ask: "项目名称"},
				{in: "上一题", want: "有没有研究开发项目"},
				{in: "无", key: "has_projects", val: yes(false), want: "创新投入"},
				{in: "无", key: "dir_investment", val: none, want: "创新人才"},
				{in: "无", key: "dir_talent", val: none, want: "创新项目"},
				{in: "无", key: "dir_project", val: none, want: "创新平台"},
				{in: "建成铝合金中试平台", key: "dir_platform", val: txt("建成铝合金中试平台"), want: "技术研发"},
				{in: "无", key: "dir_rnd", val: none, want: "技术合作"},
				{in: "无", key: "dir_cooperation", val: none, want: "其他创新活动"},
				{in: "无", key: "other_activities", val: none, want: "六有"},
				// The institutions have R&D costs but there is no project: a check asks.
				{in: "1、2、3、6", key: "liuyou", val: multi(1, 2, 3, 6), want: "研发机构有研发费用"},
				{in: "修改 2", want: "当前答案：省属国企", ask: "企业属性"},
				{in: "市属国企", key: "ownership", val: choice(3), want: "研发机构有研发费用"},
				{in: "上一题", want: "当前答案：1、2、3、6", ask: "六有"},
				{in: "1236", key: "liuyou", val: multi(1, 2, 3, 6), want: "研发机构有研发费用"},
				{in: "保留", key: "#kept.institution_cost_without_projects", val: yes(true), want: "请核对"},
				{in: "确认提交", submit: true, want: "✅ 提交成功（回执）"},
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
	steps                   []crashStep
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
		if s.key != "" {
			a[s.key] = s.val
		}
		l.after[i+1] = a
	}
}

func (l *crashLiaison) done() bool { return l.pos == len(l.steps) }

func (l *crashLiaison) msgID(i int) string { return fmt.Sprintf("crash-%s-%d", l.name, i) }

// submitted reports whether the steps done include the submission.
func (l *crashLiaison) submitted() bool { return l.pos > 0 && l.steps[l.pos-1].submit }

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
		got := crashReply(p, l.name, s.in, l.msgID(l.pos))
		if !strings.Contains(got, s.want) {
			fail("%s step %d %q\nreply: %s\nwant it to contain %q", l.name, l.pos, s.in, got, s.want)
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
				crashWrite(p, sim.Incoming{From: l.name, Text: l.steps[l.pos].in, ID: l.msgID(l.pos)})
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
					parts[i] = fmt.Sprintf("%s step %d %q", f.l.name, f.step, f.l.steps[f.step].in)
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
			want := l.steps[l.pos-1].resumeText()
			l.resumes++
			got := crashReply(p, l.name, "填报", fmt.Sprintf("crash-%s-resume-%d", l.name, l.resumes))
			if !strings.Contains(got, want) {
				fail("%s: 填报 after restart (after step %d %q)\nreply: %s\nwant it to contain %q", l.name, l.pos-1, l.steps[l.pos-1].in, got, want)
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
			*problems = append(*problems, fmt.Sprintf("%s: %q not recorded, but %s, written after it, was", f.l.name, st.in, laterStored))
		}
		if ok {
			stored++
			f.l.pos = f.step + 1
			f.l.lastInFlight = true
			laterStored = fmt.Sprintf("%s's %q", f.l.name, st.in)
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
		add("no draft for %s after step %d %q, want %d answers", crashPeriod, l.pos-1, l.steps[l.pos-1].in, len(want))
		return
	}
	if d.EnterpriseID != l.entID || d.Period != crashPeriod {
		add("draft is for %s %s", d.EnterpriseID, d.Period)
	}
	how := "acknowledged"
	if l.lastInFlight {
		how = "in flight, its id recorded as handled"
	}
	diffAnswers(fmt.Sprintf("draft after step %d %q (%s)", l.pos-1, l.steps[l.pos-1].in, how), d.Answers, want, add)
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
