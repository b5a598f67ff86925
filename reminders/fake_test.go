package reminders_test

import (
	"context"
	"errors"
	"maps"
	"slices"
	"sort"
	"sync"
	"time"

	"innobot/storage"
)

// memStore is an in-memory store with what the reminders read and the outbox, standing in
// for storage/bolt in tests that need many stores or fake time.
type memStore struct {
	mu       sync.Mutex
	ents     map[string]storage.Enterprise
	contacts map[string]storage.Contact
	groups   map[string]storage.Group
	heads    map[string][]storage.Head // by enterprise
	drafts   map[[2]string]storage.Draft
	sessions map[string]storage.Session

	claims map[string]time.Time
	msgs   map[string]*storage.OutboxMessage
	order  []string // ids in queue order
	seq    int

	// failClaim, when set, fails ClaimReminder for the key before anything is written.
	failClaim func(key string) error
}

func newMemStore() *memStore {
	return &memStore{
		ents: map[string]storage.Enterprise{}, contacts: map[string]storage.Contact{},
		groups: map[string]storage.Group{}, heads: map[string][]storage.Head{},
		drafts: map[[2]string]storage.Draft{}, sessions: map[string]storage.Session{},
		claims: map[string]time.Time{}, msgs: map[string]*storage.OutboxMessage{},
	}
}

func (s *memStore) Enterprises(context.Context) ([]storage.Enterprise, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return byKey(s.ents), nil
}

func (s *memStore) Contacts(context.Context) ([]storage.Contact, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return byKey(s.contacts), nil
}

func (s *memStore) Groups(context.Context) ([]storage.Group, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return byKey(s.groups), nil
}

// byKey lists a map's values in key order; the maps are keyed by ID, so this is the ID
// order the real stores list the registry in.
func byKey[V any](m map[string]V) []V {
	out := make([]V, 0, len(m))
	for _, k := range slices.Sorted(maps.Keys(m)) {
		out = append(out, m[k])
	}
	return out
}

func (s *memStore) LatestHeads(_ context.Context, upTo string) (map[string]storage.Head, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]storage.Head{}
	for id, hs := range s.heads {
		for _, h := range hs {
			if h.Period > upTo {
				continue
			}
			if cur, ok := out[id]; !ok || h.Period > cur.Period || h.Period == cur.Period && h.Version > cur.Version {
				out[id] = h
			}
		}
	}
	return out, nil
}

func (s *memStore) Session(_ context.Context, id string) (storage.Session, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if x, ok := s.sessions[id]; ok {
		return x, nil
	}
	return storage.Session{ContactID: id}, nil
}

func (s *memStore) Draft(_ context.Context, ent, period string) (storage.Draft, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d, ok := s.drafts[[2]string{ent, period}]; ok {
		return d, nil
	}
	return storage.Draft{}, storage.ErrNotFound
}

func (s *memStore) enqueueLocked(msgs []storage.OutboxMessage) {
	for _, m := range msgs {
		if _, ok := s.msgs[m.ID]; ok {
			continue
		}
		m := m
		s.msgs[m.ID] = &m
		s.order = append(s.order, m.ID)
	}
}

func (s *memStore) Enqueue(_ context.Context, msgs []storage.OutboxMessage) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.enqueueLocked(msgs)
	return nil
}

func (s *memStore) Pending(_ context.Context, account string, limit int) ([]storage.OutboxMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []storage.OutboxMessage
	for _, id := range s.order {
		m := s.msgs[id]
		if m.SentAt.IsZero() && m.FailedAt.IsZero() && m.Account == account {
			out = append(out, *m)
			if len(out) == limit {
				break
			}
		}
	}
	return out, nil
}

func (s *memStore) MarkSent(_ context.Context, id string, at time.Time, sendErr string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.msgs[id]
	if !ok {
		return storage.ErrNotFound
	}
	if sendErr != "" {
		m.Attempts++
		m.Error = sendErr
		return nil
	}
	if m.SentAt.IsZero() {
		m.SentAt = at
	}
	return nil
}

func (s *memStore) MarkFailed(_ context.Context, id string, at time.Time, reason string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.msgs[id]
	if !ok {
		return storage.ErrNotFound
	}
	if m.SentAt.IsZero() && m.FailedAt.IsZero() {
		m.FailedAt, m.Error = at, reason
	}
	return nil
}

func (s *memStore) Failed(_ context.Context, since time.Time) ([]storage.OutboxMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []storage.OutboxMessage
	for _, id := range s.order {
		if m := s.msgs[id]; !m.FailedAt.IsZero() && !m.FailedAt.Before(since) {
			out = append(out, *m)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].FailedAt.Before(out[j].FailedAt) })
	return out, nil
}

func (s *memStore) Sent(_ context.Context, since time.Time) ([]storage.OutboxMessage, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []storage.OutboxMessage
	for _, id := range s.order {
		if m := s.msgs[id]; !m.SentAt.IsZero() && !m.SentAt.Before(since) {
			out = append(out, *m)
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].SentAt.Before(out[j].SentAt) })
	return out, nil
}

func (s *memStore) ClaimReminder(_ context.Context, key string, at time.Time, msgs []storage.OutboxMessage) (bool, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failClaim != nil {
		if err := s.failClaim(key); err != nil {
			return false, err
		}
	}
	if _, ok := s.claims[key]; ok {
		return false, nil
	}
	s.claims[key] = at
	s.enqueueLocked(msgs)
	return true, nil
}

// all returns every queued message, in queue order.
func (s *memStore) all() []storage.OutboxMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []storage.OutboxMessage
	for _, id := range s.order {
		out = append(out, *s.msgs[id])
	}
	return out
}

func (s *memStore) claimed() map[string]time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]time.Time{}
	for k, v := range s.claims {
		out[k] = v
	}
	return out
}

var errCrash = errors.New("crash")
