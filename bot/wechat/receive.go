package wechat

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/eatmoreapple/openwechat"

	"innobot/bot"
)

// maxQueue bounds the messages waiting for the worker; beyond it the oldest are dropped (and
// logged): WeChat re-delivers after a hot login, and a backlog that large means the core is
// stuck anyway.
const maxQueue = 100_000

// receivedKeep is how long received files are kept for handlers to read.
const receivedKeep = 7 * 24 * time.Hour

// App message types (AppMsgType) the transport reads.
const (
	appFile  = openwechat.AppMsgTypeAttach
	appQuote = 57 // a reply that quotes an earlier message; the title is the text typed
)

// raw is what the sync goroutine hands to the worker, reduced to plain values so that nothing
// of the library's shared state is read anywhere else: a message, or contacts WeChat reports
// changed.
type raw struct {
	s        *session
	id       string
	from     string
	content  string // processed by the library: group prefix removed, <br/> and entities decoded
	original string // as it came: "sender:<br/>text" in groups
	typ      openwechat.MessageType
	app      openwechat.AppMessageType
	url      string
	at       bool
	created  int64
	// A file's name, announced size and where to fetch it.
	fileName, fileSize, mediaID, encryFileName string
	// A friend request's asker.
	recommend *openwechat.RecommendInfo
	mods      []contactMod
}

// inbox is the queue between the sync goroutine (which must never block) and the worker.
type inbox struct {
	mu     sync.Mutex
	items  []raw
	closed bool
	signal chan struct{}
}

func (q *inbox) push(r raw) (dropped bool) {
	q.mu.Lock()
	if len(q.items) >= maxQueue {
		q.items = q.items[1:]
		dropped = true
	}
	q.items = append(q.items, r)
	q.mu.Unlock()
	q.wake()
	return dropped
}

func (q *inbox) wake() {
	select {
	case q.signal <- struct{}{}:
	default:
	}
}

// close makes pop return false once the queue is empty.
func (q *inbox) close() {
	q.mu.Lock()
	q.closed = true
	q.mu.Unlock()
	q.wake()
}

// pop returns the oldest item, waiting for one; false once the inbox is closed and empty.
func (q *inbox) pop() (raw, bool) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			r := q.items[0]
			q.items[0] = raw{}
			q.items = q.items[1:]
			q.mu.Unlock()
			return r, true
		}
		closed := q.closed
		q.mu.Unlock()
		if closed {
			return raw{}, false
		}
		<-q.signal
	}
}

func (q *inbox) len() int {
	q.mu.Lock()
	defer q.mu.Unlock()
	return len(q.items)
}

// onMessage is openwechat's MessageHandler: it runs inside the sync loop, so it copies what it
// needs and returns at once.
func (t *Transport) onMessage(s *session, m *openwechat.Message) {
	defer func() {
		if p := recover(); p != nil {
			t.log.Error("reading a WeChat message panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
		}
	}()
	if m.IsSendBySelf() {
		return // our own sends, echoed back by the sync
	}
	r := raw{
		s: s, id: m.MsgId, from: m.FromUserName, content: m.Content, original: m.RawContent,
		typ: m.MsgType, app: m.AppMsgType, url: m.Url, at: m.IsAt(), created: m.CreateTime,
		fileName: m.FileName, fileSize: m.FileSize, mediaID: m.MediaId, encryFileName: m.EncryFileName,
	}
	if m.IsFriendAdd() {
		info := m.RecommendInfo
		r.recommend = &info
	}
	if t.in.push(r) {
		t.log.Error("WeChat inbox full; dropped the oldest message")
	}
}

// work hands queued messages on in the order they came, one at a time, so that one chat's
// messages reach the router in order; it returns once the inbox is closed and empty.
func (t *Transport) work(deliver bot.Deliver) {
	for {
		r, ok := t.in.pop()
		if !ok {
			return
		}
		if !awaitReady(r.s) {
			t.log.Warn("dropped a message of a login that failed before it was ready", "id", r.id)
			continue
		}
		switch {
		case r.mods != nil:
			t.applyMods(r.s, r.mods)
			continue
		case r.recommend != nil:
			t.friendRequest(r)
			continue
		}
		m, ok, err := t.convert(r)
		if err != nil {
			t.log.Error("could not read a WeChat message; dropped", "id", r.id, "err", err)
			continue
		}
		if !ok {
			continue
		}
		t.received.Add(1)
		t.mu.Lock()
		t.status.LastMessage = t.cfg.Clock.Now()
		t.mu.Unlock()
		deliver(m)
	}
}

// awaitReady waits until s has been accepted and listed its contacts, since a message can
// arrive before that; false when s ended first. A ready login wins over an ended one, so that
// a message of a finished login is still handed on.
func awaitReady(s *session) bool {
	select {
	case <-s.ready:
		return true
	case <-s.ctx.Done():
	}
	select {
	case <-s.ready:
		return true
	default:
		return false
	}
}

// convert turns a raw message into the core's Message; ok is false for what the core never
// sees (system notices, official accounts, status notices).
func (t *Transport) convert(r raw) (m bot.Message, ok bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	if !strings.HasPrefix(r.from, "@") {
		return m, false, nil // filehelper, weixin and the like
	}
	m = bot.Message{ID: r.id, Kind: bot.KindOther, Time: t.cfg.Clock.Now()}
	if r.created > 0 {
		m.Time = time.Unix(r.created, 0)
	}
	group := strings.HasPrefix(r.from, "@@")
	switch r.typ {
	case openwechat.MsgTypeText:
		if r.url == "" {
			m.Kind, m.Text = bot.KindText, r.content
		}
	case openwechat.MsgTypeImage:
		m.Kind = bot.KindImage
	case openwechat.MsgTypeVoice:
		m.Kind = bot.KindVoice
	case openwechat.MsgTypeApp:
		switch r.app {
		case appQuote:
			if text, ok := quotedReply(r.content); ok {
				m.Kind, m.Text = bot.KindText, text
			}
		case appFile:
			m.Kind, m.File = bot.KindFile, t.receiveFile(r)
		}
	case openwechat.MsgTypeRecalled:
		if group {
			return m, false, nil // a member took back a message: nothing the bot acts on
		}
		m.Kind = bot.KindRecall
	case openwechat.MsgTypeVideo, openwechat.MsgTypeMicroVideo, openwechat.MsgTypeEmoticon,
		openwechat.MsgTypeShareCard, openwechat.MsgTypeLocation:
	default:
		return m, false, nil // system, status notices, calls…
	}
	s := r.s
	if !group {
		p, ok, err := t.contact(s, r.from)
		if err != nil || !ok {
			return m, false, err
		}
		m.From, m.FromName = p.id, p.name
		return m, true, nil
	}
	member, _, found := strings.Cut(r.original, ":<br/>")
	if !found || !strings.HasPrefix(member, "@") {
		return m, false, nil // a group notice
	}
	g, gp, err := t.group(s, r.from, member)
	if err != nil {
		return m, false, err
	}
	p := t.member(s, g, gp, member)
	m.Group, m.GroupName = gp.id, gp.name
	m.From, m.FromName = p.id, p.name
	m.Mentioned = r.at
	if r.at && m.Kind == bot.KindText {
		m.Text = stripMention(m.Text, g.selfAs, s.nick)
	}
	return m, true, nil
}

// quotedReply reads the text typed in a reply that quotes an earlier message (the appmsg's
// title); the quoted message itself is not part of what the person said.
func quotedReply(content string) (string, bool) {
	var doc struct {
		AppMsg struct {
			Title string `xml:"title"`
		} `xml:"appmsg"`
	}
	if xml.Unmarshal([]byte(content), &doc) != nil || strings.TrimSpace(doc.AppMsg.Title) == "" {
		return "", false
	}
	return doc.AppMsg.Title, true
}

// receiveFile fetches a received file into the data dir for the handler to read. A file larger
// than MaxFile, or one that cannot be fetched, comes without a Path: the handler says so.
func (t *Transport) receiveFile(r raw) *bot.File {
	f := &bot.File{Name: r.fileName}
	f.Size, _ = strconv.ParseInt(r.fileSize, 10, 64)
	if f.Name == "" || f.Size > t.cfg.MaxFile {
		return f
	}
	path, err := t.download(r)
	if err != nil {
		t.log.Error("fetching a received file", "name", f.Name, "err", err)
		return f
	}
	f.Path = path
	return f
}

// download saves a file message's attachment under ReceivedDir, named by the message id and
// the file's own name.
func (t *Transport) download(r raw) (string, error) {
	s := r.s
	msg := &openwechat.Message{FromUserName: r.from, MediaId: r.mediaID, EncryFileName: r.encryFileName}
	var data []byte
	err := safely(func() error {
		resp, err := s.bot.Caller.Client.WebWxGetMedia(s.ctx, msg, s.bot.Storage.LoginInfo)
		if err != nil {
			return err
		}
		defer func() { _ = resp.Body.Close() }() // read whole or failed: nothing to lose
		if resp.StatusCode != 200 {
			return fmt.Errorf("WeChat answered HTTP %d", resp.StatusCode)
		}
		data, err = io.ReadAll(io.LimitReader(resp.Body, t.cfg.MaxFile+1))
		return err
	})
	switch {
	case err != nil:
		return "", err
	case int64(len(data)) > t.cfg.MaxFile:
		return "", fmt.Errorf("larger than %d bytes", t.cfg.MaxFile)
	case len(data) == 0:
		return "", errors.New("empty file")
	}
	name := filepath.Base(strings.ReplaceAll(r.fileName, "\\", "/"))
	path := filepath.Join(t.cfg.Dir, ReceivedDir, r.id+"-"+name)
	if err := writeFileAtomic(path, data, 0o600); err != nil {
		return "", err
	}
	return path, nil
}

// pruneReceived removes received files older than receivedKeep.
func (t *Transport) pruneReceived(now time.Time) {
	dir := filepath.Join(t.cfg.Dir, ReceivedDir)
	entries, err := os.ReadDir(dir)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			t.log.Warn("listing received files", "err", err)
		}
		return
	}
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || now.Sub(info.ModTime()) < receivedKeep {
			continue
		}
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			t.log.Warn("removing an old received file", "err", err)
		}
	}
}

// friendRequest logs a friend request and, when Config.AcceptFriends, accepts it.
func (t *Transport) friendRequest(r raw) {
	t.friendRequests.Add(1)
	info := *r.recommend
	if !t.cfg.AcceptFriends {
		t.log.Warn("WeChat friend request; accept it on the bot's phone (or set wechat.accept_friends: true)",
			"nick", info.NickName, "says", info.Content)
		return
	}
	s := r.s
	err := t.alone(s.ctx, func() error {
		return safely(func() error {
			return s.bot.Caller.WebWxVerifyUser(s.ctx, &openwechat.CallerWebWxVerifyUserOptions{
				RecommendInfo: info, BaseRequest: s.bot.Storage.Request, LoginInfo: s.bot.Storage.LoginInfo,
			})
		})
	})
	if err != nil {
		t.log.Error("accepting a WeChat friend request failed; accept it on the bot's phone", "nick", info.NickName, "err", err)
		return
	}
	t.log.Info("accepted a WeChat friend request", "nick", info.NickName, "says", info.Content)
}

// stripMention removes "@<bot name>" (followed by U+2005 or a space, or at the end) so that the
// core reads the same command in a group as in a private chat.
func stripMention(text string, names ...string) string {
	for _, n := range names {
		n = openwechat.FormatEmoji(n)
		if n == "" {
			continue
		}
		at := "@" + n
		text = strings.ReplaceAll(text, at+"\u2005", " ")
		text = strings.ReplaceAll(text, at+" ", " ")
		if strings.HasSuffix(text, at) {
			text = strings.TrimSuffix(text, at)
		}
	}
	return strings.Trim(text, " \u2005\u00a0\n")
}

// fetch asks WeChat about one UserName (a friend added after login, a group not saved to the
// address book, a group's members).
func (t *Transport) fetch(s *session, userName string) (*openwechat.User, error) {
	var got openwechat.Members
	err := safely(func() (err error) {
		got, err = s.bot.Caller.WebWxBatchGetContact(s.ctx, openwechat.Members{{UserName: userName}}, s.bot.Storage.Request)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("looking up %s: %w", userName, err)
	}
	if len(got) == 0 || got[0] == nil {
		return nil, fmt.Errorf("looking up %s: %w", userName, ErrUnknownPeer)
	}
	return got[0], nil
}

// contact resolves a private chat's UserName; ok is false for official accounts.
func (t *Transport) contact(s *session, userName string) (peerRef, bool, error) {
	s.mu.Lock()
	p, known := s.byUser[userName]
	skip := s.skip[userName]
	s.mu.Unlock()
	switch {
	case skip:
		return p, false, nil
	case known:
		return p, true, nil
	}
	u, err := t.fetch(s, userName)
	if err != nil {
		return p, false, err
	}
	if u.IsMP() {
		s.mu.Lock()
		s.skip[userName] = true
		s.mu.Unlock()
		return p, false, nil
	}
	p = t.resolveNew(s, peer{kind: KindContact, userName: userName, remark: u.RemarkName, nick: u.NickName,
		profile: contactProfile(u.Sex, u.Province, u.City)}, displayName(u))
	return p, true, nil
}

// resolveNew gives an id to a contact or group first met during the login.
func (t *Transport) resolveNew(s *session, pr peer, name string) peerRef {
	s.mu.Lock()
	a := t.dir.one(pr, s.held)
	p := peerRef{id: a.id, name: name, kind: pr.kind, stable: a.stable}
	s.addLocked(pr.userName, p)
	s.mu.Unlock()
	if !a.stable {
		t.log.Warn("a WeChat peer shares its names with another; it gets a fresh id and must bind again", "kind", pr.kind, "name", name)
	}
	if err := t.dir.save(t.life); err != nil {
		t.log.Error("saving WeChat identities", "err", err)
	}
	return p
}

// group resolves a group and makes sure its member list knows member, fetching the group's
// details when needed.
func (t *Transport) group(s *session, userName, member string) (*groupInfo, peerRef, error) {
	s.mu.Lock()
	gp, known := s.byUser[userName]
	g := s.groups[userName]
	s.mu.Unlock()
	if g != nil && g.members[member] != nil && known {
		return g, gp, nil
	}
	u, err := t.fetch(s, userName)
	if err != nil {
		if g != nil && known {
			return g, gp, nil // resolve the member as unknown rather than drop the message
		}
		return nil, gp, err
	}
	if !known {
		gp = t.resolveNew(s, peer{kind: KindGroup, userName: userName, nick: u.NickName,
			profile: groupProfile(memberNicks(u, s.selfUN))}, displayName(u))
	}
	ng := newGroupInfo(u, s.selfUN)
	if g != nil {
		ng.ids = g.ids
	}
	s.mu.Lock()
	s.groups[userName] = ng
	s.mu.Unlock()
	return ng, gp, nil
}

// member resolves the sender of a group message: a friend is the same person as in private
// chat; anyone else is known by their nickname within this group.
func (t *Transport) member(s *session, g *groupInfo, gp peerRef, userName string) peerRef {
	u := g.members[userName]
	s.mu.Lock()
	friend, isFriend := s.byUser[userName]
	s.mu.Unlock()
	if isFriend && friend.kind == KindContact {
		if u != nil && u.DisplayName != "" {
			friend.name = openwechat.FormatEmoji(u.DisplayName)
		}
		return friend
	}
	if p, ok := g.ids[userName]; ok {
		return p
	}
	if u == nil {
		p := peerRef{id: freshID(KindMember), kind: KindMember}
		g.ids[userName] = p
		return p
	}
	name := u.DisplayName
	if name == "" {
		name = u.NickName
	}
	// Two members of one nickname cannot be told apart: both are fresh.
	a := t.dir.one(peer{kind: KindMember, scope: gp.id, userName: userName, nick: u.NickName,
		ephemeralScope: !gp.stable || g.nicks[u.NickName] > 1}, nil)
	p := peerRef{id: a.id, name: openwechat.FormatEmoji(name), kind: KindMember, stable: a.stable}
	g.ids[userName] = p
	if err := t.dir.save(t.life); err != nil {
		t.log.Error("saving WeChat identities", "err", err)
	}
	return p
}

// applyMods carries renames WeChat reported during the session over to the holders' records:
// the UserName is the same, so the holder is certain.
func (t *Transport) applyMods(s *session, mods []contactMod) {
	for _, c := range mods {
		s.mu.Lock()
		p, known := s.byUser[c.UserName]
		s.mu.Unlock()
		if !known || p.kind == KindMember {
			continue // resolved when they first write
		}
		pr := peer{kind: p.kind, userName: c.UserName, remark: c.RemarkName, nick: c.NickName}
		if p.kind == KindContact {
			pr.profile = contactProfile(c.Sex, c.Province, c.City)
		} else if len(c.MemberList) > 0 {
			var nicks []string
			for _, m := range c.MemberList {
				if m.UserName != s.selfUN {
					nicks = append(nicks, m.NickName)
				}
			}
			pr.profile = groupProfile(nicks)
		}
		name := c.RemarkName
		if name == "" {
			name = c.NickName
		}
		if p.stable {
			t.dir.renamed(p.id, pr)
			t.log.Info("WeChat reported a rename; the identity follows it", "kind", p.kind, "from", p.name, "to", name)
		}
		p.name = strings.TrimSpace(openwechat.FormatEmoji(name))
		s.mu.Lock()
		s.byUser[c.UserName] = p
		s.mu.Unlock()
	}
	if err := t.dir.save(t.life); err != nil {
		t.log.Error("saving WeChat identities", "err", err)
	}
}
