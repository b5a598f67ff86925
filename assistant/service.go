// Package assistant is the assistant that serves liaisons' surveys and the offices' commands
// over any bot.Transport: it binds people with invite codes, walks liaisons through the survey
// one question at a time, and answers staff from one command table of roles and scopes. Serve
// its Handler with a bot.Router.
package assistant

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"innobot/bot"
	"innobot/dialog"
	"innobot/internal/sanitize"
	"innobot/invite"
	"innobot/period"
	"innobot/storage"
	"innobot/survey"
)

// MaxMessageRunes is the longest message read; longer ones are refused whole, since a paste of
// that size is never an answer to one question.
const MaxMessageRunes = 2000

// Store is what the service reads and writes: all but the transport's and the outbox's
// sending side. Each write made for a message stores the message's answer
// (bot.Replier.Answer) in the same transaction.
type Store interface {
	storage.Store
	storage.Registry
	storage.Ledger
	storage.BindGuard
	storage.Notes
	storage.InviteAdmin
	Enqueue(ctx context.Context, msgs []storage.OutboxMessage) error
}

// Service answers the people innobot talks to: it binds contacts with invite codes and walks
// liaisons through the survey. Build its handler with Handler and serve it with a bot.Router,
// which reads what the service needs of each message's sender (bot.TurnFrom).
type Service struct {
	Store    Store
	Form     *survey.Form
	Clock    bot.Clock
	Location *time.Location
	// Periods says which month a moment reports for; the zero Rule is the policy's 5th on
	// China's wall clock, without days off.
	Periods period.Rule
	// Regions are the reporting units (县（市、区）) in report order.
	Regions []string
	// InviteTTL is how long a code made in chat stays valid.
	InviteTTL time.Duration
	// ExportDir is where exported spreadsheets are written before they are sent; Maintain
	// deletes them once they are ExportKeep old (0: DefaultExportKeep), for they hold phone
	// numbers and answers.
	ExportDir  string
	ExportKeep time.Duration
	// Nudge queues 提醒 未填报 nudges; nil when no deadlines are configured.
	Nudge NudgeFunc
	// Account names the bot account this service answers for, kept with each contact and
	// group so that messages to them go out through it.
	Account string
	// BotName and Prefix decide which group messages are for the bot: those that @-mention
	// it or start with the prefix.
	BotName string
	Prefix  string
	// FloodLimit is the most messages a contact may send in a minute (FloodLimit for WeChat);
	// 0 turns the limit off, as the simulator does for programs that drive it fast.
	FloodLimit int
	// Key hashes invite codes: a code is looked up by its keyed hash only.
	Key invite.Key
	// WrongCodeBudget is how many codes matching nothing the whole city may send in an hour
	// before everyone who sent one is barred from binding for a day (0: the default, 100).
	WrongCodeBudget int
	Log             *slog.Logger

	mu      sync.Mutex
	tries   map[string]tries         // by contact id
	imports map[string]pendingImport // by contact id: lists waiting for 确认导入
	// answered are the unbound contacts and groups answered today (answeredDay), in memory:
	// after a restart a stranger may get one more reply that day.
	answered    map[string]bool
	answeredDay string
}

// tries counts failed replies to one question; it lives in memory because a bad reply must
// change nothing stored.
type tries struct {
	cursor string
	n      int
}

// Handler returns the service's handler: the command table, which hands what is no command
// to the survey (liaisons), the welcome (unbound people) or a hint (staff), behind middleware
// that a message passes in the order listed, so that no handler sees a message it should not.
func (s *Service) Handler() bot.Handler {
	mux := newCommandMux(s, s.commandTable(), nil)
	staff := bot.HandlerFunc(mux.staffUnknown)
	mux.fallback = &roleMux{
		unbound: bot.HandlerFunc(s.welcome),
		roles: map[storage.Role]bot.Handler{
			storage.RoleLiaison:    bot.HandlerFunc(s.liaison),
			storage.RoleHelper:     staff,
			storage.RoleCounty:     staff,
			storage.RoleCityOffice: staff,
		},
	}
	return bot.Chain(mux,
		s.groupFilter,                     // group messages not addressed to the bot stop here
		limitFlood(s.Clock, s.FloodLimit), // a sender past the limit stops here
		s.identify,                        // who sent it, from stored bindings: ContactFrom, GroupFrom
		s.quietUnbound,                    // strangers answered once a day
		s.limits,                          // pictures, voice, overlong text answered here
		s.files,                           // files read by the sender's role
	)
}

// quietUnbound answers an unbound stranger, or a group nobody bound, once a day: the first
// reply says how to bind, the rest would only spend the account's sends (and its standing with
// WeChat) on people who cannot use the bot yet. Binding, and a message that tries to, is
// always answered.
func (s *Service) quietUnbound(next bot.Handler) bot.Handler {
	return bot.HandlerFunc(func(ctx context.Context, w bot.Replier, m *bot.Message) error {
		var key string
		switch {
		case strings.HasPrefix(survey.Normalize(m.Text), "绑定"):
		case m.Group != "" && GroupFrom(ctx) == nil:
			key = "group " + m.Group
		case m.Group == "" && ContactFrom(ctx).Role == storage.RoleNone:
			key = "contact " + m.From
		}
		if key == "" {
			return next.ServeMessage(ctx, w, m)
		}
		return next.ServeMessage(ctx, &onceADay{Replier: w, allow: func() bool { return s.firstToday(key) }}, m)
	})
}

// onceADay lets a handler's replies through only when allow says so, asked once per message.
type onceADay struct {
	bot.Replier
	allow   func() bool
	decided bool
	ok      bool
}

func (o *onceADay) pass() bool {
	if !o.decided {
		o.decided, o.ok = true, o.allow()
	}
	return o.ok
}

// Reply sends text when the day's reply is still free.
func (o *onceADay) Reply(text string) {
	if o.pass() {
		o.Replier.Reply(text)
	}
}

// ReplyFile sends a file when the day's reply is still free.
func (o *onceADay) ReplyFile(path string) {
	if o.pass() {
		o.Replier.ReplyFile(path)
	}
}

// firstToday reports whether key has not been answered today (and counts this answer).
func (s *Service) firstToday(key string) bool {
	loc := s.Location
	if loc == nil {
		loc = time.UTC
	}
	day := s.Clock.Now().In(loc).Format(time.DateOnly)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.answered == nil || s.answeredDay != day {
		s.answered, s.answeredDay = map[string]bool{}, day
	}
	if s.answered[key] {
		return false
	}
	s.answered[key] = true
	return true
}

// limits refuses what is not an answer: other kinds of message (each with a short reply that
// says what to do instead) and overlong text.
func (s *Service) limits(next bot.Handler) bot.Handler {
	return bot.HandlerFunc(func(ctx context.Context, w bot.Replier, m *bot.Message) error {
		switch {
		case m.Kind == bot.KindFile && m.Group == "":
			return next.ServeMessage(ctx, w, m) // read by files, once the sender is known
		case m.Kind != "" && m.Kind != bot.KindText:
			if m.Group == "" {
				s.notText(ctx, w, m)
			}
		case !utf8.ValidString(m.Text):
			w.Reply("消息里有无法识别的字符，请重新输入。")
		case utf8.RuneCountInString(m.Text) > MaxMessageRunes:
			w.Reply(fmt.Sprintf("消息太长（超过 %d 字），请精简后再发，或分几次回答。", MaxMessageRunes))
		default:
			return next.ServeMessage(ctx, w, m)
		}
		return nil
	})
}

// RecallText answers a liaison who recalls a message during the survey: WeChat's 撤回 removes
// the message from the chat, not the answer it gave.
const RecallText = "撤回消息不会撤销已记下的答案。要改刚才那题，回复“上一题”；改其他题回复“修改 N”（题号见“查看”，例如 修改 3）。"

// notText answers a private message that is not text.
func (s *Service) notText(ctx context.Context, w bot.Replier, m *bot.Message) {
	switch m.Kind {
	case bot.KindImage:
		w.Reply("收到图片，谢谢。我只能看懂文字，请直接打字回复。")
	case bot.KindVoice:
		w.Reply("收到语音，谢谢。我暂时听不了语音，请打字回复。")
	case bot.KindRecall:
		if s.surveying(ctx) {
			w.Reply(RecallText)
		}
	default:
		w.Reply("暂时只能识别文字消息，请用文字回复。")
	}
}

// surveying reports whether the sender is a liaison in the middle of the survey.
func (s *Service) surveying(ctx context.Context) bool {
	st := bot.TurnFrom(ctx)
	return st.Contact.Role == storage.RoleLiaison && dialog.Surveying(st.Session)
}

// groupFilter lets through only group messages addressed to the bot, with the address
// removed, so handlers read the same text in a group as in a private chat.
func (s *Service) groupFilter(next bot.Handler) bot.Handler {
	return bot.HandlerFunc(func(ctx context.Context, w bot.Replier, m *bot.Message) error {
		if m.Group == "" {
			return next.ServeMessage(ctx, w, m)
		}
		// Full-width ＠ and ＃, as a Chinese keyboard types them, address the bot too.
		text := survey.Normalize(m.Text)
		at, prefix := survey.Normalize("@"+s.BotName), survey.Normalize(s.Prefix)
		switch {
		case strings.Contains(text, at):
			text = strings.ReplaceAll(text, at, "")
		case m.Mentioned:
		case prefix != "" && strings.HasPrefix(text, prefix):
			text = strings.TrimPrefix(text, prefix)
		default:
			return nil
		}
		m.Text = strings.Trim(text, " \u2005\u00a0")
		return next.ServeMessage(ctx, w, m)
	})
}

type contactKey struct{}

type groupKey struct{}

// ContactFrom returns the contact the identify middleware found for the message.
func ContactFrom(ctx context.Context) storage.Contact {
	c, _ := ctx.Value(contactKey{}).(storage.Contact)
	return c
}

// GroupFrom returns the bound group a message came from, or nil (a private chat, or a group
// nobody bound yet).
func GroupFrom(ctx context.Context) *storage.Group {
	g, _ := ctx.Value(groupKey{}).(*storage.Group)
	return g
}

// identify finds who sent the message, as the router read it; roles come from stored
// bindings only, never from a display name.
func (s *Service) identify(next bot.Handler) bot.Handler {
	return bot.HandlerFunc(func(ctx context.Context, w bot.Replier, m *bot.Message) error {
		// Names are chosen by the people themselves and end up in replies, the audit and
		// exported files: no control character or terminal escape gets that far.
		m.FromName, m.GroupName = sanitize.Line(m.FromName), sanitize.Line(m.GroupName)
		c := bot.TurnFrom(ctx).Contact
		if c.ID == "" {
			c = storage.Contact{ID: m.From}
		}
		if c.Name == "" {
			c.Name = m.FromName
		}
		ctx = context.WithValue(ctx, contactKey{}, c)
		if m.Group != "" {
			g, err := s.Store.Group(ctx, m.Group)
			switch {
			case err == nil:
				ctx = context.WithValue(ctx, groupKey{}, &g)
			case !errors.Is(err, storage.ErrNotFound):
				return fmt.Errorf("load group %s: %w", m.Group, err)
			}
		}
		return next.ServeMessage(ctx, w, m)
	})
}

// roleMux picks the handler for the contact's role, like http.ServeMux picks one for a path.
type roleMux struct {
	unbound bot.Handler
	roles   map[storage.Role]bot.Handler
}

// ServeMessage hands the message to the handler of the sender's role.
func (x *roleMux) ServeMessage(ctx context.Context, w bot.Replier, m *bot.Message) error {
	if h, ok := x.roles[ContactFrom(ctx).Role]; ok {
		return h.ServeMessage(ctx, w, m)
	}
	return x.unbound.ServeMessage(ctx, w, m)
}

const welcomeText = "您好，我是运城市企业技术创新全覆盖工作的填报助手。\n" +
	"企业科技创新联络人请先绑定：发送“绑定 邀请码”，例如 绑定 " + invite.Example + "。\n" +
	"邀请码由所在县（市、区）工作人员提供。"

func (s *Service) welcome(ctx context.Context, w bot.Replier, m *bot.Message) error {
	if m.Group != "" {
		s.groupHint(ctx, w)
		return nil
	}
	if rest, ok := strings.CutPrefix(survey.Normalize(m.Text), "绑定"); ok {
		// Not code-shaped (parseBind said so): a typo, not a guess, so no wrong try is counted.
		if rest = strings.Trim(rest, " :："); rest != "" && utf8.RuneCountInString(rest) <= 20 {
			w.Reply(fmt.Sprintf("“%s”不是邀请码。邀请码是 %d 位字母和数字（不含 0、1、I、L、O），例如：绑定 %s。请核对后重发，或向县（市、区）工作人员索取。", rest, invite.Length, invite.Example))
			return nil
		}
		w.Reply(fmt.Sprintf("请在“绑定”后面加上邀请码，例如：绑定 %s。邀请码是 %d 位字母和数字，由县（市、区）工作人员提供。", invite.Example, invite.Length))
		return nil
	}
	w.Reply(welcomeText)
	return nil
}

// groupHint answers a group message that is no command: what the group can ask.
func (s *Service) groupHint(ctx context.Context, w bot.Replier) {
	if GroupFrom(ctx) == nil {
		w.Reply(fmt.Sprintf("填报调查表请私聊我。本群还没有绑定地区，请县（市、区）工作人员发送：@%s 绑定本群 地区名", s.BotName))
		return
	}
	w.Reply(fmt.Sprintf("填报调查表请私聊我。在群里可以 @%s 进度、@%s 未填报、@%s 帮助。", s.BotName, s.BotName, s.BotName))
}

// bind binds the sender with the code they sent (Request.Args): the 绑定 command, open to
// everyone. A refused code is answered and counted with the answer, in one write (refuse); a
// binding is one write with everything it owes: the contact's role, the code used up, the
// session and the replies and notices (redeem).
func (s *Service) bind(ctx context.Context, w bot.Replier, req *Request) error {
	m, c, code := req.Msg, req.Contact, req.Args
	_, shape := invite.Parse(code)
	now := s.Clock.Now()
	if m.Group != "" {
		s.bindInGroup(ctx, w, m, c, code, shape, now)
		return nil
	}
	// A barred contact's code is not even looked at, so it counts as no wrong code. The
	// audit records the first such try of the day, so that an inspector sees who kept on,
	// and not the rest: a barred sender typing codes all day must not grow the log for ever.
	wait, err := s.barred(ctx, c.ID, now)
	if err != nil {
		return s.bindFailed(ctx, m, c, err)
	}
	if wait != "" {
		w.Reply(wait)
		if s.firstToday("barred:" + c.ID) {
			s.auditBind(ctx, m, c, storage.OutcomeRefused, "", "绑定暂停期间发来邀请码，未核对（当天只记第一次）")
		}
		return nil
	}
	var r storage.Redeemed
	if shape == invite.Retired {
		err = errRetiredCode
	} else {
		r, err = s.redeem(ctx, w, c, code, now)
	}
	if refusal, why := bindRefusal(err); refusal != "" {
		s.auditBind(ctx, m, c, storage.OutcomeRefused, "", why)
		s.refuse(ctx, w, m, c, refusal, errors.Is(err, storage.ErrInviteUnknown), now)
		return nil
	}
	if err != nil {
		return s.bindFailed(ctx, m, c, fmt.Errorf("redeem: %w", err))
	}
	w.Answered()
	if r.Contact.ID == "" {
		return nil // the message was handled before: its binding and answer are stored
	}
	s.resetTries(c.ID)
	s.auditBound(ctx, m, r)
	return nil
}

// redeem binds c with the code, storing with it the replies to the binding and the session it
// leaves a new liaison in (asked for their name and mobile): they depend on what the binding
// did, and the notices to whom a change of liaison concerns are among the replies. What they
// need of the store is read first, since the store makes them inside its write.
func (s *Service) redeem(ctx context.Context, w bot.Replier, c storage.Contact, code string, now time.Time) (storage.Redeemed, error) {
	contacts, err := s.Store.Contacts(ctx)
	if err != nil {
		return storage.Redeemed{}, fmt.Errorf("list contacts: %w", err)
	}
	sess := bot.TurnFrom(ctx).Session
	return s.Store.Redeem(ctx, s.Key.Hash(code), storage.Contact{ID: c.ID, Name: c.Name, Account: s.Account}, now,
		func(r storage.Redeemed) (storage.Answer, *storage.Session) {
			w.Reset()
			next := s.bound(w, r, sess, contacts, now)
			return w.Answer(), next
		})
}

// bindRefusal is the reply to a code refused (and what the audit says of it), or "" for an
// error that is no refusal.
func bindRefusal(err error) (reply, why string) {
	switch {
	case errors.Is(err, errRetiredCode):
		return "6 位数字的旧邀请码已停用。请向县（市、区）工作人员索取新的邀请码（8 位字母和数字）。", "旧的 6 位邀请码"
	case errors.Is(err, storage.ErrInviteUnknown):
		return "邀请码不正确，请核对后重新发送，例如：绑定 " + invite.Example + "。邀请码由县（市、区）工作人员提供。", "邀请码不正确"
	case errors.Is(err, storage.ErrInviteUsed):
		return "这个邀请码已经用过了。请向县（市、区）工作人员索取新的邀请码。", "邀请码已用过"
	case errors.Is(err, storage.ErrInviteExpired):
		return "这个邀请码已过期。请向县（市、区）工作人员索取新的邀请码。", "邀请码已过期"
	case errors.Is(err, storage.ErrInviteRevoked):
		return "这个邀请码已作废（已为您生成过新的邀请码，或被工作人员收回）。请使用最新的邀请码，或向县（市、区）工作人员索取。", "邀请码已作废"
	}
	return "", ""
}

// bindFailed audits a binding that failed on our side, and returns its error.
func (s *Service) bindFailed(ctx context.Context, m *bot.Message, c storage.Contact, err error) error {
	s.auditBind(ctx, m, c, storage.OutcomeFailed, "", "")
	return fmt.Errorf("binding: %w", err)
}

// auditBind records an attempt to bind. The code itself is never recorded: a near miss in the
// log would give most of a live code to whoever reads it.
func (s *Service) auditBind(ctx context.Context, m *bot.Message, c storage.Contact, outcome storage.Outcome, target, detail string) {
	s.audit(ctx, m, c, storage.AuditEntry{Action: "bind", Target: target, Outcome: outcome, Detail: detail})
}

// bound answers a binding that succeeded and tells whom it concerns (contacts are every
// contact, read before the binding). A new liaison is asked their name and mobile
// (dialog.Bound, from their session sess): bound returns the session that leaves them in, nil
// for other roles.
func (s *Service) bound(w bot.Replier, r storage.Redeemed, sess storage.Session, contacts []storage.Contact, now time.Time) *storage.Session {
	c := r.Contact
	if c.Role != storage.RoleLiaison || r.Enterprise == nil {
		w.Reply(fmt.Sprintf("绑定成功：您是%s。回复“帮助”查看可用指令。", c.RoleName()))
		return nil
	}
	e := *r.Enterprise
	conv := dialog.Conversation{Form: s.Form, Enterprise: e, Contact: r.Contact, Session: sess, Location: s.Location}
	res := dialog.Bound(conv, now)
	w.Reply(fmt.Sprintf("绑定成功：您是【%s】（%s）的科技创新联络人。\n%s", e.Name, e.Region, strings.Join(res.Replies, "\n")))
	if r.Replaced != nil && r.Replaced.ID != c.ID {
		for _, out := range s.handoverNotices(e, *r.Replaced, c, contacts, now) {
			w.Send(out)
		}
	}
	return &res.Session
}

// auditBound audits a binding that succeeded.
func (s *Service) auditBound(ctx context.Context, m *bot.Message, r storage.Redeemed) {
	c := r.Contact
	if c.Role != storage.RoleLiaison || r.Enterprise == nil {
		s.auditBind(ctx, m, c, storage.OutcomeOK, inviteScope(r.Invite), "绑定为"+c.RoleName())
		return
	}
	detail := "绑定为" + c.RoleName()
	if r.Replaced != nil && r.Replaced.ID != c.ID {
		detail = fmt.Sprintf("更换联络人：原 %s → 新 %s", personLabel(*r.Replaced), personLabel(c))
	}
	s.auditBind(ctx, m, c, storage.OutcomeOK, Target{Enterprise: r.Enterprise}.label(Scope{}), detail)
}

// personLabel names a contact in the audit: display name and id.
func personLabel(c storage.Contact) string {
	if c.Name == "" || c.Name == c.ID {
		return c.ID
	}
	return c.Name + "（" + c.ID + "）"
}

// inviteScope names what a code gives in the audit: a region, the city, or the enterprises of
// a helper.
func inviteScope(inv storage.Invite) string {
	switch inv.Role {
	case storage.RoleCounty:
		return inv.Region
	case storage.RoleCityOffice:
		return "全市"
	case storage.RoleHelper:
		return strings.Join(inv.EnterpriseIDs, "、")
	}
	return inv.EnterpriseID
}

// errRetiredCode is a 6-digit code: refused without a look-up (invite.Retired).
var errRetiredCode = errors.New("retired 6-digit invite code")

func (s *Service) resetTries(contact string) {
	s.mu.Lock()
	delete(s.tries, contact)
	s.mu.Unlock()
}

// triesAt returns the failed tries at the contact's cursor.
func (s *Service) triesAt(contact, cursor string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if t := s.tries[contact]; t.cursor == cursor {
		return t.n
	}
	return 0
}

func (s *Service) countFailure(contact, cursor string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tries == nil {
		s.tries = map[string]tries{}
	}
	t := s.tries[contact]
	if t.cursor != cursor {
		t = tries{cursor: cursor}
	}
	t.n++
	s.tries[contact] = t
}

// conflictRetries bounds how often a turn is run again after another write won the race.
const conflictRetries = 3

// liaison runs one survey turn: load, think (dialog), one atomic write, then reply.
func (s *Service) liaison(ctx context.Context, w bot.Replier, m *bot.Message) error {
	if m.Group != "" {
		w.Reply("填报请私聊我，发送“填报”。")
		return nil
	}
	return s.converse(ctx, w, m, func(conv dialog.Conversation, now time.Time) dialog.Result {
		return dialog.Handle(conv, m.Text, now)
	})
}

// converse runs one survey turn of the message's sender, computed by handle on what the router
// read, and stores what it changes with its reply in one write: the one path by which a
// liaison's text and a liaison's file change what is stored.
func (s *Service) converse(ctx context.Context, w bot.Replier, m *bot.Message, handle func(dialog.Conversation, time.Time) dialog.Result) error {
	c, st := ContactFrom(ctx), bot.TurnFrom(ctx)
	for range conflictRetries {
		err := s.turn(ctx, w, c, st, handle)
		switch {
		case err == nil:
			return nil
		case !errors.Is(err, storage.ErrConflict):
			return fmt.Errorf("survey turn: %w", err)
		}
		// Another write won the race: read again and run the turn on what it wrote.
		if st, err = s.Store.LoadTurn(ctx, m.From, m.ID); err != nil {
			return fmt.Errorf("survey turn: %w", err)
		}
		if st.Handled {
			w.Answered() // another process handled this very message
			return nil
		}
	}
	return errors.New("survey turn: kept conflicting")
}

// turn runs handle on st and stores what it changes with its reply. It returns
// storage.ErrConflict, the reply dropped, when another write changed the session or took the
// submission's version since st was read.
func (s *Service) turn(ctx context.Context, w bot.Replier, c storage.Contact, st storage.TurnState, handle func(dialog.Conversation, time.Time) dialog.Result) error {
	e := st.Enterprise
	if e.ID == "" {
		return fmt.Errorf("enterprise %s of liaison %s: %w", c.EnterpriseID, c.ID, storage.ErrNotFound)
	}
	sess := st.Session
	if sess.EnterpriseID != "" && sess.EnterpriseID != e.ID {
		// The contact now serves another enterprise: the old conversation does not apply.
		sess = storage.Session{ContactID: c.ID, Version: sess.Version}
	}
	now := s.Clock.Now()
	conv := dialog.Conversation{
		Form: s.Form, Enterprise: e, Contact: c, Session: sess,
		Period: s.Periods.Of(now), Location: s.Location, Submissions: st.History,
	}
	period := sess.Period
	if period == "" {
		period = conv.Period
	}
	for i := range st.Drafts {
		if st.Drafts[i].Period == period {
			conv.Draft = &st.Drafts[i]
		}
	}
	conv.Tries = s.triesAt(c.ID, sess.Cursor)
	res := handle(conv, now)
	if res.Failed {
		s.countFailure(c.ID, sess.Cursor)
	}
	// One message per turn: WeChat paces every send, and a note ("已记：…") belongs with the
	// question that follows it.
	w.Reset()
	w.Reply(strings.Join(res.Replies, "\n\n"))
	if !res.Commit {
		return nil // the router stores the reply
	}
	if d := res.Details; d != nil {
		// Before the turn: should the turn then fail, the liaison sends the details again.
		if _, err := s.Store.SetContactDetails(ctx, c.ID, d.Person, d.Mobile, storage.Answer{}); err != nil {
			w.Reset()
			return fmt.Errorf("contact details: %w", err)
		}
	}
	t := storage.Turn{Answer: w.Answer(), Session: res.Session, Draft: res.Draft, Submission: res.Submission}
	t.Session.Version = sess.Version
	if res.DropDraft {
		t.DropDraft = &storage.DraftKey{EnterpriseID: e.ID, Period: period}
		if res.Submission != nil {
			t.DropDraft.Period = res.Submission.Period
		}
	}
	if err := s.Store.CommitTurn(ctx, t); err != nil {
		w.Reset()
		return fmt.Errorf("commit turn: %w", err)
	}
	w.Answered()
	if !res.Failed {
		s.resetTries(c.ID)
	}
	return nil
}
