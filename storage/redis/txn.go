package redis

import (
	"context"
	"fmt"
	"strconv"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"innobot/storage"
)

// answerLua is the body shared by the scripts of writes made for a message (txnScript,
// commitScript): answered says whether the message id was handled already; answer marks it
// handled with its score and queues the messages from ARGV[first] (enqueue's triples). KEYS:
// handled at hk, the outbox's keys (keys.queues) from ko.
const answerLua = enqueueLua + `
local function answered(hk, id)
  return id ~= '' and redis.call('ZSCORE', KEYS[hk], id)
end
local function answer(hk, id, score, ko, first)
  if id ~= '' then redis.call('ZADD', KEYS[hk], score, id) end
  enqueue(first, ko)
end
`

// txnScript applies a set of writes only if the hash fields they were computed from still
// hold what was read: compare-and-set over any number of fields of one slot, which is all
// Redeem, Unbind and MarkSent need and which MULTI/EXEC with WATCH would do only by watching
// whole hashes (every other write to the contact hash would then abort a binding). The writes
// carry the answer of the message they were made for (storage.Answer).
//
// KEYS: the ops journal, handled, the outbox's keys (keys.queues), then the keys named by
// index in ARGV. ARGV: token ("" for none), now (Unix seconds), retention (seconds), checks, writes,
// the answer's message id and score, then per check (key index, field, "=" value | "-"
// absent), per write (op, key index, a, b), then the answer's messages (enqueue's triples).
// It returns "ok", "conflict" (nothing written), "replay" (this token's writes were made
// before: go-redis sent the call again) or "answered" (the message was handled before: nothing
// written).
var txnScript = goredis.NewScript(answerLua + `
local token = ARGV[1]
if token ~= '' and redis.call('ZSCORE', KEYS[1], token) then return 'replay' end
if answered(2, ARGV[6]) then return 'answered' end
local i = 8
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
  elseif op == 'zremlex' then redis.call('ZREMRANGEBYLEX', k, a, b)
  elseif op == 'incr' then redis.call('INCR', k)
  else return redis.error_reply('txn: unknown op ' .. op) end
end
answer(2, ARGV[6], ARGV[7], 3, i)
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

// newTxn starts a transaction with the keys txnScript names first.
func (s *Store) newTxn() *txn {
	t := &txn{index: map[string]int{}}
	for _, k := range append([]string{s.k.ops, s.k.handled}, s.k.queues()...) {
		t.key(k)
	}
	return t
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
func (t *txn) zrem(key, member string)      { t.write("zrem", key, member, "") }
func (t *txn) zremLex(key, min, max string) { t.write("zremlex", key, min, max) }
func (t *txn) incr(key string)              { t.write("incr", key, "", "") }

// outcome is what a transaction did.
type outcome int

const (
	written  outcome = iota // the writes were made, now or before by the same token
	conflict                // a check failed: nothing was written, read again
	answered                // the message was handled before: nothing was written
)

// cas runs the transaction plan returns, carrying the answer plan returns, until no check
// fails: plan reads what the writes depend on, and runs again after another write changed it
// (at most maxAttempts times). Every run carries the same token, so a call go-redis sends
// twice writes once. It returns answered when the message was handled before (nothing
// written), else written; a plan that returns no transaction has nothing to write.
func (s *Store) cas(ctx context.Context, plan func() (*txn, storage.Answer, error)) (outcome, error) {
	tok := token()
	for range maxAttempts {
		t, a, err := plan()
		if err != nil || t == nil {
			return written, err
		}
		msgs, err := s.encodeMessages(a.Messages)
		if err != nil {
			return conflict, err
		}
		o, err := s.run(ctx, t, tok, a.MessageID, micros(a.At), msgs)
		if err != nil || o != conflict {
			return o, err
		}
	}
	return conflict, fmt.Errorf("records kept changing: %w", storage.ErrConflict)
}

// put runs writes that depend on nothing read, carrying a.
func (s *Store) put(ctx context.Context, a storage.Answer, build func(t *txn)) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.cas(ctx, func() (*txn, storage.Answer, error) {
		t := s.newTxn()
		build(t)
		return t, a, nil
	})
	return err
}

// run sends the transaction with its answer: the message id, its score, enqueue's triples.
func (s *Store) run(ctx context.Context, t *txn, tok, messageID string, score int64, msgs []any) (outcome, error) {
	args := make([]any, 0, 7+len(t.checks)+len(t.writes)+len(msgs))
	args = append(args, tok, time.Now().Unix(), int64(opsRetention/time.Second), t.nc, t.nw, messageID, score)
	args = append(args, t.checks...)
	args = append(args, t.writes...)
	args = append(args, msgs...)
	res, err := s.runWrite(ctx, txnScript, t.keys, args...).Text()
	if err != nil {
		return conflict, err
	}
	switch res {
	case "ok", "replay":
		return written, nil
	case "conflict":
		return conflict, nil
	case "answered":
		return answered, nil
	}
	return conflict, fmt.Errorf("txn script answered %q", res)
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
