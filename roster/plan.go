package roster

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"innobot/storage"
)

// ownerships are 附件2's seven 企业属性 (填表说明 2), in its order.
var ownerships = []string{"央企", "省属国企", "市属国企", "军工企业", "民营企业", "混合制企业", "外资企业"}

// Changeset is what an import would do, row by row, decided before anything is written so
// that an office can read it (--dry-run) and so that rejected rows never stop the good ones.
// A cell left empty never erases what is stored: a partial list (only names, regions and
// helpers, say) must not wipe the phone numbers an earlier list gave.
type Changeset struct {
	Rows      int      // enterprise rows read
	Added     []Entry  // not in the store yet, with a fresh ID
	Updated   []Update // in the store, with registry fields that change
	Unchanged []Entry  // in the store exactly as the row says
	Rejected  []Rejection
	// Notes are what the office should know of the file as a whole, such as baseline
	// columns that were not read.
	Notes []string
	// At is stamped as UpdatedAt on what Apply writes; zero means the time of Apply.
	At time.Time
}

// Entry is an enterprise and the spreadsheet row it comes from.
type Entry struct {
	Line       int
	Enterprise storage.Enterprise
}

// Update is a stored enterprise that a row changes. New is Old with the row's registry fields:
// same ID, same LiaisonID, and nothing of the enterprise's answers, which live elsewhere.
type Update struct {
	Line     int
	Old, New storage.Enterprise
	Changes  []Change
}

// Change is one field of an update, for the office to check before it is written.
type Change struct {
	Field    string // the column's title, e.g. 对口帮扶人
	Old, New string
}

// Rejection is a row that is not imported and why, in Chinese, for the office to fix.
type Rejection struct {
	Line   int // as the spreadsheet numbers it
	Reason string
}

// Plan decides what importing rows into a store holding existing would do. regions are the
// configured reporting units; a row's 所属县（市、区） must be one of them exactly, because
// scopes, progress tables and group bindings are keyed by that exact text.
//
// A row matches a stored enterprise by 统一社会信用代码, else by 企业名称 and 所属县（市、区）, so
// importing the same list again updates and never duplicates. Two rows of the file naming the
// same enterprise are both rejected: which one is right is for the office to say.
func Plan(rows []Row, existing []storage.Enterprise, regions []string) Changeset {
	p := planner{
		regions: make(map[string]bool, len(regions)), regionList: regions,
		byCode: make(map[string]int, len(existing)), byName: make(map[string]int, len(existing)),
		ids: make(map[string]bool, len(existing)+len(rows)),
	}
	for _, r := range regions {
		p.regions[r] = true
	}
	for i, e := range existing {
		p.ids[e.ID] = true
		if c := NormalizeCreditCode(e.CreditCode); c != "" {
			if _, dup := p.byCode[c]; !dup {
				p.byCode[c] = i
			}
		}
		if k := nameKey(e.Name, e.Region); k != "" {
			if _, dup := p.byName[k]; !dup {
				p.byName[k] = i
			}
		}
	}

	cands := make([]candidate, len(rows))
	partial := 0
	for i, row := range rows {
		cands[i] = p.check(row)
		if row.BaselineColumns > 0 && row.BaselineColumns < 3 {
			partial = row.BaselineColumns
		}
	}
	markDuplicates(cands)

	// Match the rows still standing; two rows landing on one stored enterprise are duplicates
	// too (one matched by code, the other by name).
	target := make(map[int][]int) // existing index → candidate indexes
	for i := range cands {
		c := &cands[i]
		if len(c.reasons) > 0 {
			continue
		}
		c.match = -1
		byCode, okCode := p.byCode[c.e.CreditCode]
		byName, okName := p.byName[nameKey(c.e.Name, c.e.Region)]
		switch {
		case c.e.CreditCode != "" && okCode:
			if okName && byName != byCode {
				c.reasons = append(c.reasons, fmt.Sprintf("统一社会信用代码属于已有企业“%s”（%s），企业名称却是另一家已有企业：请核对",
					existing[byCode].Name, existing[byCode].Region))
				continue
			}
			c.match = byCode
		case okName:
			c.match = byName
		}
		if c.match >= 0 {
			target[c.match] = append(target[c.match], i)
		}
	}
	for ex, is := range target {
		if len(is) < 2 {
			continue
		}
		for _, i := range is {
			others := make([]int, 0, len(is)-1)
			for _, j := range is {
				if j != i {
					others = append(others, cands[j].row.Line)
				}
			}
			cands[i].reasons = append(cands[i].reasons, fmt.Sprintf("与第 %s 行对应同一家已有企业“%s”（%s）",
				joinLines(others), existing[ex].Name, existing[ex].Region))
		}
	}

	cs := Changeset{Rows: len(rows)}
	if partial > 0 {
		cs.Notes = append(cs.Notes, fmt.Sprintf("表中只有 %d 列原台账的有无（有无研发机构、有无研发活动、有无创新活动须三列齐全），这几列没有导入。", partial))
	}
	for _, c := range cands {
		line := c.row.Line
		switch {
		case len(c.reasons) > 0:
			cs.Rejected = append(cs.Rejected, Rejection{Line: line, Reason: strings.Join(c.reasons, "；")})
		case c.match < 0:
			c.e.ID = p.newID()
			cs.Added = append(cs.Added, Entry{Line: line, Enterprise: c.e})
		default:
			old := existing[c.match]
			e, changes := merge(old, c.e, c.newly)
			if len(changes) == 0 {
				cs.Unchanged = append(cs.Unchanged, Entry{Line: line, Enterprise: old})
			} else {
				cs.Updated = append(cs.Updated, Update{Line: line, Old: old, New: e, Changes: changes})
			}
		}
	}
	return cs
}

// Writer is what Apply needs of a store: storage.Registry's one atomic write of many
// enterprises, so that an import lands whole or not at all.
type Writer interface {
	PutEnterprises(ctx context.Context, es []storage.Enterprise) error
}

// Apply writes a changeset's added and updated enterprises in one PutEnterprises call.
// Unchanged and rejected rows are not written. The store keeps each enterprise's LiaisonID.
func Apply(ctx context.Context, w Writer, cs Changeset) error {
	es := make([]storage.Enterprise, 0, len(cs.Added)+len(cs.Updated))
	for _, a := range cs.Added {
		es = append(es, a.Enterprise)
	}
	for _, u := range cs.Updated {
		es = append(es, u.New)
	}
	if len(es) == 0 {
		return nil
	}
	at := cs.At
	if at.IsZero() {
		at = time.Now()
	}
	for i := range es {
		es[i].UpdatedAt = at
	}
	if err := w.PutEnterprises(ctx, es); err != nil {
		return fmt.Errorf("导入写入失败，未做任何改动：%w", err)
	}
	return nil
}

// candidate is a row on its way through Plan.
type candidate struct {
	row     Row
	e       storage.Enterprise // the row's fields, normalized
	reasons []string
	match   int  // index into existing, -1 for a new enterprise
	newly   bool // the row says whether the enterprise is 新进规上
}

type planner struct {
	regions    map[string]bool
	regionList []string
	byCode     map[string]int // normalized credit code → index into existing
	byName     map[string]int // nameKey → index into existing
	ids        map[string]bool
}

// check normalizes a row and collects what is wrong with it on its own.
func (p *planner) check(row Row) candidate {
	c := candidate{row: row, e: storage.Enterprise{
		Name: row.Name, Region: strings.TrimSpace(row.Region), CreditCode: NormalizeCreditCode(row.CreditCode),
		Industry: row.Industry, Ownership: row.Ownership,
		ContactName: row.ContactName, ContactTel: row.ContactTel, Helper: row.Helper, HelperTel: row.HelperTel,
	}}
	if c.e.Name == "" {
		c.reasons = append(c.reasons, "缺少企业名称")
	}
	switch r := c.e.Region; {
	case r == "":
		c.reasons = append(c.reasons, "缺少所属县（市、区）")
	case !p.regions[r]:
		c.reasons = append(c.reasons, p.unknownRegion(r))
	}
	if c.e.CreditCode != "" {
		if err := CheckCreditCode(c.e.CreditCode); err != nil {
			c.reasons = append(c.reasons, err.Error())
		}
	}
	if o := c.e.Ownership; o != "" && !slices.Contains(ownerships, o) {
		c.reasons = append(c.reasons, fmt.Sprintf("企业属性“%s”不是规定的 7 种之一（%s）", o, strings.Join(ownerships, "、")))
	}
	if row.BaselineColumns == 3 {
		b, err := parseBaseline(row.Baseline)
		if err != nil {
			c.reasons = append(c.reasons, err.Error())
		}
		c.e.Baseline = b
	}
	if v := row.NewlyAbove; v != "" {
		yes, ok := parseYesNo(v)
		if !ok {
			c.reasons = append(c.reasons, fmt.Sprintf("新进规上“%s”应为“是”或“否”", v))
		}
		c.e.NewlyAbove = yes
		c.newly = ok
	}
	return c
}

// baselineNames are the baseline's columns as 附件2 heads them, in Row.Baseline's order.
var baselineNames = [3]string{"有无研发机构", "有无研发活动", "有无创新活动"}

// parseBaseline reads the three 有无 of an earlier ledger: nil when all three are empty (or
// say 从未填报, as innobot's own 附件2 does, or 未填报, as it did before), an error unless
// each is 有 or 无.
func parseBaseline(cells [3]string) (*storage.Baseline, error) {
	var flags [3]bool
	empty := 0
	var bad []string
	for i, c := range cells {
		c = strings.Join(strings.FieldsFunc(foldWidth(c), isSpace), "")
		if c == "" || c == "从未填报" || c == "未填报" {
			empty++
			continue
		}
		yes, ok := parseYesNo(c)
		if !ok {
			bad = append(bad, fmt.Sprintf("%s“%s”应为“有”或“无”", baselineNames[i], c))
		}
		flags[i] = yes
	}
	switch {
	case len(bad) > 0:
		return nil, errors.New(strings.Join(bad, "；"))
	case empty == 3:
		return nil, nil
	case empty > 0:
		return nil, errors.New("有无研发机构、有无研发活动、有无创新活动须三列都填写“有”或“无”（或都不填）")
	}
	return &storage.Baseline{HasInstitution: flags[0], HasRD: flags[1], HasInnovation: flags[2]}, nil
}

// parseYesNo reads a yes/no cell the ways offices mark them.
func parseYesNo(s string) (yes, ok bool) {
	switch strings.ToLower(strings.TrimSpace(foldWidth(s))) {
	case "有", "是", "√", "✓", "✔", "1", "y", "yes":
		return true, true
	case "无", "否", "没有", "×", "✗", "0", "n", "no":
		return false, true
	}
	return false, false
}

// baselineText writes a baseline as the import report shows it: 有/无/无, or 无 for none.
func baselineText(b *storage.Baseline) string {
	if b == nil {
		return ""
	}
	yn := func(v bool) string {
		if v {
			return "有"
		}
		return "无"
	}
	return yn(b.HasInstitution) + "/" + yn(b.HasRD) + "/" + yn(b.HasInnovation)
}

// unknownRegion explains a region that is not configured, guessing the one meant when only
// one fits (开发区 → 运城开发区, 运城市盐湖区 → 盐湖区, 盐湖 → 盐湖区).
func (p *planner) unknownRegion(r string) string {
	msg := fmt.Sprintf("所属县（市、区）“%s”不是配置的县（市、区）之一", r)
	v := strings.Join(strings.FieldsFunc(foldWidth(r), isSpace), "")
	var guess []string
	for _, known := range p.regionList {
		if v != "" && (v == known || strings.Contains(known, v) || strings.Contains(v, known)) {
			guess = append(guess, known)
		}
	}
	if len(guess) == 1 {
		return msg + fmt.Sprintf("，是否应为“%s”？", guess[0])
	}
	return msg + fmt.Sprintf("（应为：%s）", strings.Join(p.regionList, "、"))
}

// markDuplicates rejects every row that names the same enterprise as another row of the
// file: the same credit code, or the same name in the same region.
func markDuplicates(cands []candidate) {
	byCode := map[string][]int{}
	byName := map[string][]int{}
	for i, c := range cands {
		if c.e.CreditCode != "" {
			byCode[c.e.CreditCode] = append(byCode[c.e.CreditCode], i)
		}
		if k := nameKey(c.e.Name, c.e.Region); k != "" {
			byName[k] = append(byName[k], i)
		}
	}
	type dup struct {
		others     []int
		code, name bool
	}
	dups := map[int]*dup{}
	note := func(groups map[string][]int, code bool) {
		for _, g := range groups {
			if len(g) < 2 {
				continue
			}
			for _, i := range g {
				d := dups[i]
				if d == nil {
					d = &dup{}
					dups[i] = d
				}
				for _, j := range g {
					if j != i && !slices.Contains(d.others, j) {
						d.others = append(d.others, j)
					}
				}
				if code {
					d.code = true
				} else {
					d.name = true
				}
			}
		}
	}
	note(byCode, true)
	note(byName, false)
	for i, d := range dups {
		slices.Sort(d.others)
		lines := make([]int, len(d.others))
		for k, j := range d.others {
			lines[k] = cands[j].row.Line
		}
		var same string
		switch {
		case d.code && d.name:
			same = "统一社会信用代码、企业名称和所属县（市、区）相同"
		case d.code:
			same = "统一社会信用代码相同"
		default:
			same = "企业名称和所属县（市、区）相同"
		}
		cands[i].reasons = append(cands[i].reasons, fmt.Sprintf("与第 %s 行重复（%s）", joinLines(lines), same))
	}
}

// joinLines writes row numbers as 5、9.
func joinLines(lines []int) string {
	s := make([]string, len(lines))
	for i, l := range lines {
		s[i] = strconv.Itoa(l)
	}
	return strings.Join(s, "、")
}

// nameKey identifies an enterprise by name within a region, ignoring the spacing and
// bracket width that differ between two typings of one name; "" without a name or region.
func nameKey(name, region string) string {
	n := strings.Join(strings.FieldsFunc(foldWidth(name), isSpace), "")
	if n == "" || region == "" {
		return ""
	}
	return n + "\x00" + strings.TrimSpace(region)
}

// merge lays a row's non-empty fields over a stored enterprise, listing what changes. newly
// says the row gave 新进规上 (which may be 否).
func merge(old, row storage.Enterprise, newly bool) (storage.Enterprise, []Change) {
	e := old
	var changes []Change
	set := func(field string, dst *string, v string) {
		if v == "" || v == *dst {
			return
		}
		changes = append(changes, Change{Field: field, Old: *dst, New: v})
		*dst = v
	}
	set("企业名称", &e.Name, row.Name)
	set("所属县（市、区）", &e.Region, row.Region)
	set("统一社会信用代码", &e.CreditCode, row.CreditCode)
	set("行业", &e.Industry, row.Industry)
	set("企业属性", &e.Ownership, row.Ownership)
	set("企业联系人", &e.ContactName, row.ContactName)
	set("企业联系人电话", &e.ContactTel, row.ContactTel)
	set("对口帮扶人", &e.Helper, row.Helper)
	set("帮扶人电话", &e.HelperTel, row.HelperTel)
	if row.Baseline != nil && (old.Baseline == nil || *row.Baseline != *old.Baseline) {
		changes = append(changes, Change{Field: "原台账有无（机构/活动/创新）", Old: baselineText(old.Baseline), New: baselineText(row.Baseline)})
		e.Baseline = row.Baseline
	}
	if newly && row.NewlyAbove != old.NewlyAbove {
		yn := map[bool]string{true: "是", false: "否"}
		changes = append(changes, Change{Field: "新进规上", Old: yn[old.NewlyAbove], New: yn[row.NewlyAbove]})
		e.NewlyAbove = row.NewlyAbove
	}
	return e, changes
}

// newID returns a random enterprise ID not used before.
func (p *planner) newID() string {
	for {
		var b [8]byte
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
		id := "ent-" + hex.EncodeToString(b[:])
		if !p.ids[id] {
			p.ids[id] = true
			return id
		}
	}
}
