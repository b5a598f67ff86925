package main

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"

	"innobot/bot/sim"
	"innobot/ledger"
	"innobot/storage"
	"innobot/survey"
)

// TestSimSurveyFile drives the built binary: a liaison sends the 附件3 they filled in Excel
// (one figure written as words, 企业属性 and 六有 not on the form), answers what the file left
// open, submits, and 查看 shows the file's figures.
func TestSimSurveyFile(t *testing.T) {
	dir := t.TempDir()
	answers := survey.Answers{
		"industry": {Text: "钢铁·特殊钢冶炼"}, "has_institutions": {Bool: true},
		"institution.0.inst_name": {Text: "山西示范钢铁技术中心"}, "institution.0.inst_approver": {Text: "运城市工信局"},
		"institution.0.inst_field": {Text: "特殊钢材料"}, "institution.0.inst_count": {Num: 1},
		"institution.0.inst_staff": {Num: 25}, "institution.0.inst_cost": {Num: 1},
		"institution.0.inst_equipment": {Num: 820.5}, "institution.0.#more": {},
		"has_projects":   {},
		"dir_investment": {Text: "新增研发投入 30 万元"}, "dir_talent": {}, "dir_project": {}, "dir_platform": {},
		"dir_rnd": {}, "dir_cooperation": {Text: "与太原理工大学合作"},
		"other_activities": {Multi: []int{11}}, "other_explain_11": {Text: "与太原理工大学联合开发新钢种"},
	}
	var b bytes.Buffer
	e := storage.Enterprise{Name: "山西示范钢铁有限公司", Region: "盐湖区"}
	if err := ledger.WriteSurvey(&b, nil, e, storage.Submission{Period: "2026-10", Version: 1, Answers: answers}); err != nil {
		t.Fatal(err)
	}
	// The liaison types the cost in words, as people do.
	f, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	costRow := 0
	rows, err := f.GetRows(ledger.SheetSurvey)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		if len(r) > 0 && r[0] == "山西示范钢铁技术中心" {
			costRow = i + 1
		}
	}
	cell, _ := excelize.CoordinatesToCellName(6, costRow)
	if err := f.SetCellStr(ledger.SheetSurvey, cell, "约五十"); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "附件3（已填）.xlsx")
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
	f.Close()

	p := startSim(t, dir, "--demo", "--now=2026-11-25T10:00:00+08:00")
	p.expect("张三", "你好", "绑定") // the demo's codes are read with the first reply
	code := p.codes["山西示范钢铁有限公司"]
	p.expect("张三", "绑定 "+code, "绑定成功")
	var texts []string
	for _, o := range p.send(sim.Incoming{From: "张三", File: path}) {
		if o.To == "张三" {
			texts = append(texts, o.Text)
		}
	}
	reply := strings.Join(texts, "\n")
	for _, want := range []string{
		"已读取《附件3（已填）.xlsx》", "还没有提交", "研发机构1·名称：山西示范钢铁技术中心",
		"第 " + strconv.Itoa(costRow) + " 行 机构研究开发费用：“约五十”不是确切的数字", "还有 3 题", "企业属性是哪一种",
	} {
		if !strings.Contains(reply, want) {
			t.Errorf("reply to the file lacks %q:\n%s", want, reply)
		}
	}
	p.expect("张三", "民营", "研究开发费用是多少万元")
	p.expect("张三", "五十", "六有")
	// Institution costs without a project: the check asks, the liaison keeps the answers.
	p.expect("张三", "1,2,3", "研发机构有研发费用，但“有无研发项目”填的是无")
	p.expect("张三", "保留", "请核对")
	p.expect("张三", "确认提交", "第 1 版")
	got := p.expect("张三", "查看", "820.5 万元")
	for _, want := range []string{"山西示范钢铁技术中心", "50 万元", "与太原理工大学联合开发新钢种", "民营企业"} {
		if !strings.Contains(got, want) {
			t.Errorf("查看 lacks %q:\n%s", want, got)
		}
	}
	p.quit()
}

// TestSimWeeklyChart: on Monday at nine the bound helper group gets its region's progress
// picture, once, through the outbox.
func TestSimWeeklyChart(t *testing.T) {
	dir := t.TempDir()
	p := startSim(t, dir, "--demo", "--now=2026-11-27T10:00:00+08:00")
	var pictures []sim.Output
	for _, o := range p.send(sim.Incoming{Clock: "2026-11-30T09:30:00+08:00"}) {
		if o.File != "" {
			pictures = append(pictures, o)
		}
	}
	if len(pictures) != 1 || pictures[0].Group != "盐湖区帮扶群" || !strings.Contains(pictures[0].File, "盐湖区填报进度_2026年11月_20261130-0900") {
		t.Fatalf("pictures on Monday: %+v", pictures)
	}
	if got := pictures[0].Text; got != "【每周填报进度】盐湖区 2026年11月 填报进度：已填报 0/1 家（0%），开展率 0%。在群里 @我 发送“未填报”可看还没填报的企业。" {
		t.Errorf("the picture's caption is %q", got)
	}
	f, err := os.Open(pictures[0].File)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := png.DecodeConfig(f)
	f.Close()
	if err != nil || cfg.Width < 1080 {
		t.Errorf("picture %+v, %v", cfg, err)
	}
	p.send(sim.Incoming{Restart: true})
	for _, o := range p.send(sim.Incoming{Clock: "2026-11-30T10:00:00+08:00"}) {
		if o.File != "" {
			t.Errorf("the picture went out again after a restart: %+v", o)
		}
	}
	p.quit()
}
