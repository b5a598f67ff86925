package invite

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// KeyFile is the name of the key file in the data directory.
const KeyFile = "secret.key"

// LoadKeyFile reads the key at path, or, when there is no file, draws a new key and writes it
// there, readable by the owner only; created says which. A key file that others may read is
// refused: whoever reads it with a copy of the database can test codes offline.
func LoadKeyFile(path string) (k Key, created bool, err error) {
	k, err = readKeyFile(path)
	if !errors.Is(err, fs.ErrNotExist) {
		return k, false, err
	}
	if k, err = NewKey(); err != nil {
		return Key{}, false, err
	}
	switch err := writeKeyFile(path, k); {
	case errors.Is(err, fs.ErrExist):
		// Another process wrote it first: use that one.
		k, err = readKeyFile(path)
		return k, false, err
	case err != nil:
		return Key{}, false, err
	}
	return k, true, nil
}

func readKeyFile(path string) (Key, error) {
	info, err := os.Stat(path)
	if err != nil {
		return Key{}, fmt.Errorf("invite key file: %w", err)
	}
	if perm := info.Mode().Perm(); perm&0o077 != 0 {
		return Key{}, fmt.Errorf("invite key file %s is readable by others (mode %#o): run chmod 600 %s", path, perm, path)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return Key{}, fmt.Errorf("invite key file: %w", err)
	}
	k, err := ParseKey(string(b))
	if err != nil {
		return Key{}, fmt.Errorf("invite key file %s: %w", path, err)
	}
	return k, nil
}

// writeKeyFile writes the key to a temporary file, syncs it, and links it into place, so that
// path is either absent or whole, and an existing key is never replaced (fs.ErrExist).
func writeKeyFile(path string, k Key) error {
	dir := filepath.Dir(path)
	tmp, err := os.CreateTemp(dir, ".secret-*")
	if err != nil {
		return fmt.Errorf("write invite key: %w", err)
	}
	defer os.Remove(tmp.Name())
	err = tmp.Chmod(0o600)
	if err == nil {
		_, err = tmp.WriteString(k.Hex() + "\n")
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Link(tmp.Name(), path)
	}
	if err != nil {
		return fmt.Errorf("write invite key: %w", err)
	}
	// The link is durable only once the directory is synced.
	d, err := os.Open(dir)
	if err == nil {
		err = d.Sync()
		if cerr := d.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		return fmt.Errorf("write invite key: sync %s: %w", dir, err)
	}
	return nil
}
