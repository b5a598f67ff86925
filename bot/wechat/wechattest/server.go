// Package wechattest is a fake of the WeChat web servers that openwechat v1.4.10 talks to
// (login.wx.qq.com, wx.qq.com, webpush.wx.qq.com, file.wx.qq.com), served in memory: its
// Transport answers each request by calling the fake's handler, with no socket, so tests of
// the WeChat transport run offline and inside a testing/synctest bubble, where a month of
// sessions passes in seconds.
//
// The fake keeps people (friends, groups, members) by a test's key, hands out UserNames that
// change with each session as WeChat's do, and plays the failures a long-running bot meets:
// QR codes that expire, sessions logged out (1100-1102) or refused at init, zombie sessions
// (synccheck says "new messages" and webwxsync has none), 5xx pages, "operate too often"
// (1205), renames reported in ModContactList, paged contact lists, friend requests, quoted
// replies, files, pictures, voice and recalls.
package wechattest

import (
	"context"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Secrets the fake hands out; a test greps logs and stored errors for Secret to prove that
// none leaks.
const (
	Secret     = "SECRET"
	PassTicket = "PASS-TICKET-SECRET"
	DataTicket = "DATA-TICKET-SECRET"
	skey       = "@crypt_SKEY-SECRET"
)

// Uin is the bot account's Uin unless a test scans with another (ScanAs).
const Uin = 123

// BotNick is the bot account's nickname.
const BotNick = "innobot测试号"

// Person is a friend, a group or a member of a group, named by Key in the test.
type Person struct {
	Key        string // the test's name for it; part of its UserNames
	NickName   string
	RemarkName string
	// Group makes it a group chat; Members are the keys of its members (the bot is always
	// one), and BotName is the bot's display name in it (群昵称), empty for none.
	Group   bool
	Members []string
	BotName string
	// Stranger: not a friend of the bot (met only in groups, or asking to become one).
	Stranger bool
	// Unlisted: a group not saved to the address book, which webwxgetcontact leaves out.
	Unlisted bool
	MP       bool // an official account
	// Profile fields, shown in contact lists.
	Sex                       int
	Province, City, Signature string
}

// Message types the fake delivers (WeChat's MsgType).
const (
	TypeText          = 1
	TypeImage         = 3
	TypeVoice         = 34
	TypeFriendRequest = 37
	TypeApp           = 49
	TypeRecall        = 10002
)

// App message types (AppMsgType) of TypeApp.
const (
	AppFile  = 6
	AppQuote = 57
)

// Msg is a message waiting to be delivered to the bot.
type Msg struct {
	ID   string
	From string // a person's key: a friend, a group, or (for TypeFriendRequest) the asker
	// Member is, for a group message, the key of the member who wrote it.
	Member string
	Type   int // TypeText when 0
	App    int // for TypeApp: AppFile or AppQuote
	// Text is the text typed: the content of a text, the reply of a quote.
	Text string
	// Quoted is the text a quote replies to.
	Quoted string
	// FileName and FileData are the file of an AppFile message; Recalled is the id of the
	// message a TypeRecall takes back.
	FileName string
	FileData []byte
	Recalled string
	// MinSession delays the message until that session (1 = the first login).
	MinSession int
	// Batch > 0 puts messages with the same Batch in one webwxsync answer.
	Batch int
}

// Sent is what the bot sent, as the fake saw it.
type Sent struct {
	At   time.Time
	To   string // the UserName it went to
	Who  string // the key of the person or group of that UserName ("" if unknown)
	Text string
	File string // the title of a file
}

// Upload is one file upload, its chunks put together.
type Upload struct {
	Name, Ticket string
	Size, Chunks int
}

// Failure is what an endpoint answers instead of its normal answer.
type Failure struct {
	Status int // an HTTP status (500, 502…) with an HTML page
	Ret    int // a BaseResponse Ret (-1, 1101, 1205…), or synccheck's retcode
	// Network: the request fails before an answer, as when the connection drops; Go's HTTP
	// client then reports the whole URL, secrets included.
	Network bool
}

// Server is the fake. Make it with New; change it with its methods while the bot runs.
type Server struct {
	mu sync.Mutex

	people map[string]*Person
	order  []string // keys in the order added, for listings
	// friends added by an accepted request.
	accepted []string

	uin       int64 // the account whose phone scans
	scanned   bool  // the phone scanned the code shown
	autoScan  bool
	qrs       int // QR codes asked for
	qrPolls   int // login polls of the current code
	QRLife    int // login polls before a code expires (400); 0 for never
	polls     int
	sessions  int   // logins so far (each new login is a session)
	sid       int   // the current session, 0 before any
	dead      bool  // the current session was logged out
	keepNames bool  // UserNames survive a hot login of the same session
	gen       int   // the generation of UserNames
	inits     int   // webwxinit calls
	initSIDs  []int // the session each successful init served
	logoutRet int   // the next synccheck answers this retcode
	// dropRestored: hot logins of the current session are accepted, then logged out.
	dropRestored bool
	zombie       bool // synccheck says "new messages"; webwxsync has none
	// selector is what an idle synccheck answers in place of "0" (zombies answer 2 or 7).
	zombieSelector string
	pending        []Msg
	mods           []string // keys of people whose names changed, for ModContactList
	pageSize       int      // webwxgetcontact's page size; 0 lists everyone at once
	fail           map[string][]Failure
	syncs          int
	emptySyncs     int
	sends          []Sent
	uploads        []Upload
	chunks         map[string]*Upload
	media          map[string][]byte
	// holdSyncCheck is how long an idle synccheck is held (the real server holds 25 s).
	holdSyncCheck time.Duration
	wake          chan struct{}
	sent          chan Sent
}

// New makes a fake with the bot account alone; add people with Add.
func New() *Server {
	return &Server{
		people: map[string]*Person{}, uin: Uin, fail: map[string][]Failure{},
		chunks: map[string]*Upload{}, media: map[string][]byte{},
		holdSyncCheck: 200 * time.Millisecond,
		wake:          make(chan struct{}, 1), sent: make(chan Sent, 10_000),
	}
}

// Transport answers every request by calling the fake's handler in memory. The host a
// request names picks the fake endpoint, so the cookie jar sees WeChat's real names.
func (f *Server) Transport() http.RoundTripper { return memTransport{f} }

type memTransport struct{ f *Server }

func (m memTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body != nil {
		defer func() { _ = req.Body.Close() }()
	}
	if m.f.networkFailure(endpoint(req)) {
		return nil, fmt.Errorf("fake WeChat: connection reset by peer")
	}
	rec := httptest.NewRecorder()
	m.f.ServeHTTP(rec, req)
	if err := req.Context().Err(); err != nil {
		return nil, err
	}
	resp := rec.Result()
	resp.Request = req
	return resp, nil
}

// Add adds people (or replaces those of the same key).
func (f *Server) Add(ps ...Person) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, p := range ps {
		if _, ok := f.people[p.Key]; !ok {
			f.order = append(f.order, p.Key)
		}
		f.people[p.Key] = &p
	}
}

// Rename changes a person's or group's names; reported puts the change in the next
// webwxsync's ModContactList, as WeChat does while the bot is logged in.
func (f *Server) Rename(key, nick, remark string, reported bool) {
	f.mu.Lock()
	p := f.people[key]
	p.NickName, p.RemarkName = nick, remark
	if reported {
		f.mods = append(f.mods, key)
	}
	f.mu.Unlock()
	f.poke()
}

// Remove takes a person off the bot's address book (a friend who deleted the bot).
func (f *Server) Remove(key string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	delete(f.people, key)
	f.order = slices.DeleteFunc(f.order, func(k string) bool { return k == key })
}

// Scan is the phone scanning the QR code shown, or the next one.
func (f *Server) Scan() { f.ScanAs(Uin) }

// ScanAs is a phone of another account scanning (somebody's personal phone).
func (f *Server) ScanAs(uin int64) {
	f.mu.Lock()
	f.scanned, f.uin = true, uin
	f.mu.Unlock()
}

// AutoScan makes every QR code scanned by the bot's phone as soon as it is shown.
func (f *Server) AutoScan(on bool) {
	f.mu.Lock()
	f.autoScan = on
	f.mu.Unlock()
}

// KeepUserNames makes a hot login of a live session keep its UserNames (WeChat does when the
// session itself survived); by default every webwxinit hands out new ones.
func (f *Server) KeepUserNames(on bool) {
	f.mu.Lock()
	f.keepNames = on
	f.mu.Unlock()
}

// Deliver queues messages for the bot's next syncs.
func (f *Server) Deliver(msgs ...Msg) {
	f.mu.Lock()
	f.pending = append(f.pending, msgs...)
	f.mu.Unlock()
	f.poke()
}

// Logout makes the next synccheck answer ret (1100, 1101 or 1102): WeChat ends the session,
// and a hot login of it is refused at webwxinit.
func (f *Server) Logout(ret int) {
	f.mu.Lock()
	f.logoutRet = ret
	f.mu.Unlock()
	f.poke()
}

// LogoutAfterInit makes WeChat drop the saved session each time it is restored, until a QR
// scan starts a new one: every hot login of it is accepted at webwxinit, then logged out at
// its first synccheck (1101). A transport that took a good webwxinit for a live session would
// log in again for ever without asking for a scan.
func (f *Server) LogoutAfterInit() {
	f.mu.Lock()
	f.dropRestored = true
	f.mu.Unlock()
}

// Zombie makes the session a zombie (on) or well again: synccheck keeps answering selector
// (2 or 7) at once and webwxsync has nothing.
func (f *Server) Zombie(on bool, selector string) {
	f.mu.Lock()
	f.zombie, f.zombieSelector = on, selector
	f.mu.Unlock()
	f.poke()
}

// PageSize makes webwxgetcontact list n people a page.
func (f *Server) PageSize(n int) {
	f.mu.Lock()
	f.pageSize = n
	f.mu.Unlock()
}

// HoldSyncCheck sets how long an idle synccheck is held before it answers "nothing new".
func (f *Server) HoldSyncCheck(d time.Duration) {
	f.mu.Lock()
	f.holdSyncCheck = d
	f.mu.Unlock()
}

// Fail makes the next calls of an endpoint fail, one Failure per call. Endpoints are named by
// the last element of their path: jslogin, login, webwxnewloginpage, webwxinit, synccheck,
// webwxsync, webwxgetcontact, webwxbatchgetcontact, webwxsendmsg, webwxsendappmsg,
// webwxuploadmedia, webwxgetmedia, webwxverifyuser.
func (f *Server) Fail(endpoint string, fs ...Failure) {
	f.mu.Lock()
	f.fail[endpoint] = append(f.fail[endpoint], fs...)
	f.mu.Unlock()
}

// networkFailure takes the endpoint's next failure when it is a network one.
func (f *Server) networkFailure(endpoint string) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := f.fail[endpoint]
	if len(q) == 0 || !q[0].Network {
		return false
	}
	f.fail[endpoint] = q[1:]
	return true
}

func (f *Server) failure(endpoint string) (Failure, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	q := f.fail[endpoint]
	if len(q) == 0 {
		return Failure{}, false
	}
	f.fail[endpoint] = q[1:]
	return q[0], true
}

func (f *Server) poke() {
	select {
	case f.wake <- struct{}{}:
	default:
	}
}

// Next waits for the bot's next send, up to wait; ok is false when none came.
func (f *Server) Next(wait time.Duration) (s Sent, ok bool) {
	select {
	case s := <-f.sent:
		return s, true
	case <-time.After(wait):
		return Sent{}, false
	}
}

// Drain returns the sends not yet taken by Next.
func (f *Server) Drain() []Sent {
	var out []Sent
	for {
		select {
		case s := <-f.sent:
			out = append(out, s)
		default:
			return out
		}
	}
}

// Pending counts the messages WeChat still holds for the bot.
func (f *Server) Pending() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.pending)
}

// Stats are the fake's counters.
type Stats struct {
	QRCodes, Inits, Sessions, Syncs, EmptySyncs int
	Sends                                       []Sent
	Uploads                                     []Upload
	Accepted                                    []string // keys of friend requests accepted
	// InitSessions is, per successful webwxinit, the session it served: the same number
	// twice is a hot login of that session.
	InitSessions []int
}

// Stats returns the fake's counters now.
func (f *Server) Stats() Stats {
	f.mu.Lock()
	defer f.mu.Unlock()
	return Stats{QRCodes: f.qrs, Inits: f.inits, Sessions: f.sessions, Syncs: f.syncs, EmptySyncs: f.emptySyncs,
		Sends: slices.Clone(f.sends), Uploads: slices.Clone(f.uploads), Accepted: slices.Clone(f.accepted),
		InitSessions: slices.Clone(f.initSIDs)}
}

// UserName is the UserName a person has in the current generation.
func (f *Server) UserName(key string) string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.userNameLocked(key)
}

func (f *Server) userNameLocked(key string) string {
	if key == "self" {
		return fmt.Sprintf("@self-%d", f.gen)
	}
	if p := f.people[key]; p != nil && p.Group {
		return fmt.Sprintf("@@%s-%d", key, f.gen)
	}
	return fmt.Sprintf("@%s-%d", key, f.gen)
}

// keyOf is the person of a UserName of the current generation.
func (f *Server) keyOfLocked(userName string) string {
	if userName == f.userNameLocked("self") {
		return "self"
	}
	for k := range f.people {
		if f.userNameLocked(k) == userName {
			return k
		}
	}
	return ""
}

// endpoint names a request by the last element of its path.
func endpoint(r *http.Request) string {
	p := r.URL.Path
	return p[strings.LastIndex(p, "/")+1:]
}

// ServeHTTP answers one request as WeChat's servers would.
func (f *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	name := endpoint(r)
	if fl, ok := f.failure(name); ok {
		if fl.Status != 0 {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(fl.Status)
			fmt.Fprintf(w, "<html><body><h1>%d</h1>服务器繁忙</body></html>", fl.Status)
			return
		}
		switch name {
		case "synccheck":
			fmt.Fprintf(w, `window.synccheck={retcode:"%d",selector:"0"}`, fl.Ret)
		case "webwxnewloginpage":
			fmt.Fprintf(w, `<error><ret>%d</ret><message>为了你的帐号安全，此微信号不能登录网页微信。</message></error>`, fl.Ret)
		default:
			fmt.Fprintf(w, `{"BaseResponse":{"Ret":%d,"ErrMsg":""}}`, fl.Ret)
		}
		return
	}
	switch name {
	case "jslogin":
		f.mu.Lock()
		f.qrs++
		f.qrPolls = 0
		if f.autoScan {
			f.scanned, f.uin = true, Uin
		}
		n := f.qrs
		f.mu.Unlock()
		fmt.Fprintf(w, `window.QRLogin.code = 200; window.QRLogin.uuid = "U%d";`, n)
	case "login":
		f.login(w, r)
	case "webwxnewloginpage":
		f.loginPage(w)
	case "webwxinit":
		f.init(w, r)
	case "webwxstatusnotify":
		fmt.Fprint(w, `{"BaseResponse":{"Ret":0,"ErrMsg":""},"MsgID":"s1"}`)
	case "synccheck":
		f.syncCheck(w, r)
	case "webwxsync":
		f.sync(w)
	case "webwxgetcontact":
		f.contacts(w, r)
	case "webwxbatchgetcontact":
		f.batch(w, r)
	case "webwxsendmsg", "webwxsendappmsg":
		f.send(w, r)
	case "webwxuploadmedia":
		f.upload(w, r)
	case "webwxgetmedia":
		f.getMedia(w, r)
	case "webwxverifyuser":
		f.verify(w, r)
	case "webwxlogout":
		writeJSON(w, ok())
	default:
		http.NotFound(w, r)
	}
}

func ok() map[string]any {
	return map[string]any{"BaseResponse": map[string]any{"Ret": 0, "ErrMsg": ""}}
}

func (f *Server) login(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	scanned := f.scanned
	if scanned {
		f.polls++
	}
	f.qrPolls++
	expired := f.QRLife > 0 && f.qrPolls > f.QRLife && !scanned
	polls := f.polls
	f.mu.Unlock()
	switch {
	case expired:
		fmt.Fprint(w, `window.code=400;`)
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
		f.mu.Lock()
		f.scanned, f.polls = false, 0
		f.mu.Unlock()
		fmt.Fprint(w, `window.code=200;
window.redirect_uri="https://wx.qq.com/cgi-bin/mmwebwx-bin/webwxnewloginpage?ticket=T&uuid=U&lang=zh_CN&scan=1";`)
	}
}

// loginPage starts a new session: new sid, cookies and keys.
func (f *Server) loginPage(w http.ResponseWriter) {
	f.mu.Lock()
	f.sessions++
	f.sid, f.dead, f.dropRestored = f.sessions, false, false
	sid, uin := f.sid, f.uin
	f.mu.Unlock()
	for _, c := range []string{"webwx_data_ticket=" + DataTicket, fmt.Sprintf("wxsid=SID-SECRET-%d", sid), fmt.Sprintf("wxuin=%d", uin)} {
		w.Header().Add("Set-Cookie", c+"; Domain=qq.com; Path=/")
	}
	fmt.Fprintf(w, `<error><ret>0</ret><message></message><skey>%s</skey><wxsid>SID-SECRET-%d</wxsid><wxuin>%d</wxuin><pass_ticket>%s</pass_ticket><isgrayscale>1</isgrayscale></error>`,
		skey, sid, uin, PassTicket)
}

type baseRequest struct {
	BaseRequest struct {
		Uin  int64
		Sid  string
		Skey string
	}
}

// sessionOf reads the session a request's sid names, 0 for none.
func sessionOf(sid string) int {
	n, _ := strconv.Atoi(strings.TrimPrefix(sid, "SID-SECRET-"))
	return n
}

func (f *Server) init(w http.ResponseWriter, r *http.Request) {
	var req baseRequest
	_ = json.NewDecoder(r.Body).Decode(&req)
	f.mu.Lock()
	sid := sessionOf(req.BaseRequest.Sid)
	if sid == 0 || sid != f.sid || (f.dead && !f.dropRestored) {
		f.mu.Unlock()
		// WeChat refuses a session it ended.
		fmt.Fprint(w, `{"BaseResponse":{"Ret":1101,"ErrMsg":""}}`)
		return
	}
	f.inits++
	hot := len(f.initSIDs) > 0 && f.initSIDs[len(f.initSIDs)-1] == sid
	if !hot || !f.keepNames {
		f.gen++
	}
	f.initSIDs = append(f.initSIDs, sid)
	if hot && f.dropRestored {
		f.dead, f.logoutRet = false, 1101
	}
	self := map[string]any{"UserName": f.userNameLocked("self"), "NickName": BotNick, "Uin": f.uin}
	f.mu.Unlock()
	writeJSON(w, map[string]any{
		"BaseResponse": map[string]any{"Ret": 0, "ErrMsg": ""},
		"User":         self,
		"SyncKey":      map[string]any{"Count": 1, "List": []map[string]int{{"Key": 1, "Val": 1}}},
		"ContactList":  []any{},
		"SKey":         skey,
	})
}

// Session is the number of the current session and whether WeChat ended it.
func (f *Server) Session() (n int, dead bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.sid, f.dead
}

func (f *Server) syncCheck(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	hold := f.holdSyncCheck
	f.mu.Unlock()
	deadline := time.NewTimer(hold)
	defer deadline.Stop()
	sid := sessionOf(r.URL.Query().Get("sid"))
	for {
		f.mu.Lock()
		var answer string
		switch {
		case sid != f.sid || f.dead:
			answer = `retcode:"1101",selector:"0"`
		case f.logoutRet != 0:
			answer = fmt.Sprintf(`retcode:"%d",selector:"0"`, f.logoutRet)
			f.logoutRet, f.dead = 0, true
		case f.zombie:
			answer = fmt.Sprintf(`retcode:"0",selector:"%s"`, f.zombieSelector)
		case len(f.mods) > 0:
			answer = `retcode:"0",selector:"4"`
		case f.readyLocked():
			answer = `retcode:"0",selector:"2"`
		}
		f.mu.Unlock()
		if answer != "" {
			fmt.Fprint(w, "window.synccheck={"+answer+"}")
			return
		}
		select {
		case <-f.wake:
		case <-deadline.C:
			fmt.Fprint(w, `window.synccheck={retcode:"0",selector:"0"}`)
			return
		case <-r.Context().Done():
			return
		}
	}
}

func (f *Server) readyLocked() bool {
	return len(f.pending) > 0 && f.pending[0].MinSession <= f.sid
}

func (f *Server) sync(w http.ResponseWriter) {
	f.mu.Lock()
	var batch []Msg
	if !f.zombie {
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
	}
	var mods []map[string]any
	if !f.zombie {
		for _, k := range f.mods {
			if p := f.people[k]; p != nil {
				mods = append(mods, f.userLocked(p))
			}
		}
		f.mods = nil
	}
	f.syncs++
	n := f.syncs
	if len(batch) == 0 && len(mods) == 0 {
		f.emptySyncs++
	}
	var list []map[string]any
	for _, m := range batch {
		list = append(list, f.messageLocked(m))
	}
	f.mu.Unlock()
	resp := map[string]any{
		"BaseResponse": map[string]any{"Ret": 0, "ErrMsg": ""},
		"AddMsgCount":  len(list), "AddMsgList": list,
		"ModContactCount": len(mods), "ModContactList": mods,
	}
	// The traps of openwechat 1.4.10: the first answer has no SyncKey (it panics on that), the
	// second a List longer than its Count (it panics too); later ones are sound.
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

// messageLocked is a Msg as webwxsync lists it.
func (f *Server) messageLocked(m Msg) map[string]any {
	typ := m.Type
	if typ == 0 {
		typ = TypeText
	}
	from := f.userNameLocked(m.From)
	out := map[string]any{"MsgId": m.ID, "NewMsgId": 0, "FromUserName": from, "ToUserName": f.userNameLocked("self"),
		"MsgType": typ, "CreateTime": time.Now().Unix()}
	content := html.EscapeString(m.Text)
	switch typ {
	case TypeImage, TypeVoice:
		content = ""
	case TypeApp:
		out["AppMsgType"] = m.App
		switch m.App {
		case AppQuote:
			content = html.EscapeString(fmt.Sprintf(`<msg><appmsg appid="" sdkver="0"><title>%s</title><des></des><type>57</type><refermsg><type>1</type><content>%s</content></refermsg></appmsg></msg>`,
				xmlText(m.Text), xmlText(m.Quoted)))
		case AppFile:
			id := "@media-" + m.ID
			f.media[id] = m.FileData
			out["FileName"], out["FileSize"], out["MediaId"] = m.FileName, strconv.Itoa(len(m.FileData)), id
			out["EncryFileName"] = m.FileName
			content = html.EscapeString(fmt.Sprintf(`<msg><appmsg appid="" sdkver="0"><title>%s</title><type>6</type><appattach><totallen>%d</totallen><attachid>%s</attachid><fileext>xlsx</fileext></appattach></appmsg></msg>`,
				xmlText(m.FileName), len(m.FileData), id))
		}
	case TypeRecall:
		content = html.EscapeString(fmt.Sprintf(`<sysmsg type="revokemsg"><revokemsg><session>%s</session><msgid>%s</msgid><replacemsg><![CDATA["某人" 撤回了一条消息]]></replacemsg></revokemsg></sysmsg>`, from, m.Recalled))
	case TypeFriendRequest:
		p := f.people[m.From]
		out["FromUserName"] = "fmessage"
		out["RecommendInfo"] = map[string]any{"UserName": from, "NickName": p.NickName, "Ticket": "v2-ticket-" + m.From,
			"Content": m.Text, "Sex": p.Sex, "Province": p.Province, "City": p.City, "Signature": p.Signature, "OpCode": 2}
		content = html.EscapeString(fmt.Sprintf(`<msg fromusername="wxid_x" fromnickname="%s" content="%s"/>`, xmlText(p.NickName), xmlText(m.Text)))
	}
	if m.Member != "" {
		content = f.userNameLocked(m.Member) + ":<br/>" + content
	}
	out["Content"] = content
	return out
}

func xmlText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch r {
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '&':
			b.WriteString("&amp;")
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// userLocked is a person as contact lists show them.
func (f *Server) userLocked(p *Person) map[string]any {
	u := map[string]any{"UserName": f.userNameLocked(p.Key), "NickName": p.NickName, "RemarkName": p.RemarkName,
		"VerifyFlag": 0, "Sex": p.Sex, "Province": p.Province, "City": p.City, "Signature": p.Signature}
	if p.MP {
		u["VerifyFlag"] = 8
	}
	if p.Group {
		members := []map[string]any{{"UserName": f.userNameLocked("self"), "NickName": BotNick, "DisplayName": p.BotName}}
		for _, k := range p.Members {
			if m := f.people[k]; m != nil {
				members = append(members, map[string]any{"UserName": f.userNameLocked(k), "NickName": m.NickName, "DisplayName": ""})
			}
		}
		u["MemberList"] = members
		u["MemberCount"] = len(members)
	}
	return u
}

func (f *Server) contacts(w http.ResponseWriter, r *http.Request) {
	seq, _ := strconv.Atoi(r.URL.Query().Get("seq"))
	f.mu.Lock()
	var all []map[string]any
	for _, k := range f.order {
		p := f.people[k]
		if p.Stranger || p.Group && p.Unlisted {
			continue
		}
		u := f.userLocked(p)
		delete(u, "MemberList") // the list gives groups without their members
		all = append(all, u)
	}
	page, next := all, 0
	if f.pageSize > 0 {
		end := min(seq+f.pageSize, len(all))
		page = all[min(seq, len(all)):end]
		if end < len(all) {
			next = end
		}
	}
	f.mu.Unlock()
	writeJSON(w, map[string]any{"BaseResponse": map[string]any{"Ret": 0, "ErrMsg": ""}, "MemberCount": len(page), "Seq": next, "MemberList": page})
}

func (f *Server) batch(w http.ResponseWriter, r *http.Request) {
	var req struct{ List []struct{ UserName string } }
	_ = json.NewDecoder(r.Body).Decode(&req)
	f.mu.Lock()
	var out []map[string]any
	for _, u := range req.List {
		if p := f.people[f.keyOfLocked(u.UserName)]; p != nil {
			out = append(out, f.userLocked(p))
		} else {
			out = append(out, map[string]any{"UserName": u.UserName})
		}
	}
	f.mu.Unlock()
	writeJSON(w, map[string]any{"BaseResponse": map[string]any{"Ret": 0, "ErrMsg": ""}, "Count": len(out), "ContactList": out})
}

var titleRe = regexp.MustCompile(`<title>(.*?)</title>`)

func (f *Server) send(w http.ResponseWriter, r *http.Request) {
	var req struct {
		BaseRequest struct{ Sid string }
		Msg         struct {
			Type       int
			Content    string
			ToUserName string
		}
	}
	_ = json.NewDecoder(r.Body).Decode(&req)
	f.mu.Lock()
	if sessionOf(req.BaseRequest.Sid) != f.sid || f.dead {
		f.mu.Unlock()
		fmt.Fprint(w, `{"BaseResponse":{"Ret":1101,"ErrMsg":""}}`)
		return
	}
	s := Sent{At: time.Now(), To: req.Msg.ToUserName, Who: f.keyOfLocked(req.Msg.ToUserName)}
	if endpoint(r) == "webwxsendappmsg" {
		if m := titleRe.FindStringSubmatch(req.Msg.Content); m != nil {
			s.File = m[1]
		}
	} else {
		s.Text = req.Msg.Content
	}
	f.sends = append(f.sends, s)
	f.mu.Unlock()
	f.sent <- s
	fmt.Fprint(w, `{"BaseResponse":{"Ret":0,"ErrMsg":""},"MsgID":"m1","LocalID":"l1"}`)
}

func (f *Server) upload(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(8 << 20); err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	name, ticket := r.FormValue("name"), r.FormValue("webwx_data_ticket")
	size := 0
	if file, _, err := r.FormFile("filename"); err == nil {
		b, _ := io.ReadAll(file)
		size = len(b)
	}
	chunks, _ := strconv.Atoi(r.FormValue("chunks"))
	chunk, _ := strconv.Atoi(r.FormValue("chunk"))
	f.mu.Lock()
	u := f.chunks[name]
	if u == nil {
		u = &Upload{Name: name, Ticket: ticket}
		f.chunks[name] = u
	}
	u.Size += size
	u.Chunks++
	if chunks <= 1 || chunk == chunks-1 {
		f.uploads = append(f.uploads, *u)
		delete(f.chunks, name)
	}
	f.mu.Unlock()
	fmt.Fprint(w, `{"BaseResponse":{"Ret":0,"ErrMsg":""},"MediaId":"@media1","StartPos":0}`)
}

func (f *Server) getMedia(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	data, found := f.media[r.URL.Query().Get("mediaid")]
	f.mu.Unlock()
	if !found || r.URL.Query().Get("webwx_data_ticket") != DataTicket {
		http.NotFound(w, r)
		return
	}
	_, _ = w.Write(data)
}

func (f *Server) verify(w http.ResponseWriter, r *http.Request) {
	var req struct {
		VerifyUserList []struct{ Value, VerifyUserTicket string }
	}
	_ = json.NewDecoder(r.Body).Decode(&req)
	f.mu.Lock()
	for _, v := range req.VerifyUserList {
		if k := f.keyOfLocked(v.Value); k != "" && v.VerifyUserTicket == "v2-ticket-"+k {
			f.people[k].Stranger = false
			f.accepted = append(f.accepted, k)
		}
	}
	f.mu.Unlock()
	writeJSON(w, ok())
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}

// WaitFor polls cond every few milliseconds until it holds or wait passes.
func WaitFor(ctx context.Context, wait time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(wait)
	for !cond() {
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(5 * time.Millisecond)
	}
	return true
}
