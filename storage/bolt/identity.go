package bolt

import (
	"context"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"innobot/storage"
)

var _ storage.Identities = (*Store)(nil)

// bucketIdentities holds the transport's identity records: account NUL id -> Identity. An
// older binary leaves the bucket alone, so it needs no new file format.
var bucketIdentities = []byte("identities")

func identityKey(account, id string) []byte { return []byte(account + sep + id) }

// Identities returns the records of a bot account, ordered by ID: the key order.
func (s *Store) Identities(ctx context.Context, account string) ([]storage.Identity, error) {
	if err := storage.CheckNUL("account", account); err != nil {
		return nil, fmt.Errorf("identities: %w", err)
	}
	out, err := listPrefix[storage.Identity](ctx, s, bucketIdentities, identityKey(account, ""))
	if err != nil {
		return nil, fmt.Errorf("identities of %q: %w", account, err)
	}
	return out, nil
}

// PutIdentities adds or replaces records in one transaction.
func (s *Store) PutIdentities(ctx context.Context, ids []storage.Identity) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("put identities: %w", err)
	}
	if err := storage.CheckIdentities(ids); err != nil {
		return fmt.Errorf("put identities: %w", err)
	}
	if len(ids) == 0 {
		return nil
	}
	err := s.rw(func(tx *bbolt.Tx) error {
		b := tx.Bucket(bucketIdentities)
		for _, i := range ids {
			if err := put(b, identityKey(i.Account, i.ID), i); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("put %d identities: %w", len(ids), err)
	}
	return nil
}
