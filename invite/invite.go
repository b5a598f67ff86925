// Package invite is the one definition of an invite code (邀请码): its shape, how it is read
// from what people type, how a fresh one is drawn, and how it is kept.
//
// A code is 8 characters from an alphabet without look-alikes (no 0/O, 1/I/L), typed in any
// case, with or without spaces, in full-width forms too. It is kept only as an HMAC-SHA-256
// under a secret key that lives outside the database, so a copy of the database alone gives
// no code back: each guess needs the key.
package invite

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/big"
	"strings"

	"golang.org/x/text/width"
)

// Alphabet is the characters a code is made of: digits and capitals without 0, 1, I, L and
// O, which read alike on a phone. 31 characters to the power of Length is about 8.5×10¹¹
// codes, so a guess against even thousands of live codes almost never hits.
const Alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// Length is how many characters a code has.
const Length = 8

// Example is a code of the right shape for help texts ("例如：绑定 K7M3QX9A").
const Example = "K7M3QX9A"

// legacyLength is the length of the all-digit codes issued before; they are no longer
// accepted (see Retired).
const legacyLength = 6

// Shape says what a token typed after 绑定 looks like.
type Shape int

const (
	// NotACode is anything else: words, a phone number, a code of another length.
	NotACode Shape = iota
	// Current is a code of Length characters of Alphabet.
	Current
	// Retired is the 6-digit shape of the codes issued before keyed hashes: refused without
	// a look-up, since their unkeyed hashes can be reversed from a copied database.
	Retired
)

// Parse reads a code as people type it: full-width characters, lower case, spaces, dashes
// and a colon in front or inside are accepted. It returns the code in its canonical form (upper case, no
// separators) and its shape; the code is "" when the shape is NotACode.
func Parse(text string) (string, Shape) {
	var b strings.Builder
	for _, r := range width.Fold.String(text) {
		switch {
		case r == ' ' || r == ':' || r == '-' || r == '—' || r == '\u3000':
			continue
		case r >= 'a' && r <= 'z':
			r -= 'a' - 'A'
		}
		b.WriteRune(r)
	}
	code := b.String()
	switch {
	case len(code) == legacyLength && strings.Trim(code, "0123456789") == "":
		return code, Retired
	case len(code) == Length && strings.Trim(code, Alphabet) == "":
		return code, Current
	}
	return "", NotACode
}

// New draws a code uniformly from the whole space with crypto/rand.
func New() (string, error) {
	b := make([]byte, Length)
	n := big.NewInt(int64(len(Alphabet)))
	for i := range b {
		x, err := rand.Int(rand.Reader, n)
		if err != nil {
			return "", fmt.Errorf("draw invite code: %w", err)
		}
		b[i] = Alphabet[x.Int64()]
	}
	return string(b), nil
}

// keyLen is the size of a key: SHA-256's block is larger, its output this size, which is all
// an HMAC key needs.
const keyLen = 32

// hashPrefix marks a keyed hash in the store. Hashes without it are the unkeyed ones of the
// 6-digit codes issued before (see IsRetiredHash).
const hashPrefix = "hmac-sha256:"

// Key is the secret an invite code is hashed with. Its zero value is no key: Hash refuses it.
// It never prints its bytes (String, Format and slog see "[secret]").
type Key struct{ b []byte }

// NewKey draws a fresh key.
func NewKey() (Key, error) {
	b := make([]byte, keyLen)
	if _, err := rand.Read(b); err != nil {
		return Key{}, fmt.Errorf("draw invite key: %w", err)
	}
	return Key{b: b}, nil
}

// ParseKey reads a key written as hex (Key.Hex, the key file, the config, the environment).
func ParseKey(s string) (Key, error) {
	b, err := hex.DecodeString(strings.TrimSpace(s))
	if err != nil || len(b) != keyLen {
		return Key{}, fmt.Errorf("invite key: want %d hex digits", 2*keyLen)
	}
	return Key{b: b}, nil
}

// IsZero reports whether k is no key.
func (k Key) IsZero() bool { return len(k.b) == 0 }

// Hex is the key written out, for the key file and for configuring other processes.
func (k Key) Hex() string { return hex.EncodeToString(k.b) }

// String hides the key from logs and error messages.
func (k Key) String() string { return "[secret]" }

// GoString hides the key from %#v.
func (k Key) GoString() string { return "invite.Key{[secret]}" }

// Hash is what the store keeps of a code (canonical, as Parse returns it): its HMAC-SHA-256
// under the key, marked as keyed. It panics on the zero Key, which would make every hash
// guessable: a program without its key must not start.
func (k Key) Hash(code string) string {
	if k.IsZero() {
		panic("invite: hashing a code without a key")
	}
	m := hmac.New(sha256.New, k.b)
	m.Write([]byte(code))
	return hashPrefix + hex.EncodeToString(m.Sum(nil))
}

// IsRetiredHash reports whether a stored hash is an unkeyed one of a 6-digit code issued
// before: such a code can no longer be redeemed, and its record can be reversed.
func IsRetiredHash(h string) bool { return !strings.HasPrefix(h, hashPrefix) }

// ShortID is a short name for a stored hash, to list and revoke a code by: the start of the
// keyed hash, which tells nothing of the code without the key.
func ShortID(hash string) string {
	h := strings.TrimPrefix(hash, hashPrefix)
	return h[:min(len(h), 8)]
}
