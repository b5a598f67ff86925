package redis

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"innobot/storage"
)

// The outbox keeps each message once, by ID, in the outbox hash, and sorted sets of ids read
// by byte order: pending (account NUL storage.AppendTimeKey(QueuedAt) seq id) lists what is
// left to send, so that Pending never walks the history of sends, and urgent lists the urgent
// ones the same way; sent (storage.AppendTimeKey(SentAt) seq id) is the history of sends in
// time order, failed (by FailedAt) that of messages given up. seq, given when the message is
// queued, orders messages queued at one instant in the order they were queued.
type outboxRecord struct {
	storage.OutboxMessage
	Seq uint64 `json:"seq"`
}

// queues are the keys enqueue writes, in its order.
func (k keys) queues() []string { return []string{k.outbox, k.pending, k.sent, k.urgent, k.failed} }

// pendingIndex is the index of a pending message.
func (k keys) pendingIndex(m storage.OutboxMessage) string {
	if m.Urgent {
		return k.urgent
	}
	return k.pending
}

func pendingMember(account string, queuedAt time.Time, seq uint64, id string) string {
	b := storage.AppendTimeKey([]byte(account+sep), queuedAt)
	b = binary.BigEndian.AppendUint64(b, seq)
	return string(append(b, id...))
}

func sentMember(sentAt time.Time, seq uint64, id string) string {
	b := binary.BigEndian.AppendUint64(storage.AppendTimeKey(nil, sentAt), seq)
	return string(append(b, id...))
}

// enqueueLua is the body shared by enqueueScript and claimScript: from ARGV[first], triples of
// id, record, index member ("p…" pending, "s…" sent, "u…" urgent, "f…" failed). A message
// whose id is stored is skipped. KEYS: outbox, pending, sent, urgent, failed from ko on.
const enqueueLua = `
local index = {p = 1, s = 2, u = 3, f = 4}
local function enqueue(first, ko)
  for i = first, #ARGV, 3 do
    local id = ARGV[i]
    if redis.call('HSETNX', KEYS[ko], id, ARGV[i+1]) == 1 then
      local idx = ARGV[i+2]
      redis.call('ZADD', KEYS[ko + index[string.sub(idx, 1, 1)]], 0, string.sub(idx, 2))
    end
  end
end
`

var enqueueScript = goredis.NewScript(enqueueLua + `
enqueue(1, 1)
return 'ok'
`)

// claimScript claims a reminder key and queues its messages. KEYS: claims, then enqueue's.
// ARGV: key, claim value (token NUL time), then enqueue's triples. A claim stored with the
// same value is this very call sent twice: it answers 1 again.
var claimScript = goredis.NewScript(enqueueLua + `
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  if cur == ARGV[2] then return 1 end
  return 0
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
enqueue(3, 2)
return 1
`)

// encodeMessages builds enqueue's triples.
func (s *Store) encodeMessages(msgs []storage.OutboxMessage) ([]any, error) {
	if err := storage.CheckMessages(msgs); err != nil {
		return nil, err
	}
	args := make([]any, 0, 3*len(msgs))
	for _, m := range msgs {
		seq := s.seq.next()
		rec, err := json.Marshal(outboxRecord{OutboxMessage: m, Seq: seq})
		if err != nil {
			return nil, fmt.Errorf("encode message %s: %w", m.ID, err)
		}
		var idx string
		switch {
		case !m.FailedAt.IsZero():
			idx = "f" + sentMember(m.FailedAt, seq, m.ID)
		case !m.SentAt.IsZero():
			idx = "s" + sentMember(m.SentAt, seq, m.ID)
		case m.Urgent:
			idx = "u" + pendingMember(m.Account, m.QueuedAt, seq, m.ID)
		default:
			idx = "p" + pendingMember(m.Account, m.QueuedAt, seq, m.ID)
		}
		args = append(args, m.ID, rec, idx)
	}
	return args, nil
}

// Enqueue adds messages in one script; one whose ID is already stored (queued or sent, or
// earlier in msgs) is left as it is, which also makes the same call sent twice harmless. A
// message given with a SentAt goes straight into the record of sends (as after a migration).
func (s *Store) Enqueue(ctx context.Context, msgs []storage.OutboxMessage) error {
	args, err := s.encodeMessages(msgs)
	if err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	if len(args) == 0 {
		return nil
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	if err := enqueueScript.Run(ctx, s.rdb, s.k.queues(), args...).Err(); err != nil {
		return fmt.Errorf("enqueue %d messages: %w", len(msgs), err)
	}
	return nil
}

// ClaimReminder claims a reminder occurrence and queues its messages in one script, or
// returns false and queues nothing when the key was claimed before, by any process sharing
// the prefix. Claims are kept for ever: a few a month.
func (s *Store) ClaimReminder(ctx context.Context, key string, at time.Time, msgs []storage.OutboxMessage) (bool, error) {
	if key == "" {
		return false, errors.New("claim reminder: empty key")
	}
	args, err := s.encodeMessages(msgs)
	if err != nil {
		return false, fmt.Errorf("claim reminder %s: %w", key, err)
	}
	claim := token() + sep + at.UTC().Format(time.RFC3339Nano)
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	n, err := claimScript.Run(ctx, s.rdb, append([]string{s.k.claims}, s.k.queues()...),
		append([]any{key, claim}, args...)...).Int()
	if err != nil {
		return false, fmt.Errorf("claim reminder %s: %w", key, err)
	}
	return n == 1, nil
}

// listScript returns the records of the ids at the end of the members of a lex range:
// KEYS outbox, index; ARGV min, max, limit, the length of the members' header.
var listScript = goredis.NewScript(`
local members = redis.call('ZRANGEBYLEX', KEYS[2], ARGV[1], ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
if #members == 0 then return {} end
local ids = {}
local h = tonumber(ARGV[4])
for i, m in ipairs(members) do ids[i] = string.sub(m, h + 1) end
local out = {}
for i = 1, #ids, 1000 do
  local vals = redis.call('HMGET', KEYS[1], unpack(ids, i, math.min(i + 999, #ids)))
  for j = 1, #vals do out[#out + 1] = vals[j] end
end
return out
`)

// list runs listScript and decodes the records, in index order.
func (s *Store) list(ctx context.Context, index, min, max string, limit int64, header int) ([]storage.OutboxMessage, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	vals, err := listScript.Run(ctx, s.rdb, []string{s.k.outbox, index}, min, max, limit, header).Slice()
	if err != nil {
		return nil, err
	}
	out := make([]storage.OutboxMessage, 0, len(vals))
	for _, v := range vals {
		str, ok := v.(string)
		if !ok {
			return nil, errors.New("an indexed message is missing")
		}
		var r outboxRecord
		if err := json.Unmarshal([]byte(str), &r); err != nil {
			return nil, fmt.Errorf("decode message: %w", err)
		}
		out = append(out, r.OutboxMessage)
	}
	return out, nil
}

// Pending returns up to limit unsent messages of an account, the urgent ones first, each part
// oldest first: by QueuedAt, then in the order they were queued. A limit of 0 or less returns
// none.
func (s *Store) Pending(ctx context.Context, account string, limit int) ([]storage.OutboxMessage, error) {
	if err := storage.CheckNUL("account", account); err != nil {
		return nil, fmt.Errorf("pending: %w", err)
	}
	var out []storage.OutboxMessage
	for _, index := range []string{s.k.urgent, s.k.pending} {
		if len(out) >= limit {
			break
		}
		part, err := s.list(ctx, index, "["+account+sep, "("+account+"\x01", int64(limit-len(out)), len(account)+1+16)
		if err != nil {
			return nil, fmt.Errorf("pending messages of %q: %w", account, err)
		}
		out = append(out, part...)
	}
	return out, nil
}

// Failed returns the messages given up at or after since, oldest first by FailedAt.
func (s *Store) Failed(ctx context.Context, since time.Time) ([]storage.OutboxMessage, error) {
	out, err := s.list(ctx, s.k.failed, "["+string(storage.AppendTimeKey(nil, since)), "+", -1, 16)
	if err != nil {
		return nil, fmt.Errorf("messages given up since %s: %w", since, err)
	}
	return out, nil
}

// Sent returns the messages sent at or after since, oldest first by SentAt.
func (s *Store) Sent(ctx context.Context, since time.Time) ([]storage.OutboxMessage, error) {
	out, err := s.list(ctx, s.k.sent, "["+string(storage.AppendTimeKey(nil, since)), "+", -1, 16)
	if err != nil {
		return nil, fmt.Errorf("messages sent since %s: %w", since, err)
	}
	return out, nil
}

// MarkSent records a send: at its time when sendErr is "", else one more failed attempt with
// the error kept (the message stays pending). A message sent or given up already is left as it
// is, so recording one send twice changes nothing. The record is changed by compare-and-set
// with the call's token, so the same call sent twice by go-redis counts one failed attempt.
func (s *Store) MarkSent(ctx context.Context, id string, at time.Time, sendErr string) error {
	if sendErr == "" && at.IsZero() {
		return fmt.Errorf("mark %s sent: zero time", id)
	}
	err := s.settle(ctx, id, func(t *txn, r *outboxRecord) bool {
		if sendErr != "" {
			r.Attempts++
			r.Error = sendErr
			return true
		}
		t.zrem(s.k.pendingIndex(r.OutboxMessage), pendingMember(r.Account, r.QueuedAt, r.Seq, id))
		if r.Forget {
			return false
		}
		r.SentAt = at
		t.zadd(s.k.sent, sentMember(at, r.Seq, id), 0)
		return true
	})
	if err != nil {
		return fmt.Errorf("mark %s sent: %w", id, err)
	}
	return nil
}

// MarkFailed gives a pending message up for good: it leaves the pending index for the failed
// one, with its reason. A message sent or given up already is left as it is.
func (s *Store) MarkFailed(ctx context.Context, id string, at time.Time, reason string) error {
	if at.IsZero() {
		return fmt.Errorf("mark %s failed: zero time", id)
	}
	err := s.settle(ctx, id, func(t *txn, r *outboxRecord) bool {
		t.zrem(s.k.pendingIndex(r.OutboxMessage), pendingMember(r.Account, r.QueuedAt, r.Seq, id))
		r.FailedAt, r.Error = at, reason
		t.zadd(s.k.failed, sentMember(at, r.Seq, id), 0)
		return true
	})
	if err != nil {
		return fmt.Errorf("mark %s failed: %w", id, err)
	}
	return nil
}

// settle changes a pending message's record with change, by compare-and-set; change returns
// false for a record to forget. A message sent or given up already is left as it is.
func (s *Store) settle(ctx context.Context, id string, change func(*txn, *outboxRecord) (keep bool)) error {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	k := s.k
	_, err := s.cas(ctx, func() (*txn, storage.Answer, error) {
		raw, err := s.hget(ctx, k.outbox, id)
		if err != nil {
			return nil, storage.Answer{}, err
		}
		if raw == nil {
			return nil, storage.Answer{}, storage.ErrNotFound
		}
		var r outboxRecord
		if err := json.Unmarshal([]byte(*raw), &r); err != nil {
			return nil, storage.Answer{}, fmt.Errorf("decode: %w", err)
		}
		if !r.SentAt.IsZero() || !r.FailedAt.IsZero() {
			return nil, storage.Answer{}, nil
		}
		t := s.newTxn()
		t.expect(k.outbox, id, raw)
		if !change(t, &r) {
			t.hdel(k.outbox, id)
			return t, storage.Answer{}, nil
		}
		v, err := json.Marshal(r)
		if err != nil {
			return nil, storage.Answer{}, err
		}
		t.hset(k.outbox, id, string(v))
		return t, storage.Answer{}, nil
	})
	return err
}
