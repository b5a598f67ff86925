package wechat

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"innobot/storage"
)

// Kinds of peers an identity names.
const (
	KindContact = storage.IdentityContact // a friend of the bot account
	KindGroup   = storage.IdentityGroup   // a group chat
	KindMember  = storage.IdentityMember  // someone met only in a group, not a friend
)

// IdentityStore keeps identity records between runs, so that a restart or a re-login finds the
// same stable ids: the bolt and Redis stores implement it.
type IdentityStore interface {
	Identities(ctx context.Context, account string) ([]storage.Identity, error)
	PutIdentities(ctx context.Context, ids []storage.Identity) error
}

// DefaultRetireAfter is how many logins in a row may list the address book without a record's
// holder before the record is retired.
const DefaultRetireAfter = 5

// The rules by which a WeChat contact or group is given its stable id. WeChat offers no id that
// lasts (UserName changes with each session, ID() with the avatar), only names: the remark
// (备注) the bot's owner sets, the nickname the person sets, a group's name. So:
//
//   - A UserName seen before is the same holder, whatever its names now (a hot login that kept
//     the session keeps UserNames): renames carry over.
//   - A contact with a remark that no other contact of the listing carries is known by the
//     remark alone; a remark set after binding takes over the record of the same nickname,
//     since only the owner sets remarks.
//   - Without a remark, a contact or group is known by its nickname, as long as exactly one
//     peer of the listing carries it and the record was never contested. When several do, a
//     digest of what else WeChat shows (a contact's sex and region, a group's members) picks
//     the holder; if it cannot, nobody gets the record this time, and it is kept for its holder
//     (contested): a same-named impostor never takes a binding, and never wipes one.
//   - A peer whose names no live record carries gets a new record; one whose names a record
//     already holds, but which is not that record's holder, gets a fresh id for this login only,
//     stored nowhere, so that it never takes the names over.
//   - Renames WeChat reports during a session (webwxsync's ModContactList) move the holder's
//     record to the new names: a renamed bound group stays bound, and a new group that takes
//     the old name starts unbound.
//   - A record whose holder is missing from RetireAfter listings in a row is retired: kept, its
//     id never reused, but no longer matched. A new holder of its names starts unbound.
//
// A fresh or new id has no role, so the core welcomes the person as unbound and asks for an
// invite code again: a liaison binds anew (the enterprise's draft is kept), a group is bound
// again by staff. The cure for ambiguity is a distinct remark on the phone.

// peer is a WeChat contact, group or member as one login shows it.
type peer struct {
	kind, scope  string
	userName     string
	remark, nick string
	// profile is the digest that tells apart two peers of the same names; "" when unknown.
	profile string
	// ephemeralScope: the scope (a group id) is itself fresh for this login only.
	ephemeralScope bool
}

// key is what a peer is recognised by: the remark when set, else the nickname.
func (p peer) key() string {
	if p.remark != "" {
		return p.kind + "\x00" + p.scope + "\x00r\x00" + p.remark
	}
	return p.kind + "\x00" + p.scope + "\x00n\x00" + p.nick
}

func recKey(r *storage.Identity) string {
	return peer{kind: r.Kind, scope: r.Scope, remark: r.RemarkName, nick: r.NickName}.key()
}

// assigned is an id given to a peer; stable is false for a fresh id given for this login only.
type assigned struct {
	id     string
	stable bool
}

// directory assigns stable ids for one bot account; it is the in-memory face of an
// IdentityStore, loaded once, written back when records change.
type directory struct {
	store       IdentityStore
	account     string
	now         func() time.Time
	retireAfter int

	saveMu sync.Mutex // one save at a time, so an older snapshot never lands last
	mu     sync.Mutex
	recs   map[string]*storage.Identity // by ID
	dirty  map[string]bool
}

func newDirectory(ctx context.Context, store IdentityStore, account string, now func() time.Time, retireAfter int) (*directory, error) {
	ids, err := store.Identities(ctx, account)
	if err != nil {
		return nil, fmt.Errorf("wechat: identities: %w", err)
	}
	d := &directory{store: store, account: account, now: now, retireAfter: retireAfter,
		recs: map[string]*storage.Identity{}, dirty: map[string]bool{}}
	for i := range ids {
		d.recs[ids[i].ID] = &ids[i]
	}
	return d, nil
}

// touchLocked marks a record changed.
func (d *directory) touchLocked(r *storage.Identity) { d.dirty[r.ID] = true }

// liveLocked returns the records peers can match: not retired, of the given kind and scope.
func (d *directory) liveLocked(kind, scope string) []*storage.Identity {
	var out []*storage.Identity
	for _, r := range d.recs {
		if r.Kind == kind && r.Scope == scope && !r.Retired {
			out = append(out, r)
		}
	}
	// Map order must not decide anything: the oldest record first.
	slices.SortFunc(out, func(a, b *storage.Identity) int { return strings.Compare(a.ID, b.ID) })
	return out
}

// listing assigns ids to everyone one login lists (friends and saved groups), in order, and
// counts a miss for every listed record whose holder is not there. complete is false when the
// listing may have left people out; then nobody is counted missing.
func (d *directory) listing(peers []peer, complete bool) []assigned {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]assigned, len(peers))
	taken := map[string]bool{} // record ids held in this listing
	for _, kind := range []string{KindContact, KindGroup} {
		var idx []int
		for i, p := range peers {
			if p.kind == kind {
				idx = append(idx, i)
			}
		}
		d.matchLocked(peers, idx, out, taken, nil)
	}
	now := d.now()
	if complete {
		for _, r := range d.recs {
			if !r.Listed || r.Retired || taken[r.ID] || r.Kind == KindMember {
				continue
			}
			r.Misses++
			if r.Misses >= d.retireAfter {
				r.Retired = true
			}
			d.touchLocked(r)
		}
	}
	for i, p := range peers {
		if r := d.recs[out[i].id]; r != nil && out[i].stable {
			d.seenLocked(r, p, now, true)
		}
	}
	return out
}

// matchLocked gives ids to peers[idx] (all of one kind and scope), in the rule's passes:
// UserName, then remark, then nickname; what is left gets a new record or a fresh id. held
// says which records other peers of the session hold already (nil at a listing).
func (d *directory) matchLocked(peers []peer, idx []int, out []assigned, taken map[string]bool, held map[string]string) {
	if len(idx) == 0 {
		return
	}
	kind, scope := peers[idx[0]].kind, peers[idx[0]].scope
	live := d.liveLocked(kind, scope)
	give := func(i int, r *storage.Identity) {
		out[i] = assigned{id: r.ID, stable: true}
		taken[r.ID] = true
	}
	free := func(r *storage.Identity, userName string) bool {
		if taken[r.ID] {
			return false
		}
		h, ok := held[r.ID]
		return !ok || h == userName
	}
	// Pass 1: a UserName seen before.
	var rest []int
	for _, i := range idx {
		p := peers[i]
		var hit *storage.Identity
		for _, r := range live {
			if p.userName != "" && r.UserName == p.userName && free(r, p.userName) {
				hit = r
				break
			}
		}
		if hit != nil {
			give(i, hit)
			continue
		}
		rest = append(rest, i)
	}
	// How many peers carry each remark, and each nickname without a remark.
	remarks, nicks := map[string][]int{}, map[string][]int{}
	for _, i := range rest {
		if p := peers[i]; p.remark != "" {
			remarks[p.remark] = append(remarks[p.remark], i)
		} else {
			nicks[p.nick] = append(nicks[p.nick], i)
		}
	}
	byRemark := func(remark string) []*storage.Identity {
		var rs []*storage.Identity
		for _, r := range live {
			if r.RemarkName == remark {
				rs = append(rs, r)
			}
		}
		return rs
	}
	// A record's remark that no peer of the pass carries may have been taken off.
	carried := map[string]bool{}
	for _, i := range idx {
		if peers[i].remark != "" {
			carried[peers[i].remark] = true
		}
	}
	byNick := func(nick string) []*storage.Identity {
		var rs []*storage.Identity
		for _, r := range live {
			if r.NickName == nick && (r.RemarkName == "" || !carried[r.RemarkName]) {
				rs = append(rs, r)
			}
		}
		return rs
	}
	// Pass 2: a remark the listing carries once.
	var left []int
	for _, i := range rest {
		p := peers[i]
		if p.remark == "" {
			left = append(left, i)
			continue
		}
		rs := byRemark(p.remark)
		if len(remarks[p.remark]) > 1 {
			for _, r := range rs { // the owner gave two friends one remark
				if !r.Contested {
					r.Contested = true
					d.touchLocked(r)
				}
			}
			left = append(left, i)
			continue
		}
		if len(rs) == 0 {
			// A remark set after binding: the record of the same nickname, when there is
			// exactly one, is this person's.
			rs = byNick(p.nick)
		}
		if len(rs) == 1 && free(rs[0], p.userName) {
			give(i, rs[0])
			continue
		}
		left = append(left, i)
	}
	// Pass 3: a nickname (no remark); the profile decides between several holders.
	var unmatched []int
	for _, i := range left {
		p := peers[i]
		if p.remark != "" || out[i].stable {
			unmatched = append(unmatched, i)
			continue
		}
		rs := slices.DeleteFunc(byNick(p.nick), func(r *storage.Identity) bool { return !free(r, p.userName) })
		var r *storage.Identity
		switch len(rs) {
		case 0:
			unmatched = append(unmatched, i)
			continue
		case 1:
			r = rs[0]
		default:
			// Two records of one nickname (after renames): only a clear profile decides.
			r = closestRecord(rs, p)
			if r == nil {
				unmatched = append(unmatched, i)
				continue
			}
		}
		holders := nicks[p.nick]
		if len(holders) > 1 && !r.Contested {
			r.Contested = true
			d.touchLocked(r)
		}
		if !r.Contested {
			// A group whose members are known on both sides and hardly overlap is another
			// group that took the name.
			if sim := similarity(kind, r.Profile, p.profile); sim >= 0 && sim < minSameGroup {
				unmatched = append(unmatched, i)
				continue
			}
			give(i, r)
			continue
		}
		// Contested: the one holder whose profile is clearly the record's.
		if best := closest(r, peers, holders); best == i {
			give(i, r)
			continue
		}
		unmatched = append(unmatched, i)
	}
	// What is left: a new record, unless another record holds the names.
	now := d.now()
	for _, i := range unmatched {
		if out[i].stable {
			continue
		}
		p := peers[i]
		if p.nick == "" && p.remark == "" || p.ephemeralScope || d.namesHeldLocked(p, live) || nameTwice(p, remarks, nicks) {
			out[i] = assigned{id: freshID(p.kind)}
			continue
		}
		r := &storage.Identity{ID: freshID(p.kind), Account: d.account, Kind: p.kind, Scope: p.scope,
			RemarkName: p.remark, NickName: p.nick, FirstSeen: now}
		d.recs[r.ID] = r
		live = append(live, r)
		give(i, r)
	}
}

// namesHeldLocked reports whether a live record is known by the names p carries.
func (d *directory) namesHeldLocked(p peer, live []*storage.Identity) bool {
	k := p.key()
	for _, r := range live {
		if recKey(r) == k || p.remark == "" && r.RemarkName == "" && r.NickName == p.nick {
			return true
		}
	}
	return false
}

// nameTwice reports whether another peer of the same pass carries p's names: neither may
// found a record on them.
func nameTwice(p peer, remarks, nicks map[string][]int) bool {
	if p.remark != "" {
		return len(remarks[p.remark]) > 1
	}
	return len(nicks[p.nick]) > 1
}

// seenLocked records what a holder showed now: names, UserName, profile, the time.
func (d *directory) seenLocked(r *storage.Identity, p peer, now time.Time, listed bool) {
	changed := r.RemarkName != p.remark || r.NickName != p.nick || r.UserName != p.userName ||
		p.profile != "" && r.Profile != p.profile || listed && (!r.Listed || r.Misses != 0) ||
		now.Sub(r.LastSeen) > time.Hour
	if !changed {
		return
	}
	r.RemarkName, r.NickName, r.UserName = p.remark, p.nick, p.userName
	if p.profile != "" {
		r.Profile = p.profile
	}
	if listed {
		r.Listed, r.Misses = true, 0
	}
	r.LastSeen = now
	d.touchLocked(r)
}

// one gives an id to a peer met during a session (a new friend, a group not saved to the
// address book, a member of a group). held maps record ids to the UserNames holding them in
// this session: a record held by another UserName is not given (an impostor met later than
// the holder), and becomes contested.
func (d *directory) one(p peer, held map[string]string) assigned {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make([]assigned, 1)
	d.matchLocked([]peer{p}, []int{0}, out, map[string]bool{}, held)
	if r := d.recs[out[0].id]; r != nil && out[0].stable {
		d.seenLocked(r, p, d.now(), false)
		return out[0]
	}
	for id, holder := range held {
		r := d.recs[id]
		if r != nil && holder != p.userName && !r.Contested && r.Kind == p.kind && r.Scope == p.scope &&
			(recKey(r) == p.key() || p.remark == "" && r.RemarkName == "" && r.NickName == p.nick) {
			r.Contested = true
			d.touchLocked(r)
		}
	}
	return out[0]
}

// renamed moves the record of a holder to the names WeChat now reports for it (within a
// session: the UserName is the same). A record of the same names held by someone else becomes
// contested along with it.
func (d *directory) renamed(id string, p peer) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r := d.recs[id]
	if r == nil {
		return
	}
	if r.RemarkName == p.remark && r.NickName == p.nick && (p.profile == "" || r.Profile == p.profile) {
		return
	}
	for _, o := range d.liveLocked(r.Kind, r.Scope) {
		if o.ID != r.ID && recKey(o) == p.key() {
			o.Contested, r.Contested = true, true
			d.touchLocked(o)
		}
	}
	d.seenLocked(r, p, d.now(), false)
}

// account returns the bot account's own record, nil before the first login.
func (d *directory) accountRecord() *storage.Identity {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, r := range d.recs {
		if r.Kind == storage.IdentityAccount && !r.Retired {
			c := *r
			return &c
		}
	}
	return nil
}

// pin records uin as the account's WeChat account; when repin, an account pinned before is
// replaced and every record of the old account's contacts retired, since their names belong
// to another address book.
func (d *directory) pin(uin, nick string, repin bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	now := d.now()
	for _, r := range d.recs {
		if r.Retired {
			continue
		}
		if r.Kind == storage.IdentityAccount && r.Uin == uin {
			if r.NickName != nick || now.Sub(r.LastSeen) > time.Hour {
				r.NickName, r.LastSeen = nick, now
				d.touchLocked(r)
			}
			return
		}
		if repin {
			r.Retired = true
			d.touchLocked(r)
		}
	}
	r := &storage.Identity{ID: "account-" + uin, Account: d.account, Kind: storage.IdentityAccount, Uin: uin,
		NickName: nick, FirstSeen: now, LastSeen: now}
	d.recs[r.ID] = r
	d.touchLocked(r)
}

// save writes the records that changed.
func (d *directory) save(ctx context.Context) error {
	d.saveMu.Lock()
	defer d.saveMu.Unlock()
	d.mu.Lock()
	var ids []storage.Identity
	for id := range d.dirty {
		ids = append(ids, *d.recs[id])
	}
	d.dirty = map[string]bool{}
	d.mu.Unlock()
	if len(ids) == 0 {
		return nil
	}
	if err := d.store.PutIdentities(ctx, ids); err != nil {
		d.mu.Lock()
		for _, r := range ids {
			d.dirty[r.ID] = true
		}
		d.mu.Unlock()
		return fmt.Errorf("wechat: saving identities: %w", err)
	}
	return nil
}

// get returns a copy of a record, false when there is none.
func (d *directory) get(id string) (storage.Identity, bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	r := d.recs[id]
	if r == nil {
		return storage.Identity{}, false
	}
	return *r, true
}

// freshID makes a new stable id; the prefix says the kind, for people reading logs.
func freshID(kind string) string {
	var b [8]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never returns an error (Go 1.24+)
	return idPrefix[kind] + hex.EncodeToString(b[:])
}

// idPrefix marks an id's kind, for people reading logs.
var idPrefix = map[string]string{KindContact: "wxc-", KindGroup: "wxg-", KindMember: "wxm-"}

// Similarity a profile must reach: a group sharing less than minSameGroup of its members with
// the record is another group; among holders of contested names, only one reaching
// minContested (and more than any other) is the holder.
const (
	minSameGroup = 0.3
	minContested = 0.5
)

// similarity compares two profiles of a kind: 1 for the same, 0 for nothing shared, a
// contact's being all or nothing and a group's the share of members in common; -1 when either
// is unknown.
func similarity(kind, a, b string) float64 {
	if a == "" || b == "" {
		return -1
	}
	if kind != KindGroup {
		if a == b {
			return 1
		}
		return 0
	}
	as, bs := strings.Fields(a), strings.Fields(b)
	in := 0
	for _, x := range as {
		if _, found := slices.BinarySearch(bs, x); found {
			in++
		}
	}
	return float64(in) / float64(len(as)+len(bs)-in)
}

// closest returns the holder (an index of peers) whose profile is clearly the record's, -1
// when none is.
func closest(r *storage.Identity, peers []peer, holders []int) int {
	best, ok := clearBest(holders, func(j int) float64 { return similarity(r.Kind, r.Profile, peers[j].profile) })
	if !ok {
		return -1
	}
	return best
}

// closestRecord returns the record whose profile is clearly p's, nil when none is.
func closestRecord(rs []*storage.Identity, p peer) *storage.Identity {
	best, ok := clearBest(rs, func(r *storage.Identity) float64 { return similarity(p.kind, r.Profile, p.profile) })
	if !ok {
		return nil
	}
	return best
}

// clearBest returns the candidate of the highest similarity, when it reaches minContested
// and no other candidate is as similar.
func clearBest[T any](candidates []T, sim func(T) float64) (T, bool) {
	var best T
	bestSim, second := -1.0, -1.0
	for _, c := range candidates {
		switch s := sim(c); {
		case s > bestSim:
			best, bestSim, second = c, s, bestSim
		case s > second:
			second = s
		}
	}
	return best, bestSim >= minContested && bestSim != second
}

// contactProfile is the digest of what WeChat shows of a contact besides names: sex and region.
// It changes rarely and an impostor copying a nickname seldom copies it.
func contactProfile(sex int, province, city string) string {
	if sex == 0 && province == "" && city == "" {
		return ""
	}
	return digest(fmt.Sprintf("%d\x00%s\x00%s", sex, province, city))
}

// groupProfile is a sketch of a group's members: a short digest of each member's nickname,
// sorted and unique, so that two sketches tell how much two member lists overlap.
func groupProfile(members []string) string {
	if len(members) == 0 {
		return ""
	}
	m := make([]string, 0, len(members))
	for _, n := range members {
		h := sha256.Sum256([]byte(n))
		m = append(m, hex.EncodeToString(h[:3]))
	}
	slices.Sort(m)
	return strings.Join(slices.Compact(m), " ")
}

func digest(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:8])
}

// LegacyIdentitiesName is the side file earlier versions kept identities in; New moves its
// records into the store once and renames it.
const LegacyIdentitiesName = "wechat-identities.json"

// legacyIdentity is a record of the side file.
type legacyIdentity struct {
	ID         string    `json:"id"`
	Kind       string    `json:"kind"`
	Scope      string    `json:"scope,omitempty"`
	RemarkName string    `json:"remark_name,omitempty"`
	NickName   string    `json:"nick_name"`
	Ambiguous  bool      `json:"ambiguous,omitempty"`
	FirstSeen  time.Time `json:"first_seen"`
	LastSeen   time.Time `json:"last_seen"`
}

// migrateLegacy moves the records of an identity side file into the store, for account, and
// renames the file so that it is read once. A missing file is nothing to do.
func migrateLegacy(ctx context.Context, path, account string, store IdentityStore) (int, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("wechat: reading %s: %w", path, err)
	}
	var doc struct {
		Identities []legacyIdentity `json:"identities"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return 0, fmt.Errorf("wechat: reading %s: %w", path, err)
	}
	var ids []storage.Identity
	for _, l := range doc.Identities {
		if l.ID == "" || l.Kind == "" {
			continue
		}
		ids = append(ids, storage.Identity{ID: l.ID, Account: account, Kind: l.Kind, Scope: l.Scope,
			RemarkName: l.RemarkName, NickName: l.NickName, Contested: l.Ambiguous,
			FirstSeen: l.FirstSeen, LastSeen: l.LastSeen, Listed: l.Kind != KindMember})
	}
	if err := store.PutIdentities(ctx, ids); err != nil {
		return 0, fmt.Errorf("wechat: moving %s into the store: %w", path, err)
	}
	if err := os.Rename(path, path+".migrated"); err != nil {
		return 0, fmt.Errorf("wechat: %w", err)
	}
	return len(ids), nil
}
