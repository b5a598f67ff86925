package redis

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"innobot/storage"
)

// PutEnterprise adds an enterprise or replaces its registry fields by ID. The liaison lives
// in its own hash, which only Redeem and Unbind write, so a put never needs to read.
func (s *Store) PutEnterprise(ctx context.Context, e storage.Enterprise) error {
	if err := storage.CheckID("enterprise id", e.ID); err != nil {
		return fmt.Errorf("put enterprise: %w", err)
	}
	if err := s.putEnterprises(ctx, []storage.Enterprise{e}); err != nil {
		return fmt.Errorf("put enterprise %s: %w", e.ID, err)
	}
	return nil
}

// PutEnterprises adds or replaces many enterprises in one MULTI/EXEC (an import): one HSET of
// every field, so a later enterprise of the same ID wins, as if they were put one by one.
func (s *Store) PutEnterprises(ctx context.Context, es []storage.Enterprise) error {
	for i, e := range es {
		if err := storage.CheckID("enterprise id", e.ID); err != nil {
			return fmt.Errorf("put enterprises: enterprise %d: %w", i, err)
		}
	}
	if len(es) == 0 {
		return nil
	}
	if err := s.putEnterprises(ctx, es); err != nil {
		return fmt.Errorf("put %d enterprises: %w", len(es), err)
	}
	return nil
}

func (s *Store) putEnterprises(ctx context.Context, es []storage.Enterprise) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	fields := make([]any, 0, 2*len(es))
	for _, e := range es {
		e.LiaisonID = ""
		v, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("encode %s: %w", e.ID, err)
		}
		fields = append(fields, e.ID, v)
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.rdb.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		p.HSet(ctx, s.k.ent, fields...)
		p.Incr(ctx, s.k.entGen)
		return nil
	})
	return err
}

// enterpriseScript reads an enterprise and its liaison in one command: every turn loads its
// enterprise, and a script costs the server less than MULTI, two HGETs and EXEC.
var enterpriseScript = goredis.NewScript(`
return {redis.call('HGET', KEYS[1], ARGV[1]), redis.call('HGET', KEYS[2], ARGV[1])}
`)

// Enterprise returns one enterprise, or storage.ErrNotFound.
func (s *Store) Enterprise(ctx context.Context, id string) (storage.Enterprise, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	vals, err := enterpriseScript.Run(ctx, s.rdb, []string{s.k.ent, s.k.liaison}, id).Slice()
	if err != nil {
		return storage.Enterprise{}, fmt.Errorf("enterprise %s: %w", id, err)
	}
	raw, ok := vals[0].(string)
	if !ok {
		return storage.Enterprise{}, fmt.Errorf("enterprise %s: %w", id, storage.ErrNotFound)
	}
	var e storage.Enterprise
	if err := json.Unmarshal([]byte(raw), &e); err != nil {
		return storage.Enterprise{}, fmt.Errorf("enterprise %s: decode: %w", id, err)
	}
	if len(vals) > 1 {
		e.LiaisonID, _ = vals[1].(string)
	}
	return e, nil
}

// Enterprises returns all enterprises ordered by ID. The list is cached under the generation
// counter that every change to it increments, so an unchanged list costs one GET.
func (s *Store) Enterprises(ctx context.Context) ([]storage.Enterprise, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	gen, err := s.rdb.Get(ctx, s.k.entGen).Int64()
	if err != nil && !isNil(err) {
		return nil, fmt.Errorf("list enterprises: %w", err)
	}
	s.rmu.Lock()
	if s.rosterGen == gen && s.roster != nil {
		out := storage.Copies(s.roster)
		s.rmu.Unlock()
		return out, nil
	}
	s.rmu.Unlock()

	var genCmd *goredis.StringCmd
	var ents, liaisons *goredis.MapStringStringCmd
	_, err = s.rdb.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		genCmd = p.Get(ctx, s.k.entGen)
		ents = p.HGetAll(ctx, s.k.ent)
		liaisons = p.HGetAll(ctx, s.k.liaison)
		return nil
	})
	if err != nil && !isNil(err) {
		return nil, fmt.Errorf("list enterprises: %w", err)
	}
	gen, _ = genCmd.Int64() // a missing counter is generation 0
	lmap := liaisons.Val()
	out := make([]storage.Enterprise, 0, len(ents.Val()))
	for id, v := range ents.Val() {
		var e storage.Enterprise
		if err := json.Unmarshal([]byte(v), &e); err != nil {
			return nil, fmt.Errorf("list enterprises: decode %s: %w", id, err)
		}
		e.LiaisonID = lmap[id]
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b storage.Enterprise) int { return strings.Compare(a.ID, b.ID) })
	s.rmu.Lock()
	s.rosterGen, s.roster = gen, storage.Copies(out)
	s.rmu.Unlock()
	return out, nil
}

// Contact returns a contact, or storage.ErrNotFound for one never bound.
func (s *Store) Contact(ctx context.Context, id string) (storage.Contact, error) {
	var c storage.Contact
	if err := s.getJSON(ctx, s.k.contact, id, &c); err != nil {
		return storage.Contact{}, fmt.Errorf("contact %s: %w", id, err)
	}
	return c, nil
}

// Session returns the contact's session; a contact with none gets an empty session of
// version 0.
func (s *Store) Session(ctx context.Context, contactID string) (storage.Session, error) {
	data, err := s.getRaw(ctx, s.k.sess, contactID)
	if errors.Is(err, storage.ErrNotFound) {
		return storage.Session{ContactID: contactID}, nil
	}
	var sess storage.Session
	if err == nil {
		err = json.Unmarshal(data, &sess)
	}
	if err != nil {
		return storage.Session{}, fmt.Errorf("session %s: %w", contactID, err)
	}
	return sess, nil
}

// Draft returns an enterprise's draft for a period, or storage.ErrNotFound.
func (s *Store) Draft(ctx context.Context, enterpriseID, period string) (storage.Draft, error) {
	data, err := s.getRaw(ctx, s.k.draft, enterpriseID+sep+period)
	var d storage.Draft
	if err == nil {
		err = json.Unmarshal(data, &d)
	}
	if err != nil {
		return storage.Draft{}, fmt.Errorf("draft %s %s: %w", enterpriseID, period, err)
	}
	return d, nil
}

// Submissions returns an enterprise's submissions by period and version: the members'
// byte order, since versions are zero-padded.
func (s *Store) Submissions(ctx context.Context, enterpriseID string) ([]storage.Submission, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	prefix := enterpriseID + sep
	members, err := s.rdb.ZRangeByLex(ctx, s.k.subs, &goredis.ZRangeBy{Min: "[" + prefix, Max: "(" + enterpriseID + "\x01"}).Result()
	if err != nil {
		return nil, fmt.Errorf("submissions %s: %w", enterpriseID, err)
	}
	out := make([]storage.Submission, 0, len(members))
	for _, m := range members {
		sub, err := decodeSubmission(m)
		if err != nil {
			return nil, fmt.Errorf("submissions %s: %w", enterpriseID, err)
		}
		out = append(out, sub)
	}
	return out, nil
}

// versionWidth zero-pads submission versions so that byte order is numeric order.
const versionWidth = 10

// subPrefix is the start of the members of one enterprise's period, in subs and heads.
func subPrefix(enterpriseID, period string) string {
	return enterpriseID + sep + period + sep
}

func versionPart(v int) string {
	return fmt.Sprintf("%0*d", versionWidth, v)
}

// decodeSubmission reads a subs member: the JSON after the third NUL.
func decodeSubmission(m string) (storage.Submission, error) {
	parts := strings.SplitN(m, sep, 4)
	if len(parts) != 4 {
		return storage.Submission{}, fmt.Errorf("submission member %q: want enterprise, period, version, record", m[:min(len(m), 40)])
	}
	var sub storage.Submission
	if err := json.Unmarshal([]byte(parts[3]), &sub); err != nil {
		return storage.Submission{}, fmt.Errorf("decode submission %s %s %s: %w", parts[0], parts[1], parts[2], err)
	}
	return sub, nil
}

// Handled reports whether a message was committed in a turn or marked handled: the handled
// set holds both, by id.
func (s *Store) Handled(ctx context.Context, messageID string) (bool, error) {
	if messageID == "" {
		return false, nil
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err := s.rdb.ZScore(ctx, s.k.handled, messageID).Result()
	switch {
	case err == nil:
		return true, nil
	case !isNil(err):
		return false, fmt.Errorf("handled %s: %w", messageID, err)
	}
	return false, nil
}

// Answer stores the answer of a message that changed nothing else.
func (s *Store) Answer(ctx context.Context, a storage.Answer) error {
	if err := s.put(ctx, a, func(*txn) {}); err != nil {
		return fmt.Errorf("answer %s: %w", a.MessageID, err)
	}
	return nil
}

// loadScript reads what handling a message needs (see LoadTurn). KEYS: handled, contact,
// sess, ent, liaison, draft, drafts, subs. ARGV: message id, contact id. It returns {1} for a
// handled message, else {0, contact, session, enterprise, its liaison, drafts, submissions}
// with false for what is missing; the enterprise's part only for a liaison. cjson only reads
// the contact's role and enterprise here.
var loadScript = goredis.NewScript(`
if ARGV[1] ~= '' and redis.call('ZSCORE', KEYS[1], ARGV[1]) then return {1} end
local c = redis.call('HGET', KEYS[2], ARGV[2])
local sess = redis.call('HGET', KEYS[3], ARGV[2])
if not c then return {0, false, sess} end
local contact = cjson.decode(c)
local e = contact.enterprise_id
if contact.role ~= 'liaison' or type(e) ~= 'string' or e == '' then return {0, c, sess} end
local fields = redis.call('ZRANGEBYLEX', KEYS[7], '[' .. e .. '\0', '(' .. e .. '\1')
local drafts = {}
if #fields > 0 then drafts = redis.call('HMGET', KEYS[6], unpack(fields)) end
local subs = {}
local function last(pfx, stop)
  local m = redis.call('ZREVRANGEBYLEX', KEYS[8], '(' .. stop, '[' .. pfx, 'LIMIT', 0, 1)
  if m[1] then subs[#subs + 1] = m[1] end
end
for _, f in ipairs(fields) do last(f .. '\0', f .. '\0\255') end
last(e .. '\0', e .. '\1')
return {0, c, sess, redis.call('HGET', KEYS[4], e), redis.call('HGET', KEYS[5], e), drafts, subs}
`)

// LoadTurn reads, in one script, whether a message was handled and what handling it needs of
// its sender.
func (s *Store) LoadTurn(ctx context.Context, contactID, messageID string) (storage.TurnState, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	k := s.k
	vals, err := loadScript.Run(ctx, s.rdb, []string{k.handled, k.contact, k.sess, k.ent, k.liaison, k.draft, k.drafts, k.subs}, messageID, contactID).Slice()
	if err != nil {
		return storage.TurnState{}, fmt.Errorf("load turn of %s: %w", contactID, err)
	}
	st, err := readTurnState(contactID, vals)
	if err != nil {
		return storage.TurnState{}, fmt.Errorf("load turn of %s: %w", contactID, err)
	}
	return st, nil
}

// readTurnState decodes loadScript's answer.
func readTurnState(contactID string, vals []any) (storage.TurnState, error) {
	st := storage.TurnState{Session: storage.Session{ContactID: contactID}}
	if n, _ := vals[0].(int64); n == 1 {
		st.Handled = true
		return st, nil
	}
	decode := func(i int, v any) error {
		if i >= len(vals) {
			return nil
		}
		raw, ok := vals[i].(string)
		if !ok {
			return nil
		}
		return json.Unmarshal([]byte(raw), v)
	}
	var liaison string
	errs := []error{decode(1, &st.Contact), decode(2, &st.Session), decode(3, &st.Enterprise)}
	if len(vals) > 4 {
		liaison, _ = vals[4].(string)
		st.Enterprise.LiaisonID = liaison
	}
	if len(vals) > 6 {
		drafts, _ := vals[5].([]any)
		for _, v := range drafts {
			raw, ok := v.(string)
			if !ok {
				continue // an index entry without its draft: nothing to load
			}
			var d storage.Draft
			errs = append(errs, json.Unmarshal([]byte(raw), &d))
			st.Drafts = append(st.Drafts, d)
		}
		subs, _ := vals[6].([]any)
		members := make([]string, 0, len(subs))
		for _, v := range subs {
			if m, ok := v.(string); ok && !slices.Contains(members, m) {
				members = append(members, m)
			}
		}
		slices.Sort(members)
		for _, m := range members {
			sub, err := decodeSubmission(m)
			errs = append(errs, err)
			st.History = append(st.History, sub)
		}
	}
	return st, errors.Join(errs...)
}

// PruneHandled forgets the message ids handled before a time, to the microsecond: an id
// handled in the same microsecond as before, but earlier, is kept (keeping one too long is
// harmless).
func (s *Store) PruneHandled(ctx context.Context, before time.Time) (int, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	n, err := s.rdb.ZRemRangeByScore(ctx, s.k.handled, "-inf", "("+strconv.FormatInt(micros(before), 10)).Result()
	if err != nil {
		return 0, fmt.Errorf("prune handled: %w", err)
	}
	return int(n), nil
}

// commitScript writes a turn: see CommitTurn. KEYS: handled, sess, draft, subs, heads,
// latest, periods, the submission's period hash (latest again when there is none), the outbox's
// five keys (keys.queues), drafts. ARGV: message id, contact id, the version read, the session, the draft
// field to drop, the draft field to write, the draft, the submission's period prefix, its
// version, its subs member, its heads member, the enterprise, the enterprise's prefix, the
// period, the message's score in handled, then the answer's messages (enqueue's triples).
// cjson only decodes here (the stored session's version), since its numbers would lose
// digits.
var commitScript = goredis.NewScript(answerLua + `
local id = ARGV[1]
if answered(1, id) then return 'done' end
local cur = redis.call('HGET', KEYS[2], ARGV[2])
local stored = 0
if cur then stored = cjson.decode(cur).version or 0 end
if stored ~= tonumber(ARGV[3]) then return 'conflict:session read at version ' .. ARGV[3] .. ', stored ' .. stored end
local pfx = ARGV[8]
if pfx ~= '' then
  local last = redis.call('ZREVRANGEBYLEX', KEYS[4], '(' .. pfx .. '\255', '[' .. pfx, 'LIMIT', 0, 1)
  local lv = 0
  if last[1] then lv = tonumber(string.sub(last[1], #pfx + 1, #pfx + 10)) end
  if tonumber(ARGV[9]) ~= lv + 1 then return 'conflict:submission version ' .. ARGV[9] .. ', next free is ' .. (lv + 1) end
end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[4])
if ARGV[5] ~= '' then
  redis.call('HDEL', KEYS[3], ARGV[5])
  redis.call('ZREM', KEYS[14], ARGV[5])
end
if ARGV[6] ~= '' then
  redis.call('HSET', KEYS[3], ARGV[6], ARGV[7])
  redis.call('ZADD', KEYS[14], 0, ARGV[6])
end
if pfx ~= '' then
  redis.call('ZADD', KEYS[4], 0, ARGV[10])
  redis.call('ZADD', KEYS[5], 0, ARGV[11])
  local ep = ARGV[13]
  local top = redis.call('ZREVRANGEBYLEX', KEYS[5], '(' .. ep .. '\255', '[' .. ep, 'LIMIT', 0, 1)
  redis.call('HSET', KEYS[6], ARGV[12], string.sub(top[1], #ep + 1))
  redis.call('HSET', KEYS[8], ARGV[12], string.sub(ARGV[11], #ep + 1))
  redis.call('ZADD', KEYS[7], 0, ARGV[14])
end
answer(1, id, ARGV[15], 9, 16)
return 'ok'
`)

// CommitTurn writes a turn atomically, or nothing: one script checks the message id (an id
// handled already is reported done and changes nothing, so a message delivered twice or a
// script sent twice by go-redis is written once), the session's version and the submission's
// version, then writes the session, the draft (dropped first, then written, with its entry in
// the drafts index), the submission with its ledger head, and the answer: the message id in
// the handled set and its messages in the outbox.
func (s *Store) CommitTurn(ctx context.Context, t storage.Turn) error {
	args, err := s.encodeTurn(t)
	if err != nil {
		return fmt.Errorf("commit turn: %w", err)
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	k := s.k
	periodKey := k.latest
	if t.Submission != nil {
		periodKey = k.period(t.Submission.Period)
	}
	keys := append([]string{k.handled, k.sess, k.draft, k.subs, k.heads, k.latest, k.periods, periodKey}, k.queues()...)
	res, err := s.runWrite(ctx, commitScript, append(keys, k.drafts), args...).Text()
	if err != nil {
		return fmt.Errorf("commit turn of %s: %w", t.Session.ContactID, err)
	}
	switch {
	case res == "ok", res == "done":
		return nil
	case strings.HasPrefix(res, "conflict:"):
		return fmt.Errorf("commit turn of %s: %s: %w", t.Session.ContactID, strings.TrimPrefix(res, "conflict:"), storage.ErrConflict)
	}
	return fmt.Errorf("commit turn of %s: script answered %q", t.Session.ContactID, res)
}

// encodeTurn builds commitScript's arguments, encoding everything before the call.
func (s *Store) encodeTurn(t storage.Turn) ([]any, error) {
	if t.Session.ContactID == "" {
		return nil, errors.New("empty contact id")
	}
	sess := t.Session
	sess.Version++
	sessJSON, err := json.Marshal(sess)
	if err != nil {
		return nil, err
	}
	var drop, draftField string
	var draftJSON []byte
	if k := t.DropDraft; k != nil {
		if err := storage.CheckKey(k.EnterpriseID, k.Period); err != nil {
			return nil, fmt.Errorf("draft to drop: %w", err)
		}
		drop = k.EnterpriseID + sep + k.Period
	}
	if d := t.Draft; d != nil {
		if err := storage.CheckKey(d.EnterpriseID, d.Period); err != nil {
			return nil, fmt.Errorf("draft: %w", err)
		}
		draftField = d.EnterpriseID + sep + d.Period
		if draftJSON, err = json.Marshal(d); err != nil {
			return nil, err
		}
	}
	var pfx, subMember, headMember, entPrefix, entID, period string
	subVersion := 0
	if sub := t.Submission; sub != nil {
		if err := storage.CheckKey(sub.EnterpriseID, sub.Period); err != nil {
			return nil, fmt.Errorf("submission: %w", err)
		}
		subJSON, err := json.Marshal(sub)
		if err != nil {
			return nil, err
		}
		pfx = subPrefix(sub.EnterpriseID, sub.Period)
		subVersion = sub.Version
		key := pfx + versionPart(sub.Version) + sep
		subMember = key + string(subJSON)
		headMember = key + string(appendHead(nil, sub.Head()))
		entID, entPrefix, period = sub.EnterpriseID, sub.EnterpriseID+sep, sub.Period
	}
	msgs, err := s.encodeMessages(t.Messages)
	if err != nil {
		return nil, err
	}
	return append([]any{t.MessageID, t.Session.ContactID, t.Session.Version, sessJSON,
		drop, draftField, draftJSON, pfx, subVersion, subMember, headMember, entID, entPrefix, period,
		micros(t.At)}, msgs...), nil
}

// getRaw returns the hash field key/field, or storage.ErrNotFound.
func (s *Store) getRaw(ctx context.Context, key, field string) ([]byte, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	data, err := s.rdb.HGet(ctx, key, field).Bytes()
	if isNil(err) {
		return nil, storage.ErrNotFound
	}
	return data, err
}

// getJSON decodes the hash field key/field into v, or returns storage.ErrNotFound.
func (s *Store) getJSON(ctx context.Context, key, field string, v any) error {
	data, err := s.getRaw(ctx, key, field)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("decode: %w", err)
	}
	return nil
}

// hashList decodes every field of a hash, ordered by field.
func hashList[T any](ctx context.Context, s *Store, key string) ([]T, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	m, err := s.rdb.HGetAll(ctx, key).Result()
	if err != nil {
		return nil, err
	}
	type kv struct {
		k string
		v T
	}
	list := make([]kv, 0, len(m))
	for k, v := range m {
		var r T
		if err := json.Unmarshal([]byte(v), &r); err != nil {
			return nil, fmt.Errorf("decode %q: %w", k, err)
		}
		list = append(list, kv{k, r})
	}
	slices.SortFunc(list, func(a, b kv) int { return cmp.Compare(a.k, b.k) })
	out := make([]T, len(list))
	for i, e := range list {
		out[i] = e.v
	}
	return out, nil
}
