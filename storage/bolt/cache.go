package bolt

import (
	"reflect"
	"slices"
	"sync"

	"innobot/storage"
	"innobot/survey"
)

// written holds records as last written by this process, the only writer of the file: a turn
// reads back at the next message what the last turn wrote, and reading and decoding it was a
// good part of a turn's cost. The records are kept as CommitTurn was handed them
// (storage.Turn gives them over) and handed out as they are; nobody changes them (see
// storage.Store.Draft). Reads never fill it: a read may race a write it cannot see, but
// writes are ordered, by the order number each gets inside its transaction.
type written[T any] struct {
	mu sync.Mutex
	m  map[string]writtenEntry[T]
	// floor is the latest order of an entry dropped to bound the cache: a write older than
	// that is not cached, since the entry it would replace may have been a later one.
	floor uint64
}

type writtenEntry[T any] struct {
	order uint64
	v     *T   // nil: the record was removed
	stale bool // the record must be read from the file: a write of it failed
}

// writtenSize bounds each cache: records of conversations under way, not of every contact.
const writtenSize = 4096

// get returns the cached record (nil for a removed one) and whether the key is cached.
func (c *written[T]) get(key string) (*T, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[key]
	if e.stale {
		return nil, false
	}
	return e.v, ok
}

// put keeps v (nil for a removed record), unless a later write is cached already.
func (c *written[T]) put(key string, order uint64, v *T) {
	c.set(key, writtenEntry[T]{order: order, v: v})
}

// forget sends reads of key to the file after a write of order failed: bbolt may have
// written it anyway (a failed sync), or not. Writes older than order are not cached again.
func (c *written[T]) forget(key string, order uint64) {
	c.set(key, writtenEntry[T]{order: order, stale: true})
}

func (c *written[T]) set(key string, e writtenEntry[T]) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]writtenEntry[T]{}
	}
	old, ok := c.m[key]
	if ok && old.order > e.order || !ok && e.order <= c.floor {
		return
	}
	c.m[key] = e
	for k, dropped := range c.m {
		if len(c.m) <= writtenSize {
			break
		}
		if k != key {
			delete(c.m, k)
			c.floor = max(c.floor, dropped.order)
		}
	}
}

// reset forgets every cached record; writes older than those forgotten are not cached again.
// A write under way may cache its record afterwards, which is right: it was written after
// whatever made the cache stale.
func (c *written[T]) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range c.m {
		c.floor = max(c.floor, e.order)
	}
	c.m = nil
}

// writtenDraft is a draft as written, with the encoding of its carried answers when it has
// any: a monthly update hands over the same carried map at every turn, and it is half of the
// draft to encode.
type writtenDraft struct {
	draft   storage.Draft
	carried []byte
}

// carriedJSON returns the encoding of the carried answers of the draft written at key when m
// is that very map: nobody changes a map once handed to CommitTurn, so the encoding holds.
func carriedJSON(c *written[writtenDraft], key string, m survey.Answers) []byte {
	e, _ := c.get(key)
	if e == nil || reflect.ValueOf(e.draft.Carried).UnsafePointer() != reflect.ValueOf(m).UnsafePointer() {
		return nil
	}
	return e.carried
}

// subsCache holds the submissions of enterprises recently read. Submissions never change once
// written, so a list goes stale only when one is added: CommitTurn then drops the enterprise's
// list and moves the generation on, and a list read meanwhile is not kept.
type subsCache struct {
	mu  sync.Mutex
	gen uint64
	m   map[string][]storage.Submission
	n   int // submissions held
}

// subsCacheSize bounds the submissions held, about 50 MB of them; past it, lists are dropped
// at random.
const subsCacheSize = 8192

func (c *subsCache) get(enterpriseID string) ([]storage.Submission, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	subs, ok := c.m[enterpriseID]
	return slices.Clip(subs), ok
}

func (c *subsCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

// put keeps a list read at generation gen, unless a submission was added since.
func (c *subsCache) put(gen uint64, enterpriseID string, subs []storage.Submission) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen != gen || len(subs) > subsCacheSize {
		return
	}
	if c.m == nil {
		c.m = map[string][]storage.Submission{}
	}
	for k, old := range c.m {
		if c.n+len(subs) <= subsCacheSize {
			break
		}
		delete(c.m, k)
		c.n -= len(old)
	}
	c.n += len(subs) - len(c.m[enterpriseID])
	c.m[enterpriseID] = subs
}

// added forgets an enterprise's list once a submission of it is written.
func (c *subsCache) added(enterpriseID string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.n -= len(c.m[enterpriseID])
	delete(c.m, enterpriseID)
}

func (c *subsCache) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.m, c.n = nil, 0
}

// registryCache holds what was read of the registry between writes to it: progress over
// 10,000 enterprises reads the whole list, every message its contact, every turn its
// enterprise, and decoding them each time was most of that. Store.updateRegistry drops it all
// after each write to enterprises or contacts; a record read while a write was under way is
// not kept (the generation tells). Records are handed out as copies.
type registryCache struct {
	mu          sync.Mutex
	gen         uint64
	all         []storage.Enterprise
	allOK       bool
	enterprises map[string]storage.Enterprise
	contacts    map[string]storage.Contact
}

// registrySize bounds each map of the registry cache; past it, entries are dropped at random.
const registrySize = 20000

func (c *registryCache) generation() uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.gen
}

func (c *registryCache) list() ([]storage.Enterprise, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return slices.Clone(c.all), c.allOK
}

// putList keeps the enterprise list read at generation gen, unless a write came since.
func (c *registryCache) putList(gen uint64, list []storage.Enterprise) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen {
		c.all, c.allOK = slices.Clone(list), true
	}
}

func (c *registryCache) enterprise(id string) (storage.Enterprise, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.enterprises[id]
	return e, ok
}

// putEnterprise keeps an enterprise read at generation gen, unless a write came since.
func (c *registryCache) putEnterprise(gen uint64, e storage.Enterprise) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen {
		c.enterprises = keep(c.enterprises, e.ID, e)
	}
}

// contact returns a copy: a contact holds a slice (a helper's enterprises).
func (c *registryCache) contact(id string) (storage.Contact, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	ct, ok := c.contacts[id]
	ct.EnterpriseIDs = slices.Clone(ct.EnterpriseIDs)
	return ct, ok
}

// putContact keeps a copy of a contact read at generation gen, unless a write came since.
func (c *registryCache) putContact(gen uint64, ct storage.Contact) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.gen == gen {
		ct.EnterpriseIDs = slices.Clone(ct.EnterpriseIDs)
		c.contacts = keep(c.contacts, ct.ID, ct)
	}
}

// drop forgets everything and moves the generation on.
func (c *registryCache) drop() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.gen++
	c.all, c.allOK = nil, false
	c.enterprises, c.contacts = nil, nil
}

// keep adds v to m (made when nil), dropping entries at random past registrySize.
func keep[T any](m map[string]T, key string, v T) map[string]T {
	if m == nil {
		m = map[string]T{}
	}
	for k := range m {
		if len(m) < registrySize {
			break
		}
		delete(m, k)
	}
	m[key] = v
	return m
}
