package ledger

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"innobot/storage"
	"innobot/survey"
)

// exports are the workbooks that carry a 附件2 sheet, by name: 附件2 alone and the 月报.
func exports(t *testing.T, r Report) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	var a, m bytes.Buffer
	if err := WriteLedger(&a, r, LedgerOptions{Preparer: "张文书", Phone: "0359-2688888"}); err != nil {
		t.Fatal(err)
	}
	if err := WriteMonthly(&m, r, MonthlyOptions{Preparer: "张文书", Phone: "0359-2688888", Date: time.Now()}); err != nil {
		t.Fatal(err)
	}
	out["附件2"], out["月报"] = a.Bytes(), m.Bytes()
	return out
}

var countsLine = regexp.MustCompile(`^规上工业企业数量：(\d+)(?:（含新进规上 (\d+) 家）)?  已开展创新活动企业数量：(\d+)  ` +
	`未开展创新活动企业数量：(\d+)(?:（含从未填报 (\d+) 家）)?  日期：\d{4}年\d{1,2}月$`)

// TestRowsAddUpToCountsLine reads every export's 附件2 back as a clerk would check it: the
// rows with an 有 are the 已开展 of the counts line, the others the 未开展, those saying 未填报
// the count in brackets, every 有无 cell holds 有, 无 or 未填报 (all three at once), and the
// 月报's 合计 and region rows agree with the same rows.
func TestRowsAddUpToCountsLine(t *testing.T) {
	for _, scope := range []Scope{City(), Region("盐湖区"), Region("永济市"), Region("夏县"),
		Helper("E07", "E01", "E16"), {Kind: ScopeHelper, Enterprises: []string{"E05", "E19"}, Label: "王帮扶（对口帮扶人）"}} {
		_, r := ledgerScenario(t, scope)
		for name, data := range exports(t, r) {
			t.Run(fmt.Sprintf("%s %s", r.Area, name), func(t *testing.T) {
				f := open(t, data)
				rs := rows(t, f, SheetLedger)
				m := countsLine.FindStringSubmatch(at(rs, 2, 1))
				if m == nil {
					t.Fatalf("counts line %q", at(rs, 2, 1))
				}
				num := func(s string) int { n, _ := strconv.Atoi(s); return n }
				total, active, inactive, unreported := num(m[1]), num(m[3]), num(m[4]), num(m[5])
				cols := rs[2]
				first := slices.Index(cols, "有无研发机构")
				regionCol := slices.Index(cols, regionColumn)
				var n, gotActive, gotInactive, gotUnreported int
				perRegion := map[string][2]int{} // enterprises, active
				for _, row := range rs[3:] {
					if len(row) == 0 || row[0] == "" || strings.HasPrefix(row[0], "填表") {
						break
					}
					n++
					cells := row[first : first+3]
					has := slices.Contains(cells, "有")
					switch {
					case slices.Equal(cells, []string{Unreported, Unreported, Unreported}):
						gotUnreported++
					case slices.Contains(cells, Unreported) || slices.ContainsFunc(cells, func(c string) bool { return c != "有" && c != "无" }):
						t.Errorf("有无 cells %q in %q", cells, row)
					}
					if has {
						gotActive++
					} else {
						gotInactive++
					}
					region := r.Area
					if len(r.Rows) == 1 {
						region = r.Rows[0].Region
					}
					if regionCol >= 0 {
						region = row[regionCol]
					}
					pr := perRegion[region]
					pr[0]++
					if has {
						pr[1]++
					}
					perRegion[region] = pr
				}
				if n != total || gotActive != active || gotInactive != inactive || gotUnreported != unreported {
					t.Errorf("rows: %d enterprises, %d 有, %d without, %d 未填报; counts line %q", n, gotActive, gotInactive, gotUnreported, at(rs, 2, 1))
				}
				if tt := r.Total; total != tt.Enterprises || active != tt.Active || inactive != tt.Inactive || unreported != tt.Unknown {
					t.Errorf("the counts line %q disagrees with the report's total %+v", at(rs, 2, 1), tt)
				}
				if name != "月报" {
					return
				}
				// The 月报's figures: each region's row, and 合计 as the spreadsheet computes it.
				sum := rows(t, f, SheetSummary)
				for i, row := range sum {
					if len(row) < 5 || row[0] == "序号" || (row[1] != "合计" && !slices.ContainsFunc(r.Rows, func(x Row) bool { return x.Region == row[1] })) {
						continue
					}
					if row[1] == "合计" {
						for col, want := range map[string]int{"C": n, "E": gotActive, "F": gotInactive} {
							v, err := f.CalcCellValue(SheetSummary, fmt.Sprintf("%s%d", col, i+1))
							if err != nil || v != strconv.Itoa(want) {
								t.Errorf("合计 %s = %q, %v; the rows say %d", col, v, err, want)
							}
						}
						continue
					}
					want := perRegion[row[1]]
					if regionCol < 0 && len(r.Rows) > 1 {
						continue // a helper's rows do not name their county
					}
					if row[2] != strconv.Itoa(want[0]) || row[4] != strconv.Itoa(want[1]) {
						t.Errorf("月报 row %q: 附件2 has %d enterprises, %d with 有", row, want[0], want[1])
					}
				}
			})
		}
	}
}

// TestNoTextBecomesFormula: what people typed (names, industries, plans, notes, the clerk's
// name) is written as text, however it starts; the only formulas are the 月报's 合计.
func TestNoTextBecomesFormula(t *testing.T) {
	f := scenario()
	typed := []string{"=1+1", "+SUM(A1:A9)", "-2+3", "@HYPERLINK(\"http://x\")", "=cmd|' /C calc'!A0"}
	e := f.enterprises["E01"]
	e.Name, e.Industry, e.ContactName, e.Helper = typed[0], typed[1], typed[2], typed[3]
	f.putEnterprise(e)
	a := planAnswers()
	a["plan"] = survey.Value{Text: typed[4]}
	a["industry"] = survey.Value{Text: typed[0]}
	f.submit(submission("E05", "2026-11", a))
	r, err := Progress(t.Context(), f, City(), "2026-11", regions)
	if err != nil {
		t.Fatal(err)
	}
	var m, l, s bytes.Buffer
	o := MonthlyOptions{Preparer: typed[0], Phone: typed[1], Unit: typed[2], Date: time.Now(),
		Notes: []storage.MonthlyNote{{Period: "2026-11", Progress: typed[3], Problems: typed[4]}}}
	if err := WriteMonthly(&m, r, o); err != nil {
		t.Fatal(err)
	}
	if err := WriteLedger(&l, r, LedgerOptions{Preparer: typed[0], Phone: typed[4]}); err != nil {
		t.Fatal(err)
	}
	sub := submission("E05", "2026-11", a)
	if err := WriteSurvey(&s, nil, f.enterprises["E01"], sub); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string][]byte{"月报": m.Bytes(), "附件2": l.Bytes(), "附件3": s.Bytes()} {
		x := open(t, data)
		seen := map[string]bool{}
		for _, sheet := range x.GetSheetList() {
			rs := rows(t, x, sheet)
			for ri, row := range rs {
				for ci, v := range row {
					ref := cell(ci+1, ri+1)
					formula, err := x.GetCellFormula(sheet, ref)
					if err != nil {
						t.Fatal(err)
					}
					if formula != "" && !(sheet == SheetSummary && at(rs, ri+1, 2) == "合计") {
						t.Errorf("%s %s!%s holds the formula %q", name, sheet, ref, formula)
					}
					for _, s := range typed {
						if strings.Contains(v, s) {
							seen[s] = true
						}
					}
				}
			}
		}
		for _, s := range typed {
			if name != "附件3" && !seen[s] {
				t.Errorf("%s: %q is not shown as typed", name, s)
			}
		}
	}
}

// TestPrintSetup: every sheet of every export prints on A4 with the page number centred in
// the footer, and the list sheets repeat their title rows on every page.
func TestPrintSetup(t *testing.T) {
	_, r := ledgerScenario(t, City())
	files := exports(t, r)
	var s bytes.Buffer
	if err := WriteSurvey(&s, nil, r.Entries[0].Enterprise, submission("E01", "2026-11", fullAnswers())); err != nil {
		t.Fatal(err)
	}
	files["附件3"] = s.Bytes()
	repeated := map[string]bool{SheetLedger: true, SheetTickedOff: true, SheetFirstReports: true, SheetLagging: true}
	for name, data := range files {
		f := open(t, data)
		titles := map[string]string{}
		for _, d := range f.GetDefinedName() {
			if d.Name == "_xlnm.Print_Titles" {
				titles[d.Scope] = d.RefersTo
			}
		}
		for _, sheet := range f.GetSheetList() {
			pl, err := f.GetPageLayout(sheet)
			if err != nil {
				t.Fatal(err)
			}
			if pl.Size == nil || *pl.Size != 9 {
				t.Errorf("%s %s: paper %v, want A4 (9)", name, sheet, pl.Size)
			}
			hf, err := f.GetHeaderFooter(sheet)
			if err != nil || hf == nil || hf.OddFooter != "&C第 &P 页，共 &N 页" {
				t.Errorf("%s %s: footer %+v, %v", name, sheet, hf, err)
			}
			if want := fmt.Sprintf("'%s'!$1:$3", sheet); repeated[sheet] && titles[sheet] != want {
				t.Errorf("%s %s: print titles %q, want %q", name, sheet, titles[sheet], want)
			}
		}
	}
}

// TestSurveyDatedForThePeriod: 附件3's first note names the end of the period reported, not
// the first collection of 2020.
func TestSurveyDatedForThePeriod(t *testing.T) {
	for p, want := range map[string]string{
		"2026-11": "填表说明：1. 本次统计填报截止 2026 年 11 月底情况。",
		"2027-03": "填表说明：1. 本次统计填报截止 2027 年 3 月底情况。",
	} {
		var buf bytes.Buffer
		if err := WriteSurvey(&buf, nil, storage.Enterprise{Name: "甲"}, submission("E1", p, planAnswers())); err != nil {
			t.Fatal(err)
		}
		all := flat(rows(t, open(t, buf.Bytes()), SheetSurvey))
		if !strings.Contains(all, want) || strings.Contains(all, "2020 年 4 月") {
			t.Errorf("%s: survey notes\n%s", p, all)
		}
	}
}
