package wechat

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestIdentityRules(t *testing.T) {
	file := IdentityFile(filepath.Join(t.TempDir(), IdentitiesName))
	now := func() time.Time { return time.Date(2026, 11, 25, 9, 0, 0, 0, time.UTC) }
	open := func() *directory {
		t.Helper()
		d, err := newDirectory(file, now)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	zhang := peer{kind: KindContact, remark: "盐湖钢铁-张三", nick: "张三"}
	li := peer{kind: KindContact, nick: "李四"}
	group := peer{kind: KindGroup, nick: "盐湖区帮扶群"}

	d := open()
	first := d.assign("123", []peer{zhang, li, group})
	for i, a := range first {
		if !a.stable || a.id == "" {
			t.Fatalf("first login: peer %d got %+v", i, a)
		}
	}
	if err := d.save(); err != nil {
		t.Fatal(err)
	}

	// A restart and a re-login: the same names get the same ids.
	d = open()
	again := d.assign("123", []peer{group, zhang, li})
	if again[0] != first[2] || again[1] != first[0] || again[2] != first[1] {
		t.Errorf("re-login ids %+v, want %+v", again, first)
	}

	// A second 李四 appears: neither gets the old id, now or later, even once one is gone.
	twins := d.assign("123", []peer{li, li})
	if twins[0].stable || twins[1].stable || twins[0].id == first[1].id || twins[1].id == first[1].id || twins[0].id == twins[1].id {
		t.Errorf("ambiguous names got %+v (old id %s)", twins, first[1].id)
	}
	if err := d.save(); err != nil {
		t.Fatal(err)
	}
	d = open()
	if alone := d.assign("123", []peer{li}); alone[0].stable || alone[0].id == first[1].id {
		t.Errorf("names once ambiguous got %+v", alone)
	}

	// A changed name is someone new as far as we can tell.
	renamed := d.assign("123", []peer{{kind: KindContact, remark: "盐湖钢铁-张三", nick: "张三丰"}})
	if renamed[0].id == first[0].id {
		t.Errorf("a renamed contact kept its id")
	}
	// Another account's contacts never share ids with this one's.
	if other := d.assign("456", []peer{zhang}); other[0].id == first[0].id {
		t.Errorf("another account's 张三 got this account's id")
	}

	// Met during a session: a clash with another UserName of the login is ambiguous too.
	if a := d.one("123", zhang, true); a.stable || a.id == first[0].id {
		t.Errorf("clashing newcomer got %+v", a)
	}
	if a := d.one("123", peer{kind: KindMember, scope: first[2].id, nick: "王五"}, false); !a.stable {
		t.Errorf("group member got %+v", a)
	}
	if a := d.one("123", peer{kind: KindMember, scope: "wxg-fresh", nick: "王五", ephemeralScope: true}, false); a.stable {
		t.Errorf("member of an ambiguous group got a kept id %+v", a)
	}
}

func TestHotLoginRepair(t *testing.T) {
	path := filepath.Join(t.TempDir(), HotLoginName)
	jar := func(hosts map[string][]*http.Cookie) []byte {
		b, _ := json.Marshal(map[string]any{"Jar": hosts, "WechatDomain": "wx.qq.com", "UUID": "U1"})
		return b
	}
	h := OpenHotLogin(path)
	if !h.Empty() {
		t.Fatal("new store not empty")
	}
	// After a scan, the jar lists the login host with the ticket (domain qq.com).
	first := jar(map[string][]*http.Cookie{"https://wx.qq.com": {{Name: "wxsid", Value: "S"}, {Name: dataTicket, Value: "T"}}})
	if n, err := h.Write(first); err != nil || n != len(first) {
		t.Fatalf("write: %d %v", n, err)
	}
	// After a hot login, openwechat dumps an empty jar: the cookies must survive.
	if _, err := h.Write(jar(map[string][]*http.Cookie{})); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Jar  map[string][]*http.Cookie
		UUID string
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	ticket := func(host string) string {
		for _, c := range got.Jar[host] {
			if c.Name == dataTicket {
				return c.Value
			}
		}
		return ""
	}
	if ticket("https://wx.qq.com") != "T" || ticket("https://file.wx.qq.com") != "T" || got.UUID != "U1" {
		t.Errorf("saved hot login lost its cookies or fields: %s", b)
	}
	if err := h.Clear(); err != nil || !h.Empty() {
		t.Errorf("clear: %v", err)
	}
}

func TestStripMention(t *testing.T) {
	for in, want := range map[string]string{
		"@innobot\u2005进度": "进度",
		"进度 @innobot":      "进度",
		"@小助手\u2005进度":     "进度",
		"@其他人\u2005进度":     "@其他人\u2005进度",
		"@innobot 导出 台账":   "导出 台账",
	} {
		if got := stripMention(in, "小助手", "innobot"); got != want {
			t.Errorf("stripMention(%q) = %q, want %q", in, got, want)
		}
	}
}
