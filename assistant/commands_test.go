package assistant_test

import (
	"context"
	"fmt"
	"image/png"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"innobot/assistant"
	"innobot/bot"
	"innobot/bot/bottest"
	"innobot/invite/invitetest"
	"innobot/storage"
	"innobot/storage/bolt"
	"innobot/survey"
)

// The people of the matrix, by the role they hold.
const (
	liaison = "联络人"
	helper  = "帮扶人"
	county  = "县办"
	city    = "市办"
	nobody  = "未绑定"
)

// reply classes: what a person sees, read from the reply as they would read it.
const (
	ok         = "ok"         // the command ran
	welcome    = "welcome"    // how to bind
	survey_    = "survey"     // the liaison's survey conversation took the text
	staffOnly  = "staff-only" // a liaison's 导出…: the tables are the staff's, 查看 shows the answers
	noRight    = "no-right"   // 没有使用…的权限
	outOfScope = "out-of-scope"
	private    = "private-only" // 请私聊我使用
	unbound    = "group-unbound"
	silent     = "silent"
)

func classify(reply string) string {
	switch {
	case reply == "":
		return silent
	case strings.Contains(reply, "绑定 邀请码") && strings.Contains(reply, "例如 绑定"):
		return welcome
	case strings.Contains(reply, "回复“填报”开始"):
		return survey_
	case strings.Contains(reply, "导出表格是工作人员用的指令"):
		return staffOnly
	case strings.Contains(reply, "的权限"):
		return noRight
	case strings.Contains(reply, "您只能查看") || strings.Contains(reply, "没有找到"):
		return outOfScope
	case strings.Contains(reply, "请私聊我使用"):
		return private
	case strings.Contains(reply, "本群还没有绑定地区"):
		return unbound
	}
	return ok
}

// matrixEnv is a service over a real store with one contact of each role, two enterprises in
// two regions (甲 in 盐湖区, the helper's; 乙 in 夏县) and a group bound to 盐湖区.
type matrixEnv struct {
	chat   *bottest.Chat
	svc    *assistant.Service
	store  *bolt.Store
	h      bot.Handler
	nudged []string
	now    time.Time // the service's clock; tests move it
}

func newMatrixEnv(t *testing.T) *matrixEnv {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	store, err := bolt.Open(filepath.Join(dir, "innobot.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	now := time.Date(2026, 11, 25, 10, 0, 0, 0, shanghaiTZ)
	for _, e := range []storage.Enterprise{
		{ID: "e1", Name: "甲钢铁有限公司", Region: "盐湖区", Helper: "王建国", HelperTel: "13800000001"},
		{ID: "e2", Name: "乙电机有限公司", Region: "夏县", Helper: "李红", HelperTel: "13800000002"},
	} {
		if err := store.PutEnterprise(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	invites := map[string]storage.Invite{
		liaison: {Role: storage.RoleLiaison, EnterpriseID: "e1"},
		helper:  {Role: storage.RoleHelper, EnterpriseIDs: []string{"e1"}},
		county:  {Role: storage.RoleCounty, Region: "盐湖区"},
		city:    {Role: storage.RoleCityOffice},
	}
	key := invitetest.Key(t)
	for who, inv := range invites {
		code, err := assistant.IssueInvite(ctx, store, key, inv, now, time.Hour, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := store.Redeem(ctx, key.Hash(code), storage.Contact{ID: who, Name: who}, now, nil); err != nil {
			t.Fatal(err)
		}
		if who != liaison {
			// Staff gave the 填表人 and 联系方式 their exports are signed with.
			if _, err := store.SetContactDetails(ctx, who, who+"本人", "13900000009", storage.Answer{}); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := store.PutGroup(ctx, storage.Group{ID: "盐湖区帮扶群", Name: "盐湖区帮扶群", Region: "盐湖区"}, storage.Answer{}); err != nil {
		t.Fatal(err)
	}
	e := &matrixEnv{store: store, now: now}
	e.svc = &assistant.Service{
		Key: key, Store: store, Form: survey.Default(), Clock: bot.ClockFunc(func() time.Time { return e.now }), Location: shanghaiTZ,
		Regions: []string{"盐湖区", "夏县"}, InviteTTL: time.Hour, BotName: "创新助手", Prefix: "#",
		ExportDir: filepath.Join(dir, "exports"), Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Nudge: func(_ context.Context, region string, _ time.Time) (assistant.NudgeResult, error) {
			e.nudged = append(e.nudged, region)
			return assistant.NudgeResult{Sent: 1}, nil
		},
	}
	e.h = e.svc.Handler()
	e.chat = bottest.NewChat(t, store, e.h, e.svc.Clock)
	return e
}

var shanghaiTZ = time.FixedZone("CST", 8*3600)

// say sends text from a contact, in a group when group is set, and returns all replies.
func (e *matrixEnv) say(from, group, text string) string {
	m := bot.Message{ID: fmt.Sprint(time.Now().UnixNano()), From: from, FromName: from, Group: group, GroupName: group, Kind: bot.KindText, Text: text}
	if group != "" {
		m.Text = "@创新助手 " + text
	}
	var texts []string
	for _, o := range e.chat.Deliver(m) {
		switch {
		case !bottest.InChat(m, o):
			texts = append(texts, "→"+o.To+" "+o.Text)
		case o.File != "":
			texts = append(texts, "[文件] "+o.File)
		default:
			texts = append(texts, o.Text)
		}
	}
	return strings.Join(texts, "\n")
}

// TestCommandMatrix walks every command × every role × in scope / out of scope, in private
// and in group chats, and checks what comes back. Rights are written out here on their own,
// not read from the command table, so a change of rights must change this test too.
func TestCommandMatrix(t *testing.T) {
	staff := []string{helper, county, city}
	offices := []string{county, city}
	commands := []struct {
		name    string
		allowed []string
		arg     string // "region", "company" or ""
		inGroup bool   // a bound group may use it
	}{
		{"进度", staff, "region", true},
		{"进度图", staff, "region", true},
		{"未填报", staff, "region", true},
		{"销号", staff, "region", false},
		{"查询", staff, "company", false},
		{"导出 台账", staff, "region", false},
		{"导出 调查表", staff, "company", false},
		{"导出 月报", offices, "", false},
		{"提醒 未填报", offices, "", false},
		{"邀请码", offices, "company", false},
		{"解绑", []string{liaison, helper, county, city}, "", false},
	}
	// The region and the company each role may name, and those it may not.
	inRegion := map[string]string{county: "盐湖区", city: "夏县"}
	outRegion := map[string]string{county: "夏县", helper: "盐湖区"}
	outCompany := map[string]string{county: "乙电机", helper: "乙电机"}

	for _, c := range commands {
		for _, who := range []string{liaison, helper, county, city, nobody} {
			allowed := slices.Contains(c.allowed, who)
			denied := map[string]string{liaison: survey_, nobody: welcome}[who]
			if denied == "" {
				denied = noRight
			}
			if who == liaison && strings.HasPrefix(c.name, "导出") {
				denied = staffOnly
			}
			type variant struct{ name, text, want string }
			var vs []variant
			switch c.arg {
			case "region":
				vs = append(vs, variant{"no-arg", c.name, ok})
				if r, has := inRegion[who]; has {
					vs = append(vs, variant{"in-scope", c.name + " " + r, ok})
				}
				if r, has := outRegion[who]; has {
					vs = append(vs, variant{"out-of-scope", c.name + " " + r, outOfScope})
				}
			case "company":
				vs = append(vs, variant{"in-scope", c.name + " 甲钢铁", ok})
				if co, has := outCompany[who]; has {
					vs = append(vs, variant{"out-of-scope", c.name + " " + co, outOfScope})
				} else if who == city {
					vs = append(vs, variant{"other-region", c.name + " 乙电机", ok})
				}
			default:
				vs = append(vs, variant{"plain", c.name, ok})
			}
			for _, v := range vs {
				want := v.want
				if !allowed {
					want = denied
				}
				t.Run(c.name+"/"+who+"/"+v.name, func(t *testing.T) {
					e := newMatrixEnv(t)
					got := e.say(who, "", v.text)
					if classify(got) != want {
						t.Fatalf("%s says %q: got %s\n%s", who, v.text, classify(got), got)
					}
					if want == ok && c.name != "解绑" {
						log, err := e.store.AuditLog(context.Background(), time.Time{})
						if err != nil || len(log) == 0 || log[len(log)-1].Contact != who {
							t.Errorf("no audit entry for %s's %q: %+v, %v", who, v.text, log, err)
						}
					}
				})
			}
		}
		// In groups: the bound group's region decides, whoever asks; phone numbers never show.
		t.Run(c.name+"/group", func(t *testing.T) {
			e := newMatrixEnv(t)
			want := private
			if c.inGroup {
				want = ok
			}
			got := e.say(nobody, "盐湖区帮扶群", c.name)
			if classify(got) != want {
				t.Fatalf("bound group %q: got %s\n%s", c.name, classify(got), got)
			}
			if strings.Contains(got, "138000") {
				t.Errorf("a phone number in a group:\n%s", got)
			}
			if c.inGroup {
				if got := e.say(nobody, "盐湖区帮扶群", c.name+" 夏县"); classify(got) != outOfScope {
					t.Errorf("bound group asks for another region: %s\n%s", classify(got), got)
				}
			}
			got = e.say(nobody, "无名群", c.name)
			if want := map[bool]string{true: unbound, false: private}[c.inGroup]; classify(got) != want {
				t.Errorf("unbound group %q: got %s, want %s\n%s", c.name, classify(got), want, got)
			}
		})
	}
}

// TestProgressChart: 进度图 sends a picture a phone shows across its width, of the asker's
// scope: a bar per region for the city, a bar per enterprise for a helper.
func TestProgressChart(t *testing.T) {
	e := newMatrixEnv(t)
	for _, tc := range []struct{ who, group, text string }{
		{city, "", "进度图"}, {helper, "", "进度 图"}, {nobody, "盐湖区帮扶群", "进度图"},
	} {
		got := e.say(tc.who, tc.group, tc.text)
		caption, path, _ := strings.Cut(got, "\n")
		path, ok := strings.CutPrefix(path, "[文件] ")
		if !ok || !strings.HasSuffix(path, ".png") {
			t.Fatalf("%s %q: %q, want a caption and one picture", tc.who, tc.text, got)
		}
		if !strings.Contains(caption, "2026年11月 填报进度：已填报 ") || !strings.Contains(caption, "发送“未填报”查看") ||
			strings.Contains(caption, "@我") != (tc.group != "") {
			t.Errorf("%s %q: caption %q, want the period, the totals and what to send next", tc.who, tc.text, caption)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width < 1080 {
			t.Errorf("%s: picture %+v, %v", tc.who, cfg, err)
		}
	}
}

// TestCommandEffects checks what the commands that change things did.
func TestCommandEffects(t *testing.T) {
	ctx := context.Background()
	t.Run("invite code binds a liaison of the named enterprise", func(t *testing.T) {
		e := newMatrixEnv(t)
		got := e.say(county, "", "邀请码 甲钢铁")
		i := strings.Index(got, "绑定 ")
		if i < 0 {
			t.Fatalf("no code in %q", got)
		}
		code := strings.Fields(got[i+len("绑定 "):])[0]
		if r := e.say("新联络人", "", "绑定 "+code); !strings.Contains(r, "甲钢铁有限公司") {
			t.Fatalf("binding with the chat code: %q", r)
		}
		c, err := e.store.Contact(ctx, liaison)
		if err != nil || c.Role != storage.RoleNone {
			t.Errorf("the old liaison keeps the role: %+v, %v", c, err)
		}
	})
	t.Run("解绑", func(t *testing.T) {
		e := newMatrixEnv(t)
		e.say(county, "", "解绑")
		if got := e.say(county, "", "进度"); classify(got) != welcome {
			t.Errorf("after 解绑 the clerk still sees the ledger: %q", got)
		}
	})
	t.Run("绑定本群", func(t *testing.T) {
		e := newMatrixEnv(t)
		if got := e.say(helper, "夏县群", "绑定本群 夏县"); !strings.Contains(got, "只有县（市、区）或市") {
			t.Errorf("a helper bound a group: %q", got)
		}
		if got := e.say(county, "夏县群", "绑定本群 夏县"); classify(got) != outOfScope || !strings.Contains(got, "绑定本群 盐湖区") {
			t.Errorf("a 盐湖区 clerk bound a group to 夏县, or was not told what to send: %q", got)
		}
		if got := e.say(county, "夏县群", "绑定本群 盐湖区"); !strings.Contains(got, "本群已绑定为【盐湖区】") {
			t.Fatalf("binding: %q", got)
		}
		g, err := e.store.Group(ctx, "夏县群")
		if err != nil || g.Region != "盐湖区" || g.BoundBy != county {
			t.Errorf("stored group %+v, %v", g, err)
		}
		if got := e.say(county, "", "绑定本群 盐湖区"); !strings.Contains(got, "要在群里") {
			t.Errorf("绑定本群 in a private chat: %q", got)
		}
	})
	t.Run("提醒 未填报 nudges the caller's region", func(t *testing.T) {
		e := newMatrixEnv(t)
		e.say(county, "", "提醒 未填报")
		e.say(city, "", "提醒 未填报")
		if !slices.Equal(e.nudged, []string{"盐湖区", ""}) {
			t.Errorf("nudged %q, want 盐湖区 then the whole city", e.nudged)
		}
	})
	t.Run("several matches make a list to pick from", func(t *testing.T) {
		e := newMatrixEnv(t)
		got := e.say(city, "", "查询 有限公司")
		if !strings.Contains(got, "请回复编号") || !strings.Contains(got, "2. ") {
			t.Fatalf("no numbered list: %q", got)
		}
		if got := e.say(city, "", "2"); !strings.Contains(got, "乙电机有限公司") {
			t.Errorf("picking 2: %q", got)
		}
	})
	t.Run("wrong codes are limited", func(t *testing.T) {
		e := newMatrixEnv(t)
		for range 5 {
			if got := e.say("路人", "", "绑定 22222222"); !strings.Contains(got, "邀请码不正确") {
				t.Fatalf("wrong code: %q", got)
			}
		}
		if got := e.say("路人", "", "绑定 22222222"); !strings.Contains(got, "错误次数过多") {
			t.Errorf("sixth wrong code: %q", got)
		}
		code, err := assistant.IssueInvite(ctx, e.store, e.svc.Key, storage.Invite{Role: storage.RoleLiaison, EnterpriseID: "e2"}, e.now, time.Hour, nil)
		if err != nil {
			t.Fatal(err)
		}
		e.now = e.now.Add(14 * time.Minute)
		if got := e.say("路人", "", "绑定 "+code); !strings.Contains(got, "错误次数过多") {
			t.Errorf("a right code within the 15 minutes: %q", got)
		}
		e.now = e.now.Add(2 * time.Minute)
		if got := e.say("路人", "", "绑定 "+code); !strings.Contains(got, "乙电机有限公司") {
			t.Errorf("the right code once the 15 minutes are over: %q", got)
		}
	})
}
