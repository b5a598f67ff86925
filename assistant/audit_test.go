package assistant_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"innobot/assistant"
	"innobot/bot"
	"innobot/storage"
)

// auditLog is every entry of the matrix's store.
func (e *matrixEnv) auditLog(t *testing.T) []storage.AuditEntry {
	t.Helper()
	log, err := e.store.AuditLog(context.Background(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	return log
}

// entryOf is the part of an entry a test states.
type entryOf struct {
	Contact string
	Role    storage.Role
	Group   string
	Action  string
	Target  string
	Outcome storage.Outcome
}

func shortEntry(e storage.AuditEntry) entryOf {
	return entryOf{e.Contact, e.Role, e.Group, e.Action, e.Target, e.Outcome}
}

// Every attempt that reaches its arguments' check is audited with who, role, group, target and
// outcome; one that goes no further (a typo, a liaison's survey text) is not.
func TestAuditRecordsAttempts(t *testing.T) {
	tests := []struct {
		name        string
		from, group string
		text        string
		want        []entryOf // nil: nothing audited
	}{
		{"query in scope", county, "", "进度", []entryOf{{county, storage.RoleCounty, "", "query", "盐湖区", storage.OutcomeOK}}},
		{"query of the caller's region named", county, "", "未填报 盐湖区", []entryOf{{county, storage.RoleCounty, "", "query", "盐湖区", storage.OutcomeOK}}},
		{"query of another region", county, "", "进度 夏县", []entryOf{{county, storage.RoleCounty, "", "query", "夏县", storage.OutcomeOutOfScope}}},
		{"lookup of another region's enterprise", county, "", "查询 乙电机", []entryOf{{county, storage.RoleCounty, "", "query", "【乙电机有限公司】（e2）", storage.OutcomeOutOfScope}}},
		{"helper's lookup outside their enterprises", helper, "", "查询 乙电机", []entryOf{{helper, storage.RoleHelper, "", "query", "【乙电机有限公司】（e2）", storage.OutcomeOutOfScope}}},
		{"export by the city", city, "", "导出 台账", []entryOf{{city, storage.RoleCityOffice, "", "export", "全市", storage.OutcomeOK}}},
		{"helper asking for an invite code", helper, "", "邀请码 甲钢铁", []entryOf{{helper, storage.RoleHelper, "", "invite", "", storage.OutcomeRefused}}},
		{"group query", "群友", "盐湖区帮扶群", "进度", []entryOf{{"群友", storage.RoleNone, "盐湖区帮扶群", "query", "盐湖区", storage.OutcomeOK}}},
		{"group query of another region", "群友", "盐湖区帮扶群", "进度 夏县", []entryOf{{"群友", storage.RoleNone, "盐湖区帮扶群", "query", "夏县", storage.OutcomeOutOfScope}}},
		{"staff in a group nobody bound", county, "新群", "进度", []entryOf{{county, storage.RoleCounty, "新群", "query", "", storage.OutcomeRefused}}},
		{"unknown region: a typo", county, "", "进度 盐糊区", nil},
		{"bad month: a typo", city, "", "导出 月报 十三月", nil},
		{"help", county, "", "帮助", nil},
		{"a liaison's text", liaison, "", "进度", nil},
		{"someone unbound", nobody, "", "导出 台账", nil},
		{"wrong code", nobody, "", "绑定 22222222", []entryOf{{nobody, storage.RoleNone, "", "bind", "", storage.OutcomeRefused}}},
		{"retired code", nobody, "", "绑定 483920", []entryOf{{nobody, storage.RoleNone, "", "bind", "", storage.OutcomeRefused}}},
		{"code in a group", "群友", "盐湖区帮扶群", "绑定 22222222", []entryOf{{"群友", storage.RoleNone, "盐湖区帮扶群", "bind", "", storage.OutcomeRefused}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newMatrixEnv(t)
			before := len(e.auditLog(t))
			e.say(tt.from, tt.group, tt.text)
			var got []entryOf
			for _, a := range e.auditLog(t)[before:] {
				got = append(got, shortEntry(a))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("audited\n%+v\nwant\n%+v", got, tt.want)
			}
		})
	}
}

// A binding is audited with the code's scope, and a handover with the old and the new liaison.
func TestAuditBindings(t *testing.T) {
	e := newMatrixEnv(t)
	got := e.say(county, "", "邀请码 甲钢铁")
	code := strings.Fields(got[strings.Index(got, "绑定 ")+len("绑定 "):])[0]
	e.say("新联络人", "", "绑定 "+code)
	log := e.auditLog(t)
	last := log[len(log)-1]
	if want := (entryOf{"新联络人", storage.RoleLiaison, "", "bind", "【甲钢铁有限公司】（e1）", storage.OutcomeOK}); shortEntry(last) != want {
		t.Errorf("binding audited as %+v, want %+v", shortEntry(last), want)
	}
	if !strings.Contains(last.Detail, "原 "+liaison) || !strings.Contains(last.Detail, "新 新联络人") {
		t.Errorf("handover detail %q names not the old and the new liaison", last.Detail)
	}
	if strings.Contains(fmt.Sprint(log), code) {
		t.Errorf("the audit holds the code itself")
	}
}

// A command that fails on our side is audited as failed, and the person is told to retry.
func TestAuditFailedCommand(t *testing.T) {
	e := newMatrixEnv(t)
	e.svc.Store = failingSubmissions{e.store}
	e.h = e.svc.Handler()
	if got := e.say(city, "", "导出 调查表 甲钢铁"); !strings.Contains(got, "系统繁忙") {
		t.Errorf("reply to a failed export: %q", got)
	}
	log := e.auditLog(t)
	if want := (entryOf{city, storage.RoleCityOffice, "", "export", "【甲钢铁有限公司】（e1）", storage.OutcomeFailed}); shortEntry(log[len(log)-1]) != want {
		t.Errorf("audited %+v, want %+v", shortEntry(log[len(log)-1]), want)
	}
}

type failingSubmissions struct{ storage.Backend }

func (failingSubmissions) Submissions(context.Context, string) ([]storage.Submission, error) {
	return nil, errors.New("disk on fire")
}

// Only the city office may take a group from the region it is bound to; each try is audited
// with the group and both regions.
func TestGroupRebinding(t *testing.T) {
	ctx := context.Background()
	e := newMatrixEnv(t)
	if err := e.store.PutGroup(ctx, storage.Group{ID: "夏县群", Name: "夏县群", Region: "夏县", BoundBy: city}, storage.Answer{}); err != nil {
		t.Fatal(err)
	}
	got := e.say(county, "夏县群", "绑定本群 盐湖区")
	if !strings.Contains(got, "已绑定为【夏县】") || !strings.Contains(got, "市领导小组办公室") {
		t.Errorf("a 盐湖区 clerk rebinding a 夏县 group was told %q", got)
	}
	if g, err := e.store.Group(ctx, "夏县群"); err != nil || g.Region != "夏县" {
		t.Errorf("after the refusal the group is %+v, %v", g, err)
	}
	log := e.auditLog(t)
	refused := log[len(log)-1]
	if want := (entryOf{county, storage.RoleCounty, "夏县群", "bind_group", "盐湖区", storage.OutcomeOutOfScope}); shortEntry(refused) != want || refused.Detail != "本群 夏县 → 盐湖区" {
		t.Errorf("audited %+v %q", shortEntry(refused), refused.Detail)
	}

	// The clerk may still bind the group again to its own region, and bind a new group.
	if got := e.say(county, "盐湖区帮扶群", "绑定本群 盐湖区"); !strings.Contains(got, "本群已绑定为【盐湖区】") {
		t.Errorf("rebinding the clerk's own group: %q", got)
	}
	if got := e.say(county, "新群", "绑定本群 盐湖区"); !strings.Contains(got, "本群已绑定为【盐湖区】") {
		t.Errorf("binding a new group: %q", got)
	}

	got = e.say(city, "夏县群", "绑定本群 盐湖区")
	if !strings.Contains(got, "本群已绑定为【盐湖区】") {
		t.Errorf("the city office rebinding: %q", got)
	}
	if g, err := e.store.Group(ctx, "夏县群"); err != nil || g.Region != "盐湖区" || g.BoundBy != city {
		t.Errorf("after the city's rebinding the group is %+v, %v", g, err)
	}
	log = e.auditLog(t)
	if last := log[len(log)-1]; last.Outcome != storage.OutcomeOK || last.Group != "夏县群" || last.Detail != "本群 夏县 → 盐湖区" {
		t.Errorf("the city's rebinding audited as %+v", last)
	}
}

// No chat command changes or removes an entry: whatever anyone sends, the log before it is a
// prefix of the log after it.
func TestAuditIsAppendOnly(t *testing.T) {
	e := newMatrixEnv(t)
	var texts []string
	for _, c := range assistant.CommandNames(e.svc) {
		texts = append(texts, c, c+" 甲钢铁", c+" 夏县")
	}
	texts = append(texts, "绑定 22222222", "解绑", "删除审计", "清空日志")
	for _, text := range texts {
		before := e.auditLog(t)
		// The city office may use every command; a county clerk is refused some and goes out
		// of scope with others; an unbound person is refused the rest.
		for _, from := range []string{city, county, nobody} {
			for _, group := range []string{"", "盐湖区帮扶群"} {
				e.say(from, group, text)
			}
		}
		after := e.auditLog(t)
		if len(after) < len(before) || !slices.EqualFunc(before, after[:len(before)], func(a, b storage.AuditEntry) bool {
			return a.At.Equal(b.At) && shortEntry(a) == shortEntry(b) && a.Detail == b.Detail && a.Name == b.Name
		}) {
			t.Fatalf("sending %q, in private and in a group, from every role changed the audit log before it", text)
		}
	}
}

// A display name is cleaned before it reaches the audit, a reply or a file: no terminal escape
// or line break of someone's choosing gets into them.
func TestNamesAreCleaned(t *testing.T) {
	e := newMatrixEnv(t)
	m := bot.Message{ID: "m1", From: "wx-x", FromName: "\x1b[2J张三\n2026-11-20\tcity_office\u202e", Group: "g", GroupName: "群\x1b]0;伪造\x07名", Kind: bot.KindText, Text: "@创新助手 绑定 22222222"}
	e.chat.Deliver(m)
	log := e.auditLog(t)
	last := log[len(log)-1]
	if last.Name != "张三 2026-11-20 city_office" || last.Group != "群名（g）" {
		t.Errorf("audited name %q, group %q", last.Name, last.Group)
	}
}

// An entry's detail is the command as the person typed it, whatever the parser made of it.
func TestAuditDetailIsTheCommandAsTyped(t *testing.T) {
	for _, tt := range []struct{ from, group, text, want string }{
		{county, "", "进度 夏县", "进度 夏县"},
		{county, "", "夏县进度", "夏县进度"},
		{city, "", "导出 台账", "导出 台账"},
		{"群友", "盐湖区帮扶群", "进度", "进度"},
	} {
		e := newMatrixEnv(t)
		e.say(tt.from, tt.group, tt.text)
		log := e.auditLog(t)
		if got := log[len(log)-1].Detail; got != tt.want {
			t.Errorf("%q audited as %q, want %q", tt.text, got, tt.want)
		}
	}
}
