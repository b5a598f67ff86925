package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"

	bbolt "go.etcd.io/bbolt"

	"innobot/storage"
)

// The heads bucket holds one head per submission, under the submission's own key
// (enterprise, period, zero-padded version), written by CommitTurn in the submission's
// transaction. It is an index: everything in it is also in the submissions bucket, so its
// encoding is chosen for speed, not for inspection. LatestHeads reads one head per enterprise
// over 10,000 enterprises; as JSON, decoding those heads took most of the time.
//
// The value is storage.AppendHeadValue's encoding; EnterpriseID, Period and Version come
// from the key.
//
// headsFormat names this encoding. Changing the encoding (a field added to survey.Facts or
// storage.Head must be added here: TestHeadEncodingCoversEveryField fails until it is) means
// changing headsFormat, so that files written before are rebuilt from their submissions on
// open.
const headsFormat = "1"

func appendHead(buf []byte, h storage.Head) []byte { return storage.AppendHeadValue(buf, h) }

// decodeHead decodes the head stored at key.
func decodeHead(key, value []byte) (storage.Head, error) {
	return (&headDecoder{}).decode(key, value)
}

// headDecoder decodes heads, sharing one string for each period, industry and ownership it
// meets: there are few of them, and LatestHeads would otherwise allocate them for every
// enterprise.
type headDecoder struct {
	strings map[string]string // nil: share nothing
}

func (d *headDecoder) intern(b []byte) string {
	if s, ok := d.strings[string(b)]; ok {
		return s
	}
	s := string(b)
	if d.strings != nil {
		d.strings[s] = s
	}
	return s
}

func (d *headDecoder) decode(key, value []byte) (storage.Head, error) {
	var h storage.Head
	i := bytes.IndexByte(key, sep[0])
	j := i + 1 + bytes.IndexByte(key[i+1:], sep[0])
	if i <= 0 || j <= i+1 || j == len(key)-1 || len(key)-j-1 > versionWidth {
		return h, fmt.Errorf("head key %q: want enterprise, period, version", key)
	}
	for _, c := range key[j+1:] {
		if c < '0' || c > '9' {
			return h, fmt.Errorf("head key %q: version is not a number", key)
		}
		h.Version = h.Version*10 + int(c-'0')
	}
	h.EnterpriseID, h.Period = string(key[:i]), d.intern(key[i+1:j])

	if err := storage.ReadHeadValue(value, &h, d.intern); err != nil {
		return storage.Head{}, fmt.Errorf("head %q: %w", key, err)
	}
	return h, nil
}

// rebuildHeads replaces the heads bucket with the heads of every stored submission. Open runs
// it once for a file of format 1 or of another heads encoding.
func rebuildHeads(tx *bbolt.Tx) error {
	if tx.Bucket(bucketHeads) != nil {
		if err := tx.DeleteBucket(bucketHeads); err != nil {
			return err
		}
	}
	heads, err := tx.CreateBucket(bucketHeads)
	if err != nil {
		return err
	}
	heads.FillPercent = 0.9 // written in key order, from the submissions
	var buf []byte
	return tx.Bucket(bucketSubmissions).ForEach(func(k, v []byte) error {
		// Head's JSON fields are the submission's, so the answers are skipped, not decoded.
		var h storage.Head
		if err := json.Unmarshal(v, &h); err != nil {
			return fmt.Errorf("decode submission %q: %w", k, err)
		}
		buf = appendHead(buf[:0], h)
		return heads.Put(k, bytes.Clone(buf))
	})
}

// walkLimit is how many heads of one enterprise LatestHeads steps through with Next before it
// seeks instead. Next costs a few nanoseconds, a seek a microsecond or two (bbolt allocates
// on every page it passes), so walking is cheaper for the few periods most enterprises have,
// and seeking bounds the cost for a long history.
const walkLimit = 8

// LatestHeads returns, for each enterprise with a submission in a period at or before upTo,
// the head of the latest version of its latest such period. Periods compare as strings, which
// is time order for the YYYY-MM periods innobot uses. Only the heads returned are decoded.
//
// The heads of an enterprise are contiguous and ordered by period and version, so the one
// wanted is the last key before target = enterprise NUL upTo NUL 0xff (0xff sorts after every
// version, which are digits). For each enterprise the cursor steps forward through its first
// walkLimit heads; an enterprise with more seeks to target and steps back once (Seek + Prev),
// then seeks to the next enterprise. Either way the cost per enterprise is bounded whatever its
// history. The answer is kept in the memo until the next submission (registry.go).
func (s *Store) LatestHeads(ctx context.Context, upTo string) (map[string]storage.Head, error) {
	if err := storage.CheckNUL("period", upTo); err != nil {
		return nil, fmt.Errorf("latest heads: %w", err)
	}
	s.memo.mu.Lock()
	defer s.memo.mu.Unlock()
	out, ok := s.memo.heads[upTo]
	err := s.view(ctx, func(tx *bbolt.Tx) error { // a closed store refuses even a kept answer
		if ok {
			return nil
		}
		var err error
		out, err = latestHeads(tx, upTo)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("latest heads up to %s: %w", upTo, err)
	}
	if !ok {
		if len(s.memo.heads) >= memoMonths {
			s.memo.heads = nil
		}
		if s.memo.heads == nil {
			s.memo.heads = map[string]map[string]storage.Head{}
		}
		s.memo.heads[upTo] = out
	}
	return maps.Clone(out), nil
}

// latestHeads reads LatestHeads' answer from the heads bucket.
func latestHeads(tx *bbolt.Tx, upTo string) (map[string]storage.Head, error) {
	out := map[string]storage.Head{}
	c := tx.Bucket(bucketHeads).Cursor()
	d := headDecoder{strings: map[string]string{}}
	var target []byte
	for k, v := c.First(); k != nil; {
		i := bytes.IndexByte(k, sep[0])
		if i <= 0 {
			return nil, fmt.Errorf("head key %q: no enterprise", k)
		}
		target = append(target[:0], k[:i+1]...)
		target = append(target, upTo...)
		target = append(target, sep[0], 0xff)
		prefix := target[:i+1]
		var hk, hv []byte // the head wanted, nil while none
		for n := 0; k != nil && bytes.HasPrefix(k, prefix); n++ {
			if n == walkLimit {
				if bytes.Compare(k, target) < 0 {
					if sk, _ := c.Seek(target); sk == nil {
						hk, hv = c.Last()
					} else {
						hk, hv = c.Prev()
					}
				}
				// enterprise 0x01 sorts after every key of the enterprise and before
				// the next enterprise's.
				k, v = c.Seek(append(target[:i], 1))
				break
			}
			if bytes.Compare(k, target) < 0 {
				hk, hv = k, v
			}
			k, v = c.Next()
		}
		if hk != nil {
			h, err := d.decode(hk, hv)
			if err != nil {
				return nil, err
			}
			out[h.EnterpriseID] = h
		}
	}
	return out, nil
}
