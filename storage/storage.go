// Package storage defines what innobot keeps and the Store that keeps it. The records are
// domain records (enterprises, contacts, sessions, drafts, submissions), so that the bolt and
// redis backends are interchangeable and one conformance suite (storetest) checks both.
package storage

import (
	"context"
	"errors"
	"time"

	"innobot/survey"
)

// Errors a Store returns. Callers test them with errors.Is.
var (
	// ErrNotFound: no such record.
	ErrNotFound = errors.New("not found")
	// ErrConflict: the record changed since it was read (a session's version, or a
	// submission version already taken); the caller reloads and runs the turn again.
	ErrConflict = errors.New("conflict")
	// ErrInviteUnknown, ErrInviteUsed and ErrInviteExpired say why a code was refused.
	ErrInviteUnknown = errors.New("invite code unknown")
	ErrInviteUsed    = errors.New("invite code already used")
	ErrInviteExpired = errors.New("invite code expired")
)

// Role is what a bound contact may do.
type Role string

// The roles a contact may hold (docs/domain.md). Admin is the server's command line and has no contact.
const (
	RoleNone       Role = ""
	RoleLiaison    Role = "liaison"       // 企业科技创新联络人: one enterprise
	RoleHelper     Role = "helper"        // 对口帮扶人: named enterprises
	RoleCounty     Role = "county_office" // 县（市、区）领导小组办公室: one region
	RoleCityOffice Role = "city_office"   // 市领导小组办公室: everything
)

// Enterprise is one 规上工业企业 (or 小升规 enterprise) of the city's list.
type Enterprise struct {
	ID         string `json:"id"`
	Name       string `json:"name"`        // 企业全称
	Region     string `json:"region"`      // 所属县（市、区）
	CreditCode string `json:"credit_code"` // 统一社会信用代码, may be empty
	Industry   string `json:"industry"`    // 行业, as listed by the office
	Ownership  string `json:"ownership"`   // 企业属性
	Helper     string `json:"helper"`      // 对口帮扶人
	HelperTel  string `json:"helper_tel"`
	// ContactName and ContactTel are 附件2's 企业联系人 and 联系电话 as the office lists
	// them; the bound liaison may be someone else.
	ContactName string `json:"contact_name,omitempty"`
	ContactTel  string `json:"contact_tel,omitempty"`
	// LiaisonID is the contact bound as the enterprise's liaison, empty when none.
	LiaisonID string    `json:"liaison_id"`
	UpdatedAt time.Time `json:"updated_at"`
	// Baseline is what the office's earlier ledger (the 2020 台账) recorded of the enterprise,
	// imported with the list; nil when the list had none. 销号 compares a first report with it.
	Baseline *Baseline `json:"baseline,omitempty"`
	// NewlyAbove marks an enterprise new to the 规上 list (新进规上, a 小升规 enterprise that
	// has grown), so that the 规上 count can say how many are new.
	NewlyAbove bool `json:"newly_above,omitempty"`
}

// Baseline is an enterprise's three 有无 of 附件2 as an earlier ledger recorded them.
type Baseline struct {
	HasInstitution bool `json:"has_institution"` // 有无研发机构
	HasRD          bool `json:"has_rd"`          // 有无研发活动
	HasInnovation  bool `json:"has_innovation"`  // 有无创新活动
}

// Active reports whether the baseline shows innovation activity of any kind (已开展).
func (b Baseline) Active() bool { return b.HasInstitution || b.HasRD || b.HasInnovation }

// Contact is a person the bot talks to, keyed by a stable id the transport owns (it survives a
// WeChat re-login). A contact without a role is unbound.
type Contact struct {
	ID            string    `json:"id"`
	Name          string    `json:"name"` // display name when bound; never a source of rights
	Role          Role      `json:"role"`
	EnterpriseID  string    `json:"enterprise_id,omitempty"`  // liaison
	EnterpriseIDs []string  `json:"enterprise_ids,omitempty"` // helper
	Region        string    `json:"region,omitempty"`         // county office
	BoundAt       time.Time `json:"bound_at"`
	// Account is the bot account the contact talks to; messages to them must go out
	// through it (several accounts may share one store).
	Account string `json:"account,omitempty"`
	// Person and Mobile are the name and phone number the person gave in chat: a liaison's
	// are 附件2's 企业联系人 and 联系电话, office staff's the 填表人 and 联系方式 of what they
	// export. They belong to the role: binding again or unbinding clears them.
	Person string `json:"person,omitempty"`
	Mobile string `json:"mobile,omitempty"`
}

// RoleName says the contact's role in the campaign's words, as replies and notices name it.
func (c Contact) RoleName() string {
	switch c.Role {
	case RoleLiaison:
		return "企业科技创新联络人"
	case RoleHelper:
		return "对口帮扶人"
	case RoleCounty:
		return c.Region + "工作人员"
	case RoleCityOffice:
		return "市领导小组办公室工作人员"
	}
	return "未绑定"
}

// Invite is a one-time binding code (邀请码). Only its hash is kept, keyed with a secret that is
// not in the store (package invite): a leaked database must not hand out roles, nor let
// codes be tested offline.
type Invite struct {
	Hash          string    `json:"hash"`
	Role          Role      `json:"role"`
	EnterpriseID  string    `json:"enterprise_id,omitempty"`
	EnterpriseIDs []string  `json:"enterprise_ids,omitempty"`
	Region        string    `json:"region,omitempty"`
	CreatedBy     string    `json:"created_by"`
	CreatedAt     time.Time `json:"created_at"`
	ExpiresAt     time.Time `json:"expires_at"`
	UsedBy        string    `json:"used_by,omitempty"`
	UsedAt        time.Time `json:"used_at"`
	// RevokedAt is when the code was revoked (InviteAdmin.RevokeInvites), zero while it is not.
	RevokedAt time.Time `json:"revoked_at,omitzero"`
}

// Redeemed is what binding with a code did.
type Redeemed struct {
	Contact Contact
	// Enterprise is a liaison's enterprise as bound; nil for other roles.
	Enterprise *Enterprise
	// Replaced is the liaison who held the enterprise before (handover), as stored before the
	// handover, to be told.
	Replaced *Contact
	Invite   Invite
}

// Session is where a contact is in a conversation. The dialog owns the meaning of its fields;
// the Store keeps it and refuses a write made from a stale copy (Version).
type Session struct {
	ContactID string `json:"contact_id"`
	// Version counts commits; CommitTurn expects the version that was read and stores +1.
	Version      int64         `json:"version"`
	State        string        `json:"state,omitempty"`
	EnterpriseID string        `json:"enterprise_id,omitempty"`
	Period       string        `json:"period,omitempty"`
	Cursor       string        `json:"cursor,omitempty"` // the step key being asked
	Pending      *survey.Value `json:"pending,omitempty"`
	UpdatedAt    time.Time     `json:"updated_at"`
}

// Draft is an enterprise's answers for one period, not yet submitted. It belongs to the
// enterprise, not the liaison, so a handover keeps the work done.
type Draft struct {
	EnterpriseID string         `json:"enterprise_id"`
	Period       string         `json:"period"` // e.g. 2026-11
	Answers      survey.Answers `json:"answers"`
	// Carried is the answers of the submission the draft started from (monthly update), shown
	// as 上期 beside each question.
	Carried   survey.Answers `json:"carried,omitempty"`
	UpdatedBy string         `json:"updated_by"`
	UpdatedAt time.Time      `json:"updated_at"`
}

// Submission is a submitted survey: kept forever, never overwritten; resubmitting a period
// adds a version.
type Submission struct {
	EnterpriseID string         `json:"enterprise_id"`
	Period       string         `json:"period"`
	Version      int            `json:"version"` // from 1 within the period
	Form         string         `json:"form"`
	Answers      survey.Answers `json:"answers"`
	SubmittedBy  string         `json:"submitted_by"`
	SubmittedAt  time.Time      `json:"submitted_at"`
	// Facts are the key figures of the answers, kept in the submission's Head.
	Facts survey.Facts `json:"facts"`
}

// Head returns the submission's head.
func (s Submission) Head() Head {
	return Head{EnterpriseID: s.EnterpriseID, Period: s.Period, Version: s.Version, SubmittedBy: s.SubmittedBy, SubmittedAt: s.SubmittedAt, Facts: s.Facts}
}

// Head is a submission without its answers: what the ledger counts. Facts are computed from
// the answers when the submission is made, so progress over 10,000 enterprises never decodes
// a survey.
type Head struct {
	EnterpriseID string       `json:"enterprise_id"`
	Period       string       `json:"period"`
	Version      int          `json:"version"`
	SubmittedBy  string       `json:"submitted_by"`
	SubmittedAt  time.Time    `json:"submitted_at"`
	Facts        survey.Facts `json:"facts"`
}

// Group is a group chat bound to a region, such as a county's 帮扶小组 group.
type Group struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Region  string    `json:"region"`
	BoundBy string    `json:"bound_by"`
	BoundAt time.Time `json:"bound_at"`
	Account string    `json:"account,omitempty"` // the bot account in the group
}

// AuditEntry records an attempt to bind, a staff command or an export: who, when, where,
// what on, and how it ended. The log is append-only: nothing in innobot changes or removes
// an entry.
type AuditEntry struct {
	At      time.Time `json:"at"`
	Contact string    `json:"contact"` // who: the sender's contact id, "admin" for the command line
	Name    string    `json:"name"`    // their display name then
	Role    Role      `json:"role"`    // their role then ("" for an unbound sender)
	// Group is the group chat the command came from, "" for a private chat.
	Group  string `json:"group,omitempty"`
	Action string `json:"action"` // e.g. bind, unbind, query, export, invite
	// Target is what the command named, resolved: a region, an enterprise, a code's scope.
	Target  string  `json:"target,omitempty"`
	Outcome Outcome `json:"outcome,omitempty"`
	Detail  string  `json:"detail"` // the command as typed, or what a binding changed
}

// Outcome is how an audited attempt ended. Entries written before outcomes were recorded
// have none.
type Outcome string

// The outcomes of an audited attempt.
const (
	OutcomeOK         Outcome = "ok"
	OutcomeRefused    Outcome = "refused"      // not allowed, or a wrong or spent invite code
	OutcomeOutOfScope Outcome = "out_of_scope" // named something outside the caller's scope
	OutcomeFailed     Outcome = "failed"       // an error on our side
)

// OutboxMessage is a message queued for sending. The outbox is persistent so that a restart
// loses no reminder; the ID is chosen by the caller so that queueing the same message twice
// keeps one.
type OutboxMessage struct {
	ID string `json:"id"`
	// Account is the bot account that must send it: a contact is reachable only through the
	// account it talks to.
	Account  string    `json:"account"`
	To       string    `json:"to,omitempty"`
	Group    string    `json:"group,omitempty"`
	Text     string    `json:"text,omitempty"`
	File     string    `json:"file,omitempty"`
	Source   string    `json:"source"` // what queued it, e.g. reminder:monthly:2026-12-05:3d
	QueuedAt time.Time `json:"queued_at"`
	SentAt   time.Time `json:"sent_at"` // zero until sent
	Attempts int       `json:"attempts"`
	Error    string    `json:"error,omitempty"` // the last failed attempt, or why it was given up
	// FailedAt is when the message was given up for good (MarkFailed), zero otherwise: it
	// will never be sent, and Error says why.
	FailedAt time.Time `json:"failed_at,omitzero"`
	// Urgent marks a live reply to someone waiting for it: pending urgent messages go out
	// before every other pending message of the account (a run of reminders, say).
	Urgent bool `json:"urgent,omitempty"`
	// Forget marks a message the store forgets once it is sent (MarkSent), keeping no record
	// of the send: a live reply, which nobody looks up afterwards, which may carry a new
	// invite code, and of which a busy bot sends thousands a day. A Forget message given up
	// (MarkFailed) is kept, as every message given up is.
	Forget bool `json:"forget,omitempty"`
}

// Answer is how handling one message ends, stored by the same atomic write as whatever the
// message changed: its id, marked handled so that the message delivered again is dropped, and
// the messages it owes (the replies, and notices to other people), queued in the outbox so
// that none is lost to a crash between the write and the send. Every write made for a message
// takes one; a write made for no message (an import, a command line) takes the zero Answer.
//
// A write whose message id is handled already writes nothing, its Answer included, and
// reports success with a zero result: an earlier write stored the message's changes and its
// answer. Messages whose ID is queued already are left as they are.
type Answer struct {
	MessageID string
	// At is when the message was handled: PruneHandled forgets the id by it.
	At       time.Time
	Messages []OutboxMessage
}

// Turn is everything one survey message changes, written atomically with its Answer: the
// session, the draft (or its removal) and possibly a submission.
type Turn struct {
	Answer
	// Session is written with Version+1 if the stored version still equals Session.Version.
	Session Session
	// Draft, when set, replaces the enterprise's draft for its period.
	Draft *Draft
	// DropDraft removes the draft of (EnterpriseID, Period) after a submission or a discard.
	DropDraft *DraftKey
	// Submission, when set, is appended; its version must be the next free one for its period.
	Submission *Submission
}

// TurnState is what handling one message reads of its sender, in one read (Store.LoadTurn):
// everything a survey turn needs, and who the sender is for any other message.
type TurnState struct {
	// Handled is true when the message was handled before; the rest is then left empty.
	Handled bool
	// Contact is the sender as bound; the zero Contact for one never bound.
	Contact Contact
	// Enterprise is a liaison's enterprise (Contact.EnterpriseID); zero for anyone else, or
	// when the enterprise is missing.
	Enterprise Enterprise
	// Session is the sender's session: version 0, with ContactID set, when there is none.
	Session Session
	// Drafts are the enterprise's drafts, by period.
	Drafts []Draft
	// History is what a turn reads of the enterprise's submissions: the latest version of
	// each period it has a draft for, and its latest submission, by period and version
	// (one submission may be both). The next version of a drafted period, and 上期 beside a
	// question, come from it.
	History []Submission
}

// DraftKey names a draft.
type DraftKey struct{ EnterpriseID, Period string }

// Store keeps everything innobot knows. Every method is safe for concurrent use, and every
// record it returns is the caller's to change.
type Store interface {
	// PutEnterprise adds an enterprise or replaces its registry fields by ID. LiaisonID is
	// Redeem's alone: the stored one is kept, so re-importing the list never drops a binding.
	PutEnterprise(ctx context.Context, e Enterprise) error
	// Enterprise returns one enterprise, or ErrNotFound.
	Enterprise(ctx context.Context, id string) (Enterprise, error)
	// Enterprises returns all enterprises ordered by ID.
	Enterprises(ctx context.Context) ([]Enterprise, error)

	// Contact returns a contact, or ErrNotFound for one never bound. A contact unbound later
	// (a replaced liaison) is returned with RoleNone: callers check Role.
	Contact(ctx context.Context, id string) (Contact, error)
	// PutInvite stores a new code and revokes, at its CreatedAt, those of the codes whose
	// hashes replaces names that are still live (an enterprise's older unused codes, which a
	// new liaison code voids), with the answer of the message that asked for it, in one write;
	// a hash already stored is ErrConflict and writes nothing.
	PutInvite(ctx context.Context, inv Invite, replaces []string, a Answer) error
	// Redeem binds contact c with the code whose hash is given, atomically: the code is used
	// once, the contact gets the code's role and scope, and a liaison code replaces the
	// enterprise's previous liaison. answer is called with what the binding does, before it
	// is written (maybe more than once: each time the binding is computed again); the Answer
	// it returns is stored with the binding, and so is the session, when not nil, that the
	// binding leaves the contact in (a new liaison asked for their details), at the stored
	// session's version + 1 whatever its Version, so that a turn read before is refused.
	// answer is nil for a binding made for no message. A refused code writes nothing.
	Redeem(ctx context.Context, hash string, c Contact, now time.Time, answer func(Redeemed) (Answer, *Session)) (Redeemed, error)

	// LoadTurn reads, in one read, whether a message was handled and what handling it needs
	// of its sender (see TurnState). An empty message id is never handled.
	LoadTurn(ctx context.Context, contactID, messageID string) (TurnState, error)
	// Session returns the contact's session; a contact with none gets an empty session of
	// version 0.
	Session(ctx context.Context, contactID string) (Session, error)
	// Draft returns an enterprise's draft for a period, or ErrNotFound.
	Draft(ctx context.Context, enterpriseID, period string) (Draft, error)
	// Submissions returns an enterprise's submissions, by period and version.
	Submissions(ctx context.Context, enterpriseID string) ([]Submission, error)
	// CommitTurn writes a turn with its Answer atomically, or nothing (ErrConflict when the
	// session or the submission version moved).
	CommitTurn(ctx context.Context, t Turn) error
	// Answer stores the answer of a message that changed nothing else (a query, a reply to
	// bad input).
	Answer(ctx context.Context, a Answer) error
	// Handled reports whether a message was handled: its Answer stored. The id alone
	// decides, whatever time a transport stamps on the message delivered again.
	Handled(ctx context.Context, messageID string) (bool, error)
	// PruneHandled forgets message ids handled before a time and returns how many; ids are
	// only needed for as long as a message may be delivered again.
	PruneHandled(ctx context.Context, before time.Time) (int, error)

	// Close releases the store.
	Close() error
}

// Backend is a store with every part: what a running bot needs, and what each backend
// (bolt, redis) provides.
type Backend interface {
	Store
	Registry
	Ledger
	Outbox
	Notes
	Identities
	InviteAdmin
	BindGuard
	FactsRefresher
}

// Registry is the people side of the store: the enterprise list, contacts, groups, the audit
// trail and the limit on wrong invite codes.
type Registry interface {
	// PutEnterprises adds or replaces many enterprises in one atomic write (an import),
	// keeping each stored LiaisonID as PutEnterprise does.
	PutEnterprises(ctx context.Context, es []Enterprise) error
	// Contacts returns every contact ever bound, ordered by ID.
	Contacts(ctx context.Context) ([]Contact, error)
	// Unbind removes a contact's role (解绑) and, for a liaison, the enterprise's LiaisonID,
	// with the answer of the message that asked for it; it returns the contact as it was.
	// ErrNotFound for a contact never bound.
	Unbind(ctx context.Context, contactID string, a Answer) (Contact, error)
	// PutGroup binds a group, replacing an earlier binding of the same group, with the
	// answer of the message that asked for it.
	PutGroup(ctx context.Context, g Group, a Answer) error
	// Group returns a bound group, or ErrNotFound.
	Group(ctx context.Context, id string) (Group, error)
	// Groups returns every bound group, ordered by ID.
	Groups(ctx context.Context) ([]Group, error)
	// AddBindFailure records a wrong invite code sent by a contact, with the answer of the
	// message that carried it.
	AddBindFailure(ctx context.Context, contactID string, at time.Time, a Answer) error
	// BindFailures counts a contact's wrong codes at or after since.
	BindFailures(ctx context.Context, contactID string, since time.Time) (int, error)
	// Audit appends an entry to the audit log.
	Audit(ctx context.Context, e AuditEntry) error
	// AuditLog returns the entries at or after since, oldest first.
	AuditLog(ctx context.Context, since time.Time) ([]AuditEntry, error)
	// SetContactDetails sets a contact's Person and Mobile, with the answer of the message
	// that gave them, and returns the contact as stored; ErrNotFound for a contact never
	// bound.
	SetContactDetails(ctx context.Context, contactID, person, mobile string, a Answer) (Contact, error)
}

// Ledger is what progress figures and exports read.
type Ledger interface {
	// LatestHeads returns, for each enterprise with a submission in a period at or before
	// upTo (e.g. 2026-11), the head of the latest version of its latest such period, keyed
	// by enterprise ID.
	LatestHeads(ctx context.Context, upTo string) (map[string]Head, error)
}

// Outbox is the persistent queue of messages to send, shared by everything that sends.
type Outbox interface {
	// Enqueue adds messages; one whose ID is already queued (or sent) is left as it is.
	Enqueue(ctx context.Context, msgs []OutboxMessage) error
	// Pending returns up to limit unsent messages of an account: the urgent ones first, each
	// part oldest first.
	Pending(ctx context.Context, account string, limit int) ([]OutboxMessage, error)
	// MarkSent records a send: at its time when sendErr is "", else one more failed attempt
	// with the error kept (the message stays pending). A Forget message sent is forgotten.
	MarkSent(ctx context.Context, id string, at time.Time, sendErr string) error
	// MarkFailed gives a pending message up for good, with the reason: it leaves the queue for
	// the record of failures. A message sent or given up already is left as it is.
	MarkFailed(ctx context.Context, id string, at time.Time, reason string) error
	// Sent returns the messages sent at or after since, oldest first (the record of sends).
	Sent(ctx context.Context, since time.Time) ([]OutboxMessage, error)
	// Failed returns the messages given up at or after since, oldest first.
	Failed(ctx context.Context, since time.Time) ([]OutboxMessage, error)
	// ClaimReminder claims a reminder occurrence, keyed by deadline, occurrence and lead, and
	// queues its messages in the same atomic write. It returns false, queueing nothing, when
	// the key was claimed before, by this process or any other sharing the store.
	ClaimReminder(ctx context.Context, key string, at time.Time, msgs []OutboxMessage) (bool, error)
}

// ErrNotEmpty is Dumper.Import's refusal of a store that holds records: importing into a live
// store would merge two histories.
var ErrNotEmpty = errors.New("the store holds data")

// Dumper is a store that can be copied whole: what `innobot migrate` uses on both sides, so
// that it needs to know nothing of a backend's keys or encodings.
type Dumper interface {
	// Export returns every record of the store. It reads one consistent moment where the
	// backend can (a backend that cannot says so, and its writers must be stopped first).
	Export(ctx context.Context) (Dump, error)
	// Import writes every record of a Dump into an empty store, or returns ErrNotEmpty
	// (wrapped) and writes nothing. It keeps records exactly as given: session versions,
	// submission versions, times, used codes, sent messages and reminder claims, so that the
	// store goes on as the exported one would have. Indexes (the ledger's heads) are rebuilt
	// from the records.
	Import(ctx context.Context, d Dump) error
}

// Dump is every record of a store, by kind: what Dumper exports and imports.
type Dump struct {
	// Enterprises carry their LiaisonID.
	Enterprises []Enterprise
	// Contacts are every contact ever bound, with their roles.
	Contacts []Contact
	// Invites include used ones, so that a used code stays used.
	Invites []Invite
	// Groups keep their account, which must send to them.
	Groups []Group
	// Sessions keep their Version, so a turn read before the migration is still refused.
	Sessions []Session
	// Drafts are the answers people gave and did not submit yet: the records a migration
	// must not lose above all.
	Drafts []Draft
	// Submissions are ordered by enterprise, period and version.
	Submissions []Submission
	// Audit is oldest first, entries of one instant in the order they were added.
	Audit []AuditEntry
	// Outbox is every message, queued, sent or given up, in the order it was queued:
	// importing them in this order keeps the order of messages pending at one instant.
	Outbox []OutboxMessage
	// Claims keep reminders that went out from going out again.
	Claims []Claim
	// Handled keeps messages answered before from being answered again on re-delivery: the
	// ids of every message whose answer was stored, with their times.
	Handled []Handled
	// BindFailures keep the limit on wrong codes counting across the migration.
	BindFailures []BindFailure
	// WrongCodes keep the city-wide budget of wrong codes counting, oldest first.
	WrongCodes []BindFailure
	// BindLocks keep contacts barred from binding barred, ordered by contact.
	BindLocks []BindLock
	// MonthlyNotes are what the offices wrote for their monthly reports.
	MonthlyNotes []MonthlyNote
	// Identities keep people and groups recognised by the transport across the migration:
	// without them everyone would have to bind again. Ordered by account, then ID.
	Identities []Identity
}

// Claim is a claimed reminder occurrence.
type Claim struct {
	Key string    // the occurrence, as Outbox.ClaimReminder names it
	At  time.Time // when it was claimed
}

// Handled is a message id handled, with when: PruneHandled forgets ids by that time. A backend
// may keep the time to less than a nanosecond's precision (Redis: a microsecond).
type Handled struct {
	ID string
	At time.Time
}

// BindFailure is a wrong invite code sent by a contact.
type BindFailure struct {
	ContactID string
	At        time.Time // the limit counts failures in a window before now
}

// KindCount is how many records of a kind a Dump holds.
type KindCount struct {
	Kind string // in words, for people reading a migration's report
	N    int
}

// Counts lists the number of records of each kind, in a fixed order, for a migration to
// print and to compare between source and destination.
func (d Dump) Counts() []KindCount {
	pending, sent, failed := 0, 0, 0
	for _, m := range d.Outbox {
		switch {
		case !m.FailedAt.IsZero():
			failed++
		case m.SentAt.IsZero():
			pending++
		default:
			sent++
		}
	}
	liaisons := 0
	for _, e := range d.Enterprises {
		if e.LiaisonID != "" {
			liaisons++
		}
	}
	roles := 0
	for _, c := range d.Contacts {
		if c.Role != RoleNone {
			roles++
		}
	}
	return []KindCount{
		{"enterprises", len(d.Enterprises)},
		{"enterprises with a liaison", liaisons},
		{"contacts", len(d.Contacts)},
		{"contacts with a role", roles},
		{"invites", len(d.Invites)},
		{"groups", len(d.Groups)},
		{"sessions", len(d.Sessions)},
		{"drafts", len(d.Drafts)},
		{"submissions", len(d.Submissions)},
		{"audit entries", len(d.Audit)},
		{"outbox pending", pending},
		{"outbox sent", sent},
		{"outbox failed", failed},
		{"reminder claims", len(d.Claims)},
		{"handled message ids", len(d.Handled)},
		{"bind failures", len(d.BindFailures)},
		{"wrong codes", len(d.WrongCodes)},
		{"bind locks", len(d.BindLocks)},
		{"monthly notes", len(d.MonthlyNotes)},
		{"identities", len(d.Identities)},
	}
}
