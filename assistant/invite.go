package assistant

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"innobot/invite"
	"innobot/storage"
	"innobot/survey"
)

// inviteStore is what issuing a code needs.
type inviteStore interface {
	PutInvite(ctx context.Context, inv storage.Invite, replaces []string, a storage.Answer) error
	Invites(ctx context.Context) ([]storage.Invite, error)
	Enterprise(ctx context.Context, id string) (storage.Enterprise, error)
}

// MaxLiveStaffCodes is how many unused staff codes (helper, county, city) one role may have
// live in one region: a stolen list of codes, or one forgotten in a chat, is worth little.
const MaxLiveStaffCodes = 5

// ErrTooManyCodes is IssueInvite's refusal of a staff code beyond MaxLiveStaffCodes.
var ErrTooManyCodes = errors.New("too many live codes of this role and region")

// IssueInvite makes a new one-time code for the invite's role and scope, valid for ttl, and
// returns the code to hand to the person. Only the code's keyed hash is stored. A liaison code
// revokes the enterprise's older unused ones, so only the newest works; a staff code is
// refused (ErrTooManyCodes) when its role already has MaxLiveStaffCodes live in its region.
// The code, the revocations and the answer are one write: a crash can leave the older codes
// live only with no new code issued and the message not handled, so that it is handled again.
// answer, when set, gives the answer of the message that asked for the code, stored with the
// code: it is called with each code drawn (a code already taken is drawn again).
func IssueInvite(ctx context.Context, s inviteStore, key invite.Key, inv storage.Invite, now time.Time, ttl time.Duration, answer func(code string) storage.Answer) (string, error) {
	live, err := LiveInvites(ctx, s, now)
	if err != nil {
		return "", err
	}
	region, err := codeRegion(ctx, s, inv)
	if err != nil {
		return "", err
	}
	var older []string
	n := 0
	for _, l := range live {
		switch {
		case inv.Role == storage.RoleLiaison && l.Role == storage.RoleLiaison && l.EnterpriseID == inv.EnterpriseID:
			older = append(older, l.Hash)
		case inv.Role != storage.RoleLiaison && l.Role == inv.Role:
			r, err := codeRegion(ctx, s, l)
			if err != nil {
				return "", err
			}
			if r == region {
				n++
			}
		}
	}
	if n >= MaxLiveStaffCodes {
		return "", fmt.Errorf("%s codes of %q: %w", inv.Role, region, ErrTooManyCodes)
	}
	return putNewInvite(ctx, s, key, inv, older, now, ttl, answer)
}

// putNewInvite stores the invite under a freshly drawn code, revoking the codes it replaces in
// the same write, and returns the code.
func putNewInvite(ctx context.Context, s inviteStore, key invite.Key, inv storage.Invite, replaces []string, now time.Time, ttl time.Duration, answer func(code string) storage.Answer) (string, error) {
	inv.CreatedAt, inv.ExpiresAt = now, now.Add(ttl)
	for range 10 {
		code, err := invite.New()
		if err != nil {
			return "", err
		}
		inv.Hash = key.Hash(code)
		var a storage.Answer
		if answer != nil {
			a = answer(code)
		}
		err = s.PutInvite(ctx, inv, replaces, a)
		if errors.Is(err, storage.ErrConflict) {
			continue // that code is taken: draw again
		}
		if err != nil {
			return "", fmt.Errorf("store invite: %w", err)
		}
		return code, nil
	}
	return "", fmt.Errorf("invite code: no free code after 10 draws")
}

// codeRegion is the region a code counts in for the cap on staff codes: a county's region,
// the region of a helper's first enterprise, none for the city office.
func codeRegion(ctx context.Context, s inviteStore, inv storage.Invite) (string, error) {
	switch {
	case inv.Role == storage.RoleCounty:
		return inv.Region, nil
	case inv.Role == storage.RoleHelper && len(inv.EnterpriseIDs) > 0:
		e, err := s.Enterprise(ctx, inv.EnterpriseIDs[0])
		if errors.Is(err, storage.ErrNotFound) {
			return "", nil
		}
		if err != nil {
			return "", fmt.Errorf("region of a helper code: %w", err)
		}
		return e.Region, nil
	}
	return "", nil
}

// LiveInvites returns the codes that can still be redeemed at now.
func LiveInvites(ctx context.Context, s interface {
	Invites(ctx context.Context) ([]storage.Invite, error)
}, now time.Time) ([]storage.Invite, error) {
	all, err := s.Invites(ctx)
	if err != nil {
		return nil, fmt.Errorf("list invites: %w", err)
	}
	var live []storage.Invite
	for _, inv := range all {
		if !invite.IsRetiredHash(inv.Hash) && inv.Redeemable(now) == nil {
			live = append(live, inv)
		}
	}
	return live, nil
}

// parseBind reads "绑定 K7WQM3PA" loosely: no space or a colon after 绑定, the word 邀请码
// before the code, and whatever invite.Parse accepts in the code itself (full-width, lower
// case, spaces or dashes inside). A text is a binding only when what follows 绑定 has the
// shape of a code, a current one or a retired 6-digit one: anything else ("绑定了两个平台") is
// an ordinary message, an answer to the survey, and never counts as a wrong code. The code is
// returned as invite.Parse returns it.
func parseBind(text string) (code string, ok bool) {
	rest, ok := strings.CutPrefix(survey.Normalize(text), "绑定")
	if !ok {
		return "", false
	}
	rest = strings.TrimLeft(rest, " :：")
	rest = strings.TrimPrefix(rest, "邀请码")
	code, shape := invite.Parse(rest)
	return code, shape != invite.NotACode
}
