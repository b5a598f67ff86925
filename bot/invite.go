package bot

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
	PutInvite(ctx context.Context, inv storage.Invite) error
}

// IssueInvite makes a new one-time code for the invite's role and scope, valid for ttl, and
// returns the code to hand to the person. Only the code's keyed hash is stored.
func IssueInvite(ctx context.Context, s inviteStore, key invite.Key, inv storage.Invite, now time.Time, ttl time.Duration) (string, error) {
	inv.CreatedAt, inv.ExpiresAt = now, now.Add(ttl)
	for range 10 {
		code, err := invite.New()
		if err != nil {
			return "", err
		}
		inv.Hash = key.Hash(code)
		err = s.PutInvite(ctx, inv)
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
