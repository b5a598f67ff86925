package assistant

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"innobot/bot"
	"innobot/ledger"
	"innobot/storage"
	"innobot/survey"
)

// roleGroup is the role a bound group chat acts in: its region, without phone numbers.
const roleGroup storage.Role = "group"

// chat says where a command may be used.
type chat int

const (
	privateOnly chat = iota
	groupOnly
	anyChat
)

// targetKind says what a command's argument names.
type targetKind int

const (
	noTarget       targetKind = iota
	optionalRegion            // 进度 [地区]
	requireRegion             // 绑定本群 <地区>
	requireCompany            // 邀请码 <企业名>
)

// Request is a command that passed the scope check: handlers act within Scope and never
// check rights themselves.
type Request struct {
	Msg     *bot.Message
	Contact storage.Contact
	Group   *storage.Group // the bound group, for group messages
	Scope   Scope          // the caller's scope narrowed to the target
	Target  Target
	Args    string // the text after the command word
	// Month is the period the command is about: the month the line named, else the one
	// being reported now.
	Month string

	// detail replaces the command's text in its audit entry, for a handler that knows more
	// (the regions a group rebinding moves between).
	detail string
}

// command is one entry of the command table.
type command struct {
	// name is how the command is written in help and replies.
	name string
	// keys are the sets of keywords (staffKeywords) that name the command in a line, in any
	// order, among a region, a month and words that change nothing: {台账} and {导出, 台账}
	// name 导出 台账.
	keys [][]string
	// words are other ways to write a command that takes free text (its name is one), which
	// a line must start with: 查 and 查看 for 查询.
	words []string
	// match, when set, reads a line as this command in place of the staff parser, which
	// never sees the command: ok is false for a line that is not it, and args is what the
	// command takes (the code of 绑定 K7WQM3PA).
	match func(text string) (args string, ok bool)
	// freeText: the command takes the rest of the line as it is (月报 进展 …).
	freeText bool
	// month: the command takes a month (导出 台账 2026年11月).
	month bool
	// details: the command sets the sender's 填表人 and 联系方式; a command that waited for
	// them runs once it has.
	details bool
	// personal: the command is about the person who sends it, not the chat, so their own
	// role must allow it, in a group too (绑定本群, 绑定).
	personal bool
	roles    []storage.Role
	where    chat
	target   targetKind
	audit    string // the audit action recorded when it runs; "" records nothing
	help     string
	// run carries the command out and replies. It returns nil when done, a refusal when it
	// told the person why it did nothing, and any other error when something failed on our
	// side (the person is then told to try again, and the error is logged).
	run func(ctx context.Context, w bot.Replier, r *Request) error
}

// refusal is what a command returns when it answered the person that it will not do what was
// asked; its outcome goes into the audit ("" for a mistyped argument, which is not audited).
type refusal struct {
	outcome storage.Outcome
	reason  string
}

func (r refusal) Error() string { return r.reason }

// refuse returns a refusal with the outcome to audit.
func refuse(outcome storage.Outcome, reason string) error { return refusal{outcome, reason} }

// errBadArgs is returned by a command that found its arguments wrong and said how to write
// them: nothing was attempted, so nothing is audited.
var errBadArgs = refusal{reason: "bad arguments"}

// pick is a numbered list of enterprises waiting for the staff member to choose one, for the
// command line that named them (its month kept).
type pick struct {
	line    staffLine
	choices []storage.Enterprise
	expires time.Time
}

// pending are the commands that wait for the staff member's answer to a question they asked
// (the 填表人 of an export), run again once it comes: each export asked for meanwhile, once.
type pending struct {
	lines   []staffLine
	expires time.Time
}

// commandMux matches a message to a command and enforces who may use it, where, and on
// what: the one place rights are checked, like http.ServeMux is the one place paths are.
type commandMux struct {
	svc      *Service
	commands []*command
	parser   *staffParser
	fallback bot.Handler // messages that are not commands (the survey, the welcome)

	mu      sync.Mutex
	picks   map[string]pick    // by chat
	pending map[string]pending // by contact id
}

func newCommandMux(svc *Service, commands []*command, fallback bot.Handler) *commandMux {
	var staff []*command // the commands the staff parser reads
	for _, c := range commands {
		if c.match == nil {
			staff = append(staff, c)
		}
	}
	return &commandMux{svc: svc, commands: commands, parser: newStaffParser(staff, svc.Regions), fallback: fallback}
}

// ServeMessage runs the command the message names, or hands it to the fallback.
func (x *commandMux) ServeMessage(ctx context.Context, w bot.Replier, m *bot.Message) error {
	c := ContactFrom(ctx)
	g := GroupFrom(ctx)
	text := survey.Normalize(m.Text)
	role := c.Role
	if m.Group != "" {
		role = roleGroup
	}
	for _, cmd := range x.commands {
		if cmd.match == nil {
			continue
		}
		if args, ok := cmd.match(m.Text); ok {
			return x.serve(ctx, w, m, staffLine{cmd: cmd, args: args}, c, g, role)
		}
	}
	if line, ok := x.takePick(m.Chat(), text); ok {
		return x.serve(ctx, w, m, line, c, g, role)
	}
	if line, ok := x.takePending(m, c, text); ok {
		return x.serve(ctx, w, m, line, c, g, role)
	}
	if m.Group == "" && slices.Contains(importGoAheads, survey.Fold(text)) && x.svc.importWaiting(c.ID) {
		if cmd := x.named("确认导入"); cmd != nil {
			return x.serve(ctx, w, m, staffLine{cmd: cmd}, c, g, role)
		}
	}
	if m.Group == "" && c.Role == storage.RoleLiaison && strings.HasPrefix(survey.Fold(text), "导出") {
		// A liaison after their own table: no answer starts with 导出, and a question that
		// takes any text would keep it.
		w.Reply("导出表格是工作人员用的指令。要看本企业填的内容，回复“查看”；需要调查表文件，请向县（市、区）工作人员索取。")
		return nil
	}
	line, ok := x.parser.parse(m.Text, x.svc.period())
	switch {
	case !ok:
	case m.Group != "" && line.cmd.where == privateOnly:
		w.Reply(fmt.Sprintf("“%s”请私聊我使用。", line.cmd.name))
		return nil
	case m.Group == "" && line.cmd.where == groupOnly:
		w.Reply(fmt.Sprintf("“%s”要在群里 @%s 使用。", line.cmd.name, x.svc.BotName))
		return nil
	default:
		return x.serve(ctx, w, m, line, c, g, role)
	}
	return x.fallback.ServeMessage(ctx, w, m)
}

// serve checks the role and the target's scope, then runs the command. A command's failure on
// our side is audited and returned with the command's name.
func (x *commandMux) serve(ctx context.Context, w bot.Replier, m *bot.Message, line staffLine, c storage.Contact, g *storage.Group, role storage.Role) error {
	cmd, args := line.cmd, line.args
	if cmd.personal {
		role = c.Role
	}
	if !slices.Contains(cmd.roles, role) || (role == roleGroup && g == nil) {
		err := x.denyRole(ctx, w, m, cmd, c, g)
		if slices.Contains(staffRoles, c.Role) {
			// Staff are accountable for what they try; others' text was not a command to them.
			x.svc.auditCommand(ctx, &Request{Msg: m, Contact: c, Group: g, Args: args}, cmd, "", storage.OutcomeRefused)
		}
		return err
	}
	var scope Scope
	if role == roleGroup {
		scope = groupScope(*g)
	} else {
		scope, _ = scopeOf(c)
	}
	if line.problem != "" {
		w.Reply(line.problem)
		return nil
	}
	target, ok, err := x.resolve(ctx, w, m, line, scope)
	if !ok || err != nil {
		return err
	}
	month := line.month
	if month == "" {
		month = x.svc.period()
	}
	r := &Request{Msg: m, Contact: c, Group: g, Scope: scope.Narrow(target), Target: target, Args: args, Month: month}
	if !scope.Allows(target) {
		x.svc.auditCommand(ctx, r, cmd, target.label(scope), storage.OutcomeOutOfScope)
		x.svc.Log.Warn("out of scope", "contact", c.ID, "command", cmd.name, "args", args)
		switch {
		case target.Region == "" && target.Enterprise != nil:
			// The same words as for no match at all, so nobody learns what lies outside.
			w.Reply(notFoundText(scope, args))
		case cmd.target == requireRegion:
			w.Reply(fmt.Sprintf("您只能查看%s的情况。请发送：%s %s", scope.words(), cmd.name, scope.words()))
		default:
			w.Reply(fmt.Sprintf("您只能查看%s的情况。请直接发送“%s”，不写地区。", scope.words(), cmd.name))
		}
		return nil
	}
	err = cmd.run(ctx, w, r)
	if errors.As(err, new(needDetails)) {
		x.wait(c.ID, line)
		err = errBadArgs
	}
	var ref refusal
	switch {
	case errors.As(err, &ref):
		x.svc.auditCommand(ctx, r, cmd, target.label(r.Scope), ref.outcome)
		return nil
	case err != nil:
		x.svc.auditCommand(ctx, r, cmd, target.label(r.Scope), storage.OutcomeFailed)
		return fmt.Errorf("command %s: %w", cmd.name, err)
	}
	x.svc.auditCommand(ctx, r, cmd, target.label(r.Scope), storage.OutcomeOK)
	if cmd.details {
		// The answer commands waited for: run them now, as the person who now has details.
		if next := x.waiting(c.ID); len(next) > 0 {
			updated, err := x.svc.Store.Contact(ctx, c.ID)
			if err != nil {
				return fmt.Errorf("load contact %s: %w", c.ID, err)
			}
			for _, line := range next {
				if line.cmd.details {
					continue // 填表人 sent alone waited for this very answer
				}
				if err := x.serve(ctx, w, m, line, updated, g, role); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// denyRole answers a command the sender's role does not allow. Liaisons and unbound people
// are not told about staff commands: their text goes on to the survey or the welcome.
func (x *commandMux) denyRole(ctx context.Context, w bot.Replier, m *bot.Message, cmd *command, c storage.Contact, g *storage.Group) error {
	switch {
	case m.Group != "" && g == nil && cmd.where != groupOnly:
		w.Reply(fmt.Sprintf("本群还没有绑定地区。请县（市、区）工作人员在群里发送：@%s 绑定本群 地区名", x.svc.BotName))
	case m.Group != "" && cmd.where == groupOnly:
		w.Reply("只有县（市、区）或市领导小组办公室的工作人员可以绑定群。请先私聊我完成绑定。")
	case m.Group == "" && (c.Role == storage.RoleNone || c.Role == storage.RoleLiaison):
		return x.fallback.ServeMessage(ctx, w, m)
	default:
		w.Reply(fmt.Sprintf("您没有使用“%s”的权限。回复“帮助”查看可用指令。", cmd.name))
	}
	return nil
}

// resolve reads what the command names. It answers the person itself when the argument is
// missing, unknown or ambiguous, and returns ok false then.
func (x *commandMux) resolve(ctx context.Context, w bot.Replier, m *bot.Message, line staffLine, scope Scope) (_ Target, ok bool, _ error) {
	cmd, args := line.cmd, line.args
	switch cmd.target {
	case optionalRegion:
		return Target{Region: line.region, City: line.city}, true, nil
	case requireRegion:
		switch {
		case args == "":
			w.Reply(fmt.Sprintf("请在“%s”后写地区名，例如：%s %s", cmd.name, cmd.name, x.parser.example()))
			return Target{}, false, nil
		case line.city:
			w.Reply(fmt.Sprintf("“%s”要写一个县（市、区），例如：%s %s", cmd.name, cmd.name, x.parser.example()))
			return Target{}, false, nil
		}
		return Target{Region: line.region}, true, nil
	case requireCompany:
		if args == "" {
			w.Reply(fmt.Sprintf("请在“%s”后写企业名称（或其中几个字），例如：%s 钢铁", cmd.name, cmd.name))
			return Target{}, false, nil
		}
		all, err := x.svc.Store.Enterprises(ctx)
		if err != nil {
			return Target{}, false, fmt.Errorf("list enterprises: %w", err)
		}
		found := ledger.Find(all, args)
		inScope := scope.Filter(found)
		switch {
		case len(found) > 0 && len(inScope) == 0:
			// Named, but out of scope: the scope check answers and audits it.
			return Target{Enterprise: &found[0]}, true, nil
		case len(inScope) == 0:
			w.Reply(notFoundText(scope, args))
			return Target{}, false, nil
		case len(inScope) == 1:
			return Target{Enterprise: &inScope[0]}, true, nil
		}
		x.offerPick(w, m.Chat(), line, inScope)
		return Target{}, false, nil
	}
	return Target{}, true, nil
}

// staffUnknown answers staff text that is no command: the command it most likely meant, else
// where to find them all.
func (x *commandMux) staffUnknown(ctx context.Context, w bot.Replier, m *bot.Message) error {
	if m.Group != "" {
		x.svc.groupHint(ctx, w)
		return nil
	}
	text := strings.TrimSpace(m.Text)
	if c := ContactFrom(ctx); c.Role == storage.RoleCityOffice && strings.Contains(text, "导入") {
		// 导入名单, 怎么导入: the list comes as a file first.
		if x.svc.importWaiting(c.ID) {
			w.Reply("您发来的企业名单已检查，还没有导入。核对检查结果后回复“确认导入”。")
		} else {
			w.Reply("要导入企业名单，请把名单文件（.xlsx 或 .csv）直接发给我；我检查后会回复结果，核对无误再回复“确认导入”。")
		}
		return nil
	}
	if s := x.parser.suggest(text); s != "" {
		w.Reply(fmt.Sprintf("没有识别“%s”。您是不是想发送“%s”？回复“帮助”查看全部指令。", clip(text, 20), s))
		return nil
	}
	// An enterprise's name (or part of it) on its own: the clerk wants to look it up.
	if scope, ok := scopeOf(ContactFrom(ctx)); ok && utf8.RuneCountInString(text) >= 2 {
		all, err := x.svc.Store.Enterprises(ctx)
		if err != nil {
			return fmt.Errorf("list enterprises: %w", err)
		}
		if len(scope.Filter(ledger.Find(all, text))) > 0 {
			w.Reply(fmt.Sprintf("没有识别“%s”。要查看企业的填报情况，请发送：查询 %s", clip(text, 20), text))
			return nil
		}
	}
	w.Reply(fmt.Sprintf("没有识别“%s”。回复“帮助”查看全部指令，例如：进度、未填报、导出 台账。", clip(text, 20)))
	return nil
}

// clip shortens a text quoted back to its first n characters.
func clip(s string, n int) string {
	if rs := []rune(s); len(rs) > n {
		return string(rs[:n]) + "…"
	}
	return s
}

// needDetails is what a command returns when it asked the staff member for their 填表人 and
// 联系方式 first: the mux keeps the command and runs it again once they answer (填表人
// itself, sent alone, only waits for the answer).
type needDetails struct{}

func (needDetails) Error() string { return "waiting for the preparer's name and phone" }

// pendingTTL is how long a command waits for the answer to its question.
const pendingTTL = 10 * time.Minute

// wait keeps a command line to run again when the contact answers, with those already
// waiting unless their wait is over.
func (x *commandMux) wait(contact string, line staffLine) {
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.pending == nil {
		x.pending = map[string]pending{}
	}
	now := x.svc.Clock.Now()
	p := x.pending[contact]
	if now.After(p.expires) {
		p.lines = nil
	}
	if !slices.Contains(p.lines, line) {
		p.lines = append(p.lines, line)
	}
	x.pending[contact] = pending{lines: p.lines, expires: now.Add(pendingTTL)}
}

// waiting takes the command lines that wait for the contact's answer, if any.
func (x *commandMux) waiting(contact string) []staffLine {
	x.mu.Lock()
	defer x.mu.Unlock()
	p, ok := x.pending[contact]
	delete(x.pending, contact)
	if !ok || x.svc.Clock.Now().After(p.expires) {
		return nil
	}
	return p.lines
}

// takePending reads a bare "姓名 电话" sent while a command waits for it as the 填表人
// command, and so is any other text that is no command while the wait lasts: the clerk hears
// what their answer lacks (a name given without the phone) instead of "not understood". A
// command leaves the wait as it is.
func (x *commandMux) takePending(m *bot.Message, c storage.Contact, text string) (staffLine, bool) {
	x.mu.Lock()
	p, ok := x.pending[c.ID]
	x.mu.Unlock()
	if !ok || m.Group != "" {
		return staffLine{}, false
	}
	if _, _, problem := parseDetails(text); problem != "" {
		if _, command := x.parser.parse(text, x.svc.period()); command || x.svc.Clock.Now().After(p.expires) {
			return staffLine{}, false
		}
	}
	for _, cmd := range x.commands {
		if cmd.details {
			return staffLine{cmd: cmd, args: text}, true
		}
	}
	return staffLine{}, false
}

// named is the command of the table called name, or nil.
func (x *commandMux) named(name string) *command {
	for _, c := range x.commands {
		if c.name == name {
			return c
		}
	}
	return nil
}

// notFoundText answers a company keyword that names nothing the caller may see.
func notFoundText(scope Scope, args string) string {
	return fmt.Sprintf("没有找到%s内名称含“%s”的企业。请换个关键词再试。", scope.words(), args)
}

// maxPick bounds the numbered list: more matches than that need a longer keyword.
const maxPick = 10

// offerPick lists the choices for the chat (bot.Message.Chat), or asks for a longer keyword.
func (x *commandMux) offerPick(w bot.Replier, chat string, line staffLine, choices []storage.Enterprise) {
	args := line.args
	if len(choices) > maxPick {
		w.Reply(fmt.Sprintf("名称含“%s”的企业有 %d 家，请多写几个字再试。", args, len(choices)))
		return
	}
	var b strings.Builder
	fmt.Fprintf(&b, "名称含“%s”的企业有 %d 家，请回复编号：", args, len(choices))
	for i, e := range choices {
		fmt.Fprintf(&b, "\n%d. %s（%s）", i+1, e.Name, e.Region)
	}
	w.Reply(b.String())
	now := x.svc.Clock.Now()
	x.mu.Lock()
	defer x.mu.Unlock()
	if x.picks == nil {
		x.picks = map[string]pick{}
	}
	for c, p := range x.picks {
		if now.After(p.expires) {
			delete(x.picks, c) // lists nobody answered
		}
	}
	x.picks[chat] = pick{line: line, choices: choices, expires: now.Add(10 * time.Minute)}
}

// takePick turns a bare number after a chat's numbered list into the command line that
// offered it, with that enterprise's full name. Any other text drops the list: it answers one message only.
func (x *commandMux) takePick(chat, text string) (staffLine, bool) {
	x.mu.Lock()
	defer x.mu.Unlock()
	p, ok := x.picks[chat]
	if !ok {
		return staffLine{}, false
	}
	delete(x.picks, chat)
	n, err := strconv.Atoi(text)
	if err != nil || n < 1 || n > len(p.choices) || x.svc.Clock.Now().After(p.expires) {
		return staffLine{}, false
	}
	line := p.line
	line.args = p.choices[n-1].Name
	return line, true
}

// audit appends an entry about the message's sender, at the clock's time; a failure to record
// is logged, never hidden.
func (s *Service) audit(ctx context.Context, m *bot.Message, c storage.Contact, e storage.AuditEntry) {
	e.At = s.Clock.Now()
	e.Contact, e.Name, e.Role = c.ID, c.Name, c.Role
	e.Group = groupLabel(m)
	if err := s.Store.Audit(ctx, e); err != nil {
		s.Log.Error("audit", "action", e.Action, "contact", c.ID, "outcome", e.Outcome, "err", err)
	}
}

// auditCommand records a command with what it named and its outcome; a command without an
// audit action and a mistyped argument (no outcome) record nothing.
func (s *Service) auditCommand(ctx context.Context, r *Request, cmd *command, target string, outcome storage.Outcome) {
	if cmd.audit == "" || outcome == "" {
		return
	}
	// The command as typed; a pick from a numbered list ("2") as the name it picked.
	detail := r.detail
	switch {
	case detail != "":
	case r.Args != "":
		detail = cmd.name + " " + r.Args
	default:
		detail = survey.Normalize(r.Msg.Text)
	}
	s.audit(ctx, r.Msg, r.Contact, storage.AuditEntry{Action: cmd.audit, Target: target, Outcome: outcome, Detail: detail})
}

// groupLabel names the group chat a message came from for the audit: its name, and its id
// when that differs; "" for a private chat.
func groupLabel(m *bot.Message) string {
	switch {
	case m.Group == "":
		return ""
	case m.GroupName == "" || m.GroupName == m.Group:
		return m.Group
	}
	return m.GroupName + "（" + m.Group + "）"
}

// staffRoles are the roles that see a ledger.
var staffRoles = []storage.Role{storage.RoleHelper, storage.RoleCounty, storage.RoleCityOffice}

// officeRoles are the county and city offices.
var officeRoles = []storage.Role{storage.RoleCounty, storage.RoleCityOffice}

// ledgerReaders are the staff and bound groups: who may ask for progress and help.
var ledgerReaders = append([]storage.Role{roleGroup}, staffRoles...)

// everyone are all people, bound or not.
var everyone = append([]storage.Role{storage.RoleNone, storage.RoleLiaison}, staffRoles...)

// commandTable lists the commands. Rights live here, in one table, and nowhere else.
func (s *Service) commandTable() []*command {
	return append(s.officeCommands(), []*command{
		{name: "解绑", keys: [][]string{{"解绑"}}, roles: append([]storage.Role{storage.RoleLiaison}, staffRoles...), where: privateOnly, audit: "unbind",
			help: "解绑 — 解除您的绑定", run: s.unbind},
		{name: "邀请码", words: []string{"生成邀请码", "发邀请码", "要邀请码"}, roles: officeRoles, where: privateOnly, target: requireCompany, audit: "invite",
			help: "邀请码 企业名 — 生成该企业联络人的一次性邀请码", run: s.inviteCmd},
		{name: "绑定", match: parseBind, personal: true, roles: everyone, where: anyChat, run: s.bind},
		{name: "绑定本群", words: []string{"绑定群", "本群绑定"}, personal: true, roles: officeRoles, where: groupOnly, target: requireRegion, audit: "bind_group",
			help: "绑定本群 地区 — 在帮扶群里 @我 使用", run: s.bindGroup},
		{name: "确认导入", freeText: true, roles: []storage.Role{storage.RoleCityOffice}, where: privateOnly, audit: "import",
			help: "确认导入 — 先发来企业名单（.xlsx 或 .csv），核对检查结果后导入", run: s.confirmImport},
		{name: "帮助", keys: [][]string{{"帮助"}}, roles: ledgerReaders, where: anyChat, run: s.staffHelp},
	}...)
}

func (s *Service) unbind(ctx context.Context, w bot.Replier, r *Request) error {
	w.Reply(fmt.Sprintf("已解除绑定（原身份：%s）。如需重新绑定，请发送“绑定 邀请码”。", r.Contact.RoleName()))
	return store(w, func(a storage.Answer) error {
		if _, err := s.Store.Unbind(ctx, r.Contact.ID, a); err != nil {
			return fmt.Errorf("unbind %s: %w", r.Contact.ID, err)
		}
		return nil
	})
}

func (s *Service) inviteCmd(ctx context.Context, w bot.Replier, r *Request) error {
	e := r.Target.Enterprise
	now := s.Clock.Now()
	// The reply carries the code, which the store keeps only as a keyed hash: the outbox
	// forgets the reply once it is sent (a reply is Forget).
	_, err := IssueInvite(ctx, s.Store, s.Key, storage.Invite{Role: storage.RoleLiaison, EnterpriseID: e.ID, CreatedBy: r.Contact.ID}, now, s.InviteTTL,
		func(code string) storage.Answer {
			w.Reset()
			w.Reply(fmt.Sprintf("【%s】联络人邀请码：%s\n%s 前有效，只能用一次。请联络人私聊我（不要在群里）发送：绑定 %s\n该企业此前生成的未使用邀请码已作废；绑定后将替换该企业原来的联络人。",
				e.Name, code, now.Add(s.InviteTTL).In(s.Location).Format("01-02 15:04"), code))
			return w.Answer()
		})
	if err != nil {
		return fmt.Errorf("issue an invite for %s: %w", e.ID, err)
	}
	w.Answered()
	return nil
}

// bindGroup binds the group to the region named. A group bound to another region is taken
// from it by the city office only: a county binding it to itself would take over another
// county's reminders and progress.
func (s *Service) bindGroup(ctx context.Context, w bot.Replier, r *Request) error {
	g := storage.Group{ID: r.Msg.Group, Name: r.Msg.GroupName, Region: r.Target.Region, BoundBy: r.Contact.ID, BoundAt: s.Clock.Now(), Account: s.Account}
	r.detail = "本群 → " + g.Region
	if old := r.Group; old != nil && old.Region != g.Region {
		r.detail = fmt.Sprintf("本群 %s → %s", old.Region, g.Region)
		if r.Contact.Role != storage.RoleCityOffice {
			w.Reply(fmt.Sprintf("本群已绑定为【%s】帮扶群。改绑到其他地区须由市领导小组办公室工作人员操作。", old.Region))
			return refuse(storage.OutcomeOutOfScope, "group bound to another region")
		}
	}
	w.Reply(fmt.Sprintf("本群已绑定为【%s】帮扶群。截止日前我会在群里提醒未填报的企业；@%s 进度 可查看本地区进度。", g.Region, s.BotName))
	return store(w, func(a storage.Answer) error {
		if err := s.Store.PutGroup(ctx, g, a); err != nil {
			return fmt.Errorf("bind group %s: %w", g.ID, err)
		}
		return nil
	})
}

// store makes a write that answers the message, with the replies so far: write gets the
// answer to store in the same transaction.
func store(w bot.Replier, write func(storage.Answer) error) error {
	if err := write(w.Answer()); err != nil {
		return err
	}
	w.Answered()
	return nil
}

func (s *Service) staffHelp(ctx context.Context, w bot.Replier, r *Request) error {
	role := r.Contact.Role
	if r.Group != nil {
		role = roleGroup
	}
	var b strings.Builder
	b.WriteString("可用指令：")
	for _, c := range s.commandTable() {
		if c.help != "" && slices.Contains(c.roles, role) && (c.where == anyChat || (c.where == groupOnly) == (r.Group != nil)) {
			b.WriteString("\n" + c.help)
		}
	}
	w.Reply(b.String())
	return nil
}
