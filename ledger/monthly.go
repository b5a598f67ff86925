package ledger

import (
	"fmt"
	"innobot/period"
	"io"

	"github.com/xuri/excelize/v2"
)

// MonthlyTitle is the monthly report's title for an area: what each county sends the city
// office before the 5th and what the city's monthly notice (通报) is built from.
func MonthlyTitle(area string) string { return area + "企业技术创新全覆盖工作月报" }

// MonthlyFileName is the name a clerk would save the monthly report under, such as
// 运城市企业技术创新全覆盖工作月报_2026-11.xlsx.
func MonthlyFileName(r Report) string {
	return safeName(MonthlyTitle(r.Area)) + "_" + r.Period + ".xlsx"
}

// WriteMonthly writes the monthly report: a sheet of figures by region (SheetSummary), the
// 销号 list (SheetTickedOff) and the 未填报 list with liaisons and helpers (SheetLagging).
// The file holds phone numbers: send it only in private chats.
func WriteMonthly(w io.Writer, r Report) error {
	f, st, err := newBook(SheetSummary)
	if err != nil {
		return err
	}
	for _, name := range []string{SheetTickedOff, SheetLagging} {
		if _, err := f.NewSheet(name); err != nil {
			f.Close()
			return err
		}
	}
	for _, t := range []table{summaryTable(r, st), tickedOffTable(r, st), laggingTable(r, st)} {
		if err := t.write(f, st); err != nil {
			f.Close()
			return fmt.Errorf("月报 %s: %w", t.sheet, err)
		}
	}
	// The first sheet is active from NewFile; SetActiveSheet here would parse every streamed
	// sheet back into memory.
	return finish(f, w)
}

// table is a titled list sheet streamed row by row.
type table struct {
	sheet, title, line string
	heads              []string
	widths             []float64
	rows               int
	row                func(i int, vals []any) // fills vals for data row i
	total              []any                   // an optional closing row
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
	if t.total != nil {
		if err := sw.SetRow(cell(1, n), t.total, excelize.RowOpts{Height: 20}); err != nil {
			return err
		}
	}
	return sw.Flush()
}

var summaryHeads = []string{"序号", "县（市、区）", "规上企业数", "已开展创新活动", "未开展", "开展率", "本期已填报", "未填报", "填报率", "本期销号"}

func summaryTable(r Report, st styles) table {
	line := func(label any, row Row, s styles) []any {
		return []any{
			label,
			excelize.Cell{StyleID: s.center, Value: row.Region},
			excelize.Cell{StyleID: s.num, Value: row.Enterprises},
			excelize.Cell{StyleID: s.num, Value: row.Active},
			excelize.Cell{StyleID: s.num, Value: row.Inactive},
			excelize.Cell{StyleID: s.pct, Value: row.ActiveRate()},
			excelize.Cell{StyleID: s.num, Value: row.Submitted},
			excelize.Cell{StyleID: s.num, Value: row.NotSubmitted},
			excelize.Cell{StyleID: s.pct, Value: row.Rate()},
			excelize.Cell{StyleID: s.num, Value: row.TickedOff},
		}
	}
	return table{
		sheet:  SheetSummary,
		title:  MonthlyTitle(r.Area),
		line:   fmt.Sprintf("报告期：%s    销号对比期：%s", period.Label(r.Period), period.Label(r.Previous)),
		heads:  summaryHeads,
		widths: []float64{6, 16, 12, 14, 10, 10, 12, 10, 10, 10},
		rows:   len(r.Rows),
		row: func(i int, vals []any) {
			copy(vals, line(excelize.Cell{StyleID: st.center, Value: i + 1}, r.Rows[i], st))
		},
		total: line(excelize.Cell{StyleID: st.center, Value: ""}, r.Total, st),
	}
}

var tickedOffHeads = []string{"序号", "县（市、区）", "企业名称", "行业", "有无研发机构", "有无研发活动", "有无创新活动", "填报时间"}

func tickedOffTable(r Report, st styles) table {
	return table{
		sheet:  SheetTickedOff,
		title:  fmt.Sprintf("%s%s新增开展创新活动企业（销号）名单", r.Area, period.Label(r.Period)),
		line:   fmt.Sprintf("共 %d 家：本期填报已开展创新活动、%s未开展或未填报的企业", len(r.TickedOff), period.Label(r.Previous)),
		heads:  tickedOffHeads,
		widths: []float64{6, 14, 34, 22, 8, 8, 8, 18},
		rows:   len(r.TickedOff),
		row: func(i int, vals []any) {
			en := &r.TickedOff[i]
			h := en.Head // never nil: a 销号 has a submission this period
			vals[0] = excelize.Cell{StyleID: st.center, Value: i + 1}
			vals[1] = excelize.Cell{StyleID: st.center, Value: en.Enterprise.Region}
			vals[2] = excelize.Cell{StyleID: st.left, Value: en.Enterprise.Name}
			vals[3] = excelize.Cell{StyleID: st.left, Value: en.Industry}
			vals[4] = excelize.Cell{StyleID: st.center, Value: yesNo(h.Facts.HasInstitution)}
			vals[5] = excelize.Cell{StyleID: st.center, Value: yesNo(h.Facts.HasRD)}
			vals[6] = excelize.Cell{StyleID: st.center, Value: yesNo(h.Facts.HasInnovation)}
			vals[7] = excelize.Cell{StyleID: st.center, Value: h.SubmittedAt.In(r.zone()).Format("2006-01-02 15:04")}
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
		widths: []float64{6, 14, 34, 12, 16, 26, 14, 14},
		rows:   len(r.Lagging),
		row: func(i int, vals []any) {
			en := &r.Lagging[i]
			e := &en.Enterprise
			last := "从未填报"
			if en.Head != nil {
				last = en.Head.Period
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

// liaisonCells are the 联络人 and 联系电话 cells of the lagging list: the liaison as Entry
// names them, and the listing's number marked with whose it is when the liaison's own is
// unknown.
func liaisonCells(en Entry) (name, tel string) {
	e := &en.Enterprise
	switch {
	case en.LiaisonBound && en.Liaison == "":
		name = "已绑定（未留姓名）"
	case en.LiaisonBound:
		name = en.Liaison
	case en.Liaison != "":
		name = en.Liaison + "（未绑定）"
	default:
		name = "无"
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
