package redis

import (
	"context"
	"encoding/json"
	"fmt"

	goredis "github.com/redis/go-redis/v9"

	"innobot/storage"
	"innobot/survey"
)

// factsBatch is how many submissions RefreshFacts reads per request, and rewrites per
// MULTI/EXEC.
var factsBatch int64 = 1000

// RefreshFacts works the submissions' facts out again under a new rule: it reads the
// submissions factsBatch at a time, replaces each changed member of subs (the same key, the
// record with its new facts), rebuilds the ledger's index from the submissions (RebuildHeads)
// and stores the rule last. A run cut short runs again whole at the next start, the index
// rebuilt even if no submission is left to change. Like RebuildHeads, it wants the bots of
// the prefix stopped, as a newer binary does anyway.
func (s *Store) RefreshFacts(ctx context.Context, rule string, facts func(storage.Submission) (survey.Facts, bool)) (int, error) {
	stored, err := call(ctx, s, func(ctx context.Context) (string, error) {
		return s.rdb.HGet(ctx, s.k.meta, "facts_rule").Result()
	})
	switch {
	case err != nil && !isNil(err):
		return 0, fmt.Errorf("refresh facts: %w", err)
	case err == nil && stored == rule:
		return 0, nil
	}
	changed := 0
	from := "-"
	for {
		members, err := call(ctx, s, func(ctx context.Context) ([]string, error) {
			return s.rdb.ZRangeByLex(ctx, s.k.subs, &goredis.ZRangeBy{Min: from, Max: "+", Count: factsBatch}).Result()
		})
		if err != nil {
			return changed, fmt.Errorf("refresh facts: %w", err)
		}
		var old []any
		var fresh []goredis.Z
		for _, m := range members {
			sub, err := decodeSubmission(m)
			if err != nil {
				return changed, fmt.Errorf("refresh facts: %w", err)
			}
			x, ok := facts(sub)
			if !ok || x == sub.Facts {
				continue
			}
			sub.Facts = x
			data, err := json.Marshal(sub)
			if err != nil {
				return changed, fmt.Errorf("refresh facts: encode submission %s %s %d: %w", sub.EnterpriseID, sub.Period, sub.Version, err)
			}
			old = append(old, m)
			fresh = append(fresh, goredis.Z{Member: subPrefix(sub.EnterpriseID, sub.Period) + versionPart(sub.Version) + sep + string(data)})
		}
		if len(old) > 0 {
			if _, err := call(ctx, s, func(ctx context.Context) ([]goredis.Cmder, error) {
				return s.rdb.TxPipelined(ctx, func(p goredis.Pipeliner) error {
					p.ZRem(ctx, s.k.subs, old...)
					p.ZAdd(ctx, s.k.subs, fresh...)
					return nil
				})
			}); err != nil {
				return changed, fmt.Errorf("refresh facts: %w", err)
			}
			changed += len(old)
		}
		if int64(len(members)) < factsBatch {
			break
		}
		// Members are unique, so the next page starts right after the last one read (which
		// may since have been replaced by a member that sorts after it: it is read again,
		// finds its facts right and is left alone).
		from = "(" + members[len(members)-1]
	}
	if err := s.RebuildHeads(ctx); err != nil {
		return changed, fmt.Errorf("refresh facts: %w", err)
	}
	if _, err := call(ctx, s, func(ctx context.Context) (int64, error) {
		return s.rdb.HSet(ctx, s.k.meta, "facts_rule", rule).Result()
	}); err != nil {
		return changed, fmt.Errorf("refresh facts: %w", err)
	}
	return changed, nil
}

// call runs one request bounded by the store's timeout (Store.ctx): a long job of many
// requests gets each its own.
func call[T any](ctx context.Context, s *Store, fn func(context.Context) (T, error)) (T, error) {
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	return fn(ctx)
}
