package bolt

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sync"

	"go.etcd.io/bbolt"

	"innobot/storage"
)

// memo remembers the last decoding of records that rarely change (enterprises, contacts),
// keyed by their stored bytes: a hit needs the bytes to be equal to those read now, so it can
// never be stale, whatever wrote the record.
type memo[T any] struct {
	mu    sync.Mutex
	m     map[string]memoEntry[T]
	clone func(T) T // a copy that shares nothing, for records holding slices
}

type memoEntry[T any] struct {
	raw []byte
	v   T
}

// memoSize bounds a memo; past it, entries are dropped at random.
const memoSize = 20000

// get reads key from b and decodes it, or returns the remembered decoding of the same bytes.
// It must run inside the transaction b belongs to.
func (c *memo[T]) get(b *bbolt.Bucket, key []byte) (T, error) {
	var zero T
	raw := b.Get(key)
	if raw == nil {
		return zero, storage.ErrNotFound
	}
	c.mu.Lock()
	e, ok := c.m[string(key)]
	c.mu.Unlock()
	if ok && bytes.Equal(e.raw, raw) {
		return c.copy(e.v), nil
	}
	var v T
	if err := json.Unmarshal(raw, &v); err != nil {
		return zero, fmt.Errorf("decode %q: %w", key, err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = map[string]memoEntry[T]{}
	}
	for k := range c.m {
		if len(c.m) < memoSize {
			break
		}
		delete(c.m, k)
	}
	c.m[string(key)] = memoEntry[T]{raw: bytes.Clone(raw), v: c.copy(v)}
	return v, nil
}

func (c *memo[T]) copy(v T) T {
	if c.clone == nil {
		return v
	}
	return c.clone(v)
}

// reset forgets every decoding.
func (c *memo[T]) reset() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.m = nil
}
