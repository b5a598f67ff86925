package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

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
		fmt.Fprintln(stderr, "用法: innobot migrate --from 源 --to 目标 [--prefix 前缀]，例如 --from bolt:data/innobot.db --to redis://127.0.0.1:6379/0")
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
		return fmt.Errorf("write %s: %w（%s）", dst, err, dst.importAdvice(err))
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
		// The records are written: the operator must know the copy is not to be used.
		return fmt.Errorf("migrate: counts differ for %s（目标 %s 的数据与源不一致，不要在它上面启动机器人；%s后重跑 migrate）",
			strings.Join(bad, ", "), dst, dst.clearAdvice())
	}
	fmt.Fprintf(stdout, "迁移完成：%s → %s，各类记录数一致。\n%s\n", src, dst, migrateKeyAdvice(src, dst))
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
	case strings.HasPrefix(s, "redis://"), strings.HasPrefix(s, "rediss://"), strings.HasPrefix(s, "redis+"), strings.HasPrefix(s, "rediss+"):
		// One server, Sentinel or Cluster: the store reads the rest of the URL.
		if err := storeredis.CheckPrefix(prefix); err != nil {
			return endpoint{}, err
		}
		return endpoint{kind: "redis", path: s, prefix: prefix}, nil
	}
	return endpoint{}, fmt.Errorf("%q: want bolt:PATH, redis://HOST:PORT/DB, redis+sentinel://… or redis+cluster://…", s)
}

// open opens one side of a migration as a storage.Dumper; the caller closes it. A bolt source
// must exist (opening would create it); a bolt destination must not, and create says so, so
// that a failed migration can remove the file it made.
func (e endpoint) open(ctx context.Context, create bool) (dumpStore, error) {
	if e.kind != "bolt" {
		s, err := storeredis.Open(ctx, e.path, e.prefix)
		if err != nil {
			return nil, err // not a nil *Store in an interface
		}
		return s, nil
	}
	switch _, err := os.Stat(e.path); {
	case create && err == nil:
		return nil, fmt.Errorf("%s exists: migrate into a new file", e.path)
	case create && !errors.Is(err, os.ErrNotExist):
		return nil, err
	case !create && err != nil:
		return nil, err
	}
	s, err := bolt.Open(e.path)
	if err != nil {
		return nil, fmt.Errorf("%w (stop the bot first)", err)
	}
	return s, nil
}

// clearAdvice says how to empty the destination before running migrate again.
func (e endpoint) clearAdvice() string {
	if e.kind == "bolt" {
		return "删除文件 " + e.path
	}
	return "删除 Redis 中匹配 " + storeredis.KeyPattern(e.prefix) + " 的键"
}

// importAdvice tells the operator what a failed import left in the destination and what to do
// next: a bolt file is removed again (importDump), but a Redis import is not atomic and leaves
// the keys it wrote, which the next run would refuse as ErrNotEmpty.
func (e endpoint) importAdvice(err error) string {
	switch {
	case errors.Is(err, storage.ErrNotEmpty):
		return "目标须为空：换一个新文件或一个没有键的前缀"
	case e.kind == "bolt":
		return "目标文件未留下，可直接重跑 migrate"
	}
	return "目标中可能已写入部分记录：" + e.clearAdvice() + "后重跑 migrate"
}

// dumpStore is what migrate needs of each side.
type dumpStore interface {
	storage.Dumper
	Close() error
}

func (e endpoint) export(ctx context.Context) (storage.Dump, error) {
	s, err := e.open(ctx, false)
	if err != nil {
		return storage.Dump{}, err
	}
	d, err := s.Export(ctx)
	if cerr := s.Close(); err == nil && cerr != nil {
		return storage.Dump{}, cerr
	}
	return d, err
}

// importDump writes d into the endpoint, which must be empty. A bolt file made here is removed
// again when the import fails.
func (e endpoint) importDump(ctx context.Context, d storage.Dump) error {
	s, err := e.open(ctx, true)
	if err != nil {
		return err
	}
	err = s.Import(ctx, d)
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil && e.kind == "bolt" {
		if rerr := os.Remove(e.path); rerr != nil {
			err = errors.Join(err, rerr)
		}
	}
	return err
}
