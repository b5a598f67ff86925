package assistant

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"innobot/bot"
	"innobot/invite"
	"innobot/storage"
)

// The limits on wrong invite codes. A contact may send bindLimit refused codes per bindWindow
// and is barred for lockFor after lockAfter within lockFor. City-wide, more than the
// service's budget of codes matching nothing within budgetWindow bars, for lockFor, every
// contact that sent one within lockFor: someone switching WeChat identities to guess is
// stopped, while people who never sent a wrong code still bind.
const (
	bindLimit    = 5
	bindWindow   = 15 * time.Minute
	lockAfter    = 10
	lockFor      = 24 * time.Hour
	budgetWindow = time.Hour
)

// DefaultWrongCodeBudget is the city-wide budget of wrong codes an hour when the service is
// given none.
const DefaultWrongCodeBudget = 100

// roleSystem is the role of the audit entries the bot writes on its own (locks).
const roleSystem storage.Role = "system"

// systemContact is who a lock the bot imposes by itself is audited as.
var systemContact = storage.Contact{ID: "innobot", Name: "系统", Role: roleSystem}

// barred says why a contact may not try a code now ("" when they may).
func (s *Service) barred(ctx context.Context, contactID string, now time.Time) (string, error) {
	until, err := s.Store.BindingLocked(ctx, contactID)
	if err != nil {
		return "", fmt.Errorf("binding lock: %w", err)
	}
	if now.Before(until) {
		return fmt.Sprintf("邀请码错误次数过多，绑定已暂停到 %s。如需帮助请联系县（市、区）工作人员。", until.In(s.Location).Format("01-02 15:04")), nil
	}
	failures, err := s.Store.BindFailures(ctx, contactID, now.Add(-bindWindow))
	if err != nil {
		return "", fmt.Errorf("count refused codes: %w", err)
	}
	if failures >= bindLimit {
		return fmt.Sprintf("邀请码错误次数过多，请 %d 分钟后再试。", int(bindWindow/time.Minute)), nil
	}
	return "", nil
}

// barredText is what a contact barred from binding is told along with its refusal.
const barredText = "错误次数过多，绑定已暂停 24 小时。如需帮助请联系县（市、区）工作人员。"

// refuse answers a refused code and records it with the answer, in one write, so that a
// message delivered again is neither answered nor counted twice; then it applies the limits. A
// sender barred by this code, by its own count or by the city's budget, is told so in the
// same reply. A guess (a code that matched nothing) also counts in the city-wide budget.
func (s *Service) refuse(ctx context.Context, w bot.Replier, m *bot.Message, c storage.Contact, reply string, guess bool, now time.Time) {
	own, city, err := s.bars(ctx, c.ID, guess, now)
	if err != nil {
		s.Log.Error("counting refused codes", "contact", c.ID, "err", err)
	}
	if own || city {
		reply += "\n" + barredText
	}
	w.Reply(reply)
	if err := s.Store.AddBindFailure(ctx, c.ID, now, w.Answer()); err != nil {
		s.Log.Error("recording a refused code", "contact", c.ID, "err", err)
		return
	}
	w.Answered()
	if err := s.limit(ctx, m, c, own, guess, now); err != nil {
		s.Log.Error("barring after a refused code", "contact", c.ID, "err", err)
	}
}

// bars says whether one more refused code of the contact bars it: by its own count (own), or,
// for a guess, by the city-wide budget (city).
func (s *Service) bars(ctx context.Context, contactID string, guess bool, now time.Time) (own, city bool, err error) {
	n, err := s.Store.BindFailures(ctx, contactID, now.Add(-lockFor))
	if err != nil {
		return false, false, fmt.Errorf("count refused codes: %w", err)
	}
	if !guess {
		return n+1 >= lockAfter, false, nil
	}
	wrong, err := s.Store.WrongCodes(ctx, now.Add(-budgetWindow))
	if err != nil {
		return n+1 >= lockAfter, false, fmt.Errorf("count wrong codes: %w", err)
	}
	return n+1 >= lockAfter, wrong+1 > s.wrongCodeBudget(), nil
}

// limit applies the limits after a refused code was recorded: it counts a guess city-wide,
// bars the contact when its own count says so (audited), and checks the city's budget.
func (s *Service) limit(ctx context.Context, m *bot.Message, c storage.Contact, own, guess bool, now time.Time) error {
	if guess {
		if err := s.Store.AddWrongCode(ctx, c.ID, now); err != nil {
			return fmt.Errorf("record a wrong code: %w", err)
		}
	}
	if own {
		if err := s.Store.LockBinding(ctx, c.ID, now.Add(lockFor)); err != nil {
			return fmt.Errorf("lock binding: %w", err)
		}
		s.audit(ctx, m, systemContact, storage.AuditEntry{Action: "bind_lock", Target: personLabel(c), Outcome: storage.OutcomeRefused,
			Detail: fmt.Sprintf("24 小时内 %d 次邀请码错误，暂停绑定 24 小时", lockAfter)})
	}
	if !guess {
		return nil
	}
	return s.overBudget(ctx, m, now)
}

// wrongCodeBudget is the city-wide budget of wrong codes per budgetWindow.
func (s *Service) wrongCodeBudget() int {
	if s.WrongCodeBudget > 0 {
		return s.WrongCodeBudget
	}
	return DefaultWrongCodeBudget
}

// overBudget checks the city-wide budget after a wrong code. Beyond it, every contact that
// sent a wrong code within lockFor is barred for lockFor, the audit says whom, and the city
// office is told once an hour.
func (s *Service) overBudget(ctx context.Context, m *bot.Message, now time.Time) error {
	n, err := s.Store.WrongCodes(ctx, now.Add(-budgetWindow))
	if err != nil {
		return fmt.Errorf("count wrong codes: %w", err)
	}
	budget := s.wrongCodeBudget()
	if n <= budget {
		return nil
	}
	locked, err := s.Store.LockWrongCoders(ctx, now.Add(-lockFor), now.Add(lockFor))
	if err != nil || len(locked) == 0 {
		return err
	}
	s.audit(ctx, m, systemContact, storage.AuditEntry{Action: "bind_lock", Target: fmt.Sprintf("%d 个微信号", len(locked)), Outcome: storage.OutcomeRefused,
		Detail: fmt.Sprintf("全市 1 小时内错误邀请码 %d 个，超过上限 %d，暂停发过错误邀请码的微信号绑定 24 小时：%s", n, budget, listSome(locked, 20))})
	if err := s.tellCityOffice(ctx, now, fmt.Sprintf("【安全提醒】过去 1 小时收到 %d 个错误的邀请码（上限 %d），可能有人在猜测邀请码。"+
		"已暂停 %d 个发过错误邀请码的微信号绑定 24 小时；没有发错过的人绑定不受影响。请在服务器上运行 innobot audit --outcome refused 查看。",
		n, budget, len(locked))); err != nil {
		s.Log.Error("telling the city office of wrong codes", "err", err)
	}
	return nil
}

// tellCityOffice queues a notice to every bound city office contact, once per hour: its id
// names the hour, and the outbox keeps one message per id.
func (s *Service) tellCityOffice(ctx context.Context, now time.Time, text string) error {
	contacts, err := s.Store.Contacts(ctx)
	if err != nil {
		return fmt.Errorf("list contacts: %w", err)
	}
	hour := now.Truncate(time.Hour).UTC().Format("2006010215")
	var msgs []storage.OutboxMessage
	for _, c := range contacts {
		if c.Role == storage.RoleCityOffice {
			msgs = append(msgs, storage.OutboxMessage{ID: "bind-budget:" + hour + ":" + c.ID, Account: c.Account, To: c.ID,
				Text: text, Source: "bind-budget:" + hour, QueuedAt: now})
		}
	}
	if len(msgs) == 0 {
		return errors.New("no city office contact is bound")
	}
	return s.Store.Enqueue(ctx, msgs)
}

// listSome joins the first n items, and says how many more there are.
func listSome(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, "、")
	}
	return fmt.Sprintf("%s 等 %d 个", strings.Join(items[:n], "、"), len(items))
}

// bindInGroup refuses a code sent in a group chat, where everyone in the group has now seen
// it: a live code is revoked, so that nobody else can take the role it gives.
func (s *Service) bindInGroup(ctx context.Context, w bot.Replier, m *bot.Message, c storage.Contact, code string, shape invite.Shape, now time.Time) {
	n := 0
	if shape == invite.Current {
		var err error
		if n, err = s.Store.RevokeInvites(ctx, []string{s.Key.Hash(code)}, now); err != nil {
			s.Log.Error("revoking a code sent in a group", "group", m.Group, "err", err)
		}
	}
	if n == 0 {
		w.Reply("邀请码只能私聊发给我，请不要在群里发送。")
		s.auditBind(ctx, m, c, storage.OutcomeRefused, "", "在群里发送邀请码")
		return
	}
	w.Reply("邀请码只能私聊发给我。这个邀请码已在群里公开，已经作废，请向县（市、区）工作人员索取新的邀请码，再私聊我发送。")
	s.auditBind(ctx, m, c, storage.OutcomeRefused, "", "在群里发送邀请码，该邀请码已作废")
}

// handoverNotices are the messages a change of liaison sends: to the liaison replaced, and to
// the county office of the enterprise's region (found among contacts), who must know should
// the change not be theirs.
func (s *Service) handoverNotices(e storage.Enterprise, old, next storage.Contact, contacts []storage.Contact, now time.Time) []bot.Outgoing {
	out := []bot.Outgoing{{To: old.ID, Text: fmt.Sprintf("【%s】已绑定新的科技创新联络人，您不再负责该企业的填报。如有疑问请联系县（市、区）工作人员。", e.Name)}}
	text := fmt.Sprintf("【%s】的科技创新联络人已更换：原 %s，新 %s（%s）。如果不是本单位安排的，请立即联系市领导小组办公室。",
		e.Name, personName(old), personName(next), now.In(s.Location).Format("01-02 15:04"))
	for _, c := range contacts {
		if c.Role == storage.RoleCounty && c.Region == e.Region {
			out = append(out, bot.Outgoing{To: c.ID, Text: text})
		}
	}
	return out
}

// personName names a contact in a message: the name they gave, else their display name.
func personName(c storage.Contact) string {
	if c.Person != "" {
		return c.Person
	}
	if c.Name != "" {
		return c.Name
	}
	return c.ID
}
