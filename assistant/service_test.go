package assistant_test

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	_ "time/tzdata" // Asia/Shanghai on machines without a zoneinfo database

	"innobot/assistant"
	"innobot/bot"
	"innobot/bot/bottest"
	"innobot/invite"
	"innobot/invite/invitetest"
	"innobot/storage"
	"innobot/storage/bolt"
	"innobot/survey"
)

// recReplier is what went out for one message: replies and files to its chat, and messages
// to others.
type recReplier struct {
	replies []string
	files   []string
	sends   []bot.Outgoing
}

func (r *recReplier) text() string { return strings.Join(r.replies, "\n") }
func (r *recReplier) silent() bool { return len(r.replies)+len(r.files)+len(r.sends) == 0 }
func (r *recReplier) String() string {
	return fmt.Sprintf("replies %q files %q sends %+v", r.replies, r.files, r.sends)
}
func (r *recReplier) has(want string) bool   { return strings.Contains(r.text(), want) }
func (r *recReplier) lacks(want string) bool { return !r.has(want) }

// env is a assistant.Service over a real bolt store in a temporary directory.
type env struct {
	t     *testing.T
	path  string
	store *bolt.Store
	key   invite.Key
	clock *bottest.Clock
	loc   *time.Location
	log   *bottest.Log
	svc   *assistant.Service
	h     bot.Handler
	chat  *bottest.Chat // the router and outbox messages go through
	n     int
}

var shanghai = func() *time.Location {
	loc, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		panic(err)
	}
	return loc
}()

func newEnv(t *testing.T) *env {
	t.Helper()
	return newEnvIn(t, t.TempDir())
}

// newEnvIn is newEnv with the store's file in dir.
func newEnvIn(t *testing.T, dir string) *env {
	t.Helper()
	e := &env{
		t:     t,
		path:  filepath.Join(dir, "innobot.db"),
		clock: bottest.NewClock(time.Date(2026, 11, 20, 10, 0, 0, 0, shanghai)),
		loc:   shanghai,
		key:   invitetest.Key(t),
	}
	store, err := bolt.Open(e.path)
	if err != nil {
		t.Fatal(err)
	}
	e.store = store
	t.Cleanup(func() { e.store.Close() })
	e.newService()
	e.enterprise("E1", "山西某某钢铁有限公司", "盐湖区")
	e.enterprise("E2", "永济某某电机有限公司", "永济市")
	return e
}

// newService replaces the service (its in-memory try counts go) over the same store.
func (e *env) newService() {
	log, buf := bottest.NewLog()
	e.log = buf
	e.svc = &assistant.Service{
		Key: e.key, Store: e.store, Form: survey.Default(), Clock: bot.ClockFunc(e.clock.Now), Location: e.loc,
		BotName: "创新助手", Prefix: "#", Log: log,
	}
	e.h = e.svc.Handler()
	e.chat = bottest.NewChat(e.t, e.store, e.h, e.svc.Clock)
}

func (e *env) enterprise(id, name, region string) {
	e.t.Helper()
	if err := e.store.PutEnterprise(e.t.Context(), storage.Enterprise{ID: id, Name: name, Region: region}); err != nil {
		e.t.Fatal(err)
	}
}

// invite issues a liaison code for the enterprise, valid 7 days from the clock.
func (e *env) invite(enterpriseID string) string {
	e.t.Helper()
	code, err := assistant.IssueInvite(e.t.Context(), e.store, e.svc.Key,
		storage.Invite{Role: storage.RoleLiaison, EnterpriseID: enterpriseID, CreatedBy: "test"},
		e.clock.Now(), 7*24*time.Hour, nil)
	if err != nil {
		e.t.Fatal(err)
	}
	return code
}

// send hands one message to the service's handler, as the router would.
func (e *env) send(m bot.Message) *recReplier {
	e.t.Helper()
	e.n++
	if m.ID == "" {
		m.ID = fmt.Sprintf("msg-%d", e.n)
	}
	if m.Kind == "" {
		m.Kind = bot.KindText
	}
	if m.FromName == "" {
		m.FromName = m.From
	}
	m.Time = e.clock.Now()
	w := &recReplier{}
	for _, o := range e.chat.Deliver(m) {
		switch {
		case !bottest.InChat(m, o):
			w.sends = append(w.sends, o)
		case o.File != "":
			w.files = append(w.files, o.File)
		default:
			w.replies = append(w.replies, o.Text)
		}
	}
	return w
}

// say sends a private text message.
func (e *env) say(from, text string) *recReplier {
	e.t.Helper()
	return e.send(bot.Message{From: from, Text: text})
}

// bind binds contact as the enterprise's liaison with a fresh code.
func (e *env) bind(contact, enterpriseID string) {
	e.t.Helper()
	code := e.invite(enterpriseID)
	if w := e.say(contact, "绑定 "+code); w.lacks("绑定成功") {
		e.t.Fatalf("binding %s: %s", contact, w)
	}
}

func (e *env) period() string { return e.clock.Now().In(e.loc).Format("2006-01") }

// state is everything stored about one contact and one enterprise.
type state struct {
	Contact     storage.Contact
	ContactErr  string
	Enterprise  storage.Enterprise
	Session     storage.Session
	Draft       storage.Draft
	DraftErr    string
	Submissions []storage.Submission
}

func errText(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func (e *env) state(contact, enterpriseID string) state {
	e.t.Helper()
	ctx := e.t.Context()
	var s state
	var err error
	s.Contact, err = e.store.Contact(ctx, contact)
	s.ContactErr = errText(err)
	if s.Enterprise, err = e.store.Enterprise(ctx, enterpriseID); err != nil {
		e.t.Fatal(err)
	}
	if s.Session, err = e.store.Session(ctx, contact); err != nil {
		e.t.Fatal(err)
	}
	s.Draft, err = e.store.Draft(ctx, enterpriseID, e.period())
	s.DraftErr = errText(err)
	if s.Submissions, err = e.store.Submissions(ctx, enterpriseID); err != nil {
		e.t.Fatal(err)
	}
	return s
}

func (e *env) unchanged(before state, contact, enterpriseID string) {
	e.t.Helper()
	if after := e.state(contact, enterpriseID); !reflect.DeepEqual(before, after) {
		e.t.Errorf("stored state changed:\nbefore %+v\nafter  %+v", before, after)
	}
}

func (e *env) handled(contact, id string) bool {
	e.t.Helper()
	ok, err := e.store.Handled(e.t.Context(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return ok
}

func fullWidth(s string) string {
	var b strings.Builder
	for _, r := range s {
		if r >= '!' && r <= '~' {
			r += 0xFEE0
		}
		b.WriteRune(r)
	}
	return b.String()
}

func TestUnboundContactGetsWelcome(t *testing.T) {
	e := newEnv(t)
	for _, text := range []string{"你好", "填报", "进度", "", "帮助"} {
		t.Run(text, func(t *testing.T) {
			w := e.say("王五"+text, text) // a stranger hears the bot once a day (TestUnboundQuiet)
			for _, want := range []string{"绑定", "邀请码", "例如"} {
				if w.lacks(want) {
					t.Errorf("reply lacks %q: %s", want, w)
				}
			}
			if _, err := e.store.Contact(t.Context(), "王五"+text); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("a welcome stored the contact: err = %v", err)
			}
		})
	}
}

func TestBindAccepts(t *testing.T) {
	tests := []struct {
		name string
		text func(code string) string
	}{
		{"space", func(c string) string { return "绑定 " + c }},
		{"no space", func(c string) string { return "绑定" + c }},
		{"colon", func(c string) string { return "绑定：" + c }},
		{"full-width digits", func(c string) string { return "绑定 " + fullWidth(c) }},
		{"full-width digits, ideographic space", func(c string) string { return "绑定\u3000" + fullWidth(c) }},
		{"spaces inside the code", func(c string) string { return "绑定 " + c[:3] + " " + c[3:] }},
		{"lower case", func(c string) string { return "绑定 " + strings.ToLower(c) }},
		{"full-width lower case", func(c string) string { return "绑定 " + fullWidth(strings.ToLower(c)) }},
		{"a dash inside", func(c string) string { return "绑定 " + c[:4] + "-" + c[4:] }},
		{"surrounding spaces and a full stop", func(c string) string { return "  绑定 " + c + "。" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			code := e.invite("E1")
			w := e.say("张三", tt.text(code))
			for _, want := range []string{"绑定成功", "山西某某钢铁有限公司", "盐湖区", "联络人", "填报"} {
				if w.lacks(want) {
					t.Errorf("reply lacks %q: %s", want, w)
				}
			}
			got := e.state("张三", "E1")
			if got.Contact.Role != storage.RoleLiaison || got.Contact.EnterpriseID != "E1" {
				t.Errorf("stored contact %+v, want a liaison of E1", got.Contact)
			}
			if got.Enterprise.LiaisonID != "张三" {
				t.Errorf("enterprise liaison %q, want 张三", got.Enterprise.LiaisonID)
			}
		})
	}
}

// TestBindAsksContactDetails: a new liaison is asked once for name and mobile, offered the
// imported list's, and the answer is kept on the contact (附件2's 企业联系人 and 联系电话);
// 修改 联系方式 changes it later.
func TestBindAsksContactDetails(t *testing.T) {
	e := newEnv(t)
	ent := storage.Enterprise{ID: "E3", Name: "芮城某某食品有限公司", Region: "芮城县", ContactName: "赵六", ContactTel: "13500000000"}
	if err := e.store.PutEnterprise(t.Context(), ent); err != nil {
		t.Fatal(err)
	}
	code := e.invite("E3")
	if w := e.say("张三", "绑定 "+code); w.lacks("请回复您的姓名和手机号") || w.lacks("名单上登记的是：赵六 13500000000") {
		t.Fatalf("binding did not ask for the details: %s", w)
	}
	if w := e.say("张三", "张三 139-1234-5678"); w.lacks("已登记：联系人 张三，手机 13912345678") {
		t.Fatalf("details: %s", w)
	}
	c := e.state("张三", "E3").Contact
	if c.Person != "张三" || c.Mobile != "13912345678" {
		t.Errorf("contact %+v, want the name and mobile given", c)
	}
	e.say("张三", "填报")
	e.say("张三", "修改 联系方式")
	if w := e.say("张三", "13800001111 李四"); w.lacks("联系人 李四") || w.lacks("所属行业") {
		t.Errorf("修改 联系方式 mid-survey: %s", w)
	}
	if c := e.state("张三", "E3").Contact; c.Person != "李四" || c.Mobile != "13800001111" {
		t.Errorf("after 修改 联系方式: %+v", c)
	}
	// A liaison taking over is asked too, and may keep the imported one.
	code = e.invite("E3")
	if w := e.say("王五", "绑定 "+code); w.lacks("请回复您的姓名和手机号") {
		t.Fatalf("the new liaison was not asked: %s", w)
	}
	e.say("王五", "沿用")
	if c := e.state("王五", "E3").Contact; c.Person != "赵六" || c.Mobile != "13500000000" {
		t.Errorf("沿用: %+v", c)
	}
}

// TestBindWordInAnswer: an answer that starts with 绑定 but holds no code is an answer, not a
// wrong code counting toward the lockout.
func TestBindWordInAnswer(t *testing.T) {
	e := newEnv(t)
	e.bind("张三", "E1")
	e.say("张三", "填报")
	for range 6 {
		e.say("张三", "绑定了两个平台")
	}
	if n, err := e.store.BindFailures(t.Context(), "张三", time.Time{}); err != nil || n != 0 {
		t.Fatalf("bind failures = %d, %v; want 0", n, err)
	}
	if got := e.state("张三", "E1").Draft.Answers["industry"].Text; got != "绑定了两个平台" {
		t.Errorf("industry = %q, want the answer kept", got)
	}
	if w := e.say("路人", "绑定 一二三"); w.lacks("例如：绑定") || w.has("不正确") {
		t.Errorf("a code of the wrong shape: %s", w)
	}
}

func TestBindRefuses(t *testing.T) {
	tests := []struct {
		name string
		// setup returns the message to send.
		setup func(e *env) string
		want  []string
	}{
		{"wrong code", func(e *env) string {
			wrong := "23456789"
			if e.invite("E1") == wrong {
				wrong = "98765432"
			}
			return "绑定 " + wrong
		}, []string{"邀请码不正确", "例如"}},
		{"no code", func(e *env) string { e.invite("E1"); return "绑定" }, []string{"邀请码", "例如：绑定"}},
		{"retired 6-digit code", func(e *env) string { e.invite("E1"); return "绑定 483920" }, []string{"旧邀请码已停用", "索取新的邀请码"}},
		{"not a code", func(e *env) string { e.invite("E1"); return "绑定 K7M3QX" }, []string{"8 位", "例如：绑定"}},
		{"no code after a colon", func(e *env) string { e.invite("E1"); return "绑定：" }, []string{"邀请码", "例如：绑定"}},
		{"code used by someone else", func(e *env) string {
			code := e.invite("E1")
			e.say("李四", "绑定 "+code)
			return "绑定 " + code
		}, []string{"已经用过", "新的邀请码"}},
		{"expired code", func(e *env) string {
			code := e.invite("E1")
			e.clock.Set(e.clock.Now().Add(7*24*time.Hour + time.Minute))
			return "绑定 " + code
		}, []string{"已过期", "新的邀请码"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			text := tt.setup(e)
			w := e.say("张三", text)
			for _, want := range tt.want {
				if w.lacks(want) {
					t.Errorf("reply lacks %q: %s", want, w)
				}
			}
			if w.has("绑定成功") {
				t.Errorf("refused code reported as bound: %s", w)
			}
			if _, err := e.store.Contact(t.Context(), "张三"); !errors.Is(err, storage.ErrNotFound) {
				t.Errorf("contact stored after a refused code: err = %v", err)
			}
			if got := e.state("张三", "E1").Enterprise.LiaisonID; got == "张三" {
				t.Errorf("enterprise bound to a refused contact")
			}
			// Still unbound: the welcome again.
			if w := e.say("张三", "填报"); w.lacks("绑定") {
				t.Errorf("after a refused code, 填报 got %s", w)
			}
		})
	}
}

// A wrong code leaves a valid one usable.
func TestBindWrongThenRight(t *testing.T) {
	e := newEnv(t)
	code := e.invite("E1")
	wrong := "22222222"
	if code == wrong {
		wrong = "33333333"
	}
	if w := e.say("张三", "绑定 "+wrong); w.lacks("不正确") {
		t.Fatalf("wrong code: %s", w)
	}
	if w := e.say("张三", "绑定 "+code); w.lacks("绑定成功") {
		t.Fatalf("right code after a wrong one: %s", w)
	}
}

func TestBindHandover(t *testing.T) {
	e := newEnv(t)
	e.bind("张三", "E1")
	// 张三 starts the survey: the draft belongs to the enterprise and survives the handover.
	e.say("张三", "填报")
	if w := e.say("张三", "钢铁·特殊钢冶炼"); w.lacks("（第 2/") {
		t.Fatalf("answering the first question: %s", w)
	}

	code := e.invite("E1")
	w := e.say("李四", "绑定 "+code)
	if w.lacks("绑定成功") || w.lacks("山西某某钢铁有限公司") {
		t.Errorf("new liaison's reply: %s", w)
	}
	if len(w.sends) != 1 {
		t.Fatalf("sends to other chats %+v, want one telling 张三", w.sends)
	}
	told := w.sends[0]
	if told.To != "张三" || told.Group != "" || !strings.Contains(told.Text, "山西某某钢铁有限公司") || !strings.Contains(told.Text, "不再负责") {
		t.Errorf("message to the replaced liaison = %+v", told)
	}

	if got := e.state("李四", "E1"); got.Enterprise.LiaisonID != "李四" || got.Contact.Role != storage.RoleLiaison {
		t.Errorf("after handover: enterprise liaison %q, 李四 %+v", got.Enterprise.LiaisonID, got.Contact)
	}
	if old := e.state("张三", "E1").Contact; old.Role != storage.RoleNone || old.EnterpriseID != "" {
		t.Errorf("replaced liaison still holds a role: %+v", old)
	}
	if w := e.say("张三", "填报"); w.lacks("绑定 邀请码") || w.has("（第") {
		t.Errorf("replaced liaison sending 填报 got %s, want the welcome", w)
	}
	if w := e.say("李四", "填报"); w.lacks("继续填写") || w.lacks("（第 2/") {
		t.Errorf("new liaison sending 填报 got %s, want to resume at question 2", w)
	}
}

// Binding the same liaison again (a second code for the same enterprise) tells nobody.
func TestBindSameLiaisonAgainTellsNobody(t *testing.T) {
	e := newEnv(t)
	e.bind("张三", "E1")
	code := e.invite("E1")
	w := e.say("张三", "绑定 "+code)
	if w.lacks("绑定成功") || len(w.sends) != 0 {
		t.Errorf("rebinding: %s", w)
	}
}

// path is how a liaison reaches the first questions of each kind used below.
var path = []struct {
	text string
	key  string
	want survey.Value
}{
	{"填报", "", survey.Value{}},
	{"钢铁·特殊钢冶炼", "industry", survey.Value{Text: "钢铁·特殊钢冶炼"}},
	{"5", "ownership", survey.Value{Choice: 5}},
	{"有", "has_institutions", survey.Value{Bool: true}},
	{"省级企业技术中心", "institution.0.inst_name", survey.Value{Text: "省级企业技术中心"}},
	{"山西省工业和信息化厅", "institution.0.inst_approver", survey.Value{Text: "山西省工业和信息化厅"}},
	{"特殊钢", "institution.0.inst_field", survey.Value{Text: "特殊钢"}},
	{"2", "institution.0.inst_count", survey.Value{Num: 2}},
	{"30", "institution.0.inst_staff", survey.Value{Num: 30}},
	{"12.5", "institution.0.inst_cost", survey.Value{Num: 12.5}},
}

// advance answers the first n steps of path for the contact, and checks the cursor is at the
// next one.
func (e *env) advance(contact string, n int) {
	e.t.Helper()
	for _, p := range path[:n] {
		if w := e.say(contact, p.text); w.has("系统繁忙") {
			e.t.Fatalf("%q: %s", p.text, w)
		}
	}
	if sess := e.state(contact, "E1").Session; n < len(path) && sess.Cursor != path[n].key {
		e.t.Fatalf("after %d answers the cursor is %q, want %q", n, sess.Cursor, path[n].key)
	}
}

func TestBadInputChangesNothing(t *testing.T) {
	e := newEnv(t)
	// One enterprise and liaison per question kind, each waiting at that question.
	kinds := []struct {
		kind    string
		steps   int // answers of path before the question
		expects string
	}{
		{"choice", 2, "编号"},
		{"yesno", 3, "“有”或“无”"},
		{"count", 7, "数字"},
		{"money", 9, "万元"},
	}
	for _, k := range kinds {
		e.enterprise("E-"+k.kind, "企业-"+k.kind, "盐湖区")
		e.bind("联络人-"+k.kind, "E-"+k.kind)
		for _, p := range path[:k.steps] {
			e.say("联络人-"+k.kind, p.text)
		}
		sess, _ := e.store.Session(t.Context(), "联络人-"+k.kind)
		if sess.Cursor != path[k.steps].key {
			t.Fatalf("%s liaison waits at %q, want %q", k.kind, sess.Cursor, path[k.steps].key)
		}
	}

	long := strings.Repeat("研发", 1500)
	type input struct {
		name, text string
		want       string // "" = the kind's expects
		tooLong    bool
	}
	inputs := []input{
		{name: "empty", text: ""},
		{name: "spaces", text: "   "},
		{name: "3000 characters", text: long, want: "消息太长", tooLong: true},
		{name: "emoji", text: "😀👍🎉"},
		{name: "control characters", text: "\x00\x07\x1b\x7f"},
		{name: "invalid UTF-8", text: "\xff\xfe", want: "无法识别"},
		{name: "question back", text: "什么意思？", want: "（第 "}, // explained, then asked again
	}
	tests := map[string][]input{
		"choice": append(slices.Clip(inputs), input{name: "number out of range", text: "99", want: "1 到 7"},
			input{name: "zero", text: "0", want: "1 到 7"}),
		"yesno": append(slices.Clip(inputs), input{name: "number", text: "99"}, input{name: "有没有", text: "有没有"}),
		"count": append(slices.Clip(inputs), input{name: "negative", text: "-5", want: "不能小于 0"},
			input{name: "fraction", text: "2.5", want: "整数"}, input{name: "money unit", text: "12万元"}),
		"money": append(slices.Clip(inputs), input{name: "negative", text: "-5", want: "不能小于 0"},
			input{name: "people unit", text: "12人"}),
	}
	for _, k := range kinds {
		for _, in := range tests[k.kind] {
			t.Run(k.kind+"/"+in.name, func(t *testing.T) {
				e.newService() // fresh try counts: each case is a first bad try
				contact, ent := "联络人-"+k.kind, "E-"+k.kind
				before := e.state(contact, ent)
				e.n++
				id := fmt.Sprintf("bad-%d", e.n)
				w := e.send(bot.Message{ID: id, From: contact, Text: in.text})
				want := in.want
				if want == "" {
					want = k.expects
				}
				if w.lacks(want) {
					t.Errorf("reply lacks %q: %s", want, w)
				}
				if !in.tooLong && in.want != "无法识别" && w.lacks("（第 ") {
					t.Errorf("reply does not ask the question again: %s", w)
				}
				if w.has("已记") || w.has("系统繁忙") {
					t.Errorf("bad input acknowledged or failed: %s", w)
				}
				e.unchanged(before, contact, ent)
				// Its answer (the question again) is stored, so a redelivery is dropped.
				if !e.handled(contact, id) {
					t.Errorf("the reply to a rejected message was not stored as its answer")
				}
			})
		}
	}
}

// After three failed tries the reply says plainly what is accepted, still storing nothing.
func TestThirdFailedTryExplains(t *testing.T) {
	e := newEnv(t)
	e.bind("张三", "E1")
	e.advance("张三", 7) // at the count question
	before := e.state("张三", "E1")
	var w *recReplier
	for range 3 {
		w = e.say("张三", "很多")
	}
	if w.lacks("只需回复一个数字") || w.lacks("个") {
		t.Errorf("third failed try: %s", w)
	}
	e.unchanged(before, "张三", "E1")
}

func TestLimits(t *testing.T) {
	e := newEnv(t)
	e.bind("张三", "E1")
	e.advance("张三", 1) // at the first question (text, at most 100 characters)
	tests := []struct {
		name    string
		m       bot.Message
		want    string
		notWant string
	}{
		{"2001 characters", bot.Message{From: "张三", Text: strings.Repeat("字", 2001)}, "消息太长", "（第"},
		{"3000 characters", bot.Message{From: "张三", Text: strings.Repeat("a", 3000)}, "消息太长", "（第"},
		// At the limit the message is read, and the question's own limit applies.
		{"2000 characters", bot.Message{From: "张三", Text: strings.Repeat("字", 2000)}, "最多 100 字", "消息太长"},
		{"picture", bot.Message{From: "张三", Kind: bot.KindOther}, "文字", "（第"},
		{"picture with a caption", bot.Message{From: "张三", Kind: bot.KindOther, Text: "钢铁"}, "文字", "已记"},
		{"unbound, too long", bot.Message{From: "王五", Text: strings.Repeat("字", 2001)}, "消息太长", "绑定"},
		{"unbound, picture", bot.Message{From: "赵六", Kind: bot.KindOther}, "文字", "绑定"},
		{"photo", bot.Message{From: "张三", Kind: bot.KindImage}, "收到图片", "（第"},
		{"voice", bot.Message{From: "张三", Kind: bot.KindVoice}, "打字", "（第"},
		{"recall during the survey", bot.Message{From: "张三", Kind: bot.KindRecall}, "要改刚才那题，回复“上一题”；改其他题回复“修改 N”", "（第"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.state(tt.m.From, "E1")
			w := e.send(tt.m)
			if w.lacks(tt.want) || w.has(tt.notWant) {
				t.Errorf("reply %s, want one with %q and without %q", w, tt.want, tt.notWant)
			}
			if len(w.replies) != 1 {
				t.Errorf("%d replies, want one short reply", len(w.replies))
			}
			e.unchanged(before, tt.m.From, "E1")
		})
	}
}

// TestRecallOutsideSurvey: a recall is answered only where it might worry someone, a liaison in
// the middle of the survey; anyone else recalling a message hears nothing.
func TestRecallOutsideSurvey(t *testing.T) {
	e := newEnv(t)
	e.bind("张三", "E1") // bound, survey not started
	for _, from := range []string{"张三", "王五"} {
		if w := e.send(bot.Message{From: from, Kind: bot.KindRecall}); len(w.replies) != 0 {
			t.Errorf("%s recalled a message outside the survey and got %s", from, w)
		}
	}
}

// TestUnboundQuiet: an unbound stranger, and a group nobody bound, hear the bot once a day
// whatever they send, and again the next day; a try to bind is always answered, and bound
// people in bound groups are not limited.
func TestUnboundQuiet(t *testing.T) {
	e := newEnv(t)
	e.bind("张三", "E1")
	if err := e.store.PutGroup(t.Context(), storage.Group{ID: "bound group", Name: "盐湖区帮扶群", Region: "盐湖区"}, storage.Answer{}); err != nil {
		t.Fatal(err)
	}
	replies := func(ms ...bot.Message) []int {
		var n []int
		for _, m := range ms {
			n = append(n, len(e.send(m).replies))
		}
		return n
	}
	stranger := []bot.Message{{From: "王五", Text: "你好"}, {From: "王五", Text: "在吗"}, {From: "王五", Kind: bot.KindImage},
		{From: "王五", Text: "绑定"}, {From: "王五", Text: "绑定 ABCD2345"}, {From: "王五", Text: "填报"}}
	if got := replies(stranger...); !slices.Equal(got, []int{1, 0, 0, 1, 1, 0}) {
		t.Errorf("replies to a stranger's messages: %v, want the first and the binding tries only", got)
	}
	group := []bot.Message{{From: "张三", Group: "other group", Mentioned: true, Text: "进度"},
		{From: "王五", Group: "other group", Mentioned: true, Text: "你好"}}
	if got := replies(group...); !slices.Equal(got, []int{1, 0}) {
		t.Errorf("replies in an unbound group: %v, want the first only", got)
	}
	bound := []bot.Message{{From: "张三", Text: "进度"}, {From: "张三", Text: "进度"},
		{From: "张三", Group: "bound group", Mentioned: true, Text: "进度"}, {From: "张三", Group: "bound group", Mentioned: true, Text: "进度"}}
	if got := replies(bound...); !slices.Equal(got, []int{1, 1, 1, 1}) {
		t.Errorf("replies to a liaison: %v, want every one", got)
	}
	e.clock.Set(e.clock.Now().Add(24 * time.Hour))
	if got := replies(stranger[1], group[1]); !slices.Equal(got, []int{1, 1}) {
		t.Errorf("the next day: %v, want one reply each again", got)
	}
}

func TestGroupMessages(t *testing.T) {
	e := newEnv(t)
	e.bind("张三", "E1")
	e.advance("张三", 1)
	code := e.invite("E2")
	const g = "盐湖区帮扶群"
	tests := []struct {
		name string
		m    bot.Message
		want []string // nil: no reply at all
	}{
		{"liaison, not addressed", bot.Message{From: "张三", Group: g, Text: "填报"}, nil},
		{"unbound, not addressed", bot.Message{From: "王五", Group: g, Text: "你好"}, nil},
		{"not addressed, binding code", bot.Message{From: "王五", Group: g, Text: "绑定 " + code}, nil},
		{"not addressed, picture", bot.Message{From: "张三", Group: g, Kind: bot.KindOther}, nil},
		{"not addressed, empty", bot.Message{From: "张三", Group: g, Text: ""}, nil},
		{"prefix elsewhere in the text", bot.Message{From: "张三", Group: g, Text: "填报 #1"}, nil},

		{"liaison, @ in text and mentioned", bot.Message{From: "张三", Group: g, Mentioned: true, Text: "@创新助手 填报"}, []string{"私聊"}},
		{"liaison, @ in text only", bot.Message{From: "张三", Group: g, Text: "@创新助手\u2005填报"}, []string{"私聊"}},
		{"liaison, mentioned flag only", bot.Message{From: "张三", Group: g, Mentioned: true, Text: "填报"}, []string{"私聊"}},
		{"liaison, prefix", bot.Message{From: "张三", Group: g, Text: "#填报"}, []string{"私聊"}},
		{"liaison, prefix and space", bot.Message{From: "张三", Group: g, Text: "# 填报"}, []string{"私聊"}},
		{"liaison, full-width @ typed", bot.Message{From: "张三", Group: g, Text: "＠创新助手 填报"}, []string{"私聊"}},
		{"liaison, full-width prefix", bot.Message{From: "张三", Group: g, Text: "＃填报"}, []string{"私聊"}},
		{"liaison answer in group", bot.Message{From: "张三", Group: g, Text: "#5"}, []string{"私聊"}},
		{"unbound, addressed", bot.Message{From: "王五", Group: g, Text: "@创新助手 你好"}, []string{"私聊", "绑定"}},
		{"binding code, @", bot.Message{From: "王五", Group: g, Mentioned: true, Text: "@创新助手 绑定 " + code}, []string{"只能私聊", "已经作废", "索取新的邀请码"}},
		{"binding code, prefix", bot.Message{From: "王五", Group: g, Text: "#绑定 " + code}, []string{"不要在群里"}},
		{"liaison, binding code, @", bot.Message{From: "张三", Group: g, Mentioned: true, Text: "@创新助手 绑定 " + code}, []string{"不要在群里"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.want != nil {
				// The group is bound to nobody, and such a group hears the bot once a day
				// (TestUnboundQuiet): each case speaks in a group of its own.
				tt.m.Group = g + " " + tt.name
			}
			before := e.state(tt.m.From, "E1")
			before2 := e.state(tt.m.From, "E2")
			w := e.send(tt.m)
			switch {
			case tt.want == nil && !w.silent():
				t.Errorf("the bot spoke in the group unaddressed: %s", w)
			case tt.want != nil && len(w.replies) != 1:
				t.Errorf("%d replies, want one: %s", len(w.replies), w)
			}
			for _, want := range tt.want {
				if w.lacks(want) {
					t.Errorf("reply lacks %q: %s", want, w)
				}
			}
			if w.has("（第") || w.has("绑定成功") {
				t.Errorf("the survey or a binding went on in a group: %s", w)
			}
			e.unchanged(before, tt.m.From, "E1")
			e.unchanged(before2, tt.m.From, "E2")
		})
	}
	// The code shown in the group was seen by everyone there: it no longer binds anyone.
	if w := e.say("王五", "绑定 "+code); w.lacks("已作废") || w.has("绑定成功") {
		t.Errorf("the code shown in the group still works privately: %s", w)
	}
}

// The bot speaks in a group only when addressed (DESIGN §2 "the bot speaks only when
// @-mentioned or when a message starts with the configured prefix"), whatever the message: a
// long paste or a garbled message between the members is not for the bot to answer. The
// limits middleware runs before the group filter, so today it answers these in the group.
func TestGroupIgnoresUnaddressedRefusals(t *testing.T) {
	e := newEnv(t)
	e.bind("张三", "E1")
	const g = "盐湖区帮扶群"
	tests := []struct {
		name string
		m    bot.Message
	}{
		{"over 2000 characters", bot.Message{From: "张三", Group: g, Text: strings.Repeat("字", 2001)}},
		{"unbound, over 2000 characters", bot.Message{From: "王五", Group: g, Text: strings.Repeat("a", 3000)}},
		{"invalid UTF-8", bot.Message{From: "张三", Group: g, Text: "\xff\xfe"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := e.state(tt.m.From, "E1")
			if w := e.send(tt.m); !w.silent() {
				t.Errorf("the bot spoke in the group unaddressed: %s", w)
			}
			e.unchanged(before, tt.m.From, "E1")
		})
	}
	// Addressed, the same message gets the short refusal.
	long := bot.Message{From: "张三", Group: g, Mentioned: true, Text: "@创新助手 " + strings.Repeat("字", 2001)}
	if w := e.send(long); w.lacks("消息太长") {
		t.Errorf("addressed overlong group message: %s", w)
	}
}

// A liaison's answer is acknowledged only once it is stored: the sender reads the store each
// time a reply goes out and finds the answer already there.
func TestAcknowledgedAnswerIsStored(t *testing.T) {
	e := newEnv(t)
	e.bind("张三", "E1")
	ctx := t.Context()

	var (
		mu       sync.Mutex
		step     int // index in path of the message being answered
		problems []string
	)
	e.chat.Sender.OnSend = func(out bot.Outgoing) {
		mu.Lock()
		defer mu.Unlock()
		p := path[step]
		if out.To != "张三" {
			problems = append(problems, fmt.Sprintf("%q: reply to %+v", p.text, out))
		}
		d, err := e.store.Draft(ctx, "E1", e.period())
		if err != nil {
			problems = append(problems, fmt.Sprintf("%q: reply %q sent before the draft was stored: %v", p.text, out.Text, err))
			return
		}
		if p.key == "" {
			return
		}
		if got, ok := d.Answers[p.key]; !ok || !reflect.DeepEqual(got, p.want) {
			problems = append(problems, fmt.Sprintf("%q: reply %q sent while the draft holds %s = %+v (present %v), want %+v",
				p.text, out.Text, p.key, got, ok, p.want))
		}
		if step+1 < len(path) {
			sess, err := e.store.Session(ctx, "张三")
			if err != nil || sess.Cursor != path[step+1].key {
				problems = append(problems, fmt.Sprintf("%q: reply sent while the session is at %q (%v), want %q",
					p.text, sess.Cursor, err, path[step+1].key))
			}
		}
	}
	var sent []bot.Outgoing
	for i, p := range path {
		mu.Lock()
		step = i
		mu.Unlock()
		id := fmt.Sprintf("turn-%d", i)
		sent = append(sent, e.chat.Deliver(bot.Message{ID: id, From: "张三", Kind: bot.KindText, Text: p.text})...)
		if !e.handled("张三", id) {
			t.Errorf("%q: message id not recorded with the turn", p.text)
		}
	}
	if got, want := len(sent), len(path); got != want {
		t.Errorf("%d replies, want one per turn (%d)", got, want)
	}
	for _, text := range bottest.Texts(sent) {
		if strings.Contains(text, "系统繁忙") {
			t.Errorf("a turn failed: %q", text)
		}
	}
	for _, i := range []int{2, 7, 9} { // choice, count and money echo what they kept
		if got := sent[i].Text; !strings.Contains(got, "已记") {
			t.Errorf("%q: reply %q does not acknowledge the answer", path[i].text, got)
		}
	}
	for _, p := range problems {
		t.Error(p)
	}

	// After a restart (new router and service, same file) the last message, delivered again,
	// is dropped and changes nothing.
	before := e.state("张三", "E1")
	e.newService()
	last := len(path) - 1
	if got := e.chat.Deliver(bot.Message{ID: fmt.Sprintf("turn-%d", last), From: "张三", Kind: bot.KindText, Text: path[last].text}); len(got) != 0 {
		t.Errorf("the last message delivered again got %+v", got)
	}
	e.unchanged(before, "张三", "E1")
}

// failingCommit is a store whose turns cannot be written.
type failingCommit struct {
	storage.Backend
	err error
}

func (f failingCommit) CommitTurn(context.Context, storage.Turn) error { return f.err }

func TestStoreFailureGetsBusyReply(t *testing.T) {
	t.Run("closed store", func(t *testing.T) {
		e := newEnv(t)
		e.bind("张三", "E1")
		e.advance("张三", 2)
		code := e.invite("E2")
		if err := e.store.Close(); err != nil {
			t.Fatal(err)
		}
		sender := &bottest.Sender{}
		log, buf := bottest.NewLog()
		e.svc.Log = log
		r := &bot.Router{Handler: e.svc.Handler(), Store: e.store, Fallback: sender, Log: log}
		msgs := []bot.Message{
			{ID: "c1", From: "张三", Kind: bot.KindText, Text: "5"},
			{ID: "c2", From: "王五", Kind: bot.KindText, Text: "你好"},
			{ID: "c3", From: "王五", Kind: bot.KindText, Text: "绑定 " + code},
			{ID: "c4", From: "张三", Kind: bot.KindText, Text: "填报"},
		}
		for _, m := range msgs {
			bottest.Wait(t, r.Deliver(t.Context(), m))
		}
		got := sender.All()
		if len(got) != len(msgs) {
			t.Fatalf("sent %+v, want one reply per message", got)
		}
		for i, out := range got {
			if !strings.Contains(out.Text, "系统繁忙") || out.To != msgs[i].From {
				t.Errorf("reply to %q = %+v, want the busy reply", msgs[i].Text, out)
			}
		}
		if strings.Contains(buf.String(), "panic") || !strings.Contains(buf.String(), "level=ERROR") {
			t.Errorf("log:\n%s", buf)
		}
	})

	for _, err := range []error{errors.New("disk full"), fmt.Errorf("commit: %w", storage.ErrConflict)} {
		t.Run("commit fails: "+err.Error(), func(t *testing.T) {
			e := newEnv(t)
			e.bind("张三", "E1")
			e.advance("张三", 2) // at the choice question
			before := e.state("张三", "E1")
			e.svc.Store = failingCommit{Backend: e.store, err: err}
			e.h = e.svc.Handler()
			e.chat = bottest.NewChat(t, e.store, e.h, e.svc.Clock)
			w := e.say("张三", "5")
			if w.lacks("系统繁忙") || w.has("已记") || len(w.replies) != 1 {
				t.Errorf("reply %s, want only the busy reply", w)
			}
			e.unchanged(before, "张三", "E1")
		})
	}
}

// A binding, its handled mark and the messages it owes (the reply, the replaced liaison's
// notice) are one write: killed after it and before the sends, and the message delivered
// again after the restart, the bot answers as it first did, once, and never says the code
// was used.
func TestRedeliveredBindAnswersAsTheOriginal(t *testing.T) {
	e := newEnv(t)
	e.bind("张三", "E1")
	code := e.invite("E1")
	bind := bot.Message{ID: "bind-李四", From: "李四", FromName: "李四", Kind: bot.KindText, Text: "绑定 " + code}
	bottest.Wait(t, e.chat.Router.Deliver(t.Context(), bind)) // stored; the outbox never ran

	e.newService() // a restart: new router and outbox over the same file
	if got := e.chat.Deliver(bind); len(got) != 2 {
		t.Fatalf("after the restart, sent %+v; want the two messages the binding owed", got)
	}
	got := e.chat.Sender.All()
	if !strings.Contains(got[0].Text, "绑定成功") || got[0].To != "李四" {
		t.Errorf("first message %+v, want 绑定成功 to 李四", got[0])
	}
	if !strings.Contains(got[1].Text, "不再负责") || got[1].To != "张三" {
		t.Errorf("second message %+v, want the notice to 张三", got[1])
	}
	for _, o := range got {
		if strings.Contains(o.Text, "用过") {
			t.Errorf("the binding delivered again was refused: %q", o.Text)
		}
	}
	if c := e.state("李四", "E1"); c.Contact.Role != storage.RoleLiaison || c.Enterprise.LiaisonID != "李四" {
		t.Errorf("after the restart: %+v", c)
	}
}

// TestLiaisonAsksForAnExport: a liaison who types an office command to have their own table
// (导出 调查表) at a question that takes any text is told how to see their answers; it was
// kept as the answer (所属行业：导出 调查表).
func TestLiaisonAsksForAnExport(t *testing.T) {
	e := newEnv(t)
	e.bind("张三", "E1")
	e.advance("张三", 1) // at the first question (text)
	for _, text := range []string{"导出 调查表", "导出", "导出台账"} {
		before := e.state("张三", "E1")
		w := e.send(bot.Message{From: "张三", Text: text})
		if w.lacks("回复“查看”") || w.lacks("工作人员") {
			t.Errorf("%q: reply %s, want how to see the answers", text, w)
		}
		e.unchanged(before, "张三", "E1")
	}
	// An answer that merely starts like a command word is still an answer.
	w := e.send(bot.Message{From: "张三", Text: "钢铁·特殊钢冶炼"})
	if w.lacks("（第 2/") {
		t.Errorf("an answer after them: %s", w)
	}
}

// TestBindNotACode: 绑定 with something that cannot be a code (a 1, a 0, seven characters) is
// told what a code looks like, not to add one; 绑定 alone is asked for the code.
func TestBindNotACode(t *testing.T) {
	e := newEnv(t)
	for text, want := range map[string]string{
		"绑定 K7M3QX9":  "“K7M3QX9”不是邀请码。邀请码是 8 位字母和数字（不含 0、1、I、L、O）",
		"绑定 K7M3QX91": "“K7M3QX91”不是邀请码",
		"绑定":          "请在“绑定”后面加上邀请码",
	} {
		before := e.state("赵六", "E1")
		if w := e.send(bot.Message{From: "赵六", Text: text}); w.lacks(want) {
			t.Errorf("%q: %s, want %q", text, w, want)
		}
		e.unchanged(before, "赵六", "E1")
	}
}
