package survey

import (
	"crypto/sha256"
	"fmt"
	"hash"
	"strings"
)

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

// Facts are what the ledger reads of a survey without its answers: the three 有无 columns of
// 附件2, the rows of each table, the plan and the heading. There is no total of R&D staff or
// costs: an institution's figures include those of its projects, so adding the two tables
// counts the same people and money twice; each table's figures are summed on their own where
// they are shown (the 回执).
//
// The three columns follow the policy's three levels of innovation (有研发机构、有研发活动、其他
// 创新活动) and the sections of 附件3 that record them, each read with Step.Nothing, the one
// meaning of "nothing", never from whether a text is empty:
//   - 有无研发机构: section 一 lists an institution (has_institutions is 有).
//   - 有无研发活动: section 二 lists an R&D project (has_projects is 有). The form records R&D
//     activity as projects (研发项目名称, 来源及立项文号, then the project's staff, spending and
//     assets), so an institution's staff or spending alone does not make it 有: a research
//     institution with R&D spending and no project contradicts the form's definitions, and the
//     review asks the liaison about it instead of guessing here.
//   - 有无创新活动: section 三, the policy's 其他创新活动 (创新投入、创新人才、创新项目、创新平台、
//     技术研发、技术合作 and the fourteen ticked activities): any direction with content, or
//     any activity ticked.
type Facts struct {
	HasInstitution bool   `json:"has_institution"` // 有无研发机构
	HasRD          bool   `json:"has_rd"`          // 有无研发活动
	HasInnovation  bool   `json:"has_innovation"`  // 有无创新活动 (a direction of section 三 or another activity)
	Institutions   int    `json:"institutions"`    // rows of section 一
	Projects       int    `json:"projects"`        // rows of section 二
	Activities     int    `json:"activities"`      // 其他创新活动 ticked
	Plan           string `json:"plan,omitempty"`  // 计划开展创新活动内容
	Industry       string `json:"industry,omitempty"`
	Ownership      string `json:"ownership,omitempty"` // 企业属性, as the option's text
}

// Active reports whether the enterprise has started innovation activity (已开展创新活动).
func (x Facts) Active() bool { return x.HasInstitution || x.HasRD || x.HasInnovation }

// Facts computes the key figures from answers to this form. Only the steps the form asks
// count: an answer left behind by a changed 有 → 无 is not a fact.
func (f *Form) Facts(a Answers) Facts {
	var x Facts
	x.Plan = a[IDPlan].Text
	x.Industry = a[IDIndustry].Text
	if q, c := f.Question(IDOwnership), a[IDOwnership].Choice; q != nil && c >= 1 && c <= len(q.Options) {
		x.Ownership = q.Options[c-1]
	}
	for _, s := range f.Steps(a) {
		v, ok := a[s.Key]
		if !ok {
			continue
		}
		something := !s.Nothing(v)
		switch {
		case s.More && s.Q.ID == IDInstitution:
			x.Institutions++
		case s.More && s.Q.ID == IDProject:
			x.Projects++
		case s.Row < 0 && s.Q.ID == IDHasInstitutions:
			x.HasInstitution = something
		case s.Row < 0 && s.Q.ID == IDHasProjects:
			x.HasRD = something
		case s.Row < 0 && s.Q.ID == IDOtherActivities:
			x.Activities = len(v.Multi)
			x.HasInnovation = x.HasInnovation || something
		case s.Row < 0 && s.Q.Section == "activities" && strings.HasPrefix(s.Q.ID, "dir_"):
			x.HasInnovation = x.HasInnovation || something
		}
	}
	return x
}

// factsVersion is the part of FactsRule that the form and the lexicon do not show: bump it
// when Facts or Step.Nothing change how they read stored answers.
const factsVersion = 1

// FactsRule names the rule by which this form's Facts read stored answers: factsVersion, the
// questions Facts and Steps look at (ids, kinds, options, conditions) and the lexicon of
// "nothing", with the chatter IsNone lets stand beside it (没有，谢谢). Each submission keeps the Facts computed when it was made, which the ledger
// counts; when the rule changes (a word such as 没开展 joins the lexicon, a question moves),
// stored facts may no longer be what Facts says of their answers, and the figures a county
// signs would count one enterprise by the old rule and the next by the new. A store told of a
// new rule works its submissions' facts out again (storage.FactsRefresher).
func (f *Form) FactsRule() string {
	h := sha256.New()
	fmt.Fprintf(h, "facts %d form %q\n", factsVersion, f.ID)
	for _, words := range [][]string{noneCore, nonePrefixes, noneSuffixes, chatterPhrases.Core, chatterPhrases.Before, chatterPhrases.After} {
		fmt.Fprintf(h, "%q\n", words)
	}
	for _, s := range f.Sections {
		fmt.Fprintf(h, "section %q\n", s.ID)
		hashQuestions(h, s.Questions)
	}
	return fmt.Sprintf("%x", h.Sum(nil)[:16])
}

// hashQuestions writes what Facts and Steps read of each question, rows of groups included.
func hashQuestions(h hash.Hash, qs []*Question) {
	for _, q := range qs {
		fmt.Fprintf(h, "%q %q %t %t %q %q", q.ID, q.Kind, q.Optional, q.NoneOK, q.Options, q.More)
		if c := q.ShownIf; c != nil {
			fmt.Fprintf(h, " if yes %q all_no %q", c.Yes, c.AllNo)
			if c.Includes != nil {
				fmt.Fprintf(h, " includes %q %d", c.Includes.Q, c.Includes.Option)
			}
		}
		fmt.Fprintln(h)
		hashQuestions(h, q.Questions)
	}
}
