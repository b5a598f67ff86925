package main

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"innobot/invite"
	"innobot/storage"
	"innobot/storage/bolt"
)

// nthCode is the i-th code of the whole space in alphabet order (the first is 22222222).
func nthCode(i int) string {
	b := []byte("22222222")
	for p := len(b) - 1; p >= 0 && i > 0; p-- {
		b[p] = invite.Alphabet[i%len(invite.Alphabet)]
		i /= len(invite.Alphabet)
	}
	return string(b)
}

// space is a way through the codes of one shape: first sets the first code into a buffer,
// next moves it to the following one, like an odometer.
type space struct {
	digits string
	length int
}

var (
	oldSpace = space{"0123456789", 6}
	newSpace = space{invite.Alphabet, invite.Length}
)

// each calls fn with the first n codes of the space, in order, in one reused buffer.
func (sp space) each(n int, fn func(code []byte)) {
	code := make([]byte, sp.length)
	at := make([]int, sp.length)
	for i := range code {
		code[i] = sp.digits[0]
	}
	for range n {
		fn(code)
		for p := sp.length - 1; p >= 0; p-- {
			at[p]++
			if at[p] < len(sp.digits) {
				code[p] = sp.digits[at[p]]
				break
			}
			at[p], code[p] = 0, sp.digits[0]
		}
	}
}

// crack tries the first n codes of a space with each hash an attacker can make, salt first,
// and returns those whose digest is stored.
func crack(stored map[[sha256.Size]byte]bool, sp space, n int, salt string, hs ...hash.Hash) []string {
	var found []string
	var sum [sha256.Size]byte
	sp.each(n, func(code []byte) {
		for _, h := range hs {
			h.Reset()
			io.WriteString(h, salt)
			h.Write(code)
			if stored[[sha256.Size]byte(h.Sum(sum[:0]))] {
				found = append(found, string(code))
			}
		}
	})
	return found
}

// A copy of the database without the key file gives no code back: every code of the old
// 6-digit space and the first million of the new one are tried, unkeyed as the old codes
// were kept and under an empty key; none matches. With the key the same search finds the code
// planted among the first million: the search itself works.
func TestStolenDatabaseYieldsNoCode(t *testing.T) {
	if testing.Short() {
		t.Skip("two million codes")
	}
	ctx := context.Background()
	data := t.TempDir()
	for _, args := range [][]string{
		{"--role", "city_office"},
		{"--role", "county_office", "--region", "盐湖区"},
		{"--role", "county_office", "--region", "永济市"},
	} {
		if err := run(ctx, append([]string{"invite", "--data", data}, args...), io.Discard, io.Discard); err != nil {
			t.Fatal(err)
		}
	}
	keyHex, err := os.ReadFile(filepath.Join(data, invite.KeyFile))
	if err != nil {
		t.Fatal(err)
	}
	key, err := invite.ParseKey(string(keyHex))
	if err != nil {
		t.Fatal(err)
	}
	planted := nthCode(654_321)
	s, err := bolt.Open(filepath.Join(data, "innobot.db"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	if err := s.PutInvite(ctx, storage.Invite{Hash: key.Hash(planted), Role: storage.RoleCityOffice, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}, nil, storage.Answer{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// The attacker's copy: the database file alone.
	stolen := filepath.Join(t.TempDir(), "innobot.db")
	b, err := os.ReadFile(filepath.Join(data, "innobot.db"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(stolen, b, 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := bolt.Open(stolen)
	if err != nil {
		t.Fatal(err)
	}
	d, err := c.Export(ctx)
	c.Close()
	if err != nil {
		t.Fatal(err)
	}
	// What is stored is a digest (after a mark saying how it was made): the attacker tries
	// digests, whatever the mark.
	stored := map[[sha256.Size]byte]bool{}
	for _, inv := range d.Invites {
		raw, err := hex.DecodeString(strings.TrimPrefix(inv.Hash, "hmac-sha256:"))
		if err != nil || len(raw) != sha256.Size {
			t.Fatalf("a stored hash that is no SHA-256 digest: %q", inv.Hash)
		}
		stored[[sha256.Size]byte(raw)] = true
	}
	if len(stored) != 4 {
		t.Fatalf("%d codes stored, want 4", len(stored))
	}

	// Without the key: SHA-256 of the code, salted as the 6-digit codes were, and HMAC under
	// an empty key.
	for _, sp := range []space{oldSpace, newSpace} {
		if found := crack(stored, sp, 1_000_000, "", sha256.New(), hmac.New(sha256.New, nil)); len(found) != 0 {
			t.Errorf("codes given back without the key: %q", found)
		}
		if found := crack(stored, sp, 1_000_000, "innobot-invite-v1:", sha256.New()); len(found) != 0 {
			t.Errorf("codes given back by the old scheme: %q", found)
		}
	}
	// With the key, the same search finds the planted code.
	keyBytes, err := hex.DecodeString(key.Hex())
	if err != nil {
		t.Fatal(err)
	}
	if found := crack(stored, newSpace, 1_000_000, "", hmac.New(sha256.New, keyBytes)); len(found) != 1 || found[0] != planted {
		t.Errorf("with the key the search found %q, want the planted %s", found, planted)
	}
}
