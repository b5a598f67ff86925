package ledger

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/width"

	"innobot/survey"
)

// Bounds on what is read of a sheet: 附件3 fills well under a hundred rows and ten columns,
// and a sheet of a million rows must not cost a million rows of memory.
const (
	maxSheets    = 20
	maxSheetRows = 1000
	maxSheetCols = 40
	maxGroupRows = 50
)

// SurveyFile is what a filled 附件3 workbook says: innobot's own export sent back, or the
// official blank form filled by hand. Its answers went through the chat's parsers, so a
// figure means the same whether it was typed in chat or in a cell.
type SurveyFile struct {
	// Enterprise and Region are the heading's 企业全称 and 所属县（市、区） as written.
	Enterprise, Region string
	// Answers are keyed as the form keys them. A question the file leaves blank, or whose
	// cell could not be read, has no answer: the dialog asks it.
	Answers survey.Answers
	// Problems are the cells that could not be read, in sheet order.
	Problems []CellProblem
	// Notes are what the sender should know besides (macros ignored, say).
	Notes []string
}

// CellProblem is a cell whose content is no answer to its question.
type CellProblem struct {
	Row    int    // as the spreadsheet numbers it, from 1
	Label  string // the column or line, in the form's words
	Value  string // the cell's content
	Reason string // what is wrong, in Chinese
}

// String says it as the sender reads it: 第 7 行 研究开发费用：“约五十”不是数字.
func (p CellProblem) String() string {
	if p.Value == "" {
		return fmt.Sprintf("第 %d 行 %s：%s", p.Row, p.Label, p.Reason)
	}
	return fmt.Sprintf("第 %d 行 %s：“%s”%s", p.Row, p.Label, clip(p.Value, 20), p.Reason)
}

func clip(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}

// errNotSurvey refuses a workbook that is some other table.
var errNotSurvey = refuse("这不是《%s》（附件3），没有读取。请发送附件3 调查表，或回复“填报”在聊天中填写。", SurveyTitle)

// ReadSurvey reads a filled 附件3 from the bytes of an .xlsx. Labels are found by their text,
// wherever they are, so both innobot's layout and the official one (with its merged cells,
// blank rows and hand-made ticks) read. A file that is no workbook, or no 附件3, is refused
// with a *FileError; a cell that cannot be read is a Problem, never a refusal. A nil form
// means the embedded 附件3.
func ReadSurvey(data []byte, form *survey.Form) (SurveyFile, error) {
	if form == nil {
		form = survey.Default()
	}
	wb, err := OpenWorkbook(data)
	if err != nil {
		return SurveyFile{}, err
	}
	defer wb.Close()
	var sheets []*cells
	for i, sheet := range wb.GetSheetList() {
		if i == maxSheets {
			break
		}
		c, err := loadCells(wb.File, sheet)
		if err != nil {
			return SurveyFile{}, errBroken
		}
		sheets = append(sheets, c)
	}
	for i, c := range sheets {
		if !c.isSurvey() {
			continue
		}
		out := SurveyFile{Answers: survey.Answers{}}
		if wb.Macros {
			out.Notes = append(out.Notes, "文件里的宏没有运行，已忽略。")
		}
		others := append(slices.Clone(sheets[:i]), sheets[i+1:]...)
		r := &surveyReader{form: form, c: c, others: others, out: &out}
		r.read()
		return out, nil
	}
	return SurveyFile{}, errNotSurvey
}

// cells is one sheet's raw values, as stored (a number as its digits, whatever its display
// format), and where merged areas are.
type cells struct {
	f     *excelize.File
	sheet string
	rows  [][]string
	keys  [][]string // labelKey of each cell
}

func loadCells(f *excelize.File, sheet string) (*cells, error) {
	it, err := f.Rows(sheet)
	if err != nil {
		return nil, err
	}
	defer it.Close()
	c := &cells{f: f, sheet: sheet}
	for len(c.rows) < maxSheetRows && it.Next() {
		row, err := it.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, err
		}
		if len(row) > maxSheetCols {
			row = row[:maxSheetCols]
		}
		keys := make([]string, len(row))
		for i, v := range row {
			keys[i] = labelKey(v)
		}
		c.rows = append(c.rows, row)
		c.keys = append(c.keys, keys)
	}
	return c, it.Error()
}

// at is the cell's value with the spaces around it trimmed; "" beyond the sheet.
func (c *cells) at(r, col int) string {
	if r < 0 || r >= len(c.rows) || col < 0 || col >= len(c.rows[r]) {
		return ""
	}
	return strings.TrimSpace(c.rows[r][col])
}

// formula reports whether an empty cell holds a formula that was never calculated (a file
// written by a program, not saved by Excel): its value is unknown, so it must be asked.
func (c *cells) formula(r, col int) bool {
	axis, err := excelize.CoordinatesToCellName(col+1, r+1)
	if err != nil {
		return false
	}
	f, err := c.f.GetCellFormula(c.sheet, axis)
	return err == nil && f != ""
}

// spans maps the top-left cell (row, column) of each merged area to the columns it covers,
// so that a head merged over two columns reads both.
func (c *cells) spans() map[[2]int]int {
	out := map[[2]int]int{}
	merged, err := c.f.GetMergeCells(c.sheet)
	if err != nil {
		return out
	}
	for _, m := range merged {
		c1, r1, err1 := excelize.CellNameToCoordinates(m.GetStartAxis())
		c2, _, err2 := excelize.CellNameToCoordinates(m.GetEndAxis())
		if err1 == nil && err2 == nil && c2 >= c1 {
			out[[2]int{r1 - 1, c1 - 1}] = c2 - c1 + 1
		}
	}
	return out
}

// find returns the first row at or after from with a cell whose key satisfies match, and
// that cell's column; -1, -1 when there is none.
func (c *cells) find(from int, match func(key string) bool) (int, int) {
	for r := max(from, 0); r < len(c.keys); r++ {
		for col, k := range c.keys[r] {
			if k != "" && match(k) {
				return r, col
			}
		}
	}
	return -1, -1
}

func has(sub string) func(string) bool {
	return func(k string) bool { return strings.Contains(k, sub) }
}

func is(want string) func(string) bool { return func(k string) bool { return k == want } }

// labelKey reduces a label to what tells labels apart: letters and digits only, half-width.
// Forms are retyped by hand, broken over lines, and mix （） with () and “” with "".
func labelKey(s string) string {
	if s == "" {
		return ""
	}
	s = width.Fold.String(s)
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsNumber(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// Section titles of 附件3 as keys.
var (
	keyTitle        = labelKey(SurveyTitle)
	keySection1     = labelKey("企业研究开发机构情况")
	keySection2     = labelKey("企业研究开发活动及有关情况")
	keySection3     = labelKey("企业创新有关活动开展情况")
	sectionKeysList = []string{keySection1, keySection2, keySection3}
)

// isSurvey reports whether the sheet is a 附件3: its title, or two of its section titles
// (a form retyped without the title).
func (c *cells) isSurvey() bool {
	if r, _ := c.find(0, has(keyTitle)); r >= 0 {
		return true
	}
	n := 0
	for _, k := range sectionKeysList {
		if r, _ := c.find(0, has(k)); r >= 0 {
			n++
		}
	}
	return n >= 2
}

// surveyReader fills a SurveyFile from one sheet.
type surveyReader struct {
	form *survey.Form
	c    *cells
	// others are the workbook's other sheets, where 附件3 asks the explanations of the
	// other activities to be written (另附页).
	others []*cells
	out    *SurveyFile
	// stops are rows that end a group's rows: section titles, the next table's head, the
	// lines of section 三 and the notes.
	stops []int
}

func (r *surveyReader) read() {
	r.heading()
	instHead, _ := r.c.find(0, has(labelKey("机构及平台名称")))
	projHead, _ := r.c.find(0, has(labelKey("项目名称")))
	r.markStops(instHead, projHead)
	r.institutions(instHead)
	r.projects(projHead)
	r.directions(max(projHead, instHead, 0))
	r.options(survey.IDOtherActivities, "其他创新活动", explainPrefix)
	r.options(idLiuyou, "六有", "")
	r.plan()
}

// markStops collects the rows that end a table.
func (r *surveyReader) markStops(heads ...int) {
	stop := func(k string) bool {
		for _, s := range sectionKeysList {
			if strings.Contains(k, s) {
				return true
			}
		}
		for _, p := range []string{"创新活动方向", "其他创新活动", "填表说明", "六有", "计划开展创新活动内容", "填报期"} {
			if strings.HasPrefix(k, labelKey(p)) {
				return true
			}
		}
		return false
	}
	for row := range r.c.keys {
		for _, k := range r.c.keys[row] {
			if k != "" && stop(k) {
				r.stops = append(r.stops, row)
				break
			}
		}
	}
	r.stops = append(r.stops, heads...)
	slices.Sort(r.stops)
}

// stopAfter is the first stop row after row, or the sheet's end.
func (r *surveyReader) stopAfter(row int) int {
	for _, s := range r.stops {
		if s > row {
			return s
		}
	}
	return len(r.c.rows)
}

// step is the form's step for an answer key, with ok false when the form lacks the question.
func (r *surveyReader) step(id string, row int) (survey.Step, bool) {
	q := r.form.Question(id)
	if q == nil {
		return survey.Step{}, false
	}
	if row < 0 {
		return survey.Step{Key: id, Q: q, Row: -1}, true
	}
	return survey.Step{Key: survey.RowKey(q.Parent.ID, row, id), Q: q, Row: row}, true
}

// put parses a cell's text as the answer at st, with the chat's parsers, keeping it or
// recording why not. An empty text leaves the question open.
func (r *surveyReader) put(st survey.Step, text string, line int, label string) {
	text = strings.TrimSpace(text)
	if text == "" {
		return
	}
	if st.Kind() == survey.Number {
		text = plainFloat(text)
	}
	v, doubt, err := st.Parse(text)
	switch {
	case err != nil:
		reason := "无法识别"
		var ie *survey.InputError
		if st.Kind() == survey.Number {
			if _, nerr := survey.ParseNumber(text, st.Q.Unit); nerr != nil {
				reason = "不是数字"
			} else if errors.As(err, &ie) {
				reason = "：" + ie.Reason
			}
		} else if errors.As(err, &ie) {
			reason = "：" + ie.Reason
		}
		r.problem(line, label, text, reason)
	case doubt == survey.Large:
		r.problem(line, label, text, "数值偏大，请在聊天中确认")
	case doubt == survey.Approx:
		r.problem(line, label, text, "不是确切的数字，请填确切的数")
	case doubt == survey.WhichUnit:
		r.problem(line, label, text, "单位是万元，这个数可能是按元填的，请核对")
	case doubt == survey.NoneFirst:
		r.problem(line, label, text, "以“"+survey.StartsWithNone(text)+"”开头，本期有没有请在聊天中回复")
	default:
		r.out.Answers[st.Key] = v
	}
}

func (r *surveyReader) problem(line int, label, value, reason string) {
	r.out.Problems = append(r.out.Problems, CellProblem{Row: line + 1, Label: label, Value: value, Reason: reason})
}

// plainFloat writes a number Excel stored in E notation (1.2E+5) as plain digits, which the
// chat's parser reads; anything else is returned as it is.
func plainFloat(s string) string {
	if !strings.ContainsAny(s, "eE") {
		return s
	}
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return s
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}

// labelled reads a heading line such as 企业全称：某某公司（盖章）: the text after the label in
// the same cell, else the next filled cell on its right that is no other label.
func (r *surveyReader) labelled(labels ...string) (string, int, bool) {
	for _, l := range labels {
		lk := labelKey(l)
		row, col := r.c.find(0, func(k string) bool { return strings.HasPrefix(k, lk) })
		if row < 0 {
			continue
		}
		text := r.c.at(row, col)
		if _, rest, ok := cutLabel(text); ok && withoutSeal(rest) != "" {
			return withoutSeal(rest), row, true
		}
		for c := col + 1; c < len(r.c.rows[row]); c++ {
			v := r.c.at(row, c)
			if v == "" {
				continue
			}
			if isHeadingLabel(labelKey(v)) {
				break
			}
			if v = withoutSeal(v); v != "" {
				return v, row, true
			}
		}
		return "", row, true
	}
	return "", -1, false
}

var headingLabels = []string{"企业全称", "企业名称", "所属县", "所属行业", "企业属性"}

func isHeadingLabel(k string) bool {
	for _, l := range headingLabels {
		if strings.HasPrefix(k, labelKey(l)) {
			return true
		}
	}
	return false
}

// cutLabel splits 所属行业：钢铁 at its first colon.
func cutLabel(s string) (string, string, bool) {
	i := strings.IndexAny(s, "：:")
	if i < 0 {
		return s, "", false
	}
	_, size := utf8.DecodeRuneInString(s[i:])
	return s[:i], strings.TrimSpace(s[i+size:]), true
}

// withoutSeal drops the （盖章） printed after 企业全称.
func withoutSeal(s string) string {
	for _, seal := range []string{"（盖章）", "(盖章)", "盖章"} {
		s = strings.TrimSpace(strings.ReplaceAll(s, seal, ""))
	}
	return s
}

func (r *surveyReader) heading() {
	if name, _, ok := r.labelled("企业全称", "企业名称"); ok {
		r.out.Enterprise = name
	}
	if region, _, ok := r.labelled("所属县（市、区）", "所属县"); ok {
		r.out.Region = region
	}
	if v, row, ok := r.labelled("所属行业"); ok {
		if st, ok := r.step(survey.IDIndustry, -1); ok {
			r.put(st, v, row, "所属行业")
		}
	}
	if v, row, ok := r.labelled("企业属性"); ok {
		if st, ok := r.step(survey.IDOwnership, -1); ok {
			r.put(st, v, row, "企业属性")
		}
	}
}

// column is one answer column of a group's table: the question it answers and the
// columns its head covers.
type column struct {
	id       string
	label    string // the head as printed, without its unit
	from, to int
}

// tableColumns maps a head row to the group's questions by the words of each head.
func (r *surveyReader) tableColumns(head int, words []headWord) []column {
	spans := r.c.spans()
	var out []column
	for col, k := range r.c.keys[head] {
		if k == "" {
			continue
		}
		id := headColumn(words, k)
		if id == "" {
			continue
		}
		span := max(spans[[2]int{head, col}], 1)
		out = append(out, column{id: id, label: headLabel(r.c.at(head, col)), from: col, to: col + span - 1})
	}
	return out
}

// headLabel is a head without its unit: 机构研究开发费用（万元） → 机构研究开发费用.
func headLabel(s string) string {
	s = strings.Join(strings.Fields(s), "")
	if i := strings.IndexAny(s, "（("); i > 0 {
		s = s[:i]
	}
	return s
}

// headWord names the question a table's head answers when the head holds word.
type headWord struct{ word, id string }

// institutionHeadWords and projectHeadWords read the heads of sections 一 and 二, the first word
// found deciding. 研发项目来源及立项文号 is the source, with the document number read from the
// same cell.
var (
	institutionHeadWords = []headWord{{"名称", "inst_name"}, {"批准部门", "inst_approver"}, {"研究领域", "inst_field"},
		{"机构数", "inst_count"}, {"人员", "inst_staff"}, {"费用", "inst_cost"}, {"仪器", "inst_equipment"}, {"设备", "inst_equipment"}}
	projectHeadWords = []headWord{{"项目名称", "proj_name"}, {"来源", "proj_source"}, {"文号", "proj_doc"},
		{"人员", "proj_staff"}, {"费用", "proj_cost"}, {"资产", "proj_assets"}}
)

// headColumn is the question a head answers, "" for none.
func headColumn(words []headWord, k string) string {
	for _, w := range words {
		if strings.Contains(k, w.word) {
			return w.id
		}
	}
	return ""
}

// tableRow is one filled row of a group's table.
type tableRow struct {
	line   int
	values map[string]string // by question id
	empty  map[string]bool   // empty cells holding an uncalculated formula
}

// table reads the rows under a head up to the next stop: blank rows and a second head line
// of units are passed over; a row saying only 无 means the table is empty on purpose.
func (r *surveyReader) table(head int, cols []column) (rows []tableRow, none bool) {
	end := r.stopAfter(head)
	for line := head + 1; line < end; line++ {
		row, filled := r.tableLine(line, cols)
		switch {
		case len(filled) == 0 && len(row.empty) == 0:
			continue
		case allUnits(filled):
			continue // the second line of a head: （个） （人） （万元）
		case len(filled) == 1 && len(row.empty) == 0 && survey.IsNone(filled[0]):
			none = true
			continue
		}
		if len(rows) == maxGroupRows {
			r.problem(line, "表格", "", fmt.Sprintf("超过 %d 行，后面的行没有读取", maxGroupRows))
			break
		}
		rows = append(rows, row)
	}
	return rows, none
}

// tableLine reads one line of a table: each column's cells joined (a column may span merged
// cells), and the filled values in column order.
func (r *surveyReader) tableLine(line int, cols []column) (row tableRow, filled []string) {
	row = tableRow{line: line, values: map[string]string{}, empty: map[string]bool{}}
	for _, col := range cols {
		var parts []string
		for c := col.from; c <= col.to; c++ {
			if v := r.c.at(line, c); v != "" {
				parts = append(parts, v)
			} else if r.c.formula(line, c) {
				row.empty[col.id] = true
			}
		}
		if len(parts) > 0 {
			row.values[col.id] = strings.Join(parts, " ")
			filled = append(filled, row.values[col.id])
		}
	}
	return row, filled
}

func allUnits(vals []string) bool {
	for _, v := range vals {
		v = strings.TrimSpace(v)
		if !(strings.HasPrefix(v, "（") || strings.HasPrefix(v, "(")) {
			return false
		}
	}
	return len(vals) > 0
}

// group writes a table's rows as the group's answers: the 有/无 question before it, each
// row's cells, and between rows the 还有…吗 answer.
func (r *surveyReader) group(hasID, groupID string, head int, words []headWord) {
	if head < 0 || r.form.Question(groupID) == nil {
		return
	}
	cols := r.tableColumns(head, words)
	rows, none := r.table(head, cols)
	hasStep, ok := r.step(hasID, -1)
	if len(rows) == 0 {
		if none && ok {
			r.out.Answers[hasStep.Key] = survey.Value{}
		}
		return
	}
	if ok {
		r.out.Answers[hasStep.Key] = survey.Value{Bool: true}
	}
	labels := map[string]string{}
	sepDoc := false
	for _, c := range cols {
		labels[c.id] = c.label
		sepDoc = sepDoc || c.id == "proj_doc"
	}
	for i, row := range rows {
		r.out.Answers[survey.RowKey(groupID, i, "#more")] = survey.Value{Bool: i < len(rows)-1}
		for _, q := range r.form.Question(groupID).Questions {
			r.rowCell(q, i, row, labels[q.ID], sepDoc)
		}
	}
}

// rowCell reads the cell of row i that answers q. 研发项目来源及立项文号 gives the document
// number as well, unless the table has a column of its own for it (sepDoc).
func (r *surveyReader) rowCell(q *survey.Question, i int, row tableRow, label string, sepDoc bool) {
	st, _ := r.step(q.ID, i)
	text, filled := row.values[q.ID]
	if q.ID == "proj_source" && filled {
		var doc string
		text, doc = r.splitSource(st, text)
		if dst, ok := r.step("proj_doc", i); ok && !sepDoc {
			r.putOptional(dst, doc, row.line, "立项文号")
		}
	}
	switch {
	case q.ID == "proj_doc" && !sepDoc:
		// read with the source
	case row.empty[q.ID] && !filled:
		r.problem(row.line, label, "", "是没有计算结果的公式，请直接填写")
	case q.Optional:
		r.putOptional(st, text, row.line, label)
	default:
		r.put(st, text, row.line, label)
	}
}

// putOptional keeps an empty optional cell as skipped, so it is not asked.
func (r *surveyReader) putOptional(st survey.Step, text string, line int, label string) {
	if strings.TrimSpace(text) == "" {
		r.out.Answers[st.Key] = survey.Value{Skipped: true}
		return
	}
	r.put(st, text, line, label)
}

// splitSource reads 研发项目来源及立项文号 written in one cell, as 附件3 prints it: the source
// (an option's text or number) first, then the document number.
func (r *surveyReader) splitSource(st survey.Step, cell string) (source, doc string) {
	cell = strings.TrimSpace(cell)
	for _, o := range st.Q.Options {
		if rest, ok := strings.CutPrefix(cell, o); ok {
			if strings.HasPrefix(rest, " ") {
				return o, strings.TrimSpace(rest) // innobot's export: the two joined by a space
			}
			return o, trimSeparators(rest)
		}
	}
	for _, o := range st.Q.Options {
		if i := strings.Index(cell, o); i >= 0 {
			return o, trimSeparators(cell[:i] + " " + cell[i+len(o):])
		}
	}
	first, rest, _ := strings.Cut(cell, " ")
	if _, err := survey.ParseChoice(first, st.Q.Options, st.Q.Aliases); err == nil {
		return first, trimSeparators(rest)
	}
	return cell, ""
}

func trimSeparators(s string) string {
	return strings.TrimFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune("，,、;；/：:", r)
	})
}

func (r *surveyReader) institutions(head int) {
	r.group(survey.IDHasInstitutions, survey.IDInstitution, head, institutionHeadWords)
}

func (r *surveyReader) projects(head int) {
	r.group(survey.IDHasProjects, survey.IDProject, head, projectHeadWords)
}

// directions reads the 主要内容 of the six directions of section 三, on the lines after from.
func (r *surveyReader) directions(from int) {
	sec := r.form.SectionOf("activities")
	if sec == nil {
		return
	}
	for _, q := range sec.Questions {
		if !strings.HasPrefix(q.ID, "dir_") {
			continue
		}
		row, col := r.c.find(from, is(labelKey(q.Label)))
		if row < 0 {
			continue
		}
		var parts []string
		for c := col + 1; c < len(r.c.rows[row]); c++ {
			if v := r.c.at(row, c); v != "" {
				parts = append(parts, v)
			}
		}
		if len(parts) == 0 && r.c.formula(row, col+1) {
			r.problem(row, q.Label, "", "是没有计算结果的公式，请直接填写")
			continue
		}
		st, _ := r.step(q.ID, -1)
		r.put(st, strings.Join(parts, "\n"), row, q.Label)
	}
}

// The marks people put before or beside an option: a tick symbol chooses it wherever it is in
// the cell, an empty box alone leaves it out; the words count only as a cell of their own.
var (
	tickSymbols = []string{"☑", "✓", "√", "✔", "☒", "■", "●"}
	boxSymbols  = []string{"□", "☐"}
	tickWords   = []string{"是", "1", "Y", "y", "有", "选"}
	untickWords = []string{"否", "0", "N", "n", "无"}
)

// options reads a multi question laid out as one line per option (其他创新活动, 六有), below
// the line naming the block when there is one: an option is chosen when its line carries a
// tick, before its text or in a cell of its own; other text on the line is its explanation
// (explain names the questions that keep it).
func (r *surveyReader) options(id, block, explain string) {
	st, ok := r.step(id, -1)
	if !ok {
		return
	}
	from, _ := r.c.find(0, has(labelKey(block)))
	var ticked []int
	found := false
	for i, opt := range st.Q.Options {
		// The line starts with the option, after a tick or a number: the same words inside
		// an answer (与高校开展产学研合作) are no option line.
		startsWith := startsWithOption(opt)
		row, col := r.c.find(from, startsWith)
		if row < 0 {
			continue
		}
		found = true
		tick, text := r.optionLine(row, col, opt)
		if tick < 0 {
			continue
		}
		if tick == 0 && (text == "" || survey.IsNone(text)) {
			continue
		}
		ticked = append(ticked, i+1)
		if explain == "" {
			continue
		}
		label, line := fmt.Sprintf("%d %s 的说明", i+1, opt), row
		if text == "" {
			text, line = r.appendix(row, startsWith, opt)
		}
		if est, ok := r.step(fmt.Sprintf("%s%d", explain, i+1), -1); ok {
			r.put(est, text, line, label)
		}
	}
	if found {
		r.out.Answers[st.Key] = survey.Value{Multi: ticked}
	}
}

// startsWithOption matches the key of a line that starts with the option's words.
func startsWithOption(opt string) func(string) bool {
	optKey := labelKey(opt)
	return func(k string) bool { return strings.HasPrefix(strings.TrimLeft(k, "0123456789"), optKey) }
}

// appendix finds the explanation of a chosen option written apart (附件3: 另附页详细说明): a
// later line of the sheet, or a line of another sheet, that starts with the option's words
// and goes on with the explanation. It returns the explanation and its line.
func (r *surveyReader) appendix(after int, startsWith func(string) bool, opt string) (string, int) {
	for _, c := range append([]*cells{r.c}, r.others...) {
		from := 0
		if c == r.c {
			from = after + 1
		}
		for {
			row, col := c.find(from, startsWith)
			if row < 0 {
				break
			}
			var parts []string
			cell := c.at(row, col)
			if i := strings.Index(cell, opt); i >= 0 {
				if t := trimSeparators(cell[i+len(opt):]); t != "" {
					parts = append(parts, t)
				}
			}
			for col2 := col + 1; col2 < len(c.rows[row]); col2++ {
				if v := c.at(row, col2); v != "" && !isMarkOnly(v) {
					parts = append(parts, v)
				}
			}
			if len(parts) > 0 {
				return strings.Join(parts, "\n"), row
			}
			from = row + 1
		}
	}
	return "", after
}

// optionLine reads the line of an option: 1 when ticked, 0 when neither ticked nor marked
// as not chosen (an explanation then still chooses it), -1 when marked not chosen; and the
// explanation written on the line.
func (r *surveyReader) optionLine(row, col int, opt string) (int, string) {
	tick := 0
	cell := r.c.at(row, col)
	i := strings.Index(cell, opt)
	prefix, rest := cell, ""
	if i >= 0 {
		prefix, rest = cell[:i], cell[i+len(opt):]
	} else {
		// The option retyped with other punctuation: no explanation can be told apart.
		prefix = ""
	}
	switch mark(prefix) {
	case 1:
		tick = 1
	case -1:
		tick = -1
	}
	var texts []string
	if t := trimSeparators(rest); t != "" {
		texts = append(texts, t)
	}
	for c := range r.c.rows[row] {
		if c == col {
			continue
		}
		v := r.c.at(row, c)
		if v == "" {
			continue
		}
		switch m := mark(v); {
		case m != 0 && isMarkOnly(v):
			if tick == 0 {
				tick = m
			}
		case c > col:
			texts = append(texts, v)
		}
	}
	return tick, strings.Join(texts, "\n")
}

// mark reads a tick in s (the text before an option, or a cell of its own): 1 for a tick, -1
// for an empty box or a no, 0 for neither.
func mark(s string) int {
	s = strings.TrimSpace(s)
	switch {
	case containsAny(s, tickSymbols):
		return 1
	case containsAny(s, boxSymbols):
		return -1
	case slices.Contains(tickWords, s):
		return 1
	case slices.Contains(untickWords, s):
		return -1
	}
	return 0
}

func containsAny(s string, subs []string) bool {
	return slices.ContainsFunc(subs, func(sub string) bool { return strings.Contains(s, sub) })
}

// isMarkOnly reports whether a cell holds nothing but a mark.
func isMarkOnly(s string) bool {
	s = strings.TrimSpace(s)
	for _, marks := range [][]string{tickSymbols, boxSymbols, tickWords, untickWords} {
		if slices.Contains(marks, s) {
			return true
		}
	}
	return false
}

// plan reads 计划开展创新活动内容.
func (r *surveyReader) plan() {
	st, ok := r.step(survey.IDPlan, -1)
	if !ok {
		return
	}
	if v, row, ok := r.labelled("计划开展创新活动内容"); ok && v != "" {
		r.put(st, v, row, "计划开展创新活动内容")
	}
}
