package ledger

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/xuri/excelize/v2"

	"innobot/period"
	"innobot/storage"
	"innobot/survey"
)

// Child question ids of the form's repeating groups, as shipped in survey/form.yaml. A custom
// form without them leaves the matching cells empty.
var (
	institutionColumns = []string{"inst_name", "inst_approver", "inst_field", "inst_count", "inst_staff", "inst_cost", "inst_equipment"}
	institutionHeads   = []string{"研究开发机构及平台名称", "批准部门（或企业自建）", "研究领域", "期末机构数（个）",
		"机构研究开发人员数量（人）", "机构研究开发费用（万元）", "期末仪器和设备原价（万元）"}
	projectHeads = []string{"研发项目名称", "研发项目来源及立项文号", "研究开发人员情况（人）", "研究开发费用情况（万元）", "研究开发资产情况（万元）"}
	surveyWidths = []float64{26, 20, 20, 12, 15, 15, 16}
)

const (
	idLiuyou      = "liuyou"
	explainPrefix = "other_explain_"
	boxTicked     = "☑"
	boxEmpty      = "□"
)

// surveyNotes is 附件3's 填表说明, word for word but for the first, which dated the first
// collection (初次统计填报截止 2020 年 4 月底情况) and is dated here for the period reported
// (surveyDateNote).
var surveyNotes = []string{
	"2.“研发项目来源”按照企业自选项目、政府部门科技项目、其他企业（单位）委托项目、境外项目等填写；",
	"3.“研究开发费用情况”应与经审计的财务报告、向税务部门提供的有关研究开发辅助账、或高新技术企业减免税中研究开发费用对应。",
	"4. “三、企业创新相关活动开展情况”中前六项参照晋政办发〔2020〕16 号文件内容详细填写，企业如有“其他创新活动”请勾选对应项并另附页对其进行详细说明。",
}

// surveyDateNote is 附件3's first 填表说明 for a period: the state at the end of that month.
func surveyDateNote(p string) string {
	if y, m, ok := strings.Cut(p, "-"); ok {
		return fmt.Sprintf("填表说明：1. 本次统计填报截止 %s 年 %s 月底情况。", y, strings.TrimPrefix(m, "0"))
	}
	return "填表说明：1. 本次统计填报截止 " + period.Label(p) + "底情况。"
}

// SurveyTitle is 附件3's title.
const SurveyTitle = "企业创新活动开展情况调查表"

// SurveyFileName is the name a clerk would save an enterprise's 附件3 under, such as
// 山西某某钢铁有限公司企业创新活动开展情况调查表_2026年11月.xlsx. A name too long for a file is
// cut; one that leaves nothing visible (dots, say) gives way to the enterprise's id.
func SurveyFileName(e storage.Enterprise, p string) string {
	name := safeName(e.Name)
	if name == "" {
		name = "企业" + safeName(e.ID)
	}
	return name + SurveyTitle + "_" + period.Label(p) + ".xlsx"
}

// LatestSubmission picks the submission 附件3 shows for a period: the latest version of the
// latest period at or before it, as LatestHeads does for the figures.
func LatestSubmission(subs []storage.Submission, upTo string) (storage.Submission, bool) {
	var best storage.Submission
	found := false
	for _, s := range subs {
		if s.Period > upTo {
			continue
		}
		if !found || s.Period > best.Period || s.Period == best.Period && s.Version > best.Version {
			best, found = s, true
		}
	}
	return best, found
}

// WriteSurvey writes one enterprise's submission as 附件3: the heading, a row per research
// institution (一) and per R&D project (二), the six directions of 三 with their 主要内容, the
// fourteen 其他创新活动 as ☑/□ with the explanations the policy asks on a separate page, and
// the 六有 self-check and plan where they were answered. The submission time is printed in
// China Standard Time. A nil form means the embedded 附件3.
func WriteSurvey(w io.Writer, form *survey.Form, e storage.Enterprise, s storage.Submission) error {
	if form == nil {
		form = survey.Default()
	}
	f, st, err := newBook(SheetSurvey)
	if err != nil {
		return err
	}
	if err := writeSurvey(f, st, form, e, s); err != nil {
		f.Close()
		return fmt.Errorf("附件3: %w", err)
	}
	return finish(f, w)
}

func writeSurvey(f *excelize.File, st styles, form *survey.Form, e storage.Enterprise, s storage.Submission) error {
	const last = 7
	a := form.Visible(s.Answers)
	g := &grid{f: f, sheet: SheetSurvey, row: 1}
	if err := printSetup(f, SheetSurvey, "portrait", 0); err != nil {
		return err
	}
	for i, wd := range surveyWidths {
		col, _ := excelize.ColumnNumberToName(i + 1)
		if err := f.SetColWidth(SheetSurvey, col, col, wd); err != nil {
			return err
		}
	}
	text := func(id string) string {
		if v, ok := a[id]; ok && !v.Skipped {
			return v.Text
		}
		return ""
	}

	g.span(1, last, SurveyTitle, st.title)
	g.height(36)
	g.row++
	industry := text(survey.IDIndustry)
	if industry == "" {
		industry = e.Industry
	}
	g.span(1, 3, "企业全称："+e.Name+"（盖章）", st.foot)
	g.span(4, 5, "所属县（市、区）："+e.Region, st.foot)
	g.span(6, last, "所属行业："+industry, st.foot)
	g.height(max(24, rowHeight(40, e.Name), rowHeight(24, industry)))
	g.row++
	// 企业属性 is 附件2's, not printed on 附件3: shown where answered, so that the file sent
	// back in chat carries every answer.
	if o, _ := cellValue(form, a, survey.IDOwnership, survey.IDOwnership).(string); o != "" {
		g.span(1, 3, "企业属性："+o, st.foot)
	}
	g.row++

	// 一、企业研究开发机构情况
	g.span(1, last, "一、企业研究开发机构情况", st.section)
	g.height(22)
	g.row++
	for i, h := range institutionHeads {
		g.put(i+1, h, st.head)
	}
	g.height(45)
	g.row++
	rows := groupRows(form, survey.IDInstitution, a)
	for r := range rows {
		var texts []string
		for i, id := range institutionColumns {
			v := cellValue(form, a, survey.RowKey(survey.IDInstitution, r, id), id)
			style := st.left
			if _, isNum := v.(float64); isNum {
				style = st.num
			}
			g.put(i+1, v, style)
			if s, ok := v.(string); ok {
				texts = append(texts, s)
			}
		}
		g.height(max(20, rowHeight(surveyWidths[0], texts...)))
		g.row++
	}
	if rows == 0 {
		g.put(1, "无", st.left)
		for c := 2; c <= last; c++ {
			g.put(c, "", st.left)
		}
		g.row++
	}
	g.row++

	// 二、企业研究开发活动及有关情况: name A:B, source and 立项文号 C:D, then three figures.
	g.span(1, last, "二、企业研究开发活动及有关情况", st.section)
	g.height(22)
	g.row++
	g.span(1, 2, projectHeads[0], st.head)
	g.span(3, 4, projectHeads[1], st.head)
	g.put(5, projectHeads[2], st.head)
	g.put(6, projectHeads[3], st.head)
	g.put(7, projectHeads[4], st.head)
	g.height(45)
	g.row++
	rows = groupRows(form, survey.IDProject, a)
	for r := range rows {
		key := func(id string) string { return survey.RowKey(survey.IDProject, r, id) }
		name, _ := cellValue(form, a, key("proj_name"), "proj_name").(string)
		source, _ := cellValue(form, a, key("proj_source"), "proj_source").(string)
		if doc, _ := cellValue(form, a, key("proj_doc"), "proj_doc").(string); doc != "" {
			source = strings.TrimSpace(source + " " + doc)
		}
		g.span(1, 2, name, st.left)
		g.span(3, 4, source, st.left)
		for i, id := range []string{"proj_staff", "proj_cost", "proj_assets"} {
			v := cellValue(form, a, key(id), id)
			style := st.left
			if _, isNum := v.(float64); isNum {
				style = st.num
			}
			g.put(5+i, v, style)
		}
		g.height(max(20, rowHeight(surveyWidths[0]+surveyWidths[1], name), rowHeight(surveyWidths[2]+surveyWidths[3], source)))
		g.row++
	}
	if rows == 0 {
		g.span(1, 2, "无", st.left)
		g.span(3, 4, "", st.left)
		for c := 5; c <= last; c++ {
			g.put(c, "", st.left)
		}
		g.row++
	}
	g.row++

	// 三、企业创新有关活动开展情况
	g.span(1, last, "三、企业创新有关活动开展情况", st.section)
	g.height(22)
	g.row++
	g.put(1, "创新活动方向", st.head)
	g.span(2, last, "主要内容", st.head)
	g.height(22)
	g.row++
	if sec := form.SectionOf("activities"); sec != nil {
		for _, q := range sec.Questions {
			if !strings.HasPrefix(q.ID, "dir_") {
				continue
			}
			content := text(q.ID)
			if content == "" {
				content = "无"
			}
			g.put(1, q.Label, st.center)
			g.span(2, last, content, st.left)
			g.height(max(22, rowHeight(widthOf(2, last), content)))
			g.row++
		}
	}
	if q := form.Question(survey.IDOtherActivities); q != nil {
		ticked := a[survey.IDOtherActivities].Multi
		g.span(1, 3, "其他创新活动（可多选）", st.head)
		g.span(4, last, "详细说明", st.head)
		g.height(22)
		g.row++
		for i, opt := range q.Options {
			box, explain := boxEmpty, ""
			if slices.Contains(ticked, i+1) {
				box = boxTicked
				explain = text(fmt.Sprintf("%s%d", explainPrefix, i+1))
			}
			g.span(1, 3, box+" "+opt, st.left)
			g.span(4, last, explain, st.left)
			g.height(max(20, rowHeight(widthOf(1, 3), opt), rowHeight(widthOf(4, last), explain)))
			g.row++
		}
	}

	// 六有 and the plan are innobot's additions to the form: shown only where answered.
	if q := form.Question(idLiuyou); q != nil {
		if v, ok := a[idLiuyou]; ok && !v.Skipped {
			g.row++
			g.span(1, last, "“六有”自查", st.section)
			g.height(22)
			g.row++
			for i, opt := range q.Options {
				box := boxEmpty
				if slices.Contains(v.Multi, i+1) {
					box = boxTicked
				}
				g.span(1, last, box+" "+opt, st.left)
				g.height(20)
				g.row++
			}
		}
	}
	if plan := text(survey.IDPlan); plan != "" {
		g.row++
		g.put(1, "计划开展创新活动内容", st.head)
		g.span(2, last, plan, st.left)
		g.height(max(30, rowHeight(widthOf(2, last), plan)))
		g.row++
	}

	g.row++
	for _, note := range append([]string{surveyDateNote(s.Period)}, surveyNotes...) {
		g.span(1, last, note, st.note)
		g.height(rowHeight(widthOf(1, last), note))
		g.row++
	}
	g.row++
	g.span(1, last, fmt.Sprintf("填报期：%s（第 %d 版，%s 提交）", period.Label(s.Period), s.Version,
		s.SubmittedAt.In(period.ChinaTime).Format("2006-01-02 15:04")), st.note)
	return g.err
}

// widthOf is the width of columns from..to of the survey sheet.
func widthOf(from, to int) float64 { return widthOfCols(surveyWidths, from, to) }

// groupRows counts the rows of a group, 0 when the form has no such group.
func groupRows(form *survey.Form, group string, a survey.Answers) int {
	if form.Question(group) == nil {
		return 0
	}
	return form.Rows(group, a)
}

// cellValue is an answer as a spreadsheet cell: numbers stay numbers so a clerk can sum
// them, choices become their text, skipped and missing answers stay empty.
func cellValue(form *survey.Form, a survey.Answers, key, id string) any {
	v, ok := a[key]
	q := form.Question(id)
	if !ok || v.Skipped || q == nil {
		return ""
	}
	switch q.Kind {
	case survey.Number:
		return v.Num
	case survey.Choice:
		if v.Choice >= 1 && v.Choice <= len(q.Options) {
			return q.Options[v.Choice-1]
		}
		return ""
	case survey.YesNo:
		return yesNo(v.Bool)
	default:
		return v.Text
	}
}
