package assistant_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"innobot/assistant"
	"innobot/ledger"
	"innobot/storage"
	"innobot/survey"
)

var filePath = regexp.MustCompile(`\[文件\] (\S+)`)

// fileOf is the spreadsheet a reply sent, opened.
func fileOf(t *testing.T, reply string) *excelize.File {
	t.Helper()
	m := filePath.FindStringSubmatch(reply)
	if m == nil {
		t.Fatalf("no file sent:\n%s", reply)
	}
	f, err := excelize.OpenFile(m[1])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func cellText(t *testing.T, f *excelize.File, sheet string) string {
	t.Helper()
	rows, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	for _, r := range rows {
		lines = append(lines, strings.Join(r, "|"))
	}
	return strings.Join(lines, "\n")
}

// TestLooseStaffCommands: the ways a hurried clerk types reach the command, in their scope.
func TestLooseStaffCommands(t *testing.T) {
	e := newMatrixEnv(t)
	for _, c := range []struct{ who, text, want string }{
		{county, "盐湖区进度", "【盐湖区 2026年11月进度】"},
		{county, "进度？", "【盐湖区 2026年11月进度】"},
		{county, "查看进度", "【盐湖区 2026年11月进度】"},
		{city, "进度 盐湖", "【盐湖区 2026年11月进度】"},
		{city, "夏县进度 上月", "【夏县 2026年10月进度】"},
		{city, "进度", "【运城市 2026年11月填报进度】"},
		{county, "未填报企业", "【盐湖区 2026年11月未填报企业 1 家】"},
		{county, "进度 夏县", "您只能查看盐湖区的情况"},
		{county, "进度 全市", "您只能查看盐湖区的情况"},
		{county, "进度 2026年12月", "2026年12月还没有到报送的时候：当前报告期是2026年11月"},
		{county, "导出 台账 2027-01", "还没有到报送的时候"},
		{county, "进读", "您是不是想发送“进度”？"},
		{county, "盐湖区", "您是不是想发送“进度 盐湖区”？"},
		{county, "盐湖区近度", "您是不是想发送“进度 盐湖区”？"},
		{county, "导出", "没有识别“导出”。您是不是想发送“导出 台账”或“导出 月报”？"},
		{county, "甲钢铁有限公司", "没有识别“甲钢铁有限公司”。要查看企业的填报情况，请发送：查询 甲钢铁有限公司"},
		{county, "甲钢铁", "请发送：查询 甲钢铁"},
		{county, "乙电机有限公司", "没有识别“乙电机有限公司”。回复“帮助”"},
		{city, "乙电机", "请发送：查询 乙电机"},
		{county, "提醒未填报", "已排队私信提醒 1 位联络人"},
		{helper, "提醒未填报", "您没有使用“提醒 未填报”的权限"},
	} {
		if got := e.say(c.who, "", c.text); !strings.Contains(got, c.want) {
			t.Errorf("%s: %q\n got %s\nwant it to contain %q", c.who, c.text, got, c.want)
		}
	}
	// A liaison's words that happen to hold a staff command's go to the survey.
	for _, text := range []string{"台账管理", "提醒我明天填", "进度条"} {
		if got := e.say(liaison, "", text); strings.Contains(got, "没有看懂") || strings.Contains(got, "权限") || !strings.Contains(got, "填报") {
			t.Errorf("liaison %q: %s", text, got)
		}
	}
	if got := e.say("群友", "盐湖区帮扶群", "进度?"); !strings.Contains(got, "【盐湖区 2026年11月进度】") {
		t.Errorf("group 进度?: %s", got)
	}
	if got := e.say("群友", "盐湖区帮扶群", "导出台账"); !strings.Contains(got, "请私聊我使用") {
		t.Errorf("group 导出台账: %s", got)
	}
	// The reports of a past month come as that month's.
	got := e.say(county, "", "导出 台账 2026年10月 盐湖")
	if f := fileOf(t, got); !strings.Contains(cellText(t, f, ledger.SheetLedger), "日期：2026年10月") {
		t.Errorf("导出 台账 2026年10月: %s", cellText(t, f, ledger.SheetLedger))
	}
}

// TestExportAsksForThePreparerOnce: the first export asks the clerk's name and phone, keeps
// them with the clerk's contact, signs the file with them, and never asks again.
func TestExportAsksForThePreparerOnce(t *testing.T) {
	e := newMatrixEnv(t)
	ctx := context.Background()
	if _, err := e.store.SetContactDetails(ctx, county, "", "", storage.Answer{}); err != nil {
		t.Fatal(err)
	}
	got := e.say(county, "", "导出台账")
	if !strings.Contains(got, "填表人和联系方式") || strings.Contains(got, "[文件]") {
		t.Fatalf("first export:\n%s", got)
	}
	// A reply that is no name and phone is still the answer to the question: the clerk hears
	// what is missing, and the export keeps waiting, across a command asked in between.
	for _, c := range []struct{ in, want string }{
		{"王芳", "没有找到电话号码。请回复姓名和电话"},
		{"13912345678", "没有找到姓名。请回复姓名和电话"},
		{"进度", "【盐湖区 2026年11月进度】"},
		{"王芳 123", "没有找到电话号码"},
	} {
		if got := e.say(county, "", c.in); !strings.Contains(got, c.want) || strings.Contains(got, "[文件]") {
			t.Errorf("%s while the export waits: %s", c.in, got)
		}
	}
	// Once the wait is over, such text is not taken for an answer any more.
	e.now = e.now.Add(11 * time.Minute)
	if got := e.say(county, "", "王芳"); !strings.Contains(got, "没有识别") {
		t.Errorf("after the wait: %s", got)
	}
	if got := e.say(county, "", "导出台账"); !strings.Contains(got, "填表人和联系方式") {
		t.Fatalf("export asked again:\n%s", got)
	}
	got = e.say(county, "", "王芳 139 1234 5678")
	if !strings.Contains(got, "已记下：填表人 王芳，联系方式 13912345678") {
		t.Fatalf("answer:\n%s", got)
	}
	f := fileOf(t, got)
	if text := cellText(t, f, ledger.SheetLedger); !strings.Contains(text, "填表人：王芳") || !strings.Contains(text, "联系方式：13912345678") {
		t.Errorf("the 附件2 footer:\n%s", text)
	}
	if c, err := e.store.Contact(ctx, county); err != nil || c.Person != "王芳" || c.Mobile != "13912345678" || c.Role != storage.RoleCounty {
		t.Errorf("kept: %+v, %v", c, err)
	}
	got = e.say(county, "", "导出 月报")
	if strings.Contains(got, "填表人和联系方式") {
		t.Errorf("asked again:\n%s", got)
	}
	if text := cellText(t, fileOf(t, got), ledger.SheetSummary); !strings.Contains(text, "填表人：王芳") || !strings.Contains(text, "联系电话：13912345678") {
		t.Errorf("the 月报 header:\n%s", text)
	}
	// Changed at will, an office phone too.
	if got := e.say(county, "", "填表人 李四 0359-2688888"); !strings.Contains(got, "已记下：填表人 李四，联系方式 0359-2688888") {
		t.Errorf("changing the preparer: %s", got)
	}
	if got := e.say(county, "", "填表人"); !strings.Contains(got, "现在的填表人：李四") {
		t.Errorf("asking the preparer: %s", got)
	}
}

// TestLookupGivesTheLiaisonsPhone: 查询 tells who to call, the liaison's number with the
// helper's.
func TestLookupGivesTheLiaisonsPhone(t *testing.T) {
	e := newMatrixEnv(t)
	if _, err := e.store.SetContactDetails(context.Background(), liaison, "张三", "13912345678", storage.Answer{}); err != nil {
		t.Fatal(err)
	}
	if got := e.say(county, "", "查询 甲钢铁"); !strings.Contains(got, "联络人 张三 13912345678；对口帮扶人：王建国 13800000001") {
		t.Errorf("查询: %s", got)
	}
	// Unbound, the contact of the enterprise list is who to call.
	ctx := context.Background()
	if err := e.store.PutEnterprise(ctx, storage.Enterprise{ID: "e3", Name: "丙机械有限公司", Region: "盐湖区", ContactName: "刘七", ContactTel: "13600000007"}); err != nil {
		t.Fatal(err)
	}
	if got := e.say(county, "", "查询 丙机械"); !strings.Contains(got, "未绑定联络人（企业联系人 刘七 13600000007）（发送“邀请码 丙机械有限公司”为其生成邀请码）") {
		t.Errorf("查询 of an enterprise without a liaison: %s", got)
	}
}

// TestExportsWaitingForThePreparer: every export asked for before the clerk answers the
// 填表人 question is made once they do, each once.
func TestExportsWaitingForThePreparer(t *testing.T) {
	e := newMatrixEnv(t)
	if _, err := e.store.SetContactDetails(context.Background(), county, "", "", storage.Answer{}); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"导出台账", "导出 月报", "导出台账"} {
		if got := e.say(county, "", text); !strings.Contains(got, "填表人和联系方式") {
			t.Fatalf("%s: %s", text, got)
		}
	}
	got := e.say(county, "", "王芳 13912345678")
	if n := strings.Count(got, "[文件]"); n != 2 || !strings.Contains(got, "附件2 汇总统计表已生成") || !strings.Contains(got, "月报已生成") {
		t.Errorf("%d files after the answer, want the 附件2 and the 月报:\n%s", n, got)
	}
}

// TestPreparerAskedAlone: a clerk who sends 填表人 alone is asked for the name and phone, and
// the bare answer that follows is taken as them.
func TestPreparerAskedAlone(t *testing.T) {
	e := newMatrixEnv(t)
	if _, err := e.store.SetContactDetails(context.Background(), county, "", "", storage.Answer{}); err != nil {
		t.Fatal(err)
	}
	if got := e.say(county, "", "填表人"); !strings.Contains(got, "请写上姓名和电话") {
		t.Fatalf("填表人 alone: %s", got)
	}
	if got := e.say(county, "", "李明 13511112222"); got != "已记下：填表人 李明，联系方式 13511112222。导出的附件2 和月报都会这样填写。" {
		t.Errorf("the answer: %s", got)
	}
	if got := e.say(county, "", "导出台账"); strings.Contains(got, "填表人和联系方式") || !strings.Contains(got, "[文件]") {
		t.Errorf("export after the answer: %s", got)
	}
}

// TestExportSurveyOfAMonth: 导出 调查表 gives the enterprise's survey as of the month the
// clerk names, the latest by default.
func TestExportSurveyOfAMonth(t *testing.T) {
	e := newMatrixEnv(t)
	ctx := context.Background()
	for _, p := range []string{"2026-10", "2026-11"} {
		sub := storage.Submission{EnterpriseID: "e1", Period: p, Version: 1, Answers: survey.Answers{"industry": {Text: "钢铁" + p}}, SubmittedAt: e.now}
		if err := e.store.CommitTurn(ctx, storage.Turn{Session: storage.Session{ContactID: "填报人" + p}, Submission: &sub}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct{ text, reply, cell string }{
		{"导出 调查表 甲钢铁", "（2026年11月 第 1 版）", "钢铁2026-11"},
		{"导出 调查表 甲钢铁 10月", "（2026年10月 第 1 版）", "钢铁2026-10"},
		{"调查表 甲钢铁 上月", "（2026年10月 第 1 版）", "钢铁2026-10"},
	} {
		got := e.say(county, "", c.text)
		if !strings.Contains(got, c.reply) {
			t.Errorf("%s: %s", c.text, got)
			continue
		}
		if text := cellText(t, fileOf(t, got), "调查表"); !strings.Contains(text, c.cell) {
			t.Errorf("%s: the file lacks %q:\n%s", c.text, c.cell, text)
		}
	}
	// Picked from a list, the month named still holds.
	list := e.say(city, "", "导出 调查表 有限公司 10月")
	m := regexp.MustCompile(`(\d+)\. 甲钢铁有限公司`).FindStringSubmatch(list)
	if m == nil {
		t.Fatalf("no list to pick from: %s", list)
	}
	if got := e.say(city, "", m[1]); !strings.Contains(got, "【甲钢铁有限公司】调查表（2026年10月 第 1 版）") {
		t.Errorf("picked from the list: %s", got)
	}
	if got := e.say(county, "", "导出 调查表 甲钢铁 2026年9月"); !strings.Contains(got, "【甲钢铁有限公司】在2026年9月及以前没有提交过调查表") {
		t.Errorf("a month before any survey: %s", got)
	}
}

// TestMonthlyNotes: a county clerk writes the 工作进展 and 存在问题 of their 月报 by message;
// they are kept per period and region, and the 月报 prints them as text, whatever they
// start with.
func TestMonthlyNotes(t *testing.T) {
	e := newMatrixEnv(t)
	if got := e.say(county, "", "月报 进展"); !strings.Contains(got, "还没有写") {
		t.Errorf("empty note: %s", got)
	}
	if got := e.say(county, "", "月报 进展 本月走访企业 15 家，组织培训 2 次"); !strings.Contains(got, "已记下盐湖区2026年11月月报的“工作进展”（20 字）") {
		t.Errorf("set: %s", got)
	}
	if got := e.say(county, "", "月报问题：=部分企业没有专职科技人员"); !strings.Contains(got, "“存在问题”") {
		t.Errorf("set problems: %s", got)
	}
	if got := e.say(city, "", "月报 进展 全市组织推进会 1 次"); !strings.Contains(got, "已记下运城市2026年11月月报") {
		t.Errorf("city note: %s", got)
	}
	if got := e.say(helper, "", "月报 进展 走访"); !strings.Contains(got, "没有使用") {
		t.Errorf("a helper set a note: %s", got)
	}
	notes, err := e.store.MonthlyNotes(context.Background(), "2026-11")
	if err != nil || len(notes) != 2 {
		t.Fatalf("notes %+v, %v", notes, err)
	}
	text := cellText(t, fileOf(t, e.say(county, "", "导出月报")), ledger.SheetSummary)
	for _, want := range []string{"本月走访企业 15 家，组织培训 2 次", "=部分企业没有专职科技人员"} {
		if !strings.Contains(text, want) {
			t.Errorf("the county's 月报 lacks %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "全市组织推进会") {
		t.Errorf("the county's 月报 shows the city's note")
	}
	city := cellText(t, fileOf(t, e.say(city, "", "导出 月报")), ledger.SheetSummary)
	for _, want := range []string{"全市组织推进会 1 次", "盐湖区：本月走访企业 15 家"} {
		if !strings.Contains(city, want) {
			t.Errorf("the city's 月报 lacks %q:\n%s", want, city)
		}
	}
	// A month in the text is part of the note, which is the period's being reported.
	if got := e.say(county, "", "月报 进展 10月走访企业 5 家"); !strings.Contains(got, "已记下盐湖区2026年11月月报的“工作进展”") {
		t.Errorf("a note starting with a month: %s", got)
	}
	if got := e.say(county, "", "月报 进展"); !strings.Contains(got, "10月走访企业 5 家") {
		t.Errorf("the note kept: %s", got)
	}
	// The next period starts empty.
	e.now = time.Date(2026, 12, 7, 10, 0, 0, 0, shanghaiTZ)
	if got := e.say(county, "", "月报 进展"); !strings.Contains(got, "2026年12月月报的“工作进展”还没有写") {
		t.Errorf("next period: %s", got)
	}
}

// TestNudgeSaysWhoCannotBeReached: 提醒 未填报 says how many were nudged, who was nudged
// already today, and which enterprises have no liaison to nudge.
func TestNudgeSaysWhoCannotBeReached(t *testing.T) {
	e := newMatrixEnv(t)
	e.svc.Nudge = func(context.Context, string, time.Time) (assistant.NudgeResult, error) {
		return assistant.NudgeResult{Sent: 2, Already: 1, Unbound: []string{"乙电机有限公司", "丙铝业有限公司"}}, nil
	}
	e.h = e.svc.Handler()
	got := e.say(city, "", "提醒未填报")
	for _, want := range []string{"已排队私信提醒 2 位联络人", "1 位联络人今天已经提醒过", "以下 2 家企业没有绑定联络人，无法提醒：乙电机有限公司、丙铝业有限公司", "邀请码 企业名"} {
		if !strings.Contains(got, want) {
			t.Errorf("reply lacks %q:\n%s", want, got)
		}
	}
	e.svc.Nudge = func(context.Context, string, time.Time) (assistant.NudgeResult, error) {
		return assistant.NudgeResult{}, nil
	}
	e.h = e.svc.Handler()
	if got := e.say(county, "", "催报"); !strings.Contains(got, "盐湖区本期（2026年11月）的企业都已填报") {
		t.Errorf("nobody to nudge: %s", got)
	}
}

// TestHelperTitles: a helper's replies and files are titled with the helper's name, not the
// city's.
func TestHelperTitles(t *testing.T) {
	e := newMatrixEnv(t)
	if got := e.say(helper, "", "进度"); !strings.Contains(got, "【帮扶人本人（对口帮扶人） 2026年11月进度】") {
		t.Errorf("helper's 进度: %s", got)
	}
	got := e.say(helper, "", "导出台账")
	if !strings.Contains(got, "帮扶人本人（对口帮扶人）开展创新活动企业汇总统计表_2026年11月.xlsx") {
		t.Errorf("helper's file: %s", got)
	}
	if text := cellText(t, fileOf(t, got), ledger.SheetLedger); !strings.HasPrefix(text, "帮扶人本人（对口帮扶人）开展创新活动企业汇总统计表") {
		t.Errorf("helper's 附件2 title:\n%s", text)
	}
}
