package bolt_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"innobot/storage"
	"innobot/storage/bolt"
)

// damageFixture writes a store with records of several kinds and returns its path and where
// its data ends (bbolt's high-water mark: past it the file holds only free space).
func damageFixture(t *testing.T) (path string, dataEnd int64) {
	t.Helper()
	path = filepath.Join(t.TempDir(), "innobot.db")
	s, err := bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	var es []storage.Enterprise
	for i := range 400 {
		es = append(es, storage.Enterprise{ID: fmt.Sprintf("E%04d", i), Name: fmt.Sprintf("示范企业%04d有限公司", i), Region: "盐湖区"})
	}
	es[7].Name = "甲乙丙钢铁有限公司"
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(s.PutEnterprises(ctx, es))
	must(s.CommitTurn(ctx, storage.Turn{Answer: storage.Answer{MessageID: "m1", At: at}, Session: storage.Session{ContactID: "张三", State: "filling"},
		Draft: &storage.Draft{EnterpriseID: "E0001", Period: "2026-11", UpdatedAt: at}}))
	must(s.Audit(ctx, storage.AuditEntry{At: at, Contact: "张三", Action: "bind", Detail: "绑定"}))
	must(s.Close())
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.View(func(tx *bbolt.Tx) error { dataEnd = tx.Size(); return nil }); err != nil {
		t.Fatal(err)
	}
	return path, dataEnd
}

func digest(t *testing.T, path string) [32]byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return sha256.Sum256(b)
}

// A damaged file is refused at open with one message that names it and says to restore a
// backup, and is left exactly as it was; innobot check (CheckFile) says the same. The damage:
// the file truncated at several sizes, a flipped byte in a record, a record that is not JSON.
func TestOpenRefusesDamagedFile(t *testing.T) {
	page := int64(os.Getpagesize())
	tests := []struct {
		name   string
		damage func(t *testing.T, path string, dataEnd int64)
		want   string // in the problem
	}{
		{"truncated to nothing", func(t *testing.T, path string, _ int64) { truncate(t, path, 0) }, "空"},
		{"truncated to two pages", func(t *testing.T, path string, _ int64) { truncate(t, path, 2*page) }, ""},
		{"truncated to half its data", func(t *testing.T, path string, end int64) { truncate(t, path, end/2/page*page) }, ""},
		{"truncated by its last page of data", func(t *testing.T, path string, end int64) { truncate(t, path, end-page) }, "截短"},
		{"a flipped byte in a record", func(t *testing.T, path string, _ int64) {
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			// Every copy of the record (bbolt leaves old copies in free pages): the live one
			// is among them. The record starts at the { before its id.
			mark := []byte(`{"id":"E0007","name":"甲乙丙钢铁有限公司"`)
			n := 0
			for i := bytes.Index(b, mark); i >= 0; i = bytes.Index(b[i+1:], mark) + i + 1 {
				b[i] ^= 0x01
				n++
				if bytes.Index(b[i+1:], mark) < 0 {
					break
				}
			}
			if n == 0 {
				t.Fatal("the record is not in the file")
			}
			if err := os.WriteFile(path, b, 0o600); err != nil {
				t.Fatal(err)
			}
		}, "E0007"},
		{"a record that is not JSON", func(t *testing.T, path string, _ int64) {
			db, err := bbolt.Open(path, 0o600, nil)
			if err != nil {
				t.Fatal(err)
			}
			err = db.Update(func(tx *bbolt.Tx) error {
				return tx.Bucket([]byte("contacts")).Put([]byte("李四"), []byte(`{"id":"李四","role":"liai`))
			})
			if cerr := db.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				t.Fatal(err)
			}
		}, "contacts 中的记录 \"李四\""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path, end := damageFixture(t)
			tt.damage(t, path, end)
			before := digest(t, path)
			for name, open := range map[string]func() error{
				"Open": func() error {
					s, err := bolt.Open(path)
					if err == nil {
						s.Close()
					}
					return err
				},
				"CheckFile": func() error { _, err := bolt.CheckFile(t.Context(), path, nil); return err },
			} {
				err := open()
				if !errors.Is(err, bolt.ErrDamaged) {
					t.Fatalf("%s: %v, want the file refused as damaged", name, err)
				}
				msg := err.Error()
				if !strings.HasPrefix(msg, "数据文件已损坏："+path+"：") || !strings.HasSuffix(msg, "；请用 innobot backup 的副本恢复") ||
					!strings.Contains(msg, tt.want) || strings.Contains(msg, "goroutine") || strings.Count(msg, "\n") > 0 {
					t.Errorf("%s: message %q", name, msg)
				}
			}
			if digest(t, path) != before {
				t.Error("the damaged file was written to")
			}
		})
	}
}

func truncate(t *testing.T, path string, size int64) {
	t.Helper()
	if err := os.Truncate(path, size); err != nil {
		t.Fatal(err)
	}
}

// A sound file passes the check, every record counted.
func TestCheckFileSound(t *testing.T) {
	path, _ := damageFixture(t)
	rep, err := bolt.CheckFile(t.Context(), path, nil)
	if err != nil {
		t.Fatal(err)
	}
	// 400 enterprises, a session, a draft, a handled id and its time, an audit entry, the
	// schema and heads format.
	if rep.Records < 400 || rep.Bytes == 0 {
		t.Errorf("report %+v", rep)
	}
}

// Damage met while the bot runs (here the file is cut short under it, whose pages then fault
// when read) fails the read with an error rather than the process, and the store takes no
// write from then on and says so to a monitor.
func TestDamageWhileRunningFailsTheStore(t *testing.T) {
	path, _ := damageFixture(t)
	s, err := bolt.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx := t.Context()
	if h := s.Health(ctx); h != (storage.Health{}) {
		t.Fatalf("a sound store reports %+v", h)
	}
	truncate(t, path, int64(os.Getpagesize()))
	var readErr error
	for i := range 400 { // some page of the file is past its new end
		if _, readErr = s.Enterprise(ctx, fmt.Sprintf("E%04d", i)); readErr != nil {
			break
		}
	}
	if !errors.Is(readErr, bolt.ErrDamaged) {
		t.Fatalf("reading past the end of the file: %v, want the store failed as damaged", readErr)
	}
	writes := map[string]func() error{
		"PutEnterprise": func() error { return s.PutEnterprise(ctx, storage.Enterprise{ID: "E9999", Name: "新企业"}) },
		"Answer":        func() error { return s.Answer(ctx, storage.Answer{MessageID: "m9", At: time.Now()}) },
		"CommitTurn": func() error {
			return s.CommitTurn(ctx, storage.Turn{Answer: storage.Answer{MessageID: "m10"}, Session: storage.Session{ContactID: "王五"}})
		},
	}
	for name, write := range writes {
		if err := write(); !errors.Is(err, bolt.ErrDamaged) {
			t.Errorf("%s after the damage: %v, want it refused", name, err)
		}
	}
	if h := s.Health(ctx); !strings.Contains(h.Failed, "数据文件已损坏") {
		t.Errorf("health after the damage: %+v", h)
	}
}

// Every bucket the store writes has an encoding the check decodes it by.
func TestCheckKnowsEveryBucket(t *testing.T) {
	for _, name := range bolt.Buckets() {
		if !bolt.CheckedBucket(name) {
			t.Errorf("bucket %s has no encoding for the check", name)
		}
	}
}
