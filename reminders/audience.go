package reminders

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"innobot/config"
	"innobot/period"
	"innobot/storage"
	"innobot/survey"
)

// Store is what the audiences read: the registry, the latest submissions, and each liaison's
// draft and session to say where they stopped. Declared here, where it is used, so the bolt
// and redis stores and test fakes all fit.
type Store interface {
	Enterprises(ctx context.Context) ([]storage.Enterprise, error)
	Contacts(ctx context.Context) ([]storage.Contact, error)
	Groups(ctx context.Context) ([]storage.Group, error)
	LatestHeads(ctx context.Context, upTo string) (map[string]storage.Head, error)
	Session(ctx context.Context, contactID string) (storage.Session, error)
	Draft(ctx context.Context, enterpriseID, period string) (storage.Draft, error)
}

// Scope is the part of the city a nudge covers: one region for a county office, the whole
// city when Region is empty. Who may nudge which is the chat command table's to decide.
type Scope struct{ Region string }

func (s Scope) has(region string) bool { return s.Region == "" || s.Region == region }

// Audience decides who hears about an occurrence and what they read. The engine only claims
// and queues; keeping the people and the words behind this interface lets the chat command
// `提醒 未填报` reuse them and lets tests count messages without a registry.
type Audience interface {
	// Reminder builds the messages of one occurrence, as of now.
	Reminder(ctx context.Context, occ Occurrence, now time.Time) ([]storage.OutboxMessage, error)
	// Missed builds the report to the city office about an occurrence that was not sent in
	// time (the bot was down longer than the grace window).
	Missed(ctx context.Context, occ Occurrence, now time.Time) ([]storage.OutboxMessage, error)
	// NudgeLagging builds a private nudge to every lagging liaison in scope, for the period
	// being reported at now, and lists the lagging enterprises nobody can be nudged for.
	NudgeLagging(ctx context.Context, scope Scope, now time.Time) (Nudge, error)
}

// Nudge is what `提醒 未填报` would send.
type Nudge struct {
	// Messages are one per lagging liaison in scope. Their IDs name the liaison and the day
	// (NudgeID), so that a liaison is nudged at most once a day however often the offices ask.
	Messages []storage.OutboxMessage
	// Unbound are the lagging enterprises in scope with no liaison bound.
	Unbound []storage.Enterprise
}

// Message kinds: which audience a message is for, kept in its ID just before the recipient
// (reminder:monthly:2026-12-05:3d/liaison/张三), so a message's purpose survives in the
// outbox without another field; see KindOf.
const (
	KindLiaison = "liaison" // private nudge to a lagging liaison
	KindGroup   = "group"   // helper-group chat
	KindCounty  = "county"  // county office staff, privately
	KindCity    = "city"    // city office staff, privately
	KindMissed  = "missed"  // report of a reminder not sent in time
	KindChart   = "chart"   // helper-group chat, its weekly progress picture
)

// ReminderID is the ID of the one reminder message a recipient gets on a day
// (reminder:2027-01-04/group/g1): the outbox keeps one message per ID.
func ReminderID(day Date, kind, target string) string {
	return fmt.Sprintf("reminder:%s/%s/%s", day, kind, target)
}

// NudgeID is the ID of the one nudge (提醒 未填报) a liaison gets on a day
// (nudge:2026-12-03/liaison/c1).
func NudgeID(day Date, contactID string) string {
	return fmt.Sprintf("nudge:%s/%s/%s", day, KindLiaison, contactID)
}

// KindOf says which audience a queued reminder message is for, so the command line can count
// recipients without a second copy of the audience rules. "" for messages not made here.
func KindOf(m storage.OutboxMessage) string {
	parts := strings.Split(m.ID, "/")
	if len(parts) < 3 {
		return ""
	}
	return parts[len(parts)-2]
}

// Audiences is the production Audience over a Store: liaisons with nothing submitted for
// the period, the helper groups of each region with its lagging list (no phone numbers: a
// group is not a private place), and the county and city offices with counts.
type Audiences struct {
	// Store is read afresh for every reminder, so texts count what is true at sending time.
	Store Store
	// Form numbers the questions in "从第 N 题接着填"; nil leaves the number out.
	Form *survey.Form
	// Location formats dates in texts.
	Location *time.Location
	// Periods says which month a moment reports for: the month a nudge chases.
	Periods period.Rule
	// Regions orders the city office's per-region counts (config regions); regions not
	// listed follow by name.
	Regions []string
	// MaxListed caps the enterprises named in one group message (default 30), since a chat
	// message of a few hundred names is neither readable nor accepted.
	MaxListed int
	// Charts draws the progress picture of a region ("" for the city) for a month, as of
	// now, and returns the file's path and the line of its period and totals sent with it.
	// Nil sends each group a line of figures instead, as `innobot reminders` lists them
	// without drawing.
	Charts ChartFunc
}

// ChartFunc draws a progress picture; see Audiences.Charts.
type ChartFunc func(ctx context.Context, region, month string, now time.Time) (path, caption string, err error)

var _ Audience = (*Audiences)(nil)

func (a *Audiences) loc() *time.Location {
	if a.Location == nil {
		return time.UTC
	}
	return a.Location
}

// snapshot is the registry and the progress of one period, read once per occurrence.
type snapshot struct {
	period   string
	ents     []storage.Enterprise
	heads    map[string]storage.Head
	contacts []storage.Contact
	byID     map[string]storage.Contact
	groups   []storage.Group
	// tallies memoizes tally by scope: every group, county contact and city contact of one
	// occurrence reads the same counts, and each tally walks the whole registry.
	tallies map[Scope]tally
}

func (a *Audiences) load(ctx context.Context, month string) (*snapshot, error) {
	s := &snapshot{period: month, tallies: map[Scope]tally{}}
	var err error
	if s.ents, err = a.Store.Enterprises(ctx); err != nil {
		return nil, fmt.Errorf("enterprises: %w", err)
	}
	if s.heads, err = a.Store.LatestHeads(ctx, month); err != nil {
		return nil, fmt.Errorf("latest heads: %w", err)
	}
	if s.contacts, err = a.Store.Contacts(ctx); err != nil {
		return nil, fmt.Errorf("contacts: %w", err)
	}
	s.byID = make(map[string]storage.Contact, len(s.contacts))
	for _, c := range s.contacts {
		s.byID[c.ID] = c
	}
	if s.groups, err = a.Store.Groups(ctx); err != nil {
		return nil, fmt.Errorf("groups: %w", err)
	}
	return s, nil
}

// lagging reports whether e has no submission for the snapshot's period.
func (s *snapshot) lagging(e storage.Enterprise) bool {
	h, ok := s.heads[e.ID]
	return !ok || h.Period < s.period
}

// liaison is e's bound liaison, if the binding is still current.
func (s *snapshot) liaison(e storage.Enterprise) (storage.Contact, bool) {
	if e.LiaisonID == "" {
		return storage.Contact{}, false
	}
	c, ok := s.byID[e.LiaisonID]
	return c, ok && c.Role == storage.RoleLiaison && c.EnterpriseID == e.ID
}

// tally is one scope's progress.
type tally struct {
	total, done int
	lag         []storage.Enterprise
	unbound     int // lagging enterprises without a liaison
}

// tally counts sc's progress once per snapshot; callers only read the result.
func (s *snapshot) tally(sc Scope) tally {
	if t, ok := s.tallies[sc]; ok {
		return t
	}
	t := s.count(sc)
	s.tallies[sc] = t
	return t
}

func (s *snapshot) count(sc Scope) tally {
	var t tally
	for _, e := range s.ents {
		if !sc.has(e.Region) {
			continue
		}
		t.total++
		if !s.lagging(e) {
			t.done++
			continue
		}
		t.lag = append(t.lag, e)
		if _, ok := s.liaison(e); !ok {
			t.unbound++
		}
	}
	return t
}

// Reminder builds the messages of occ for each audience the deadline names.
func (a *Audiences) Reminder(ctx context.Context, occ Occurrence, now time.Time) ([]storage.OutboxMessage, error) {
	s, err := a.load(ctx, occ.Period)
	if err != nil {
		return nil, err
	}
	src := "reminder:" + occ.Key
	mk := func(kind, target string, to, group, account, text string) storage.OutboxMessage {
		return storage.OutboxMessage{
			ID: src + "/" + kind + "/" + target, Account: account, To: to, Group: group,
			Text: text, Source: src, QueuedAt: now,
		}
	}
	aud := map[string]bool{}
	for _, x := range occ.Deadline.Audiences {
		aud[x] = true
	}
	// A deadline the liaisons answer themselves (the monthly report) is about their
	// submissions; the others are reports the counties or the city write, for which the
	// period's progress is the context they report on.
	own := aud[config.AudienceLiaisons]
	head := a.headline(occ)
	var out []storage.OutboxMessage
	if aud[config.AudienceLiaisons] {
		for _, e := range s.tally(Scope{}).lag {
			c, ok := s.liaison(e)
			if !ok {
				continue
			}
			text, err := a.liaisonText(ctx, s, e, c, head)
			if err != nil {
				return nil, err
			}
			out = append(out, mk(KindLiaison, c.ID, c.ID, "", c.Account, text))
		}
	}
	if aud[config.AudienceGroups] {
		for _, g := range s.groups {
			sc := groupScope(g)
			// A region with nothing left to chase hears the thanks once, on the day, not
			// at every lead time.
			if own && len(s.tally(sc).lag) == 0 && occ.Lead != 0 {
				continue
			}
			out = append(out, mk(KindGroup, g.ID, "", g.ID, g.Account, a.groupText(s, sc, head, own)))
		}
	}
	if aud[config.AudienceGroupCharts] {
		charts, err := a.charts(ctx, s.groups, now, mk)
		if err != nil {
			return nil, err
		}
		out = append(out, charts...)
	}
	if aud[config.AudienceCountyOffice] {
		for _, c := range s.contacts {
			if c.Role != storage.RoleCounty || c.Region == "" {
				continue
			}
			out = append(out, mk(KindCounty, c.ID, c.ID, "", c.Account, a.countyText(s, c.Region, head, own)))
		}
	}
	if aud[config.AudienceCityOffice] {
		for _, c := range s.contacts {
			if c.Role != storage.RoleCityOffice {
				continue
			}
			out = append(out, mk(KindCity, c.ID, c.ID, "", c.Account, a.cityText(s, head, own)))
		}
	}
	return out, nil
}

// charts gives each group its progress picture of the month being reported now, or its
// figures in a line when no picture can be drawn.
func (a *Audiences) charts(ctx context.Context, groups []storage.Group, now time.Time,
	mk func(kind, target, to, group, account, text string) storage.OutboxMessage) ([]storage.OutboxMessage, error) {
	month := a.Periods.Of(now)
	var s *snapshot
	var out []storage.OutboxMessage
	for _, g := range groups {
		sc := groupScope(g)
		if a.Charts != nil {
			path, caption, err := a.Charts(ctx, sc.Region, month, now)
			if err != nil {
				return nil, fmt.Errorf("chart of %s: %w", g.ID, err)
			}
			m := mk(KindChart, g.ID, "", g.ID, g.Account, "【每周填报进度】"+caption+"在群里 @我 发送“未填报”可看还没填报的企业。")
			m.File = path // sent after the text, in the same message
			out = append(out, m)
			continue
		}
		if s == nil {
			var err error
			if s, err = a.load(ctx, month); err != nil {
				return nil, err
			}
		}
		t := s.tally(sc)
		name := sc.Region
		if name == "" {
			name = "全市"
		}
		out = append(out, mk(KindChart, g.ID, "", g.ID, g.Account,
			fmt.Sprintf("【每周填报进度】%s %s：已填报 %d/%d 家。在群里 @我 发送“进度图”可查看图表。", name, period.Label(month), t.done, t.total)))
	}
	return out, nil
}

// groupScope is the region a group reports on; a group bound without a region, or to the
// whole city, sees the city.
func groupScope(g storage.Group) Scope {
	switch g.Region {
	case "", "全市", "运城市":
		return Scope{}
	}
	return Scope{Region: g.Region}
}

// Missed builds one report per city office contact about occ, which was not sent.
func (a *Audiences) Missed(ctx context.Context, occ Occurrence, now time.Time) ([]storage.OutboxMessage, error) {
	if slices.Equal(occ.Deadline.Audiences, []string{config.AudienceGroupCharts}) {
		return nil, nil // a week's picture is no deadline: the next one will come
	}
	contacts, err := a.Store.Contacts(ctx)
	if err != nil {
		return nil, fmt.Errorf("contacts: %w", err)
	}
	src := "reminder:" + occ.Key
	text := fmt.Sprintf("【提醒未发送】“%s”的提醒原定 %s 发送（截止 %s），因系统停机未能按时发出，已不再补发。"+
		"如仍需提醒，请发送“提醒 未填报”。", occ.Deadline.Name, a.moment(occ.At), a.day(occ.Shifted))
	var out []storage.OutboxMessage
	for _, c := range contacts {
		if c.Role != storage.RoleCityOffice {
			continue
		}
		out = append(out, storage.OutboxMessage{
			ID: src + "/" + KindMissed + "/" + c.ID, Account: c.Account, To: c.ID,
			Text: text, Source: src, QueuedAt: now,
		})
	}
	return out, nil
}

// NudgeLagging builds a private nudge to every lagging liaison in scope, for the period being
// reported at now, keyed by the liaison and the day, and lists the lagging enterprises with no
// liaison bound.
func (a *Audiences) NudgeLagging(ctx context.Context, scope Scope, now time.Time) (Nudge, error) {
	// A nudge is about the month being reported now, as 进度 and 未填报 show it and as the
	// survey files what the liaison fills in now.
	period := a.Periods.Of(now)
	s, err := a.load(ctx, period)
	if err != nil {
		return Nudge{}, err
	}
	src := "nudge:" + period
	day := DateOf(now.In(a.loc()))
	var n Nudge
	for _, e := range s.tally(scope).lag {
		c, ok := s.liaison(e)
		if !ok {
			n.Unbound = append(n.Unbound, e)
			continue
		}
		text, err := a.liaisonText(ctx, s, e, c, "【提醒】请尽快完成本期填报。")
		if err != nil {
			return Nudge{}, err
		}
		n.Messages = append(n.Messages, storage.OutboxMessage{
			ID: NudgeID(day, c.ID), Account: c.Account, To: c.ID,
			Text: text, Source: src, QueuedAt: now,
		})
	}
	return n, nil
}

// headline is the first line every audience reads: what is due, when, and how long is left.
// The monthly report names the month it reports (2026年11月); the yearly deadlines report on
// a year, or a plan, so a month beside them would mislead.
func (a *Audiences) headline(occ Occurrence) string {
	due := a.day(occ.Shifted)
	if occ.Shifted != occ.Due {
		due += fmt.Sprintf("（原定 %d月%d日，遇休息日提前）", occ.Due.Month, occ.Due.Day)
	}
	left := "今天截止"
	if n := occ.DaysLeft(); n > 0 {
		left = fmt.Sprintf("还有 %d 天", n)
	}
	name := occ.Deadline.Name
	if occ.Deadline.ID == MonthlyID {
		name += "（" + period.Label(occ.Period) + "）"
	}
	return fmt.Sprintf("【提醒】%s截止 %s，%s。", name, due, left)
}

func (a *Audiences) day(d Date) string {
	return fmt.Sprintf("%d月%d日（%s）", d.Month, d.Day, weekdayNames[d.Weekday()])
}

func (a *Audiences) moment(t time.Time) string {
	t = t.In(a.loc())
	return fmt.Sprintf("%d月%d日 %s", t.Month(), t.Day(), t.Format("15:04"))
}

// liaisonText tells a liaison what is missing and how to go on: where they stopped when a
// draft exists, the one-word monthly update when they submitted before.
func (a *Audiences) liaisonText(ctx context.Context, s *snapshot, e storage.Enterprise, c storage.Contact, head string) (string, error) {
	var b strings.Builder
	b.WriteString(head)
	fmt.Fprintf(&b, "\n贵企业【%s】%s的《企业创新活动开展情况调查表》还没有提交。", e.Name, period.Label(s.period))
	next, err := a.resume(ctx, s, e, c)
	if err != nil {
		return "", err
	}
	b.WriteString("\n" + next)
	return b.String(), nil
}

// resume says how the liaison continues: from the draft of the period when there is one, else
// from the draft the liaison's session is on (one of an earlier month, which the survey
// carries into the period when it is resumed).
func (a *Audiences) resume(ctx context.Context, s *snapshot, e storage.Enterprise, c storage.Contact) (string, error) {
	sess, err := a.Store.Session(ctx, c.ID)
	if err != nil {
		return "", fmt.Errorf("session %s: %w", c.ID, err)
	}
	periods := []string{s.period}
	if sess.EnterpriseID == e.ID && sess.Period != "" && sess.Period != s.period {
		periods = append(periods, sess.Period)
	}
	for _, p := range periods {
		d, err := a.Store.Draft(ctx, e.ID, p)
		if errors.Is(err, storage.ErrNotFound) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("draft %s %s: %w", e.ID, p, err)
		}
		if a.Form == nil {
			return "已有填到一半的草稿，回复“填报”接着填。", nil
		}
		steps := a.Form.Steps(d.Answers)
		answered, first := 0, -1
		for i, st := range steps {
			if _, ok := d.Answers[st.Key]; ok {
				answered++
			} else if first < 0 {
				first = i
			}
		}
		if sess.EnterpriseID == e.ID && sess.Period == d.Period && sess.Cursor != "" {
			if i := slices.IndexFunc(steps, func(s survey.Step) bool { return s.Key == sess.Cursor }); i >= 0 {
				first = i
			}
		}
		if first < 0 {
			return fmt.Sprintf("%d 题已全部答完，回复“填报”核对后发送“确认提交”即可。", len(steps)), nil
		}
		return fmt.Sprintf("已答 %d/%d 题，回复“填报”继续，从第 %d 题接着填。", answered, len(steps), first+1), nil
	}
	if _, ok := s.heads[e.ID]; ok { // lagging, so an earlier period's submission
		return "回复“填报”开始；与上期相比没有变化的，回复“无变化”即可提交。", nil
	}
	return "回复“填报”开始填写，一次回答一题，随时可以暂停。", nil
}

// groupText is a helper group's reminder: its scope's count and the lagging enterprises
// with their helpers, so helpers can chase them (the web protocol cannot @ anyone).
func (a *Audiences) groupText(s *snapshot, sc Scope, head string, own bool) string {
	t := s.tally(sc)
	name := sc.Region
	if name == "" {
		name = "全市"
	}
	var b strings.Builder
	b.WriteString(head)
	if !own {
		b.WriteString("请按时报送。")
	}
	b.WriteString("\n")
	if len(t.lag) == 0 {
		fmt.Fprintf(&b, "%s %d 家企业%s的调查表已全部提交，谢谢大家！", name, t.total, period.Label(s.period))
		return b.String()
	}
	fmt.Fprintf(&b, "%s %d 家企业中，%s的调查表已提交 %d 家，未提交 %d 家：", name, t.total, period.Label(s.period), t.done, len(t.lag))
	limit := a.MaxListed
	if limit <= 0 {
		limit = 30
	}
	for i, e := range t.lag {
		if i == limit {
			fmt.Fprintf(&b, "\n……另有 %d 家，工作人员可私聊我发送“未填报”查看全部。", len(t.lag)-limit)
			break
		}
		fmt.Fprintf(&b, "\n%d. %s", i+1, e.Name)
		var notes []string
		if e.Helper != "" {
			notes = append(notes, "帮扶人 "+e.Helper)
		}
		if _, ok := s.liaison(e); !ok {
			notes = append(notes, "未绑定联络人")
		}
		if len(notes) > 0 {
			b.WriteString("（" + strings.Join(notes, "，") + "）")
		}
	}
	b.WriteString("\n请帮扶人督促企业联络人私聊我发送“填报”完成填报。")
	return b.String()
}

// countyText is a county office's reminder: its region's counts.
func (a *Audiences) countyText(s *snapshot, region, head string, own bool) string {
	t := s.tally(Scope{Region: region})
	var b strings.Builder
	b.WriteString(head)
	if !own {
		b.WriteString("请按时向市领导小组办公室报送。")
	}
	fmt.Fprintf(&b, "\n%s %s：企业 %d 家，已提交 %d 家，未提交 %d 家", region, period.Label(s.period), t.total, t.done, len(t.lag))
	if t.unbound > 0 {
		fmt.Fprintf(&b, "（其中 %d 家未绑定联络人，请发放邀请码）", t.unbound)
	}
	b.WriteString("。")
	if len(t.lag) > 0 {
		b.WriteString("发送“未填报”查看名单。")
	}
	return b.String()
}

// cityText is the city office's reminder: the city's counts and the regions still lagging.
func (a *Audiences) cityText(s *snapshot, head string, own bool) string {
	t := s.tally(Scope{})
	var b strings.Builder
	b.WriteString(head)
	if !own {
		b.WriteString("请按时报送。")
	}
	fmt.Fprintf(&b, "\n全市 %s：企业 %d 家，已提交 %d 家，未提交 %d 家。", period.Label(s.period), t.total, t.done, len(t.lag))
	per := map[string]int{}
	for _, e := range t.lag {
		per[e.Region]++
	}
	regions := slices.Clone(a.Regions)
	var extra []string
	for r := range per {
		if !slices.Contains(regions, r) {
			extra = append(extra, r)
		}
	}
	slices.SortFunc(extra, cmp.Compare)
	var parts []string
	for _, r := range append(regions, extra...) {
		if n := per[r]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", r, n))
		}
	}
	if len(parts) > 0 {
		b.WriteString("未提交：" + strings.Join(parts, "、") + "。")
	}
	return b.String()
}
