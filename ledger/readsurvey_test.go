package ledger

import (
	"archive/zip"
	"bytes"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"innobot/period"
	"innobot/storage"
	"innobot/survey"
	"innobot/survey/surveytest"
)

// exported is innobot's 附件3 of answers, as bytes.
func exported(t testing.TB, a survey.Answers) []byte {
	t.Helper()
	e := storage.Enterprise{ID: "e1", Name: "山西示范钢铁有限公司", Region: "盐湖区", Industry: "钢铁"}
	sub := storage.Submission{EnterpriseID: "e1", Period: "2026-11", Version: 1, Form: "fujian3", Answers: a,
		SubmittedAt: time.Date(2026, 11, 25, 10, 0, 0, 0, period.ChinaTime)}
	var b bytes.Buffer
	if err := WriteSurvey(&b, nil, e, sub); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestReadSurveyRoundTrip is the property that matters to a liaison who downloads their 附件3
// and sends it back: for any survey the chat can produce, the file reads back as the same
// answers, with nothing to ask and nothing flagged.
func TestReadSurveyRoundTrip(t *testing.T) {
	form := survey.Default()
	n := 60
	if testing.Short() {
		n = 30
	}
	for seed := range uint64(n) {
		rng := rand.New(rand.NewPCG(seed, 16))
		want := form.Visible(surveytest.Random(rng, form))
		got, err := ReadSurvey(exported(t, want), form)
		if err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		if len(got.Problems) > 0 {
			t.Errorf("seed %d: problems %v", seed, got.Problems)
		}
		if d := surveytest.Diff(form.Visible(got.Answers), want); len(d) > 0 {
			t.Fatalf("seed %d: answers differ:\n%s", seed, strings.Join(d, "\n"))
		}
		if got.Enterprise != "山西示范钢铁有限公司" || got.Region != "盐湖区" {
			t.Errorf("seed %d: heading %q %q", seed, got.Enterprise, got.Region)
		}
	}
}

// officialForm builds 附件3 as a clerk retypes the official blank form in Excel: the title
// and heading in merged cells, two-line heads, blank rows, ✓ and √ marks beside □ boxes,
// explanations on the option's line or on a page of their own, and one bad figure.
func officialForm(t testing.TB) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sh := "Sheet1"
	set := func(cell string, v any) {
		if err := f.SetCellValue(sh, cell, v); err != nil {
			t.Fatal(err)
		}
	}
	merge := func(a, b string) {
		if err := f.MergeCell(sh, a, b); err != nil {
			t.Fatal(err)
		}
	}
	set("A1", "附件 3")
	set("A2", "企业创新活动开展情况调查表")
	merge("A2", "G2")
	set("A3", "企业全称：（盖章）")
	set("B3", "运城市某某机械有限公司")
	set("D3", "所属县（市、区）：")
	set("E3", "永济市")
	set("F3", "所属行业：")
	set("G3", "装备制造·农机")
	set("A5", "一、企业研究开发机构情况")
	merge("A5", "G5")
	for i, h := range []string{"研究开发机构及平台名称", "批准部门（或企业自建）", "研究领域", "期末机构数", "机构研究开发人员数量", "机构研究开发费用", "期末仪器和设备原价"} {
		cell, _ := excelize.CoordinatesToCellName(i+1, 6)
		set(cell, h)
	}
	for i, u := range []string{"", "", "", "（个）", "（人）", "（万元）", "（万元）"} {
		if u != "" {
			cell, _ := excelize.CoordinatesToCellName(i+1, 7)
			set(cell, u)
		}
	}
	// row 8 blank
	set("A9", "农机研发中心")
	set("B9", "企业自建")
	set("C9", "收获机械")
	set("D9", 1)
	set("E9", "１２")
	set("F9", "约五十")
	set("G9", "80万")
	set("A10", "省级企业技术中心")
	set("B10", "山西省工业和信息化厅")
	set("C10", "智能农机")
	set("D10", "1个")
	set("E10", 20)
	set("F10", "1,200,000元")
	set("G10", 300)
	set("A12", "二、企业研究开发活动及有关情况")
	merge("A12", "G12")
	set("A13", "研发项目名称")
	merge("A13", "B13")
	set("C13", "研发项目来源及立项文号")
	merge("C13", "D13")
	set("E13", "研究开发人员情况（人）")
	set("F13", "研究开发费用情况（万元）")
	set("G13", "研究开发资产情况（万元）")
	set("A14", "玉米收获机割台改进")
	merge("A14", "B14")
	set("C14", "政府部门科技项目，运科字〔2026〕7号")
	merge("C14", "D14")
	set("E14", 6)
	set("F14", 45.5)
	set("G14", "")
	set("A16", "三、企业创新有关活动开展情况")
	set("A17", "创新活动方向")
	set("B17", "主要内容")
	merge("B17", "G17")
	dirs := []struct{ label, text string }{
		{"创新投入", "研发投入 200 万元"}, {"创新人才", "引进工程师 3 名"}, {"创新项目", "无"},
		{"创新平台", "省级技术中心"}, {"技术研发", "没有，明年计划开展"}, {"技术合作", "与中北大学合作"},
	}
	for i, d := range dirs {
		row := 18 + i
		a, _ := excelize.CoordinatesToCellName(1, row)
		b, _ := excelize.CoordinatesToCellName(2, row)
		g, _ := excelize.CoordinatesToCellName(7, row)
		set(a, d.label)
		if d.text != "" {
			set(b, d.text)
		}
		merge(b, g)
	}
	set("A25", "其他创新活动（可多选）")
	opts := survey.Default().Question(survey.IDOtherActivities).Options
	for i, o := range opts {
		row := 26 + i
		a, _ := excelize.CoordinatesToCellName(1, row)
		switch i + 1 {
		case 3:
			set(a, "✓ "+o)
			d, _ := excelize.CoordinatesToCellName(4, row)
			set(d, "轧机节能改造")
		case 11:
			set(a, o)
			e, _ := excelize.CoordinatesToCellName(5, row)
			set(e, "√")
			f2, _ := excelize.CoordinatesToCellName(6, row)
			set(f2, "与中北大学共建实验室")
		case 8:
			set(a, "☑"+o) // ticked, explained on a page of its own (另附页)
		case 9:
			set(a, "☑"+o) // ticked, explanation left for the chat
		default:
			set(a, "□ "+o)
		}
	}
	set("A41", "填表说明：1. 初次统计填报截止 2020 年 4 月底情况。")
	if _, err := f.NewSheet("附页"); err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellValue("附页", "A1", "其他创新活动详细说明"); err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellValue("附页", "A3", "购置研发、实验、检测仪器设备："); err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellValue("附页", "B3", "新购光谱仪 2 台"); err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestReadSurveyOfficialForm reads the official layout filled by hand.
func TestReadSurveyOfficialForm(t *testing.T) {
	got, err := ReadSurvey(officialForm(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	want := survey.Answers{
		"industry":                     {Text: "装备制造·农机"},
		"has_institutions":             {Bool: true},
		"institution.0.inst_name":      {Text: "农机研发中心"},
		"institution.0.inst_approver":  {Text: "企业自建"},
		"institution.0.inst_field":     {Text: "收获机械"},
		"institution.0.inst_count":     {Num: 1},
		"institution.0.inst_staff":     {Num: 12},
		"institution.0.inst_equipment": {Num: 80},
		"institution.0.#more":          {Bool: true},
		"institution.1.inst_name":      {Text: "省级企业技术中心"},
		"institution.1.inst_approver":  {Text: "山西省工业和信息化厅"},
		"institution.1.inst_field":     {Text: "智能农机"},
		"institution.1.inst_count":     {Num: 1},
		"institution.1.inst_staff":     {Num: 20},
		"institution.1.inst_cost":      {Num: 120},
		"institution.1.inst_equipment": {Num: 300},
		"institution.1.#more":          {Bool: false},
		"has_projects":                 {Bool: true},
		"project.0.proj_name":          {Text: "玉米收获机割台改进"},
		"project.0.proj_source":        {Choice: 2},
		"project.0.proj_doc":           {Text: "运科字〔2026〕7号"},
		"project.0.proj_staff":         {Num: 6},
		"project.0.proj_cost":          {Num: 45.5},
		"project.0.#more":              {Bool: false},
		"dir_investment":               {Text: "研发投入 200 万元"},
		"dir_talent":                   {Text: "引进工程师 3 名"},
		"dir_project":                  {},
		"dir_platform":                 {Text: "省级技术中心"},
		"dir_cooperation":              {Text: "与中北大学合作"},
		"other_activities":             {Multi: []int{3, 8, 9, 11}},
		"other_explain_8":              {Text: "新购光谱仪 2 台"},
		"other_explain_3":              {Text: "轧机节能改造"},
		"other_explain_11":             {Text: "与中北大学共建实验室"},
	}
	surveytest.Check(t, got.Answers, want)
	if got.Enterprise != "运城市某某机械有限公司" || got.Region != "永济市" {
		t.Errorf("heading = %q, %q", got.Enterprise, got.Region)
	}
	var problems []string
	for _, p := range got.Problems {
		problems = append(problems, p.String())
	}
	if len(problems) != 2 || problems[0] != "第 9 行 机构研究开发费用：“约五十”不是确切的数字，请填确切的数" ||
		!strings.HasSuffix(problems[1], "技术研发：“没有，明年计划开展”以“没有”开头，本期有没有请在聊天中回复") {
		t.Errorf("problems = %q", problems)
	}
	// What is left for the chat: the unreadable figure, the blank 研究开发资产, 技术研发 (无 or not?),
	// the explanation of 9, 企业属性 and 六有.
	var open []string
	form := survey.Default()
	for _, st := range form.Steps(got.Answers) {
		if _, ok := got.Answers[st.Key]; !ok {
			open = append(open, st.Key)
		}
	}
	wantOpen := []string{"ownership", "institution.0.inst_cost", "project.0.proj_assets", "dir_rnd", "other_explain_9", "liuyou"}
	if strings.Join(open, " ") != strings.Join(wantOpen, " ") {
		t.Errorf("open questions = %v, want %v", open, wantOpen)
	}
}

// TestReadSurveyFormulas takes a formula's cached value, and flags one that was never
// calculated (a file written by a program: a formula without a value).
func TestReadSurveyFormulas(t *testing.T) {
	f, err := excelize.OpenReader(bytes.NewReader(exported(t, fullAnswers())))
	if err != nil {
		t.Fatal(err)
	}
	row := findRow(t, f, "研究开发机构及平台名称") + 1
	cost, _ := excelize.CoordinatesToCellName(6, row)
	equip, _ := excelize.CoordinatesToCellName(7, row)
	// Formulas over the figures: excelize keeps each cell's number as the cached value, as
	// Excel saves it.
	for _, c := range []string{cost, equip} {
		if err := f.SetCellFormula(SheetSurvey, c, "SUM(H1:H3)"); err != nil {
			t.Fatal(err)
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	// Then the equipment cell loses its value, as in a file no spreadsheet calculated.
	data := editPart(t, b.Bytes(), "xl/worksheets/sheet1.xml", func(x string) string {
		re := regexp.MustCompile(`(<c r="` + equip + `"[^>]*>)(.*?)</c>`)
		return re.ReplaceAllStringFunc(x, func(c string) string {
			return regexp.MustCompile(`<v>[^<]*</v>`).ReplaceAllString(c, "")
		})
	})
	got, err := ReadSurvey(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok := got.Answers["institution.0.inst_cost"]; !ok || v.Num != 820.5 {
		t.Errorf("cost from the cached value = %+v, %v", v, ok)
	}
	if _, ok := got.Answers["institution.0.inst_equipment"]; ok {
		t.Error("an uncalculated formula was read as an answer")
	}
	if len(got.Problems) != 1 || !strings.Contains(got.Problems[0].String(), "没有计算结果的公式") {
		t.Errorf("problems = %v", got.Problems)
	}
}

func findRow(t testing.TB, f *excelize.File, text string) int {
	t.Helper()
	rows, err := f.GetRows(SheetSurvey)
	if err != nil {
		t.Fatal(err)
	}
	for i, r := range rows {
		for _, c := range r {
			if c == text {
				return i + 1
			}
		}
	}
	t.Fatalf("no cell %q", text)
	return 0
}

// TestReadSurveyRefusals sends each kind of bad file: each gets its own reply, as a
// *FileError, and yields no answers.
func TestReadSurveyRefusals(t *testing.T) {
	good := exported(t, fullAnswers())
	var ledgerBook bytes.Buffer
	fs := newFake()
	fs.putEnterprise(storage.Enterprise{ID: "e1", Name: "甲", Region: "盐湖区"})
	rep, err := Progress(t.Context(), fs, City(), "2026-11", []string{"盐湖区"})
	if err != nil {
		t.Fatal(err)
	}
	if err := WriteLedger(&ledgerBook, rep, LedgerOptions{}); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"text", []byte("企业名称,所属县\n甲,盐湖区\n"), "不是 Excel 工作簿"},
		{"empty", nil, "不是 Excel 工作簿"},
		{"docx", zipOf(t, map[string]string{"word/document.xml": "<w/>"}), "不是 Excel 工作簿"},
		{"too big", append(good, make([]byte, MaxUpload)...), "超过 5 MB"},
		{"zip bomb", zipBomb(t), "解压后超过"},
		{"truncated", good[:len(good)/2], "不是 Excel 工作簿"},
		{"password", encrypted(t, good), "设了打开密码"},
		{"old xls", readTestdata(t, "old.xls"), "旧版 .xls"},
		{"other form", ledgerBook.Bytes(), "这不是《企业创新活动开展情况调查表》"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ReadSurvey(tc.data, nil)
			var fe *FileError
			if !errors.As(err, &fe) {
				t.Fatalf("err = %v, want a FileError", err)
			}
			if !strings.Contains(fe.Reason, tc.want) {
				t.Errorf("reason %q, want it to say %q", fe.Reason, tc.want)
			}
			if len(got.Answers) > 0 {
				t.Errorf("answers from a refused file: %v", got.Answers)
			}
		})
	}
}

// TestReadSurveyMacros reads a macro-enabled workbook and says its macros were ignored.
func TestReadSurveyMacros(t *testing.T) {
	data := addPart(t, exported(t, fullAnswers()), "xl/vbaProject.bin", "Attribute VB_Name = \"Module1\"")
	got, err := ReadSurvey(data, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Notes) != 1 || !strings.Contains(got.Notes[0], "宏") {
		t.Errorf("notes = %v", got.Notes)
	}
	surveytest.Check(t, survey.Default().Visible(got.Answers), survey.Default().Visible(fullAnswers()))
}

func zipOf(t testing.TB, parts map[string]string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for name, body := range parts {
		fw, err := w.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write([]byte(body)); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// editPart copies a workbook with one part's text changed by edit.
func editPart(t testing.TB, data []byte, name string, edit func(string) string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, f := range zr.File {
		if f.Name != name {
			if err := w.Copy(f); err != nil {
				t.Fatal(err)
			}
			continue
		}
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		fw, err := w.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := fw.Write([]byte(edit(string(body)))); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// addPart copies a workbook with one more part.
func addPart(t testing.TB, data []byte, name, body string) []byte {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, f := range zr.File {
		if err := w.Copy(f); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := w.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := fw.Write([]byte(body)); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// zipBomb is a small workbook whose sheet unpacks to 100 MB of zeros.
func zipBomb(t testing.TB) []byte {
	t.Helper()
	var b bytes.Buffer
	w := zip.NewWriter(&b)
	for _, p := range []string{"[Content_Types].xml", "xl/workbook.xml"} {
		if _, err := w.Create(p); err != nil {
			t.Fatal(err)
		}
	}
	fw, err := w.Create("xl/worksheets/sheet1.xml")
	if err != nil {
		t.Fatal(err)
	}
	zeros := make([]byte, 1<<20)
	for range 100 {
		if _, err := fw.Write(zeros); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// encrypted is the workbook saved with an opening password, as Excel does it.
func encrypted(t testing.TB, data []byte) []byte {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var b bytes.Buffer
	if err := f.Write(&b, excelize.Options{Password: "123456"}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func readTestdata(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzReadSurvey mutates workbooks byte by byte: whatever arrives, the reader returns
// answers or a refusal with a reply, and never panics or fails otherwise.
func FuzzReadSurvey(f *testing.F) {
	f.Add(exported(f, fullAnswers()))
	f.Add(exported(f, planAnswers()))
	f.Add(officialForm(f))
	f.Add(readTestdata(f, "old.xls"))
	f.Fuzz(func(t *testing.T, data []byte) {
		got, err := ReadSurvey(data, nil)
		var fe *FileError
		if err != nil && !errors.As(err, &fe) {
			t.Fatalf("error without a reply: %v", err)
		}
		checkRead(t, got)
	})
}

// FuzzReadSurveyCell writes anything into any cell of a filled 附件3: the reader keeps only
// answers the chat's parsers accept and names every cell it could not read.
func FuzzReadSurveyCell(f *testing.F) {
	base := exported(f, fullAnswers())
	f.Add(uint8(9), uint8(6), "约五十")
	f.Add(uint8(13), uint8(3), "无")
	f.Add(uint8(28), uint8(1), "√ 产学研合作")
	f.Add(uint8(3), uint8(1), "企业属性：国企")
	f.Add(uint8(9), uint8(4), "=1/0")
	f.Fuzz(func(t *testing.T, row, col uint8, text string) {
		wb, err := excelize.OpenReader(bytes.NewReader(base))
		if err != nil {
			t.Fatal(err)
		}
		defer wb.Close()
		cell, _ := excelize.CoordinatesToCellName(int(col%9)+1, int(row%70)+1)
		if err := wb.SetCellStr(SheetSurvey, cell, text); err != nil {
			t.Skip() // a text excelize will not store
		}
		var b bytes.Buffer
		if err := wb.Write(&b); err != nil {
			t.Skip()
		}
		got, err := ReadSurvey(b.Bytes(), nil)
		var fe *FileError
		if err != nil && !errors.As(err, &fe) {
			t.Fatalf("error without a reply: %v", err)
		}
		checkRead(t, got)
	})
}

// checkRead checks what any read may yield: answers the form's steps accept as they are
// stored, and problems that say where.
func checkRead(t *testing.T, got SurveyFile) {
	t.Helper()
	form := survey.Default()
	for _, st := range form.Steps(got.Answers) {
		v, ok := got.Answers[st.Key]
		if !ok || v.Skipped || st.Kind() != survey.Number {
			continue
		}
		if st.Q.Min != nil && v.Num < *st.Q.Min || st.Q.SoftMax != nil && v.Num > *st.Q.SoftMax {
			t.Errorf("%s = %v, outside what the chat accepts unconfirmed", st.Key, v.Num)
		}
	}
	for _, p := range got.Problems {
		if p.Row < 1 || p.Label == "" || p.Reason == "" {
			t.Errorf("problem without its place: %+v", p)
		}
	}
}
