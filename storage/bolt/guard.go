package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	bbolt "go.etcd.io/bbolt"

	"innobot/storage"
)

var (
	_ storage.InviteAdmin = (*Store)(nil)
	_ storage.BindGuard   = (*Store)(nil)
)

// The buckets of the city-wide budget of wrong codes. An older binary leaves them alone, so
// they need no new file format.
var (
	bucketWrongCodes = []byte("wrong_codes") // storage.AppendTimeKey, sequence -> contact id
	bucketBindLocks  = []byte("bind_locks")  // contact id -> time barred until (time.MarshalBinary)
)

// Invites returns every stored code, ordered by hash: the key order.
func (s *Store) Invites(ctx context.Context) ([]storage.Invite, error) {
	var out []storage.Invite
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		out, err = decodeList[storage.Invite](tx, bucketInvites)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("list invites: %w", err)
	}
	return out, nil
}

// RevokeInvites marks the unused codes of the hashes given revoked at a time.
func (s *Store) RevokeInvites(ctx context.Context, hashes []string, at time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("revoke invites: %w", err)
	}
	n := 0
	err := s.rw(func(tx *bbolt.Tx) error {
		var err error
		n, err = revoke(tx.Bucket(bucketInvites), hashes, at)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("revoke invites: %w", err)
	}
	return n, nil
}

// revoke marks the codes of hashes revoked at a time, leaving used, revoked and unknown ones,
// and returns how many it revoked.
func revoke(b *bbolt.Bucket, hashes []string, at time.Time) (int, error) {
	n := 0
	for _, h := range hashes {
		var inv storage.Invite
		switch err := get(b, []byte(h), &inv); {
		case errors.Is(err, storage.ErrNotFound):
			continue
		case err != nil:
			return 0, err
		}
		if !inv.Revocable() {
			continue
		}
		inv.RevokedAt = at
		if err := put(b, []byte(h), inv); err != nil {
			return 0, err
		}
		n++
	}
	return n, nil
}

// DeleteInvites removes the codes of the hashes given.
func (s *Store) DeleteInvites(ctx context.Context, hashes []string) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("delete invites: %w", err)
	}
	n := 0
	err := s.rw(func(tx *bbolt.Tx) error {
		n = 0
		b := tx.Bucket(bucketInvites)
		for _, h := range hashes {
			if b.Get([]byte(h)) == nil {
				continue
			}
			if err := b.Delete([]byte(h)); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("delete invites: %w", err)
	}
	return n, nil
}

// AddWrongCode records a code that matched nothing, under its time and the bucket's next
// sequence number.
func (s *Store) AddWrongCode(ctx context.Context, contactID string, at time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("add wrong code: %w", err)
	}
	if err := storage.CheckID("contact id", contactID); err != nil {
		return fmt.Errorf("add wrong code: %w", err)
	}
	err := s.rw(func(tx *bbolt.Tx) error { return addWrongCode(tx, contactID, at) })
	if err != nil {
		return fmt.Errorf("add wrong code of %s: %w", contactID, err)
	}
	return nil
}

func addWrongCode(tx *bbolt.Tx, contactID string, at time.Time) error {
	b := tx.Bucket(bucketWrongCodes)
	seq, err := b.NextSequence()
	if err != nil {
		return err
	}
	return b.Put(timeSeqKey(nil, at, seq), []byte(contactID))
}

// WrongCodes counts the wrong codes at or after since.
func (s *Store) WrongCodes(ctx context.Context, since time.Time) (int, error) {
	n := 0
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucketWrongCodes).Cursor()
		for k, _ := c.Seek(storage.AppendTimeKey(nil, since)); k != nil; k, _ = c.Next() {
			n++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("count wrong codes: %w", err)
	}
	return n, nil
}

// LockBinding bars a contact from binding until a time, keeping a later lock.
func (s *Store) LockBinding(ctx context.Context, contactID string, until time.Time) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("lock binding: %w", err)
	}
	if err := storage.CheckID("contact id", contactID); err != nil {
		return fmt.Errorf("lock binding: %w", err)
	}
	err := s.rw(func(tx *bbolt.Tx) error {
		_, err := lockBinding(tx.Bucket(bucketBindLocks), contactID, until)
		return err
	})
	if err != nil {
		return fmt.Errorf("lock binding of %s: %w", contactID, err)
	}
	return nil
}

// lockBinding writes a lock unless a later one is stored, and reports whether it wrote.
func lockBinding(b *bbolt.Bucket, contactID string, until time.Time) (bool, error) {
	held, err := lockedUntil(b, contactID)
	if err != nil || !held.Before(until) {
		return false, err
	}
	v, err := until.MarshalBinary()
	if err != nil {
		return false, err
	}
	return true, b.Put([]byte(contactID), v)
}

func lockedUntil(b *bbolt.Bucket, contactID string) (time.Time, error) {
	var until time.Time
	if v := b.Get([]byte(contactID)); v != nil {
		if err := until.UnmarshalBinary(v); err != nil {
			return time.Time{}, fmt.Errorf("decode lock of %s: %w", contactID, err)
		}
	}
	return until, nil
}

// LockWrongCoders bars every contact with a wrong code at or after since, in one transaction.
func (s *Store) LockWrongCoders(ctx context.Context, since, until time.Time) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("lock wrong coders: %w", err)
	}
	var locked []string
	err := s.rw(func(tx *bbolt.Tx) error {
		locked = nil
		locks := tx.Bucket(bucketBindLocks)
		c := tx.Bucket(bucketWrongCodes).Cursor()
		for k, v := c.Seek(storage.AppendTimeKey(nil, since)); k != nil; k, v = c.Next() {
			id := string(v)
			if slices.Contains(locked, id) {
				continue
			}
			wrote, err := lockBinding(locks, id, until)
			if err != nil {
				return err
			}
			if wrote {
				locked = append(locked, id)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("lock wrong coders: %w", err)
	}
	return locked, nil
}

// BindingLocked returns until when a contact is barred from binding.
func (s *Store) BindingLocked(ctx context.Context, contactID string) (time.Time, error) {
	var until time.Time
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		var err error
		until, err = lockedUntil(tx.Bucket(bucketBindLocks), contactID)
		return err
	})
	if err != nil {
		return time.Time{}, fmt.Errorf("binding lock of %s: %w", contactID, err)
	}
	return until, nil
}

// PruneBindFailures forgets refused and wrong codes sent before a time and the locks that
// ended before it.
func (s *Store) PruneBindFailures(ctx context.Context, before time.Time) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, fmt.Errorf("prune bind failures: %w", err)
	}
	n := 0
	err := s.rw(func(tx *bbolt.Tx) error {
		n = 0
		// Keys are collected first: deleting under a cursor makes its Next skip an item.
		var gone [][]byte
		c := tx.Bucket(bucketWrongCodes).Cursor()
		limit := storage.AppendTimeKey(nil, before)
		for k, _ := c.First(); k != nil && bytes.Compare(k[:min(len(k), 8)], limit) < 0; k, _ = c.Next() {
			gone = append(gone, bytes.Clone(k))
		}
		m, err := deleteKeys(tx.Bucket(bucketWrongCodes), gone)
		n += m
		if err != nil {
			return err
		}
		gone = gone[:0]
		err = tx.Bucket(bucketBindLocks).ForEach(func(k, v []byte) error {
			var until time.Time
			if err := until.UnmarshalBinary(v); err != nil {
				return fmt.Errorf("decode lock of %s: %w", k, err)
			}
			if until.Before(before) {
				gone = append(gone, bytes.Clone(k))
			}
			return nil
		})
		if err != nil {
			return err
		}
		m, err = deleteKeys(tx.Bucket(bucketBindLocks), gone)
		n += m
		if err != nil {
			return err
		}
		m, err = pruneFailureLists(tx.Bucket(bucketBindFailures), before)
		n += m
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("prune bind failures: %w", err)
	}
	return n, nil
}

// pruneFailureLists drops the times before a time from every contact's list of refused codes,
// and the lists left empty, and returns how many times it dropped.
func pruneFailureLists(b *bbolt.Bucket, before time.Time) (int, error) {
	type list struct {
		key   []byte
		times []time.Time
	}
	var changed []list
	n := 0
	err := b.ForEach(func(k, v []byte) error {
		var times []time.Time
		if err := json.Unmarshal(v, &times); err != nil {
			return fmt.Errorf("decode %q: %w", k, err)
		}
		kept := slices.DeleteFunc(slices.Clone(times), func(t time.Time) bool { return t.Before(before) })
		if len(kept) < len(times) {
			n += len(times) - len(kept)
			changed = append(changed, list{bytes.Clone(k), kept})
		}
		return nil
	})
	if err != nil {
		return 0, err
	}
	for _, l := range changed {
		if len(l.times) == 0 {
			err = b.Delete(l.key)
		} else {
			err = put(b, l.key, l.times)
		}
		if err != nil {
			return 0, err
		}
	}
	return n, nil
}

// deleteKeys removes keys from a bucket and returns how many.
func deleteKeys(b *bbolt.Bucket, keys [][]byte) (int, error) {
	for _, k := range keys {
		if err := b.Delete(k); err != nil {
			return 0, err
		}
	}
	return len(keys), nil
}

// exportGuard adds the wrong codes and the locks to a dump.
func exportGuard(tx *bbolt.Tx, d *storage.Dump) error {
	err := eachKey(tx, bucketWrongCodes, func(k, v []byte) error {
		if len(k) < 8 {
			return errors.New("short key")
		}
		d.WrongCodes = append(d.WrongCodes, storage.BindFailure{ContactID: string(v), At: storage.ReadTimeKey(k)})
		return nil
	})
	if err != nil {
		return err
	}
	return eachKey(tx, bucketBindLocks, func(k, v []byte) error {
		var until time.Time
		if err := until.UnmarshalBinary(v); err != nil {
			return err
		}
		d.BindLocks = append(d.BindLocks, storage.BindLock{ContactID: string(k), Until: until})
		return nil
	})
}

// importGuard writes a dump's wrong codes and locks.
func importGuard(tx *bbolt.Tx, d storage.Dump) error {
	for _, w := range d.WrongCodes {
		if err := storage.CheckID("contact id", w.ContactID); err != nil {
			return fmt.Errorf("wrong code: %w", err)
		}
		if err := addWrongCode(tx, w.ContactID, w.At); err != nil {
			return fmt.Errorf("wrong code of %s: %w", w.ContactID, err)
		}
	}
	for _, l := range d.BindLocks {
		if err := storage.CheckID("contact id", l.ContactID); err != nil {
			return fmt.Errorf("bind lock: %w", err)
		}
		if _, err := lockBinding(tx.Bucket(bucketBindLocks), l.ContactID, l.Until); err != nil {
			return fmt.Errorf("bind lock of %s: %w", l.ContactID, err)
		}
	}
	return nil
}
