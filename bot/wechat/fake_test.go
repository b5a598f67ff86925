package wechat_test

import (
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// The fake WeChat web server: just enough of login.wx.qq.com, wx.qq.com, webpush.wx.qq.com
// and file.wx.qq.com (WECHAT.md, "Testing offline") for QR login, hot login, receiving,
// replying, file upload and a remote logout. UserNames change at every login, as WeChat's do.

const (
	fakeUin    = 123
	fakeSID    = "SID1"
	fakeTicket = "TICKET1"
	botNick    = "innobot测试号"
)

// sent is one message the bot sent, as the server saw it.
type sent struct {
	At   time.Time
	To   string // UserName
	Text string
	File string // title of a file message
}

// fakeMsg is a message waiting to be delivered; From names a person (friend, member) whose
// UserName is filled in for the login it is delivered in.
type fakeMsg struct {
	ID      string
	From    string // "friend", "group"
	Member  string // for group messages: "member", "friend"
	Content string
	MinGen  int // delivered only from this login on
	Batch   int // messages with the same Batch > 0 go out in one webwxsync answer
}

type upload struct {
	Name, Ticket string
	Size         int
}

type fakeWX struct {
	t *testing.T

	mu         sync.Mutex
	refuse     bool // the login page answers ret 1203, as for accounts barred from desktop login
	scanned    bool
	polls      int
	jslogins   int
	inits      int
	gen        int // login generation: UserNames carry it
	logoutNext bool
	pending    []fakeMsg
	syncs      int
	sends      []sent
	uploads    []upload
	wake       chan struct{}

	sent chan sent
}

func newFakeWX(t *testing.T) *fakeWX {
	return &fakeWX{t: t, wake: make(chan struct{}, 1), sent: make(chan sent, 100)}
}

// fakeUserNames are the UserName stems of the fake's people; the login generation is appended.
var fakeUserNames = map[string]string{
	"self": "@self", "friend": "@friendA", "twin1": "@twin1x", "twin2": "@twin2x",
	"member": "@member", "group": "@@group", "mp": "@mp",
}

func (f *fakeWX) userName(who string, gen int) string {
	stem, ok := fakeUserNames[who]
	if !ok {
		panic("unknown fake user " + who)
	}
	return fmt.Sprintf("%s%d", stem, gen)
}

func (f *fakeWX) refused() bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.refuse
}

// scan is the phone scanning the QR code and confirming.
func (f *fakeWX) scan() {
	f.mu.Lock()
	f.scanned = true
	f.mu.Unlock()
}

// deliver queues messages for the bot's next syncs.
func (f *fakeWX) deliver(msgs ...fakeMsg) {
	f.mu.Lock()
	f.pending = append(f.pending, msgs...)
	f.mu.Unlock()
	f.poke()
}

// logout makes the next sync check answer retcode 1101, as when WeChat ends a session.
func (f *fakeWX) logout() {
	f.mu.Lock()
	f.logoutNext = true
	f.mu.Unlock()
	f.poke()
}

func (f *fakeWX) poke() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// next waits for the bot's next send.
func (f *fakeWX) next(t *testing.T) sent {
	t.Helper()
	select {
	case s := <-f.sent:
		return s
	case <-time.After(10 * time.Second):
		t.Fatalf("no send from the bot within 10 s")
	}
	return sent{}
}

func (f *fakeWX) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	host := r.Header.Get("X-Original-Host")
	p := r.URL.Path
	switch {
	case host == "login.wx.qq.com" && p == "/jslogin":
		f.mu.Lock()
		f.jslogins++
		f.mu.Unlock()
		fmt.Fprint(w, `window.QRLogin.code = 200; window.QRLogin.uuid = "U1";`)
	case host == "login.wx.qq.com" && p == "/cgi-bin/mmwebwx-bin/login":
		f.login(w, r)
	case host == "wx.qq.com" && strings.HasSuffix(p, "/webwxnewloginpage") && f.refused():
		fmt.Fprint(w, `<error><ret>1203</ret><message>为了你的帐号安全，此微信号不能登录网页微信。</message></error>`)
	case host == "wx.qq.com" && strings.HasSuffix(p, "/webwxnewloginpage"):
		for _, c := range []string{"webwx_data_ticket=" + fakeTicket, "wxsid=" + fakeSID, fmt.Sprintf("wxuin=%d", fakeUin)} {
			w.Header().Add("Set-Cookie", c+"; Domain=qq.com; Path=/")
		}
		fmt.Fprintf(w, `<error><ret>0</ret><message></message><skey>@crypt_x</skey><wxsid>%s</wxsid><wxuin>%d</wxuin><pass_ticket>PT</pass_ticket><isgrayscale>1</isgrayscale></error>`, fakeSID, fakeUin)
	case host == "wx.qq.com" && strings.HasSuffix(p, "/webwxinit"):
		f.init(w, r)
	case host == "wx.qq.com" && strings.HasSuffix(p, "/webwxstatusnotify"):
		fmt.Fprint(w, `{"BaseResponse":{"Ret":0,"ErrMsg":""},"MsgID":"s1"}`)
	case host == "webpush.wx.qq.com" && strings.HasSuffix(p, "/synccheck"):
		f.syncCheck(w, r)
	case host == "wx.qq.com" && strings.HasSuffix(p, "/webwxsync"):
		f.sync(w, r)
	case host == "wx.qq.com" && strings.HasSuffix(p, "/webwxgetcontact"):
		f.contacts(w)
	case host == "wx.qq.com" && strings.HasSuffix(p, "/webwxbatchgetcontact"):
		f.batch(w, r)
	case host == "wx.qq.com" && (strings.HasSuffix(p, "/webwxsendmsg") || strings.HasSuffix(p, "/webwxsendappmsg")):
		f.send(w, r)
	case host == "file.wx.qq.com" && strings.HasSuffix(p, "/webwxuploadmedia"):
		f.upload(w, r)
	default:
		f.t.Errorf("fake WeChat: unexpected %s %s%s", r.Method, host, p)
		http.NotFound(w, r)
	}
}

func (f *fakeWX) login(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	scanned := f.scanned
	if scanned {
		f.polls++
	}
	polls := f.polls
	f.mu.Unlock()
	switch {
	case !scanned:
		// The real server holds this poll for up to 25 s; hold it a moment.
		select {
		case <-time.After(50 * time.Millisecond):
		case <-r.Context().Done():
		}
		fmt.Fprint(w, `window.code=408;`)
	case polls == 1:
		fmt.Fprint(w, `window.code=201;window.userAvatar = 'data:img/jpg;base64,';`)
	default:
		fmt.Fprint(w, `window.code=200;
window.redirect_uri="https://wx.qq.com/cgi-bin/mmwebwx-bin/webwxnewloginpage?ticket=T&uuid=U1&lang=zh_CN&scan=1";`)
	}
}

type baseRequest struct {
	BaseRequest struct {
		Uin  int64
		Sid  string
		Skey string
	}
}

func (f *fakeWX) init(w http.ResponseWriter, r *http.Request) {
	var req baseRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || req.BaseRequest.Sid != fakeSID || req.BaseRequest.Uin != fakeUin {
		f.t.Errorf("webwxinit with a bad BaseRequest: %+v %v", req, err)
		fmt.Fprint(w, `{"BaseResponse":{"Ret":1101,"ErrMsg":""}}`)
		return
	}
	f.mu.Lock()
	f.inits++
	f.gen++
	gen := f.gen
	f.mu.Unlock()
	writeJSON(w, map[string]any{
		"BaseResponse": map[string]any{"Ret": 0, "ErrMsg": ""},
		"User":         map[string]any{"UserName": f.userName("self", gen), "NickName": botNick, "Uin": fakeUin},
		"SyncKey":      map[string]any{"Count": 1, "List": []map[string]int{{"Key": 1, "Val": 1}}},
		"ContactList":  []any{},
		"SKey":         "@crypt_x",
	})
}

func (f *fakeWX) syncCheck(w http.ResponseWriter, r *http.Request) {
	deadline := time.After(200 * time.Millisecond) // the real server holds 25 s
	for {
		f.mu.Lock()
		logout := f.logoutNext
		f.logoutNext = false
		ready := f.readyLocked()
		f.mu.Unlock()
		switch {
		case logout:
			fmt.Fprint(w, `window.synccheck={retcode:"1101",selector:"0"}`)
			return
		case ready:
			fmt.Fprint(w, `window.synccheck={retcode:"0",selector:"2"}`)
			return
		}
		select {
		case <-f.wake:
		case <-deadline:
			fmt.Fprint(w, `window.synccheck={retcode:"0",selector:"0"}`)
			return
		case <-r.Context().Done():
			return
		}
	}
}

func (f *fakeWX) readyLocked() bool {
	return len(f.pending) > 0 && f.pending[0].MinGen <= f.gen
}

func (f *fakeWX) sync(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	var batch []fakeMsg
	for f.readyLocked() {
		m := f.pending[0]
		if len(batch) > 0 && (m.Batch == 0 || m.Batch != batch[0].Batch) {
			break
		}
		batch = append(batch, m)
		f.pending = f.pending[1:]
		if m.Batch == 0 {
			break
		}
	}
	gen := f.gen
	f.syncs++
	n := f.syncs
	f.mu.Unlock()
	var list []map[string]any
	for _, m := range batch {
		from := f.userName(m.From, gen)
		content := m.Content
		if m.Member != "" {
			content = f.userName(m.Member, gen) + ":<br/>" + content
		}
		list = append(list, map[string]any{
			"MsgId": m.ID, "FromUserName": from, "ToUserName": f.userName("self", gen),
			"MsgType": 1, "Content": content, "CreateTime": time.Now().Unix(),
		})
	}
	resp := map[string]any{
		"BaseResponse": map[string]any{"Ret": 0, "ErrMsg": ""},
		"AddMsgCount":  len(list), "AddMsgList": list,
	}
	// The traps of WECHAT.md: the first answer has no SyncKey (openwechat 1.4.10 panics on
	// it), the second a List longer than its Count (panics too); later ones are sound.
	switch n {
	case 1:
	case 2:
		resp["SyncKey"] = map[string]any{"Count": 0, "List": []map[string]int{{"Key": 1, "Val": 2}, {"Key": 2, "Val": 2}}}
	default:
		resp["SyncKey"] = map[string]any{"Count": 1, "List": []map[string]int{{"Key": 1, "Val": n}}}
	}
	writeJSON(w, resp)
	f.poke() // more may be waiting
}

func (f *fakeWX) user(who, nick, remark string, gen int) map[string]any {
	return map[string]any{"UserName": f.userName(who, gen), "NickName": nick, "RemarkName": remark, "VerifyFlag": 0}
}

func (f *fakeWX) groupUser(gen int) map[string]any {
	g := f.user("group", "盐湖区帮扶群", "", gen)
	g["MemberList"] = []map[string]any{
		{"UserName": f.userName("self", gen), "NickName": botNick, "DisplayName": ""},
		{"UserName": f.userName("friend", gen), "NickName": "张三", "DisplayName": "张三（钢铁）"},
		{"UserName": f.userName("member", gen), "NickName": "王五", "DisplayName": ""},
	}
	g["MemberCount"] = 3
	return g
}

func (f *fakeWX) contacts(w http.ResponseWriter) {
	f.mu.Lock()
	gen := f.gen
	f.mu.Unlock()
	mp := f.user("mp", "运城发布", "", gen)
	mp["VerifyFlag"] = 8
	g := f.user("group", "盐湖区帮扶群", "", gen)
	writeJSON(w, map[string]any{
		"BaseResponse": map[string]any{"Ret": 0, "ErrMsg": ""},
		"MemberCount":  5,
		"Seq":          0,
		"MemberList": []map[string]any{
			f.user("friend", "张三", "盐湖钢铁-张三", gen),
			f.user("twin1", "李四", "", gen),
			f.user("twin2", "李四", "", gen),
			g, mp,
		},
	})
}

func (f *fakeWX) batch(w http.ResponseWriter, r *http.Request) {
	var req struct{ List []struct{ UserName string } }
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		f.t.Errorf("webwxbatchgetcontact: %v", err)
	}
	f.mu.Lock()
	gen := f.gen
	f.mu.Unlock()
	var out []map[string]any
	for _, u := range req.List {
		switch u.UserName {
		case f.userName("group", gen):
			out = append(out, f.groupUser(gen))
		case f.userName("friend", gen):
			out = append(out, f.user("friend", "张三", "盐湖钢铁-张三", gen))
		default:
			out = append(out, map[string]any{"UserName": u.UserName})
		}
	}
	writeJSON(w, map[string]any{"BaseResponse": map[string]any{"Ret": 0, "ErrMsg": ""}, "Count": len(out), "ContactList": out})
}

var titleRe = regexp.MustCompile(`<title>(.*?)</title>`)

func (f *fakeWX) send(w http.ResponseWriter, r *http.Request) {
	var req struct {
		Msg struct {
			Type         int
			Content      string
			FromUserName string
			ToUserName   string
		}
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		f.t.Errorf("send: %v", err)
	}
	s := sent{At: time.Now(), To: req.Msg.ToUserName}
	if strings.HasSuffix(r.URL.Path, "/webwxsendappmsg") {
		var app struct {
			Title string `xml:"title"`
		}
		if err := xml.Unmarshal([]byte(req.Msg.Content), &app); err != nil || app.Title == "" {
			if m := titleRe.FindStringSubmatch(req.Msg.Content); m != nil {
				app.Title = m[1]
			}
		}
		s.File = app.Title
	} else {
		s.Text = req.Msg.Content
	}
	f.mu.Lock()
	f.sends = append(f.sends, s)
	f.mu.Unlock()
	f.sent <- s
	fmt.Fprint(w, `{"BaseResponse":{"Ret":0,"ErrMsg":""},"MsgID":"m1","LocalID":"l1"}`)
}

func (f *fakeWX) upload(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		f.t.Errorf("upload: %v", err)
		return
	}
	u := upload{Name: r.FormValue("name"), Ticket: r.FormValue("webwx_data_ticket")}
	if file, _, err := r.FormFile("filename"); err == nil {
		b, _ := io.ReadAll(file)
		u.Size = len(b)
	}
	f.mu.Lock()
	f.uploads = append(f.uploads, u)
	f.mu.Unlock()
	fmt.Fprint(w, `{"BaseResponse":{"Ret":0,"ErrMsg":""},"MediaId":"@media1","StartPos":0}`)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// reroute sends every request to the fake server, keeping the host WeChat would have seen in
// a header; the cookie jar still works with the real names.
type reroute struct {
	to   *url.URL
	base http.RoundTripper
}

func (r reroute) RoundTrip(req *http.Request) (*http.Response, error) {
	out := req.Clone(req.Context())
	out.Header.Set("X-Original-Host", req.URL.Host)
	out.URL.Scheme, out.URL.Host, out.Host = r.to.Scheme, r.to.Host, ""
	return r.base.RoundTrip(out)
}
