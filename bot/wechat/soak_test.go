package wechat_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"innobot/bot"
	"innobot/bot/bottest"
	"innobot/bot/wechat"
	"innobot/bot/wechat/wechattest"
	"innobot/storage"
	"innobot/storage/bolt"
)

// TestSoak runs the transport and the paced outbox against the fake WeChat for 30 days of fake
// time (testing/synctest), over a slow link (sync checks answered after 80 s, where
// openwechat's own timeout would fail every one): WeChat logs the bot out every night, sessions
// turn into zombies, people and groups are renamed, WeChat answers "operate too often" in
// bursts, a friend deletes the bot. Every day each friend writes and gets an answer, and a reminder goes to
// everyone. In the end every queued message was sent or given up with a reason, everyone who
// stayed is still known by the id of the first day, and no goroutine is left (synctest.Test
// fails on one that never ends).
func TestSoak(t *testing.T) {
	if testing.Short() {
		t.Skip("a month of fake time")
	}
	dir := t.TempDir()
	synctest.Test(t, func(t *testing.T) {
		store, err := bolt.Open(filepath.Join(dir, "innobot.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer store.Close()
		fake := wechattest.New()
		fake.HoldSyncCheck(80 * time.Second) // a slow link: the real server holds 25 s
		fake.AutoScan(true)                  // someone scans each code at once
		friends := []string{"zhang", "li", "wang", "zhao", "qian", "sun", "zhou", "wu"}
		for i, k := range friends {
			p := wechattest.Person{Key: k, NickName: "联络人" + k, Province: "山西", City: "运城", Sex: 1 + i%2}
			if i%2 == 0 {
				p.RemarkName = "企业" + k + "-联络人"
			}
			fake.Add(p)
		}
		fake.Add(wechattest.Person{Key: "group", NickName: "盐湖区帮扶群", Group: true, Members: []string{"zhang", "li", "wang"}})

		logs := &bottest.Log{}
		log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelWarn}))
		tr, err := wechat.New(context.Background(), wechat.Config{
			Dir: dir, Identities: store, HTTP: fake.Transport(), Log: log, QR: io.Discard,
		})
		if err != nil {
			t.Fatal(err)
		}
		outbox := &bot.Outbox{Store: store, Transport: tr, Clock: bot.ClockFunc(time.Now), Log: log,
			Pace: bot.Pace{PerMinute: 50, Jitter: 0.3}, PerHour: 600, Poll: 5 * time.Minute}

		// The core: answer each message through the outbox, and note whose id it came with.
		var mu sync.Mutex
		ids := map[string][]string{} // person or group key → ids seen, in order
		seen := func(key, id string) {
			mu.Lock()
			defer mu.Unlock()
			if l := ids[key]; len(l) == 0 || l[len(l)-1] != id {
				ids[key] = append(ids[key], id)
			}
		}
		deliver := func(m bot.Message) <-chan struct{} {
			parts := strings.Split(m.ID, "-") // day-key
			key := parts[len(parts)-1]
			if m.Group != "" {
				seen("group", m.Group)
			} else {
				seen(key, m.From)
			}
			reply := storage.OutboxMessage{ID: "re-" + m.ID, To: m.From, Group: m.Group, Text: "收到", Source: "reply",
				QueuedAt: time.Now(), Urgent: true}
			if m.Group != "" {
				reply.To = ""
			}
			if err := store.Enqueue(context.Background(), []storage.OutboxMessage{reply}); err != nil {
				t.Errorf("queueing a reply: %v", err)
			}
			outbox.Kick()
			return nil
		}
		ctx, stop := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() {
			if err := tr.Run(ctx, deliver); err != nil {
				t.Errorf("Run: %v", err)
			}
		})
		wg.Go(func() {
			if err := outbox.Run(ctx); !errors.Is(err, context.Canceled) {
				t.Errorf("outbox: %v", err)
			}
		})

		start := time.Now()
		at := func(day int, hour, minute int) {
			time.Sleep(time.Until(start.Add(time.Duration(day)*24*time.Hour + time.Duration(hour)*time.Hour + time.Duration(minute)*time.Minute)))
		}
		gone := map[string]bool{}
		for day := range 30 {
			at(day, 1, 0)
			fake.Logout(1101) // nightly: WeChat ends the session
			at(day, 9, 0)
			var reminders []storage.OutboxMessage
			mu.Lock()
			for key, l := range ids {
				r := storage.OutboxMessage{ID: fmt.Sprintf("rem-%d-%s", day, key), To: l[len(l)-1], Text: "【提醒】请填报", Source: "reminder", QueuedAt: time.Now()}
				if key == "group" {
					r.To, r.Group = "", l[len(l)-1]
				}
				reminders = append(reminders, r)
			}
			mu.Unlock()
			if _, err := store.ClaimReminder(context.Background(), fmt.Sprint("soak:", day), time.Now(), reminders); err != nil {
				t.Fatal(err)
			}
			outbox.Kick()
			switch day {
			case 4, 11, 23: // the session turns into a zombie for a while
				at(day, 9, 30)
				fake.Zombie(true, "2")
				at(day, 9, 45)
				fake.Zombie(false, "")
			case 7:
				fake.Rename("li", "李四（永济）", "", true) // no remark: carried by the report
			case 9:
				for range 3 {
					fake.Fail("webwxsendmsg", wechattest.Failure{Ret: 1205})
				}
			case 14:
				fake.Rename("group", "盐湖区帮扶群（2026）", "", true)
			case 15:
				fake.Remove("wu")
				gone["wu"] = true
			case 21:
				fake.Rename("zhang", "张三丰", "企业zhang-联络人", false) // a remark keeps the id
			}
			at(day, 10, 0)
			for _, k := range friends {
				if !gone[k] {
					fake.Deliver(wechattest.Msg{ID: fmt.Sprintf("%d-%s", day, k), From: k, Text: "填报"})
				}
			}
			fake.Deliver(wechattest.Msg{ID: fmt.Sprintf("%d-g", day), From: "group", Member: "zhang", Text: "@" + wechattest.BotNick + "\u2005进度"})
		}
		at(31, 0, 0)
		stop()
		wg.Wait()
		if err := tr.Close(); err != nil {
			t.Error(err)
		}

		st := tr.Status()
		t.Logf("30 days: %d logins, %d reconnects, %d zombies, %d received, %d sent, %d send errors; the fake saw %d QR codes, %d syncs",
			st.Logins, st.Reconnects, st.Zombies, st.Received, st.Sent, st.SendErrors, fake.Stats().QRCodes, fake.Stats().Syncs)
		if st.Zombies < 3 || st.Logins < 30 {
			t.Errorf("%d zombies and %d logins: the month did not happen as planned", st.Zombies, st.Logins)
		}
		if pending, err := store.Pending(context.Background(), "", 100); err != nil || len(pending) != 0 {
			t.Errorf("%d messages still queued after the month (%v): %+v", len(pending), err, pending)
		}
		failed, err := store.Failed(context.Background(), time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range failed {
			if m.Error == "" || !strings.Contains(m.Error, "cannot be reached") {
				t.Errorf("message given up without the reason expected: %+v", m)
			}
		}
		sent, err := store.Sent(context.Background(), time.Time{})
		if err != nil {
			t.Fatal(err)
		}
		if want := 30*(len(friends)+1)*2 - 15*2 - len(failed); len(sent) < want-10 {
			t.Errorf("%d messages sent in the month and %d given up, want about %d sent", len(sent), len(failed), want)
		}
		for key, l := range ids {
			if len(l) != 1 {
				t.Errorf("%s was known by %d ids in the month: %v", key, len(l), l)
			}
		}
		if len(ids) != len(friends)+1 {
			t.Errorf("%d people and groups wrote, want %d", len(ids), len(friends)+1)
		}
		if t.Failed() {
			t.Logf("log:\n%.20000s", logs.String())
		}
		if strings.Contains(logs.String(), wechattest.Secret) {
			t.Error("a session secret reached the log")
		}
	})
}
