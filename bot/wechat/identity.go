package wechat

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"sort"
	"sync"
	"time"
)

// Kinds of peers an Identity names.
const (
	KindContact = "contact" // a friend of the bot account
	KindGroup   = "group"   // a group chat
	KindMember  = "member"  // someone met only in a group, not a friend
)

// Identity ties a stable id, the one innobot binds roles to, to the WeChat names it was
// recognised by. WeChat's own ids do not survive a re-login (UserName) or an avatar change
// (ID), so names are all there is: RemarkName (set by the bot's owner) and NickName (set by
// the person) for contacts, NickName for groups, NickName within one group for members.
//
// The rule that keeps a contact from being attached to the wrong enterprise: an id is reused
// only when exactly one peer of the account carries exactly the same names. When two peers
// carry the same names at once, the names are marked Ambiguous for good and every peer seen
// with them gets a fresh id at each login; a contact whose names changed also gets a fresh id.
// A fresh id has no role, so the core welcomes the person as unbound and asks for an invite
// code again: a liaison binds anew (their enterprise's draft is kept), a group is bound again
// by staff. The cure for ambiguity is a distinct remark name (备注) on the phone.
type Identity struct {
	ID         string    `json:"id"`
	Kind       string    `json:"kind"`
	Account    string    `json:"account"`         // the bot account's Uin: names are per account
	Scope      string    `json:"scope,omitempty"` // for a member, the group's stable id
	RemarkName string    `json:"remark_name,omitempty"`
	NickName   string    `json:"nick_name"`
	Ambiguous  bool      `json:"ambiguous,omitempty"`
	FirstSeen  time.Time `json:"first_seen"`
	LastSeen   time.Time `json:"last_seen"`
}

func (i *Identity) key() string {
	return identityKey(i.Account, i.Kind, i.Scope, i.RemarkName, i.NickName)
}

func identityKey(account, kind, scope, remark, nick string) string {
	return account + "\x00" + kind + "\x00" + scope + "\x00" + remark + "\x00" + nick
}

// IdentityStore keeps identities between runs, so that a restart or a re-login finds the same
// stable ids. The default is IdentityFile; a deployment that keeps its data elsewhere provides
// its own.
type IdentityStore interface {
	LoadIdentities() ([]Identity, error)
	SaveIdentities([]Identity) error
}

// IdentityFile keeps identities in a JSON file, replaced atomically on each save. Losing it
// is safe but costly: everyone gets fresh ids and must bind again.
type IdentityFile string

// LoadIdentities reads the file; a missing file is an empty list.
func (f IdentityFile) LoadIdentities() ([]Identity, error) {
	b, err := os.ReadFile(string(f))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("identities: %w", err)
	}
	var doc struct {
		Identities []Identity `json:"identities"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("identities %s: %w", f, err)
	}
	return doc.Identities, nil
}

// SaveIdentities replaces the file.
func (f IdentityFile) SaveIdentities(ids []Identity) error {
	b, err := json.MarshalIndent(struct {
		Identities []Identity `json:"identities"`
	}{ids}, "", "  ")
	if err != nil {
		return fmt.Errorf("identities: %w", err)
	}
	return writeFileAtomic(string(f), append(b, '\n'), 0o600)
}

// peer is a WeChat contact, group or member as one login lists it.
type peer struct {
	kind, scope    string
	remark, nick   string
	ephemeralScope bool // the scope (a group id) is itself fresh for this login only
}

func (p peer) key(account string) string {
	return identityKey(account, p.kind, p.scope, p.remark, p.nick)
}

// directory assigns stable ids; it is the in-memory face of an IdentityStore.
type directory struct {
	store IdentityStore
	now   func() time.Time

	saveMu sync.Mutex // one save at a time, so an older snapshot never lands last
	mu     sync.Mutex
	byKey  map[string]*Identity
	dirty  bool
}

func newDirectory(store IdentityStore, now func() time.Time) (*directory, error) {
	d := &directory{store: store, now: now, byKey: map[string]*Identity{}}
	ids, err := store.LoadIdentities()
	if err != nil {
		return nil, err
	}
	for i := range ids {
		id := ids[i]
		if old, ok := d.byKey[id.key()]; ok {
			// Two records for one set of names can only come from an edited file: trust
			// neither.
			old.Ambiguous = true
			continue
		}
		d.byKey[id.key()] = &id
	}
	return d, nil
}

// assigned is an id given to a peer; stable is false for a fresh id given for this login
// only (ambiguous or unrecognisable names).
type assigned struct {
	id     string
	stable bool
}

// assign gives ids to the peers one login lists, in order. Peers sharing names in the listing
// are ambiguous.
func (d *directory) assign(account string, peers []peer) []assigned {
	count := map[string]int{}
	for _, p := range peers {
		count[p.key(account)]++
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	ids := make([]assigned, len(peers))
	for i, p := range peers {
		ids[i] = d.resolveLocked(account, p, count[p.key(account)] > 1)
	}
	return ids
}

// one gives an id to a peer met during a session (a new friend, a group not saved to the
// address book, a member of a group); clash says another peer of this login holds the same
// names.
func (d *directory) one(account string, p peer, clash bool) assigned {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.resolveLocked(account, p, clash)
}

func (d *directory) resolveLocked(account string, p peer, clash bool) assigned {
	now := d.now()
	if p.nick == "" && p.remark == "" || p.ephemeralScope {
		return assigned{id: freshID(p.kind)} // nothing to recognise them by next time
	}
	k := p.key(account)
	rec := d.byKey[k]
	switch {
	case clash:
		if rec == nil {
			rec = d.addLocked(account, p, now)
		}
		if !rec.Ambiguous {
			rec.Ambiguous = true
			d.dirty = true
		}
		return assigned{id: freshID(p.kind)}
	case rec != nil && rec.Ambiguous:
		return assigned{id: freshID(p.kind)}
	case rec != nil:
		if now.Sub(rec.LastSeen) > time.Hour {
			rec.LastSeen = now
			d.dirty = true
		}
		return assigned{id: rec.ID, stable: true}
	}
	rec = d.addLocked(account, p, now)
	return assigned{id: rec.ID, stable: true}
}

// addLocked records the names of a peer first seen now, under a new id.
func (d *directory) addLocked(account string, p peer, now time.Time) *Identity {
	rec := &Identity{ID: freshID(p.kind), Kind: p.kind, Account: account, Scope: p.scope,
		RemarkName: p.remark, NickName: p.nick, FirstSeen: now, LastSeen: now}
	d.byKey[p.key(account)] = rec
	d.dirty = true
	return rec
}

// save writes the identities when they changed.
func (d *directory) save() error {
	d.saveMu.Lock()
	defer d.saveMu.Unlock()
	d.mu.Lock()
	if !d.dirty {
		d.mu.Unlock()
		return nil
	}
	ids := make([]Identity, 0, len(d.byKey))
	for _, r := range d.byKey {
		ids = append(ids, *r)
	}
	d.dirty = false
	d.mu.Unlock()
	sort.Slice(ids, func(i, j int) bool { return ids[i].ID < ids[j].ID })
	if err := d.store.SaveIdentities(ids); err != nil {
		d.mu.Lock()
		d.dirty = true
		d.mu.Unlock()
		return err
	}
	return nil
}

// freshID makes a new stable id; the prefix says the kind, for people reading logs.
func freshID(kind string) string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error (Go 1.24+)
	return idPrefix[kind] + hex.EncodeToString(b[:])
}

// idPrefix marks an id's kind, for people reading logs.
var idPrefix = map[string]string{KindContact: "wxc-", KindGroup: "wxg-", KindMember: "wxm-"}
