package main

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	bbolt "go.etcd.io/bbolt"

	"innobot/storage"
	"innobot/storage/bolt"
	storeredis "innobot/storage/redis"
)

// runMigrate is `innobot migrate --from SRC --to DST`: copies every record from one store to
// another (bolt:PATH or redis://…), then reads the destination back and prints the number of
// records of each kind on both sides; a difference fails the command. The destination must be
// empty (a new bolt file, or a Redis prefix without keys): merging two histories is not a
// migration. Stop the bots first: the copy is read as the source stands.
func runMigrate(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("migrate", stderr)
	from := fs.String("from", "", "源：bolt:数据文件路径 或 redis://主机:端口/库")
	to := fs.String("to", "", "目标：bolt:数据文件路径（须不存在）或 redis://主机:端口/库（前缀下须为空）")
	prefix := fs.String("prefix", "", "Redis 键前缀（同配置 storage.prefix）")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *from == "" || *to == "" {
		fmt.Fprintln(stderr, "migrate needs --from and --to, e.g. --from bolt:data/innobot.db --to redis://127.0.0.1:6379/0")
		return errUsage
	}
	src, err := parseEndpoint(*from, *prefix)
	if err != nil {
		return fmt.Errorf("--from: %w", err)
	}
	dst, err := parseEndpoint(*to, *prefix)
	if err != nil {
		return fmt.Errorf("--to: %w", err)
	}
	if src == dst {
		return errors.New("--from and --to name the same store")
	}

	d, err := src.export(ctx)
	if err != nil {
		return fmt.Errorf("read %s: %w", src, err)
	}
	if err := dst.importDump(ctx, d); err != nil {
		return fmt.Errorf("write %s: %w", dst, err)
	}
	back, err := dst.export(ctx)
	if err != nil {
		return fmt.Errorf("read back %s: %w", dst, err)
	}

	want, got := d.Counts(), back.Counts()
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintf(w, "\t%s\t%s\n", src, dst)
	var bad []string
	for i, c := range want {
		mark := ""
		if got[i].N != c.N {
			mark = "  ← differs"
			bad = append(bad, c.Kind)
		}
		fmt.Fprintf(w, "%s\t%d\t%d%s\n", c.Kind, c.N, got[i].N, mark)
	}
	if err := w.Flush(); err != nil {
		return err
	}
	if len(bad) > 0 {
		return fmt.Errorf("migrate: counts differ for %s", strings.Join(bad, ", "))
	}
	fmt.Fprintf(stdout, "迁移完成：%s → %s，各类记录数一致。\n", src, dst)
	return nil
}

// endpoint is one side of a migration.
type endpoint struct {
	kind   string // "bolt" or "redis"
	path   string // bolt file, or redis URL
	prefix string
}

func (e endpoint) String() string {
	switch {
	case e.kind == "bolt":
		return "bolt:" + e.path
	case e.prefix != "":
		return e.path + " (prefix " + e.prefix + ")"
	}
	return e.path
}

func parseEndpoint(s, prefix string) (endpoint, error) {
	switch {
	case strings.HasPrefix(s, "bolt:"):
		p := strings.TrimPrefix(s, "bolt:")
		if p == "" {
			return endpoint{}, errors.New("bolt: needs a file path, e.g. bolt:data/innobot.db")
		}
		return endpoint{kind: "bolt", path: p}, nil
	case strings.HasPrefix(s, "redis://"), strings.HasPrefix(s, "rediss://"):
		if err := storeredis.CheckPrefix(prefix); err != nil {
			return endpoint{}, err
		}
		return endpoint{kind: "redis", path: s, prefix: prefix}, nil
	}
	return endpoint{}, fmt.Errorf("%q: want bolt:PATH or redis://HOST:PORT/DB", s)
}

func (e endpoint) export(ctx context.Context) (*storeredis.Dump, error) {
	if e.kind == "bolt" {
		return exportBolt(e.path)
	}
	s, err := storeredis.Open(ctx, e.path, e.prefix)
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s.Export(ctx)
}

func (e endpoint) importDump(ctx context.Context, d *storeredis.Dump) error {
	if e.kind == "bolt" {
		return importBolt(ctx, e.path, d)
	}
	s, err := storeredis.Open(ctx, e.path, e.prefix)
	if err != nil {
		return err
	}
	defer s.Close()
	return s.Import(ctx, d)
}

// The bolt side. storage/bolt has no export or import of its own, and storage.Backend lists
// only some kinds of records (there is no listing of sessions, drafts, invites, claims,
// handled ids or bind failures, and no way to write a session at a version, a draft without a
// turn, a contact without a code, or a submission without a session). So the file is read
// directly, by the bucket names and record encodings that storage/bolt declares part of its
// file format (format 2); writing uses storage/bolt's own methods where they keep the record
// as given, and the buckets directly for the rest, after which storage/bolt rebuilds the
// ledger's heads from the submissions when it next opens the file. This belongs in
// storage/bolt as Export and Import; until then these functions are the only other code that
// knows its layout.

// boltSchema is the file format this code reads and writes.
const boltSchema = "2"

const boltSep = "\x00"

var (
	bucketMeta         = []byte("meta")
	bucketEnterprises  = []byte("enterprises")
	bucketContacts     = []byte("contacts")
	bucketInvites      = []byte("invites")
	bucketSessions     = []byte("sessions")
	bucketDrafts       = []byte("drafts")
	bucketSubmissions  = []byte("submissions")
	bucketHandled      = []byte("handled")
	bucketGroups       = []byte("groups")
	bucketBindFailures = []byte("bind_failures")
	bucketAudit        = []byte("audit")
	bucketOutbox       = []byte("outbox")
	bucketClaims       = []byte("claims")
)

// boltOutboxRecord is storage/bolt's outbox value: the message and the sequence number that
// orders the queue.
type boltOutboxRecord struct {
	storage.OutboxMessage
	Seq uint64 `json:"seq"`
}

// exportBolt reads every record of a bolt file in one read-only transaction.
func exportBolt(path string) (*storeredis.Dump, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, err // bbolt would create a missing file
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: bolt.DefaultLockTimeout})
	if err != nil {
		return nil, fmt.Errorf("open %s (stop the bot first): %w", path, err)
	}
	defer db.Close()
	d := &storeredis.Dump{}
	err = db.View(func(tx *bbolt.Tx) error {
		meta := tx.Bucket(bucketMeta)
		if meta == nil {
			return errors.New("not an innobot store (no meta bucket)")
		}
		if v := string(meta.Get([]byte("schema"))); v != boltSchema {
			return fmt.Errorf("file format %q, this program migrates format %s", v, boltSchema)
		}
		var errs []error
		add := func(err error) { errs = append(errs, err) }
		add(boltJSON(tx, bucketEnterprises, &d.Enterprises))
		add(boltJSON(tx, bucketContacts, &d.Contacts))
		add(boltJSON(tx, bucketInvites, &d.Invites))
		add(boltJSON(tx, bucketGroups, &d.Groups))
		add(boltJSON(tx, bucketSessions, &d.Sessions))
		add(boltJSON(tx, bucketDrafts, &d.Drafts))
		add(boltJSON(tx, bucketSubmissions, &d.Submissions))
		add(boltJSON(tx, bucketAudit, &d.Audit))
		var outbox []boltOutboxRecord
		add(boltJSON(tx, bucketOutbox, &outbox))
		slices.SortStableFunc(outbox, func(a, b boltOutboxRecord) int { return cmp.Compare(a.Seq, b.Seq) })
		for _, r := range outbox {
			d.Outbox = append(d.Outbox, r.OutboxMessage)
		}
		add(boltEach(tx, bucketClaims, func(k, v []byte) error {
			var at time.Time
			if err := at.UnmarshalBinary(v); err != nil {
				return err
			}
			d.Claims = append(d.Claims, storeredis.Claim{Key: string(k), At: at})
			return nil
		}))
		add(boltEach(tx, bucketHandled, func(k, v []byte) error {
			var at time.Time
			if err := at.UnmarshalBinary(v); err != nil {
				return err
			}
			d.Handled = append(d.Handled, storeredis.Handled{ID: string(k), At: at})
			return nil
		}))
		add(boltEach(tx, bucketBindFailures, func(k, v []byte) error {
			var times []time.Time
			if err := json.Unmarshal(v, &times); err != nil {
				return err
			}
			for _, at := range times {
				d.BindFailures = append(d.BindFailures, storeredis.BindFailure{ContactID: string(k), At: at})
			}
			return nil
		}))
		return errors.Join(errs...)
	})
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	return d, nil
}

// boltEach calls fn for every key of a bucket; a missing bucket has none.
func boltEach(tx *bbolt.Tx, bucket []byte, fn func(k, v []byte) error) error {
	b := tx.Bucket(bucket)
	if b == nil {
		return nil
	}
	return b.ForEach(func(k, v []byte) error {
		if err := fn(k, v); err != nil {
			return fmt.Errorf("%s %q: %w", bucket, k, err)
		}
		return nil
	})
}

// boltJSON decodes every value of a bucket, in key order, into *out.
func boltJSON[T any](tx *bbolt.Tx, bucket []byte, out *[]T) error {
	return boltEach(tx, bucket, func(k, v []byte) error {
		var r T
		if err := json.Unmarshal(v, &r); err != nil {
			return err
		}
		*out = append(*out, r)
		return nil
	})
}

// importBolt writes a Dump into a new bolt file: see the comment above exportBolt.
func importBolt(ctx context.Context, path string, d *storeredis.Dump) error {
	if _, err := os.Stat(path); err == nil {
		return fmt.Errorf("%s exists: migrate into a new file", path)
	}
	s, err := bolt.Open(path)
	if err != nil {
		return err
	}
	err = importBoltAPI(ctx, s, d)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}

	db, err := bbolt.Open(path, 0o600, &bbolt.Options{Timeout: bolt.DefaultLockTimeout})
	if err != nil {
		return err
	}
	err = db.Update(func(tx *bbolt.Tx) error { return importBoltRaw(tx, d) })
	if cerr := db.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	// Opening rebuilds the heads bucket, whose encoding marker importBoltRaw removed.
	s, err = bolt.Open(path)
	if err != nil {
		return err
	}
	return s.Close()
}

// importBoltAPI writes what storage/bolt's methods keep as given.
func importBoltAPI(ctx context.Context, s *bolt.Store, d *storeredis.Dump) error {
	if err := s.PutEnterprises(ctx, d.Enterprises); err != nil {
		return err
	}
	for _, inv := range d.Invites {
		if err := s.PutInvite(ctx, inv); err != nil {
			return fmt.Errorf("invite: %w", err)
		}
	}
	for _, g := range d.Groups {
		if err := s.PutGroup(ctx, g); err != nil {
			return err
		}
	}
	for _, e := range d.Audit {
		if err := s.Audit(ctx, e); err != nil {
			return err
		}
	}
	fails := slices.Clone(d.BindFailures)
	slices.SortStableFunc(fails, func(a, b storeredis.BindFailure) int { return a.At.Compare(b.At) })
	for _, f := range fails {
		if err := s.AddBindFailure(ctx, f.ContactID, f.At); err != nil {
			return err
		}
	}
	if err := s.Enqueue(ctx, d.Outbox); err != nil {
		return err
	}
	for _, c := range d.Claims {
		if _, err := s.ClaimReminder(ctx, c.Key, c.At, nil); err != nil {
			return err
		}
	}
	return nil
}

// importBoltRaw writes the records storage/bolt has no method for, in its encodings.
func importBoltRaw(tx *bbolt.Tx, d *storeredis.Dump) error {
	put := func(bucket []byte, key string, v any) error {
		data, err := json.Marshal(v)
		if err != nil {
			return err
		}
		return tx.Bucket(bucket).Put([]byte(key), data)
	}
	for _, c := range d.Contacts {
		if err := put(bucketContacts, c.ID, c); err != nil {
			return err
		}
	}
	ents := tx.Bucket(bucketEnterprises)
	for _, e := range d.Enterprises {
		if e.LiaisonID == "" {
			continue
		}
		var stored storage.Enterprise
		if err := json.Unmarshal(ents.Get([]byte(e.ID)), &stored); err != nil {
			return fmt.Errorf("enterprise %s: %w", e.ID, err)
		}
		stored.LiaisonID = e.LiaisonID
		if err := put(bucketEnterprises, e.ID, stored); err != nil {
			return err
		}
	}
	for _, x := range d.Sessions {
		if err := put(bucketSessions, x.ContactID, x); err != nil {
			return err
		}
	}
	for _, x := range d.Drafts {
		if err := put(bucketDrafts, x.EnterpriseID+boltSep+x.Period, x); err != nil {
			return err
		}
	}
	for _, x := range d.Submissions {
		key := x.EnterpriseID + boltSep + x.Period + boltSep + fmt.Sprintf("%010d", x.Version)
		if err := put(bucketSubmissions, key, x); err != nil {
			return err
		}
	}
	handled := tx.Bucket(bucketHandled)
	for _, h := range d.Handled {
		at, err := h.At.UTC().MarshalBinary()
		if err != nil {
			return err
		}
		if err := handled.Put([]byte(h.ID), at); err != nil {
			return err
		}
	}
	// Without its encoding marker, the heads bucket is rebuilt from the submissions on open.
	meta := tx.Bucket(bucketMeta)
	if !bytes.Equal(meta.Get([]byte("schema")), []byte(boltSchema)) {
		return fmt.Errorf("new file has format %q, want %s", meta.Get([]byte("schema")), boltSchema)
	}
	return meta.Delete([]byte("heads"))
}
