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

// codeAlphabet is the alphabet of the 8-character invite codes: digits and capitals without
// 0, 1, I, L and O, which people misread. Codes of six digits, issued before, stay valid until
// they expire, so both shapes are read.
const codeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// parseBind reads "绑定 483920" or "绑定 K7WQ-M3PA" loosely: full-width characters, lower case,
// no space or a colon after 绑定, spaces or dashes inside the code, the word 邀请码 before it.
// A text is a binding only when what follows 绑定 has the shape of a code (six digits, or
// eight characters of codeAlphabet): anything else ("绑定了两个平台") is an ordinary message,
// an answer to the survey, and never counts as a wrong code. The code is returned in capitals
// without separators.
func parseBind(text string) (code string, ok bool) {
	rest, ok := strings.CutPrefix(survey.Normalize(text), "绑定")
	if !ok {
		return "", false
	}
	rest = strings.TrimLeft(rest, " :：")
	rest = strings.TrimPrefix(rest, "邀请码")
	rest = strings.TrimLeft(rest, " :：")
	code = strings.ToUpper(strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' || r == '－' || r == '—' {
			return -1
		}
		return r
	}, rest))
	if !codeShaped(code) {
		return "", false
	}
	return code, true
}

// codeShaped reports whether s has the shape of an invite code, old or new.
func codeShaped(s string) bool {
	switch len(s) {
	case 6:
		return strings.Trim(s, "0123456789") == ""
	case 8:
		return strings.Trim(s, codeAlphabet) == ""
	}
	return false
}
