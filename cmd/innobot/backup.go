package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"innobot/storage"
)

func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("backup", stderr)
	load := settingsFlags(fs)
	// The file may come before the flags or after them.
	dest := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		dest, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if dest == "" && fs.NArg() == 1 {
		dest = fs.Arg(0)
	} else if fs.NArg() > 0 {
		dest = ""
	}
	if dest == "" {
		fmt.Fprintln(stderr, "用法: innobot backup 备份文件.db [--data DIR] [--config FILE]")
		return errUsage
	}
	st, err := load()
	if err != nil {
		return err
	}
	var n int64
	err = st.withStore(func(store storage.Backend) error {
		b, ok := store.(backuper)
		if !ok {
			return errors.New("backup 只复制 bolt 数据文件；Redis 存储请用 Redis 自己的持久化备份（appendonly 或 BGSAVE 生成的文件）")
		}
		n, err = backup(ctx, b, dest)
		return err
	})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "已备份到 %s（%d 字节）\n%s\n", dest, n, st.keyAdvice())
	return err
}

// backuper is a store that can copy itself while in use (storage/bolt): backup asks the store
// rather than naming its type, so that it needs no backend's package.
type backuper interface {
	Backup(ctx context.Context, w io.Writer) (int64, error)
}

// backup writes the copy next to dest, syncs it, then renames it into place, so dest is
// either the old backup or a whole new one, never half of one.
func backup(ctx context.Context, s backuper, dest string) (int64, error) {
	tmp, err := os.CreateTemp(filepath.Dir(dest), ".backup-*")
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	n, err := s.Backup(ctx, tmp)
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dest)
	}
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	return n, nil
}
