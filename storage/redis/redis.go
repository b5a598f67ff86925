// Package redis is the storage.Backend that several innobot processes share: one bot per
// WeChat account (a county each, say), all reading and writing one Redis. It takes a
// go-redis UniversalClient, so a single server, Sentinel and Cluster all work.
//
// # One hash tag for the whole deployment
//
// Every key starts with {innobot:PREFIX} (or {innobot} for an empty prefix), so in a Cluster
// all of them hash to one slot and live on one shard. That is what lets a user's turn
// (session, draft, submission, ledger head, message id) and a binding (invite, contact,
// enterprise, the liaison replaced) be one atomic script: Redis runs a script or a
// MULTI/EXEC only over keys of one slot. Per-enterprise tags would spread the data, but a
// turn touches a contact's session and an enterprise's draft, and a handover touches two
// contacts and up to two enterprises, so those writes would cross slots and lose their
// atomicity. The price is that a Cluster gives this data no more than one shard's memory and
// throughput. A city's data (10,000 enterprises, a few MB a month) and traffic (people
// typing) are far below one shard's; a deployment that outgrows it can run one prefix per
// city, each on its own slot.
//
// # Writes
//
// Each write is one Lua script (EVALSHA, cached by go-redis' Script) or one MULTI/EXEC, so a
// write lands whole or not at all, whatever happens to the connection. Writes that depend on
// what is stored are computed here and sent with the values they were computed from; the
// script applies them only if those values are unchanged, and the caller reads again
// otherwise (optimistic compare-and-set, see txn). CommitTurn checks the session's version
// and the next free submission version inside its own script.
//
// Every write made for a message carries the message's answer (storage.Answer) in the same
// script: the id joins the handled set and the messages the outbox, and a message handled
// before makes the script write nothing (txnScript, commitScript).
//
// go-redis sends a command again when the connection fails after the command was written
// (a read timeout, a reset), so any write may run twice. Every write is safe to repeat:
// CommitTurn and the other writes made for a message by its message id; Enqueue by message
// ids; PutEnterprise(s) write the same values again; Audit adds a member carrying a random
// token, the same for both runs of one call; ClaimReminder stores a random token in the claim
// and answers true again when it finds its own; the writes that go through txn (Redeem,
// Unbind, PutInvite, PutGroup, AddBindFailure, MarkSent, SetContactDetails, PutMonthlyNote,
// Answer) record a random token per call in the ops journal (kept an hour) in the same
// script, and the second run finds it and reports what the first did. A Redeem that failed
// with an error and is sent again by the person later is a new call: the code is used by
// then, and the answer is storage.ErrInviteUsed, as storetest requires for a second Redeem by
// the same contact. RevokeInvites goes through txn too. AddWrongCode adds a member with a
// random tag, as Audit does; LockBinding and DeleteInvites write the same again.
// PruneHandled, PruneBindFailures and LockWrongCoders run twice report fewer the second time
// (those the first run removed or barred), nothing worse.
//
// Records are JSON, as in storage/bolt. The ledger's heads are a compact binary encoding
// (heads.go). Time-ordered indexes (audit log, outbox, bind failures) are sorted sets whose
// members begin with an 8-byte big-endian instant, read with ZRANGEBYLEX, so that order and
// "at or after" are exact to the nanosecond; wrong codes too (guard.go). Binding locks are
// kept to the microsecond, as numbers Lua compares.
package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"innobot/storage"
)

var (
	_ storage.Backend = (*Store)(nil)
)

// sep joins the parts of a composite field or member. NUL never occurs in ids or periods
// typed by people or imported from a spreadsheet; ids that contain it are refused.
const sep = "\x00"

// schemaVersion is written under a new prefix and checked by Ping, so that an older binary
// refuses data a newer one has changed instead of misreading it.
//
// Format 2 indexes each enterprise's drafts (the drafts key), which a turn reads in one go; a
// format-1 binary would write drafts without their index entries. Ping upgrades format-1
// data (upgradeScript). Stop every bot of a prefix before running a newer binary on it: one
// already running does not check the format again.
const schemaVersion = 2

// DefaultTimeout bounds each call when the caller's context has no earlier deadline: a bot
// whose Redis hangs must answer 系统繁忙 within seconds, not wait for ever.
const DefaultTimeout = 5 * time.Second

// maxAttempts bounds how often a compare-and-set write reads again after another write won.
const maxAttempts = 16

// opsRetention is how long the ops journal remembers a call's token: far longer than
// go-redis retries a command (milliseconds to seconds).
const opsRetention = time.Hour

// Store is a storage.Backend on Redis. It is safe for concurrent use, and any number of
// Stores (in any number of processes) may share one prefix.
type Store struct {
	rdb     goredis.UniversalClient
	owned   bool // Close closes rdb (Open made it)
	k       keys
	timeout time.Duration

	// roster caches the enterprise list under the generation counter it was read at:
	// progress over 10,000 enterprises must answer in milliseconds, and fetching and decoding
	// them all costs tens. One GET of the counter tells whether any process changed them.
	rmu       sync.Mutex
	rosterGen int64
	roster    []storage.Enterprise

	seq seqGen

	dmu        sync.Mutex
	durability Durability // what Ping found (durability.go)
}

// keys names every key of a prefix. All share the hash tag, see the package comment.
type keys struct {
	tag string

	meta       string // hash: schema
	ent        string // hash: enterprise id → Enterprise JSON, LiaisonID left empty
	liaison    string // hash: enterprise id → contact id of its liaison (Redeem's and Unbind's)
	entGen     string // counter, incremented with every change to ent or liaison
	contact    string // hash: contact id → Contact JSON
	invite     string // hash: code hash → Invite JSON
	group      string // hash: group id → Group JSON
	sess       string // hash: contact id → Session JSON
	draft      string // hash: enterprise NUL period → Draft JSON
	drafts     string // zset (lex): enterprise NUL period of every draft (format 2)
	subs       string // zset (lex): enterprise NUL period NUL version(10 digits) NUL Submission JSON
	heads      string // zset (lex): enterprise NUL period NUL version(10 digits) NUL head (heads.go)
	latest     string // hash: enterprise → period NUL version NUL head of its latest submission
	periods    string // zset (lex): every period with a submission
	handled    string // zset: message id, score Unix microseconds handled
	bindFail   string // zset (lex): contact NUL storage.AppendTimeKey token
	audit      string // zset (lex): storage.AppendTimeKey seq AuditEntry JSON
	outbox     string // hash: message id → outboxRecord JSON
	pending    string // zset (lex): account NUL storage.AppendTimeKey(QueuedAt) seq id
	sent       string // zset (lex): storage.AppendTimeKey(SentAt) seq id
	urgent     string // zset (lex): as pending, for urgent messages, read first
	failed     string // zset (lex): storage.AppendTimeKey(FailedAt) seq id
	claims     string // hash: reminder key → token NUL claimed-at (RFC 3339)
	ops        string // zset: call token, score Unix seconds (the ops journal)
	notes      string // hash: period NUL region → MonthlyNote JSON
	identities string // hash: account NUL id → Identity JSON
	wrongCodes string // zset (lex): storage.AppendTimeKey, tag, contact id (guard.go)
	bindLocks  string // hash: contact id → Unix microseconds barred until
}

func newKeys(prefix string) keys {
	tag := "{innobot}"
	if prefix != "" {
		tag = "{innobot:" + prefix + "}"
	}
	n := func(name string) string { return tag + ":" + name }
	return keys{
		tag: tag, meta: n("meta"), ent: n("ent"), liaison: n("liaison"), entGen: n("ent:gen"),
		contact: n("contact"), invite: n("invite"), group: n("group"), sess: n("sess"),
		draft: n("draft"), subs: n("subs"), heads: n("heads"), latest: n("latest"), periods: n("periods"),
		handled: n("handled"), bindFail: n("bindfail"), audit: n("audit"), outbox: n("outbox"),
		pending: n("outbox:pending"), sent: n("outbox:sent"), urgent: n("outbox:urgent"), failed: n("outbox:failed"), claims: n("claims"), ops: n("ops"),
		notes: n("notes"), identities: n("identities"), wrongCodes: n("wrongcodes"), bindLocks: n("bindlocks"),
		drafts: n("drafts"),
	}
}

// period is the hash of the heads of one period: enterprise → period NUL version NUL head
// of its latest version in that period.
func (k keys) period(p string) string { return k.tag + ":period:" + p }

// all lists every fixed key (the period hashes are listed by periods), for Export's emptiness check and for tests that clean up.
func (k keys) all() []string {
	return []string{k.meta, k.ent, k.liaison, k.entGen, k.contact, k.invite, k.group, k.sess,
		k.draft, k.subs, k.heads, k.latest, k.periods, k.handled, k.bindFail, k.audit, k.outbox, k.pending,
		k.sent, k.claims, k.ops, k.notes, k.identities, k.urgent, k.failed, k.wrongCodes, k.bindLocks, k.drafts}
}

// KeyPattern is the pattern (for redis-cli --scan --pattern) of every key a Store under prefix
// writes: what an operator deletes to empty a prefix after a failed Import.
func KeyPattern(prefix string) string { return newKeys(prefix).tag + ":*" }

// CheckPrefix reports whether a prefix can be used: braces would end the hash tag early and
// scatter the keys over slots.
func CheckPrefix(prefix string) error {
	if strings.ContainsAny(prefix, "{}") {
		return fmt.Errorf("redis prefix %q: braces are not allowed (they would break the hash tag)", prefix)
	}
	return nil
}

// New returns a Store on client under prefix; several deployments (or tests) can share one
// Redis with different prefixes. It does no I/O: Ping checks the server. The client stays the
// caller's: Close leaves it open, so one client may serve several Stores. New panics on a
// prefix CheckPrefix refuses, a programming error.
func New(client goredis.UniversalClient, prefix string) *Store {
	if err := CheckPrefix(prefix); err != nil {
		panic(err)
	}
	return &Store{rdb: client, k: newKeys(prefix), timeout: DefaultTimeout, rosterGen: -1}
}

// Open connects to the Redis a URL names, checks it with Ping and returns a Store that owns
// its client: Close closes it. The URL is one of
//
//	redis://[:PASSWORD@]HOST:PORT/DB             one server (rediss:// with TLS)
//	redis+sentinel://[:SENTINEL_PASSWORD@]SENTINEL:26379/DB?master_name=NAME&addr=SENTINEL2:26379&password=PASSWORD
//	redis+cluster://[:PASSWORD@]NODE:7000?addr=NODE2:7000
//
// read as go-redis reads them (ParseURL, ParseFailoverURL, ParseClusterURL), query options
// such as dial_timeout included. Timeouts the URL does not set are short (2 s to dial, 3 s
// to read or write) and a refused connection is dialled twice, not five times, so that a
// Redis that is down shows as 系统繁忙 within a fraction of a second. The client honours the
// caller's deadline on the socket too (go-redis ContextTimeoutEnabled), and so does every
// retry, so that a hung Redis holds a message no longer than the router's deadline; a client
// built for New needs ContextTimeoutEnabled set for the same.
func Open(ctx context.Context, url, prefix string) (*Store, error) {
	if err := CheckPrefix(prefix); err != nil {
		return nil, err
	}
	client, err := dial(url)
	if err != nil {
		return nil, err
	}
	s := New(client, prefix)
	s.owned = true
	if err := s.Ping(ctx); err != nil {
		s.rdb.Close()
		return nil, err
	}
	return s, nil
}

// Ping checks that Redis answers and that the data under the prefix is in a format this
// program reads, marks a new prefix with that format and upgrades an older one. It also reads
// the settings that decide what an acknowledged write survives (Durability).
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	if err := s.rdb.HSetNX(ctx, s.k.meta, "schema", schemaVersion).Err(); err != nil {
		return fmt.Errorf("redis %s: %w", s.k.tag, err)
	}
	v, err := s.rdb.HGet(ctx, s.k.meta, "schema").Int()
	if err != nil {
		return fmt.Errorf("redis %s: schema: %w", s.k.tag, err)
	}
	if v > schemaVersion {
		return fmt.Errorf("redis %s: data format %d is newer than this program's %d", s.k.tag, v, schemaVersion)
	}
	if v < schemaVersion {
		if err := upgradeScript.Run(ctx, s.rdb, []string{s.k.meta, s.k.draft, s.k.drafts}).Err(); err != nil {
			return fmt.Errorf("redis %s: upgrade from format %d: %w", s.k.tag, v, err)
		}
	}
	s.checkDurability(ctx)
	return nil
}

// upgradeScript brings format-1 data to format 2: every draft gets its entry in the drafts
// index. KEYS: meta, draft, drafts. Data of another format is left alone.
var upgradeScript = goredis.NewScript(`
if redis.call('HGET', KEYS[1], 'schema') ~= '1' then return 0 end
local fields = redis.call('HKEYS', KEYS[2])
for i = 1, #fields, 1000 do
  local args = {}
  for j = i, math.min(i + 999, #fields) do
    args[#args + 1] = 0
    args[#args + 1] = fields[j]
  end
  redis.call('ZADD', KEYS[3], unpack(args))
end
redis.call('HSET', KEYS[1], 'schema', 2)
return 1
`)

// Close releases the client when Open made it; a client given to New stays open.
func (s *Store) Close() error {
	if !s.owned {
		return nil
	}
	if err := s.rdb.Close(); err != nil {
		return fmt.Errorf("close redis store: %w", err)
	}
	return nil
}

// ctx bounds a call by the store's timeout unless the caller's deadline is sooner.
func (s *Store) ctx(ctx context.Context) (context.Context, context.CancelFunc) {
	if d, ok := ctx.Deadline(); ok && time.Until(d) <= s.timeout {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, s.timeout)
}

// seqGen hands out increasing numbers that order records made at one instant (audit entries,
// outbox messages) in the order this process made them: the wall clock in nanoseconds, moved
// on by one when it did not advance. Between processes the order is the wall clocks'.
type seqGen struct {
	mu   sync.Mutex
	last uint64
}

func (g *seqGen) next() uint64 {
	n := uint64(time.Now().UnixNano())
	g.mu.Lock()
	defer g.mu.Unlock()
	if n <= g.last {
		n = g.last + 1
	}
	g.last = n
	return n
}

// token returns a random call token for the ops journal and for members that must stay
// unique when the same call runs twice but differ between calls.
func token() string {
	var b [12]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return hex.EncodeToString(b[:])
}

// micros is t in Unix microseconds: a sorted-set score, exact as a float64 until 2255.
func micros(t time.Time) int64 { return t.UnixMicro() }

// isNil reports a missing key or field, which go-redis returns as an error.
func isNil(err error) bool { return errors.Is(err, goredis.Nil) }
