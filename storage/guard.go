package storage

import (
	"context"
	"errors"
	"time"
)

// ErrInviteRevoked is a code revoked before it was used: a newer code was issued for the
// enterprise, or an office revoked it.
var ErrInviteRevoked = errors.New("invite code revoked")

// InviteAdmin is what the office's tools do with codes besides issuing them: list the live
// ones (never the codes, which are not stored), revoke them, and clear out dead ones.
type InviteAdmin interface {
	// Invites returns every stored code, used, expired and revoked ones included, ordered by
	// hash.
	Invites(ctx context.Context) ([]Invite, error)
	// RevokeInvites marks the codes of the hashes given revoked at a time, so that they can
	// no longer be redeemed, and returns how many it revoked: a code used or revoked already,
	// and a hash not stored, are left as they are.
	RevokeInvites(ctx context.Context, hashes []string, at time.Time) (int, error)
	// DeleteInvites removes the codes of the hashes given and returns how many there were.
	DeleteInvites(ctx context.Context, hashes []string) (int, error)
}

// BindGuard keeps invite codes from being guessed: it counts the wrong codes that could have
// been guesses city-wide, and bars contacts from binding for a while. The per-contact record
// of refused codes is the Registry's (AddBindFailure, BindFailures).
type BindGuard interface {
	// AddWrongCode records a code that matched nothing, sent by a contact: a possible guess,
	// counted in the city-wide budget.
	AddWrongCode(ctx context.Context, contactID string, at time.Time) error
	// WrongCodes counts the codes recorded by AddWrongCode at or after since, every contact's.
	WrongCodes(ctx context.Context, since time.Time) (int, error)
	// LockBinding bars a contact from binding until a time; a later lock stored already is
	// kept.
	LockBinding(ctx context.Context, contactID string, until time.Time) error
	// LockWrongCoders bars every contact that sent a wrong code (AddWrongCode) at or after
	// since, until a time, in one atomic write, and returns those it newly barred (a later
	// lock stored already is kept, and such a contact is not returned).
	LockWrongCoders(ctx context.Context, since, until time.Time) ([]string, error)
	// BindingLocked returns until when a contact is barred from binding; the zero time when
	// never, which a lock that has ended may also return after PruneBindFailures.
	BindingLocked(ctx context.Context, contactID string) (time.Time, error)
	// PruneBindFailures forgets the refused and wrong codes sent before a time and the locks
	// that ended before it, and returns how many records it removed.
	PruneBindFailures(ctx context.Context, before time.Time) (int, error)
}

// BindLock is a contact barred from binding until a time.
type BindLock struct {
	ContactID string
	Until     time.Time
}
