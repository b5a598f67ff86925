// Package bolt is the default storage.Store: one bbolt file under the data dir. Records are
// kept as JSON (encoding/json) so that the file can be inspected with bbolt's own tools and so
// that adding a field to a record needs no migration.
//
// Every turn is one bbolt transaction run through DB.Batch: concurrent turns of different
// contacts are group-committed and share one fsync, which is what lets hundreds of
// conversations run at once on a slow disk. Other writes come one at a time (a query's
// handled mark, a binding) and use Update, so that they never wait for a batch to fill.
//
// Not everything is JSON. Submission heads (the ledger's index) are a compact binary encoding,
// rebuilt from the submissions whenever that encoding changes (see heads.go). The keys of the
// time-ordered buckets (the audit log, the outbox's pending and sent indexes, handled message
// ids by time) hold an 8-byte big-endian instant, see storage.AppendTimeKey.
package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime/debug"
	"slices"
	"strconv"
	"time"

	bbolt "go.etcd.io/bbolt"

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
	bucketHandled     = []byte("handled") // message id -> time handled (time.MarshalBinary)
	// Added in format 2.
	bucketHeads         = []byte("heads")          // enterprise, period, version -> head (heads.go)
	bucketGroups        = []byte("groups")         // group id -> Group
	bucketBindFailures  = []byte("bind_failures")  // contact id -> []time.Time of the last day
	bucketAudit         = []byte("audit")          // storage.AppendTimeKey, sequence -> AuditEntry
	bucketOutbox        = []byte("outbox")         // message id -> outboxRecord
	bucketOutboxPending = []byte("outbox_pending") // account, storage.AppendTimeKey(QueuedAt), seq -> message id
	bucketOutboxSent    = []byte("outbox_sent")    // storage.AppendTimeKey(SentAt), seq -> message id
	bucketClaims        = []byte("claims")         // reminder key -> time claimed
	// Added in format 4.
	bucketHandledAt = []byte("handled_at") // storage.AppendTimeKey(time handled), message id -> nothing

	allBuckets = [][]byte{bucketMeta, bucketEnterprises, bucketContacts, bucketInvites,
		bucketSessions, bucketDrafts, bucketSubmissions, bucketHandled,
		bucketHeads, bucketGroups, bucketBindFailures, bucketAudit,
		bucketOutbox, bucketOutboxPending, bucketOutboxSent, bucketClaims, bucketHandledAt,
		bucketMonthlyNotes, bucketIdentities, bucketOutboxUrgent, bucketOutboxFailed,
		bucketWrongCodes, bucketBindLocks}

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
// Format 4 keeps every handled message id in one place: the handled bucket, by id, indexed
// by time in handled_at. Format 3 kept the ids of turns in a turn_ids bucket by the
// messages' times and the last ones in each session; a format-3 binary would look for them
// there, so it must refuse a format-4 file. A format-2 or format-3 file is upgraded on open
// (upgradeHandled).
const schemaVersion = 4

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
	// memo holds what progress reads at every query (registry.go).
	memo memo
	// failed holds the damage a read met while the store ran: from then on every read and
	// write is refused (see view).
	failed failure
}

// Option tunes Open; the defaults suit the bot.
type Option func(*options)

type options struct {
	lockTimeout   time.Duration
	maxBatchSize  int
	maxBatchDelay time.Duration
	progress      io.Writer
}

// WithProgress has Open say on w what it does while it checks a large file (a line before
// and one after), so that a bot that takes seconds to start is not taken for a hung one.
func WithProgress(w io.Writer) Option {
	return func(o *options) { o.progress = w }
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
//
// An existing file is checked before anything writes to it (see CheckFile): a damaged one is
// refused with a *DamagedError, which says what is wrong and to restore a backup, and is left
// as it was.
func Open(path string, opts ...Option) (*Store, error) {
	o := options{lockTimeout: DefaultLockTimeout}
	for _, opt := range opts {
		opt(&o)
	}
	if _, err := os.Stat(path); err == nil {
		if _, err := checkFile(context.Background(), path, o.progress, o.lockTimeout); err != nil {
			return nil, err
		}
	}
	db, err := openGuarded(path, &bbolt.Options{Timeout: o.lockTimeout})
	if err != nil {
		return nil, err
	}
	if o.maxBatchSize > 0 {
		db.MaxBatchSize = o.maxBatchSize
	}
	if o.maxBatchDelay > 0 {
		db.MaxBatchDelay = o.maxBatchDelay
	}
	s := &Store{db: db}
	if err := s.rw(initBuckets); err != nil {
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return s, nil
}

func initBuckets(tx *bbolt.Tx) error {
	// The version is checked before anything is created, so that a newer file is left as
	// it was.
	stored := 0 // a new file
	if meta := tx.Bucket(bucketMeta); meta != nil {
		if v := meta.Get(keySchema); v != nil {
			n, err := strconv.Atoi(string(v))
			if err != nil {
				return fmt.Errorf("read schema version %q: %w", v, err)
			}
			if n > schemaVersion {
				return fmt.Errorf("file format %d is newer than this program's %d", n, schemaVersion)
			}
			stored = n
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
	if stored > 0 && stored < 4 {
		if err := upgradeHandled(tx); err != nil {
			return fmt.Errorf("upgrade handled message ids: %w", err)
		}
	}
	if stored != schemaVersion {
		return meta.Put(keySchema, []byte(strconv.Itoa(schemaVersion)))
	}
	return nil
}

// bucketTurnIDs is format 3's index of turns' message ids: AppendTimeKey(message time), id.
var bucketTurnIDs = []byte("turn_ids")

// upgradeHandled brings the handled message ids of a format-2 or format-3 file into format 4:
// the ids of turns (format 3's turn_ids bucket, and the last ids sessions kept in "recent",
// by the session's last change) join the handled bucket, every handled id gets its entry in
// handled_at, turn_ids goes and sessions are written without their ids.
func upgradeHandled(tx *bbolt.Tx) error {
	handled := tx.Bucket(bucketHandled)
	add := func(id []byte, at time.Time) error {
		if len(id) == 0 || handled.Get(id) != nil {
			return nil
		}
		v, err := at.MarshalBinary()
		if err != nil {
			return err
		}
		return handled.Put(bytes.Clone(id), v)
	}
	if turns := tx.Bucket(bucketTurnIDs); turns != nil {
		err := turns.ForEach(func(k, _ []byte) error {
			if len(k) < 8 {
				return fmt.Errorf("turn id key %q: too short", k)
			}
			return add(k[8:], storage.ReadTimeKey(k))
		})
		if err != nil {
			return err
		}
		if err := tx.DeleteBucket(bucketTurnIDs); err != nil {
			return err
		}
	}
	sessions := tx.Bucket(bucketSessions)
	rewrite := map[string][]byte{}
	err := sessions.ForEach(func(k, v []byte) error {
		var old struct {
			storage.Session
			Recent []string `json:"recent"`
		}
		if err := json.Unmarshal(v, &old); err != nil {
			return fmt.Errorf("decode session %q: %w", k, err)
		}
		if len(old.Recent) == 0 {
			return nil
		}
		for _, id := range old.Recent {
			if err := add([]byte(id), old.UpdatedAt); err != nil {
				return err
			}
		}
		b, err := json.Marshal(old.Session)
		rewrite[string(k)] = b
		return err
	})
	if err != nil {
		return err
	}
	for k, v := range rewrite {
		if err := sessions.Put([]byte(k), v); err != nil {
			return err
		}
	}
	byTime := tx.Bucket(bucketHandledAt)
	return handled.ForEach(func(k, v []byte) error {
		var at time.Time
		if err := at.UnmarshalBinary(v); err != nil {
			return fmt.Errorf("decode time of %q: %w", k, err)
		}
		return byTime.Put(handledAtKey(at, k), []byte{})
	})
}

// Close releases the file and its lock. A store that failed may not close: bbolt's locks may
// have been left held by the panic that failed it, so Close waits a second and then leaves
// the file to the process's end, saying so.
func (s *Store) Close() error {
	if err := closeDB(s.db, s.failed.get() != nil); err != nil {
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
	err := s.updateRegistry(storage.Answer{}, func(tx *bbolt.Tx) error {
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
	return put(b, []byte(e.ID), e)
}

// Enterprise returns one enterprise, or storage.ErrNotFound.
func (s *Store) Enterprise(ctx context.Context, id string) (storage.Enterprise, error) {
	var e storage.Enterprise
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return get(tx.Bucket(bucketEnterprises), []byte(id), &e)
	})
	if err != nil {
		return storage.Enterprise{}, fmt.Errorf("enterprise %s: %w", id, err)
	}
	return e, nil
}

// Contact returns a contact, or storage.ErrNotFound for one never bound.
func (s *Store) Contact(ctx context.Context, id string) (storage.Contact, error) {
	var c storage.Contact
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return get(tx.Bucket(bucketContacts), []byte(id), &c)
	})
	if err != nil {
		return storage.Contact{}, fmt.Errorf("contact %s: %w", id, err)
	}
	return c, nil
}

// PutInvite stores a new code and revokes the live ones of replaces, with the answer of the
// message that asked for it, in one transaction; a hash already stored is
// storage.ErrConflict, so that a code can never be reset to unused by issuing it again.
func (s *Store) PutInvite(ctx context.Context, inv storage.Invite, replaces []string, a storage.Answer) error {
	if err := checkWrite(ctx, a); err != nil {
		return fmt.Errorf("put invite: %w", err)
	}
	if inv.Hash == "" {
		return errors.New("put invite: empty hash")
	}
	err := s.update(a, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketInvites)
		if b.Get([]byte(inv.Hash)) != nil {
			return storage.ErrConflict
		}
		if _, err := revoke(b, replaces, inv.CreatedAt); err != nil {
			return err
		}
		return put(b, []byte(inv.Hash), inv)
	})
	if err != nil {
		return fmt.Errorf("put invite: %w", err)
	}
	return nil
}

// Redeem binds contact c with the code whose hash is given. All reads and writes happen in
// one transaction, so two contacts racing for one code cannot both win. It keeps c's ID, Name
// and Account (the bot account the person talks to) and takes everything else from the code.
// answer is called once, inside the transaction; what it returns is stored there too.
func (s *Store) Redeem(ctx context.Context, hash string, c storage.Contact, now time.Time, answer func(storage.Redeemed) (storage.Answer, *storage.Session)) (storage.Redeemed, error) {
	if err := ctx.Err(); err != nil {
		return storage.Redeemed{}, fmt.Errorf("redeem: %w", err)
	}
	if c.ID == "" {
		return storage.Redeemed{}, errors.New("redeem: empty contact id")
	}
	var out storage.Redeemed
	err := s.updateRegistry(storage.Answer{}, func(tx *bbolt.Tx) error {
		out = storage.Redeemed{}
		if err := redeem(tx, hash, c, now, &out); err != nil {
			return err
		}
		var a storage.Answer
		var sess *storage.Session
		if answer != nil {
			a, sess = answer(out)
		}
		if err := storage.CheckMessages(a.Messages); err != nil {
			return err
		}
		if err := storeAnswer(tx, a); err != nil {
			out = storage.Redeemed{} // rolled back; errAnswered is reported as success
			return err
		}
		if sess == nil {
			return nil
		}
		return putNextSession(tx.Bucket(bucketSessions), c.ID, *sess)
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
		out.Enterprise = &e
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

// putNextSession stores sess as the contact's session at the stored version + 1.
func putNextSession(b *bbolt.Bucket, contactID string, sess storage.Session) error {
	var stored storage.Session
	if err := getIfAny(b, []byte(contactID), &stored); err != nil {
		return err
	}
	sess.ContactID, sess.Version = contactID, stored.Version+1
	return put(b, []byte(contactID), sess)
}

// LoadTurn reads, in one read transaction, whether a message was handled and what handling it
// needs of its sender.
func (s *Store) LoadTurn(ctx context.Context, contactID, messageID string) (storage.TurnState, error) {
	var st storage.TurnState
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		st = storage.TurnState{Session: storage.Session{ContactID: contactID}}
		if handledIn(tx, messageID) {
			st.Handled = true
			return nil
		}
		if err := getIfAny(tx.Bucket(bucketContacts), []byte(contactID), &st.Contact); err != nil {
			return err
		}
		if err := getIfAny(tx.Bucket(bucketSessions), []byte(contactID), &st.Session); err != nil {
			return err
		}
		if st.Contact.Role != storage.RoleLiaison || st.Contact.EnterpriseID == "" {
			return nil
		}
		if err := getIfAny(tx.Bucket(bucketEnterprises), []byte(st.Contact.EnterpriseID), &st.Enterprise); err != nil {
			return err
		}
		var err error
		st.Drafts, st.History, err = enterpriseWork(tx, st.Contact.EnterpriseID)
		return err
	})
	if err != nil {
		return storage.TurnState{}, fmt.Errorf("load turn of %s: %w", contactID, err)
	}
	return st, nil
}

// enterpriseWork reads an enterprise's drafts and the submissions a turn needs of its
// history (storage.TurnState.History).
func enterpriseWork(tx *bbolt.Tx, enterpriseID string) ([]storage.Draft, []storage.Submission, error) {
	prefix := []byte(enterpriseID + sep)
	var drafts []storage.Draft
	c := tx.Bucket(bucketDrafts).Cursor()
	for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
		var d storage.Draft
		if err := json.Unmarshal(v, &d); err != nil {
			return nil, nil, fmt.Errorf("decode draft %q: %w", k, err)
		}
		drafts = append(drafts, d)
	}
	// The latest version under a prefix is the last key before prefix+0xff (versions are
	// digits); the enterprise's latest submission, the last before enterprise+0x01.
	subs := tx.Bucket(bucketSubmissions).Cursor()
	last := func(prefix, end []byte) (k, v []byte) {
		if k, _ = subs.Seek(end); k == nil {
			k, v = subs.Last()
		} else {
			k, v = subs.Prev()
		}
		if k == nil || !bytes.HasPrefix(k, prefix) {
			return nil, nil
		}
		return k, v
	}
	found := map[string][]byte{}
	for _, d := range drafts {
		p := []byte(enterpriseID + sep + d.Period + sep)
		if k, v := last(p, append(bytes.Clone(p), 0xff)); k != nil {
			found[string(k)] = v
		}
	}
	if k, v := last(prefix, []byte(enterpriseID+"\x01")); k != nil {
		found[string(k)] = v
	}
	var history []storage.Submission
	for _, k := range slices.Sorted(maps.Keys(found)) {
		var sub storage.Submission
		if err := json.Unmarshal(found[k], &sub); err != nil {
			return nil, nil, fmt.Errorf("decode submission %q: %w", k, err)
		}
		history = append(history, sub)
	}
	return drafts, history, nil
}

// Session returns the contact's session; a contact with none gets an empty session of
// version 0.
func (s *Store) Session(ctx context.Context, contactID string) (storage.Session, error) {
	sess := storage.Session{ContactID: contactID}
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return getIfAny(tx.Bucket(bucketSessions), []byte(contactID), &sess)
	})
	if err != nil {
		return storage.Session{}, fmt.Errorf("session %s: %w", contactID, err)
	}
	return sess, nil
}

// Draft returns an enterprise's draft for a period, or storage.ErrNotFound.
func (s *Store) Draft(ctx context.Context, enterpriseID, period string) (storage.Draft, error) {
	var d storage.Draft
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return get(tx.Bucket(bucketDrafts), draftKey(enterpriseID, period), &d)
	})
	if err != nil {
		return storage.Draft{}, fmt.Errorf("draft %s %s: %w", enterpriseID, period, err)
	}
	return d, nil
}

// Submissions returns an enterprise's submissions by period and version: the key order.
func (s *Store) Submissions(ctx context.Context, enterpriseID string) ([]storage.Submission, error) {
	var out []storage.Submission
	prefix := []byte(enterpriseID + sep)
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketSubmissions).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var sub storage.Submission
			if err := json.Unmarshal(v, &sub); err != nil {
				return fmt.Errorf("decode %q: %w", k, err)
			}
			out = append(out, sub)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("submissions %s: %w", enterpriseID, err)
	}
	return out, nil
}

// Handled reports whether a message was handled: its answer stored.
func (s *Store) Handled(ctx context.Context, messageID string) (bool, error) {
	var ok bool
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		ok = handledIn(tx, messageID)
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("handled %s: %w", messageID, err)
	}
	return ok, nil
}

// handledIn reports whether a message id is handled; an empty one never is.
func handledIn(tx *bbolt.Tx, messageID string) bool {
	return messageID != "" && tx.Bucket(bucketHandled).Get([]byte(messageID)) != nil
}

// handledAtKey is the key of a handled id in handled_at: the time first, so that the oldest
// come first and PruneHandled removes a range from the start.
func handledAtKey(at time.Time, messageID []byte) []byte {
	return append(storage.AppendTimeKey(make([]byte, 0, 8+len(messageID)), at), messageID...)
}

// markHandled records a message id handled at a time. An id handled already keeps its first
// time.
func markHandled(tx *bbolt.Tx, messageID string, at time.Time) error {
	if messageID == "" || handledIn(tx, messageID) {
		return nil
	}
	v, err := at.MarshalBinary()
	if err != nil {
		return err
	}
	if err := tx.Bucket(bucketHandled).Put([]byte(messageID), v); err != nil {
		return err
	}
	return tx.Bucket(bucketHandledAt).Put(handledAtKey(at, []byte(messageID)), []byte{})
}

// errAnswered rolls back a write whose message turned out to be handled already: the write
// that handled it stored the message's changes and its answer.
var errAnswered = errors.New("message handled already")

// storeAnswer stores a in the transaction of the message's changes: its id marked handled and
// its messages queued. It returns errAnswered, for the caller to roll back, when the id was
// handled already.
func storeAnswer(tx *bbolt.Tx, a storage.Answer) error {
	if handledIn(tx, a.MessageID) {
		return errAnswered
	}
	if err := markHandled(tx, a.MessageID, a.At); err != nil {
		return fmt.Errorf("record message id: %w", err)
	}
	if err := enqueue(tx, a.Messages); err != nil {
		return fmt.Errorf("queue the answer: %w", err)
	}
	return nil
}

// checkWrite refuses a write before it starts: a done context, or messages the outbox cannot
// key.
func checkWrite(ctx context.Context, a storage.Answer) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return storage.CheckMessages(a.Messages)
}

// update runs fn and stores a in one Update. Nothing runs when a's message was handled
// already (update then reports success: see storage.Answer).
func (s *Store) update(a storage.Answer, fn func(*bbolt.Tx) error) error {
	err := s.rw(func(tx *bbolt.Tx) error {
		if handledIn(tx, a.MessageID) {
			return errAnswered
		}
		if err := fn(tx); err != nil {
			return err
		}
		return storeAnswer(tx, a)
	})
	if errors.Is(err, errAnswered) {
		return nil
	}
	return err
}

// Answer stores the answer of a message that changed nothing else.
func (s *Store) Answer(ctx context.Context, a storage.Answer) error {
	if err := checkWrite(ctx, a); err != nil {
		return fmt.Errorf("answer %s: %w", a.MessageID, err)
	}
	if err := s.update(a, func(*bbolt.Tx) error { return nil }); err != nil {
		return fmt.Errorf("answer %s: %w", a.MessageID, err)
	}
	return nil
}

// PruneHandled forgets the message ids handled before the given time and reports how many it
// removed. Transports redeliver within minutes, so ids older than a few days only cost space;
// the caller picks the horizon. The ids go in time order, from the start of handled_at.
func (s *Store) PruneHandled(ctx context.Context, before time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("prune handled: %w", err)
	}
	n := 0
	err := s.rw(func(tx *bbolt.Tx) error {
		byTime, handled := tx.Bucket(bucketHandledAt), tx.Bucket(bucketHandled)
		limit := storage.AppendTimeKey(nil, before)
		// Keys are collected first: deleting under a cursor makes its Next skip an item.
		var old [][]byte
		c := byTime.Cursor()
		for k, _ := c.First(); k != nil && len(k) >= 8 && bytes.Compare(k[:8], limit) < 0; k, _ = c.Next() {
			old = append(old, bytes.Clone(k))
		}
		for _, k := range old {
			if err := byTime.Delete(k); err != nil {
				return err
			}
			if err := handled.Delete(k[8:]); err != nil {
				return err
			}
		}
		n = len(old)
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
	answer     storage.Answer
	contactID  []byte
	version    int64
	session    []byte
	dropDraft  []byte
	draftKey   []byte
	draft      []byte
	subPrefix  []byte // enterprise, period: where the period's versions are listed
	subKey     []byte // also the key of its head
	subVersion int
	sub        []byte
	head       []byte
}

// encodeTurn checks and encodes t.
func encodeTurn(t storage.Turn) (*turnWrite, error) {
	if t.Session.ContactID == "" {
		return nil, errors.New("empty contact id")
	}
	if err := storage.CheckMessages(t.Messages); err != nil {
		return nil, err
	}
	w := &turnWrite{
		answer:    t.Answer,
		contactID: []byte(t.Session.ContactID),
		version:   t.Session.Version,
	}
	sess := t.Session
	sess.Version++
	var err error
	if w.session, err = json.Marshal(sess); err != nil {
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
		if w.draft, err = json.Marshal(d); err != nil {
			return nil, err
		}
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
		if w.sub, err = json.Marshal(sub); err != nil {
			return nil, err
		}
		w.head = appendHead(nil, sub.Head())
	}
	return w, nil
}

// CommitTurn writes a turn with its answer atomically, or nothing. A turn whose message id is
// handled already is reported as done and changes nothing, because a transport may deliver a
// message twice and Batch may run the write twice. The checks run before any write, so a
// refused turn leaves nothing behind even inside a batch that commits.
//
// A draft to drop is removed before the turn's draft is written: a turn that does both for
// one key leaves the new draft.
func (s *Store) CommitTurn(ctx context.Context, t storage.Turn) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("commit turn: %w", err)
	}
	w, err := encodeTurn(t)
	if err != nil {
		return fmt.Errorf("commit turn: %w", err)
	}
	batch := func() error { return s.batch(w.apply) }
	if t.Submission != nil {
		err = s.change(false, true, batch)
	} else {
		err = batch()
	}
	if err != nil && !errors.Is(err, errAnswered) {
		return fmt.Errorf("commit turn of %s: %w", t.Session.ContactID, err)
	}
	return nil
}

// apply is the function Batch runs. It only reads w, so running it again after a rolled-back
// batch does the same thing. It may run in another turn's goroutine, outside that one's
// guard: a fault on a damaged page is made a panic here, which bbolt's Batch recovers and
// answers by running this turn alone, in its own goroutine, under its guard.
func (w *turnWrite) apply(tx *bbolt.Tx) error {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	if handledIn(tx, w.answer.MessageID) {
		return errAnswered
	}
	sessions := tx.Bucket(bucketSessions)
	var stored storage.Session
	if err := get(sessions, w.contactID, &stored); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
	}
	if stored.Version != w.version {
		return fmt.Errorf("session read at version %d, stored %d: %w", w.version, stored.Version, storage.ErrConflict)
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

	if err := sessions.Put(w.contactID, w.session); err != nil {
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
	return storeAnswer(tx, w.answer)
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
// interrupted, so the context is only honoured at the start. A damaged page met on the way
// fails the store: from then on it refuses every read and write, since a panic inside bbolt
// may have left its locks held (a read would wait for ever) and a damaged file is never
// written to.
func (s *Store) view(ctx context.Context, fn func(*bbolt.Tx) error) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.guarded(func() error { return s.db.View(fn) })
}

// rw runs fn in a write transaction, unless the store has failed (see view).
func (s *Store) rw(fn func(*bbolt.Tx) error) error {
	return s.guarded(func() error { return s.db.Update(fn) })
}

// batch is rw through bbolt's Batch: concurrent turns share one commit.
func (s *Store) batch(fn func(*bbolt.Tx) error) error {
	return s.guarded(func() error { return s.db.Batch(fn) })
}

// guarded runs one transaction of the file unless the store has failed, and fails the store
// when the transaction meets a damaged page (see view).
func (s *Store) guarded(tx func() error) error {
	if err := s.failed.get(); err != nil {
		return err
	}
	return s.failed.set(guard(s.db.Path(), tx))
}

// Health reports a store that met a damaged page while it ran and refuses every write since.
func (s *Store) Health(context.Context) storage.Health {
	if err := s.failed.get(); err != nil {
		return storage.Health{Failed: err.Error()}
	}
	return storage.Health{}
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

// getIfAny decodes the record at key, leaving v as it is when there is none.
func getIfAny(b *bbolt.Bucket, key []byte, v any) error {
	if err := get(b, key, v); err != nil && !errors.Is(err, storage.ErrNotFound) {
		return err
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
