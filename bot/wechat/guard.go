package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"path"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/eatmoreapple/openwechat"
)

// errBadAnswer marks an answer the guard refused to pass on; openwechat reports it as a
// network error, but retrying the same session will not help.
var errBadAnswer = errors.New("malformed answer from WeChat")

// maxBody bounds what the guard reads of one answer; WeChat's largest (a contact list) is a
// few megabytes.
const maxBody = 64 << 20

// guard sits under openwechat's HTTP client, where the library's traps can be defused before
// the library sees an answer:
//   - a webwxinit or webwxsync answer without SyncKey, or with a List longer than its Count,
//     panics the library's sync goroutine, where nothing can recover it: the guard mends the
//     SyncKey;
//   - a webwxsync answer with an error Ret is taken by the library as "no messages" and asked
//     again at once, forever: the guard turns it into an error, which reaches our
//     MessageErrorHandler and its backoff;
//   - a 5xx page is decoded as JSON and fails as garbage: the guard reports it as a server
//     error, which the transport takes for a passing one;
//   - the login check and the sync check are retried without any pause when the server answers
//     at once: the guard spaces them by pollGap;
//   - a refused login page (ret 1203: this account cannot use desktop login) reaches the
//     library only as a message text: the guard keeps the code;
//   - the library drops what webwxsync says of contacts (ModContactList: renames): the guard
//     hands it to synced, and tells whether the answer brought anything at all, which is how a
//     zombie session is seen.
//
// When draining is set (the bot stops), the guard holds every sync check and webwxsync until
// the session ends, so that nothing more is fetched, and cancelCheck cuts short the check
// under way.
type guard struct {
	base    http.RoundTripper
	pollGap time.Duration
	sleep   func(context.Context, time.Duration) error
	// checked gets the selector of each sync check answered with retcode 0.
	checked func(selector string)
	// synced gets each webwxsync answered with Ret 0: whether it brought messages or contact
	// changes, and the contacts it reports changed.
	synced  func(content bool, mods []contactMod)
	refused func(int, string) // the login page answered with a non-zero ret
	// inited gets the account's own user from each webwxinit answered with Ret 0: the
	// library keeps it where reading it races with its sync loop ending.
	inited func(selfUser)
	// draining, when true, parks sync checks and syncs.
	draining *atomic.Bool

	mu     sync.Mutex
	last   map[string]time.Time
	check  context.CancelFunc // cancels the sync check under way
	parked chan struct{}      // closed when a sync request is held while draining
}

// selfUser is the bot account as webwxinit names it.
type selfUser struct {
	UserName, NickName string
	Uin                int64
}

// contactMod is a contact or group whose names WeChat reports changed.
type contactMod struct {
	UserName, NickName, RemarkName string
	Sex                            int
	Province, City                 string
	MemberList                     []struct{ UserName, NickName string }
}

// errServer is a 5xx answer: WeChat is unwell for a while.
type errServer struct{ status int }

func (e errServer) Error() string { return fmt.Sprintf("WeChat answered HTTP %d", e.status) }

func (g *guard) RoundTrip(req *http.Request) (*http.Response, error) {
	name := path.Base(req.URL.Path)
	switch name {
	case "synccheck", "webwxsync":
		if g.draining != nil && g.draining.Load() {
			g.park()
			<-req.Context().Done()
			return nil, req.Context().Err()
		}
	}
	switch name {
	case "login", "synccheck":
		if err := g.space(req.Context(), name); err != nil {
			return nil, err
		}
	}
	if name == "synccheck" {
		ctx, cancel := context.WithCancel(req.Context())
		g.mu.Lock()
		g.check = cancel
		g.mu.Unlock()
		defer cancel()
		req = req.WithContext(ctx)
	}
	resp, err := g.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	if resp.StatusCode >= 500 {
		_ = resp.Body.Close() // an error page: nothing to keep
		return nil, fmt.Errorf("%s: %w", name, errServer{resp.StatusCode})
	}
	switch name {
	case "webwxinit", "webwxsync":
		return g.mendJSON(name, resp)
	case "webwxnewloginpage":
		return g.loginPage(resp)
	case "synccheck":
		return g.syncCheck(resp)
	}
	return resp, nil
}

// park records that a sync request is held.
func (g *guard) park() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.parked == nil {
		g.parked = make(chan struct{})
	}
	select {
	case <-g.parked:
	default:
		close(g.parked)
	}
}

// parkedCh is closed once a sync request is held while draining.
func (g *guard) parkedCh() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.parked == nil {
		g.parked = make(chan struct{})
	}
	return g.parked
}

// cancelCheck cuts short the sync check under way (a long poll): the loop then asks again and
// is parked.
func (g *guard) cancelCheck() {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.check != nil {
		g.check()
	}
}

// space waits until pollGap has passed since the last request of the same name.
func (g *guard) space(ctx context.Context, name string) error {
	g.mu.Lock()
	if g.last == nil {
		g.last = map[string]time.Time{}
	}
	wait := time.Until(g.last[name].Add(g.pollGap))
	g.mu.Unlock()
	if wait > 0 {
		if err := g.sleep(ctx, wait); err != nil {
			return err
		}
	}
	g.mu.Lock()
	g.last[name] = time.Now()
	g.mu.Unlock()
	return nil
}

// syncCheckRe reads a sync check answer: window.synccheck={retcode:"0",selector:"2"}.
var syncCheckRe = regexp.MustCompile(`retcode\s*:\s*"(\d+)"\s*,\s*selector\s*:\s*"(\d+)"`)

func (g *guard) syncCheck(resp *http.Response) (*http.Response, error) {
	b, err := readBody(resp)
	if err != nil {
		return nil, fmt.Errorf("synccheck: %w", err)
	}
	if m := syncCheckRe.FindSubmatch(b); m != nil && string(m[1]) == "0" && g.checked != nil {
		g.checked(string(m[2]))
	}
	return setBody(resp, b), nil
}

func readBody(resp *http.Response) ([]byte, error) {
	defer func() { _ = resp.Body.Close() }() // fully read: a close error loses nothing
	return io.ReadAll(io.LimitReader(resp.Body, maxBody))
}

func setBody(resp *http.Response, b []byte) *http.Response {
	resp.Body = io.NopCloser(bytes.NewReader(b))
	resp.ContentLength = int64(len(b))
	resp.Header.Set("Content-Length", strconv.Itoa(len(b)))
	return resp
}

// syncKey is openwechat's SyncKey with the list left as it came.
type syncKey struct {
	Count int
	List  []json.RawMessage
}

func (g *guard) mendJSON(name string, resp *http.Response) (*http.Response, error) {
	b, err := readBody(resp)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	var doc map[string]json.RawMessage
	if json.Unmarshal(b, &doc) != nil {
		return setBody(resp, b), nil // not ours to judge: the library reports it
	}
	var base struct{ Ret int }
	if raw, ok := doc["BaseResponse"]; ok {
		// An unreadable BaseResponse leaves Ret 0: the library then reads it and reports it.
		_ = json.Unmarshal(raw, &base)
	}
	if base.Ret != 0 {
		if name == "webwxsync" {
			return nil, fmt.Errorf("webwxsync: %w", openwechat.Ret(base.Ret))
		}
		return setBody(resp, b), nil // webwxinit: the library reports the Ret itself
	}
	if name == "webwxinit" {
		var self selfUser
		if u, ok := doc["User"]; !ok || string(u) == "null" || json.Unmarshal(u, &self) != nil {
			return nil, fmt.Errorf("webwxinit: %w: no User", errBadAnswer)
		}
		if g.inited != nil {
			g.inited(self)
		}
	}
	if key, whole := readSyncKey(doc["SyncKey"]); !whole {
		if doc["SyncKey"], err = json.Marshal(key); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
		if b, err = json.Marshal(doc); err != nil {
			return nil, fmt.Errorf("%s: %w", name, err)
		}
	}
	if name == "webwxsync" && g.synced != nil {
		g.synced(syncReport(doc))
	}
	return setBody(resp, b), nil
}

// syncReport reads what a webwxsync answer brought: whether anything at all, and the contacts
// it reports changed.
func syncReport(doc map[string]json.RawMessage) (content bool, mods []contactMod) {
	for _, k := range []string{"AddMsgCount", "ModContactCount", "DelContactCount", "ModChatRoomMemberCount"} {
		var n int
		if json.Unmarshal(doc[k], &n) == nil && n > 0 {
			content = true
		}
	}
	for _, k := range []string{"AddMsgList", "ModContactList", "DelContactList", "ModChatRoomMemberList"} {
		var list []json.RawMessage
		if json.Unmarshal(doc[k], &list) == nil && len(list) > 0 {
			content = true
		}
	}
	// A list that cannot be read is the library's to report; the renames are then missed.
	_ = json.Unmarshal(doc["ModContactList"], &mods)
	return content, mods
}

// readSyncKey reads a SyncKey as it came; whole is false when the library would panic on it
// (missing, null, unreadable, or a List longer than its Count), and key is then the mended
// one: Count set to the length of List, an empty List for one that cannot be read.
func readSyncKey(raw json.RawMessage) (key syncKey, whole bool) {
	if len(raw) == 0 || string(raw) == "null" || json.Unmarshal(raw, &key) != nil {
		return syncKey{List: []json.RawMessage{}}, false
	}
	if key.Count == len(key.List) {
		return key, true
	}
	key.Count = len(key.List)
	if key.List == nil {
		key.List = []json.RawMessage{}
	}
	return key, false
}

func (g *guard) loginPage(resp *http.Response) (*http.Response, error) {
	b, err := readBody(resp)
	if err != nil {
		return nil, fmt.Errorf("login page: %w", err)
	}
	var page struct {
		Ret     int    `xml:"ret"`
		Message string `xml:"message"`
	}
	if xml.Unmarshal(b, &page) == nil && page.Ret != 0 && g.refused != nil {
		g.refused(page.Ret, page.Message)
	}
	return setBody(resp, b), nil
}
