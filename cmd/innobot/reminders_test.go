package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"innobot/bot/sim"
)

// TestSimReminderFiresOnce drives the built simulator: a liaison binds and answers two
// questions; moving the clock to 2 December prints the nudge of the 5 December deadline
// (moved to Friday the 4th, so its 3-day reminder was due on 1 December 09:00) before the
// line's ack. After !restart, after a kill and a fresh start, and with the same clock set
// again, it never prints again.
func TestSimReminderFiresOnce(t *testing.T) {
	dir := t.TempDir()
	p := startSim(t, dir, "--demo", "--now=2026-11-25T10:00:00+08:00")
	p.expect("张三", "你好", "绑定")
	code := p.codes["山西示范钢铁有限公司"]
	if code == "" {
		t.Fatalf("no demo code printed: %v", p.codes)
	}
	p.expect("张三", "绑定 "+code, "绑定成功")
	p.expect("张三", "填报", "（第 1/")
	p.expect("张三", "钢铁·特殊钢冶炼", "企业属性")
	p.expect("张三", "民营", "已记：民营企业")

	clock := sim.Incoming{Clock: "2026-12-02T09:00:00+08:00"}
	out := byRecipient(p.send(clock))
	if len(out) != 2 || out["张三"] == "" || out["盐湖区帮扶群"] == "" {
		t.Fatalf("clock to 2 December printed %+v, want one nudge to 张三 and one to the demo's 盐湖区 group", out)
	}
	for _, want := range []string{"月度进展及台账报送（2026年11月）截止 12月4日（周五）", "【山西示范钢铁有限公司】2026年11月", "回复“填报”继续，从第 3 题接着填"} {
		if !strings.Contains(out["张三"], want) {
			t.Errorf("nudge lacks %q:\n%s", want, out["张三"])
		}
	}
	if g := out["盐湖区帮扶群"]; !strings.Contains(g, "山西示范钢铁有限公司（帮扶人 王建国）") || strings.Contains(g, "13800000001") {
		t.Errorf("group reminder must list the lagging enterprise and its helper, without phones:\n%s", g)
	}

	if again := p.send(sim.Incoming{Restart: true}); len(again) != 0 {
		t.Errorf("!restart printed %+v", again)
	}
	if again := p.send(clock); len(again) != 0 {
		t.Errorf("same clock after !restart printed %+v", again)
	}
	p.kill()

	p = startSim(t, dir, "--now=2026-12-02T09:00:00+08:00")
	if again := p.send(clock); len(again) != 0 {
		t.Errorf("a fresh start at the same time printed %+v", again)
	}
	// The survey goes on where it was, and the next reminder (3 December) fires once.
	p.expect("张三", "填报", "研究开发机构")
	out = byRecipient(p.send(sim.Incoming{Clock: "2026-12-03T09:30:00+08:00"}))
	if len(out) != 2 || !strings.Contains(out["张三"], "还有 1 天") {
		t.Errorf("3 December printed %+v, want the 1-day nudge and its group reminder", out)
	}
	if again := p.send(sim.Incoming{Clock: "2026-12-03T09:31:00+08:00"}); len(again) != 0 {
		t.Errorf("a minute later printed %+v", again)
	}
	p.quit()
}

// TestSimClockJumpSendsEachWeek: one !clock over three weeks sends every Monday's progress
// picture to the demo group, each at its time, as a bot up all along would have; none is
// given up as queued too long ago.
func TestSimClockJumpSendsEachWeek(t *testing.T) {
	p := startSim(t, t.TempDir(), "--demo", "--now=2026-12-06T10:00:00+08:00")
	var pictures []string
	for _, o := range p.send(sim.Incoming{Clock: "2026-12-22T10:00:00+08:00"}) {
		if o.Group == "盐湖区帮扶群" && o.File != "" {
			pictures = append(pictures, o.File)
		}
	}
	if len(pictures) != 3 {
		t.Fatalf("pictures sent to the group over three Mondays: %q, want 3", pictures)
	}
	for i, day := range []string{"20261207", "20261214", "20261221"} {
		if !strings.Contains(pictures[i], day) {
			t.Errorf("picture %d is %s, want the one of %s", i+1, pictures[i], day)
		}
	}
}

// TestRemindersCommand lists December and January of the default calendar from an empty
// data dir.
func TestRemindersCommand(t *testing.T) {
	var out, errs bytes.Buffer
	err := run(context.Background(), []string{"reminders", "--from", "2026-12-01", "--to", "2027-01-31", "--data", t.TempDir()}, &out, &errs)
	if err != nil {
		t.Fatalf("reminders: %v\n%s", err, errs.String())
	}
	for _, want := range []string{
		"共 20 次", // 12 of the deadlines, 8 Mondays' progress pictures
		"2026-12-07 09:00 周一  weekly_chart:2026-12-07:0d  每周填报进度图",
		"2026-12-01 09:00 周二  monthly:2026-12-05:3d  月度进展及台账报送（2026年11月）截止 2026-12-04 周五，原定 2026-12-05",
		"2026-12-31 09:00 周四  annual:2027-01-05:3d",
		"2027-01-15 09:00 周五  city_summary:2027-01-20:3d",
		"→ 市办公室 0（共 0 条）",
	} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
}

// byRecipient gathers the texts sent to each contact or group.
func byRecipient(out []sim.Output) map[string]string {
	m := map[string]string{}
	for _, o := range out {
		to := o.To
		if o.Group != "" {
			to = o.Group
		}
		m[to] += o.Text
	}
	return m
}
