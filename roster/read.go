// Package roster imports the enterprise list (名单) that the city and county offices keep in
// Excel: the 附件2 ledger's columns plus 所属县（市、区） and, when known, 统一社会信用代码.
// Reading, deciding and writing are three steps so that an office can see what an import
// would do (Plan) before anything is written (Apply), and so that the decision itself is a
// pure function that tests pin down row by row.
package roster

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// Row is one enterprise line of the spreadsheet, its cells cleaned of stray spaces and line
// breaks but otherwise as typed: Plan judges them, so that every problem is reported against
// the row the office can find and fix.
type Row struct {
	// Line is the row's number as the spreadsheet shows it: 1-based, counting the title and
	// header rows above it.
	Line        int
	Name        string // 企业名称
	Region      string // 所属县（市、区）
	CreditCode  string // 统一社会信用代码
	Industry    string // 行业
	Ownership   string // 企业属性
	ContactName string // 企业联系人
	ContactTel  string // 联系电话 after 企业联系人
	Helper      string // 各县（市、区）对口帮扶人
	HelperTel   string // 联系电话 after 对口帮扶人
	// Baseline are the 有无研发机构, 有无研发活动 and 有无创新活动 cells of an earlier ledger
	// (the 2020 台账), and BaselineColumns how many of those three columns the sheet has: a
	// baseline is read only from a sheet with all three.
	Baseline        [3]string
	BaselineColumns int
	NewlyAbove      string // 新进规上: whether the enterprise is new to the 规上 list
}

// Limits on what Read accepts: a real list of 10,000 enterprises is a few megabytes.
const (
	maxFileSize   = 64 << 20
	maxHeaderScan = 30 // rows searched for the header: title, counts line, notes
	maxRows       = 200_000
)

// Read reads the enterprise list from an .xlsx or .csv file; name is the file's name, used
// for its extension. The header row is searched for (the official form has a title and a
// counts line above it) and its columns are matched by their text, in any order. The error
// is in Chinese and says what to fix in the file; on error nothing should be imported.
func Read(name string, r io.Reader) ([]Row, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("读取文件失败：%w", err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("文件超过 %d MB，不像是企业名单", maxFileSize>>20)
	}
	switch ext := strings.ToLower(filepath.Ext(name)); ext {
	case ".xlsx", ".xlsm":
		return readXLSX(data)
	case ".csv":
		return readCSV(data)
	case ".xls", ".et", ".wps":
		return nil, fmt.Errorf("不支持 %s 格式：请在 Excel 或 WPS 中“另存为” .xlsx（Excel 工作簿）或 .csv 后再导入", ext)
	default:
		return nil, fmt.Errorf("不认识的文件类型“%s”：请导入 .xlsx 或 .csv 文件", ext)
	}
}

// table turns rows of cells into Rows: it finds the header, then maps each line through it.
type table struct {
	line   int
	header bool
	l      layout
	err    error // why the last header-like row could not be used
	rows   []Row
}

// add takes the next row of cells. It returns false when no more rows are wanted: the
// header was not found in time, or the footer was reached.
func (t *table) add(cells []string) (bool, error) {
	t.line++
	if !t.header {
		l, found, err := parseHeader(cells)
		if found {
			if err != nil {
				t.err = fmt.Errorf("第 %d 行的表头%w", t.line, err)
				return false, nil
			}
			t.l, t.header = l, true
			return true, nil
		}
		return t.line < maxHeaderScan, nil
	}
	if isFooter(cells) {
		return false, nil // 填表人 and notes below the table are not enterprises
	}
	get := func(c column) string {
		if i := t.l[c]; i >= 0 && i < len(cells) {
			return cleanCell(cells[i])
		}
		return ""
	}
	row := Row{
		Line: t.line, Name: get(colName), Region: get(colRegion), CreditCode: get(colCreditCode),
		Industry: get(colIndustry), Ownership: get(colOwnership),
		ContactName: get(colContact), ContactTel: plainNumber(get(colContactTel)),
		Helper: get(colHelper), HelperTel: plainNumber(get(colHelperTel)),
		Baseline:   [3]string{get(colBaseInst), get(colBaseRD), get(colBaseInno)},
		NewlyAbove: get(colNewlyAbove),
	}
	if row == (Row{Line: row.Line}) {
		return true, nil // an empty line, or one with only a 序号
	}
	for _, c := range []column{colBaseInst, colBaseRD, colBaseInno} {
		if t.l[c] >= 0 {
			row.BaselineColumns++
		}
	}
	if len(t.rows) >= maxRows {
		return false, fmt.Errorf("超过 %d 行企业数据，不像是企业名单", maxRows)
	}
	t.rows = append(t.rows, row)
	return true, nil
}

// result is what the table holds once its rows are in.
func (t *table) result() ([]Row, error) {
	if !t.header {
		if t.err != nil {
			return nil, t.err
		}
		return nil, fmt.Errorf("找不到表头：前 %d 行中没有“企业名称”列", maxHeaderScan)
	}
	if len(t.rows) == 0 {
		return nil, errors.New("表头下面没有企业数据")
	}
	return t.rows, nil
}

// isFooter recognizes 附件2's footer line (填表人、联系方式) and notes below the table.
func isFooter(cells []string) bool {
	for _, c := range cells {
		k := headerKey(c)
		if k == "" {
			continue
		}
		return strings.HasPrefix(k, "填表人") || strings.HasPrefix(k, "填报人") || strings.HasPrefix(k, "填表说明")
	}
	return false
}

// plainNumber undoes E notation on a phone number stored as a number (1.3800000001E10), which
// is exact for numbers of up to 15 digits; anything else is returned as it is.
func plainNumber(s string) string {
	if !isScientific(s) {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f < 0 || f >= 1e15 || f != float64(int64(f)) {
		return s
	}
	return strconv.FormatInt(int64(f), 10)
}

// readXLSX reads the first sheet with a usable header.
func readXLSX(data []byte) ([]Row, error) {
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit: 1 << 30, UnzipXMLSizeLimit: 256 << 20,
	})
	if err != nil {
		return nil, fmt.Errorf("不是有效的 .xlsx 文件（%w）", err)
	}
	defer f.Close()
	var first, broken error // the first sheet's reason; the first header that could not be used
	for _, sheet := range f.GetSheetList() {
		t, err := readSheet(f, sheet)
		if err != nil {
			return nil, fmt.Errorf("工作表“%s”：%w", sheet, err)
		}
		if t.header {
			rows, err := t.result()
			if err != nil {
				return nil, fmt.Errorf("工作表“%s”：%w", sheet, err)
			}
			return rows, nil
		}
		_, err = t.result()
		err = fmt.Errorf("工作表“%s”：%w", sheet, err)
		if first == nil {
			first = err
		}
		if t.err != nil && broken == nil {
			broken = err
		}
	}
	switch {
	case broken != nil:
		return nil, broken
	case first != nil:
		return nil, first
	}
	return nil, errors.New("工作簿里没有工作表")
}

func readSheet(f *excelize.File, sheet string) (*table, error) {
	rows, err := f.Rows(sheet)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	t := &table{}
	for rows.Next() {
		// Raw values: a phone number in a number cell must not come back as 1.38E+10 or
		// 13,800,000,001 because of the cell's display format.
		cells, err := rows.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, err
		}
		more, err := t.add(cells)
		if err != nil {
			return nil, err
		}
		if !more {
			break
		}
	}
	return t, rows.Error()
}

// readCSV reads a CSV file as Excel writes it: UTF-8 with or without a byte-order mark, or,
// from Excel on Chinese Windows, GB18030 (GBK).
func readCSV(data []byte) ([]Row, error) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if !utf8.Valid(data) {
		// The decoder replaces bytes it cannot read with U+FFFD rather than failing.
		dec, err := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
		if err != nil || bytes.ContainsRune(dec, utf8.RuneError) {
			return nil, errors.New("文件既不是 UTF-8 也不是 GBK 编码的文本：请在 Excel 中另存为“CSV UTF-8（逗号分隔）”")
		}
		data = dec
	}
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	t := &table{}
	lastEnd := 0 // physical line where the previous record ended
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("CSV 格式错误：%w", err)
		}
		// encoding/csv skips blank lines, which Excel shows as empty rows: count them so
		// that row numbers match what the office sees.
		start, _ := cr.FieldPos(0)
		for ; lastEnd+1 < start; lastEnd++ {
			if more, err := t.add(nil); err != nil || !more {
				return t.finish(err)
			}
		}
		endLine, _ := cr.FieldPos(len(rec) - 1)
		lastEnd = endLine + strings.Count(rec[len(rec)-1], "\n")
		more, err := t.add(rec)
		if err != nil || !more {
			return t.finish(err)
		}
	}
	return t.finish(nil)
}

func (t *table) finish(err error) ([]Row, error) {
	if err != nil {
		return nil, err
	}
	return t.result()
}
