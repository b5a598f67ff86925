// Package bolt is the default storage.Store: one bbolt file under the data dir. Records are
// kept as JSON so that the file can be inspected with bbolt's own tools and so that adding a
// field to a record needs no migration.
//
// Every turn is one bbolt transaction run through DB.Batch: concurrent turns of different
// contacts are group-committed and share one fsync, which is what lets hundreds of
// conversations run at once on a slow disk.
//
// Not everything is JSON. Submission heads (the ledger's index) are a compact binary encoding,
// rebuilt from the submissions whenever that encoding changes (see heads.go). The keys of the
// time-ordered buckets (the audit log, the outbox's pending and sent indexes, the message ids
// of turns) hold an 8-byte big-endian instant, see storage.AppendTimeKey.
//
// A turn reads back at the next message what the last one wrote, so the store keeps in memory
// what it wrote and what it read that rarely changes (cache.go).
package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	bbolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"

	"innobot/storage"
)

var (
	_ storage.Store    = (*Store)(nil)
	_ storage.Registry = (*Store)(nil)
	_ storage.Ledger   = (*Store)(nil)
	_ storage.Outbox   = (*Store)(nil)
)

// Bucket names. They are part of the file format: renaming one loses the data in it.
var (
	bucketMeta        = []byte("meta")
	bucketEnterprises = []byte("enterprises")
	bucketContacts    = []byte("contacts")
	bucketInvites     = []byte("invites")
	bucketSessions    = []byte("sessions")
	bucketDrafts      = []byte("drafts")
	bucketSubmissions = []byte("submissions")
	bucketHandled     = []byte("handled")
	// Added in format 2.
	bucketHeads         = []byte("heads")          // enterprise, period, version -> head (heads.go)
	bucketGroups        = []byte("groups")         // group id -> Group
	bucketBindFailures  = []byte("bind_failures")  // contact id -> []time.Time of the last day
	bucketAudit         = []byte("audit")          // storage.AppendTimeKey, sequence -> AuditEntry
	bucketOutbox        = []byte("outbox")         // message id -> outboxRecord
	bucketOutboxPending = []byte("outbox_pending") // account, storage.AppendTimeKey(QueuedAt), seq -> message id
	bucketOutboxSent    = []byte("outbox_sent")    // storage.AppendTimeKey(SentAt), seq -> message id
	bucketClaims        = []byte("claims")         // reminder key -> time claimed
	// Added in format 3.
	bucketTurnIDs = []byte("turn_ids") // storage.AppendTimeKey(message time), message id -> nothing

	allBuckets = [][]byte{bucketMeta, bucketEnterprises, bucketContacts, bucketInvites,
		bucketSessions, bucketDrafts, bucketSubmissions, bucketHandled,
		bucketHeads, bucketGroups, bucketBindFailures, bucketAudit,
		bucketOutbox, bucketOutboxPending, bucketOutboxSent, bucketClaims, bucketTurnIDs,
		bucketMonthlyNotes, bucketIdentities}

	keySchema = []byte("schema")
	// keyHeads holds the encoding of the heads bucket; when it is not headsFormat the
	// bucket is rebuilt from the submissions on open.
	keyHeads = []byte("heads")
)

// schemaVersion is written into a new file and checked on open, so that an older binary
// refuses a file a newer one has changed instead of misreading it.
//
// Format 2 added the heads bucket (and the registry and outbox buckets). A format-1 binary
// would append submissions without their heads, so it must refuse a format-2 file; a
// format-1 file is upgraded on open by building its heads from its submissions.
//
// Format 3 keeps the message ids of turns in the turn_ids bucket, by the messages' times, and
// the last ones in each session. A format-2 binary would look for them in the handled bucket
// only and answer a message delivered again a second time, so it must refuse a format-3 file;
// a format-2 file needs nothing done: format 2 kept turns' ids in the handled bucket, which
// is still read.
const schemaVersion = 3

// sep joins the parts of a composite key. NUL cannot occur in ids or periods typed by people
// or imported from a spreadsheet, so a prefix scan for "E1"+sep never matches "E10"; ids that
// contain it are refused.
const sep = "\x00"

// versionWidth zero-pads submission versions so that byte order is numeric order.
const versionWidth = 10

// DefaultLockTimeout is how long Open waits for the file lock. bbolt would otherwise wait
// forever when a second innobot (or a backup tool) holds the file, which looks like a hang.
const DefaultLockTimeout = time.Second

// Store is a storage.Store on one bbolt file. It is safe for concurrent use.
type Store struct {
	db *bbolt.DB
	// registry holds enterprises and contacts as decoded, between writes to them. The file
	// lock makes this process the only writer.
	registry registryCache
	// drafts and sessions are those this process wrote, read back at the next turn.
	drafts   written[writtenDraft]
	sessions written[storage.Session]
	// seq orders turns' writes, so that the caches keep the last one written.
	seq atomic.Uint64
	// subs keeps enterprises' submissions as decoded: the turns of a monthly update read
	// them several times, and decoding them was a tenth of those turns' cost.
	subs subsCache
	// headsHint is the size of LatestHeads' last answer, to size the next one's map.
	headsHint atomic.Int64
	// closed is set by Close: reads answered from the caches refuse then, as the file does.
	closed atomic.Bool
}

// Option tunes Open; the defaults suit the bot.
type Option func(*options)

type options struct {
	lockTimeout   time.Duration
	maxBatchSize  int
	maxBatchDelay time.Duration
}

// WithLockTimeout sets how long Open waits for another process to release the file before it
// gives up (DefaultLockTimeout by default). Zero waits forever.
func WithLockTimeout(d time.Duration) Option {
	return func(o *options) { o.lockTimeout = d }
}

// WithBatch sets the group-commit limits of CommitTurn: a batch is committed when it holds
// maxSize turns or maxDelay after its first turn. A longer delay shares an fsync among more
// turns at the price of latency per turn. Zero keeps bbolt's default (1000 turns, 10ms).
func WithBatch(maxSize int, maxDelay time.Duration) Option {
	return func(o *options) {
		o.maxBatchSize = maxSize
		o.maxBatchDelay = maxDelay
	}
}

// Open opens or creates the store file at path. The directory must exist: creating it here
// would hide a mistyped data dir behind a fresh, empty database.
func Open(path string, opts ...Option) (*Store, error) {
	o := options{lockTimeout: DefaultLockTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: o.lockTimeout})
	if err != nil {
		if errors.Is(err, berrors.ErrTimeout) {
			return nil, fmt.Errorf("open store %s: file is in use by another process (waited %s): %w",
				path, o.lockTimeout, err)
		}
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if o.maxBatchSize > 0 {
		db.MaxBatchSize = o.maxBatchSize
	}
	if o.maxBatchDelay > 0 {
		db.MaxBatchDelay = o.maxBatchDelay
	}
	if err := db.Update(initBuckets); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return &Store{db: db}, nil
}

func initBuckets(tx *bbolt.Tx) error {
	// The version is checked before anything is created, so that a newer file is left as
	// it was.
	if meta := tx.Bucket(bucketMeta); meta != nil {
		if v := meta.Get(keySchema); v != nil {
			n, err := strconv.Atoi(string(v))
			if err != nil {
				return fmt.Errorf("read schema version %q: %w", v, err)
			}
			if n > schemaVersion {
				return fmt.Errorf("file format %d is newer than this program's %d", n, schemaVersion)
			}
		}
	}
	for _, name := range allBuckets {
		if _, err := tx.CreateBucketIfNotExists(name); err != nil {
			return fmt.Errorf("create bucket %s: %w", name, err)
		}
	}
	meta := tx.Bucket(bucketMeta)
	if !bytes.Equal(meta.Get(keyHeads), []byte(headsFormat)) {
		if err := rebuildHeads(tx); err != nil {
			return fmt.Errorf("build submission heads: %w", err)
		}
		if err := meta.Put(keyHeads, []byte(headsFormat)); err != nil {
			return err
		}
	}
	if v := meta.Get(keySchema); v == nil || string(v) != strconv.Itoa(schemaVersion) {
		return meta.Put(keySchema, []byte(strconv.Itoa(schemaVersion)))
	}
	return nil
}

// Close releases the file and its lock.
func (s *Store) Close() error {
	s.closed.Store(true)
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close store: %w", err)
	}
	return nil
}

// PutEnterprise adds or replaces an enterprise by ID.
func (s *Store) PutEnterprise(ctx context.Context, e storage.Enterprise) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put enterprise: %w", err)
	}
	if e.ID == "" {
		return errors.New("put enterprise: empty id")
	}
	err := s.updateRegistry(func(tx *bbolt.Tx) error {
		return putEnterprise(tx.Bucket(bucketEnterprises), e)
	})
	if err != nil {
		return fmt.Errorf("put enterprise %s: %w", e.ID, err)
	}
	return nil
}

// putEnterprise writes e over the stored enterprise of its ID, keeping the stored LiaisonID
// (none for a new one).
func putEnterprise(b *bbolt.Bucket, e storage.Enterprise) error {
	e.LiaisonID = ""
	if v := b.Get([]byte(e.ID)); v != nil {
		// Only the liaison is needed: decoding the whole record would double an import's work.
		var old struct {
			LiaisonID string `json:"liaison_id"`
		}
		if err := json.Unmarshal(v, &old); err != nil {
			return fmt.Errorf("decode %q: %w", e.ID, err)
		}
		e.LiaisonID = old.LiaisonID
	}
	v, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("encode %q: %w", e.ID, err)
	}
	return b.Put([]byte(e.ID), v)
}

// Enterprise returns one enterprise, or storage.ErrNotFound.
func (s *Store) Enterprise(ctx context.Context, id string) (storage.Enterprise, error) {
	if err := s.ready(ctx); err != nil {
		return storage.Enterprise{}, fmt.Errorf("enterprise %s: %w", id, err)
	}
	if e, ok := s.registry.enterprise(id); ok {
		return e, nil
	}
	gen := s.registry.generation()
	var e storage.Enterprise
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return get(tx.Bucket(bucketEnterprises), []byte(id), &e)
	})
	if err != nil {
		return storage.Enterprise{}, fmt.Errorf("enterprise %s: %w", id, err)
	}
	s.registry.putEnterprise(gen, e)
	return e, nil
}

// Enterprises returns all enterprises ordered by ID, which is bbolt's key order.
func (s *Store) Enterprises(ctx context.Context) ([]storage.Enterprise, error) {
	if err := s.ready(ctx); err != nil {
		return nil, fmt.Errorf("list enterprises: %w", err)
	}
	if cached, ok := s.registry.list(); ok {
		return cached, nil
	}
	gen := s.registry.generation()
	var out []storage.Enterprise
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketEnterprises).ForEach(func(k, v []byte) error {
			var e storage.Enterprise
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decode %s: %w", k, err)
			}
			out = append(out, e)
			return nil
		})
	})
	if err != nil {
		return nil, fmt.Errorf("list enterprises: %w", err)
	}
	s.registry.putList(gen, out)
	return out, nil
}

// updateRegistry runs a write that may change enterprises or contacts and then drops what
// the registry cache holds. Every write to either bucket goes through here.
func (s *Store) updateRegistry(fn func(*bbolt.Tx) error) error {
	defer s.registry.drop()
	return s.db.Update(fn)
}

// Contact returns a contact, or storage.ErrNotFound for one never bound.
func (s *Store) Contact(ctx context.Context, id string) (storage.Contact, error) {
	if err := s.ready(ctx); err != nil {
		return storage.Contact{}, fmt.Errorf("contact %s: %w", id, err)
	}
	if c, ok := s.registry.contact(id); ok {
		return c, nil
	}
	gen := s.registry.generation()
	var c storage.Contact
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return get(tx.Bucket(bucketContacts), []byte(id), &c)
	})
	if err != nil {
		return storage.Contact{}, fmt.Errorf("contact %s: %w", id, err)
	}
	s.registry.putContact(gen, c)
	return c, nil
}

// PutInvite stores a new code; a hash already stored is storage.ErrConflict, so that a code
// can never be reset to unused by issuing it again.
func (s *Store) PutInvite(ctx context.Context, inv storage.Invite) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put invite: %w", err)
	}
	if inv.Hash == "" {
		return errors.New("put invite: empty hash")
	}
	v, err := json.Marshal(inv)
	if err != nil {
		return fmt.Errorf("put invite: %w", err)
	}
	err = s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketInvites)
		if b.Get([]byte(inv.Hash)) != nil {
			return storage.ErrConflict
		}
		return b.Put([]byte(inv.Hash), v)
	})
	if err != nil {
		return fmt.Errorf("put invite: %w", err)
	}
	return nil
}

// Redeem binds contact c with the code whose hash is given. All reads and writes happen in
// one transaction, so two contacts racing for one code cannot both win. It keeps c's ID, Name
// and Account (the bot account the person talks to) and takes everything else from the code.
func (s *Store) Redeem(ctx context.Context, hash string, c storage.Contact, now time.Time) (storage.Redeemed, error) {
	if err := ctx.Err(); err != nil {
		return storage.Redeemed{}, fmt.Errorf("redeem: %w", err)
	}
	if c.ID == "" {
		return storage.Redeemed{}, errors.New("redeem: empty contact id")
	}
	var out storage.Redeemed
	err := s.updateRegistry(func(tx *bbolt.Tx) error {
		out = storage.Redeemed{}
		return redeem(tx, hash, c, now, &out)
	})
	if err != nil {
		return storage.Redeemed{}, fmt.Errorf("redeem: %w", err)
	}
	return out, nil
}

func redeem(tx *bbolt.Tx, hash string, c storage.Contact, now time.Time, out *storage.Redeemed) error {
	invites := tx.Bucket(bucketInvites)
	contacts := tx.Bucket(bucketContacts)
	enterprises := tx.Bucket(bucketEnterprises)

	var inv storage.Invite
	if err := get(invites, []byte(hash), &inv); err != nil {
		if errors.Is(err, storage.ErrNotFound) {
			return storage.ErrInviteUnknown
		}
		return err
	}
	if err := inv.Redeemable(now); err != nil {
		return err
	}

	// A contact never bound stays the zero Contact, which leaves no enterprise.
	var prev storage.Contact
	if err := get(contacts, []byte(c.ID), &prev); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}

	bound := inv.Bind(c, now)

	if left := prev.LeftEnterprise(bound); left != "" {
		var old storage.Enterprise
		err := get(enterprises, []byte(left), &old)
		switch {
		case errors.Is(err, storage.ErrNotFound):
		case err != nil:
			return err
		case old.LiaisonID == c.ID:
			old.LiaisonID = ""
			old.UpdatedAt = now
			if err := put(enterprises, []byte(old.ID), old); err != nil {
				return err
			}
		}
	}

	if bound.Role == storage.RoleLiaison {
		var e storage.Enterprise
		if err := get(enterprises, []byte(bound.EnterpriseID), &e); err != nil {
			return fmt.Errorf("enterprise %s of the code: %w", bound.EnterpriseID, err)
		}
		if e.LiaisonID != "" && e.LiaisonID != c.ID {
			var old storage.Contact
			err := get(contacts, []byte(e.LiaisonID), &old)
			switch {
			case errors.Is(err, storage.ErrNotFound):
			case err != nil:
				return err
			case old.Role == storage.RoleLiaison && old.EnterpriseID == e.ID:
				replaced := old
				out.Replaced = &replaced
				// Name is kept: the office still wants to know who the person was; Account
				// too, since the person can only be told through it.
				if err := put(contacts, []byte(old.ID), old.Unbound()); err != nil {
					return err
				}
			}
		}
		e.LiaisonID = c.ID
		e.UpdatedAt = now
		if err := put(enterprises, []byte(e.ID), e); err != nil {
			return err
		}
	}

	inv.UsedBy = c.ID
	inv.UsedAt = now
	if err := put(invites, []byte(hash), inv); err != nil {
		return err
	}
	if err := put(contacts, []byte(c.ID), bound); err != nil {
		return err
	}
	out.Contact = bound
	out.Invite = inv
	return nil
}

// Session returns the contact's session; a contact with none gets an empty session of
// version 0.
func (s *Store) Session(ctx context.Context, contactID string) (storage.Session, error) {
	if err := s.ready(ctx); err != nil {
		return storage.Session{}, fmt.Errorf("session %s: %w", contactID, err)
	}
	if sess, ok := s.sessions.get(contactID); ok && sess != nil {
		return *sess, nil
	}
	sess := storage.Session{ContactID: contactID}
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		v := tx.Bucket(bucketSessions).Get([]byte(contactID))
		if v == nil {
			return nil
		}
		var err error
		sess, err = storage.DecodeSession(v)
		return err
	})
	if err != nil {
		return storage.Session{}, fmt.Errorf("session %s: %w", contactID, err)
	}
	return sess, nil
}

// Draft returns an enterprise's draft for a period, or storage.ErrNotFound.
func (s *Store) Draft(ctx context.Context, enterpriseID, period string) (storage.Draft, error) {
	if err := s.ready(ctx); err != nil {
		return storage.Draft{}, fmt.Errorf("draft %s %s: %w", enterpriseID, period, err)
	}
	key := draftKey(enterpriseID, period)
	if e, cached := s.drafts.get(string(key)); cached {
		if e == nil {
			return storage.Draft{}, fmt.Errorf("draft %s %s: %w", enterpriseID, period, storage.ErrNotFound)
		}
		return e.draft, nil
	}
	var d storage.Draft
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		stored := tx.Bucket(bucketDrafts).Get(key)
		if stored == nil {
			return storage.ErrNotFound
		}
		// bbolt's bytes live as long as the transaction: the draft is decoded inside it.
		var err error
		d, err = storage.DecodeDraft(stored)
		return err
	})
	if err != nil {
		return storage.Draft{}, fmt.Errorf("draft %s %s: %w", enterpriseID, period, err)
	}
	return d, nil
}

// Submissions returns an enterprise's submissions by period and version: the key order. The
// list and its maps are shared with the cache: callers only read them (storage.Store).
func (s *Store) Submissions(ctx context.Context, enterpriseID string) ([]storage.Submission, error) {
	if err := s.ready(ctx); err != nil {
		return nil, fmt.Errorf("submissions %s: %w", enterpriseID, err)
	}
	if subs, ok := s.subs.get(enterpriseID); ok {
		return subs, nil
	}
	gen := s.subs.generation()
	var out []storage.Submission
	prefix := []byte(enterpriseID + sep)
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketSubmissions).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			sub, err := storage.DecodeSubmission(v)
			if err != nil {
				return fmt.Errorf("decode %q: %w", k, err)
			}
			out = append(out, sub)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("submissions %s: %w", enterpriseID, err)
	}
	s.subs.put(gen, enterpriseID, out)
	return slices.Clip(out), nil
}

// Handled reports whether a contact's message, of the time given, was committed in a turn or
// marked handled.
func (s *Store) Handled(ctx context.Context, contactID, messageID string, at time.Time) (bool, error) {
	if messageID == "" {
		return false, nil
	}
	var ok bool
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		ok, err = handled(tx, contactID, messageID, turnIDKey(at, messageID))
		return err
	})
	if err != nil {
		return false, fmt.Errorf("handled %s: %w", messageID, err)
	}
	return ok, nil
}

// handled looks for a message id where CommitTurn and MarkHandled keep them: the marked ids,
// the turns' ids by time (turnKey) and the contact's session.
func handled(tx *bbolt.Tx, contactID, messageID string, turnKey []byte) (bool, error) {
	if indexed(tx, messageID, turnKey) {
		return true, nil
	}
	v := tx.Bucket(bucketSessions).Get([]byte(contactID))
	if v == nil {
		return false, nil
	}
	sess, err := storage.DecodeSession(v)
	if err != nil {
		return false, fmt.Errorf("decode session %s: %w", contactID, err)
	}
	return sess.Remembers(messageID), nil
}

// indexed reports whether a message id is among the marked ids or the turns' ids by time: all
// of handled but the session, which CommitTurn reads anyway.
func indexed(tx *bbolt.Tx, messageID string, turnKey []byte) bool {
	return tx.Bucket(bucketHandled).Get([]byte(messageID)) != nil || tx.Bucket(bucketTurnIDs).Get(turnKey) != nil
}

// turnIDKey is the key of a turn's message id in the turn_ids bucket. The message's time
// comes first so that a batch of turns adds to the end of the index, where a page or two
// take them all; keyed by id alone, they would land on a page each.
func turnIDKey(at time.Time, messageID string) []byte {
	return append(storage.AppendTimeKey(make([]byte, 0, 8+len(messageID)), at), messageID...)
}

// MarkHandled records a message handled without a turn.
func (s *Store) MarkHandled(ctx context.Context, messageID string, at time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mark handled: %w", err)
	}
	if messageID == "" {
		return nil
	}
	v, err := at.MarshalBinary()
	if err != nil {
		return fmt.Errorf("mark handled %s: %w", messageID, err)
	}
	// Batch: queries from many chats at once share an fsync, like turns. Putting the same
	// key twice is harmless, so a re-run is too.
	err = s.db.Batch(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketHandled).Put([]byte(messageID), v)
	})
	if err != nil {
		return fmt.Errorf("mark handled %s: %w", messageID, err)
	}
	return nil
}

// PruneHandled forgets the message ids handled before the given time and reports how many it
// removed. Transports redeliver within minutes, so ids older than a few days only cost space;
// the caller picks the horizon.
func (s *Store) PruneHandled(ctx context.Context, before time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("prune handled: %w", err)
	}
	n := 0
	err := s.db.Update(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketHandled)
		// Keys are collected first: deleting under a cursor makes its Next skip an item.
		var old [][]byte
		err := b.ForEach(func(k, v []byte) error {
			var at time.Time
			if err := at.UnmarshalBinary(v); err != nil {
				return fmt.Errorf("decode time of %q: %w", k, err)
			}
			if at.Before(before) {
				old = append(old, bytes.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		for _, k := range old {
			if err := b.Delete(k); err != nil {
				return err
			}
		}
		n = len(old)
		// Turn ids are in time order: the old ones are at the start.
		turns := tx.Bucket(bucketTurnIDs)
		old = old[:0]
		limit := storage.AppendTimeKey(nil, before)
		c := turns.Cursor()
		for k, _ := c.First(); k != nil && bytes.Compare(k[:min(len(k), 8)], limit) < 0; k, _ = c.Next() {
			old = append(old, bytes.Clone(k))
		}
		for _, k := range old {
			if err := turns.Delete(k); err != nil {
				return err
			}
		}
		n += len(old)
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("prune handled: %w", err)
	}
	return n, nil
}

// turnWrite is a turn encoded before the transaction starts, so that the function handed to
// Batch only reads it: Batch may run that function more than once and under the write lock
// shared by the whole batch, where JSON encoding would hold up every other turn.
type turnWrite struct {
	messageID  string
	turnKey    []byte // the message id's key in turn_ids, when there is one
	contactID  []byte
	version    int64
	sess       storage.Session // to write: Version+1, the message id remembered
	readRecent []string        // the recent ids the caller read
	written    storage.Session // as apply wrote it
	session    []byte
	dropDraft  []byte
	draftKey   []byte
	draft      []byte
	draftBuf   *[]byte // where draft was encoded, from draftBuffers
	carried    []byte  // the draft's carried answers, encoded
	subPrefix  []byte  // enterprise, period: where the period's versions are listed
	subKey     []byte  // also the key of its head
	subVersion int
	sub        []byte
	head       []byte

	// seq numbers the runs of apply; order and wrote say what the last run did, read once
	// Batch has returned (it may run apply more than once).
	seq   *atomic.Uint64
	order uint64
	wrote bool
}

// encodeTurn encodes t, taking the encoding of its draft's carried answers from drafts when
// they are those the last write of the draft handed over.
func encodeTurn(t storage.Turn, drafts *written[writtenDraft]) (*turnWrite, error) {
	if t.Session.ContactID == "" {
		return nil, errors.New("empty contact id")
	}
	w := &turnWrite{
		messageID: t.MessageID,
		contactID: []byte(t.Session.ContactID),
		version:   t.Session.Version,
	}
	if t.MessageID != "" {
		w.turnKey = turnIDKey(t.At, t.MessageID)
	}
	w.sess, w.readRecent = t.Session, t.Session.Recent
	w.sess.Version++
	w.sess.Remember(t.MessageID)
	var err error
	if w.session, err = storage.AppendSession(nil, w.sess); err != nil {
		return nil, err
	}
	if k := t.DropDraft; k != nil {
		if err := storage.CheckKey(k.EnterpriseID, k.Period); err != nil {
			return nil, fmt.Errorf("draft to drop: %w", err)
		}
		w.dropDraft = draftKey(k.EnterpriseID, k.Period)
	}
	if d := t.Draft; d != nil {
		if err := storage.CheckKey(d.EnterpriseID, d.Period); err != nil {
			return nil, fmt.Errorf("draft: %w", err)
		}
		w.draftKey = draftKey(d.EnterpriseID, d.Period)
		if len(d.Carried) > 0 {
			if w.carried = carriedJSON(drafts, string(w.draftKey), d.Carried); w.carried == nil {
				w.carried = d.Carried.AppendJSON(nil)
			}
		}
		buf := draftBuffers.Get().(*[]byte)
		if w.draft, err = storage.AppendDraftCarried((*buf)[:0], *d, w.carried); err != nil {
			draftBuffers.Put(buf)
			return nil, err
		}
		w.draftBuf = buf
	}
	if sub := t.Submission; sub != nil {
		if err := storage.CheckKey(sub.EnterpriseID, sub.Period); err != nil {
			return nil, fmt.Errorf("submission: %w", err)
		}
		w.subPrefix = []byte(sub.EnterpriseID + sep + sub.Period + sep)
		w.subVersion = sub.Version
		if sub.Version > 0 {
			w.subKey = submissionKey(sub.EnterpriseID, sub.Period, sub.Version)
		}
		if w.sub, err = storage.AppendSubmission(nil, *sub); err != nil {
			return nil, err
		}
		w.head = appendHead(nil, sub.Head())
	}
	return w, nil
}

// CommitTurn writes a turn atomically, or nothing. A turn whose message id is handled already
// (see handled) is reported as done and changes nothing, because a transport may deliver a
// message twice and Batch may run the write twice. The checks run before any write, so a
// refused turn leaves nothing behind even inside a batch that commits.
//
// The turn's message id is kept twice: among the session's recent ids, and in turn_ids under
// the message's time, where a batch's ids fill a page or two at the end instead of a page
// each across an index by id.
//
// A draft to drop is removed before the turn's draft is written: a turn that does both for
// one key leaves the new draft.
func (s *Store) CommitTurn(ctx context.Context, t storage.Turn) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("commit turn: %w", err)
	}
	w, err := encodeTurn(t, &s.drafts)
	if err != nil {
		return fmt.Errorf("commit turn: %w", err)
	}
	w.seq = &s.seq
	defer w.release()
	err = s.db.Batch(w.apply)
	if t.Submission != nil {
		// Also after an error: the batch may have committed before failing to sync.
		s.subs.added(t.Submission.EnterpriseID)
	}
	if err != nil {
		// Whatever the file now holds of this turn, the caches must not answer for it: a
		// session left a version behind would refuse every later turn of the contact.
		order := s.seq.Add(1)
		s.sessions.forget(t.Session.ContactID, order)
		for _, key := range [][]byte{w.draftKey, w.dropDraft} {
			if key != nil {
				s.drafts.forget(string(key), order)
			}
		}
		return fmt.Errorf("commit turn of %s: %w", t.Session.ContactID, err)
	}
	if w.wrote {
		if w.dropDraft != nil {
			s.drafts.put(string(w.dropDraft), w.order, nil)
		}
		if t.Draft != nil {
			s.drafts.put(string(w.draftKey), w.order, &writtenDraft{draft: *t.Draft, carried: w.carried})
		}
		s.sessions.put(t.Session.ContactID, w.order, &w.written)
	}
	return nil
}

// draftBuffers recycles the buffers drafts are encoded into: growing 2 KB from nothing at
// every turn was a sixth of what a turn allocated.
var draftBuffers = sync.Pool{New: func() any { return new([]byte) }}

// release gives the draft's buffer back once Batch has returned: bbolt reads the values of a
// transaction only until it ends.
func (w *turnWrite) release() {
	if w.draftBuf != nil {
		*w.draftBuf = w.draft[:0]
		draftBuffers.Put(w.draftBuf)
		w.draftBuf, w.draft = nil, nil
	}
}

// apply is the function Batch runs. It reads w and the transaction and sets only what it
// reports (wrote, order, written) afresh, so running it again after a rolled-back batch does
// the same thing.
func (w *turnWrite) apply(tx *bbolt.Tx) error {
	w.wrote = false
	if w.messageID != "" && indexed(tx, w.messageID, w.turnKey) {
		return nil
	}

	sessions := tx.Bucket(bucketSessions)
	var stored storage.Session
	if v := sessions.Get(w.contactID); v != nil {
		var err error
		if stored, err = storage.DecodeSession(v); err != nil {
			return fmt.Errorf("decode session: %w", err)
		}
		if stored.Remembers(w.messageID) {
			return nil
		}
	}
	if stored.Version != w.version {
		return fmt.Errorf("session read at version %d, stored %d: %w", w.version, stored.Version, storage.ErrConflict)
	}
	session := w.session
	w.written = w.sess
	if !slices.Equal(stored.Recent, w.readRecent) {
		// The caller started the session afresh without its recent ids: the stored ones
		// are kept, or a message delivered again would be taken for a new one.
		w.written.Recent = stored.Recent
		w.written.Remember(w.messageID)
		var err error
		if session, err = storage.AppendSession(nil, w.written); err != nil {
			return err
		}
	}

	submissions := tx.Bucket(bucketSubmissions)
	if w.sub != nil {
		last, err := lastVersion(submissions, w.subPrefix)
		if err != nil {
			return err
		}
		if w.subVersion != last+1 {
			return fmt.Errorf("submission version %d, next free is %d: %w", w.subVersion, last+1, storage.ErrConflict)
		}
	}

	if err := sessions.Put(w.contactID, session); err != nil {
		return fmt.Errorf("write session: %w", err)
	}
	drafts := tx.Bucket(bucketDrafts)
	if w.dropDraft != nil {
		if err := drafts.Delete(w.dropDraft); err != nil {
			return fmt.Errorf("drop draft: %w", err)
		}
	}
	if w.draft != nil {
		if err := drafts.Put(w.draftKey, w.draft); err != nil {
			return fmt.Errorf("write draft: %w", err)
		}
	}
	if w.sub != nil {
		if err := submissions.Put(w.subKey, w.sub); err != nil {
			return fmt.Errorf("write submission: %w", err)
		}
		if err := tx.Bucket(bucketHeads).Put(w.subKey, w.head); err != nil {
			return fmt.Errorf("write submission head: %w", err)
		}
	}
	if w.turnKey != nil {
		if err := tx.Bucket(bucketTurnIDs).Put(w.turnKey, []byte{}); err != nil {
			return fmt.Errorf("record message id: %w", err)
		}
	}
	// Writes run one after another inside a transaction and transactions one after another,
	// so this number follows the order the drafts were written in.
	w.order, w.wrote = w.seq.Add(1), true
	return nil
}

// lastVersion returns the highest submission version under prefix, 0 when there is none.
func lastVersion(b *bbolt.Bucket, prefix []byte) (int, error) {
	last := 0
	c := b.Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		n, err := strconv.Atoi(string(k[len(prefix):]))
		if err != nil {
			return 0, fmt.Errorf("submission key %q: %w", k, err)
		}
		last = n
	}
	return last, nil
}

func draftKey(enterpriseID, period string) []byte {
	return []byte(enterpriseID + sep + period)
}

func submissionKey(enterpriseID, period string, version int) []byte {
	return fmt.Appendf(nil, "%s%s%s%s%0*d", enterpriseID, sep, period, sep, versionWidth, version)
}

// view runs fn in a read transaction unless ctx is already done: bbolt transactions cannot be
// interrupted, so the context is only honoured at the start.
func (s *Store) view(ctx context.Context, fn func(*bbolt.Tx) error) error {
	if err := s.ready(ctx); err != nil {
		return err
	}
	return s.db.View(fn)
}

// ready says why a read cannot be answered: a done context or a closed store. Reads answered
// from the caches check it as a transaction would.
func (s *Store) ready(ctx context.Context) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	if s.closed.Load() {
		return berrors.ErrDatabaseNotOpen
	}
	return nil
}

// get decodes the record at key, or returns storage.ErrNotFound.
func get(b *bbolt.Bucket, key []byte, v any) error {
	data := b.Get(key)
	if data == nil {
		return storage.ErrNotFound
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode %q: %w", key, err)
	}
	return nil
}

func put(b *bbolt.Bucket, key []byte, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %q: %w", key, err)
	}
	return b.Put(key, data)
}

// Backup writes a consistent copy of the whole file to w while the store stays in use (a
// read transaction sees one moment), and returns its size.
func (s *Store) Backup(ctx context.Context, w io.Writer) (int64, error) {
	var n int64
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		n, err = tx.WriteTo(w)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	return n, nil
}
