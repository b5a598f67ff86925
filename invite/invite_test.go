package invite_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"innobot/invite"
	"innobot/invite/invitetest"
)

func TestParse(t *testing.T) {
	tests := []struct {
		in    string
		code  string
		shape invite.Shape
	}{
		{"K7M3QX9A", "K7M3QX9A", invite.Current},
		{"k7m3qx9a", "K7M3QX9A", invite.Current},
		{"K7M3 QX9A", "K7M3QX9A", invite.Current},
		{"K7M3-QX9A", "K7M3QX9A", invite.Current},
		{"Ｋ７Ｍ３ＱＸ９Ａ", "K7M3QX9A", invite.Current},
		{"ｋ７ｍ３\u3000ｑｘ９ａ", "K7M3QX9A", invite.Current},
		{"K7M3－QX9A", "K7M3QX9A", invite.Current},
		{"483920", "483920", invite.Retired},
		{"４８３９２０", "483920", invite.Retired},
		{"483 920", "483920", invite.Retired},
		// Look-alikes are not in the alphabet: such a token is no code at all.
		{"K7M3QX0A", "", invite.NotACode},
		{"K7M3QXOA", "", invite.NotACode},
		{"K7M3QX1A", "", invite.NotACode},
		{"K7M3QXIA", "", invite.NotACode},
		{"K7M3QXLA", "", invite.NotACode},
		{"K7M3QX9", "", invite.NotACode},
		{"K7M3QX9AB", "", invite.NotACode},
		{"4839201", "", invite.NotACode},
		{"48392", "", invite.NotACode},
		{"12A456", "", invite.NotACode},
		{"", "", invite.NotACode},
		{"研发费用", "", invite.NotACode},
		{"本群 盐湖区", "", invite.NotACode},
		{"13800000000", "", invite.NotACode},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			code, shape := invite.Parse(tt.in)
			if code != tt.code || shape != tt.shape {
				t.Errorf("Parse(%q) = %q, %d; want %q, %d", tt.in, code, shape, tt.code, tt.shape)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"K7M3QX9A", "ｋ７ｍ３ ｑｘ９ａ", "483920", "", "绑定", "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		code, shape := invite.Parse(s)
		switch shape {
		case invite.NotACode:
			if code != "" {
				t.Fatalf("Parse(%q) = %q, not a code", s, code)
			}
		case invite.Current:
			if len(code) != invite.Length || strings.Trim(code, invite.Alphabet) != "" {
				t.Fatalf("Parse(%q) = %q, not of the alphabet", s, code)
			}
			// A code read back is itself.
			if again, sh := invite.Parse(code); again != code || sh != invite.Current {
				t.Fatalf("Parse(%q) = %q, %d; Parse of that = %q, %d", s, code, shape, again, sh)
			}
		case invite.Retired:
			if len(code) != 6 || strings.Trim(code, "0123456789") != "" {
				t.Fatalf("Parse(%q) = %q, not six digits", s, code)
			}
		}
	})
}

func TestNewUsesTheWholeAlphabet(t *testing.T) {
	seen := map[rune]int{}
	for range 2000 {
		code, err := invite.New()
		if err != nil {
			t.Fatal(err)
		}
		if got, shape := invite.Parse(code); got != code || shape != invite.Current {
			t.Fatalf("New() = %q, which reads as %q, %d", code, got, shape)
		}
		for _, r := range code {
			seen[r]++
		}
	}
	// 16,000 characters over 31: about 516 each; one missing or far off means a biased draw.
	for _, r := range invite.Alphabet {
		if n := seen[r]; n < 350 || n > 700 {
			t.Errorf("%c drawn %d times of 16000, want about 516", r, n)
		}
	}
}

func TestHashNeedsTheKey(t *testing.T) {
	k1, k2 := invitetest.Key(t), invitetest.Key(t)
	if k1.Hash("K7M3QX9A") != k1.Hash("K7M3QX9A") {
		t.Error("one key hashes one code two ways")
	}
	if k1.Hash("K7M3QX9A") == k2.Hash("K7M3QX9A") {
		t.Error("two keys hash a code alike")
	}
	if k1.Hash("K7M3QX9A") == k1.Hash("K7M3QX9B") {
		t.Error("two codes hash alike")
	}
	if invite.IsRetiredHash(k1.Hash("K7M3QX9A")) {
		t.Error("a keyed hash taken for a retired one")
	}
	if !invite.IsRetiredHash(strings.Repeat("ab", 32)) {
		t.Error("an unkeyed hash of a 6-digit code not taken for a retired one")
	}
	defer func() {
		if recover() == nil {
			t.Error("the zero key hashed a code")
		}
	}()
	invite.Key{}.Hash("K7M3QX9A")
}

func TestKeyNeverPrints(t *testing.T) {
	k := invitetest.Key(t)
	for _, format := range []string{"%v", "%+v", "%s", "%#v"} {
		if got := fmt.Sprintf(format, k); strings.Contains(got, k.Hex()) || strings.Contains(got, k.Hex()[:8]) {
			t.Errorf("%s printed the key: %s", format, got)
		}
	}
	back, err := invite.ParseKey(k.Hex())
	if err != nil || back.Hash("K7M3QX9A") != k.Hash("K7M3QX9A") {
		t.Errorf("ParseKey(Hex()) = a key hashing otherwise, err %v", err)
	}
	for _, bad := range []string{"", "abcd", strings.Repeat("zz", 32), strings.Repeat("ab", 33)} {
		if _, err := invite.ParseKey(bad); err == nil {
			t.Errorf("ParseKey(%q) accepted", bad)
		}
	}
}

func TestLoadKeyFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), invite.KeyFile)
	k, created, err := invite.LoadKeyFile(path)
	if err != nil || !created {
		t.Fatalf("first load: created %v, err %v", created, err)
	}
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode %#o, want 0600", perm)
	}
	again, created, err := invite.LoadKeyFile(path)
	if err != nil || created || again.Hex() != k.Hex() {
		t.Errorf("second load: created %v, same key %v, err %v", created, again.Hex() == k.Hex(), err)
	}

	// Readable by others: refused, and the file is left alone.
	if err := os.Chmod(path, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := invite.LoadKeyFile(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Errorf("a key file readable by others: err %v, want advice to chmod 600", err)
	}
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}

	// Damaged: refused, never replaced by a new key (that would void every code issued).
	if err := os.WriteFile(path, []byte("not a key\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := invite.LoadKeyFile(path); err == nil {
		t.Error("a damaged key file was accepted")
	}
	if b, _ := os.ReadFile(path); string(b) != "not a key\n" {
		t.Errorf("a damaged key file was rewritten: %q", b)
	}
}

// Processes starting at once on one data dir end up with one key.
func TestLoadKeyFileRace(t *testing.T) {
	path := filepath.Join(t.TempDir(), invite.KeyFile)
	keys := make([]string, 8)
	var wg sync.WaitGroup
	for i := range keys {
		wg.Go(func() {
			k, _, err := invite.LoadKeyFile(path)
			if err != nil {
				t.Error(err)
				return
			}
			keys[i] = k.Hex()
		})
	}
	wg.Wait()
	for _, k := range keys[1:] {
		if k != keys[0] {
			t.Fatalf("racing loads got different keys")
		}
	}
	entries, err := os.ReadDir(filepath.Dir(path))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("files left beside the key: %v", entries)
	}
}
