package storage

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

// The rules below are the backends' shared meaning of a record, kept here so that bolt and
// redis cannot drift apart on them; the storetest suite checks both against the same answers.

// CheckID refuses an empty id and one holding NUL: both backends join the parts of a
// composite key with NUL, so an id holding it could make a prefix scan for "E1" match
// another enterprise's records. what names the id in the error.
func CheckID(what, id string) error {
	if id == "" {
		return fmt.Errorf("empty %s", what)
	}
	return CheckNUL(what, id)
}

// CheckNUL is CheckID for a part that may be empty (an account, a period bound).
func CheckNUL(what, s string) error {
	if strings.Contains(s, "\x00") {
		return fmt.Errorf("NUL in %s %q", what, s)
	}
	return nil
}

// CheckKey is CheckID for the two parts that name a draft or a submission's period.
func CheckKey(enterpriseID, period string) error {
	if err := CheckID("enterprise id", enterpriseID); err != nil {
		return err
	}
	return CheckID("period", period)
}

// Redeemable says why the code cannot be redeemed at now (ErrInviteUsed, ErrInviteRevoked,
// ErrInviteExpired), or nil when it can.
func (inv Invite) Redeemable(now time.Time) error {
	switch {
	case inv.UsedBy != "" || !inv.UsedAt.IsZero():
		return ErrInviteUsed
	case !inv.RevokedAt.IsZero():
		return ErrInviteRevoked
	case now.After(inv.ExpiresAt):
		return ErrInviteExpired
	}
	return nil
}

// Revocable reports whether revoking the code changes anything: it is neither used nor
// revoked already (an expired code still is). Both stores revoke by it.
func (inv Invite) Revocable() bool {
	return inv.UsedBy == "" && inv.UsedAt.IsZero() && inv.RevokedAt.IsZero()
}

// Bind is c as redeeming the code at now makes it: c's ID, Name and Account (the bot account
// the person talks to) with the code's role and scope.
func (inv Invite) Bind(c Contact, now time.Time) Contact {
	return Contact{
		ID:            c.ID,
		Name:          c.Name,
		Role:          inv.Role,
		EnterpriseID:  inv.EnterpriseID,
		EnterpriseIDs: inv.EnterpriseIDs,
		Region:        inv.Region,
		BoundAt:       now,
		Account:       c.Account,
	}
}

// Unbound is c without a role: what the office still wants to know of the person (who they
// were) and what reaching them needs (the account they talk to).
func (c Contact) Unbound() Contact {
	return Contact{ID: c.ID, Name: c.Name, Account: c.Account}
}

// LeftEnterprise returns the enterprise a liaison leaves by becoming next (another
// enterprise's liaison, or another role), or "" when it leaves none. That enterprise is left
// without a liaison rather than pointing at someone who no longer answers for it.
func (c Contact) LeftEnterprise(next Contact) string {
	if c.Role != RoleLiaison || c.EnterpriseID == "" {
		return ""
	}
	if next.Role == RoleLiaison && next.EnterpriseID == c.EnterpriseID {
		return ""
	}
	return c.EnterpriseID
}

// CheckMessages refuses messages the outbox cannot key: an empty ID (the ID is what makes
// queueing twice keep one) or an account holding NUL (pending messages are keyed by account).
func CheckMessages(msgs []OutboxMessage) error {
	for i, m := range msgs {
		if m.ID == "" {
			return fmt.Errorf("message %d has an empty id", i)
		}
		if err := CheckNUL("account", m.Account); err != nil {
			return fmt.Errorf("message %s: %w", m.ID, err)
		}
	}
	return nil
}

// Copy returns e sharing nothing with it: a store that keeps enterprises in memory hands out
// copies, so that a caller's change stays the caller's.
func (e Enterprise) Copy() Enterprise {
	if e.Baseline != nil {
		b := *e.Baseline
		e.Baseline = &b
	}
	return e
}

// Copy returns c sharing nothing with it, as Enterprise.Copy.
func (c Contact) Copy() Contact {
	c.EnterpriseIDs = slices.Clone(c.EnterpriseIDs)
	return c
}

// Copies copies a list of records and each record in it (Enterprise.Copy, Contact.Copy).
func Copies[T interface{ Copy() T }](list []T) []T {
	out := make([]T, len(list))
	for i, r := range list {
		out[i] = r.Copy()
	}
	return out
}
