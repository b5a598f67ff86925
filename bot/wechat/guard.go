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
	"strconv"
	"sync"
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
// the library sees an answer (WECHAT.md, "Risks in long runs"):
//   - a webwxinit or webwxsync answer without SyncKey, or with a List longer than its Count,
//     panics the library's sync goroutine, where nothing can recover it: the guard mends the
//     SyncKey;
//   - a webwxsync answer with an error Ret is taken by the library as "no messages" and asked
//     again at once, forever: the guard turns it into an error, which reaches our
//     MessageErrorHandler and its backoff;
//   - the login check and the sync check are retried without any pause when the server answers
//     at once: the guard spaces them by pollGap;
//   - a refused login page (ret 1203: this account cannot use desktop login) reaches the
//     library only as a message text: the guard keeps the code.
type guard struct {
	base    http.RoundTripper
	pollGap time.Duration
	syncOK  func()            // a webwxsync answer came with Ret 0
	refused func(int, string) // the login page answered with a non-zero ret
	sleep   func(context.Context, time.Duration) error

	mu   sync.Mutex
	last map[string]time.Time
}

func (g *guard) RoundTrip(req *http.Request) (*http.Response, error) {
	name := path.Base(req.URL.Path)
	switch name {
	case "login", "synccheck":
		if err := g.space(req.Context(), name); err != nil {
			return nil, err
		}
	}
	resp, err := g.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	switch name {
	case "webwxinit", "webwxsync":
		return g.mendJSON(name, resp)
	case "webwxnewloginpage":
		return g.loginPage(resp)
	}
	return resp, nil
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
		if u, ok := doc["User"]; !ok || string(u) == "null" {
			return nil, fmt.Errorf("webwxinit: %w: no User", errBadAnswer)
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
	if name == "webwxsync" && g.syncOK != nil {
		g.syncOK()
	}
	return setBody(resp, b), nil
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
