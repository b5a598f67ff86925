package wechat

import (
	"context"
	"fmt"
	"runtime/debug"
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

// raw is a received message reduced to plain values inside openwechat's sync goroutine, so
// that nothing of the library's shared state is read anywhere else.
type raw struct {
	s        *session
	id       string
	from     string
	content  string // processed by the library: group prefix removed, <br/> and entities decoded
	original string // as it came: "sender:<br/>text" in groups
	typ      openwechat.MessageType
	url      string
	at       bool
	created  int64
}

// inbox is the queue between the sync goroutine (which must never block) and the worker.
type inbox struct {
	mu     sync.Mutex
	items  []raw
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
	select {
	case q.signal <- struct{}{}:
	default:
	}
	return dropped
}

func (q *inbox) pop(ctx context.Context) (raw, bool) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			r := q.items[0]
			q.items[0] = raw{}
			q.items = q.items[1:]
			q.mu.Unlock()
			return r, true
		}
		q.mu.Unlock()
		select {
		case <-q.signal:
		case <-ctx.Done():
			return raw{}, false
		}
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
	if t.in.push(raw{
		s: s, id: m.MsgId, from: m.FromUserName, content: m.Content, original: m.RawContent,
		typ: m.MsgType, url: m.Url, at: m.IsAt(), created: m.CreateTime,
	}) {
		t.log.Error("WeChat inbox full; dropped the oldest message")
	}
}

// work hands queued messages on in the order they came, one at a time, so that one chat's
// messages reach the router in order.
func (t *Transport) work(ctx context.Context, deliver bot.Deliver) {
	for {
		r, ok := t.in.pop(ctx)
		if !ok {
			return
		}
		if !awaitReady(ctx, r.s) {
			if ctx.Err() != nil {
				return
			}
			t.log.Warn("dropped a message of a login that failed before it was ready", "id", r.id)
			continue
		}
		m, ok, err := t.convert(r)
		if err != nil {
			t.log.Error("could not tell who sent a WeChat message; dropped", "id", r.id, "err", err)
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

// awaitReady waits until s has listed its contacts, since a message can arrive before that;
// false when s ended first or ctx ended. A ready login wins over an ended one, so that a
// message of a finished login is still handed on.
func awaitReady(ctx context.Context, s *session) bool {
	select {
	case <-s.ready:
		return true
	default:
	}
	select {
	case <-s.ready:
		return true
	case <-ctx.Done():
		return false
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
// sees (system notices, official accounts, our own echoes).
func (t *Transport) convert(r raw) (m bot.Message, ok bool, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("panic: %v\n%s", p, debug.Stack())
		}
	}()
	if !strings.HasPrefix(r.from, "@") {
		return m, false, nil // filehelper, weixin, fmessage (friend requests) and the like
	}
	m = bot.Message{ID: r.id, Kind: bot.KindOther, Time: t.cfg.Clock.Now()}
	if r.created > 0 {
		m.Time = time.Unix(r.created, 0)
	}
	switch r.typ {
	case openwechat.MsgTypeText:
		if r.url == "" {
			m.Kind, m.Text = bot.KindText, r.content
		}
	case openwechat.MsgTypeImage:
		m.Kind = bot.KindImage
	case openwechat.MsgTypeVoice:
		m.Kind = bot.KindVoice
	case openwechat.MsgTypeVideo,
		openwechat.MsgTypeMicroVideo, openwechat.MsgTypeEmoticon, openwechat.MsgTypeApp,
		openwechat.MsgTypeShareCard, openwechat.MsgTypeLocation:
	default:
		return m, false, nil // system, recalled, status notices, calls…
	}
	s := r.s
	if !strings.HasPrefix(r.from, "@@") {
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
	p = t.resolveNew(s, userName, peer{kind: KindContact, remark: u.RemarkName, nick: u.NickName}, displayName(u))
	return p, true, nil
}

// resolveNew gives an id to a contact or group first met during the login. Another UserName
// holding the same names in this login makes both ambiguous from now on.
func (t *Transport) resolveNew(s *session, userName string, pr peer, name string) peerRef {
	key := pr.key(s.account)
	s.mu.Lock()
	holder, held := s.holders[key]
	a := t.dir.one(s.account, pr, held && holder != userName)
	p := peerRef{id: a.id, name: name, kind: pr.kind, stable: a.stable}
	s.addLocked(userName, p, key)
	s.mu.Unlock()
	if !a.stable {
		t.log.Warn("a WeChat peer shares its names with another; it gets a fresh id and must bind again", "kind", pr.kind, "name", name)
	}
	if err := t.dir.save(); err != nil {
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
		gp = t.resolveNew(s, userName, peer{kind: KindGroup, nick: u.NickName}, displayName(u))
	}
	ng := &groupInfo{members: map[string]*openwechat.User{}, nicks: map[string]int{}, ids: map[string]peerRef{}}
	if g != nil {
		ng.ids = g.ids
	}
	for _, mu := range u.MemberList {
		ng.members[mu.UserName] = mu
		ng.nicks[mu.NickName]++
		if mu.UserName == s.selfUN {
			ng.selfAs = mu.DisplayName
		}
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
	a := t.dir.one(s.account, peer{kind: KindMember, scope: gp.id, nick: u.NickName, ephemeralScope: !gp.stable}, g.nicks[u.NickName] > 1)
	p := peerRef{id: a.id, name: openwechat.FormatEmoji(name), kind: KindMember, stable: a.stable}
	g.ids[userName] = p
	if err := t.dir.save(); err != nil {
		t.log.Error("saving WeChat identities", "err", err)
	}
	return p
}
