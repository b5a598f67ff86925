package bolt

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	bbolt "go.etcd.io/bbolt"

	"innobot/storage"
)

var _ storage.Dumper = (*Store)(nil)

// dumpBuckets are the buckets that hold records (all but meta, and the heads index, which is
// rebuilt from the submissions): Import refuses a store with a key in any of them.
var dumpBuckets = [][]byte{bucketEnterprises, bucketContacts, bucketInvites, bucketSessions,
	bucketDrafts, bucketSubmissions, bucketHandled, bucketGroups, bucketBindFailures,
	bucketAudit, bucketOutbox, bucketOutboxPending, bucketOutboxSent, bucketClaims, bucketHandledAt,
	bucketMonthlyNotes, bucketIdentities, bucketOutboxUrgent, bucketOutboxFailed,
	bucketWrongCodes, bucketBindLocks}

// Export returns every record of the file, read in one read transaction: one consistent
// moment, while the store stays in use.
func (s *Store) Export(ctx context.Context) (storage.Dump, error) {
	var d storage.Dump
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		d = storage.Dump{}
		return exportTx(tx, &d)
	})
	if err != nil {
		return storage.Dump{}, fmt.Errorf("export: %w", err)
	}
	return d, nil
}

func exportTx(tx *bbolt.Tx, d *storage.Dump) error {
	var errs []error
	add := func(err error) { errs = append(errs, err) }
	add(decodeAll(tx, bucketEnterprises, &d.Enterprises))
	add(decodeAll(tx, bucketContacts, &d.Contacts))
	add(decodeAll(tx, bucketInvites, &d.Invites))
	add(decodeAll(tx, bucketGroups, &d.Groups))
	add(decodeAll(tx, bucketSessions, &d.Sessions))
	add(decodeAll(tx, bucketDrafts, &d.Drafts))
	// Key order: enterprise, period, zero-padded version.
	add(decodeAll(tx, bucketSubmissions, &d.Submissions))
	// Key order: time, then the order of adding.
	add(decodeAll(tx, bucketAudit, &d.Audit))
	add(decodeAll(tx, bucketMonthlyNotes, &d.MonthlyNotes))
	add(decodeAll(tx, bucketIdentities, &d.Identities))
	var outbox []outboxRecord
	add(decodeAll(tx, bucketOutbox, &outbox))
	slices.SortStableFunc(outbox, func(a, b outboxRecord) int { return cmp.Compare(a.Seq, b.Seq) })
	for _, r := range outbox {
		d.Outbox = append(d.Outbox, r.OutboxMessage)
	}
	add(eachKey(tx, bucketClaims, func(k, v []byte) error {
		var at time.Time
		if err := at.UnmarshalBinary(v); err != nil {
			return err
		}
		d.Claims = append(d.Claims, storage.Claim{Key: string(k), At: at})
		return nil
	}))
	add(eachKey(tx, bucketHandled, func(k, v []byte) error {
		var at time.Time
		if err := at.UnmarshalBinary(v); err != nil {
			return err
		}
		d.Handled = append(d.Handled, storage.Handled{ID: string(k), At: at})
		return nil
	}))
	add(eachKey(tx, bucketBindFailures, func(k, v []byte) error {
		var times []time.Time
		if err := json.Unmarshal(v, &times); err != nil {
			return err
		}
		for _, at := range times {
			d.BindFailures = append(d.BindFailures, storage.BindFailure{ContactID: string(k), At: at})
		}
		return nil
	}))
	add(exportGuard(tx, d))
	return errors.Join(errs...)
}

// eachKey calls fn for every key of a bucket, in key order.
func eachKey(tx *bbolt.Tx, bucket []byte, fn func(k, v []byte) error) error {
	return tx.Bucket(bucket).ForEach(func(k, v []byte) error {
		if err := fn(k, v); err != nil {
			return fmt.Errorf("%s %q: %w", bucket, k, err)
		}
		return nil
	})
}

// decodeAll decodes every value of a bucket, in key order, onto *out.
func decodeAll[T any](tx *bbolt.Tx, bucket []byte, out *[]T) error {
	all, err := decodeList[T](tx, bucket)
	*out = append(*out, all...)
	return err
}

// Import writes a Dump into an empty store in one write transaction, so that it writes all or
// nothing, and rebuilds the heads index from the submissions in it. A store with any record is
// storage.ErrNotEmpty. Records are kept as given; bind failures are kept all, however old.
func (s *Store) Import(ctx context.Context, d storage.Dump) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("import: %w", err)
	}
	if err := storage.CheckMessages(d.Outbox); err != nil {
		return fmt.Errorf("import outbox: %w", err)
	}
	err := s.change(true, true, func() error {
		return s.rw(func(tx *bbolt.Tx) error {
			for _, name := range dumpBuckets {
				if k, _ := tx.Bucket(name).Cursor().First(); k != nil {
					return fmt.Errorf("bucket %s has records: %w", name, storage.ErrNotEmpty)
				}
			}
			return importTx(tx, d)
		})
	})
	if err != nil {
		return fmt.Errorf("import: %w", err)
	}
	return nil
}

func importTx(tx *bbolt.Tx, d storage.Dump) error {
	// putAll writes records by the key each names, refusing an empty key.
	var errs []error
	putAll := func(what string, bucket []byte, n int, rec func(i int) ([]byte, any, error)) {
		b := tx.Bucket(bucket)
		b.FillPercent = 0.9 // a Dump lists records in key order: pages can be split full
		for i := range n {
			k, v, err := rec(i)
			if err == nil && len(k) == 0 {
				err = errors.New("empty key")
			}
			if err == nil {
				err = put(b, k, v)
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%s %d: %w", what, i, err))
				return
			}
		}
	}
	putAll("enterprise", bucketEnterprises, len(d.Enterprises), func(i int) ([]byte, any, error) {
		return []byte(d.Enterprises[i].ID), d.Enterprises[i], nil
	})
	putAll("contact", bucketContacts, len(d.Contacts), func(i int) ([]byte, any, error) {
		return []byte(d.Contacts[i].ID), d.Contacts[i], nil
	})
	putAll("invite", bucketInvites, len(d.Invites), func(i int) ([]byte, any, error) {
		return []byte(d.Invites[i].Hash), d.Invites[i], nil
	})
	putAll("group", bucketGroups, len(d.Groups), func(i int) ([]byte, any, error) {
		return []byte(d.Groups[i].ID), d.Groups[i], nil
	})
	putAll("session", bucketSessions, len(d.Sessions), func(i int) ([]byte, any, error) {
		return []byte(d.Sessions[i].ContactID), d.Sessions[i], nil
	})
	putAll("draft", bucketDrafts, len(d.Drafts), func(i int) ([]byte, any, error) {
		x := d.Drafts[i]
		return draftKey(x.EnterpriseID, x.Period), x, storage.CheckKey(x.EnterpriseID, x.Period)
	})
	putAll("submission", bucketSubmissions, len(d.Submissions), func(i int) ([]byte, any, error) {
		x := d.Submissions[i]
		err := storage.CheckKey(x.EnterpriseID, x.Period)
		if err == nil && x.Version < 1 {
			err = fmt.Errorf("version %d", x.Version)
		}
		return submissionKey(x.EnterpriseID, x.Period, x.Version), x, err
	})
	putAll("monthly note", bucketMonthlyNotes, len(d.MonthlyNotes), func(i int) ([]byte, any, error) {
		x := d.MonthlyNotes[i]
		return noteKey(x.Period, x.Region), x, storage.CheckNote(x)
	})
	putAll("identity", bucketIdentities, len(d.Identities), func(i int) ([]byte, any, error) {
		x := d.Identities[i]
		return identityKey(x.Account, x.ID), x, storage.CheckIdentity(x)
	})
	if err := errors.Join(errs...); err != nil {
		return err
	}

	audit := tx.Bucket(bucketAudit)
	for _, e := range d.Audit {
		seq, err := audit.NextSequence()
		if err != nil {
			return err
		}
		if err := put(audit, timeSeqKey(nil, e.At, seq), e); err != nil {
			return fmt.Errorf("audit entry: %w", err)
		}
	}
	if err := enqueue(tx, d.Outbox); err != nil {
		return fmt.Errorf("outbox: %w", err)
	}
	putTime := func(what string, bucket []byte, key string, at time.Time) error {
		if key == "" {
			return fmt.Errorf("%s: empty key", what)
		}
		v, err := at.MarshalBinary()
		if err != nil {
			return fmt.Errorf("%s %s: %w", what, key, err)
		}
		return tx.Bucket(bucket).Put([]byte(key), v)
	}
	for _, c := range d.Claims {
		if err := putTime("reminder claim", bucketClaims, c.Key, c.At); err != nil {
			return err
		}
	}
	for _, h := range d.Handled {
		if h.ID == "" {
			return errors.New("handled id: empty")
		}
		if err := markHandled(tx, h.ID, h.At); err != nil {
			return fmt.Errorf("handled id %s: %w", h.ID, err)
		}
	}
	// A contact's failures are one list, oldest first, as AddBindFailure keeps them.
	fails := map[string][]time.Time{}
	for _, f := range d.BindFailures {
		if f.ContactID == "" {
			return errors.New("bind failure: empty contact id")
		}
		fails[f.ContactID] = append(fails[f.ContactID], f.At)
	}
	bf := tx.Bucket(bucketBindFailures)
	for id, times := range fails {
		slices.SortStableFunc(times, func(a, b time.Time) int { return a.Compare(b) })
		if err := put(bf, []byte(id), times); err != nil {
			return fmt.Errorf("bind failures of %s: %w", id, err)
		}
	}
	if err := importGuard(tx, d); err != nil {
		return err
	}
	if err := rebuildHeads(tx); err != nil {
		return fmt.Errorf("build submission heads: %w", err)
	}
	return nil
}
