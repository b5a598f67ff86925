package ledger

import (
	"fmt"
	"innobot/period"
	"io"

	"github.com/xuri/excelize/v2"
)

// ledgerColumns are 附件2's columns in the policy's order.
var ledgerColumns = []string{
	"序号", "企业名称", "行业", "企业属性", "有无研发机构", "有无研发活动", "有无创新活动",
	"计划开展创新活动内容", "企业联系人", "联系电话", "各县（市、区）对口帮扶人", "联系电话",
}

var ledgerWidths = []float64{6, 32, 20, 11, 8, 8, 8, 32, 10, 14, 14, 14}

// ledgerNotes is 附件2's 填表说明, word for word.
var ledgerNotes = []string{
	"填表说明：1.行业请填写至行业的细分领域。",
	"2.“企业属性”请填写央企、省属国企、市属国企、军工企业、民营企业、混合制企业、外资企业。",
	"3.根据企业情况在有无研发机构、研发活动、创新活动栏里填写“有”或“无”。",
	"4.对无研发机构、无研发活动及创新活动的企业，请认真填写下一步计划开展创新活动内容。",
}

// notSurveyed fills 计划开展创新活动内容 for an enterprise with no survey at all: its three
// 有无 cells stay empty rather than claim 无 for what nobody reported.
const notSurveyed = "（尚未填报调查表）"

// LedgerOptions fill the footer of 附件2, which the clerk signs.
type LedgerOptions struct {
	Preparer string // 填表人
	Phone    string // 联系方式
}

// LedgerTitle is 附件2's title for an area (the policy's "县开展创新活动企业汇总统计表" with
// the county named).
func LedgerTitle(area string) string { return area + "开展创新活动企业汇总统计表" }

// LedgerFileName is the name a clerk would save the report's 附件2 under, such as
// 盐湖区开展创新活动企业汇总统计表_2026-11.xlsx.
func LedgerFileName(r Report) string {
	return safeName(LedgerTitle(r.Area)) + "_" + r.Period + ".xlsx"
}

// WriteLedger writes 附件2 for the report's scope: title, the counts line, the twelve
// columns, one row per enterprise, the 填表人 footer and the 填表说明, so that a county can
// pass the file on to the city unchanged. Rows are streamed, so 10,000 enterprises cost
// seconds and tens of megabytes, not the whole sheet in memory.
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
	last := len(ledgerColumns)
	if err := printSetup(f, sheet, "landscape", 3); err != nil {
		return err
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return err
	}
	if err := setColWidths(sw, ledgerWidths); err != nil {
		return err
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 3, TopLeftCell: "A4", ActivePane: "bottomLeft"}); err != nil {
		return err
	}
	t := r.Total
	rows := [][]any{
		{excelize.Cell{StyleID: st.title, Value: LedgerTitle(r.Area)}},
		{excelize.Cell{StyleID: st.line, Value: fmt.Sprintf("规上工业企业数量：%d  已开展创新活动企业数量：%d  未开展创新活动企业数量：%d  日期：%s",
			t.Enterprises, t.Active, t.Inactive, period.Label(r.Period))}},
	}
	head := make([]any, last)
	for i, h := range ledgerColumns {
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
		inst, rd, inno, plan := "", "", "", notSurveyed
		if h := en.Head; h != nil {
			inst, rd, inno = yesNo(h.Facts.HasInstitution), yesNo(h.Facts.HasRD), yesNo(h.Facts.HasInnovation)
			plan = h.Facts.Plan
		}
		name, tel := en.Contact()
		vals[0] = excelize.Cell{StyleID: st.center, Value: i + 1}
		vals[1] = excelize.Cell{StyleID: st.left, Value: e.Name}
		vals[2] = excelize.Cell{StyleID: st.left, Value: en.Industry}
		vals[3] = excelize.Cell{StyleID: st.center, Value: en.Ownership}
		vals[4] = excelize.Cell{StyleID: st.center, Value: inst}
		vals[5] = excelize.Cell{StyleID: st.center, Value: rd}
		vals[6] = excelize.Cell{StyleID: st.center, Value: inno}
		vals[7] = excelize.Cell{StyleID: st.left, Value: plan}
		vals[8] = excelize.Cell{StyleID: st.center, Value: name}
		vals[9] = excelize.Cell{StyleID: st.center, Value: tel}
		vals[10] = excelize.Cell{StyleID: st.center, Value: e.Helper}
		vals[11] = excelize.Cell{StyleID: st.center, Value: e.HelperTel}
		h := max(rowHeight(ledgerWidths[1], e.Name), rowHeight(ledgerWidths[2], en.Industry), rowHeight(ledgerWidths[7], plan))
		if err := sw.SetRow(cell(1, n), vals, excelize.RowOpts{Height: h}); err != nil {
			return err
		}
		n++
	}

	// Footer: 填表人 under the left half, 联系方式 under the right, as on the printed form.
	n++
	foot := make([]any, last)
	foot[0] = excelize.Cell{StyleID: st.foot, Value: "填表人：" + o.Preparer}
	foot[7] = excelize.Cell{StyleID: st.foot, Value: "联系方式：" + o.Phone}
	if err := sw.SetRow(cell(1, n), foot, excelize.RowOpts{Height: 22}); err != nil {
		return err
	}
	if err := sw.MergeCell(cell(1, n), cell(7, n)); err != nil {
		return err
	}
	if err := sw.MergeCell(cell(8, n), cell(last, n)); err != nil {
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
