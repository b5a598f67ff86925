package wechat_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"innobot/bot"
	"innobot/bot/wechat"
	"innobot/invite/invitetest"
	"innobot/storage"
	"innobot/storage/bolt"
	"innobot/survey"
)

// signalWriter collects what is written to it and signals each write.
type signalWriter struct {
	mu    sync.Mutex
	b     bytes.Buffer
	wrote chan struct{}
}

func (w *signalWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.b.Write(p)
	select {
	case w.wrote <- struct{}{}:
	default:
	}
	return len(p), nil
}

func (w *signalWriter) String() string {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.String()
}

const pace = 250 * time.Millisecond

// TestEndToEnd runs the WeChat transport against a fake WeChat web server on loopback, with a
// real bolt store, the real service and router: QR login → a friend binds and answers two
// questions → a group message that @-mentions the bot gets a reply → a file is uploaded and
// sent → WeChat logs the bot out (1101) → it logs in again from the hot-login data, where the
// friend has a new UserName → the liaison continues at the question they were on → messages
// delivered twice are answered once. Every send is checked against the pace.
func TestEndToEnd(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	logs := &signalWriter{wrote: make(chan struct{}, 1)}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	defer func() {
		if t.Failed() {
			t.Logf("transport log:\n%s", logs.String())
		}
	}()

	fake := newFakeWX(t)
	srv := httptest.NewServer(fake)
	defer srv.Close()
	to, _ := url.Parse(srv.URL)

	store, err := bolt.Open(filepath.Join(dir, "innobot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	shanghai := time.FixedZone("CST", 8*3600)
	if err := store.PutEnterprise(ctx, storage.Enterprise{ID: "E1", Name: "山西示范钢铁有限公司", Region: "盐湖区"}); err != nil {
		t.Fatal(err)
	}
	key := invitetest.Key(t)
	code, err := bot.IssueInvite(ctx, store, key, storage.Invite{Role: storage.RoleLiaison, EnterpriseID: "E1", CreatedBy: "test"}, time.Now(), time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	svc := &bot.Service{
		Key: key, Store: store, Form: survey.Default(), Clock: bot.ClockFunc(time.Now), Location: shanghai,
		// Not the account's nickname: the group message below reaches the core only through
		// Mentioned, which comes from openwechat's IsAt.
		BotName: "创新助手", Prefix: "#", Log: log,
	}
	qr := &signalWriter{wrote: make(chan struct{}, 1)}
	tr, err := wechat.New(wechat.Config{
		Dir: dir, Log: log, QR: qr,
		HTTP: reroute{to: to, base: http.DefaultTransport},
		// The outbox paces; the transport's own pace is only a floor under it.
		Pace:     10 * time.Millisecond,
		RetryMin: 20 * time.Millisecond, RetryMax: 200 * time.Millisecond,
		PollGap: 5 * time.Millisecond, SendWait: 10 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	// Every send goes through the paced outbox: replies through its Sender, queued messages
	// (the files below) through its Run.
	returned := make(chan struct{}, 100) // one per send that returned to its caller
	var seen, settled int                // sends the server saw; of them, returns taken
	outbox := &bot.Outbox{
		Store: store, Transport: senderFunc(func(ctx context.Context, out bot.Outgoing) error {
			err := tr.Send(ctx, out)
			returned <- struct{}{}
			return err
		}), Clock: bot.ClockFunc(time.Now), Log: log, Poll: time.Second,
		Pace: bot.Pace{PerMinute: int(time.Minute / pace), Jitter: 0.2},
	}
	router := bot.NewRouter(svc.Handler(), outbox.Sender(), store, log)
	runCtx, stop := context.WithCancel(ctx)
	runErr := make(chan error, 2)
	go func() {
		runErr <- tr.Run(runCtx, func(m bot.Message) <-chan struct{} { return router.Deliver(runCtx, m) })
	}()
	go func() {
		err := outbox.Run(runCtx)
		if errors.Is(err, context.Canceled) {
			err = nil
		}
		runErr <- err
	}()
	defer func() {
		stop()
		for range 2 {
			if err := <-runErr; err != nil {
				t.Errorf("Run: %v", err)
			}
		}
		router.Wait()
	}()
	// settle waits until every send the server saw has returned to its caller.
	settle := func() {
		t.Helper()
		for ; settled < seen; settled++ {
			select {
			case <-returned:
			case <-time.After(10 * time.Second):
				t.Fatal("a send did not return")
			}
		}
	}
	queueFile := func(id, to, path string) {
		t.Helper()
		err := store.Enqueue(ctx, []storage.OutboxMessage{{ID: id, To: to, File: path, Source: "test", QueuedAt: time.Now()}})
		if err != nil {
			t.Fatal(err)
		}
		outbox.Kick()
	}

	// QR login: the code is printed and saved, and the status says a scan is needed.
	select {
	case <-qr.wrote:
	case <-time.After(10 * time.Second):
		t.Fatal("no QR code printed")
	}
	if !strings.Contains(qr.String(), "https://login.weixin.qq.com/l/U1") || !strings.Contains(qr.String(), "█") {
		t.Errorf("QR output lacks the login link or the drawing:\n%s", qr.String())
	}
	if st := tr.Status(); !st.NeedScan || st.LoggedIn || st.QRURL != "https://login.weixin.qq.com/l/U1" {
		t.Errorf("status before the scan = %+v", st)
	}
	if png, err := os.ReadFile(filepath.Join(dir, wechat.QRCodeName)); err != nil || !bytes.HasPrefix(png, []byte("\x89PNG")) {
		t.Errorf("QR PNG not saved: %v", err)
	}
	fake.scan()

	// A friend binds and answers two questions. The first syncs carry the SyncKey faults that
	// panic openwechat 1.4.10 unguarded.
	friend := func(id, text string, minGen int) fakeMsg {
		return fakeMsg{ID: id, From: "friend", Content: text, MinGen: minGen}
	}
	expect := func(who, want string) sent {
		t.Helper()
		s := fake.next(t)
		seen++
		if s.To != who || !strings.Contains(s.Text+s.File, want) {
			t.Fatalf("sent %q to %s, want %q to %s", s.Text+s.File, s.To, want, who)
		}
		return s
	}
	fake.deliver(friend("1001", "绑定 "+code, 1))
	expect("@friendA1", "绑定成功：您是【山西示范钢铁有限公司】")
	if st := tr.Status(); !st.LoggedIn || st.NeedScan || st.Account != "innobot测试号" {
		t.Errorf("status after login = %+v", st)
	}
	if _, err := os.Stat(filepath.Join(dir, wechat.QRCodeName)); !os.IsNotExist(err) {
		t.Errorf("used QR code left behind: %v", err)
	}
	fake.deliver(friend("1002", "填报", 1))
	expect("@friendA1", "（第 1/")
	fake.deliver(friend("1003", "钢铁·特殊钢冶炼", 1))
	expect("@friendA1", "企业属性")
	fake.deliver(friend("1004", "民营", 1))
	third := expect("@friendA1", "已记：民营企业")
	question := lastParagraph(third.Text)

	// In the group: a message not addressed to the bot gets nothing; one that @-mentions it
	// gets a reply in the group.
	fake.deliver(
		fakeMsg{ID: "2001", From: "group", Member: "member", Content: "大家好", MinGen: 1},
		fakeMsg{ID: "2002", From: "group", Member: "member", Content: "@" + botNick + "\u2005进度", MinGen: 1},
	)
	groupReply := expect("@@group1", "")
	if groupReply.Text == "" {
		t.Errorf("empty group reply")
	}

	// A file to the liaison, by the stable id the store bound, queued in the outbox.
	e, err := store.Enterprise(ctx, "E1")
	if err != nil || e.LiaisonID == "" {
		t.Fatalf("liaison not bound: %+v %v", e, err)
	}
	ledger := filepath.Join(t.TempDir(), "台账.xlsx")
	if err := os.WriteFile(ledger, bytes.Repeat([]byte("innobot "), 300), 0o600); err != nil {
		t.Fatal(err)
	}
	queueFile("file-1", e.LiaisonID, ledger)
	expect("@friendA1", "台账.xlsx")
	settle() // WeChat's logout would cut a send still waiting for its answer

	// WeChat logs the bot out; it comes back from the saved session, without a scan, and the
	// friend has a new UserName. The re-delivered "民营" (hot login repeats old messages) is
	// dropped; the liaison's "填报" resumes at the third question; a file still goes out (the
	// upload needs the ticket the hot login kept); an answer delivered twice in one sync is
	// answered once.
	fake.logout()
	fake.deliver(
		friend("1004", "民营", 2),
		friend("1005", "填报", 2),
	)
	resumed := expect("@friendA2", "")
	if !strings.Contains(resumed.Text, question) {
		t.Errorf("after the re-login 填报 answered\n%s\nwant the question they were on:\n%s", resumed.Text, question)
	}
	queueFile("file-2", e.LiaisonID, ledger) // the upload needs the ticket the hot login kept
	expect("@friendA2", "台账.xlsx")
	dup := fakeMsg{ID: "1006", From: "friend", Content: "有", MinGen: 2, Batch: 1}
	fake.deliver(dup, dup)
	expect("@friendA2", "名称")
	fake.deliver(friend("1007", "进度", 2))
	expect("@friendA2", "")

	// Nothing else was sent: the first group message and the repeats got no answer.
	select {
	case s := <-fake.sent:
		t.Errorf("unexpected send %+v", s)
	default:
	}
	fake.mu.Lock()
	sends, uploads, jslogins, inits := fake.sends, fake.uploads, fake.jslogins, fake.inits
	fake.mu.Unlock()
	if jslogins != 1 || inits != 2 {
		t.Errorf("QR logins = %d, inits = %d; want 1 scan and one hot login", jslogins, inits)
	}
	if len(uploads) != 2 {
		t.Fatalf("uploads = %+v", uploads)
	}
	for _, u := range uploads {
		if u.Ticket != fakeTicket || u.Size != 2400 || filepath.Base(u.Name) != "台账.xlsx" {
			t.Errorf("upload = %+v, want ticket %s, 2400 bytes, named 台账.xlsx", u, fakeTicket)
		}
	}
	// The outbox's slots are 0.8 to 1.2 paces apart; the server sees them with a few
	// milliseconds of noise.
	minGap := time.Duration(float64(pace)*0.8) - 50*time.Millisecond
	for i := 1; i < len(sends); i++ {
		if gap := sends[i].At.Sub(sends[i-1].At); gap < minGap {
			t.Errorf("send %d came %v after the one before, want at least %v", i, gap, minGap)
		}
	}
	recorded, err := store.Sent(ctx, time.Time{})
	if err != nil || len(recorded) == 0 || recorded[0].ID != "file-1" {
		t.Errorf("outbox recorded %+v (%v), want file-1 first", recorded, err)
	}
	settle()
	st := tr.Status()
	if !st.LoggedIn || st.Logins != 2 || st.Reconnects != 1 || st.Sent != uint64(len(sends)) || st.SendErrors != 0 || st.LastMessage.IsZero() {
		t.Errorf("status at the end = %+v", st)
	}
	if st.Received != 11 {
		t.Errorf("received = %d, want 11 (every delivery, repeats included)", st.Received)
	}
}

// TestLoginRefused: an account WeChat bars from desktop login (ret 1203) stops Run with
// ErrLoginRefused instead of asking for scans forever.
func TestLoginRefused(t *testing.T) {
	fake := newFakeWX(t)
	fake.refuse, fake.scanned = true, true
	srv := httptest.NewServer(fake)
	defer srv.Close()
	to, _ := url.Parse(srv.URL)
	logs := &signalWriter{wrote: make(chan struct{}, 1)}
	tr, err := wechat.New(wechat.Config{
		Dir: t.TempDir(), Log: slog.New(slog.NewTextHandler(logs, nil)), QR: io.Discard,
		HTTP: reroute{to: to, base: http.DefaultTransport}, PollGap: time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- tr.Run(t.Context(), func(bot.Message) <-chan struct{} { return nil }) }()
	select {
	case err = <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Run did not give up")
	}
	if !errors.Is(err, wechat.ErrLoginRefused) || !strings.Contains(err.Error(), "1203") {
		t.Errorf("Run = %v, want ErrLoginRefused with ret 1203", err)
	}
	if st := tr.Status(); st.State != wechat.StateRefused || !strings.Contains(st.LastError, "不能登录") {
		t.Errorf("status = %+v", st)
	}
}

// senderFunc adapts a function to a bot.Sender.
type senderFunc func(context.Context, bot.Outgoing) error

func (f senderFunc) Send(ctx context.Context, out bot.Outgoing) error { return f(ctx, out) }

// lastParagraph is the question at the end of a reply.
func lastParagraph(s string) string {
	parts := strings.Split(strings.TrimSpace(s), "\n\n")
	q := parts[len(parts)-1]
	if i := strings.Index(q, "\n"); i > 0 {
		q = q[:i]
	}
	return q
}
