package wechat

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync"
)

// dataTicket is the cookie openwechat needs to upload files; its loss after a hot login is a
// known trap of openwechat 1.4.10.
const dataTicket = "webwx_data_ticket"

// HotLoginFile keeps openwechat's hot-login data (cookies, session keys, sync key) in one file
// so that a restart needs no QR scan.
//
// openwechat rewrites its storage after init and after every sync and expects each Write to
// replace the whole content; a half-written file would cost a scan, so every Write goes to a
// temporary file that is synced and then renamed over the old one. Write also repairs two
// faults of the library's cookie jar before they reach the disk: cookies of hosts the jar no
// longer lists (it forgets every loaded cookie after a hot login) are carried over from the
// previous content, and webwx_data_ticket is copied to the upload host, where the reloaded
// jar would otherwise lack it and file sends fail.
//
// A HotLoginFile serves one openwechat Bot: Read returns the content as it was when first
// read. Make a new one (OpenHotLogin) for each Bot.
type HotLoginFile struct {
	path string

	mu     sync.Mutex
	reader *bytes.Reader
	last   []byte // what the file holds, for carrying cookies over
}

// OpenHotLogin returns the hot-login store at path; the file need not exist yet.
func OpenHotLogin(path string) *HotLoginFile { return &HotLoginFile{path: path} }

// Empty reports whether there is no saved session to try, so a QR scan is the only way in.
func (h *HotLoginFile) Empty() bool {
	st, err := os.Stat(h.path)
	return err != nil || st.Size() == 0
}

// Check reads the saved session as openwechat will; an error means the file is damaged and
// only a scan can replace it.
func (h *HotLoginFile) Check() error {
	b, err := os.ReadFile(h.path)
	if err != nil {
		return fmt.Errorf("read hot login: %w", err)
	}
	var item struct {
		Jar          map[string][]*http.Cookie
		BaseRequest  *struct{ Uin int64 }
		WechatDomain string
	}
	if err := json.Unmarshal(b, &item); err != nil {
		return fmt.Errorf("read hot login: %w", err)
	}
	if item.BaseRequest == nil || item.WechatDomain == "" {
		return errors.New("read hot login: the file holds no session")
	}
	return nil
}

// Clear forgets the saved session, after it was refused, so that the next login asks for a
// scan instead of trying it again.
func (h *HotLoginFile) Clear() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.reader, h.last = nil, nil
	if err := os.Remove(h.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("clear hot login: %w", err)
	}
	return nil
}

// Read implements io.Reader for openwechat's HotLogin: the saved content, repaired as Write
// would have written it (files saved before the repair existed get it too).
func (h *HotLoginFile) Read(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.reader == nil {
		b, err := os.ReadFile(h.path)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return 0, fmt.Errorf("read hot login: %w", err)
		}
		h.last = b
		h.reader = bytes.NewReader(repairHotLogin(b, nil))
	}
	return h.reader.Read(p)
}

// Write implements io.Writer: it replaces the whole file atomically with p, repaired.
func (h *HotLoginFile) Write(p []byte) (int, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.last == nil {
		// No previous file (or an unreadable one) only means no cookies to carry over.
		h.last, _ = os.ReadFile(h.path)
	}
	data := repairHotLogin(p, h.last)
	if err := writeFileAtomic(h.path, data, 0o600); err != nil {
		return 0, err
	}
	h.last = data
	return len(p), nil
}

// hotItem is the part of openwechat's HotReloadStorageItem the repair touches; the rest is
// kept as it is.
type hotItem struct {
	Jar          map[string][]*http.Cookie
	WechatDomain string
}

// repairHotLogin carries over cookies of hosts missing from p (taken from prev) and puts the
// data ticket on the upload host. Content it cannot read is returned unchanged.
func repairHotLogin(p, prev []byte) []byte {
	if len(bytes.TrimSpace(p)) == 0 {
		return p
	}
	var all map[string]json.RawMessage
	var item hotItem
	if json.Unmarshal(p, &all) != nil || json.Unmarshal(p, &item) != nil {
		return p
	}
	if item.Jar == nil {
		item.Jar = map[string][]*http.Cookie{}
	}
	var old hotItem
	if len(prev) > 0 && json.Unmarshal(prev, &old) == nil && old.WechatDomain == item.WechatDomain {
		for host, cs := range old.Jar {
			if len(item.Jar[host]) == 0 && len(cs) > 0 {
				item.Jar[host] = cs
			}
		}
	}
	if item.WechatDomain != "" {
		var ticket *http.Cookie
		base := "https://" + item.WechatDomain
		for _, host := range append([]string{base}, slices.Sorted(maps.Keys(item.Jar))...) {
			for _, c := range item.Jar[host] {
				if c.Name == dataTicket && c.Value != "" && ticket == nil {
					ticket = c
				}
			}
		}
		if ticket != nil {
			for _, host := range []string{"https://file." + item.WechatDomain, "https://webpush." + item.WechatDomain} {
				item.Jar[host] = withCookie(item.Jar[host], &http.Cookie{Name: ticket.Name, Value: ticket.Value})
			}
		}
	}
	jar, err := json.Marshal(item.Jar)
	if err != nil {
		return p
	}
	all["Jar"] = jar
	out, err := json.Marshal(all)
	if err != nil {
		return p
	}
	return append(out, '\n')
}

// withCookie returns cs with c set, replacing a cookie of the same name.
func withCookie(cs []*http.Cookie, c *http.Cookie) []*http.Cookie {
	out := make([]*http.Cookie, 0, len(cs)+1)
	for _, x := range cs {
		if x.Name != c.Name {
			out = append(out, x)
		}
	}
	return append(out, c)
}

// writeFileAtomic replaces path with data: a reader sees the old content or the new, never a
// mix, even after a crash.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".*")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	_, err = f.Write(data)
	if err == nil {
		err = f.Chmod(perm)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		_ = os.Remove(tmp) // best effort; err is what the caller must see
		return fmt.Errorf("write %s: %w", path, err)
	}
	// Syncing the directory makes the rename itself durable; not every filesystem allows it,
	// and the new content is already in place, so failures here are ignored.
	if d, err := os.Open(dir); err == nil {
		_ = d.Sync()
		_ = d.Close()
	}
	return nil
}

var _ io.ReadWriter = (*HotLoginFile)(nil)
