package ledger

import (
	"fmt"
	"io"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"

	"innobot/internal/sanitize"
)

// Sheet names of the workbooks. Callers and tests find the parts by these names.
const (
	SheetLedger       = "汇总统计表"  // 附件2
	SheetSurvey       = "调查表"    // 附件3
	SheetSummary      = "月报"     // monthly report: the report and the figures by region
	SheetTickedOff    = "销号企业"   // monthly report: 销号 list
	SheetFirstReports = "首次填报企业" // monthly report: 首次填报 list
	SheetLagging      = "未填报企业"  // monthly report: lagging list
	fontName          = "宋体"     // the face of printed government forms
	fontNameTitle     = "黑体"     // a title face every Chinese Windows has
)

// grid writes a small sheet cell by cell, keeping the first error.
type grid struct {
	f     *excelize.File
	sheet string
	row   int
	err   error
}

func (g *grid) put(col int, v any, style int) {
	if g.err != nil {
		return
	}
	if g.err = g.f.SetCellValue(g.sheet, cell(col, g.row), v); g.err == nil {
		g.err = g.f.SetCellStyle(g.sheet, cell(col, g.row), cell(col, g.row), style)
	}
}

// span puts v in columns from..to of the current row, merged, all styled (borders of merged
// cells are drawn from every cell).
func (g *grid) span(from, to int, v any, style int) {
	if g.err != nil {
		return
	}
	g.put(from, v, style)
	if g.err == nil && to > from {
		if g.err = g.f.SetCellStyle(g.sheet, cell(from, g.row), cell(to, g.row), style); g.err == nil {
			g.err = g.f.MergeCell(g.sheet, cell(from, g.row), cell(to, g.row))
		}
	}
}

// formula puts a formula innobot wrote (never text a person typed) in a column of the row,
// with the value it computes kept as its last result: a viewer that does not calculate (a
// phone's preview of a file received in chat) still shows the figure.
func (g *grid) formula(col int, formula string, value int, style int) {
	g.put(col, value, style)
	if g.err == nil {
		g.err = g.f.SetCellFormula(g.sheet, cell(col, g.row), formula)
	}
}

func (g *grid) height(h float64) {
	if g.err == nil {
		g.err = g.f.SetRowHeight(g.sheet, g.row, h)
	}
}

// styles are the cell formats of a workbook, made once per file.
type styles struct {
	title, line, head, center, left, num, pct, note, section, foot int
}

func newStyles(f *excelize.File) (styles, error) {
	border := []excelize.Border{
		{Type: "left", Color: "000000", Style: 1}, {Type: "right", Color: "000000", Style: 1},
		{Type: "top", Color: "000000", Style: 1}, {Type: "bottom", Color: "000000", Style: 1},
	}
	font := func(size float64, bold bool) *excelize.Font {
		return &excelize.Font{Family: fontName, Size: size, Bold: bold}
	}
	pctFmt := "0.0%"
	var s styles
	defs := []struct {
		dst *int
		st  excelize.Style
	}{
		{&s.title, excelize.Style{Font: &excelize.Font{Family: fontNameTitle, Size: 18, Bold: true},
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center"}}},
		{&s.line, excelize.Style{Font: font(11, false), Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "center"}}},
		{&s.head, excelize.Style{Font: font(11, true), Border: border,
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}}},
		{&s.center, excelize.Style{Font: font(11, false), Border: border,
			Alignment: &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}}},
		{&s.left, excelize.Style{Font: font(11, false), Border: border,
			Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "center", WrapText: true}}},
		{&s.num, excelize.Style{Font: font(11, false), Border: border,
			Alignment: &excelize.Alignment{Horizontal: "right", Vertical: "center"}}},
		{&s.pct, excelize.Style{Font: font(11, false), Border: border, CustomNumFmt: &pctFmt,
			Alignment: &excelize.Alignment{Horizontal: "right", Vertical: "center"}}},
		{&s.note, excelize.Style{Font: font(10, false), Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "top", WrapText: true}}},
		{&s.section, excelize.Style{Font: font(12, true), Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "center"}}},
		{&s.foot, excelize.Style{Font: font(11, false), Alignment: &excelize.Alignment{Horizontal: "left", Vertical: "center"}}},
	}
	for _, d := range defs {
		id, err := f.NewStyle(&d.st)
		if err != nil {
			return styles{}, fmt.Errorf("xlsx style: %w", err)
		}
		*d.dst = id
	}
	return s, nil
}

// newBook starts a workbook whose one sheet is named first, in the form's typeface.
func newBook(first string) (*excelize.File, styles, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", first); err != nil {
		f.Close()
		return nil, styles{}, err
	}
	if err := f.SetDefaultFont(fontName); err != nil {
		f.Close()
		return nil, styles{}, err
	}
	s, err := newStyles(f)
	if err != nil {
		f.Close()
		return nil, styles{}, err
	}
	return f, s, nil
}

// pageFooter numbers the printed pages in the middle of the footer: 第 1 页，共 3 页.
const pageFooter = "&C第 &P 页，共 &N 页"

// printSetup makes a sheet print the way the form is printed: paper A4, the given
// orientation, fitted to the page width, page numbers centred in the footer, with the header
// rows repeated on every page. It must run before a stream writer is opened on the sheet.
func printSetup(f *excelize.File, sheet, orientation string, headerRows int) error {
	size, fitW, fitH := 9, 1, 0 // A4, one page wide, as many pages tall as needed
	if err := f.SetPageLayout(sheet, &excelize.PageLayoutOptions{
		Size: &size, Orientation: &orientation, FitToWidth: &fitW, FitToHeight: &fitH,
	}); err != nil {
		return err
	}
	fit := true
	if err := f.SetSheetProps(sheet, &excelize.SheetPropsOptions{FitToPage: &fit}); err != nil {
		return err
	}
	if err := f.SetHeaderFooter(sheet, &excelize.HeaderFooterOptions{OddFooter: pageFooter}); err != nil {
		return err
	}
	if headerRows == 0 {
		return nil
	}
	return f.SetDefinedName(&excelize.DefinedName{
		Name:     "_xlnm.Print_Titles",
		RefersTo: fmt.Sprintf("'%s'!$1:$%d", sheet, headerRows),
		Scope:    sheet,
	})
}

// setColWidths sets the widths of the first columns of a streamed sheet. excelize puts each
// new width before the ones set earlier, and Excel asks to repair a sheet whose columns are
// out of order, so the last column goes first.
func setColWidths(sw *excelize.StreamWriter, widths []float64) error {
	for i := len(widths) - 1; i >= 0; i-- {
		if err := sw.SetColWidth(i+1, i+1, widths[i]); err != nil {
			return err
		}
	}
	return nil
}

// finish writes the workbook and releases it.
func finish(f *excelize.File, w io.Writer) error {
	_, err := f.WriteTo(w)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("写出 Excel: %w", err)
	}
	return nil
}

// widthOfCols is the width of columns from..to (1-based) of a sheet with these widths.
func widthOfCols(widths []float64, from, to int) float64 {
	w := 0.0
	for _, x := range widths[from-1 : to] {
		w += x
	}
	return w
}

// cell names a cell by 1-based column and row.
func cell(col, row int) string {
	name, _ := excelize.CoordinatesToCellName(col, row)
	return name
}

// rowHeight estimates the height of a row whose text wraps in a column of width characters
// (a CJK character takes two), since Excel does not fit merged cells by itself.
func rowHeight(width float64, texts ...string) float64 {
	lines := 1
	for _, t := range texts {
		n := 0
		for _, part := range strings.Split(t, "\n") {
			w := 0
			for _, r := range part {
				if utf8.RuneLen(r) > 1 {
					w += 2
				} else {
					w++
				}
			}
			n += max(1, int(float64(w)/width+0.999))
		}
		lines = max(lines, n)
	}
	return 15*float64(lines) + 4
}

// yesNo is how 附件2 writes its 有无 columns (填表说明 3).
func yesNo(b bool) string {
	if b {
		return "有"
	}
	return "无"
}

// maxNameRunes bounds a name's part of a file name: 60 Chinese characters are 180 bytes, and
// the title and period after them keep the whole under the 255 bytes a file system allows.
const maxNameRunes = 60

// safeName makes a text usable, and visible, as (part of) a file name on Windows, where
// clerks open the files, and on the server: no character Windows refuses, no control,
// escape or reordering character (sanitize.Line), no leading dot (a hidden file, or "..")
// nor trailing dot or space (Windows drops them), at most maxNameRunes characters (cut with
// "…"). It may return "".
func safeName(s string) string {
	s = strings.Map(func(r rune) rune {
		switch r {
		case '/', '\\', ':', '*', '?', '"', '<', '>', '|':
			return '_'
		}
		return r
	}, sanitize.Line(s))
	s = strings.TrimRight(strings.TrimLeft(strings.TrimSpace(s), ". "), ". ")
	if utf8.RuneCountInString(s) > maxNameRunes {
		s = string([]rune(s)[:maxNameRunes-1]) + "…"
	}
	return s
}
