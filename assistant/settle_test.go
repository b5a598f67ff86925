package assistant_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"innobot/assistant"
	"innobot/bot"
	"innobot/bot/bottest"
	"innobot/invite/invitetest"
	"innobot/storage"
	"innobot/storage/bolt"
	storeredis "innobot/storage/redis"
	"innobot/storage/redis/redistest"
	"innobot/survey"
)

// eachBackend runs test on a fresh bolt store and on a fresh prefix of a private Redis.
func eachBackend(t *testing.T, test func(t *testing.T, store storage.Backend)) {
	t.Run("bolt", func(t *testing.T) {
		s, err := bolt.Open(filepath.Join(t.TempDir(), "innobot.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		test(t, s)
	})
	t.Run("redis", func(t *testing.T) {
		srv := redistest.Start(t)
		s, err := storeredis.Open(t.Context(), srv.URL, srv.Prefix(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		test(t, s)
	})
}

// unsureStore is a store whose next turn's commit fails as a client's timeout does: after
// the write reached the store (land), or before. answerDown makes the router's own write of
// an answer fail too, as a store still unreachable does.
type unsureStore struct {
	storage.Backend
	armed, land, answerDown atomic.Bool
}

// errTimeout is what go-redis returns when a reply does not come in time.
var errTimeout = fmt.Errorf("read tcp 127.0.0.1:6379: i/o timeout: %w", os.ErrDeadlineExceeded)

func (u *unsureStore) CommitTurn(ctx context.Context, t storage.Turn) error {
	if !u.armed.CompareAndSwap(true, false) {
		return u.Backend.CommitTurn(ctx, t)
	}
	if u.land.Load() {
		if err := u.Backend.CommitTurn(ctx, t); err != nil {
			return err
		}
	}
	return fmt.Errorf("commit turn of %s: %w", t.Session.ContactID, errTimeout)
}

func (u *unsureStore) Answer(ctx context.Context, a storage.Answer) error {
	if u.answerDown.Load() {
		return fmt.Errorf("answer %s: %w", a.MessageID, errTimeout)
	}
	return u.Backend.Answer(ctx, a)
}

// A turn whose commit fails with an unknown outcome is settled before the liaison hears
// anything: if the commit landed, they hear what the committed turn says ("已记：…" and the
// next question) and their next answer goes to the next question; if it did not, they hear
// that the message was not handled, nothing is stored, and the same answer sent again is
// taken. When the store cannot settle it before the deadline, they are told that it is not
// known yet, never that it failed, and the committed turn's reply follows once the store
// answers.
func TestUnknownCommitOutcomeIsSettled(t *testing.T) {
	eachBackend(t, func(t *testing.T, backend storage.Backend) {
		ctx := t.Context()
		store := &unsureStore{Backend: backend}
		clock := bottest.NewClock(time.Date(2026, 11, 20, 10, 0, 0, 0, shanghai))
		log, _ := bottest.NewLog()
		svc := &assistant.Service{Key: invitetest.Key(t), Store: store, Form: survey.Default(), Clock: bot.ClockFunc(clock.Now),
			Location: shanghai, BotName: "创新助手", Log: log}
		ch := bottest.NewChat(t, store, svc.Handler(), svc.Clock)
		ch.Router.Deadline = 400 * time.Millisecond // the unsettled case waits it out
		if err := backend.PutEnterprise(ctx, storage.Enterprise{ID: "E1", Name: "山西某某钢铁有限公司", Region: "盐湖区"}); err != nil {
			t.Fatal(err)
		}
		code, err := assistant.IssueInvite(ctx, backend, svc.Key, storage.Invite{Role: storage.RoleLiaison, EnterpriseID: "E1", CreatedBy: "test"},
			clock.Now(), 24*time.Hour, nil)
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		say := func(text string) string {
			t.Helper()
			n++
			var got []string
			for _, o := range ch.Deliver(bot.Message{ID: fmt.Sprint("m", n), From: "张三", FromName: "张三", Kind: bot.KindText, Text: text, Time: clock.Now()}) {
				got = append(got, o.Text)
			}
			return strings.Join(got, "\n")
		}
		expect := func(text, want string) {
			t.Helper()
			if got := say(text); !strings.Contains(got, want) || strings.Contains(got, "系统繁忙") {
				t.Fatalf("%q: reply %q, want it to contain %q", text, got, want)
			}
		}
		answer := func(key string) (survey.Value, bool) {
			t.Helper()
			d, err := backend.Draft(ctx, "E1", "2026-11")
			if err != nil {
				t.Fatalf("draft: %v", err)
			}
			v, ok := d.Answers[key]
			return v, ok
		}
		expect("绑定 "+code, "绑定成功")
		expect("填报", "所属行业")
		expect("钢铁·特殊钢冶炼", "企业属性")

		// Lost: not stored, and the person is told so; the same answer again is taken.
		store.armed.Store(true)
		if got := say("5"); !strings.Contains(got, "没有处理") || strings.Contains(got, "已记") {
			t.Fatalf("a commit that did not land: reply %q, want that the message was not handled", got)
		}
		if _, ok := answer("ownership"); ok {
			t.Fatal("a commit that did not land left the answer stored")
		}
		expect("5", "已记：民营企业")

		// Landed: the committed turn's own reply, and the next answer goes to its question.
		store.armed.Store(true)
		store.land.Store(true)
		if got := say("有"); !strings.Contains(got, "研发机构") || !strings.Contains(got, "名称") || strings.Contains(got, "系统繁忙") {
			t.Fatalf("a commit that landed: reply %q, want the next question (研发机构的名称)", got)
		}
		expect("省级企业技术中心", "批准部门")
		if v, _ := answer("has_institutions"); !v.Bool {
			t.Errorf("has_institutions = %+v after a commit that landed", v)
		}
		if v, _ := answer("institution.0.inst_name"); v.Text != "省级企业技术中心" {
			t.Errorf("the answer after a commit that landed went to the wrong question: inst_name = %+v", v)
		}

		// Landed, and the store cannot be reached to settle it: not known yet, and the turn's
		// reply follows when the store is back.
		store.armed.Store(true)
		store.answerDown.Store(true)
		before := len(ch.Sender.All())
		bottest.Wait(t, ch.Router.Deliver(ctx, bot.Message{ID: "m-unsettled", From: "张三", Kind: bot.KindText, Text: "山西省工业和信息化厅", Time: clock.Now()}))
		got := bottest.Texts(ch.Sender.All()[before:])
		if len(got) != 1 || !strings.Contains(got[0], "还不能确定") {
			t.Fatalf("an unsettled commit: sent %q, want only that it is not known yet", got)
		}
		store.answerDown.Store(false)
		if _, err := ch.Outbox.Flush(ctx); err != nil {
			t.Fatal(err)
		}
		if later := bottest.Texts(ch.Sender.All()[before+1:]); len(later) != 1 || !strings.Contains(later[0], "研究领域") {
			t.Errorf("once the store is back, sent %q; want the committed turn's next question (研究领域)", later)
		}
		if v, _ := answer("institution.0.inst_approver"); v.Text != "山西省工业和信息化厅" {
			t.Errorf("inst_approver = %+v", v)
		}
		if !strings.Contains(ch.Log.String(), "i/o timeout") {
			t.Errorf("the failed commit is not logged:\n%s", ch.Log)
		}
	})
}
