package redis

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"innobot/storage"
)

var (
	_ storage.InviteAdmin = (*Store)(nil)
	_ storage.BindGuard   = (*Store)(nil)
)

// Invites returns every stored code, ordered by hash.
func (s *Store) Invites(ctx context.Context) ([]storage.Invite, error) {
	out, err := hashList[storage.Invite](ctx, s, s.k.invite)
	if err != nil {
		return nil, fmt.Errorf("list invites: %w", err)
	}
	return out, nil
}

// RevokeInvites marks the unused codes of the hashes given revoked, in one compare-and-set
// over the codes it read (read again when another write changed one meanwhile).
func (s *Store) RevokeInvites(ctx context.Context, hashes []string, at time.Time) (int, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	n := 0
	_, err := s.cas(ctx, func() (*txn, storage.Answer, error) {
		t := s.newTxn()
		var err error
		if n, err = s.planRevoke(ctx, t, hashes, at); err != nil || n == 0 {
			return nil, storage.Answer{}, err
		}
		return t, storage.Answer{}, nil
	})
	if err != nil {
		return 0, fmt.Errorf("revoke invites: %w", err)
	}
	return n, nil
}

// planRevoke adds to t the revocation of the codes of hashes at a time, each written only if
// the code is unchanged since read; used, revoked and unknown codes are left. It returns how
// many it revokes.
func (s *Store) planRevoke(ctx context.Context, t *txn, hashes []string, at time.Time) (int, error) {
	n := 0
	for _, h := range hashes {
		raw, err := s.hget(ctx, s.k.invite, h)
		if err != nil {
			return 0, err
		}
		if raw == nil {
			continue
		}
		var inv storage.Invite
		if err := json.Unmarshal([]byte(*raw), &inv); err != nil {
			return 0, fmt.Errorf("decode: %w", err)
		}
		if !inv.Revocable() {
			continue
		}
		inv.RevokedAt = at
		v, err := json.Marshal(inv)
		if err != nil {
			return 0, err
		}
		t.expect(s.k.invite, h, raw)
		t.hset(s.k.invite, h, string(v))
		n++
	}
	return n, nil
}

// DeleteInvites removes the codes of the hashes given.
func (s *Store) DeleteInvites(ctx context.Context, hashes []string) (int, error) {
	if len(hashes) == 0 {
		return 0, nil
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	n, err := s.rdb.HDel(ctx, s.k.invite, hashes...).Result()
	if err != nil {
		return 0, fmt.Errorf("delete invites: %w", err)
	}
	return int(n), nil
}

// wrongCodeMember is a wrong code's member: its time (storage.AppendTimeKey), a random tag
// (codes of one instant are all kept; the same call sent twice adds one), then the contact.
func wrongCodeMember(contactID string, at time.Time) string {
	return string(storage.AppendTimeKey(nil, at)) + token()[:wrongCodeTag] + contactID
}

// wrongCodeTag is the length of the tag in a wrong code's member.
const wrongCodeTag = 8

// AddWrongCode records a code that matched nothing.
func (s *Store) AddWrongCode(ctx context.Context, contactID string, at time.Time) error {
	if err := storage.CheckID("contact id", contactID); err != nil {
		return fmt.Errorf("add wrong code: %w", err)
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	if err := s.rdb.ZAdd(ctx, s.k.wrongCodes, goredis.Z{Member: wrongCodeMember(contactID, at)}).Err(); err != nil {
		return fmt.Errorf("add wrong code of %s: %w", contactID, err)
	}
	return nil
}

// WrongCodes counts the wrong codes at or after since.
func (s *Store) WrongCodes(ctx context.Context, since time.Time) (int, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	n, err := s.rdb.ZLexCount(ctx, s.k.wrongCodes, "["+string(storage.AppendTimeKey(nil, since)), "+").Result()
	if err != nil {
		return 0, fmt.Errorf("count wrong codes: %w", err)
	}
	return int(n), nil
}

// Locks are kept as Unix microseconds, which Lua compares exactly as numbers.

// lockScript bars each contact of ARGV[2..] until ARGV[1] unless a later lock is stored, and
// returns those it barred. KEYS[1] is the locks hash.
var lockScript = goredis.NewScript(`
local upto = tonumber(ARGV[1])
local out = {}
for i = 2, #ARGV do
  local cur = redis.call('HGET', KEYS[1], ARGV[i])
  if not cur or tonumber(cur) < upto then
    redis.call('HSET', KEYS[1], ARGV[i], ARGV[1])
    table.insert(out, ARGV[i])
  end
end
return out
`)

// lockCodersScript bars every contact with a wrong code whose member is at or after ARGV[1]
// (a ZRANGEBYLEX bound) until ARGV[2], unless a later lock is stored, and returns those it
// barred. KEYS[1] is the wrong codes, KEYS[2] the locks.
var lockCodersScript = goredis.NewScript(`
local upto = tonumber(ARGV[2])
local out, seen = {}, {}
for _, m in ipairs(redis.call('ZRANGEBYLEX', KEYS[1], ARGV[1], '+')) do
  local id = string.sub(m, 17)
  if not seen[id] then
    seen[id] = true
    local cur = redis.call('HGET', KEYS[2], id)
    if not cur or tonumber(cur) < upto then
      redis.call('HSET', KEYS[2], id, ARGV[2])
      table.insert(out, id)
    end
  end
end
return out
`)

// LockBinding bars a contact from binding until a time, keeping a later lock.
func (s *Store) LockBinding(ctx context.Context, contactID string, until time.Time) error {
	if err := storage.CheckID("contact id", contactID); err != nil {
		return fmt.Errorf("lock binding: %w", err)
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	if err := lockScript.Run(ctx, s.rdb, []string{s.k.bindLocks}, micros(until), contactID).Err(); err != nil && !isNil(err) {
		return fmt.Errorf("lock binding of %s: %w", contactID, err)
	}
	return nil
}

// LockWrongCoders bars every contact with a wrong code at or after since, in one script. Sent
// twice by go-redis, the second run returns fewer (those barred by the first are barred).
func (s *Store) LockWrongCoders(ctx context.Context, since, until time.Time) ([]string, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	from := "[" + string(storage.AppendTimeKey(nil, since))
	locked, err := lockCodersScript.Run(ctx, s.rdb, []string{s.k.wrongCodes, s.k.bindLocks}, from, micros(until)).StringSlice()
	if err != nil && !isNil(err) {
		return nil, fmt.Errorf("lock wrong coders: %w", err)
	}
	return locked, nil
}

// BindingLocked returns until when a contact is barred from binding.
func (s *Store) BindingLocked(ctx context.Context, contactID string) (time.Time, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	v, err := s.rdb.HGet(ctx, s.k.bindLocks, contactID).Result()
	switch {
	case isNil(err):
		return time.Time{}, nil
	case err != nil:
		return time.Time{}, fmt.Errorf("binding lock of %s: %w", contactID, err)
	}
	us, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("binding lock of %s: %q: %w", contactID, v, err)
	}
	return time.UnixMicro(us).UTC(), nil
}

// pruneLocksScript deletes the locks that end before ARGV[1] and returns how many.
var pruneLocksScript = goredis.NewScript(`
local before, n = tonumber(ARGV[1]), 0
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if tonumber(all[i+1]) < before then
    redis.call('HDEL', KEYS[1], all[i])
    n = n + 1
  end
end
return n
`)

// PruneBindFailures forgets refused and wrong codes sent before a time and the locks that
// ended before it. Each kind is removed in a command of its own: what another bot adds
// meanwhile is newer and stays.
func (s *Store) PruneBindFailures(ctx context.Context, before time.Time) (int, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	wrong, err := s.rdb.ZRemRangeByLex(ctx, s.k.wrongCodes, "-", "("+string(storage.AppendTimeKey(nil, before))).Result()
	if err != nil {
		return 0, fmt.Errorf("prune wrong codes: %w", err)
	}
	locks, err := pruneLocksScript.Run(ctx, s.rdb, []string{s.k.bindLocks}, micros(before)).Int64()
	if err != nil {
		return 0, fmt.Errorf("prune bind locks: %w", err)
	}
	// Refused codes are kept by contact, then time: the old ones are found by reading all.
	members, err := s.rdb.ZRange(ctx, s.k.bindFail, 0, -1).Result()
	if err != nil {
		return 0, fmt.Errorf("prune bind failures: %w", err)
	}
	var old []any
	for _, m := range members {
		_, rest, ok := strings.Cut(m, sep)
		if ok && len(rest) >= 8 && storage.ReadTimeKey([]byte(rest[:8])).Before(before) {
			old = append(old, m)
		}
	}
	if len(old) > 0 {
		if err := s.rdb.ZRem(ctx, s.k.bindFail, old...).Err(); err != nil {
			return 0, fmt.Errorf("prune bind failures: %w", err)
		}
	}
	return int(wrong+locks) + len(old), nil
}

// exportGuard adds the wrong codes and the locks to a dump.
func (s *Store) exportGuard(ctx context.Context, d *storage.Dump) error {
	members, err := s.rdb.ZRange(ctx, s.k.wrongCodes, 0, -1).Result()
	if err != nil {
		return fmt.Errorf("export wrong codes: %w", err)
	}
	for _, m := range members {
		if len(m) <= 8+wrongCodeTag {
			return fmt.Errorf("export wrong codes: bad member %q", m)
		}
		d.WrongCodes = append(d.WrongCodes, storage.BindFailure{ContactID: m[8+wrongCodeTag:], At: storage.ReadTimeKey([]byte(m[:8]))})
	}
	locks, err := s.rdb.HGetAll(ctx, s.k.bindLocks).Result()
	if err != nil {
		return fmt.Errorf("export bind locks: %w", err)
	}
	for id := range locks {
		until, err := s.BindingLocked(ctx, id)
		if err != nil {
			return fmt.Errorf("export bind locks: %w", err)
		}
		d.BindLocks = append(d.BindLocks, storage.BindLock{ContactID: id, Until: until})
	}
	slices.SortFunc(d.BindLocks, func(a, b storage.BindLock) int { return strings.Compare(a.ContactID, b.ContactID) })
	return nil
}

// importGuard writes a dump's wrong codes and locks.
func (s *Store) importGuard(ctx context.Context, d storage.Dump) error {
	for _, w := range d.WrongCodes {
		if err := s.AddWrongCode(ctx, w.ContactID, w.At); err != nil {
			return fmt.Errorf("import: %w", err)
		}
	}
	for _, l := range d.BindLocks {
		if err := s.LockBinding(ctx, l.ContactID, l.Until); err != nil {
			return fmt.Errorf("import: %w", err)
		}
	}
	return nil
}
