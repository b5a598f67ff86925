package redis

import (
	"context"
	"fmt"

	"innobot/storage"
)

var _ storage.Identities = (*Store)(nil)

func identityField(account, id string) string { return account + sep + id }

// Identities returns the records of a bot account, ordered by ID. Every account's records
// share one hash, read whole: a transport asks once per login, and a few thousand records of
// a few hundred bytes are read in milliseconds.
func (s *Store) Identities(ctx context.Context, account string) ([]storage.Identity, error) {
	if err := storage.CheckNUL("account", account); err != nil {
		return nil, fmt.Errorf("identities: %w", err)
	}
	all, err := hashList[storage.Identity](ctx, s, s.k.identities)
	if err != nil {
		return nil, fmt.Errorf("identities of %q: %w", account, err)
	}
	var out []storage.Identity
	for _, i := range all { // in field order: account NUL ID
		if i.Account == account {
			out = append(out, i)
		}
	}
	return out, nil
}

// PutIdentities adds or replaces records in one HSET.
func (s *Store) PutIdentities(ctx context.Context, ids []storage.Identity) error {
	if err := storage.CheckIdentities(ids); err != nil {
		return fmt.Errorf("put identities: %w", err)
	}
	if len(ids) == 0 {
		return nil
	}
	fields, err := jsonFields(ids, func(i storage.Identity) string { return identityField(i.Account, i.ID) })
	if err != nil {
		return fmt.Errorf("put identities: %w", err)
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	if err := s.rdb.HSet(ctx, s.k.identities, fields...).Err(); err != nil {
		return fmt.Errorf("put %d identities: %w", len(ids), err)
	}
	return nil
}
