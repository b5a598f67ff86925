package redis

import (
	"context"
	"encoding/json"
	"fmt"

	"innobot/storage"
)

var _ storage.Notes = (*Store)(nil)

func noteField(period, region string) string { return period + sep + region }

// PutMonthlyNote adds or replaces the note of (Period, Region).
func (s *Store) PutMonthlyNote(ctx context.Context, n storage.MonthlyNote, a storage.Answer) error {
	if err := storage.CheckNote(n); err != nil {
		return fmt.Errorf("put monthly note: %w", err)
	}
	v, err := json.Marshal(n)
	if err != nil {
		return fmt.Errorf("put monthly note: %w", err)
	}
	if err := s.put(ctx, a, func(t *txn) { t.hset(s.k.notes, noteField(n.Period, n.Region), string(v)) }); err != nil {
		return fmt.Errorf("put monthly note %s %s: %w", n.Period, n.Region, err)
	}
	return nil
}

// MonthlyNotes returns the notes of a period, ordered by region ("" first). All periods share
// one hash: a dozen notes a month stay small for years.
func (s *Store) MonthlyNotes(ctx context.Context, period string) ([]storage.MonthlyNote, error) {
	if err := storage.CheckID("period", period); err != nil {
		return nil, fmt.Errorf("monthly notes: %w", err)
	}
	all, err := hashList[storage.MonthlyNote](ctx, s, s.k.notes)
	if err != nil {
		return nil, fmt.Errorf("monthly notes of %s: %w", period, err)
	}
	var out []storage.MonthlyNote
	for _, n := range all {
		if n.Period == period {
			out = append(out, n)
		}
	}
	return out, nil
}

// SetContactDetails sets a contact's Person and Mobile and returns the contact as stored. It
// writes only if the contact is still as read, so a binding made meanwhile is never undone.
func (s *Store) SetContactDetails(ctx context.Context, contactID, person, mobile string, a storage.Answer) (storage.Contact, error) {
	_, c, err := s.changeContact(ctx, contactID, a, func(_ *txn, c storage.Contact) (storage.Contact, error) {
		c.Person, c.Mobile = person, mobile
		return c, nil
	})
	if err != nil {
		return storage.Contact{}, fmt.Errorf("set details of contact %s: %w", contactID, err)
	}
	return c, nil
}
