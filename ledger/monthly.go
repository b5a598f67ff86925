package ledger

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"innobot/period"
	"innobot/storage"
)

// MonthlyTitle is the monthly report's title for an area: what each county sends the city
// office before the 5th and what the city's monthly notice (通报) is built from.
func MonthlyTitle(area string) string { return area + "企业技术创新全覆盖工作月报" }

// MonthlyFileName is the name a clerk would save the monthly report under, such as
// 运城市企业技术创新全覆盖工作月报_2026年11月.xlsx.
func MonthlyFileName(r Report) string {
	return safeName(MonthlyTitle(r.Area)) + "_" + period.Label(r.Period) + ".xlsx"
}

// MonthlyOptions are what the 月报 says besides the figures: who sends it and what they wrote.
type MonthlyOptions struct {
	// Unit is 报送单位; empty means the area's 领导小组办公室 (UnitOf).
	Unit string
	// Preparer and Phone are 填表人 and 联系电话, also 附件2's footer.
	Preparer, Phone string
	// Date is 报送日期, printed on the offices' wall clock (Report.Location).
	Date time.Time
	// Notes are the period's 工作进展 and 存在问题 (storage.Notes): the area's own, and for the
	// city the counties' after it.
	Notes []storage.MonthlyNote
}

// NotesOf keeps the notes a report of scope shows: a region's own, or for the city the city
// office's and every county's.
func NotesOf(notes []storage.MonthlyNote, scope Scope) []storage.MonthlyNote {
	var out []storage.MonthlyNote
	for _, n := range notes {
		switch scope.Kind {
		case ScopeCity:
			out = append(out, n)
		case ScopeRegion:
			if n.Region == scope.Region {
				out = append(out, n)
			}
		}
	}
	return out
}

// UnitOf is the 报送单位 of an area: its 领导小组办公室, as the policy names the offices.
func UnitOf(area string) string {
	return area + "推进企业技术创新活动全覆盖领导小组办公室"
}

// WriteMonthly writes the monthly report as a county sends it: the report itself (SheetSummary:
// 报送单位, 填表人, 联系电话, 报送日期, 工作进展 and 存在问题, the figures by region with 合计
// as SUM formulas (their results kept, for viewers that do not calculate), and a chart of
// 填报率 and 开展率 by region), the 销号 list (SheetTickedOff), the 首次填报 list
// (SheetFirstReports), the 未填报 list with liaisons and helpers (SheetLagging) and 附件2
// (SheetLedger). No text a person typed becomes a formula: every text is written as a string.
// The file holds phone numbers: send it only in private chats.
func WriteMonthly(w io.Writer, r Report, o MonthlyOptions) error {
	f, st, err := newBook(SheetSummary)
	if err != nil {
		return err
	}
	for _, name := range []string{SheetTickedOff, SheetFirstReports, SheetLagging, SheetLedger} {
		if _, err := f.NewSheet(name); err != nil {
			f.Close()
			return err
		}
	}
	// Spreadsheets that keep results of formulas compute them again on opening.
	full := true
	if err := f.SetCalcProps(&excelize.CalcPropsOptions{FullCalcOnLoad: &full}); err != nil {
		f.Close()
		return err
	}
	if err := writeSummary(f, st, r, o); err != nil {
		f.Close()
		return fmt.Errorf("月报 %s: %w", SheetSummary, err)
	}
	for _, t := range []table{tickedOffTable(r, st), firstReportsTable(r, st), laggingTable(r, st)} {
		if err := t.write(f, st); err != nil {
			f.Close()
			return fmt.Errorf("月报 %s: %w", t.sheet, err)
		}
	}
	if err := writeLedgerSheet(f, st, r, LedgerOptions{Preparer: o.Preparer, Phone: o.Phone}); err != nil {
		f.Close()
		return fmt.Errorf("月报 %s: %w", SheetLedger, err)
	}
	// The first sheet is active from NewFile; SetActiveSheet here would parse every streamed
	// sheet back into memory.
	return finish(f, w)
}

// summaryHeads are the columns of the figures by region.
var summaryHeads = []string{"序号", "县（市、区）", "规上企业数", "其中新进规上", "已开展创新活动", "未开展",
	"开展率", "本期已填报", "未填报", "填报率", "本期销号", "首次填报"}

var summaryWidths = []float64{6, 14, 10, 10, 12, 9, 9, 11, 9, 9, 9, 9}

// Columns of the figures (1-based), for formulas and the chart.
const (
	colRegion     = 2
	colEnterprise = 3
	colActive     = 5
	colActiveRate = 7
	colSubmitted  = 8
	colRate       = 10
)

// NoteText is what the 工作进展 (progress) or 存在问题 part of the report says: the area's own
// note first, then, for the city, each county's under its name. Empty when nobody wrote one.
func NoteText(notes []storage.MonthlyNote, area string, problems bool) string {
	var parts []string
	for _, n := range notes {
		t := n.Progress
		if problems {
			t = n.Problems
		}
		if t = strings.TrimSpace(t); t == "" {
			continue
		}
		if n.Region != "" && n.Region != area {
			t = n.Region + "：" + t
		}
		parts = append(parts, t)
	}
	return strings.Join(parts, "\n")
}

func writeSummary(f *excelize.File, st styles, r Report, o MonthlyOptions) error {
	const sheet = SheetSummary
	last := len(summaryHeads)
	if err := printSetup(f, sheet, "landscape", 0); err != nil {
		return err
	}
	for i, wd := range summaryWidths {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(sheet, col, col, wd); err != nil {
			return err
		}
	}
	g := &grid{f: f, sheet: sheet, row: 1}
	unit := o.Unit
	if unit == "" {
		unit = UnitOf(r.Area)
	}
	date := ""
	if !o.Date.IsZero() {
		d := o.Date.In(r.zone())
		date = fmt.Sprintf("%d年%d月%d日", d.Year(), d.Month(), d.Day())
	}

	g.span(1, last, MonthlyTitle(r.Area), st.title)
	g.height(36)
	g.row++
	g.span(1, 6, "报送单位："+unit, st.foot)
	g.span(7, last, "报告期："+period.Label(r.Period), st.foot)
	g.height(22)
	g.row++
	g.span(1, 3, "填表人："+o.Preparer, st.foot)
	g.span(4, 6, "联系电话："+o.Phone, st.foot)
	g.span(7, last, "报送日期："+date, st.foot)
	g.height(22)
	g.row += 2

	width := widthOfCols(summaryWidths, 1, last)
	for _, part := range []struct {
		title    string
		problems bool
	}{{"一、工作进展", false}, {"二、存在问题", true}} {
		g.span(1, last, part.title, st.section)
		g.height(22)
		g.row++
		text := NoteText(o.Notes, r.Area, part.problems)
		if text == "" {
			text = "（未填写。县（市、区）工作人员可私聊我发送“月报 进展 …”或“月报 问题 …”填写）"
		}
		g.span(1, last, text, st.left)
		g.height(max(24, rowHeight(width, text)))
		g.row += 2
	}

	g.span(1, last, "三、进度汇总", st.section)
	g.height(22)
	g.row++
	for i, h := range summaryHeads {
		g.put(i+1, h, st.head)
	}
	g.height(36)
	g.row++
	first := g.row
	for i, row := range r.Rows {
		summaryLine(g, st, i+1, row)
		g.row++
	}
	lastRow := g.row - 1
	// 合计: the counts as SUM formulas over the rows above, so a clerk who corrects a row sees
	// the total follow; the rates as figures, like each region's.
	g.put(1, "", st.center)
	g.put(colRegion, "合计", st.center)
	t := r.Total
	for _, c := range []struct{ col, total int }{{colEnterprise, t.Enterprises}, {colEnterprise + 1, t.NewlyAbove},
		{colActive, t.Active}, {colActive + 1, t.Inactive}, {colSubmitted, t.Submitted}, {colSubmitted + 1, t.NotSubmitted},
		{colRate + 1, t.TickedOff}, {colRate + 2, t.FirstReport}} {
		if len(r.Rows) == 0 {
			g.put(c.col, 0, st.num)
			continue
		}
		g.formula(c.col, fmt.Sprintf("SUM(%s:%s)", cell(c.col, first), cell(c.col, lastRow)), c.total, st.num)
	}
	putRate(g, st, colActiveRate, t.ActiveRate(), t.Enterprises)
	putRate(g, st, colRate, t.Rate(), t.Enterprises)
	g.height(20)
	g.row += 2

	g.span(1, last, "四、各县（市、区）填报率与开展率", st.section)
	g.height(22)
	g.row++
	if len(r.Rows) > 0 && g.err == nil {
		g.err = addRateChart(f, sheet, cell(1, g.row), first, lastRow)
	}
	// Rows of a fixed height under the chart, so that what follows never lies beneath it
	// whatever a spreadsheet's default row height.
	for range chartRows {
		g.height(15)
		g.row++
	}
	g.row++

	g.span(1, last, "说明：", st.note)
	g.row++
	for _, note := range monthlyNotes(r) {
		g.span(1, last, note, st.note)
		g.height(max(18, rowHeight(width, note)))
		g.row++
	}
	return g.err
}

// monthlyNotes say how the figures are counted, in the words of the policy.
func monthlyNotes(r Report) []string {
	t := r.Total
	return []string{
		"1. 已开展创新活动：有研发机构、有研发活动或有其他创新活动之一；本期未填报的企业按其最近一次填报计，从未填报的按原台账计，都没有的计入未开展（" + Unreported + "）。",
		fmt.Sprintf("2. 销号：本期填报已开展创新活动、而上一次填报（没有时为原台账）未开展的企业，本期 %d 家，见“%s”表。", t.TickedOff, SheetTickedOff),
		fmt.Sprintf("3. 首次填报：此前既没有填报、也没有原台账可比的企业，本期 %d 家，不计入销号，见“%s”表。", t.FirstReport, SheetFirstReports),
		fmt.Sprintf("4. 填报率＝本期已填报÷规上企业数；开展率＝已开展创新活动÷规上企业数。附件2 见“%s”表。", SheetLedger),
	}
}

// summaryLine writes one region's figures in the grid's current row.
func summaryLine(g *grid, st styles, n int, row Row) {
	g.put(1, n, st.center)
	g.put(colRegion, row.Region, st.center)
	for i, v := range []int{row.Enterprises, row.NewlyAbove, row.Active, row.Inactive} {
		g.put(colEnterprise+i, v, st.num)
	}
	putRate(g, st, colActiveRate, row.ActiveRate(), row.Enterprises)
	g.put(colSubmitted, row.Submitted, st.num)
	g.put(colSubmitted+1, row.NotSubmitted, st.num)
	putRate(g, st, colRate, row.Rate(), row.Enterprises)
	g.put(colRate+1, row.TickedOff, st.num)
	g.put(colRate+2, row.FirstReport, st.num)
}

// putRate writes a share of a region's enterprises as a percentage, or — as the chat's
// 进度 does when the region has none (yet): 0.0% would read as a region that did nothing.
func putRate(g *grid, st styles, col int, rate float64, enterprises int) {
	if enterprises == 0 {
		g.put(col, "—", st.center)
		return
	}
	g.put(col, rate, st.pct)
}

// chartHeight is the rate chart's height in pixels, and chartRows the rows of 15 points (20
// pixels) it takes, with a margin.
const (
	chartHeight = 380
	chartRows   = chartHeight/20 + 2
)

// addRateChart puts a clustered column chart of 填报率 and 开展率 by region at anchor, drawn
// from the figures' rows first..last: a native chart, which the clerk can restyle.
func addRateChart(f *excelize.File, sheet, anchor string, first, last int) error {
	ref := func(col, from, to int) string {
		name, _ := excelize.ColumnNumberToName(col)
		return fmt.Sprintf("'%s'!$%s$%d:$%s$%d", sheet, name, from, name, to)
	}
	head := first - 1
	zero, one, vary := 0.0, 1.0, false
	return f.AddChart(sheet, anchor, &excelize.Chart{
		Type:       excelize.Col,
		VaryColors: &vary,
		Series: []excelize.ChartSeries{
			{Name: ref(colRate, head, head), Categories: ref(colRegion, first, last), Values: ref(colRate, first, last)},
			{Name: ref(colActiveRate, head, head), Categories: ref(colRegion, first, last), Values: ref(colActiveRate, first, last)},
		},
		Title:     []excelize.RichTextRun{{Text: "各县（市、区）填报率与开展率"}},
		Legend:    excelize.ChartLegend{Position: "bottom"},
		Dimension: excelize.ChartDimension{Width: 960, Height: chartHeight},
		YAxis: excelize.ChartAxis{Minimum: &zero, Maximum: &one, MajorGridLines: true,
			NumFmt: excelize.ChartNumFmt{CustomNumFmt: "0%"}},
		Format: excelize.GraphicOptions{OffsetX: 4, OffsetY: 4},
	})
}

// table is a titled list sheet streamed row by row.
type table struct {
	sheet, title, line string
	heads              []string
	widths             []float64
	rows               int
	row                func(i int, vals []any) // fills vals for data row i
}

func (t table) write(f *excelize.File, st styles) error {
	last := len(t.heads)
	if err := printSetup(f, t.sheet, "landscape", 3); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(t.sheet)
	if err != nil {
		return err
	}
	if err := setColWidths(sw, t.widths); err != nil {
		return err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 3, TopLeftCell: "A4", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	if err := sw.SetRow("A1", []any{excelize.Cell{StyleID: st.title, Value: t.title}}, excelize.RowOpts{Height: 32}); err != nil {
		return err
	}
	if err := sw.SetRow("A2", []any{excelize.Cell{StyleID: st.line, Value: t.line}}, excelize.RowOpts{Height: 22}); err != nil {
		return err
	}
	for i := 1; i <= 2; i++ {
		if err := sw.MergeCell(cell(1, i), cell(last, i)); err != nil {
			return err
		}
	}
	head := make([]any, last)
	for i, h := range t.heads {
		head[i] = excelize.Cell{StyleID: st.head, Value: h}
	}
	if err := sw.SetRow("A3", head, excelize.RowOpts{Height: 36}); err != nil {
		return err
	}
	vals := make([]any, last)
	n := 4
	for i := range t.rows {
		clear(vals)
		t.row(i, vals)
		if err := sw.SetRow(cell(1, n), vals, excelize.RowOpts{Height: 20}); err != nil {
			return err
		}
		n++
	}
	return sw.Flush()
}

var tickedOffHeads = []string{"序号", "县（市、区）", "企业名称", "行业", "有无研发机构", "有无研发活动", "有无创新活动", "此前情况", "填报时间"}

// reportCells are the first cells of a row of the 销号 and 首次填报 lists: 序号, the county,
// the enterprise, its industry and its three 有无.
func reportCells(st styles, i int, en Entry, vals []any) {
	vals[0] = excelize.Cell{StyleID: st.center, Value: i + 1}
	vals[1] = excelize.Cell{StyleID: st.center, Value: en.Enterprise.Region}
	vals[2] = excelize.Cell{StyleID: st.left, Value: en.Enterprise.Name}
	vals[3] = excelize.Cell{StyleID: st.left, Value: en.Industry}
	lr := LedgerRowOf(en)
	for j, v := range []string{lr.Inst, lr.RD, lr.Inno} {
		vals[4+j] = excelize.Cell{StyleID: st.center, Value: v}
	}
}

// submittedAt is when an entry's report was made, on the offices' wall clock.
func submittedAt(r Report, en Entry) string {
	return en.Head.SubmittedAt.In(r.zone()).Format("2006-01-02 15:04")
}

// beforeText says what a 销号 was compared with: the report before it, or the baseline.
func beforeText(en Entry) string {
	switch en.Before {
	case KnownReport:
		return period.Label(en.BeforeHead.Period) + "填报：未开展"
	case KnownBaseline:
		return "原台账：未开展"
	}
	return ""
}

func tickedOffTable(r Report, st styles) table {
	return table{
		sheet:  SheetTickedOff,
		title:  fmt.Sprintf("%s%s新增开展创新活动企业（销号）名单", r.Area, period.Label(r.Period)),
		line:   fmt.Sprintf("共 %d 家：本期填报已开展创新活动、上一次填报（没有时为原台账）未开展的企业", len(r.TickedOff)),
		heads:  tickedOffHeads,
		widths: []float64{6, 14, 34, 22, 8, 8, 8, 20, 18},
		rows:   len(r.TickedOff),
		row: func(i int, vals []any) {
			en := &r.TickedOff[i]
			reportCells(st, i, *en, vals)
			vals[7] = excelize.Cell{StyleID: st.center, Value: beforeText(*en)}
			vals[8] = excelize.Cell{StyleID: st.center, Value: submittedAt(r, *en)}
		},
	}
}

var firstReportHeads = []string{"序号", "县（市、区）", "企业名称", "行业", "有无研发机构", "有无研发活动", "有无创新活动", "填报时间"}

func firstReportsTable(r Report, st styles) table {
	return table{
		sheet:  SheetFirstReports,
		title:  fmt.Sprintf("%s%s首次填报企业名单", r.Area, period.Label(r.Period)),
		line:   fmt.Sprintf("共 %d 家：此前既没有填报、也没有原台账可以比较，本期不计入销号", len(r.FirstReports)),
		heads:  firstReportHeads,
		widths: []float64{6, 14, 34, 22, 8, 8, 8, 18},
		rows:   len(r.FirstReports),
		row: func(i int, vals []any) {
			en := &r.FirstReports[i]
			reportCells(st, i, *en, vals)
			vals[7] = excelize.Cell{StyleID: st.center, Value: submittedAt(r, *en)}
		},
	}
}

var laggingHeads = []string{"序号", "县（市、区）", "企业名称", "最近填报", "联络人", "联系电话", "对口帮扶人", "联系电话"}

func laggingTable(r Report, st styles) table {
	return table{
		sheet:  SheetLagging,
		title:  fmt.Sprintf("%s%s未填报企业名单", r.Area, period.Label(r.Period)),
		line:   fmt.Sprintf("共 %d 家", len(r.Lagging)),
		heads:  laggingHeads,
		widths: []float64{6, 14, 34, 12, 22, 26, 14, 14},
		rows:   len(r.Lagging),
		row: func(i int, vals []any) {
			en := &r.Lagging[i]
			e := &en.Enterprise
			last := "从未填报"
			if en.Head != nil {
				last = period.Label(en.Head.Period)
			}
			name, tel := liaisonCells(*en)
			vals[0] = excelize.Cell{StyleID: st.center, Value: i + 1}
			vals[1] = excelize.Cell{StyleID: st.center, Value: e.Region}
			vals[2] = excelize.Cell{StyleID: st.left, Value: e.Name}
			vals[3] = excelize.Cell{StyleID: st.center, Value: last}
			vals[4] = excelize.Cell{StyleID: st.center, Value: name}
			vals[5] = excelize.Cell{StyleID: st.center, Value: tel}
			vals[6] = excelize.Cell{StyleID: st.center, Value: e.Helper}
			vals[7] = excelize.Cell{StyleID: st.center, Value: e.HelperTel}
		},
	}
}

// NotBound is what the 未填报 list says of an enterprise nobody is bound for: nobody will get
// the bot's reminders.
const NotBound = "未绑定联络人"

// liaisonCells are the 联络人 and 联系电话 cells of the lagging list: the liaison as Entry
// names them, the office's 企业联系人 when no liaison is bound (said as such), and the
// listing's number marked with whose it is when the liaison's own is unknown.
func liaisonCells(en Entry) (name, tel string) {
	e := &en.Enterprise
	switch {
	case en.LiaisonBound && en.Liaison == "":
		name = "已绑定（未留姓名）"
	case en.LiaisonBound:
		name = en.Liaison
	case en.Liaison != "":
		name = NotBound + "（企业联系人 " + en.Liaison + "）"
	default:
		name = NotBound
	}
	tel = en.LiaisonTel
	if tel == "" && en.LiaisonBound && e.ContactTel != "" {
		who := e.ContactName
		if who == "" {
			who = "企业"
		}
		tel = e.ContactTel + "（" + who + "）"
	}
	return name, tel
}
