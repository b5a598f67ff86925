package redis

import (
	"context"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"
)

// txnScript applies a set of writes only if the hash fields they were computed from still
// hold what was read: compare-and-set over any number of fields of one slot, which is all
// Redeem, Unbind and MarkSent need and which MULTI/EXEC with WATCH would do only by watching
// whole hashes (every other write to the contact hash would then abort a binding).
//
// KEYS[1] is the ops journal; the rest are the keys named by index in ARGV.
// ARGV: token ("" for none), now (Unix seconds), retention (seconds), checks, writes, then
// per check (key index, field, "=" value | "-" absent) and per write (op, key index, a, b).
// It returns "ok", "conflict" (nothing written) or "replay" (this token's writes were made
// before: go-redis sent the call again).
var txnScript = goredis.NewScript(`
local token = ARGV[1]
if token ~= '' and redis.call('ZSCORE', KEYS[1], token) then return 'replay' end
local i = 6
for n = 1, tonumber(ARGV[4]) do
  local k, f, mode, v = KEYS[tonumber(ARGV[i])], ARGV[i+1], ARGV[i+2], ARGV[i+3]
  i = i + 4
  local cur = redis.call('HGET', k, f)
  if mode == '-' then
    if cur then return 'conflict' end
  elseif cur ~= v then
    return 'conflict'
  end
end
for n = 1, tonumber(ARGV[5]) do
  local op, k, a, b = ARGV[i], KEYS[tonumber(ARGV[i+1])], ARGV[i+2], ARGV[i+3]
  i = i + 4
  if op == 'hset' then redis.call('HSET', k, a, b)
  elseif op == 'hdel' then redis.call('HDEL', k, a)
  elseif op == 'zadd' then redis.call('ZADD', k, b, a)
  elseif op == 'zrem' then redis.call('ZREM', k, a)
  elseif op == 'incr' then redis.call('INCR', k)
  else return redis.error_reply('txn: unknown op ' .. op) end
end
if token ~= '' then
  local now = tonumber(ARGV[2])
  redis.call('ZADD', KEYS[1], now, token)
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', '(' .. (now - tonumber(ARGV[3])))
end
return 'ok'
`)

// txn collects the checks and writes of one compare-and-set.
type txn struct {
	keys   []string
	index  map[string]int
	checks []any
	writes []any
	nc, nw int
}

func newTxn(ops string) *txn {
	return &txn{keys: []string{ops}, index: map[string]int{ops: 1}}
}

func (t *txn) key(k string) int {
	if i, ok := t.index[k]; ok {
		return i
	}
	t.keys = append(t.keys, k)
	t.index[k] = len(t.keys)
	return len(t.keys)
}

// expect requires hash field key/field to hold cur, or to be absent when cur is nil.
func (t *txn) expect(key, field string, cur *string) {
	if cur == nil {
		t.checks = append(t.checks, t.key(key), field, "-", "")
	} else {
		t.checks = append(t.checks, t.key(key), field, "=", *cur)
	}
	t.nc++
}

func (t *txn) write(op, key, a, b string) {
	t.writes = append(t.writes, op, t.key(key), a, b)
	t.nw++
}

func (t *txn) hset(key, field, value string) { t.write("hset", key, field, value) }
func (t *txn) hdel(key, field string)        { t.write("hdel", key, field, "") }
func (t *txn) zadd(key, member string, score float64) {
	t.write("zadd", key, member, strconv.FormatFloat(score, 'f', -1, 64))
}
func (t *txn) zrem(key, member string) { t.write("zrem", key, member, "") }
func (t *txn) incr(key string)         { t.write("incr", key, "", "") }

// run sends the transaction. It returns true when the writes were made (now, or before by
// the same token), false when a check failed and nothing was written.
func (s *Store) run(ctx context.Context, t *txn, tok string) (bool, error) {
	args := make([]any, 0, 5+len(t.checks)+len(t.writes))
	args = append(args, tok, time.Now().Unix(), int64(opsRetention/time.Second), t.nc, t.nw)
	args = append(args, t.checks...)
	args = append(args, t.writes...)
	res, err := txnScript.Run(ctx, s.rdb, t.keys, args...).Text()
	if err != nil {
		return false, err
	}
	switch res {
	case "ok", "replay":
		return true, nil
	case "conflict":
		return false, nil
	}
	return false, fmt.Errorf("txn script answered %q", res)
}

// hget returns a hash field, nil when it is absent.
func (s *Store) hget(ctx context.Context, key, field string) (*string, error) {
	v, err := s.rdb.HGet(ctx, key, field).Result()
	if isNil(err) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	return &v, nil
}
