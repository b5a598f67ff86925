package assistant_test

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"innobot/bot"
	"innobot/bot/bottest"
)

// guesses are codes of the right shape that are not live (one in 8.5×10¹¹ would be).
var guesses = []string{"K7M3QX9A", "23456789", "ZZZZZZZZ", "ABCDEFGH", "9XW8VU7T", "HJKMNPQR", "QX9AK7M3"}

// junkText is the i-th message of a junk wave: chatter, guessed and retired codes, pastes,
// pictures and group noise, as a spammer or a crowd of strangers would send.
func junkText(i int) bot.Message {
	m := bot.Message{ID: fmt.Sprintf("junk-%05d", i), From: fmt.Sprintf("wxid_junk%05d", i), Kind: bot.KindText}
	m.FromName = m.From
	switch i % 100 {
	case 0, 1:
		m.Text = "绑定 " + strings.ToLower(guesses[i%len(guesses)]) // a guess
	case 2:
		m.Text = "绑定 483920" // a retired code
	case 3, 4:
		m.Text = strings.Repeat("广告", 1500)
	case 5, 6:
		m.Kind = bot.KindOther
	case 7, 8, 9, 10, 11:
		m.Group, m.GroupName, m.Text = "陌生群", "陌生群", "@创新助手 进度"
	case 12:
		m.Text = "绑定 K7M3" // no code
	default:
		m.Text = fmt.Sprintf("你好 %d，加个好友？", i)
	}
	return m
}

// ramDir is a directory on /dev/shm when the machine has one, else t.TempDir(): the file is as
// on a disk, but its 10,000 fsyncs (one a handled message) take no minutes.
func ramDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("/dev/shm", "innobot-test-")
	if err != nil {
		return t.TempDir()
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

// fileSize is the size of the store's file.
func fileSize(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// 10,000 junk messages from 10,000 senders through the router: the file grows by a bounded
// amount per message, nobody gets a contact, a session or a code, and what junk leaves behind
// (refused and wrong codes, locks) is pruned by Maintain a day later; only the audit of the
// attempts at codes stays, and the handled ids until the router's horizon.
func TestJunkSendersGrowTheFileBoundedly(t *testing.T) {
	if testing.Short() {
		t.Skip("10,000 messages")
	}
	ctx := context.Background()
	e := newEnvIn(t, ramDir(t))
	log, _ := bottest.NewLog()
	// Thousands of chats at once on two cores wait for the CPU far longer than a person's
	// reply deadline; what is measured here is what junk leaves in the file.
	router := &bot.Router{Handler: e.h, Store: e.store, Clock: e.svc.Clock, Log: log, Deadline: time.Hour}
	// The outbox sends the replies as it does in a running bot, and forgets them.
	outbox := &bot.Outbox{Store: e.store, Transport: &bottest.Sender{}, Clock: e.svc.Clock, Log: log}
	flush := func() {
		t.Helper()
		if _, err := outbox.Flush(ctx); err != nil {
			t.Fatal(err)
		}
	}
	before := fileSize(t, e.path)
	auditBefore := len(e.auditOf("bind"))

	n := 10_000
	if raceEnabled {
		n = 2_000 // the same mix, at a tenth of the speed
	}
	e.svc.WrongCodeBudget = n / 100 // 100 for the 200 guesses of 10,000: half are past it
	var wg sync.WaitGroup
	for i := range n {
		m := junkText(i)
		m.Time = e.clock.Now()
		done := router.Deliver(ctx, m)
		wg.Go(func() { <-done })
		if i%10 == 9 {
			flush()
		}
		if i%100 == 99 {
			e.clock.Add(time.Second)
		}
	}
	wg.Wait()
	router.Wait()
	flush()
	grown := fileSize(t, e.path) - before
	t.Logf("%d junk messages grew the file by %d bytes (%d a message)", n, grown, int(grown)/n)
	// A handled id, and for one in three an audit entry and a refused code: well under a
	// kilobyte a message, pages included.
	if perMessage := int(grown) / n; perMessage > 1024 {
		t.Errorf("the file grew %d bytes a junk message, want under 1 KiB", perMessage)
	}

	contacts, err := e.store.Contacts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(contacts) != 0 {
		t.Errorf("junk made %d contacts", len(contacts))
	}
	d, err := e.store.Export(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Sessions)+len(d.Drafts)+len(d.Invites)+len(d.Groups) != 0 {
		t.Errorf("junk made sessions %d, drafts %d, invites %d, groups %d", len(d.Sessions), len(d.Drafts), len(d.Invites), len(d.Groups))
	}
	audited := len(e.auditOf("bind")) - auditBefore
	if attempts := n * 3 / 100; audited > attempts {
		t.Errorf("%d binding attempts audited for %d attempts", audited, attempts)
	}
	if len(d.BindFailures) == 0 || len(d.WrongCodes) == 0 || len(d.BindLocks) == 0 {
		t.Errorf("the wave left no refused codes (%d), wrong codes (%d) or locks (%d): was it junk?", len(d.BindFailures), len(d.WrongCodes), len(d.BindLocks))
	}

	// Two days later (the locks ended a day before) everything but the audit and the handled
	// ids is gone.
	e.clock.Add(49 * time.Hour)
	if err := e.svc.Maintain(ctx); err != nil {
		t.Fatal(err)
	}
	if d, err = e.store.Export(ctx); err != nil {
		t.Fatal(err)
	}
	if left := len(d.BindFailures) + len(d.WrongCodes) + len(d.BindLocks); left != 0 {
		t.Errorf("a day later %d refused codes, wrong codes and locks are left", left)
	}
	if _, err := e.store.PruneHandled(ctx, e.clock.Now()); err != nil {
		t.Fatal(err)
	}
	// The file keeps its size (bbolt reuses freed pages, it never shrinks): what stays is the
	// audit of the attempts at codes.
	if d, err = e.store.Export(ctx); err != nil {
		t.Fatal(err)
	}
	// An attempt and, past the city's budget, the lock it brought.
	if len(d.Handled) != 0 || len(d.Audit) > 2*n*3/100 {
		t.Errorf("after pruning: %d handled ids, %d audit entries", len(d.Handled), len(d.Audit))
	}
}
