package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"

	bbolt "go.etcd.io/bbolt"

	"innobot/storage"
	"innobot/survey"
)

// keyFactsRule holds, in the meta bucket, the rule the submissions' facts were last worked out
// under (storage.FactsRefresher).
var keyFactsRule = []byte("facts_rule")

// factsBatch is how many submissions one transaction of RefreshFacts reads: a year of a city
// is some 150,000 submissions, whose changes should not all sit in memory in one transaction.
var factsBatch = 2000

// RefreshFacts works the submissions' facts out again under a new rule, factsBatch
// submissions a transaction, each changed submission written with its head in the same
// transaction; the rule is stored last, so that a run cut short runs again at the next open.
func (s *Store) RefreshFacts(ctx context.Context, rule string, facts func(storage.Submission) (survey.Facts, bool)) (int, error) {
	var stored []byte
	if err := s.view(ctx, func(tx *bbolt.Tx) error {
		stored = bytes.Clone(tx.Bucket(bucketMeta).Get(keyFactsRule))
		return nil
	}); err != nil {
		return 0, fmt.Errorf("refresh facts: %w", err)
	}
	if string(stored) == rule {
		return 0, nil
	}
	changed := 0
	var after []byte // the last key read; nil before the first batch
	for done := false; !done; {
		if err := ctx.Err(); err != nil {
			return changed, fmt.Errorf("refresh facts: %w", err)
		}
		// The batch rewrites heads: the memo's latest heads go with it (change).
		err := s.change(false, true, func() error {
			return s.rw(func(tx *bbolt.Tx) error {
				n, last, err := refreshBatch(tx, after, facts)
				changed += n
				after, done = last, last == nil
				return err
			})
		})
		if err != nil {
			return changed, fmt.Errorf("refresh facts: %w", err)
		}
	}
	if err := s.rw(func(tx *bbolt.Tx) error {
		return tx.Bucket(bucketMeta).Put(keyFactsRule, []byte(rule))
	}); err != nil {
		return changed, fmt.Errorf("refresh facts: %w", err)
	}
	return changed, nil
}

// refreshBatch works out the facts of up to factsBatch submissions after the key after (from
// the first when nil) and writes those that changed, with their heads. last is the last key
// read, nil when the bucket has no more.
func refreshBatch(tx *bbolt.Tx, after []byte, facts func(storage.Submission) (survey.Facts, bool)) (changed int, last []byte, err error) {
	type update struct{ key, sub, head []byte }
	var updates []update
	c := tx.Bucket(bucketSubmissions).Cursor()
	k, v := c.First()
	if after != nil {
		if k, v = c.Seek(after); bytes.Equal(k, after) {
			k, v = c.Next()
		}
	}
	for n := 0; k != nil && n < factsBatch; k, v = c.Next() {
		n++
		last = bytes.Clone(k)
		var sub storage.Submission
		if err := json.Unmarshal(v, &sub); err != nil {
			return 0, nil, fmt.Errorf("decode submission %q: %w", k, err)
		}
		x, ok := facts(sub)
		if !ok || x == sub.Facts {
			continue
		}
		sub.Facts = x
		data, err := json.Marshal(sub)
		if err != nil {
			return 0, nil, fmt.Errorf("encode submission %q: %w", k, err)
		}
		updates = append(updates, update{last, data, appendHead(nil, sub.Head())})
	}
	// Written once the cursor is done: a Put under a cursor moves it.
	subs, heads := tx.Bucket(bucketSubmissions), tx.Bucket(bucketHeads)
	for _, u := range updates {
		if err := subs.Put(u.key, u.sub); err != nil {
			return 0, nil, fmt.Errorf("write submission %q: %w", u.key, err)
		}
		if err := heads.Put(u.key, u.head); err != nil {
			return 0, nil, fmt.Errorf("write head %q: %w", u.key, err)
		}
	}
	if k == nil {
		last = nil
	}
	return len(updates), last, nil
}
