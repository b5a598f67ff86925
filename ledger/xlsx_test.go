package ledger

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"innobot/storage"
	"innobot/survey"
)

func open(t *testing.T, data []byte) *excelize.File {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the file does not open: %v", err)
	}
	t.Cleanup(func() { f.Close() })
	return f
}

func rows(t *testing.T, f *excelize.File, sheet string) [][]string {
	t.Helper()
	rs, err := f.GetRows(sheet)
	if err != nil {
		t.Fatal(err)
	}
	return rs
}

func at(rs [][]string, row, col int) string {
	if row-1 >= len(rs) || col-1 >= len(rs[row-1]) {
		return ""
	}
	return rs[row-1][col-1]
}

func merged(t *testing.T, f *excelize.File, sheet string) []string {
	t.Helper()
	ms, err := f.GetMergeCells(sheet)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, m := range ms {
		out = append(out, m.GetStartAxis()+":"+m.GetEndAxis())
	}
	return out
}

// ledgerScenario is the scenario with full surveys for two enterprises, so that 附件2's cells
// can be checked against stored answers.
func ledgerScenario(t *testing.T, scope Scope) (*fakeStore, Report) {
	t.Helper()
	f := scenario()
	e := f.enterprises["E01"]
	e.ContactName, e.ContactTel = "周一", "0359-2020001"
	f.putEnterprise(e)
	f.submit(submission("E01", "2026-11", fullAnswers()))
	f.submit(submission("E05", "2026-11", planAnswers()))
	r, err := Progress(context.Background(), f, scope, "2026-11", regions)
	if err != nil {
		t.Fatal(err)
	}
	return f, r
}

func TestWriteLedger(t *testing.T) {
	_, r := ledgerScenario(t, City())
	var buf bytes.Buffer
	if err := WriteLedger(&buf, r, LedgerOptions{Preparer: "张文书", Phone: "0359-2688888"}); err != nil {
		t.Fatal(err)
	}
	f := open(t, buf.Bytes())
	if got := f.GetSheetList(); !slices.Equal(got, []string{SheetLedger}) {
		t.Errorf("sheets %v", got)
	}
	rs := rows(t, f, SheetLedger)
	if got := at(rs, 1, 1); got != "运城市开展创新活动企业汇总统计表" {
		t.Errorf("title %q", got)
	}
	if got, want := at(rs, 2, 1), "规上工业企业数量：20（含新进规上 1 家）  已开展创新活动企业数量：12  未开展创新活动企业数量：8（含从未填报 5 家）  日期：2026年11月"; got != want {
		t.Errorf("header line\n got %q\nwant %q", got, want)
	}
	// A city-wide 附件2 names each row's county after 企业名称.
	wantCols := []string{"序号", "企业名称", "所属县（市、区）", "行业", "企业属性", "有无研发机构", "有无研发活动", "有无创新活动",
		"计划开展创新活动内容", "企业联系人", "联系电话", "各县（市、区）对口帮扶人", "联系电话"}
	if !slices.Equal(rs[2], wantCols) {
		t.Errorf("columns\n got %q\nwant %q", rs[2], wantCols)
	}
	for _, m := range []string{"A1:M1", "A2:M2"} {
		if !slices.Contains(merged(t, f, SheetLedger), m) {
			t.Errorf("%s not merged: %v", m, merged(t, f, SheetLedger))
		}
	}

	// One row per enterprise, in region order, numbered.
	if len(rs) < 3+len(r.Entries) {
		t.Fatalf("%d rows for %d enterprises", len(rs)-3, len(r.Entries))
	}
	byName := map[string][]string{}
	for i, en := range r.Entries {
		row := rs[3+i]
		if row[0] != strconv.Itoa(i+1) || row[1] != en.Enterprise.Name || row[2] != en.Enterprise.Region {
			t.Errorf("row %d = %q, want %d %s %s", 4+i, row[:3], i+1, en.Enterprise.Name, en.Enterprise.Region)
		}
		byName[row[1]] = row
	}
	pad := func(r []string) []string { return append(slices.Clone(r), make([]string, 13-len(r))...) }
	for name, want := range map[string][]string{
		// Full survey: industry and ownership from the answers, the office's contact.
		"盐湖一号公司": {"钢铁·特殊钢冶炼", "民营企业", "有", "有", "有", "", "周一", "0359-2020001", "帮扶E01", "1390000E01"},
		// Facts only: 有研发活动.
		"盐湖二号公司": {"登记行业E02", "民营企业", "无", "有", "无", "", "", "", "帮扶E02", "1390000E02"},
		// Nothing started: 无 ×3 and the plan (填表说明 4).
		"永济五号公司": {"食品·果汁饮料", "民营企业", "无", "无", "无", "明年建立企业技术中心，开展果汁浓缩工艺改进", "", "", "帮扶E05", "1390000E05"},
		// Reported in October only: October's 有无, said so.
		"永济四号公司": {"登记行业E04", "民营企业", "有", "无", "无", "（本期未填报，按2026年10月填报）", "", "", "帮扶E04", "1390000E04"},
		// Never surveyed: 未填报 ×3, the bound liaison names the contact.
		"永济六号公司": {"登记行业E06", "民营企业", "从未填报", "从未填报", "从未填报", "（尚未填报调查表）", "赵六", "", "帮扶E06", "1390000E06"},
		"河津七号公司": {"登记行业E07", "民营企业", "从未填报", "从未填报", "从未填报", "（尚未填报调查表）", "钱七", "13800000007", "帮扶E07", "1390000E07"},
		// Never surveyed, known from the baseline.
		"永济十六号公司": {"登记行业E16", "民营企业", "无", "有", "无", "（尚未填报调查表，有无按原台账）", "", "", "帮扶E16", "1390000E16"},
		// The liaison's own name and mobile, given in chat, over the office's listing.
		"临猗二十号公司": {"登记行业E20", "民营企业", "无", "无", "有", "", "吴二十", "13912340020", "帮扶E20", "1390000E20"},
	} {
		row, ok := byName[name]
		if !ok {
			t.Errorf("no row for %s", name)
			continue
		}
		if got := pad(row)[3:]; !slices.Equal(got, want) {
			t.Errorf("%s\n got %q\nwant %q", name, got, want)
		}
	}

	tail := rs[3+len(r.Entries):]
	var texts []string
	for _, row := range tail {
		texts = append(texts, strings.Join(row, "|"))
	}
	all := strings.Join(texts, "\n")
	for _, want := range []string{
		"填表人：张文书", "联系方式：0359-2688888",
		"填表说明：1.行业请填写至行业的细分领域。",
		"2.“企业属性”请填写央企、省属国企、市属国企、军工企业、民营企业、混合制企业、外资企业。",
		"3.根据企业情况在有无研发机构、研发活动、创新活动栏里填写“有”或“无”。",
		"4.对无研发机构、无研发活动及创新活动的企业，请认真填写下一步计划开展创新活动内容。",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("footer lacks %q:\n%s", want, all)
		}
	}
	if name := LedgerFileName(r); name != "运城市开展创新活动企业汇总统计表_2026年11月.xlsx" {
		t.Errorf("file name %q", name)
	}
}

func TestWriteLedgerRegion(t *testing.T) {
	_, r := ledgerScenario(t, Region("盐湖区"))
	var buf bytes.Buffer
	if err := WriteLedger(&buf, r, LedgerOptions{}); err != nil {
		t.Fatal(err)
	}
	f := open(t, buf.Bytes())
	rs := rows(t, f, SheetLedger)
	if at(rs, 1, 1) != "盐湖区开展创新活动企业汇总统计表" ||
		at(rs, 2, 1) != "规上工业企业数量：7  已开展创新活动企业数量：6  未开展创新活动企业数量：1（含从未填报 1 家）  日期：2026年11月" {
		t.Errorf("heading %q / %q", at(rs, 1, 1), at(rs, 2, 1))
	}
	// A county's own 附件2 has the policy's twelve columns.
	if !slices.Equal(rs[2], ledgerColumns) {
		t.Errorf("columns %q", rs[2])
	}
	var names []string
	for _, row := range rs[3:10] {
		names = append(names, row[1])
	}
	if want := []string{"盐湖一号公司", "盐湖二号公司", "盐湖三号公司", "盐湖十一号公司", "盐湖十二号公司", "盐湖十三号公司", "盐湖十五号公司"}; !slices.Equal(names, want) {
		t.Errorf("rows %v, want %v", names, want)
	}
	if at(rs, 11, 1) != "" || !strings.HasPrefix(at(rs, 12, 1), "填表人：") {
		t.Errorf("footer not right after the rows: %q", rs[10:])
	}
	if !slices.Contains(merged(t, f, SheetLedger), "A12:G12") || !slices.Contains(merged(t, f, SheetLedger), "H12:L12") {
		t.Errorf("footer halves not merged: %v", merged(t, f, SheetLedger))
	}
	if name := LedgerFileName(r); name != "盐湖区开展创新活动企业汇总统计表_2026年11月.xlsx" {
		t.Errorf("file name %q", name)
	}
}

func TestWriteSurvey(t *testing.T) {
	form := survey.Default()
	a := fullAnswers()
	if v := form.Visible(a); len(v) != len(a) {
		t.Fatalf("test answers have keys the form does not ask: %d of %d visible", len(v), len(a))
	}
	e := storage.Enterprise{ID: "E01", Name: "山西某某特钢有限公司", Region: "盐湖区", Industry: "登记行业"}
	s := submission("E01", "2026-11", a)
	s.Version = 2
	s.SubmittedAt = time.Date(2026, 11, 3, 2, 4, 0, 0, time.UTC)
	var buf bytes.Buffer
	if err := WriteSurvey(&buf, form, e, s); err != nil {
		t.Fatal(err)
	}
	f := open(t, buf.Bytes())
	if got := f.GetSheetList(); !slices.Equal(got, []string{SheetSurvey}) {
		t.Errorf("sheets %v", got)
	}
	rs := rows(t, f, SheetSurvey)
	if at(rs, 1, 1) != "企业创新活动开展情况调查表" {
		t.Errorf("title %q", at(rs, 1, 1))
	}
	if at(rs, 2, 1) != "企业全称：山西某某特钢有限公司（盖章）" || at(rs, 2, 4) != "所属县（市、区）：盐湖区" || at(rs, 2, 6) != "所属行业：钢铁·特殊钢冶炼" {
		t.Errorf("heading %q", rs[1])
	}
	find := func(text string) int {
		for i, row := range rs {
			if len(row) > 0 && row[0] == text {
				return i + 1
			}
		}
		t.Fatalf("no row starting %q", text)
		return 0
	}
	r1 := find("一、企业研究开发机构情况")
	if want := []string{"研究开发机构及平台名称", "批准部门（或企业自建）", "研究领域", "期末机构数（个）",
		"机构研究开发人员数量（人）", "机构研究开发费用（万元）", "期末仪器和设备原价（万元）"}; !slices.Equal(rs[r1], want) {
		t.Errorf("section 一 columns %q", rs[r1])
	}
	if want := []string{"山西省特殊钢工程技术研究中心", "山西省科学技术厅", "特殊钢冶炼", "1", "35", "820.5", "1500"}; !slices.Equal(rs[r1+1], want) {
		t.Errorf("institution 1 %q", rs[r1+1])
	}
	if want := []string{"企业技术中心", "企业自建", "轧制工艺", "1", "12", "95", "260.25"}; !slices.Equal(rs[r1+2], want) {
		t.Errorf("institution 2 %q", rs[r1+2])
	}
	// Figures stay numbers, so a clerk can sum them.
	if typ, _ := f.GetCellType(SheetSurvey, cell(6, r1+2)); typ != excelize.CellTypeNumber && typ != excelize.CellTypeUnset {
		t.Errorf("研发费用 cell type %v, want a number", typ)
	}
	if v, _ := f.GetCellValue(SheetSurvey, cell(6, r1+2), excelize.Options{RawCellValue: true}); v != "820.5" {
		t.Errorf("研发费用 raw %q", v)
	}
	r2 := find("二、企业研究开发活动及有关情况")
	head := strings.Join(rs[r2], "|")
	if head != "研发项目名称||研发项目来源及立项文号||研究开发人员情况（人）|研究开发费用情况（万元）|研究开发资产情况（万元）" {
		t.Errorf("section 二 columns %q", head)
	}
	if got := strings.Join(rs[r2+1], "|"); got != "高强度汽车板研发||政府部门科技项目 晋科〔2026〕12号||18|300|80" {
		t.Errorf("project %q", got)
	}
	r3 := find("三、企业创新有关活动开展情况")
	if at(rs, r3+1, 1) != "创新活动方向" || at(rs, r3+1, 2) != "主要内容" {
		t.Errorf("section 三 head %q", rs[r3])
	}
	dirs := [][2]string{{"创新投入", "研发投入同比增长15%"}, {"创新人才", "引进博士2名"}, {"创新项目", "无"},
		{"创新平台", "无"}, {"技术研发", "突破连铸关键技术"}, {"技术合作", "无"}}
	for i, d := range dirs {
		if at(rs, r3+2+i, 1) != d[0] || at(rs, r3+2+i, 2) != d[1] {
			t.Errorf("direction %d = %q, want %q", i+1, rs[r3+1+i], d)
		}
	}
	ro := find("其他创新活动（可多选）")
	opts := form.Question(survey.IDOtherActivities).Options
	if len(opts) != 14 {
		t.Fatalf("%d options", len(opts))
	}
	for i, opt := range opts {
		box, explain := "□ ", ""
		switch i + 1 {
		case 2:
			box, explain = "☑ ", "开展“五小”创新23项"
		case 5:
			box, explain = "☑ ", "余热回收，年降本300万元"
		}
		if at(rs, ro+1+i, 1) != box+opt || at(rs, ro+1+i, 4) != explain {
			t.Errorf("option %d = %q / %q, want %q / %q", i+1, at(rs, ro+1+i, 1), at(rs, ro+1+i, 4), box+opt, explain)
		}
	}
	r6 := find("“六有”自查")
	for i, want := range []string{"☑ 有固定的办公场所", "☑ 有专门的技术人员", "☑ 有必要的仪器设备", "□ 有科技研发经费", "□ 有技术创新项目", "□ 有研究成果"} {
		if at(rs, r6+1+i, 1) != want {
			t.Errorf("六有 %d = %q, want %q", i+1, at(rs, r6+1+i, 1), want)
		}
	}
	for _, row := range rs {
		if len(row) > 0 && row[0] == "计划开展创新活动内容" {
			t.Error("an active enterprise's survey shows a plan row")
		}
	}
	all := flat(rs)
	for _, want := range []string{
		"填表说明：1. 本次统计填报截止 2026 年 11 月底情况。",
		"2.“研发项目来源”按照企业自选项目、政府部门科技项目、其他企业（单位）委托项目、境外项目等填写；",
		"填报期：2026年11月（第 2 版，2026-11-03 10:04 提交）",
	} {
		if !strings.Contains(all, want) {
			t.Errorf("survey lacks %q", want)
		}
	}
	if !slices.Contains(merged(t, f, SheetSurvey), "A1:G1") {
		t.Error("title not merged")
	}
	if name := SurveyFileName(e, "2026-11"); name != "山西某某特钢有限公司企业创新活动开展情况调查表_2026年11月.xlsx" {
		t.Errorf("file name %q", name)
	}
}

func TestWriteSurveyNothingStarted(t *testing.T) {
	form := survey.Default()
	e := storage.Enterprise{ID: "E05", Name: "永济某某饮料有限公司", Region: "永济市", Industry: "登记行业"}
	var buf bytes.Buffer
	if err := WriteSurvey(&buf, form, e, submission("E05", "2026-11", planAnswers())); err != nil {
		t.Fatal(err)
	}
	rs := rows(t, open(t, buf.Bytes()), SheetSurvey)
	for i, row := range rs {
		switch {
		case len(row) == 0:
		case row[0] == "一、企业研究开发机构情况" || row[0] == "二、企业研究开发活动及有关情况":
			if at(rs, i+3, 1) != "无" {
				t.Errorf("%s: first row %q, want 无", row[0], rs[i+2])
			}
		case strings.HasPrefix(row[0], "☑") && row[0] != "☑ 有固定的办公场所":
			t.Errorf("ticked option %q with nothing ticked", row[0])
		}
	}
	all := flat(rs)
	if !strings.Contains(all, "计划开展创新活动内容|明年建立企业技术中心，开展果汁浓缩工艺改进") {
		t.Errorf("plan missing:\n%s", all)
	}
	if !strings.Contains(all, "☑ 有固定的办公场所") || strings.Count(all, "□ ") != 14+5 {
		t.Errorf("boxes: %d □", strings.Count(all, "□ "))
	}
}

func TestWriteMonthly(t *testing.T) {
	_, r := ledgerScenario(t, City())
	r.Location = time.UTC // submission times are printed in the report's zone
	notes := []storage.MonthlyNote{
		{Period: "2026-11", Progress: "全市组织培训 3 次", Problems: "个别县联络人未绑定"},
		{Period: "2026-11", Region: "永济市", Progress: "走访企业 12 家"},
		{Period: "2026-11", Region: "盐湖区", Progress: "召开座谈会", Problems: "企业研发投入不足"},
	}
	var buf bytes.Buffer
	o := MonthlyOptions{Preparer: "张文书", Phone: "0359-2688888", Date: time.Date(2026, 12, 3, 1, 0, 0, 0, time.UTC), Notes: notes}
	if err := WriteMonthly(&buf, r, o); err != nil {
		t.Fatal(err)
	}
	f := open(t, buf.Bytes())
	if got, want := f.GetSheetList(), []string{"月报", "销号企业", "首次填报企业", "未填报企业", "汇总统计表"}; !slices.Equal(got, want) {
		t.Errorf("sheets %v, want %v", got, want)
	}
	sum := rows(t, f, SheetSummary)
	text := flat(sum)
	for _, want := range []string{
		"运城市企业技术创新全覆盖工作月报",
		"报送单位：运城市推进企业技术创新活动全覆盖领导小组办公室", "报告期：2026年11月",
		"填表人：张文书", "联系电话：0359-2688888", "报送日期：2026年12月3日",
		"一、工作进展", "全市组织培训 3 次\n永济市：走访企业 12 家\n盐湖区：召开座谈会",
		"二、存在问题", "个别县联络人未绑定\n盐湖区：企业研发投入不足",
		"三、进度汇总", "四、各县（市、区）填报率与开展率",
		"2. 销号：本期填报已开展创新活动、而上一次填报（没有时为原台账）未开展的企业，本期 3 家",
		"3. 首次填报：此前既没有填报、也没有原台账可比的企业，本期 3 家，不计入销号",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("月报 lacks %q:\n%s", want, text)
		}
	}
	head := -1
	for i, row := range sum {
		if len(row) > 0 && row[0] == "序号" {
			head = i
		}
	}
	if head < 0 {
		t.Fatalf("no figures in\n%s", text)
	}
	if want := []string{"序号", "县（市、区）", "规上企业数", "其中新进规上", "已开展创新活动", "未开展", "开展率", "本期已填报", "未填报", "填报率", "本期销号", "首次填报"}; !slices.Equal(sum[head], want) {
		t.Errorf("figure columns %q", sum[head])
	}
	if got := strings.Join(sum[head+1], "|"); got != "1|盐湖区|7|0|6|1|85.7%|6|1|85.7%|3|1" {
		t.Errorf("盐湖区 row %q", got)
	}
	if got := strings.Join(sum[head+2], "|"); got != "2|永济市|6|1|2|4|33.3%|2|4|33.3%|0|1" {
		t.Errorf("永济市 row %q", got)
	}
	// A region with no enterprise (yet) has no rate: 0.0% would read as one that did nothing.
	empty := slices.IndexFunc(r.Rows, func(row Row) bool { return row.Enterprises == 0 })
	if empty < 0 {
		t.Fatal("the scenario has no region without enterprises")
	}
	if got, want := strings.Join(sum[head+1+empty], "|"), fmt.Sprintf("%d|%s|0|0|0|0|—|0|0|—|0|0", empty+1, r.Rows[empty].Region); got != want {
		t.Errorf("empty region row %q, want %q", got, want)
	}
	// 合计 is SUM formulas over the rows, which a spreadsheet computes; the rates divide them.
	totalRow := head + 2 + len(r.Rows)
	if at(sum, totalRow, 2) != "合计" {
		t.Fatalf("no 合计 at row %d: %q", totalRow, sum[totalRow-1])
	}
	for col, want := range map[string]string{
		"C": "SUM(C%d:C%d)", "D": "SUM(D%d:D%d)", "E": "SUM(E%d:E%d)", "H": "SUM(H%d:H%d)", "K": "SUM(K%d:K%d)", "L": "SUM(L%d:L%d)",
	} {
		got, err := f.GetCellFormula(SheetSummary, fmt.Sprintf("%s%d", col, totalRow))
		if err != nil || got != fmt.Sprintf(want, head+2, totalRow-1) {
			t.Errorf("合计 %s = %q, %v", col, got, err)
		}
	}
	// A viewer that does not calculate shows the totals all the same.
	if got := strings.Join(sum[totalRow-1], "|"); got != "|合计|20|1|12|8|60.0%|11|9|55.0%|3|3" {
		t.Errorf("合计 row as kept %q", got)
	}
	vals := map[string]int{}
	for c := 'C'; c <= 'L'; c++ {
		if c == 'G' || c == 'J' {
			continue
		}
		v, err := f.CalcCellValue(SheetSummary, fmt.Sprintf("%c%d", c, totalRow))
		if err != nil {
			t.Fatal(err)
		}
		vals[string(c)], _ = strconv.Atoi(v)
	}
	tt := r.Total
	if want := map[string]int{"C": tt.Enterprises, "D": tt.NewlyAbove, "E": tt.Active, "F": tt.Inactive, "H": tt.Submitted,
		"I": tt.NotSubmitted, "K": tt.TickedOff, "L": tt.FirstReport}; !reflect.DeepEqual(vals, want) {
		t.Errorf("合计 computes %v, want %v", vals, want)
	}
	// A native chart of the two rates by region.
	chart := html.UnescapeString(zipText(t, buf.Bytes(), "xl/charts/chart1.xml"))
	for _, want := range []string{
		fmt.Sprintf("<f>'月报'!$J$%d:$J$%d</f>", head+2, totalRow-1), fmt.Sprintf("<f>'月报'!$G$%d:$G$%d</f>", head+2, totalRow-1),
		fmt.Sprintf("<f>'月报'!$B$%d:$B$%d</f>", head+2, totalRow-1), "<barDir val=\"col\">", "填报率与开展率",
	} {
		if !strings.Contains(chart, want) {
			t.Errorf("the chart lacks %s:\n%s", want, chart)
		}
	}

	tick := rows(t, f, SheetTickedOff)
	if at(tick, 1, 1) != "运城市2026年11月新增开展创新活动企业（销号）名单" {
		t.Errorf("销号 title %q", at(tick, 1, 1))
	}
	for _, want := range []string{
		"1|盐湖区|盐湖二号公司|登记行业E02|无|有|无|2026年10月填报：未开展|2026-11-03 02:04",
		"3|盐湖区|盐湖十五号公司|登记行业E15|有|无|无|原台账：未开展|2026-11-03 02:04",
	} {
		if !strings.Contains(flat(tick), want) {
			t.Errorf("销号 lacks %q:\n%s", want, flat(tick))
		}
	}
	if len(tick) != 3+3 {
		t.Errorf("%d 销号 rows, want 3", len(tick)-3)
	}
	first := rows(t, f, SheetFirstReports)
	if at(first, 2, 1) != "共 3 家：此前既没有填报、也没有原台账可以比较，本期不计入销号" ||
		!strings.Contains(flat(first), "1|盐湖区|盐湖一号公司|钢铁·特殊钢冶炼|有|有|有|") || len(first) != 3+3 {
		t.Errorf("首次填报:\n%s", flat(first))
	}

	lag := rows(t, f, SheetLagging)
	if at(lag, 1, 1) != "运城市2026年11月未填报企业名单" || at(lag, 2, 1) != "共 9 家" {
		t.Errorf("未填报 heading %q", lag[:2])
	}
	if want := []string{"序号", "县（市、区）", "企业名称", "最近填报", "联络人", "联系电话", "对口帮扶人", "联系电话"}; !slices.Equal(lag[2], want) {
		t.Errorf("未填报 columns %q", lag[2])
	}
	for _, want := range []string{
		"1|盐湖区|盐湖十一号公司|从未填报|未绑定联络人||帮扶E11|1390000E11",
		"2|永济市|永济四号公司|2026年10月|未绑定联络人||帮扶E04|1390000E04",
		"3|永济市|永济六号公司|从未填报|赵六||帮扶E06|1390000E06",
		"6|河津市|河津七号公司|从未填报|未绑定联络人（企业联系人 钱七）|13800000007|帮扶E07|1390000E07",
		"7|河津市|河津八号公司|2026年9月|孙八|13800000008|帮扶E08|1390000E08",
	} {
		if !strings.Contains(flat(lag), want) {
			t.Errorf("未填报 lacks %q:\n%s", want, flat(lag))
		}
	}
	// 附件2 in the same workbook, signed by the same clerk.
	led := rows(t, f, SheetLedger)
	if at(led, 1, 1) != "运城市开展创新活动企业汇总统计表" || !strings.Contains(flat(led), "填表人：张文书") {
		t.Errorf("附件2 sheet:\n%s", flat(led))
	}
	if name := MonthlyFileName(r); name != "运城市企业技术创新全覆盖工作月报_2026年11月.xlsx" {
		t.Errorf("file name %q", name)
	}
}

// zipText is one part of an xlsx file, as text.
func zipText(t *testing.T, data []byte, name string) string {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	for _, zf := range zr.File {
		if zf.Name == name {
			rc, err := zf.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			b, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			return string(b)
		}
	}
	return ""
}

func TestFileNamesAreSafe(t *testing.T) {
	long := strings.Repeat("运城市盐湖区某某", 30) + "有限公司" // 244 characters, 732 bytes
	tests := []struct{ name, id, want string }{
		{"A/B:C*公司?", "e1", "A_B_C_公司_企业创新活动开展情况调查表_2026年11月.xlsx"},
		{long, "e2", string([]rune(long)[:maxNameRunes-1]) + "…企业创新活动开展情况调查表_2026年11月.xlsx"},
		{"..", "e3", "企业e3企业创新活动开展情况调查表_2026年11月.xlsx"},
		{"...", "e4", "企业e4企业创新活动开展情况调查表_2026年11月.xlsx"},
		{" . ", "e5", "企业e5企业创新活动开展情况调查表_2026年11月.xlsx"},
		{"..\\..\\windows", "e6", "_.._windows企业创新活动开展情况调查表_2026年11月.xlsx"},
		{".隐藏公司.", "e7", "隐藏公司企业创新活动开展情况调查表_2026年11月.xlsx"},
		{"\x1b[31m红色\u202egpj.公司\x07", "e8", "红色gpj.公司企业创新活动开展情况调查表_2026年11月.xlsx"},
	}
	for _, tt := range tests {
		e := storage.Enterprise{ID: tt.id, Name: tt.name}
		got := SurveyFileName(e, "2026-11")
		if got != tt.want {
			t.Errorf("SurveyFileName(%q) = %q, want %q", tt.name, got, tt.want)
		}
		if len(got) > 255 || strings.HasPrefix(got, ".") {
			t.Errorf("SurveyFileName(%q) = %q: %d bytes, or hidden", tt.name, got, len(got))
		}
	}
}

// The long and the dotted names export: a file under the export folder, with a visible name.
func TestSaveSurveyOfHostileNames(t *testing.T) {
	for _, name := range []string{strings.Repeat("长", 300), "..", ".", "...", "../../etc/passwd"} {
		dir := t.TempDir()
		e := storage.Enterprise{ID: "e1", Name: name, Region: "盐湖区"}
		path, err := SaveSurvey(dir, survey.Default(), e, storage.Submission{EnterpriseID: "e1", Period: "2026-11", Version: 1, Answers: survey.Answers{}})
		if err != nil {
			t.Errorf("SaveSurvey of %q: %v", name, err)
			continue
		}
		if filepath.Dir(path) != dir || strings.HasPrefix(filepath.Base(path), ".") {
			t.Errorf("SaveSurvey of %q wrote %s, want a visible file in %s", name, path, dir)
		}
		if _, err := os.Stat(path); err != nil {
			t.Errorf("SaveSurvey of %q: %v", name, err)
		}
	}
}

func flat(rs [][]string) string {
	var lines []string
	for _, r := range rs {
		lines = append(lines, strings.Join(r, "|"))
	}
	return strings.Join(lines, "\n")
}

// TestColumnsInOrder: Excel offers to "repair" a sheet whose <col> widths are not in
// ascending order, which a clerk would take for a broken file.
func TestColumnsInOrder(t *testing.T) {
	_, r := ledgerScenario(t, City())
	files := map[string]func(*bytes.Buffer) error{
		"附件2": func(b *bytes.Buffer) error { return WriteLedger(b, r, LedgerOptions{}) },
		"月报":  func(b *bytes.Buffer) error { return WriteMonthly(b, r, MonthlyOptions{}) },
		"附件3": func(b *bytes.Buffer) error {
			return WriteSurvey(b, survey.Default(), r.Entries[0].Enterprise, submission("E01", "2026-11", fullAnswers()))
		},
	}
	colMin := regexp.MustCompile(`<col [^>]*\bmin="(\d+)"`)
	for name, write := range files {
		var buf bytes.Buffer
		if err := write(&buf); err != nil {
			t.Fatal(err)
		}
		zr, err := zip.NewReader(bytes.NewReader(buf.Bytes()), int64(buf.Len()))
		if err != nil {
			t.Fatal(err)
		}
		for _, zf := range zr.File {
			if !strings.HasPrefix(zf.Name, "xl/worksheets/sheet") {
				continue
			}
			rc, err := zf.Open()
			if err != nil {
				t.Fatal(err)
			}
			data, _ := io.ReadAll(rc)
			rc.Close()
			last := 0
			for _, m := range colMin.FindAllSubmatch(data, -1) {
				n, _ := strconv.Atoi(string(m[1]))
				if n <= last {
					t.Errorf("%s %s: column %d after %d", name, zf.Name, n, last)
				}
				last = n
			}
			if last == 0 {
				t.Errorf("%s %s: no column widths", name, zf.Name)
			}
		}
	}
}
