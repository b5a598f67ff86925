package bolt

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"time"

	bbolt "go.etcd.io/bbolt"

	"innobot/storage"
)

// The outbox keeps each message once, by ID, in bucketOutbox, and indexes of ids:
// bucketOutboxPending (account, QueuedAt, seq) lists what is left to send, so that Pending
// never walks the history of sends, and bucketOutboxUrgent lists the urgent ones the same way;
// bucketOutboxSent (SentAt, seq) is the history of sends in time order, bucketOutboxFailed
// (FailedAt, seq) that of messages given up. seq is the outbox bucket's sequence number when
// the message was queued: it orders messages queued at one instant and makes their index keys
// unique. The urgent and failed buckets are new in a file an older binary wrote; it leaves
// them alone, so they need no new file format.
type outboxRecord struct {
	storage.OutboxMessage
	Seq uint64 `json:"seq"`
}

func pendingKey(account string, queuedAt time.Time, seq uint64) []byte {
	return timeSeqKey([]byte(account+sep), queuedAt, seq)
}

func sentKey(sentAt time.Time, seq uint64) []byte {
	return timeSeqKey(nil, sentAt, seq)
}

var (
	bucketOutboxUrgent = []byte("outbox_urgent") // account NUL QueuedAt seq -> id: urgent, pending
	bucketOutboxFailed = []byte("outbox_failed") // FailedAt seq -> id: given up
)

// pendingBucket is the index of a pending message.
func pendingBucket(tx *bbolt.Tx, m storage.OutboxMessage) *bbolt.Bucket {
	if m.Urgent {
		return tx.Bucket(bucketOutboxUrgent)
	}
	return tx.Bucket(bucketOutboxPending)
}

// Enqueue adds messages; one whose ID is already stored (queued or sent, or earlier in msgs)
// is left as it is. A message given with a SentAt goes straight into the record of sends.
func (s *Store) Enqueue(ctx context.Context, msgs []storage.OutboxMessage) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	if err := storage.CheckMessages(msgs); err != nil {
		return fmt.Errorf("enqueue: %w", err)
	}
	if err := s.rw(func(tx *bbolt.Tx) error { return enqueue(tx, msgs) }); err != nil {
		return fmt.Errorf("enqueue %d messages: %w", len(msgs), err)
	}
	return nil
}

func enqueue(tx *bbolt.Tx, msgs []storage.OutboxMessage) error {
	outbox := tx.Bucket(bucketOutbox)
	sent := tx.Bucket(bucketOutboxSent)
	failed := tx.Bucket(bucketOutboxFailed)
	for _, m := range msgs {
		id := []byte(m.ID)
		if outbox.Get(id) != nil {
			continue
		}
		seq, err := outbox.NextSequence()
		if err != nil {
			return err
		}
		if err := put(outbox, id, outboxRecord{OutboxMessage: m, Seq: seq}); err != nil {
			return err
		}
		switch {
		case !m.FailedAt.IsZero():
			err = failed.Put(sentKey(m.FailedAt, seq), id)
		case !m.SentAt.IsZero():
			err = sent.Put(sentKey(m.SentAt, seq), id)
		default:
			err = pendingBucket(tx, m).Put(pendingKey(m.Account, m.QueuedAt, seq), id)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// Pending returns up to limit unsent messages of an account, the urgent ones first, each part
// oldest first: by QueuedAt, then in the order they were queued. A limit of 0 or less returns
// none.
func (s *Store) Pending(ctx context.Context, account string, limit int) ([]storage.OutboxMessage, error) {
	if err := storage.CheckNUL("account", account); err != nil {
		return nil, fmt.Errorf("pending: %w", err)
	}
	var out []storage.OutboxMessage
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		outbox := tx.Bucket(bucketOutbox)
		prefix := []byte(account + sep)
		for _, b := range [][]byte{bucketOutboxUrgent, bucketOutboxPending} {
			c := tx.Bucket(b).Cursor()
			for k, id := c.Seek(prefix); k != nil && len(out) < limit && bytes.HasPrefix(k, prefix); k, id = c.Next() {
				var r outboxRecord
				if err := get(outbox, id, &r); err != nil {
					return fmt.Errorf("pending message %q: %w", id, err)
				}
				out = append(out, r.OutboxMessage)
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("pending messages of %q: %w", account, err)
	}
	return out, nil
}

// MarkSent records a send: at its time when sendErr is "", else one more failed attempt with
// the error kept (the message stays pending). A message sent or given up already is left as
// it is, so that recording one send twice changes nothing; its Error, if any, stays as the
// record of the failures before it went out.
func (s *Store) MarkSent(ctx context.Context, id string, at time.Time, sendErr string) error {
	if sendErr == "" && at.IsZero() {
		return fmt.Errorf("mark %s sent: zero time", id)
	}
	err := s.settle(ctx, id, func(tx *bbolt.Tx, r *outboxRecord) (bool, error) {
		if sendErr != "" {
			r.Attempts++
			r.Error = sendErr
			return true, nil
		}
		if err := unqueue(tx, r); err != nil {
			return false, err
		}
		if r.Forget {
			return false, nil
		}
		r.SentAt = at
		return true, tx.Bucket(bucketOutboxSent).Put(sentKey(at, r.Seq), []byte(id))
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
	err := s.settle(ctx, id, func(tx *bbolt.Tx, r *outboxRecord) (bool, error) {
		if err := unqueue(tx, r); err != nil {
			return false, err
		}
		r.FailedAt, r.Error = at, reason
		return true, tx.Bucket(bucketOutboxFailed).Put(sentKey(at, r.Seq), []byte(id))
	})
	if err != nil {
		return fmt.Errorf("mark %s failed: %w", id, err)
	}
	return nil
}

// settle changes a pending message's record with change, in one transaction, and stores it, or
// deletes it when change says not to keep it; a message sent or given up already is left as it
// is.
func (s *Store) settle(ctx context.Context, id string, change func(*bbolt.Tx, *outboxRecord) (keep bool, err error)) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	return s.rw(func(tx *bbolt.Tx) error {
		outbox := tx.Bucket(bucketOutbox)
		var r outboxRecord
		if err := get(outbox, []byte(id), &r); err != nil {
			return err
		}
		if !r.SentAt.IsZero() || !r.FailedAt.IsZero() {
			return nil
		}
		keep, err := change(tx, &r)
		switch {
		case err != nil:
			return err
		case !keep:
			return outbox.Delete([]byte(id))
		}
		return put(outbox, []byte(id), r)
	})
}

// unqueue takes a message out of its pending index.
func unqueue(tx *bbolt.Tx, r *outboxRecord) error {
	return pendingBucket(tx, r.OutboxMessage).Delete(pendingKey(r.Account, r.QueuedAt, r.Seq))
}

// Failed returns the messages given up at or after since, oldest first by FailedAt.
func (s *Store) Failed(ctx context.Context, since time.Time) ([]storage.OutboxMessage, error) {
	out, err := s.history(ctx, bucketOutboxFailed, since)
	if err != nil {
		return nil, fmt.Errorf("messages given up since %s: %w", since, err)
	}
	return out, nil
}

// Sent returns the messages sent at or after since, oldest first by SentAt.
func (s *Store) Sent(ctx context.Context, since time.Time) ([]storage.OutboxMessage, error) {
	out, err := s.history(ctx, bucketOutboxSent, since)
	if err != nil {
		return nil, fmt.Errorf("messages sent since %s: %w", since, err)
	}
	return out, nil
}

// history reads the messages of a time index (sent or failed) from since on.
func (s *Store) history(ctx context.Context, index []byte, since time.Time) ([]storage.OutboxMessage, error) {
	var out []storage.OutboxMessage
	err := s.view(ctx, func(tx *bbolt.Tx) error {
		outbox := tx.Bucket(bucketOutbox)
		c := tx.Bucket(index).Cursor()
		for k, id := c.Seek(storage.AppendTimeKey(nil, since)); k != nil; k, id = c.Next() {
			var r outboxRecord
			if err := get(outbox, id, &r); err != nil {
				return fmt.Errorf("message %q: %w", id, err)
			}
			out = append(out, r.OutboxMessage)
		}
		return nil
	})
	return out, err
}

// ClaimReminder claims a reminder occurrence and queues its messages in one transaction, or
// returns false and queues nothing when the key was claimed before. Claims are kept forever:
// a few a month.
//
// It runs in Update, not Batch. Batch would be correct here (the function writes only
// inside its transaction and sets its result afresh on every run, so a batch retried after a
// rollback answers the same), but a reminder tick claims a handful of keys a day, so there is
// no fsync worth sharing, and Update runs the function exactly once, which leaves no trap for
// a later edit that adds a side effect.
func (s *Store) ClaimReminder(ctx context.Context, key string, at time.Time, msgs []storage.OutboxMessage) (bool, error) {
	if err := ctx.Err(); err != nil {
		return false, fmt.Errorf("claim reminder: %w", err)
	}
	if key == "" {
		return false, errors.New("claim reminder: empty key")
	}
	if err := storage.CheckMessages(msgs); err != nil {
		return false, fmt.Errorf("claim reminder %s: %w", key, err)
	}
	claimedAt, err := at.UTC().MarshalBinary()
	if err != nil {
		return false, fmt.Errorf("claim reminder %s: %w", key, err)
	}
	var claimed bool
	err = s.rw(func(tx *bbolt.Tx) error {
		claimed = false
		claims := tx.Bucket(bucketClaims)
		if claims.Get([]byte(key)) != nil {
			return nil
		}
		if err := claims.Put([]byte(key), claimedAt); err != nil {
			return err
		}
		if err := enqueue(tx, msgs); err != nil {
			return err
		}
		claimed = true
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("claim reminder %s: %w", key, err)
	}
	return claimed, nil
}
