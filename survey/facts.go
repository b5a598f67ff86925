package survey

import "strings"

// The question ids the ledger reads. A custom form that renames them loses the 附件2 columns.
const (
	IDIndustry        = "industry"
	IDOwnership       = "ownership"
	IDHasInstitutions = "has_institutions"
	IDInstitution     = "institution"
	IDHasProjects     = "has_projects"
	IDProject         = "project"
	IDOtherActivities = "other_activities"
	IDPlan            = "plan"
)

// Facts are the key figures of a survey: the three 有无 columns of 附件2 and the sums the
// monthly update shows to the liaison.
type Facts struct {
	HasInstitution bool    `json:"has_institution"` // 有无研发机构
	HasRD          bool    `json:"has_rd"`          // 有无研发活动
	HasInnovation  bool    `json:"has_innovation"`  // 有无创新活动 (a direction of section 三 or another activity)
	Institutions   int     `json:"institutions"`    // rows of section 一
	Projects       int     `json:"projects"`        // rows of section 二
	RDStaff        float64 `json:"rd_staff"`        // 研究开发人员, institutions and projects
	RDCost         float64 `json:"rd_cost"`         // 研究开发费用（万元）, institutions and projects
	Activities     int     `json:"activities"`      // 其他创新活动 ticked
	Plan           string  `json:"plan,omitempty"`  // 计划开展创新活动内容
	Industry       string  `json:"industry,omitempty"`
	Ownership      string  `json:"ownership,omitempty"` // 企业属性, as the option's text
}

// Active reports whether the enterprise has started innovation activity (已开展创新活动).
func (x Facts) Active() bool { return x.HasInstitution || x.HasRD || x.HasInnovation }

// Facts computes the key figures from answers to this form.
func (f *Form) Facts(a Answers) Facts {
	var x Facts
	x.HasInstitution = a[IDHasInstitutions].Bool
	x.HasRD = a[IDHasProjects].Bool
	x.Activities = len(a[IDOtherActivities].Multi)
	x.HasInnovation = x.Activities > 0
	x.Plan = a[IDPlan].Text
	x.Industry = a[IDIndustry].Text
	if q, c := f.Question(IDOwnership), a[IDOwnership].Choice; q != nil && c >= 1 && c <= len(q.Options) {
		x.Ownership = q.Options[c-1]
	}
	for _, s := range f.Steps(a) {
		v, ok := a[s.Key]
		if !ok || v.Skipped {
			continue
		}
		switch {
		case s.More && s.Q.ID == IDInstitution:
			x.Institutions++
		case s.More && s.Q.ID == IDProject:
			x.Projects++
		case s.Row < 0 && s.Q.Section == "activities" && strings.HasPrefix(s.Q.ID, "dir_") && v.Text != "":
			x.HasInnovation = true
		case s.Row >= 0 && strings.HasSuffix(s.Q.ID, "_staff"):
			x.RDStaff += v.Num
		case s.Row >= 0 && strings.HasSuffix(s.Q.ID, "_cost"):
			x.RDCost += v.Num
		}
	}
	return x
}
