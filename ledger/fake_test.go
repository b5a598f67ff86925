package ledger

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"innobot/storage"
	"innobot/survey"
)

// fakeStore is an in-memory Source: the registry, contacts and submissions, with LatestHeads
// as storage.Ledger documents it.
type fakeStore struct {
	mu           sync.Mutex
	enterprises  map[string]storage.Enterprise
	contacts     map[string]storage.Contact
	subs         map[string][]storage.Submission
	contactCalls int
	headCalls    []string
}

func newFake() *fakeStore {
	return &fakeStore{
		enterprises: map[string]storage.Enterprise{},
		contacts:    map[string]storage.Contact{},
		subs:        map[string][]storage.Submission{},
	}
}

func (f *fakeStore) putEnterprise(e storage.Enterprise) { f.enterprises[e.ID] = e }

func (f *fakeStore) putContact(c storage.Contact) { f.contacts[c.ID] = c }

func (f *fakeStore) submit(s storage.Submission) {
	if s.Version == 0 {
		s.Version = 1
		for _, o := range f.subs[s.EnterpriseID] {
			if o.Period == s.Period && o.Version >= s.Version {
				s.Version = o.Version + 1
			}
		}
	}
	if s.SubmittedAt.IsZero() {
		s.SubmittedAt = time.Date(2026, 11, 3, 2, 4, 0, 0, time.UTC) // 10:04 in 运城
	}
	f.subs[s.EnterpriseID] = append(f.subs[s.EnterpriseID], s)
}

func (f *fakeStore) Enterprises(ctx context.Context) ([]storage.Enterprise, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	out := make([]storage.Enterprise, 0, len(f.enterprises))
	for _, e := range f.enterprises {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b storage.Enterprise) int { return strings.Compare(a.ID, b.ID) })
	return out, nil
}

func (f *fakeStore) LatestHeads(ctx context.Context, upTo string) (map[string]storage.Head, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.headCalls = append(f.headCalls, upTo)
	out := make(map[string]storage.Head, len(f.subs))
	for id, subs := range f.subs {
		if s, ok := LatestSubmission(subs, upTo); ok {
			out[id] = s.Head()
		}
	}
	return out, nil
}

func (f *fakeStore) Contact(ctx context.Context, id string) (storage.Contact, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.contactCalls++
	c, ok := f.contacts[id]
	if !ok {
		return storage.Contact{}, fmt.Errorf("contact %s: %w", id, storage.ErrNotFound)
	}
	return c, nil
}

func (f *fakeStore) Submissions(ctx context.Context, id string) ([]storage.Submission, error) {
	return slices.Clone(f.subs[id]), nil
}

// bulkFake also lists all contacts at once, as storage.Registry does.
type bulkFake struct {
	*fakeStore
	listCalls int
}

func (b *bulkFake) Contacts(ctx context.Context) ([]storage.Contact, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.listCalls++
	out := make([]storage.Contact, 0, len(b.contacts))
	for _, c := range b.contacts {
		out = append(out, c)
	}
	return out, nil
}

// regions are the 14 reporting units of 附件1.
var regions = []string{"盐湖区", "永济市", "河津市", "临猗县", "万荣县", "稷山县", "新绛县",
	"闻喜县", "绛县", "垣曲县", "夏县", "平陆县", "芮城县", "运城开发区"}

// fullAnswers is a complete, active survey in the shipped form's ids: two institutions, one
// project, some directions, two other activities, 六有.
func fullAnswers() survey.Answers {
	return survey.Answers{
		"industry":                     {Text: "钢铁·特殊钢冶炼"},
		"ownership":                    {Choice: 5},
		"has_institutions":             {Bool: true},
		"institution.0.inst_name":      {Text: "山西省特殊钢工程技术研究中心"},
		"institution.0.inst_approver":  {Text: "山西省科学技术厅"},
		"institution.0.inst_field":     {Text: "特殊钢冶炼"},
		"institution.0.inst_count":     {Num: 1},
		"institution.0.inst_staff":     {Num: 35},
		"institution.0.inst_cost":      {Num: 820.5},
		"institution.0.inst_equipment": {Num: 1500},
		"institution.0.#more":          {Bool: true},
		"institution.1.inst_name":      {Text: "企业技术中心"},
		"institution.1.inst_approver":  {Text: "企业自建"},
		"institution.1.inst_field":     {Text: "轧制工艺"},
		"institution.1.inst_count":     {Num: 1},
		"institution.1.inst_staff":     {Num: 12},
		"institution.1.inst_cost":      {Num: 95},
		"institution.1.inst_equipment": {Num: 260.25},
		"institution.1.#more":          {},
		"has_projects":                 {Bool: true},
		"project.0.proj_name":          {Text: "高强度汽车板研发"},
		"project.0.proj_source":        {Choice: 2},
		"project.0.proj_doc":           {Text: "晋科〔2026〕12号"},
		"project.0.proj_staff":         {Num: 18},
		"project.0.proj_cost":          {Num: 300},
		"project.0.proj_assets":        {Num: 80},
		"project.0.#more":              {},
		"dir_investment":               {Text: "研发投入同比增长15%"},
		"dir_talent":                   {Text: "引进博士2名"},
		"dir_project":                  {},
		"dir_platform":                 {},
		"dir_rnd":                      {Text: "突破连铸关键技术"},
		"dir_cooperation":              {},
		"other_activities":             {Multi: []int{2, 5}},
		"other_explain_2":              {Text: "开展“五小”创新23项"},
		"other_explain_5":              {Text: "余热回收，年降本300万元"},
		"liuyou":                       {Multi: []int{1, 2, 3}},
	}
}

// planAnswers is a survey of an enterprise with nothing yet, which must give its plan.
func planAnswers() survey.Answers {
	return survey.Answers{
		"industry":         {Text: "食品·果汁饮料"},
		"ownership":        {Choice: 5},
		"has_institutions": {},
		"has_projects":     {},
		"dir_investment":   {},
		"dir_talent":       {},
		"dir_project":      {},
		"dir_platform":     {},
		"dir_rnd":          {},
		"dir_cooperation":  {},
		"other_activities": {},
		"liuyou":           {Multi: []int{1}},
		"plan":             {Text: "明年建立企业技术中心，开展果汁浓缩工艺改进"},
	}
}

// submission makes a submission whose facts come from the answers, as the dialog does.
func submission(id, period string, a survey.Answers) storage.Submission {
	return storage.Submission{EnterpriseID: id, Period: period, Form: "fujian3", Answers: a,
		SubmittedBy: "c-" + id, Facts: survey.Default().Facts(a)}
}

// factsSub makes a submission carrying only facts, for the figures.
func factsSub(id, period string, x survey.Facts) storage.Submission {
	return storage.Submission{EnterpriseID: id, Period: period, Form: "fujian3", SubmittedBy: "c-" + id, Facts: x}
}
