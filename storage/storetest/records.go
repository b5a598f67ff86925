package storetest

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"innobot/storage"
	"innobot/survey"
)

// cst is a zone other than UTC and Local so that a backend that keeps only the wall clock, or
// reads times back in its own zone, shows up as a wrong instant.
var cst = time.FixedZone("CST", 8*60*60)

// t0 has nanoseconds so that a backend that rounds times shows up.
var t0 = time.Date(2026, 11, 3, 10, 4, 5, 123456789, cst)

func at(minutes int) time.Time { return t0.Add(time.Duration(minutes) * time.Minute) }

// sampleAnswers has every kind of value a survey produces, including the ones that encoders
// tend to lose: a zero Value (a real 无), a float that is not a binary fraction, text with
// quotes and newlines, a repeating group's row keys.
func sampleAnswers() survey.Answers {
	return survey.Answers{
		"industry":     {Text: "钢铁冶炼及压延加工"},
		"ownership":    {Choice: 3},
		"rd_spend":     {Num: 1.2345},
		"revenue":      {Num: 123456789.125},
		"change":       {Num: -0.5},
		"tiny":         {Num: 1e-9},
		"has_lab":      {Bool: true},
		"six":          {Multi: []int{1, 3, 5}},
		"directions":   {Multi: []int{2}},
		"plan":         {Skipped: true},
		"no_project":   {},
		"labs.0.name":  {Text: "省级企业技术中心"},
		"labs.0.#more": {Bool: true},
		"labs.1.name":  {Text: "市级\"重点\"实验室\n第二行\t"},
		"labs.1.#more": {},
	}
}

func sampleEnterprise(id string) storage.Enterprise {
	return storage.Enterprise{
		ID:         id,
		Name:       "山西某某钢铁有限公司" + id,
		Region:     "盐湖区",
		CreditCode: "91140800MA0K" + id,
		Industry:   "黑色金属冶炼和压延加工业",
		Ownership:  "民营",
		Helper:     "王帮扶",
		HelperTel:  "13800000000",
		UpdatedAt:  at(0),
	}
}

func sampleSession(contactID string, version int64) storage.Session {
	return storage.Session{
		ContactID:    contactID,
		Version:      version,
		State:        "survey",
		EnterpriseID: "E1",
		Period:       "2026-11",
		Cursor:       "labs.1.name",
		Pending:      &survey.Value{Num: 1200000, Text: "120亿", Multi: []int{4, 2}},
		UpdatedAt:    at(1),
	}
}

func sampleDraft(enterpriseID, period, by string) storage.Draft {
	carried := sampleAnswers()
	carried["rd_spend"] = survey.Value{Num: 0.1}
	return storage.Draft{
		EnterpriseID: enterpriseID,
		Period:       period,
		Answers:      sampleAnswers(),
		Carried:      carried,
		UpdatedBy:    by,
		UpdatedAt:    at(2),
	}
}

func sampleSubmission(enterpriseID, period string, version int) storage.Submission {
	return storage.Submission{
		EnterpriseID: enterpriseID,
		Period:       period,
		Version:      version,
		Form:         "附件3-2026",
		Answers:      sampleAnswers(),
		SubmittedBy:  "c-liaison",
		SubmittedAt:  at(3),
		Facts:        sampleFacts(version),
	}
}

// sampleFacts has every field set, differing with n so that heads of different submissions
// tell apart.
func sampleFacts(n int) survey.Facts {
	return survey.Facts{
		HasInstitution: true,
		HasRD:          n%2 == 0,
		HasInnovation:  true,
		Institutions:   2,
		Projects:       n,
		Activities:     4,
		Plan:           "建设\"省级\"企业技术中心\n第二行",
		Industry:       "黑色金属冶炼和压延加工业",
		Ownership:      "民营",
	}
}

func sampleInvite(hash string, role storage.Role, now time.Time) storage.Invite {
	return storage.Invite{
		Hash:      hash,
		Role:      role,
		CreatedBy: "admin",
		CreatedAt: now,
		ExpiresAt: now.Add(7 * 24 * time.Hour),
	}
}

// turn is a turn for contactID read at version, with nothing else in it.
func turn(messageID, contactID string, version int64) storage.Turn {
	sess := sampleSession(contactID, version)
	return storage.Turn{Answer: storage.Answer{MessageID: messageID, At: at(5)}, Session: sess}
}

// The norm functions bring a record to the form compared with reflect.DeepEqual: times in UTC
// without a monotonic reading (so that DeepEqual agrees with Equal) and empty slices as nil.
// They copy, so that the caller's records are never changed.

func normTime(t time.Time) time.Time { return t.UTC() }

func normInts(s []int) []int {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}

func normStrings(s []string) []string {
	if len(s) == 0 {
		return nil
	}
	return slices.Clone(s)
}

func normValue(v survey.Value) survey.Value {
	v.Multi = normInts(v.Multi)
	return v
}

func normAnswers(a survey.Answers) survey.Answers {
	if len(a) == 0 {
		return nil
	}
	out := make(survey.Answers, len(a))
	for k, v := range a {
		out[k] = normValue(v)
	}
	return out
}

func normEnterprise(e storage.Enterprise) storage.Enterprise {
	e.UpdatedAt = normTime(e.UpdatedAt)
	return e
}

func normContact(c storage.Contact) storage.Contact {
	c.EnterpriseIDs = normStrings(c.EnterpriseIDs)
	c.BoundAt = normTime(c.BoundAt)
	return c
}

func normInvite(i storage.Invite) storage.Invite {
	i.EnterpriseIDs = normStrings(i.EnterpriseIDs)
	i.CreatedAt = normTime(i.CreatedAt)
	i.ExpiresAt = normTime(i.ExpiresAt)
	i.UsedAt = normTime(i.UsedAt)
	i.RevokedAt = normTime(i.RevokedAt)
	return i
}

func normSession(s storage.Session) storage.Session {
	if s.Pending != nil {
		p := normValue(*s.Pending)
		s.Pending = &p
	}
	s.UpdatedAt = normTime(s.UpdatedAt)
	return s
}

func normDraft(d storage.Draft) storage.Draft {
	d.Answers = normAnswers(d.Answers)
	d.Carried = normAnswers(d.Carried)
	d.UpdatedAt = normTime(d.UpdatedAt)
	return d
}

func normSubmission(s storage.Submission) storage.Submission {
	s.Answers = normAnswers(s.Answers)
	s.SubmittedAt = normTime(s.SubmittedAt)
	return s
}

func normSubmissions(ss []storage.Submission) []storage.Submission {
	return normAll(ss, normSubmission)
}

func normHead(h storage.Head) storage.Head {
	h.SubmittedAt = normTime(h.SubmittedAt)
	return h
}

func normHeads(m map[string]storage.Head) map[string]storage.Head {
	out := make(map[string]storage.Head, len(m))
	for k, h := range m {
		out[k] = normHead(h)
	}
	return out
}

func normContacts(cs []storage.Contact) []storage.Contact {
	return normAll(cs, normContact)
}

func normGroup(g storage.Group) storage.Group {
	g.BoundAt = normTime(g.BoundAt)
	return g
}

func normAudit(e storage.AuditEntry) storage.AuditEntry {
	e.At = normTime(e.At)
	return e
}

func normMessage(m storage.OutboxMessage) storage.OutboxMessage {
	m.QueuedAt = normTime(m.QueuedAt)
	m.SentAt = normTime(m.SentAt)
	m.FailedAt = normTime(m.FailedAt)
	return m
}

func normMessages(ms []storage.OutboxMessage) []storage.OutboxMessage {
	return normAll(ms, normMessage)
}

// normAll norms each record of a slice, and an empty slice to nil.
func normAll[T any](s []T, norm func(T) T) []T {
	if len(s) == 0 {
		return nil
	}
	out := make([]T, len(s))
	for i, r := range s {
		out[i] = norm(r)
	}
	return out
}

// same fails the test when got and want differ after norm.
func same[T any](t *testing.T, what string, got, want T, norm func(T) T) {
	t.Helper()
	g, w := norm(got), norm(want)
	if !reflect.DeepEqual(g, w) {
		t.Errorf("%s:\n got  %s\n want %s", what, show(g), show(w))
	}
}

// show prints a record with the values behind its pointers, which %+v leaves as addresses.
func show(v any) string {
	switch v := v.(type) {
	case storage.Session:
		if v.Pending != nil {
			return fmt.Sprintf("%+v (pending %+v)", v, *v.Pending)
		}
	case storage.Redeemed:
		if v.Replaced != nil {
			return fmt.Sprintf("%+v (replaced %+v)", v, *v.Replaced)
		}
	case []storage.Submission:
		s := ""
		for _, sub := range v {
			s += fmt.Sprintf("\n   %s v%d by %s", sub.Period, sub.Version, sub.SubmittedBy)
		}
		return fmt.Sprintf("%d submissions:%s", len(v), s)
	}
	return fmt.Sprintf("%+v", v)
}

// wantErr fails the test unless errors.Is(err, target).
func wantErr(t *testing.T, what string, err, target error) {
	t.Helper()
	if !errors.Is(err, target) {
		t.Fatalf("%s: error %v, want %v", what, err, target)
	}
}

func mustCommit(t *testing.T, s storage.Store, tr storage.Turn) {
	t.Helper()
	if err := s.CommitTurn(t.Context(), tr); err != nil {
		t.Fatalf("CommitTurn(message %q, contact %s, version %d): %v",
			tr.MessageID, tr.Session.ContactID, tr.Session.Version, err)
	}
}

// mustSubmit commits a submission in a turn of its own, by a contact of its own.
func mustSubmit(t *testing.T, s storage.Store, sub storage.Submission) {
	t.Helper()
	id := fmt.Sprintf("submit %s %s v%d", sub.EnterpriseID, sub.Period, sub.Version)
	tr := turn("m "+id, "c "+id, 0)
	tr.Submission = &sub
	mustCommit(t, s, tr)
}

func mustPutEnterprise(t *testing.T, s storage.Store, e storage.Enterprise) {
	t.Helper()
	if err := s.PutEnterprise(t.Context(), e); err != nil {
		t.Fatalf("PutEnterprise(%s): %v", e.ID, err)
	}
}

func mustPutInvite(t *testing.T, s storage.Store, inv storage.Invite) {
	t.Helper()
	if err := s.PutInvite(t.Context(), inv, nil, storage.Answer{}); err != nil {
		t.Fatalf("PutInvite(%s): %v", inv.Hash, err)
	}
}

func mustEnterprise(t *testing.T, s storage.Store, id string) storage.Enterprise {
	t.Helper()
	e, err := s.Enterprise(t.Context(), id)
	if err != nil {
		t.Fatalf("Enterprise(%s): %v", id, err)
	}
	return e
}

func mustContact(t *testing.T, s storage.Store, id string) storage.Contact {
	t.Helper()
	c, err := s.Contact(t.Context(), id)
	if err != nil {
		t.Fatalf("Contact(%s): %v", id, err)
	}
	return c
}

func mustSession(t *testing.T, s storage.Store, contactID string) storage.Session {
	t.Helper()
	sess, err := s.Session(t.Context(), contactID)
	if err != nil {
		t.Fatalf("Session(%s): %v", contactID, err)
	}
	return sess
}

func mustSubmissions(t *testing.T, s storage.Store, enterpriseID string) []storage.Submission {
	t.Helper()
	subs, err := s.Submissions(t.Context(), enterpriseID)
	if err != nil {
		t.Fatalf("Submissions(%s): %v", enterpriseID, err)
	}
	return subs
}

// mustHandled asks Handled about a message.
func mustHandled(t *testing.T, s storage.Store, messageID string) bool {
	t.Helper()
	ok, err := s.Handled(t.Context(), messageID)
	if err != nil {
		t.Fatalf("Handled(%q): %v", messageID, err)
	}
	return ok
}

// draftOrNil returns the draft, or nil when there is none.
func draftOrNil(t *testing.T, s storage.Store, enterpriseID, period string) *storage.Draft {
	t.Helper()
	d, err := s.Draft(t.Context(), enterpriseID, period)
	if errors.Is(err, storage.ErrNotFound) {
		return nil
	}
	if err != nil {
		t.Fatalf("Draft(%s, %s): %v", enterpriseID, period, err)
	}
	d = normDraft(d)
	return &d
}

// snapshot is what a turn may change, read back so that a refused turn can be shown to have
// changed nothing.
type snapshot struct {
	Session     storage.Session
	Drafts      map[string]*storage.Draft // by period
	Submissions []storage.Submission
	Handled     map[string]bool
}

func look(t *testing.T, s storage.Store, contactID, enterpriseID string, periods, messageIDs []string) snapshot {
	t.Helper()
	snap := snapshot{
		Session:     normSession(mustSession(t, s, contactID)),
		Drafts:      map[string]*storage.Draft{},
		Submissions: normSubmissions(mustSubmissions(t, s, enterpriseID)),
		Handled:     map[string]bool{},
	}
	for _, p := range periods {
		snap.Drafts[p] = draftOrNil(t, s, enterpriseID, p)
	}
	for _, id := range messageIDs {
		snap.Handled[id] = mustHandled(t, s, id)
	}
	return snap
}

func sameSnapshot(t *testing.T, what string, got, want snapshot) {
	t.Helper()
	if !reflect.DeepEqual(got.Session, want.Session) {
		t.Errorf("%s: session\n got  %s\n want %s", what, show(got.Session), show(want.Session))
	}
	for p, w := range want.Drafts {
		if g := got.Drafts[p]; !reflect.DeepEqual(g, w) {
			t.Errorf("%s: draft of %s\n got  %+v\n want %+v", what, p, g, w)
		}
	}
	if !reflect.DeepEqual(got.Submissions, want.Submissions) {
		t.Errorf("%s: submissions\n got  %s\n want %s", what, show(got.Submissions), show(want.Submissions))
	}
	if !reflect.DeepEqual(got.Handled, want.Handled) {
		t.Errorf("%s: handled %v, want %v", what, got.Handled, want.Handled)
	}
}
