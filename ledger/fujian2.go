package ledger

import (
	"fmt"
	"io"

	"github.com/xuri/excelize/v2"

	"innobot/period"
)

// ledgerColumns are 附件2's columns in the policy's order. A report over several regions adds
// regionColumn after 企业名称, so that the city can tell the counties' rows apart.
var ledgerColumns = []string{
	"序号", "企业名称", "行业", "企业属性", "有无研发机构", "有无研发活动", "有无创新活动",
	"计划开展创新活动内容", "企业联系人", "联系电话", "各县（市、区）对口帮扶人", "联系电话",
}

var ledgerWidths = []float64{6, 32, 20, 11, 8, 8, 8, 32, 10, 14, 14, 14}

const (
	regionColumn = "所属县（市、区）"
	regionWidth  = 12
)

// ledgerNotes is 附件2's 填表说明, word for word.
var ledgerNotes = []string{
	"填表说明：1.行业请填写至行业的细分领域。",
	"2.“企业属性”请填写央企、省属国企、市属国企、军工企业、民营企业、混合制企业、外资企业。",
	"3.根据企业情况在有无研发机构、研发活动、创新活动栏里填写“有”或“无”。",
	"4.对无研发机构、无研发活动及创新活动的企业，请认真填写下一步计划开展创新活动内容。",
}

// Unreported is what a 有无 cell of 附件2 says for an enterprise known by nothing: no report
// and no baseline. The counts line counts such rows among the 未开展 and says how many. It
// is not 未填报, which the 月报 beside it counts for every enterprise without a report of this
// period, most of them known by an earlier one.
const Unreported = "从未填报"

// Notes of the 计划开展创新活动内容 cell for a row whose 有无 are not this period's report.
const (
	notSurveyed   = "（尚未填报调查表）"
	baselineOnly  = "（尚未填报调查表，有无按原台账）"
	carriedFormat = "（本期未填报，按%s填报）"
)

// LedgerOptions fill the footer of 附件2, which the clerk signs.
type LedgerOptions struct {
	Preparer string // 填表人
	Phone    string // 联系方式
}

// LedgerTitle is 附件2's title for an area (the policy's "县开展创新活动企业汇总统计表" with
// the county named).
func LedgerTitle(area string) string { return area + "开展创新活动企业汇总统计表" }

// LedgerFileName is the name a clerk would save the report's 附件2 under, such as
// 盐湖区开展创新活动企业汇总统计表_2026年11月.xlsx.
func LedgerFileName(r Report) string {
	return safeName(LedgerTitle(r.Area)) + "_" + period.Label(r.Period) + ".xlsx"
}

// CountsLine is 附件2's line above the table: 规上 (and how many are 新进规上), 已开展 and
// 未开展 (and how many of those have reported nothing at all), and the period. It is computed
// from the same entries as the rows, so the rows always add up to it.
func CountsLine(r Report) string {
	t := r.Total
	n := fmt.Sprintf("%d", t.Enterprises)
	if t.NewlyAbove > 0 {
		n += fmt.Sprintf("（含新进规上 %d 家）", t.NewlyAbove)
	}
	in := fmt.Sprintf("%d", t.Inactive)
	if t.Unknown > 0 {
		in += fmt.Sprintf("（含%s %d 家）", Unreported, t.Unknown)
	}
	return fmt.Sprintf("规上工业企业数量：%s  已开展创新活动企业数量：%d  未开展创新活动企业数量：%s  日期：%s",
		n, t.Active, in, period.Label(r.Period))
}

// multiRegion reports whether the report spans several regions, so that its rows need their
// 所属县（市、区）.
func (r Report) multiRegion() bool {
	if r.Scope.Kind == ScopeRegion {
		return false
	}
	return r.Scope.Kind == ScopeCity || len(r.Rows) > 1
}

// LedgerRow is one enterprise as 附件2 prints it, before the 对口帮扶人 columns.
type LedgerRow struct {
	Inst, RD, Inno string // 有, 无 or Unreported
	Plan           string // 计划开展创新活动内容, with a note when the 有无 are not this period's
	Contact, Tel   string // 企业联系人, 联系电话
}

// LedgerRowOf is what 附件2 shows of an entry.
func LedgerRowOf(en Entry) LedgerRow {
	var lr LedgerRow
	inst, rd, inno, ok := en.Flags()
	if ok {
		lr.Inst, lr.RD, lr.Inno = yesNo(inst), yesNo(rd), yesNo(inno)
	} else {
		lr.Inst, lr.RD, lr.Inno = Unreported, Unreported, Unreported
	}
	switch en.Known {
	case KnownNothing:
		lr.Plan = notSurveyed
	case KnownBaseline:
		lr.Plan = baselineOnly
	default:
		lr.Plan = en.Head.Facts.Plan
		if !en.Submitted {
			lr.Plan += fmt.Sprintf(carriedFormat, period.Label(en.Head.Period))
		}
	}
	lr.Contact, lr.Tel = en.Contact()
	return lr
}

// WriteLedger writes 附件2 for the report's scope: title, the counts line, the twelve
// columns (with 所属县（市、区） when the report spans regions), one row per enterprise, the 填表人
// footer and the 填表说明, so that a county can pass the file on to the city unchanged. Rows
// are streamed, so 10,000 enterprises cost seconds and tens of megabytes, not the whole sheet
// in memory.
func WriteLedger(w io.Writer, r Report, o LedgerOptions) error {
	f, st, err := newBook(SheetLedger)
	if err != nil {
		return err
	}
	if err := writeLedgerSheet(f, st, r, o); err != nil {
		f.Close()
		return fmt.Errorf("附件2: %w", err)
	}
	return finish(f, w)
}

func writeLedgerSheet(f *excelize.File, st styles, r Report, o LedgerOptions) error {
	const sheet = SheetLedger
	cols, widths := ledgerColumns, ledgerWidths
	multi := r.multiRegion()
	if multi {
		cols = append([]string{cols[0], cols[1], regionColumn}, cols[2:]...)
		widths = append([]float64{widths[0], widths[1], regionWidth}, widths[2:]...)
	}
	last := len(cols)
	if err := printSetup(f, sheet, "landscape", 3); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	if err := setColWidths(sw, widths); err != nil {
		return err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 3, TopLeftCell: "A4", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	rows := [][]any{
		{excelize.Cell{StyleID: st.title, Value: LedgerTitle(r.Area)}},
		{excelize.Cell{StyleID: st.line, Value: CountsLine(r)}},
	}
	head := make([]any, last)
	for i, h := range cols {
		head[i] = excelize.Cell{StyleID: st.head, Value: h}
	}
	rows = append(rows, head)
	heights := []float64{32, 22, 45}
	for i, row := range rows {
		if err := sw.SetRow(cell(1, i+1), row, excelize.RowOpts{Height: heights[i]}); err != nil {
			return err
		}
	}
	for i := 1; i <= 2; i++ {
		if err := sw.MergeCell(cell(1, i), cell(last, i)); err != nil {
			return err
		}
	}

	vals := make([]any, last)
	n := 4
	for i := range r.Entries {
		en := &r.Entries[i]
		e := &en.Enterprise
		lr := LedgerRowOf(*en)
		c := 0
		put := func(style int, v any) {
			vals[c] = excelize.Cell{StyleID: style, Value: v}
			c++
		}
		put(st.center, i+1)
		put(st.left, e.Name)
		if multi {
			put(st.center, e.Region)
		}
		put(st.left, en.Industry)
		put(st.center, en.Ownership)
		put(st.center, lr.Inst)
		put(st.center, lr.RD)
		put(st.center, lr.Inno)
		put(st.left, lr.Plan)
		put(st.center, lr.Contact)
		put(st.center, lr.Tel)
		put(st.center, e.Helper)
		put(st.center, e.HelperTel)
		h := max(rowHeight(ledgerWidths[1], e.Name), rowHeight(ledgerWidths[2], en.Industry), rowHeight(ledgerWidths[7], lr.Plan))
		if err := sw.SetRow(cell(1, n), vals, excelize.RowOpts{Height: h}); err != nil {
			return err
		}
		n++
	}

	// Footer: 填表人 under the left half, 联系方式 under the right, as on the printed form.
	n++
	split := last - 4 // 联系方式 starts over 计划开展创新活动内容
	foot := make([]any, last)
	foot[0] = excelize.Cell{StyleID: st.foot, Value: "填表人：" + o.Preparer}
	foot[split-1] = excelize.Cell{StyleID: st.foot, Value: "联系方式：" + o.Phone}
	if err := sw.SetRow(cell(1, n), foot, excelize.RowOpts{Height: 22}); err != nil {
		return err
	}
	if err := sw.MergeCell(cell(1, n), cell(split-1, n)); err != nil {
		return err
	}
	if err := sw.MergeCell(cell(split, n), cell(last, n)); err != nil {
		return err
	}
	n++
	for _, note := range ledgerNotes {
		if err := sw.SetRow(cell(1, n), []any{excelize.Cell{StyleID: st.note, Value: note}}, excelize.RowOpts{Height: 18}); err != nil {
			return err
		}
		if err := sw.MergeCell(cell(1, n), cell(last, n)); err != nil {
			return err
		}
		n++
	}
	return sw.Flush()
}
