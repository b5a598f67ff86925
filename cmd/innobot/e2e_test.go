package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"innobot/bot/sim"
	"innobot/survey/surveytest"
)

// TestSimWholeSurvey drives the built binary through its JSON pipes: a liaison binds, answers
// the whole survey in loose real-world Chinese, the process is killed mid-survey, comes back,
// and the liaison finishes where they were. The stored submission is then read back field by
// field.
func TestSimWholeSurvey(t *testing.T) {
	dir := t.TempDir()
	now := "--now=2026-11-25T10:00:00+08:00"
	p := startSim(t, dir, "--demo", now)
	p.expect("张三", "你好", "绑定 邀请码")
	code := p.codes["山西示范钢铁有限公司"]
	if code == "" {
		t.Fatalf("no demo code printed: %v", p.codes)
	}
	p.expect("张三", "绑定 "+code, "绑定成功：您是【山西示范钢铁有限公司】（盐湖区）")
	p.expect("李四", "绑定 "+code, "已经用过")
	steps := surveytest.WholeSurvey()
	var receipt string
	for _, st := range steps {
		reply := p.expect("张三", st.Text, st.Want)
		switch {
		case st.Submit:
			receipt = reply
		case st.Key == "institution.0.inst_staff":
			// A crash in the middle: everything acknowledged so far must be there after it.
			p.kill()
			p = startSim(t, dir, now)
			p.expect("张三", "填报", st.At())
		case st.Key == "project.0.#more":
			p.send(sim.Incoming{Restart: true})
		}
	}
	// Each table's own figures, never added across tables (an institution's staff and costs
	// include its projects').
	for _, want := range []string{"山西示范钢铁有限公司", "2026年11月", "第 1 版", "研发机构：1 个（期末机构数 1 个，研发人员 25 人，研发费用 12.5 万元，仪器设备原价 120 万元）",
		"研发项目：1 个（研发人员 8 人，研发费用 30 万元，研发资产 0 万元）"} {
		if !strings.Contains(receipt, want) {
			t.Errorf("receipt lacks %q:\n%s", want, receipt)
		}
	}
	p.quit()

	s := openData(t, dir)
	subs, err := s.Submissions(context.Background(), "demo-01")
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 1 {
		t.Fatalf("submissions = %d, want 1", len(subs))
	}
	sub := subs[0]
	if sub.Period != "2026-11" || sub.Version != 1 || sub.SubmittedBy != "张三" || sub.Form != "fujian3" {
		t.Errorf("submission header = %s v%d by %s form %s", sub.Period, sub.Version, sub.SubmittedBy, sub.Form)
	}
	if sub.SubmittedAt.Before(time.Date(2026, 11, 25, 2, 0, 0, 0, time.UTC)) {
		t.Errorf("submitted at %v, before the simulated clock", sub.SubmittedAt)
	}
	surveytest.Check(t, sub.Answers, surveytest.Answers(steps))
	if _, err := s.Draft(context.Background(), "demo-01", "2026-11"); err == nil {
		t.Error("draft left after submission")
	}
}
