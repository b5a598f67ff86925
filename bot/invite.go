package bot

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math/big"
	"strings"
	"time"

	"innobot/storage"
	"innobot/survey"
)

// codeDigits is the length of an invite code: short enough to type on a phone; guessing is
// made useless by single use, expiry and the limit on wrong tries.
const codeDigits = 6

// HashCode is how an invite code is kept: only its hash is stored.
func HashCode(code string) string {
	sum := sha256.Sum256([]byte("innobot-invite-v1:" + code))
	return hex.EncodeToString(sum[:])
}

// inviteStore is what issuing a code needs.
type inviteStore interface {
	PutInvite(ctx context.Context, inv storage.Invite) error
}

// IssueInvite makes a new one-time code for the invite's role and scope, valid for ttl, and
// returns the code to hand to the person. The code itself is never stored.
func IssueInvite(ctx context.Context, s inviteStore, inv storage.Invite, now time.Time, ttl time.Duration) (string, error) {
	inv.CreatedAt, inv.ExpiresAt = now, now.Add(ttl)
	for range 10 {
		n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
		if err != nil {
			return "", fmt.Errorf("invite code: %w", err)
		}
		code := fmt.Sprintf("%0*d", codeDigits, n.Int64())
		inv.Hash = HashCode(code)
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

// parseBind reads "绑定 483920" loosely: full-width digits, no space, spaces inside the code.
// ok is false when the text is not a binding at all.
func parseBind(text string) (code string, ok bool) {
	rest, ok := strings.CutPrefix(survey.Normalize(text), "绑定")
	if !ok || strings.HasPrefix(strings.TrimSpace(rest), "本群") {
		return "", false // 绑定本群 binds a group, not a person
	}
	rest = strings.TrimLeft(rest, " :：")
	return strings.Join(strings.Fields(rest), ""), true
}
