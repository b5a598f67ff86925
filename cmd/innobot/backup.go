package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"innobot/storage"
	"innobot/storage/bolt"
)

func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("backup", stderr)
	load := settingsFlags(fs)
	usage := "用法: innobot backup 备份文件.db [--data DIR] [--config FILE]"
	dest, err := parseFileFlags(fs, args, usage)
	if err != nil {
		return err
	}
	if dest == "" {
		fmt.Fprintln(stderr, usage)
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

// backup writes the copy next to dest, syncs it, checks it as a start would (bolt.CheckFile),
// then renames it into place, so dest is either the old backup or a whole new one that opens,
// never half of one or a damaged one. Every copy the bot writes goes through here.
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
		if _, cerr := bolt.CheckFile(ctx, tmp.Name(), nil); cerr != nil {
			err = fmt.Errorf("the copy does not pass the check, so it was not kept: %w", cerr)
		}
	}
	if err == nil {
		err = os.Rename(tmp.Name(), dest)
	}
	if err != nil {
		return 0, fmt.Errorf("backup: %w", err)
	}
	return n, nil
}
