package bot

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"innobot/storage"
)

// FailureStore is what FailureReport reads and writes: the messages given up, the people and
// groups they were for, and the claim-once queue the report goes out through.
type FailureStore interface {
	Failed(ctx context.Context, since time.Time) ([]storage.OutboxMessage, error)
	Contacts(ctx context.Context) ([]storage.Contact, error)
	Groups(ctx context.Context) ([]storage.Group, error)
	ClaimReminder(ctx context.Context, key string, at time.Time, msgs []storage.OutboxMessage) (bool, error)
}

// DefaultReportHour is the local hour the report of failed sends goes out.
const DefaultReportHour = 9

// FailureReport tells the city office staff of an account, once a day, who could not be
// reached the day before: a liaison who deleted the bot, a group no longer saved to the
// address book. Only people can fix that, and nobody reads the bot's logs. The report is
// claimed per account and day (storage.Outbox.ClaimReminder), so that it goes out once
// whichever process sharing the store sends it, and not again after a restart.
type FailureReport struct {
	Store   FailureStore
	Account string
	// Location and Hour say when the day's report goes out (DefaultReportHour when 0); it
	// covers the 24 hours before.
	Location *time.Location
	Hour     int
	Log      *slog.Logger

	done string // the key of the last report this process dealt with
}

// Tick queues the day's report once its hour has come; queued says it did. A day without
// failures, or without city office staff to tell, queues nothing (the latter is logged).
func (r *FailureReport) Tick(ctx context.Context, now time.Time) (queued bool, err error) {
	loc, hour := r.Location, r.Hour
	if loc == nil {
		loc = time.UTC
	}
	if hour == 0 {
		hour = DefaultReportHour
	}
	local := now.In(loc)
	due := time.Date(local.Year(), local.Month(), local.Day(), hour, 0, 0, 0, loc)
	key := "failures:" + r.Account + ":" + due.Format(time.DateOnly)
	if local.Before(due) || r.done == key {
		return false, nil
	}
	failed, err := r.Store.Failed(ctx, due.Add(-24*time.Hour))
	if err != nil {
		return false, fmt.Errorf("report of failed sends: %w", err)
	}
	var day []storage.OutboxMessage
	for _, m := range failed {
		if m.Account == r.Account && m.FailedAt.Before(due) {
			day = append(day, m)
		}
	}
	if len(day) == 0 {
		r.done = key
		return false, nil
	}
	contacts, err := r.Store.Contacts(ctx)
	if err != nil {
		return false, fmt.Errorf("report of failed sends: %w", err)
	}
	groups, err := r.Store.Groups(ctx)
	if err != nil {
		return false, fmt.Errorf("report of failed sends: %w", err)
	}
	text := failureText(day, contacts, groups)
	var msgs []storage.OutboxMessage
	for _, c := range contacts {
		if c.Role == storage.RoleCityOffice && c.Account == r.Account {
			msgs = append(msgs, storage.OutboxMessage{ID: key + ":" + c.ID, Account: r.Account, To: c.ID, Text: text,
				Source: "report:" + key, QueuedAt: now})
		}
	}
	if len(msgs) == 0 {
		r.done = key
		if r.Log != nil {
			r.Log.Warn("messages could not be sent, and no city office staff is bound to be told", "account", r.Account, "count", len(day))
		}
		return false, nil
	}
	claimed, err := r.Store.ClaimReminder(ctx, key, now, msgs)
	if err != nil {
		return false, fmt.Errorf("report of failed sends: %w", err)
	}
	r.done = key
	return claimed, nil
}

// failureText lists who could not be reached, once each, and what to do about it.
func failureText(failed []storage.OutboxMessage, contacts []storage.Contact, groups []storage.Group) string {
	byContact := map[string]storage.Contact{}
	for _, c := range contacts {
		byContact[c.ID] = c
	}
	byGroup := map[string]storage.Group{}
	for _, g := range groups {
		byGroup[g.ID] = g
	}
	var lines []string
	seen := map[string]bool{}
	for _, m := range failed {
		who := m.To + "/" + m.Group
		if seen[who] {
			continue
		}
		seen[who] = true
		var line string
		switch g, ok := byGroup[m.Group]; {
		case m.Group != "" && ok:
			line = fmt.Sprintf("%s（%s 的群）", g.Name, g.Region)
		case m.Group != "":
			line = "一个未绑定的群"
		default:
			c, ok := byContact[m.To]
			switch {
			case ok && c.Role != storage.RoleNone:
				line = fmt.Sprintf("%s（%s）", c.Name, c.RoleName())
			case ok && c.Name != "":
				line = c.Name + "（未绑定）"
			default:
				line = "一位未绑定的联系人"
			}
		}
		lines = append(lines, fmt.Sprintf("%d. %s", len(lines)+1, line))
	}
	return fmt.Sprintf("【无法送达】过去一天有 %d 条消息没能发出，以下联系人或群收不到机器人的消息：\n%s\n"+
		"可能是删除了机器人好友、群没有保存到通讯录，或改了名字。请联系他们重新添加机器人为好友（群请保存到通讯录），"+
		"再发送“绑定 邀请码”重新绑定。", len(failed), strings.Join(lines, "\n"))
}
