// Package ledger turns the enterprise registry and the submitted surveys into what the offices
// hand on: progress figures per 县（市、区）, the monthly 销号 list, the list of enterprises
// that have not reported, and spreadsheets laid out like the policy's 附件2 (汇总统计表) and
// 附件3 (调查表). It reads only record heads (storage.Head) for the figures, so that progress
// over 10,000 enterprises never decodes a survey, and it knows nothing of chats: the chat
// commands and the command line call the same functions.
package ledger

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"innobot/period"
	"innobot/storage"
)

// CityName is the area of a city-wide scope, printed in titles and file names.
const CityName = "运城市"

// Source is what Progress reads. storage.Store together with storage.Ledger satisfies it; a
// source that also lists every contact at once (storage.Registry's Contacts) is asked once
// instead of once per liaison.
type Source interface {
	// Enterprises returns the registry, ordered by ID.
	Enterprises(ctx context.Context) ([]storage.Enterprise, error)
	// LatestHeads returns the latest submission head at or before a period, by enterprise.
	LatestHeads(ctx context.Context, upTo string) (map[string]storage.Head, error)
	// Contact returns a bound contact, to name an enterprise's liaison.
	Contact(ctx context.Context, id string) (storage.Contact, error)
}

// contactLister is the bulk form of Source.Contact that storage.Registry offers.
type contactLister interface {
	Contacts(ctx context.Context) ([]storage.Contact, error)
}

// ScopeKind says whose view a Scope is: the city office sees everything, a county office its
// region, a helper (对口帮扶人) the enterprises named to them.
type ScopeKind uint8

// The scopes, from the widest: the city office's, a county office's, a helper's.
const (
	ScopeCity ScopeKind = iota
	ScopeRegion
	ScopeHelper
)

// Scope is the set of enterprises a report covers. Build it with City, Region, Helper or
// ScopeOf so that a role never sees more than it may.
type Scope struct {
	Kind ScopeKind
	// Region is the 县（市、区） of a ScopeRegion.
	Region string
	// Enterprises are the enterprise IDs of a ScopeHelper.
	Enterprises []string
	// Label, when set, names the scope in titles and file names instead of the area derived
	// from it (say a helper's name for a helper's list).
	Label string
}

// City is the city office's scope: every enterprise.
func City() Scope { return Scope{Kind: ScopeCity} }

// Region is a county office's scope: the enterprises of one 县（市、区）.
func Region(name string) Scope { return Scope{Kind: ScopeRegion, Region: name} }

// Helper is a helper's scope: the enterprises assigned to them (一企一策一人).
func Helper(enterpriseIDs ...string) Scope {
	return Scope{Kind: ScopeHelper, Enterprises: slices.Clone(enterpriseIDs)}
}

// ScopeOf is the scope a bound contact's role allows, so chat commands derive rights from the
// stored role and never from what the user typed. Liaisons and unbound contacts get false.
func ScopeOf(c storage.Contact) (Scope, bool) {
	switch c.Role {
	case storage.RoleCityOffice:
		return City(), true
	case storage.RoleCounty:
		return Region(c.Region), c.Region != ""
	case storage.RoleHelper:
		h := Helper(c.EnterpriseIDs...)
		h.Label = HelperLabel(c)
		return h, true
	default:
		return Scope{}, false
	}
}

// HelperLabel names a helper's files and replies: 王建国（对口帮扶人）, from the name they gave
// in chat, else their chat name; "" when they have neither.
func HelperLabel(c storage.Contact) string {
	name := c.Person
	if name == "" {
		name = c.Name
	}
	if name == "" {
		return ""
	}
	return name + "（对口帮扶人）"
}

// Narrow restricts a scope to one region (`进度 盐湖区` from the city office). It fails when
// the region lies outside the scope, so a county office cannot read a neighbour's figures.
func (s Scope) Narrow(region string) (Scope, error) {
	switch s.Kind {
	case ScopeCity:
		return Region(region), nil
	case ScopeRegion:
		if s.Region == region {
			return s, nil
		}
		return Scope{}, fmt.Errorf("无权查看%s的数据", region)
	default:
		return Scope{}, fmt.Errorf("对口帮扶人只能查看所帮扶的企业")
	}
}

// Contains reports whether an enterprise is in the scope.
func (s Scope) Contains(e storage.Enterprise) bool {
	switch s.Kind {
	case ScopeCity:
		return true
	case ScopeRegion:
		return e.Region == s.Region
	default:
		return slices.Contains(s.Enterprises, e.ID)
	}
}

// Row is one line of the progress table: a region, or the total.
type Row struct {
	Region string
	// Enterprises is 规上企业数: enterprises of the registry in the region and scope;
	// NewlyAbove of them are 新进规上.
	Enterprises, NewlyAbove int
	// Active is 已开展创新活动: what is known of the enterprise (its latest report at or before
	// the period, else the imported baseline) shows a research institution, R&D or another
	// innovation activity. Inactive is the rest (未开展), Unknown of them known by nothing at
	// all (neither a report nor a baseline).
	Active, Inactive, Unknown int
	// Submitted is 本期已填报 (the latest submission is of the period); NotSubmitted is 未填报.
	Submitted, NotSubmitted int
	// TickedOff counts the 销号 of the period; FirstReport the 首次填报, which cannot be 销号.
	TickedOff, FirstReport int
}

// Rate is the share of enterprises that reported this period (0 when there are none).
func (r Row) Rate() float64 { return ratio(r.Submitted, r.Enterprises) }

// ActiveRate is the share of enterprises that have started innovation activity: the policy's
// own goal (全覆盖) is 100%.
func (r Row) ActiveRate() float64 { return ratio(r.Active, r.Enterprises) }

func ratio(n, d int) float64 {
	if d == 0 {
		return 0
	}
	return float64(n) / float64(d)
}

func (r *Row) add(e *Entry) {
	r.Enterprises++
	if e.Enterprise.NewlyAbove {
		r.NewlyAbove++
	}
	switch {
	case e.Active:
		r.Active++
	case e.Known == KnownNothing:
		r.Inactive++
		r.Unknown++
	default:
		r.Inactive++
	}
	if e.Submitted {
		r.Submitted++
	} else {
		r.NotSubmitted++
	}
	if e.TickedOff {
		r.TickedOff++
	}
	if e.FirstReport {
		r.FirstReport++
	}
}

func (r *Row) sum(o Row) {
	r.Enterprises += o.Enterprises
	r.NewlyAbove += o.NewlyAbove
	r.Active += o.Active
	r.Inactive += o.Inactive
	r.Unknown += o.Unknown
	r.Submitted += o.Submitted
	r.NotSubmitted += o.NotSubmitted
	r.TickedOff += o.TickedOff
	r.FirstReport += o.FirstReport
}

// Known says where the ledger's 有无 of an enterprise come from.
type Known uint8

// The sources of an enterprise's 有无, most recent first.
const (
	KnownNothing  Known = iota // neither a report nor a baseline: 未填报
	KnownReport                // its latest report at or before the period (Entry.Head)
	KnownBaseline              // the imported baseline (Enterprise.Baseline)
)

// Entry is one enterprise as the ledger sees it in a period: its registry record, its latest
// submission head and the people to call about it.
type Entry struct {
	Enterprise storage.Enterprise
	// Head is the latest submission at or before the period; nil when the enterprise never
	// submitted one.
	Head *storage.Head
	// Known says where the 有无 come from: Head, else the enterprise's baseline, else nowhere.
	Known Known
	// Active: the 有无 show an institution, R&D or another innovation activity.
	Active bool
	// Submitted: Head is of the period itself.
	Submitted bool
	// TickedOff: 销号 this period: reported this period with activity, where the report
	// before it, else the baseline, said 无 in all three.
	TickedOff bool
	// FirstReport: 首次填报: reported this period with neither an earlier report nor a
	// baseline to compare with, so never 销号.
	FirstReport bool
	// Before is what 销号 compared with: the latest report of an earlier period, else the
	// baseline (KnownBaseline), else KnownNothing. BeforeHead is that report.
	Before     Known
	BeforeHead *storage.Head
	// Industry and Ownership are 附件2's 行业 and 企业属性: the latest submission's answers
	// when it has them, else the registry's.
	Industry, Ownership string
	// Liaison is who to ask about the survey: the bound liaison (the name they gave in chat,
	// else their chat name), else the office's 企业联系人. LiaisonBound says it is the bound
	// contact (whose name may be empty). LiaisonGave says Liaison and LiaisonTel are what the
	// liaison gave in chat. LiaisonTel is a phone number known to be that person's; empty
	// when unknown.
	Liaison      string
	LiaisonTel   string
	LiaisonBound bool
	LiaisonGave  bool
}

// Flags are the entry's three 有无 (研发机构, 研发活动, 创新活动) as known; ok is false when
// nothing is known.
func (e Entry) Flags() (inst, rd, inno, ok bool) {
	switch e.Known {
	case KnownReport:
		f := e.Head.Facts
		return f.HasInstitution, f.HasRD, f.HasInnovation, true
	case KnownBaseline:
		b := e.Enterprise.Baseline
		return b.HasInstitution, b.HasRD, b.HasInnovation, true
	}
	return false, false, false, false
}

// Contact is 附件2's 企业联系人 and 联系电话: what the bound liaison gave in chat, else the
// office's listing, else the bound liaison's chat name.
func (e Entry) Contact() (name, tel string) {
	switch {
	case e.LiaisonGave:
		return e.Liaison, e.LiaisonTel
	case e.Enterprise.ContactName != "" || e.Enterprise.ContactTel != "":
		return e.Enterprise.ContactName, e.Enterprise.ContactTel
	case e.LiaisonBound:
		return e.Liaison, ""
	}
	return "", ""
}

// Report is the state of one scope in one period: the figures for `进度`, the rows of 附件2
// and the lists of the monthly report.
type Report struct {
	Scope Scope
	// Area names the scope in titles: 运城市, a 县（市、区）, or the Scope's Label.
	Area string
	// Period is the reporting month (2026-11); Previous the month before, which 销号 compares
	// against.
	Period, Previous string
	// Rows has one row per region: the configured regions in their order (附件1), then any
	// region of the registry not configured. A city scope lists every configured region, a
	// helper scope only regions with enterprises.
	Rows  []Row
	Total Row
	// Entries are the enterprises in scope, by region as Rows, then by ID.
	Entries []Entry
	// TickedOff (销号), FirstReports (首次填报) and Lagging (未填报) are subsets of Entries
	// in the same order.
	TickedOff, FirstReports, Lagging []Entry
	// Location is the wall clock submission times are printed in (the config's timezone);
	// nil means China Standard Time, since stores may hand times back in UTC.
	Location *time.Location
}

func (r Report) zone() *time.Location {
	if r.Location != nil {
		return r.Location
	}
	return period.ChinaTime
}

// Progress computes the report of a scope for a period. regions is the configured list of
// reporting units in 附件1 order (config.Config.Regions).
func Progress(ctx context.Context, src Source, scope Scope, month string, regions []string) (Report, error) {
	prev, err := period.Previous(month)
	if err != nil {
		return Report{}, err
	}
	all, err := src.Enterprises(ctx)
	if err != nil {
		return Report{}, fmt.Errorf("读取企业名单: %w", err)
	}
	heads, err := src.LatestHeads(ctx, month)
	if err != nil {
		return Report{}, fmt.Errorf("读取填报记录: %w", err)
	}
	r := Report{Scope: scope, Period: month, Previous: prev}

	// Rows: the configured regions in their order (all of them for the city, the one for a
	// region scope), then regions found only in the registry, by name. Each enterprise gets
	// its row's index, and entries are bucketed by it: the registry comes ordered by ID, so
	// the buckets keep ID order without a sort.
	rowOf := make(map[string]int, len(regions)+1)
	var names []string
	addRow := func(name string) int {
		if k, ok := rowOf[name]; ok {
			return k
		}
		rowOf[name] = len(names)
		names = append(names, name)
		return len(names) - 1
	}
	if scope.Kind == ScopeRegion {
		addRow(scope.Region)
	} else {
		for _, name := range regions {
			addRow(name)
		}
	}
	configured := len(names)
	rows := make([]int32, len(all)) // row of each enterprise in scope, -1 outside
	var extra []string
	for i := range all {
		e := &all[i]
		if !scope.Contains(*e) {
			rows[i] = -1
			continue
		}
		k, ok := rowOf[e.Region]
		if !ok {
			k = addRow(e.Region)
			extra = append(extra, e.Region)
		}
		rows[i] = int32(k)
	}
	if len(extra) > 1 {
		// Rename unconfigured rows into name order.
		sort.Strings(extra)
		renum := make([]int32, len(names))
		for k := range renum {
			renum[k] = int32(k)
		}
		for j, name := range extra {
			renum[rowOf[name]] = int32(configured + j)
			rowOf[name] = configured + j
		}
		copy(names[configured:], extra)
		for i, k := range rows {
			if k >= 0 {
				rows[i] = renum[k]
			}
		}
	}
	start := make([]int, len(names)+1)
	for _, k := range rows {
		if k >= 0 {
			start[k+1]++
		}
	}
	for k := 1; k < len(start); k++ {
		start[k] += start[k-1]
	}
	n := start[len(names)]
	r.Entries = make([]Entry, n)
	slab := make([]storage.Head, 0, min(n, len(heads)))
	place := slices.Clone(start[:len(names)])
	anyNew := false
	for i := range all {
		k := rows[i]
		if k < 0 {
			continue
		}
		e := &all[i]
		en := &r.Entries[place[k]]
		place[k]++
		*en = Entry{Enterprise: *e, Industry: e.Industry, Ownership: e.Ownership}
		if e.Baseline != nil {
			en.Known, en.Active = KnownBaseline, e.Baseline.Active()
		}
		if h, ok := heads[e.ID]; ok {
			slab = append(slab, h)
			en.Head = &slab[len(slab)-1]
			en.Known, en.Active = KnownReport, h.Facts.Active()
			en.Submitted = h.Period == month
			if h.Facts.Industry != "" {
				en.Industry = h.Facts.Industry
			}
			if h.Facts.Ownership != "" {
				en.Ownership = h.Facts.Ownership
			}
			anyNew = anyNew || en.Submitted
		}
	}

	// 销号 and 首次填报 compare this period's reports with what was known before it: the
	// latest earlier report, else the baseline.
	if anyNew {
		before, err := src.LatestHeads(ctx, prev)
		if err != nil {
			return Report{}, fmt.Errorf("读取上期填报记录: %w", err)
		}
		for i := range r.Entries {
			en := &r.Entries[i]
			if !en.Submitted {
				continue
			}
			wasActive := false
			if h, ok := before[en.Enterprise.ID]; ok {
				en.Before, en.BeforeHead, wasActive = KnownReport, &h, h.Facts.Active()
			} else if b := en.Enterprise.Baseline; b != nil {
				en.Before, wasActive = KnownBaseline, b.Active()
			}
			en.FirstReport = en.Before == KnownNothing
			en.TickedOff = en.Active && !en.FirstReport && !wasActive
		}
	}
	if err := resolveLiaisons(ctx, src, r.Entries); err != nil {
		return Report{}, err
	}

	r.Rows = make([]Row, 0, len(names))
	r.Total.Region = "合计"
	ticked, lagging, first := 0, 0, 0
	for k, name := range names {
		// A helper sees only the regions of its enterprises.
		if scope.Kind == ScopeHelper && start[k] == start[k+1] {
			continue
		}
		row := Row{Region: name}
		for i := start[k]; i < start[k+1]; i++ {
			en := &r.Entries[i]
			row.add(en)
			if en.TickedOff {
				ticked++
			}
			if en.FirstReport {
				first++
			}
			if !en.Submitted {
				lagging++
			}
		}
		r.Rows = append(r.Rows, row)
		r.Total.sum(row)
	}
	r.TickedOff = make([]Entry, 0, ticked)
	r.FirstReports = make([]Entry, 0, first)
	r.Lagging = make([]Entry, 0, lagging)
	for i := range r.Entries {
		en := &r.Entries[i]
		if en.TickedOff {
			r.TickedOff = append(r.TickedOff, *en)
		}
		if en.FirstReport {
			r.FirstReports = append(r.FirstReports, *en)
		}
		if !en.Submitted {
			r.Lagging = append(r.Lagging, *en)
		}
	}
	r.Area = area(scope, r.Entries)
	return r, nil
}

// area names a scope: a helper's enterprises all in one region are that region's.
func area(s Scope, entries []Entry) string {
	switch {
	case s.Label != "":
		return s.Label
	case s.Kind == ScopeRegion:
		return s.Region
	case s.Kind == ScopeHelper && len(entries) > 0:
		first := entries[0].Enterprise.Region
		for _, e := range entries[1:] {
			if e.Enterprise.Region != first {
				return CityName
			}
		}
		if first != "" {
			return first
		}
	}
	return CityName
}

// resolveLiaisons names the liaison of each entry: the bound liaison's own name and mobile
// (附件2's 企业联系人), and for the 未填报 list whoever can be called.
func resolveLiaisons(ctx context.Context, src Source, entries []Entry) error {
	bound := 0
	for i := range entries {
		if entries[i].Enterprise.LiaisonID != "" {
			bound++
		}
	}
	var lookup func(id string) (storage.Contact, bool, error)
	if cl, ok := src.(contactLister); ok && bound > 16 {
		cs, err := cl.Contacts(ctx)
		if err != nil {
			return fmt.Errorf("读取联络人: %w", err)
		}
		byID := make(map[string]*storage.Contact, len(cs))
		for i := range cs {
			byID[cs[i].ID] = &cs[i]
		}
		lookup = func(id string) (storage.Contact, bool, error) {
			if c, ok := byID[id]; ok {
				return *c, true, nil
			}
			return storage.Contact{}, false, nil
		}
	} else {
		lookup = func(id string) (storage.Contact, bool, error) {
			c, err := src.Contact(ctx, id)
			if errors.Is(err, storage.ErrNotFound) {
				return c, false, nil
			}
			return c, err == nil, err
		}
	}
	for i := range entries {
		en := &entries[i]
		e := &en.Enterprise
		if e.LiaisonID != "" {
			if err := ctx.Err(); err != nil {
				return err
			}
			c, ok, err := lookup(e.LiaisonID)
			if err != nil {
				return fmt.Errorf("读取联络人 %s: %w", e.LiaisonID, err)
			}
			// A replaced liaison keeps its record with no role: it no longer speaks for the
			// enterprise.
			if ok && c.Role == storage.RoleLiaison && c.EnterpriseID == e.ID {
				en.LiaisonBound = true
				switch {
				case c.Person != "":
					en.Liaison, en.LiaisonTel, en.LiaisonGave = c.Person, c.Mobile, true
				default:
					en.Liaison = c.Name
					if c.Name != "" && c.Name == e.ContactName {
						en.LiaisonTel = e.ContactTel
					}
				}
				continue
			}
		}
		en.Liaison, en.LiaisonTel = e.ContactName, e.ContactTel
	}
	return nil
}

// Find returns the enterprises a query names, for `查询 <企业名关键词>` and `导出 调查表 <企业>`:
// the one with that ID or that exact name, else every enterprise whose name contains the
// query, in the given order. Spaces typed around or inside a name are ignored.
func Find(es []storage.Enterprise, query string) []storage.Enterprise {
	q := strings.Join(strings.Fields(query), "")
	if q == "" {
		return nil
	}
	for _, e := range es {
		if e.ID == q || e.Name == q {
			return []storage.Enterprise{e}
		}
	}
	var out []storage.Enterprise
	for _, e := range es {
		if strings.Contains(e.Name, q) {
			out = append(out, e)
		}
	}
	return out
}
