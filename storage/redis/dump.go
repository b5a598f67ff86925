package redis

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"innobot/storage"
)

var _ storage.Dumper = (*Store)(nil)

// Export reads every record under the prefix (storage.Dumper). It is not one snapshot: it
// reads key by key, so stop the bots first.
func (s *Store) Export(ctx context.Context) (storage.Dump, error) {
	d, err := s.export(ctx)
	if err != nil {
		return storage.Dump{}, err
	}
	return *d, nil
}

func (s *Store) export(ctx context.Context) (*storage.Dump, error) {
	ctx, cancel := context.WithTimeout(ctx, 20*s.timeout)
	defer cancel()
	k := s.k
	d := &storage.Dump{}
	var err error
	if d.Enterprises, err = s.Enterprises(ctx); err != nil {
		return nil, err
	}
	if d.Contacts, err = s.Contacts(ctx); err != nil {
		return nil, err
	}
	if d.Groups, err = s.Groups(ctx); err != nil {
		return nil, err
	}
	if d.Invites, err = hashList[storage.Invite](ctx, s, k.invite); err != nil {
		return nil, fmt.Errorf("export invites: %w", err)
	}
	if d.Sessions, err = hashList[storage.Session](ctx, s, k.sess); err != nil {
		return nil, fmt.Errorf("export sessions: %w", err)
	}
	if d.Drafts, err = hashList[storage.Draft](ctx, s, k.draft); err != nil {
		return nil, fmt.Errorf("export drafts: %w", err)
	}
	subs, err := s.rdb.ZRange(ctx, k.subs, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("export submissions: %w", err)
	}
	for _, m := range subs {
		sub, err := decodeSubmission(m)
		if err != nil {
			return nil, fmt.Errorf("export submissions: %w", err)
		}
		d.Submissions = append(d.Submissions, sub)
	}
	if d.Audit, err = s.AuditLog(ctx, time.Time{}); err != nil {
		return nil, err
	}
	if d.MonthlyNotes, err = hashList[storage.MonthlyNote](ctx, s, k.notes); err != nil {
		return nil, fmt.Errorf("export monthly notes: %w", err)
	}
	if d.Identities, err = hashList[storage.Identity](ctx, s, k.identities); err != nil {
		return nil, fmt.Errorf("export identities: %w", err)
	}
	recs, err := hashList[outboxRecord](ctx, s, k.outbox)
	if err != nil {
		return nil, fmt.Errorf("export outbox: %w", err)
	}
	slices.SortStableFunc(recs, func(a, b outboxRecord) int { return cmp.Compare(a.Seq, b.Seq) })
	for _, r := range recs {
		d.Outbox = append(d.Outbox, r.OutboxMessage)
	}
	claims, err := s.rdb.HGetAll(ctx, k.claims).Result()
	if err != nil {
		return nil, fmt.Errorf("export claims: %w", err)
	}
	for key, v := range claims {
		_, at, _ := strings.Cut(v, sep)
		t, err := time.Parse(time.RFC3339Nano, at)
		if err != nil {
			return nil, fmt.Errorf("export claim %s: %w", key, err)
		}
		d.Claims = append(d.Claims, storage.Claim{Key: key, At: t})
	}
	slices.SortFunc(d.Claims, func(a, b storage.Claim) int { return strings.Compare(a.Key, b.Key) })
	handled, err := s.rdb.ZRangeWithScores(ctx, k.handled, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("export handled ids: %w", err)
	}
	for _, z := range handled {
		d.Handled = append(d.Handled, storage.Handled{ID: z.Member.(string), At: time.UnixMicro(int64(z.Score)).UTC()})
	}
	fails, err := s.rdb.ZRange(ctx, k.bindFail, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("export bind failures: %w", err)
	}
	for _, m := range fails {
		contact, rest, ok := strings.Cut(m, sep)
		if !ok || len(rest) < 8 {
			return nil, fmt.Errorf("export bind failures: bad member %q", m)
		}
		d.BindFailures = append(d.BindFailures, storage.BindFailure{ContactID: contact, At: storage.ReadTimeKey([]byte(rest[:8]))})
	}
	if err := s.exportGuard(ctx, d); err != nil {
		return nil, err
	}
	return d, nil
}

// Import writes a Dump under an empty prefix (storage.Dumper), then builds the ledger's index
// from the submissions. A prefix that holds data is storage.ErrNotEmpty. It is not atomic: if
// it fails, delete the prefix's keys and run it again.
func (s *Store) Import(ctx context.Context, d storage.Dump) error {
	ctx, cancel := context.WithTimeout(ctx, 60*s.timeout)
	defer cancel()
	k := s.k
	keys := slices.DeleteFunc(k.all(), func(key string) bool { return key == k.meta })
	n, err := s.rdb.Exists(ctx, keys...).Result()
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if n > 0 {
		return fmt.Errorf("import into prefix %s: %w", k.tag, storage.ErrNotEmpty)
	}
	if err := s.Ping(ctx); err != nil {
		return err
	}

	// Hashes of JSON records, in chunks so that no command is huge.
	hset := func(key string, fields []any) error {
		const chunk = 2000
		for i := 0; i < len(fields); i += chunk {
			if err := s.rdb.HSet(ctx, key, fields[i:min(i+chunk, len(fields))]...).Err(); err != nil {
				return err
			}
		}
		return nil
	}
	var errs []error
	put := func(what, key string, fields []any, err error) {
		if err == nil {
			err = hset(key, fields)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("import %s: %w", what, err))
		}
	}
	var ents, liaisons []any
	for _, e := range d.Enterprises {
		if e.LiaisonID != "" {
			liaisons = append(liaisons, e.ID, e.LiaisonID)
		}
		e.LiaisonID = ""
		v, err := json.Marshal(e)
		if err != nil {
			return err
		}
		ents = append(ents, e.ID, v)
	}
	put("enterprises", k.ent, ents, nil)
	put("liaisons", k.liaison, liaisons, nil)
	f, err := jsonFields(d.Contacts, func(c storage.Contact) string { return c.ID })
	put("contacts", k.contact, f, err)
	f, err = jsonFields(d.Invites, func(i storage.Invite) string { return i.Hash })
	put("invites", k.invite, f, err)
	f, err = jsonFields(d.Groups, func(g storage.Group) string { return g.ID })
	put("groups", k.group, f, err)
	f, err = jsonFields(d.Sessions, func(x storage.Session) string { return x.ContactID })
	put("sessions", k.sess, f, err)
	f, err = jsonFields(d.Drafts, func(x storage.Draft) string { return x.EnterpriseID + sep + x.Period })
	put("drafts", k.draft, f, err)
	draftIndex := make([]goredis.Z, 0, len(d.Drafts))
	for _, x := range d.Drafts {
		draftIndex = append(draftIndex, goredis.Z{Member: x.EnterpriseID + sep + x.Period})
	}
	var claims []any
	for _, c := range d.Claims {
		claims = append(claims, c.Key, "migrated"+sep+c.At.UTC().Format(time.RFC3339Nano))
	}
	put("claims", k.claims, claims, nil)
	for _, n := range d.MonthlyNotes {
		if err := storage.CheckNote(n); err != nil {
			return fmt.Errorf("import monthly note: %w", err)
		}
	}
	f, err = jsonFields(d.MonthlyNotes, func(n storage.MonthlyNote) string { return noteField(n.Period, n.Region) })
	put("monthly notes", k.notes, f, err)
	if err := storage.CheckIdentities(d.Identities); err != nil {
		return fmt.Errorf("import identity: %w", err)
	}
	f, err = jsonFields(d.Identities, func(i storage.Identity) string { return identityField(i.Account, i.ID) })
	put("identities", k.identities, f, err)
	if err := errors.Join(errs...); err != nil {
		return err
	}

	// Sorted sets.
	zadd := func(what, key string, zs []goredis.Z) error {
		const chunk = 2000
		for i := 0; i < len(zs); i += chunk {
			if err := s.rdb.ZAdd(ctx, key, zs[i:min(i+chunk, len(zs))]...).Err(); err != nil {
				return fmt.Errorf("import %s: %w", what, err)
			}
		}
		return nil
	}
	var zs []goredis.Z
	for _, sub := range d.Submissions {
		if err := storage.CheckKey(sub.EnterpriseID, sub.Period); err != nil {
			return fmt.Errorf("import submission: %w", err)
		}
		v, err := json.Marshal(sub)
		if err != nil {
			return err
		}
		zs = append(zs, goredis.Z{Member: subPrefix(sub.EnterpriseID, sub.Period) + versionPart(sub.Version) + sep + string(v)})
	}
	if err := zadd("submissions", k.subs, zs); err != nil {
		return err
	}
	if err := zadd("drafts index", k.drafts, draftIndex); err != nil {
		return err
	}
	zs = zs[:0]
	for _, h := range d.Handled {
		zs = append(zs, goredis.Z{Member: h.ID, Score: float64(micros(h.At))})
	}
	if err := zadd("handled ids", k.handled, zs); err != nil {
		return err
	}
	zs = zs[:0]
	for _, b := range d.BindFailures {
		zs = append(zs, goredis.Z{Member: bindFailureMember(b.ContactID, b.At, token())})
	}
	if err := zadd("bind failures", k.bindFail, zs); err != nil {
		return err
	}
	if err := s.importGuard(ctx, d); err != nil {
		return err
	}
	for _, e := range d.Audit {
		if err := s.Audit(ctx, e); err != nil {
			return fmt.Errorf("import audit log: %w", err)
		}
	}
	for i := 0; i < len(d.Outbox); i += 500 {
		if err := s.Enqueue(ctx, d.Outbox[i:min(i+500, len(d.Outbox))]); err != nil {
			return fmt.Errorf("import outbox: %w", err)
		}
	}
	if err := s.rdb.Incr(ctx, k.entGen).Err(); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	return s.RebuildHeads(ctx)
}

// jsonFields encodes records as field, JSON pairs for HSET.
func jsonFields[T any](recs []T, key func(T) string) ([]any, error) {
	out := make([]any, 0, 2*len(recs))
	for _, r := range recs {
		v, err := json.Marshal(r)
		if err != nil {
			return nil, err
		}
		out = append(out, key(r), v)
	}
	return out, nil
}
