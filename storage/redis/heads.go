package redis

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	goredis "github.com/redis/go-redis/v9"

	"innobot/storage"
)

// The ledger's index. CommitTurn adds each submission's head to the heads sorted set
// (member: enterprise NUL period NUL version NUL head, all scores 0, so members sort by
// bytes; the record of every version), sets the enterprise's field of the latest hash to the
// greatest of its members without the enterprise (its latest period's latest version), sets
// its field of the period's hash to the same for that period, and adds the period to the
// periods set. LatestHeads reads the latest hash in one HGETALL; the enterprises whose latest
// period is after upTo (progress compares with the month before) are looked up in the
// period hashes, newest first, one HMGET each, which usually means one.
//
// The head is binary, not JSON: LatestHeads decodes one per enterprise over 10,000
// enterprises, and JSON made that most of its time (the same finding as storage/bolt). The
// encoding is a format byte (headFormat), then storage.AppendHeadValue's encoding. EnterpriseID,
// Period and Version come from the member. A field added to survey.Facts or storage.Head
// must be added here (TestHeadEncodingCoversEveryField fails until it is) with a new
// headFormat; RebuildHeads then rewrites the index from the submissions.
const headFormat byte = 1

func appendHead(buf []byte, h storage.Head) []byte {
	return storage.AppendHeadValue(append(buf, headFormat), h)
}

// decodeHead decodes "period NUL version NUL head" (a latest value, or a heads member
// without its enterprise) of an enterprise.
func decodeHead(enterpriseID, v string) (storage.Head, error) {
	period, rest, ok1 := strings.Cut(v, sep)
	ver, head, ok2 := strings.Cut(rest, sep)
	if !ok1 || !ok2 {
		return storage.Head{}, fmt.Errorf("head of %s: want period, version, head", enterpriseID)
	}
	version, err := strconv.Atoi(ver)
	if err != nil {
		return storage.Head{}, fmt.Errorf("head of %s %s: version %q", enterpriseID, period, ver)
	}
	if len(head) == 0 || head[0] != headFormat {
		return storage.Head{}, fmt.Errorf("head of %s %s: not format %d (run RebuildHeads)", enterpriseID, period, headFormat)
	}
	h := storage.Head{EnterpriseID: enterpriseID, Period: period, Version: version}
	if err := storage.ReadHeadValue([]byte(head[1:]), &h, nil); err != nil {
		return storage.Head{}, fmt.Errorf("head of %s %s v%d: %w", enterpriseID, period, version, err)
	}
	return h, nil
}

// LatestHeads returns, for each enterprise with a submission in a period at or before upTo,
// the head of the latest version of its latest such period. Periods compare as byte strings,
// which is time order for the YYYY-MM periods innobot uses.
func (s *Store) LatestHeads(ctx context.Context, upTo string) (map[string]storage.Head, error) {
	if err := storage.CheckNUL("period", upTo); err != nil {
		return nil, fmt.Errorf("latest heads: %w", err)
	}
	ctx, cancel := s.ctx(ctx)
	defer cancel()
	latest, err := s.rdb.HGetAll(ctx, s.k.latest).Result()
	if err != nil {
		return nil, fmt.Errorf("latest heads up to %s: %w", upTo, err)
	}
	out := make(map[string]storage.Head, len(latest))
	var earlier []string // enterprises whose latest period is after upTo
	for id, v := range latest {
		period, _, _ := strings.Cut(v, sep)
		if period > upTo {
			earlier = append(earlier, id)
			continue
		}
		h, err := decodeHead(id, v)
		if err != nil {
			return nil, fmt.Errorf("latest heads up to %s: %w", upTo, err)
		}
		out[id] = h
	}
	if len(earlier) == 0 {
		return out, nil
	}
	// Walk back through the periods up to upTo, newest first, asking each period's hash
	// about the enterprises still without a head: most enterprises report every month, so
	// one HMGET usually answers for all of them.
	periods, err := s.rdb.ZRevRangeByLex(ctx, s.k.periods, &goredis.ZRangeBy{Max: "[" + upTo, Min: "-"}).Result()
	if err != nil {
		return nil, fmt.Errorf("latest heads up to %s: %w", upTo, err)
	}
	for _, p := range periods {
		if len(earlier) == 0 {
			break
		}
		vals, err := s.rdb.HMGet(ctx, s.k.period(p), earlier...).Result()
		if err != nil {
			return nil, fmt.Errorf("latest heads up to %s: %w", upTo, err)
		}
		rest := earlier[:0:0]
		for i, v := range vals {
			str, ok := v.(string)
			if !ok {
				rest = append(rest, earlier[i])
				continue
			}
			h, err := decodeHead(earlier[i], str)
			if err != nil {
				return nil, fmt.Errorf("latest heads up to %s: %w", upTo, err)
			}
			out[earlier[i]] = h
		}
		earlier = rest
	}
	return out, nil
}

// RebuildHeads rewrites the ledger's index (heads, latest, periods and the period hashes)
// from the submissions, in one MULTI/EXEC: after Import, or when headFormat changed. A
// submission made while it runs may be missing from the index until the next rebuild, so run
// it with the bots stopped.
func (s *Store) RebuildHeads(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*s.timeout)
	defer cancel()
	members, err := s.rdb.ZRange(ctx, s.k.subs, 0, -1).Result()
	if err != nil {
		return fmt.Errorf("rebuild heads: %w", err)
	}
	oldPeriods, err := s.rdb.ZRange(ctx, s.k.periods, 0, -1).Result()
	if err != nil {
		return fmt.Errorf("rebuild heads: %w", err)
	}
	heads := make([]goredis.Z, 0, len(members))
	latest := map[string]string{}
	byPeriod := map[string]map[string]any{}
	for _, m := range members {
		sub, err := decodeSubmission(m)
		if err != nil {
			return fmt.Errorf("rebuild heads: %w", err)
		}
		key := subPrefix(sub.EnterpriseID, sub.Period) + versionPart(sub.Version) + sep
		member := key + string(appendHead(nil, sub.Head()))
		heads = append(heads, goredis.Z{Member: member})
		v := strings.TrimPrefix(member, sub.EnterpriseID+sep)
		latest[sub.EnterpriseID] = v // members come in order: the last is the latest
		if byPeriod[sub.Period] == nil {
			byPeriod[sub.Period] = map[string]any{}
		}
		byPeriod[sub.Period][sub.EnterpriseID] = v
	}
	_, err = s.rdb.TxPipelined(ctx, func(p goredis.Pipeliner) error {
		del := []string{s.k.heads, s.k.latest, s.k.periods}
		for _, old := range oldPeriods {
			del = append(del, s.k.period(old))
		}
		p.Del(ctx, del...)
		for i := 0; i < len(heads); i += 1000 {
			p.ZAdd(ctx, s.k.heads, heads[i:min(i+1000, len(heads))]...)
		}
		if len(latest) > 0 {
			p.HSet(ctx, s.k.latest, latest)
		}
		for period, m := range byPeriod {
			p.ZAdd(ctx, s.k.periods, goredis.Z{Member: period})
			p.HSet(ctx, s.k.period(period), m)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("rebuild heads: %w", err)
	}
	return nil
}
