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

// bindFailureWindow is how long wrong invite codes are remembered; the limit on them looks
// back 15 minutes, a day keeps the record small.
const bindFailureWindow = 24 * time.Hour

// PutInvite stores a new code and revokes the live ones of replaces, with the answer of the
// message that asked for it, in one compare-and-set; a hash already stored is
// storage.ErrConflict, so that a code can never be reset to unused by issuing it again.
func (s *Store) PutInvite(ctx context.Context, inv storage.Invite, replaces []string, a storage.Answer) error {
	if inv.Hash == "" {
		return errors.New("put invite: empty hash")
	}
	v, err := json.Marshal(inv)
	if err != nil {
		return fmt.Errorf("put invite: %w", err)
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	_, err = s.cas(ctx, func() (*txn, storage.Answer, error) {
		taken, err := s.hget(ctx, s.k.invite, inv.Hash)
		if err != nil {
			return nil, storage.Answer{}, err
		}
		if taken != nil {
			return nil, storage.Answer{}, storage.ErrConflict // the caller draws another code
		}
		t := s.newTxn()
		t.expect(s.k.invite, inv.Hash, nil)
		t.hset(s.k.invite, inv.Hash, string(v))
		if _, err := s.planRevoke(ctx, t, replaces, inv.CreatedAt); err != nil {
			return nil, storage.Answer{}, err
		}
		return t, a, nil
	})
	if err != nil {
		return fmt.Errorf("put invite: %w", err)
	}
	return nil
}

// Redeem binds contact c with the code whose hash is given, keeping c's ID, Name and Account
// and taking everything else from the code. It reads the code, the contact, the enterprises
// and the liaison it may replace, computes the binding as storage/bolt does, and writes it
// in one compare-and-set that holds only if none of those records changed meanwhile; if one
// did (another binding raced it), it reads again. Two contacts racing for one code cannot
// both win: the second finds the code used.
func (s *Store) Redeem(ctx context.Context, hash string, c storage.Contact, now time.Time, answer func(storage.Redeemed) (storage.Answer, *storage.Session)) (storage.Redeemed, error) {
	if c.ID == "" {
		return storage.Redeemed{}, errors.New("redeem: empty contact id")
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	var out storage.Redeemed
	o, err := s.cas(ctx, func() (*txn, storage.Answer, error) {
		var t *txn
		var err error
		t, out, err = s.planRedeem(ctx, hash, c, now)
		if err != nil {
			return nil, storage.Answer{}, err
		}
		if answer == nil {
			return t, storage.Answer{}, nil
		}
		a, sess := answer(out)
		if sess != nil {
			if err := s.planNextSession(ctx, t, c.ID, *sess); err != nil {
				return nil, storage.Answer{}, err
			}
		}
		return t, a, nil
	})
	if err != nil {
		return storage.Redeemed{}, fmt.Errorf("redeem: %w", err)
	}
	if o == answered {
		return storage.Redeemed{}, nil
	}
	return out, nil
}

// planNextSession adds to t the contact's session sess at the stored version + 1, written only
// if the stored session is unchanged since read.
func (s *Store) planNextSession(ctx context.Context, t *txn, contactID string, sess storage.Session) error {
	raw, err := s.hget(ctx, s.k.sess, contactID)
	if err != nil {
		return err
	}
	var stored storage.Session
	if raw != nil {
		if err := json.Unmarshal([]byte(*raw), &stored); err != nil {
			return fmt.Errorf("decode session %s: %w", contactID, err)
		}
	}
	sess.ContactID, sess.Version = contactID, stored.Version+1
	v, err := json.Marshal(sess)
	if err != nil {
		return err
	}
	t.expect(s.k.sess, contactID, raw)
	t.hset(s.k.sess, contactID, string(v))
	return nil
}

// planRedeem reads what a binding depends on and returns its compare-and-set.
func (s *Store) planRedeem(ctx context.Context, hash string, c storage.Contact, now time.Time) (*txn, storage.Redeemed, error) {
	k := s.k
	t := s.newTxn()
	var out storage.Redeemed

	invRaw, err := s.hget(ctx, k.invite, hash)
	if err != nil {
		return nil, out, err
	}
	if invRaw == nil {
		return nil, out, storage.ErrInviteUnknown
	}
	var inv storage.Invite
	if err := json.Unmarshal([]byte(*invRaw), &inv); err != nil {
		return nil, out, fmt.Errorf("decode invite: %w", err)
	}
	if err := inv.Redeemable(now); err != nil {
		return nil, out, err
	}
	t.expect(k.invite, hash, invRaw)

	prevRaw, err := s.hget(ctx, k.contact, c.ID)
	if err != nil {
		return nil, out, err
	}
	t.expect(k.contact, c.ID, prevRaw)
	var prev storage.Contact
	if prevRaw != nil {
		if err := json.Unmarshal([]byte(*prevRaw), &prev); err != nil {
			return nil, out, fmt.Errorf("decode contact %s: %w", c.ID, err)
		}
	}

	bound := inv.Bind(c, now)
	entChanged := false

	if old := prev.LeftEnterprise(bound); old != "" {
		lid, err := s.hget(ctx, k.liaison, old)
		if err != nil {
			return nil, out, err
		}
		t.expect(k.liaison, old, lid)
		if lid != nil && *lid == c.ID {
			entRaw, err := s.hget(ctx, k.ent, old)
			if err != nil {
				return nil, out, err
			}
			t.expect(k.ent, old, entRaw)
			t.hdel(k.liaison, old)
			if entRaw != nil {
				_, v, err := touchEnterprise(*entRaw, now)
				if err != nil {
					return nil, out, err
				}
				t.hset(k.ent, old, v)
			}
			entChanged = true
		}
	}

	if bound.Role == storage.RoleLiaison {
		eid := bound.EnterpriseID
		entRaw, err := s.hget(ctx, k.ent, eid)
		if err != nil {
			return nil, out, err
		}
		if entRaw == nil {
			return nil, out, fmt.Errorf("enterprise %s of the code: %w", eid, storage.ErrNotFound)
		}
		t.expect(k.ent, eid, entRaw)
		lid, err := s.hget(ctx, k.liaison, eid)
		if err != nil {
			return nil, out, err
		}
		t.expect(k.liaison, eid, lid)
		if lid != nil && *lid != "" && *lid != c.ID {
			oldRaw, err := s.hget(ctx, k.contact, *lid)
			if err != nil {
				return nil, out, err
			}
			t.expect(k.contact, *lid, oldRaw)
			if oldRaw != nil {
				var old storage.Contact
				if err := json.Unmarshal([]byte(*oldRaw), &old); err != nil {
					return nil, out, fmt.Errorf("decode contact %s: %w", *lid, err)
				}
				if old.Role == storage.RoleLiaison && old.EnterpriseID == eid {
					replaced := old
					out.Replaced = &replaced
					v, err := json.Marshal(old.Unbound())
					if err != nil {
						return nil, out, err
					}
					t.hset(k.contact, old.ID, string(v))
				}
			}
		}
		t.hset(k.liaison, eid, c.ID)
		e, v, err := touchEnterprise(*entRaw, now)
		if err != nil {
			return nil, out, err
		}
		t.hset(k.ent, eid, v)
		entChanged = true
		e.LiaisonID = c.ID
		out.Enterprise = &e
	}

	inv.UsedBy, inv.UsedAt = c.ID, now
	invJSON, err := json.Marshal(inv)
	if err != nil {
		return nil, out, err
	}
	t.hset(k.invite, hash, string(invJSON))
	contactJSON, err := json.Marshal(bound)
	if err != nil {
		return nil, out, err
	}
	t.hset(k.contact, c.ID, string(contactJSON))
	if entChanged {
		t.incr(k.entGen)
	}
	out.Contact, out.Invite = bound, inv
	return t, out, nil
}

// touchEnterprise returns a stored enterprise record with UpdatedAt moved to now, as a change
// of liaison does in storage/bolt: the enterprise and the record to store.
func touchEnterprise(raw string, now time.Time) (storage.Enterprise, string, error) {
	var e storage.Enterprise
	if err := json.Unmarshal([]byte(raw), &e); err != nil {
		return storage.Enterprise{}, "", fmt.Errorf("decode enterprise: %w", err)
	}
	e.UpdatedAt = now
	v, err := json.Marshal(e)
	return e, string(v), err
}

// Contacts returns every contact ever bound, ordered by ID.
func (s *Store) Contacts(ctx context.Context) ([]storage.Contact, error) {
	out, err := hashList[storage.Contact](ctx, s, s.k.contact)
	if err != nil {
		return nil, fmt.Errorf("list contacts: %w", err)
	}
	return out, nil
}

// Unbind removes a contact's role and scope, keeping its ID, Name and Account, and returns
// the contact as it was; a liaison's enterprise loses its liaison only if it still names this
// contact. A contact unbound already is returned as it is.
func (s *Store) Unbind(ctx context.Context, contactID string, a storage.Answer) (storage.Contact, error) {
	k := s.k
	was, _, err := s.changeContact(ctx, contactID, a, func(t *txn, was storage.Contact) (storage.Contact, error) {
		if was.Role == storage.RoleLiaison && was.EnterpriseID != "" {
			lid, err := s.hget(ctx, k.liaison, was.EnterpriseID)
			if err != nil {
				return was, err
			}
			t.expect(k.liaison, was.EnterpriseID, lid)
			if lid != nil && *lid == contactID {
				t.hdel(k.liaison, was.EnterpriseID)
				t.incr(k.entGen)
			}
		}
		return was.Unbound(), nil
	})
	if err != nil {
		return storage.Contact{}, fmt.Errorf("unbind %s: %w", contactID, err)
	}
	return was, nil
}

// changeContact reads a contact and stores what change makes of it, by compare-and-set with
// the answer a; change may add writes that depend on what it read to the transaction. It
// returns the contact as read and as stored, both zero when a's message was handled before.
func (s *Store) changeContact(ctx context.Context, contactID string, a storage.Answer, change func(t *txn, c storage.Contact) (storage.Contact, error)) (was, now storage.Contact, err error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	o, err := s.cas(ctx, func() (*txn, storage.Answer, error) {
		raw, err := s.hget(ctx, s.k.contact, contactID)
		if err != nil {
			return nil, a, err
		}
		if raw == nil {
			return nil, a, storage.ErrNotFound
		}
		was = storage.Contact{}
		if err := json.Unmarshal([]byte(*raw), &was); err != nil {
			return nil, a, fmt.Errorf("decode: %w", err)
		}
		t := s.newTxn()
		t.expect(s.k.contact, contactID, raw)
		if now, err = change(t, was); err != nil {
			return nil, a, err
		}
		v, err := json.Marshal(now)
		if err != nil {
			return nil, a, err
		}
		t.hset(s.k.contact, contactID, string(v))
		return t, a, nil
	})
	if err != nil || o == answered {
		return storage.Contact{}, storage.Contact{}, err
	}
	return was, now, nil
}

// PutGroup binds a group, replacing an earlier binding of the same group.
func (s *Store) PutGroup(ctx context.Context, g storage.Group, a storage.Answer) error {
	if g.ID == "" {
		return errors.New("put group: empty id")
	}
	v, err := json.Marshal(g)
	if err != nil {
		return fmt.Errorf("put group %s: %w", g.ID, err)
	}
	err = s.put(ctx, a, func(t *txn) { t.hset(s.k.group, g.ID, string(v)) })
	if err != nil {
		return fmt.Errorf("put group %s: %w", g.ID, err)
	}
	return nil
}

// Group returns a bound group, or storage.ErrNotFound.
func (s *Store) Group(ctx context.Context, id string) (storage.Group, error) {
	var g storage.Group
	if err := s.getJSON(ctx, s.k.group, id, &g); err != nil {
		return storage.Group{}, fmt.Errorf("group %s: %w", id, err)
	}
	return g, nil
}

// Groups returns every bound group, ordered by ID.
func (s *Store) Groups(ctx context.Context) ([]storage.Group, error) {
	out, err := hashList[storage.Group](ctx, s, s.k.group)
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	return out, nil
}

// bindFailureMember is a failure's member: contact NUL storage.AppendTimeKey token. The token keeps
// failures of one instant apart and makes the same call sent twice add one.
func bindFailureMember(contactID string, at time.Time, tok string) string {
	return string(storage.AppendTimeKey([]byte(contactID+sep), at)) + tok
}

// AddBindFailure records a wrong invite code sent by a contact and drops the contact's
// failures more than a day before it, in one script with the answer.
func (s *Store) AddBindFailure(ctx context.Context, contactID string, at time.Time, a storage.Answer) error {
	if err := storage.CheckID("contact id", contactID); err != nil {
		return fmt.Errorf("add bind failure: %w", err)
	}
	member := bindFailureMember(contactID, at, token())
	horizon := string(storage.AppendTimeKey([]byte(contactID+sep), at.Add(-bindFailureWindow)))
	err := s.put(ctx, a, func(t *txn) {
		t.zadd(s.k.bindFail, member, 0)
		t.zremLex(s.k.bindFail, "["+contactID+sep, "("+horizon)
	})
	if err != nil {
		return fmt.Errorf("add bind failure of %s: %w", contactID, err)
	}
	return nil
}

// BindFailures counts a contact's wrong codes at or after since (within the day before the
// latest one, see AddBindFailure).
func (s *Store) BindFailures(ctx context.Context, contactID string, since time.Time) (int, error) {
	if err := storage.CheckID("contact id", contactID); err != nil {
		return 0, fmt.Errorf("bind failures: %w", err)
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	n, err := s.rdb.ZLexCount(ctx, s.k.bindFail, "["+string(storage.AppendTimeKey([]byte(contactID+sep), since)), "("+contactID+"\x01").Result()
	if err != nil {
		return 0, fmt.Errorf("bind failures of %s: %w", contactID, err)
	}
	return int(n), nil
}

// Audit appends an entry to the audit log. Its member is the entry's time, then a sequence
// number of this process and a random tag (entries of one instant keep the order they were
// added; the same call sent twice adds one), then the entry.
func (s *Store) Audit(ctx context.Context, e storage.AuditEntry) error {
	v, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	member := storage.AppendTimeKey(nil, e.At)
	member = binary.BigEndian.AppendUint64(member, s.seq.next())
	member = append(member, token()[:8]...)
	member = append(member, v...)
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	if err := s.rdb.ZAdd(ctx, s.k.audit, goredis.Z{Member: string(member)}).Err(); err != nil {
		return fmt.Errorf("audit %s by %s: %w", e.Action, e.Contact, err)
	}
	return nil
}

// auditHeader is the length of an audit member before the entry: time, sequence, tag.
const auditHeader = 8 + 8 + 8

// AuditLog returns the entries at or after since, oldest first.
func (s *Store) AuditLog(ctx context.Context, since time.Time) ([]storage.AuditEntry, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	members, err := s.rdb.ZRangeByLex(ctx, s.k.audit, &goredis.ZRangeBy{Min: "[" + string(storage.AppendTimeKey(nil, since)), Max: "+"}).Result()
	if err != nil {
		return nil, fmt.Errorf("audit log since %s: %w", since, err)
	}
	out := make([]storage.AuditEntry, 0, len(members))
	for _, m := range members {
		if len(m) < auditHeader {
			return nil, fmt.Errorf("audit log: short member %q", m)
		}
		var e storage.AuditEntry
		if err := json.Unmarshal([]byte(m[auditHeader:]), &e); err != nil {
			return nil, fmt.Errorf("audit log: decode: %w", err)
		}
		out = append(out, e)
	}
	return out, nil
}
