package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"innobot/storage"
)

var _ storage.Notes = (*Store)(nil)

// bucketMonthlyNotes holds the offices' monthly notes: period NUL region -> MonthlyNote. An
// older binary leaves the bucket alone, so it needs no new file format.
var bucketMonthlyNotes = []byte("monthly_notes")

func noteKey(period, region string) []byte { return []byte(period + sep + region) }

// PutMonthlyNote adds or replaces the note of (Period, Region).
func (s *Store) PutMonthlyNote(ctx context.Context, n storage.MonthlyNote, a storage.Answer) error {
	if err := checkWrite(ctx, a); err != nil {
		return fmt.Errorf("put monthly note: %w", err)
	}
	if err := storage.CheckNote(n); err != nil {
		return fmt.Errorf("put monthly note: %w", err)
	}
	err := s.update(a, func(tx *bbolt.Tx) error {
		return put(tx.Bucket(bucketMonthlyNotes), noteKey(n.Period, n.Region), n)
	})
	if err != nil {
		return fmt.Errorf("put monthly note %s %s: %w", n.Period, n.Region, err)
	}
	return nil
}

// MonthlyNotes returns the notes of a period, ordered by region ("" first): the key order.
func (s *Store) MonthlyNotes(ctx context.Context, period string) ([]storage.MonthlyNote, error) {
	if err := storage.CheckID("period", period); err != nil {
		return nil, fmt.Errorf("monthly notes: %w", err)
	}
	out, err := listPrefix[storage.MonthlyNote](ctx, s, bucketMonthlyNotes, noteKey(period, ""))
	if err != nil {
		return nil, fmt.Errorf("monthly notes of %s: %w", period, err)
	}
	return out, nil
}

// SetContactDetails sets a contact's Person and Mobile and returns the contact as stored.
func (s *Store) SetContactDetails(ctx context.Context, contactID, person, mobile string, a storage.Answer) (storage.Contact, error) {
	if err := checkWrite(ctx, a); err != nil {
		return storage.Contact{}, fmt.Errorf("set contact details: %w", err)
	}
	var c storage.Contact
	err := s.updateRegistry(a, func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketContacts)
		if err := get(b, []byte(contactID), &c); err != nil {
			return err
		}
		c.Person, c.Mobile = person, mobile
		return put(b, []byte(contactID), c)
	})
	if err != nil {
		return storage.Contact{}, fmt.Errorf("set details of contact %s: %w", contactID, err)
	}
	return c, nil
}

// listPrefix decodes the values of a bucket whose keys start with prefix, in key order.
func listPrefix[T any](ctx context.Context, s *Store, bucket, prefix []byte) ([]T, error) {
	var out []T
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		c := tx.Bucket(bucket).Cursor()
		for k, v := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, v = c.Next() {
			var r T
			if err := json.Unmarshal(v, &r); err != nil {
				return fmt.Errorf("decode %q: %w", k, err)
			}
			out = append(out, r)
		}
		return nil
	})
	return out, err
}
