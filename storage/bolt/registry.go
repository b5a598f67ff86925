package bolt

import (
	"cmp"
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	bbolt "go.etcd.io/bbolt"

	"innobot/storage"
)

// bindFailureWindow is how long wrong invite codes are remembered. The limit on them (5 per
// 15 minutes) looks back much less; a day keeps the record small.
const bindFailureWindow = 24 * time.Hour

// PutEnterprises adds or replaces many enterprises in one transaction, keeping each stored
// LiaisonID as PutEnterprise does. The enterprises are written in key order, which is what
// bbolt fills pages best with. When an ID occurs twice, the later one wins, as if they had
// been put one by one.
func (s *Store) PutEnterprises(ctx context.Context, es []storage.Enterprise) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put enterprises: %w", err)
	}
	for i, e := range es {
		if e.ID == "" {
			return fmt.Errorf("put enterprises: enterprise %d has an empty id", i)
		}
	}
	sorted := slices.Clone(es)
	slices.SortStableFunc(sorted, func(a, b storage.Enterprise) int { return cmp.Compare(a.ID, b.ID) })
	err := s.updateRegistry(storage.Answer{}, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketEnterprises)
		// Keys in order fill each page before the next: split them full, not half full,
		// and the list takes half the pages (and of a process's memory, when read).
		b.FillPercent = 0.9
		for i, e := range sorted {
			if i+1 < len(sorted) && sorted[i+1].ID == e.ID {
				continue // a later one of the same ID follows
			}
			if err := putEnterprise(b, e); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put %d enterprises: %w", len(es), err)
	}
	return nil
}

// memo holds what progress reads at every query, as last read from the file: the enterprise
// and contact lists until the next write to the registry, the latest heads of the last months
// asked until the next submission. Over 10,000 enterprises, decoding them was most of what
// progress cost. Everything is handed out as a copy. A read fills it under its mutex, and a
// write that changes what it holds drops that once it is done (change, the one place that
// drops anything): whatever was read before the write ended is gone then, and what is read
// after sees the write.
type memo struct {
	mu          sync.Mutex
	enterprises []storage.Enterprise               // nil until read
	contacts    []storage.Contact                  // nil until read
	heads       map[string]map[string]storage.Head // LatestHeads' answers by upTo
}

// memoMonths bounds how many months of latest heads the memo keeps: progress asks for a month
// and the one before.
const memoMonths = 4

// change runs fn, a write that may change the registry (enterprises, contacts) or add
// submissions, and drops what of the memo it may change. Every write to those buckets goes
// through here. The memo is not held while fn runs, so that turns with submissions still
// share their commits; it is dropped even when fn fails, since a write that reports a failed
// sync may have been written.
func (s *Store) change(registry, submissions bool, fn func() error) error {
	defer func() {
		s.memo.mu.Lock()
		defer s.memo.mu.Unlock()
		if registry {
			s.memo.enterprises, s.memo.contacts = nil, nil
		}
		if submissions {
			s.memo.heads = nil
		}
	}()
	return fn()
}

// updateRegistry is update for a write that may change enterprises or contacts.
func (s *Store) updateRegistry(a storage.Answer, fn func(*bbolt.Tx) error) error {
	return s.change(true, false, func() error { return s.update(a, fn) })
}

// Enterprises returns all enterprises ordered by ID, which is bbolt's key order.
func (s *Store) Enterprises(ctx context.Context) ([]storage.Enterprise, error) {
	all, err := cachedList(ctx, s, &s.memo.enterprises, bucketEnterprises)
	if err != nil {
		return nil, fmt.Errorf("list enterprises: %w", err)
	}
	return all, nil
}

// Contacts returns every contact ever bound, ordered by ID.
func (s *Store) Contacts(ctx context.Context) ([]storage.Contact, error) {
	all, err := cachedList(ctx, s, &s.memo.contacts, bucketContacts)
	if err != nil {
		return nil, fmt.Errorf("list contacts: %w", err)
	}
	return all, nil
}

// cachedList returns a copy of *list, reading it from the bucket first when it is nil.
func cachedList[T interface{ Copy() T }](ctx context.Context, s *Store, list *[]T, bucket []byte) ([]T, error) {
	s.memo.mu.Lock()
	defer s.memo.mu.Unlock()
	err := s.view(ctx, func(tx *bbolt.Tx) error { // a closed store refuses even a cached list
		if *list != nil {
			return nil
		}
		all, err := decodeList[T](tx, bucket)
		*list = all
		return err
	})
	if err != nil {
		return nil, err
	}
	return storage.Copies(*list), nil
}

// decodeList decodes every record of a bucket, in key order, into a list that is not nil even
// when empty (a cached empty list is still a list).
func decodeList[T any](tx *bbolt.Tx, bucket []byte) ([]T, error) {
	out := []T{}
	err := eachKey(tx, bucket, func(_, v []byte) error {
		var r T
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		out = append(out, r)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// Unbind removes a contact's role and scope, keeping its ID, Name and Account, and returns
// the contact as it was. A liaison's enterprise loses its LiaisonID only if it still names
// this contact. The enterprise's UpdatedAt is left alone: Unbind is given no clock. A contact
// unbound already is returned as it is, without error.
func (s *Store) Unbind(ctx context.Context, contactID string, a storage.Answer) (storage.Contact, error) {
	if err := checkWrite(ctx, a); err != nil {
		return storage.Contact{}, fmt.Errorf("unbind: %w", err)
	}
	var was storage.Contact
	err := s.updateRegistry(a, func(tx *bbolt.Tx) error {
		contacts := tx.Bucket(bucketContacts)
		if err := get(contacts, []byte(contactID), &was); err != nil {
			return err
		}
		if was.Role == storage.RoleLiaison && was.EnterpriseID != "" {
			enterprises := tx.Bucket(bucketEnterprises)
			var e storage.Enterprise
			switch err := get(enterprises, []byte(was.EnterpriseID), &e); {
			case errors.Is(err, storage.ErrNotFound):
			case err != nil:
				return err
			case e.LiaisonID == contactID:
				e.LiaisonID = ""
				if err := put(enterprises, []byte(e.ID), e); err != nil {
					return err
				}
			}
		}
		return put(contacts, []byte(contactID), was.Unbound())
	})
	if err != nil {
		return storage.Contact{}, fmt.Errorf("unbind %s: %w", contactID, err)
	}
	return was, nil
}

// PutGroup binds a group, replacing an earlier binding of the same group.
func (s *Store) PutGroup(ctx context.Context, g storage.Group, a storage.Answer) error {
	if err := checkWrite(ctx, a); err != nil {
		return fmt.Errorf("put group: %w", err)
	}
	if g.ID == "" {
		return errors.New("put group: empty id")
	}
	err := s.update(a, func(tx *bbolt.Tx) error {
		return put(tx.Bucket(bucketGroups), []byte(g.ID), g)
	})
	if err != nil {
		return fmt.Errorf("put group %s: %w", g.ID, err)
	}
	return nil
}

// Group returns a bound group, or storage.ErrNotFound.
func (s *Store) Group(ctx context.Context, id string) (storage.Group, error) {
	var g storage.Group
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		return get(tx.Bucket(bucketGroups), []byte(id), &g)
	})
	if err != nil {
		return storage.Group{}, fmt.Errorf("group %s: %w", id, err)
	}
	return g, nil
}

// Groups returns every bound group, ordered by ID.
func (s *Store) Groups(ctx context.Context) ([]storage.Group, error) {
	var out []storage.Group
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		out, err = decodeList[storage.Group](tx, bucketGroups)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list groups: %w", err)
	}
	return out, nil
}

// AddBindFailure records a wrong invite code sent by a contact. The contact's failures are
// kept as one list, from which those more than a day before at are dropped: BindFailures
// answers for any since within the last day.
func (s *Store) AddBindFailure(ctx context.Context, contactID string, at time.Time, a storage.Answer) error {
	if err := checkWrite(ctx, a); err != nil {
		return fmt.Errorf("add bind failure: %w", err)
	}
	if contactID == "" {
		return errors.New("add bind failure: empty contact id")
	}
	err := s.update(a, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketBindFailures)
		var times []time.Time
		if err := get(b, []byte(contactID), &times); err != nil && !errors.Is(err, storage.ErrNotFound) {
			return err
		}
		horizon := at.Add(-bindFailureWindow)
		times = slices.DeleteFunc(times, func(t time.Time) bool { return t.Before(horizon) })
		times = append(times, at)
		return put(b, []byte(contactID), times)
	})
	if err != nil {
		return fmt.Errorf("add bind failure of %s: %w", contactID, err)
	}
	return nil
}

// BindFailures counts a contact's wrong codes at or after since (within the day before the
// latest one, see AddBindFailure).
func (s *Store) BindFailures(ctx context.Context, contactID string, since time.Time) (int, error) {
	var times []time.Time
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		err := get(tx.Bucket(bucketBindFailures), []byte(contactID), &times)
		if errors.Is(err, storage.ErrNotFound) {
			return nil
		}
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("bind failures of %s: %w", contactID, err)
	}
	n := 0
	for _, t := range times {
		if !t.Before(since) {
			n++
		}
	}
	return n, nil
}

// Audit appends an entry to the audit log, under its time and the bucket's next sequence
// number, so that entries of one instant are all kept, in the order they came.
//
// It uses Update, not Batch: entries come at the pace of staff commands, so there is little
// to group-commit.
func (s *Store) Audit(ctx context.Context, e storage.AuditEntry) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	v, err := json.Marshal(e)
	if err != nil {
		return fmt.Errorf("audit: %w", err)
	}
	err = s.rw(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketAudit)
		seq, err := b.NextSequence()
		if err != nil {
			return err
		}
		return b.Put(timeSeqKey(nil, e.At, seq), v)
	})
	if err != nil {
		return fmt.Errorf("audit %s by %s: %w", e.Action, e.Contact, err)
	}
	return nil
}

// AuditLog returns the entries at or after since, oldest first.
func (s *Store) AuditLog(ctx context.Context, since time.Time) ([]storage.AuditEntry, error) {
	var out []storage.AuditEntry
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketAudit).Cursor()
		for k, v := c.Seek(storage.AppendTimeKey(nil, since)); k != nil; k, v = c.Next() {
			var e storage.AuditEntry
			if err := json.Unmarshal(v, &e); err != nil {
				return fmt.Errorf("decode %x: %w", k, err)
			}
			out = append(out, e)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("audit log since %s: %w", since, err)
	}
	return out, nil
}

// timeSeqKey appends storage.AppendTimeKey(t) and seq: unique keys in time order, then sequence order.
func timeSeqKey(buf []byte, t time.Time, seq uint64) []byte {
	return binary.BigEndian.AppendUint64(storage.AppendTimeKey(buf, t), seq)
}
