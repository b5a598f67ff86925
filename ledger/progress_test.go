package ledger

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"testing"

	"innobot/storage"
	"innobot/survey"
)

var (
	inst = survey.Facts{HasInstitution: true}
	rd   = survey.Facts{HasRD: true}
	inno = survey.Facts{HasInnovation: true}
	none = survey.Facts{Plan: "计划建立研发中心"}
)

// scenario is a small city in November 2026, each enterprise a case of the rules.
func scenario() *fakeStore {
	f := newFake()
	ent := func(id, name, region string) storage.Enterprise {
		return storage.Enterprise{ID: id, Name: name, Region: region, Industry: "登记行业" + id, Ownership: "民营企业",
			Helper: "帮扶" + id, HelperTel: "1390000" + id}
	}
	// E01 盐湖区: first survey this month, active by an institution, no baseline → 首次填报,
	// not 销号.
	f.putEnterprise(ent("E01", "盐湖一号公司", "盐湖区"))
	f.submit(factsSub("E01", "2026-11", inst))
	// E02 盐湖区: inactive last month, R&D now → 销号.
	f.putEnterprise(ent("E02", "盐湖二号公司", "盐湖区"))
	f.submit(factsSub("E02", "2026-10", none))
	f.submit(factsSub("E02", "2026-11", rd))
	// E03 盐湖区: active last month by another activity, still → no 销号.
	f.putEnterprise(ent("E03", "盐湖三号公司", "盐湖区"))
	f.submit(factsSub("E03", "2026-10", inno))
	f.submit(factsSub("E03", "2026-11", inno))
	// E04 永济市: active in October, not reported in November → active, lagging.
	f.putEnterprise(ent("E04", "永济四号公司", "永济市"))
	f.submit(factsSub("E04", "2026-10", inst))
	// E05 永济市: reported this month for the first time, nothing yet → inactive, submitted,
	// 首次填报.
	f.putEnterprise(ent("E05", "永济五号公司", "永济市"))
	f.submit(factsSub("E05", "2026-11", none))
	// E06 永济市: never reported, liaison bound, no office contact.
	e6 := ent("E06", "永济六号公司", "永济市")
	e6.LiaisonID = "wx-6"
	f.putEnterprise(e6)
	f.putContact(storage.Contact{ID: "wx-6", Name: "赵六", Role: storage.RoleLiaison, EnterpriseID: "E06"})
	// E20 临猗县: its bound liaison gave a name and mobile in chat, which 附件2 prefers to the
	// office's listing.
	e20 := ent("E20", "临猗二十号公司", "临猗县")
	e20.ContactName, e20.ContactTel, e20.LiaisonID = "旧联系人", "0359-4000020", "wx-20"
	f.putEnterprise(e20)
	f.putContact(storage.Contact{ID: "wx-20", Name: "微信昵称", Person: "吴二十", Mobile: "13912340020", Role: storage.RoleLiaison, EnterpriseID: "E20"})
	f.submit(factsSub("E20", "2026-10", inno))
	f.submit(factsSub("E20", "2026-11", inno))
	// E07 河津市: never reported, no liaison, the office's contact with a phone.
	e7 := ent("E07", "河津七号公司", "河津市")
	e7.ContactName, e7.ContactTel = "钱七", "13800000007"
	f.putEnterprise(e7)
	// E08 河津市: reported in September; its bound liaison is the office's contact.
	e8 := ent("E08", "河津八号公司", "河津市")
	e8.ContactName, e8.ContactTel, e8.LiaisonID = "孙八", "13800000008", "wx-8"
	f.putEnterprise(e8)
	f.putContact(storage.Contact{ID: "wx-8", Name: "孙八", Role: storage.RoleLiaison, EnterpriseID: "E08"})
	f.submit(factsSub("E08", "2026-09", rd))
	// E09 河津市: its liaison was replaced and unbound; the office's contact stands in.
	e9 := ent("E09", "河津九号公司", "河津市")
	e9.ContactName, e9.ContactTel, e9.LiaisonID = "李九", "13800000009", "wx-9"
	f.putEnterprise(e9)
	f.putContact(storage.Contact{ID: "wx-9", Name: "旧联络人", Role: storage.RoleNone})
	// E10: a region not configured, first report → 首次填报.
	f.putEnterprise(ent("E10", "外地十号公司", "外地"))
	f.submit(factsSub("E10", "2026-11", inno))
	// E11 盐湖区: only a December survey → nothing at or before November.
	f.putEnterprise(ent("E11", "盐湖十一号公司", "盐湖区"))
	f.submit(factsSub("E11", "2026-12", inst))
	// E12 盐湖区: November version 1 inactive, version 2 active; October inactive → 销号.
	f.putEnterprise(ent("E12", "盐湖十二号公司", "盐湖区"))
	f.submit(factsSub("E12", "2026-10", none))
	f.submit(factsSub("E12", "2026-11", none))
	f.submit(factsSub("E12", "2026-11", inno))
	// E13 盐湖区: active in August, nothing in September or October, active now → no 销号
	// (the latest at or before October was active).
	f.putEnterprise(ent("E13", "盐湖十三号公司", "盐湖区"))
	f.submit(factsSub("E13", "2026-08", inst))
	f.submit(factsSub("E13", "2026-11", rd))
	// E14 永济市: active in October, a November version 1 active then version 2 with nothing
	// → inactive, submitted, no 销号.
	f.putEnterprise(ent("E14", "永济十四号公司", "永济市"))
	f.submit(factsSub("E14", "2026-10", inst))
	f.submit(factsSub("E14", "2026-11", inst))
	f.submit(factsSub("E14", "2026-11", none))
	// E15 盐湖区: 无 in the baseline, an institution now → 销号 on its first report.
	e15 := ent("E15", "盐湖十五号公司", "盐湖区")
	e15.Baseline = &storage.Baseline{}
	f.putEnterprise(e15)
	f.submit(factsSub("E15", "2026-11", inst))
	// E16 永济市: R&D in the baseline, never reported → active by the baseline, lagging.
	e16 := ent("E16", "永济十六号公司", "永济市")
	e16.Baseline = &storage.Baseline{HasRD: true}
	f.putEnterprise(e16)
	// E17 河津市: 无 in the baseline, never reported → inactive (known), lagging.
	e17 := ent("E17", "河津十七号公司", "河津市")
	e17.Baseline = &storage.Baseline{}
	f.putEnterprise(e17)
	// E18 河津市: active in the baseline and now → no 销号, no 首次填报.
	e18 := ent("E18", "河津十八号公司", "河津市")
	e18.Baseline = &storage.Baseline{HasInnovation: true}
	f.putEnterprise(e18)
	f.submit(factsSub("E18", "2026-11", inno))
	// E19 永济市: new to the 规上 list (新进规上), nothing known.
	e19 := ent("E19", "永济十九号公司", "永济市")
	e19.NewlyAbove = true
	f.putEnterprise(e19)
	return f
}

func ids(es []Entry) []string {
	out := []string{}
	for _, e := range es {
		out = append(out, e.Enterprise.ID)
	}
	return out
}

func rowOf(t *testing.T, r Report, region string) Row {
	t.Helper()
	for _, row := range r.Rows {
		if row.Region == region {
			return row
		}
	}
	t.Fatalf("no row %s in %v", region, r.Rows)
	return Row{}
}

func TestProgressScopes(t *testing.T) {
	ctx := context.Background()
	f := scenario()
	cases := []struct {
		name      string
		scope     Scope
		area      string
		rows      []string
		rowFigs   map[string]Row
		total     Row
		tickedOff []string
		first     []string
		lagging   []string
	}{
		{
			name: "city", scope: City(), area: "运城市",
			rows: append(slices.Clone(regions), "外地"),
			rowFigs: map[string]Row{
				"盐湖区": {Region: "盐湖区", Enterprises: 7, Active: 6, Inactive: 1, Unknown: 1, Submitted: 6, NotSubmitted: 1, TickedOff: 3, FirstReport: 1},
				"永济市": {Region: "永济市", Enterprises: 6, NewlyAbove: 1, Active: 2, Inactive: 4, Unknown: 2, Submitted: 2, NotSubmitted: 4, FirstReport: 1},
				"河津市": {Region: "河津市", Enterprises: 5, Active: 2, Inactive: 3, Unknown: 2, Submitted: 1, NotSubmitted: 4},
				"临猗县": {Region: "临猗县", Enterprises: 1, Active: 1, Submitted: 1},
				"夏县":  {Region: "夏县"},
				"外地":  {Region: "外地", Enterprises: 1, Active: 1, Submitted: 1, FirstReport: 1},
			},
			total: Row{Region: "合计", Enterprises: 20, NewlyAbove: 1, Active: 12, Inactive: 8, Unknown: 5, Submitted: 11, NotSubmitted: 9,
				TickedOff: 3, FirstReport: 3},
			tickedOff: []string{"E02", "E12", "E15"},
			first:     []string{"E01", "E05", "E10"},
			lagging:   []string{"E11", "E04", "E06", "E16", "E19", "E07", "E08", "E09", "E17"},
		},
		{
			name: "region", scope: Region("永济市"), area: "永济市",
			rows:      []string{"永济市"},
			total:     Row{Region: "合计", Enterprises: 6, NewlyAbove: 1, Active: 2, Inactive: 4, Unknown: 2, Submitted: 2, NotSubmitted: 4, FirstReport: 1},
			tickedOff: []string{},
			first:     []string{"E05"},
			lagging:   []string{"E04", "E06", "E16", "E19"},
		},
		{
			name: "empty region", scope: Region("夏县"), area: "夏县",
			rows: []string{"夏县"}, total: Row{Region: "合计"}, tickedOff: []string{}, first: []string{}, lagging: []string{},
		},
		{
			name: "helper across regions", scope: Helper("E07", "E01", "E99"), area: "运城市",
			rows:      []string{"盐湖区", "河津市"},
			total:     Row{Region: "合计", Enterprises: 2, Active: 1, Inactive: 1, Unknown: 1, Submitted: 1, NotSubmitted: 1, FirstReport: 1},
			tickedOff: []string{},
			first:     []string{"E01"},
			lagging:   []string{"E07"},
		},
		{
			name: "helper in one region", scope: Helper("E02", "E03"), area: "盐湖区",
			rows:      []string{"盐湖区"},
			total:     Row{Region: "合计", Enterprises: 2, Active: 2, Submitted: 2, TickedOff: 1},
			tickedOff: []string{"E02"},
			first:     []string{},
			lagging:   []string{},
		},
		{
			name: "labelled helper", scope: Scope{Kind: ScopeHelper, Enterprises: []string{"E05"}, Label: "王帮扶"}, area: "王帮扶",
			rows:      []string{"永济市"},
			total:     Row{Region: "合计", Enterprises: 1, Inactive: 1, Submitted: 1, FirstReport: 1},
			tickedOff: []string{}, first: []string{"E05"}, lagging: []string{},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Progress(ctx, f, c.scope, "2026-11", regions)
			if err != nil {
				t.Fatal(err)
			}
			if r.Area != c.area || r.Period != "2026-11" || r.Previous != "2026-10" {
				t.Errorf("area %q period %q previous %q", r.Area, r.Period, r.Previous)
			}
			var names []string
			for _, row := range r.Rows {
				names = append(names, row.Region)
			}
			if !slices.Equal(names, c.rows) {
				t.Errorf("rows %v, want %v", names, c.rows)
			}
			for region, want := range c.rowFigs {
				if got := rowOf(t, r, region); got != want {
					t.Errorf("row %s = %+v, want %+v", region, got, want)
				}
			}
			if r.Total != c.total {
				t.Errorf("total = %+v, want %+v", r.Total, c.total)
			}
			if got := ids(r.TickedOff); !slices.Equal(got, c.tickedOff) {
				t.Errorf("销号 %v, want %v", got, c.tickedOff)
			}
			if got := ids(r.FirstReports); !slices.Equal(got, c.first) {
				t.Errorf("首次填报 %v, want %v", got, c.first)
			}
			if got := ids(r.Lagging); !slices.Equal(got, c.lagging) {
				t.Errorf("未填报 %v, want %v", got, c.lagging)
			}
			// Rows add up to the total, field by field.
			sum := Row{Region: "合计"}
			for _, row := range r.Rows {
				sum.sum(row)
			}
			if sum != r.Total {
				t.Errorf("rows sum to %+v, total %+v", sum, r.Total)
			}
		})
	}
}

// TestActiveByEachFact: any one of the three facts makes an enterprise active; none does not.
// A first report is 首次填报, never 销号; with 无 in the baseline it is 销号 when active.
func TestActiveByEachFact(t *testing.T) {
	for _, c := range []struct {
		name   string
		facts  survey.Facts
		active bool
	}{
		{"研发机构", inst, true}, {"研发活动", rd, true}, {"创新活动", inno, true},
		{"all three", survey.Facts{HasInstitution: true, HasRD: true, HasInnovation: true}, true},
		{"none", none, false},
		{"figures without the flags", survey.Facts{Projects: 3, Activities: 0, Industry: "x"}, false},
	} {
		for _, baseline := range []*storage.Baseline{nil, {}, {HasInstitution: true}} {
			t.Run(fmt.Sprintf("%s baseline %v", c.name, baseline), func(t *testing.T) {
				f := newFake()
				f.putEnterprise(storage.Enterprise{ID: "E1", Name: "甲", Region: "盐湖区", Baseline: baseline})
				f.submit(factsSub("E1", "2026-11", c.facts))
				r, err := Progress(context.Background(), f, City(), "2026-11", regions)
				if err != nil {
					t.Fatal(err)
				}
				if got := r.Total.Active == 1; got != c.active || r.Entries[0].Active != c.active {
					t.Errorf("active = %v (%+v), want %v", got, r.Total, c.active)
				}
				wantTicked := c.active && baseline != nil && !baseline.Active()
				if got := len(r.TickedOff) == 1; got != wantTicked {
					t.Errorf("销号 = %v, want %v", got, wantTicked)
				}
				if got := len(r.FirstReports) == 1; got != (baseline == nil) {
					t.Errorf("首次填报 = %v, want %v", got, baseline == nil)
				}
			})
		}
	}
}

// TestTickedOffAcrossPeriods runs the 销号 rule month by month for one enterprise's history.
func TestTickedOffAcrossPeriods(t *testing.T) {
	f := newFake()
	f.putEnterprise(storage.Enterprise{ID: "E1", Name: "甲", Region: "盐湖区"})
	f.submit(factsSub("E1", "2026-11", none))
	f.submit(factsSub("E1", "2026-12", rd))
	f.submit(factsSub("E1", "2027-01", rd))
	f.submit(factsSub("E1", "2027-03", inst))
	for _, c := range []struct {
		period    string
		submitted bool
		active    bool
		tickedOff bool
		first     bool
	}{
		{"2026-10", false, false, false, false}, // nothing yet
		{"2026-11", true, false, false, true},   // reported, nothing started: 首次填报
		{"2026-12", true, true, true, false},    // started: 销号
		{"2027-01", true, true, false, false},   // already counted (across the year's turn)
		{"2027-02", false, true, false, false},  // not reported: still active, lagging
		{"2027-03", true, true, false, false},   // the month before carries January's active survey
	} {
		r, err := Progress(context.Background(), f, City(), c.period, regions)
		if err != nil {
			t.Fatal(err)
		}
		en := r.Entries[0]
		if en.Submitted != c.submitted || en.Active != c.active || en.TickedOff != c.tickedOff || en.FirstReport != c.first {
			t.Errorf("%s: submitted %v active %v 销号 %v 首次 %v, want %v %v %v %v", c.period,
				en.Submitted, en.Active, en.TickedOff, en.FirstReport, c.submitted, c.active, c.tickedOff, c.first)
		}
	}
}

func TestProgressReadsPreviousOnlyWhenNeeded(t *testing.T) {
	f := newFake()
	f.putEnterprise(storage.Enterprise{ID: "E1", Name: "甲", Region: "盐湖区"})
	f.submit(factsSub("E1", "2026-10", inst))
	if _, err := Progress(context.Background(), f, City(), "2026-11", regions); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(f.headCalls, []string{"2026-11"}) {
		t.Errorf("LatestHeads called for %v; nobody reported this month, the previous month is not needed", f.headCalls)
	}
}

func TestLaggingLiaisons(t *testing.T) {
	for _, bulk := range []bool{false, true} {
		f := scenario()
		var src Source = f
		if bulk {
			src = &bulkFake{fakeStore: f}
		}
		r, err := Progress(context.Background(), src, City(), "2026-11", regions)
		if err != nil {
			t.Fatal(err)
		}
		type who struct {
			Liaison, Tel string
			Bound        bool
		}
		got := map[string]who{}
		for _, en := range r.Lagging {
			got[en.Enterprise.ID] = who{en.Liaison, en.LiaisonTel, en.LiaisonBound}
		}
		want := map[string]who{
			"E04": {}, "E11": {}, "E16": {}, "E17": {}, "E19": {},
			"E06": {"赵六", "", true},             // bound, its phone unknown
			"E07": {"钱七", "13800000007", false}, // the office's contact
			"E08": {"孙八", "13800000008", true},  // bound and the office's contact
			"E09": {"李九", "13800000009", false}, // replaced liaison: the office's contact
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("bulk=%v: liaisons\n got %v\nwant %v", bulk, got, want)
		}
		// 附件2's 企业联系人: what the liaison gave in chat, else the office's listing, else the
		// bound liaison's chat name.
		byID := map[string]Entry{}
		for _, en := range r.Entries {
			byID[en.Enterprise.ID] = en
		}
		for id, want := range map[string][2]string{
			"E06": {"赵六", ""}, "E07": {"钱七", "13800000007"}, "E09": {"李九", "13800000009"}, "E01": {"", ""},
			"E20": {"吴二十", "13912340020"},
		} {
			if n, tel := byID[id].Contact(); n != want[0] || tel != want[1] {
				t.Errorf("%s Contact() = %q %q, want %q", id, n, tel, want)
			}
		}
	}
}

func TestBulkContactsUsedForManyLiaisons(t *testing.T) {
	f := newFake()
	for i := range 100 {
		id := "E" + string(rune('A'+i/26)) + string(rune('a'+i%26))
		f.putEnterprise(storage.Enterprise{ID: id, Name: "企业" + id, Region: "盐湖区", LiaisonID: "wx-" + id})
		f.putContact(storage.Contact{ID: "wx-" + id, Name: "联络人" + id, Role: storage.RoleLiaison, EnterpriseID: id})
	}
	b := &bulkFake{fakeStore: f}
	r, err := Progress(context.Background(), b, City(), "2026-11", regions)
	if err != nil {
		t.Fatal(err)
	}
	if b.listCalls != 1 || f.contactCalls != 0 {
		t.Errorf("Contacts called %d times, Contact %d times; want one list", b.listCalls, f.contactCalls)
	}
	if len(r.Lagging) != 100 || r.Lagging[0].Liaison != "联络人"+r.Lagging[0].Enterprise.ID || !r.Lagging[0].LiaisonBound {
		t.Errorf("lagging[0] = %+v", r.Lagging[0])
	}
}

func TestIndustryFromSurveyElseRegistry(t *testing.T) {
	f := newFake()
	f.putEnterprise(storage.Enterprise{ID: "E1", Name: "甲", Region: "盐湖区", Industry: "登记行业", Ownership: "民营"})
	f.putEnterprise(storage.Enterprise{ID: "E2", Name: "乙", Region: "盐湖区", Industry: "登记行业2", Ownership: "国企"})
	f.submit(submission("E1", "2026-11", fullAnswers()))
	r, err := Progress(context.Background(), f, City(), "2026-11", regions)
	if err != nil {
		t.Fatal(err)
	}
	if e := r.Entries[0]; e.Industry != "钢铁·特殊钢冶炼" || e.Ownership != "民营企业" {
		t.Errorf("E1 industry %q ownership %q, want the survey's", e.Industry, e.Ownership)
	}
	if e := r.Entries[1]; e.Industry != "登记行业2" || e.Ownership != "国企" {
		t.Errorf("E2 industry %q ownership %q, want the registry's", e.Industry, e.Ownership)
	}
}

func TestProgressBadPeriod(t *testing.T) {
	if _, err := Progress(context.Background(), newFake(), City(), "2026年11月", regions); err == nil {
		t.Error("a period not in store form was accepted")
	}
}

func TestScopeOf(t *testing.T) {
	for _, c := range []struct {
		c    storage.Contact
		want Scope
		ok   bool
	}{
		{storage.Contact{Role: storage.RoleCityOffice}, City(), true},
		{storage.Contact{Role: storage.RoleCounty, Region: "绛县"}, Region("绛县"), true},
		{storage.Contact{Role: storage.RoleCounty}, Scope{Kind: ScopeRegion}, false},
		{storage.Contact{Role: storage.RoleHelper, EnterpriseIDs: []string{"E1", "E2"}}, Helper("E1", "E2"), true},
		{storage.Contact{Role: storage.RoleHelper, Name: "wx王", Person: "王建国", EnterpriseIDs: []string{"E1"}},
			Scope{Kind: ScopeHelper, Enterprises: []string{"E1"}, Label: "王建国（对口帮扶人）"}, true},
		{storage.Contact{Role: storage.RoleHelper, Name: "王帮扶", EnterpriseIDs: []string{"E1"}},
			Scope{Kind: ScopeHelper, Enterprises: []string{"E1"}, Label: "王帮扶（对口帮扶人）"}, true},
		{storage.Contact{Role: storage.RoleLiaison, EnterpriseID: "E1"}, Scope{}, false},
		{storage.Contact{}, Scope{}, false},
	} {
		got, ok := ScopeOf(c.c)
		if ok != c.ok || ok && !reflect.DeepEqual(got, c.want) {
			t.Errorf("ScopeOf(%+v) = %+v %v, want %+v %v", c.c, got, ok, c.want, c.ok)
		}
	}
	if s, err := City().Narrow("盐湖区"); err != nil || !reflect.DeepEqual(s, Region("盐湖区")) {
		t.Errorf("city narrowed: %+v %v", s, err)
	}
	if _, err := Region("盐湖区").Narrow("永济市"); err == nil {
		t.Error("a county narrowed to its neighbour")
	}
	if s, err := Region("盐湖区").Narrow("盐湖区"); err != nil || s.Region != "盐湖区" {
		t.Errorf("county narrowed to itself: %+v %v", s, err)
	}
	if _, err := Helper("E1").Narrow("盐湖区"); err == nil {
		t.Error("a helper narrowed to a region")
	}
	e := storage.Enterprise{ID: "E1", Region: "盐湖区"}
	if !City().Contains(e) || !Region("盐湖区").Contains(e) || Region("绛县").Contains(e) ||
		!Helper("E1").Contains(e) || Helper("E2").Contains(e) {
		t.Error("Contains disagrees with the scopes")
	}
}

func TestFind(t *testing.T) {
	es := []storage.Enterprise{{ID: "E1", Name: "山西建龙实业有限公司"}, {ID: "E2", Name: "山西建邦集团有限公司"}, {ID: "E3", Name: "建龙"}}
	for q, want := range map[string][]string{
		"E2": {"E2"}, "建龙": {"E3"}, "山西": {"E1", "E2"}, " 建邦 集团 ": {"E2"}, "无此企业": nil, "": nil,
	} {
		var got []string
		for _, e := range Find(es, q) {
			got = append(got, e.ID)
		}
		if !slices.Equal(got, want) {
			t.Errorf("Find(%q) = %v, want %v", q, got, want)
		}
	}
}
