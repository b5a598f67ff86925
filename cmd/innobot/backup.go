package main

import (
	"bytes"
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"time"

	"innobot/bot"
	"innobot/invite"
	"innobot/storage"
	"innobot/storage/bolt"
)

func runBackup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("backup", stderr)
	load := settingsFlags(fs)
	listen := fs.String("listen", defaultListen, "运行中的 innobot run 的 --listen 地址：数据文件正被它使用时，由它写出副本")
	usage := "用法: innobot backup 备份文件.db [--data DIR] [--config FILE] [--listen 127.0.0.1:9090]"
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
			return errors.New("backup 只复制 bolt 数据文件；Redis 存储请用 Redis 自己的持久化文件（AOF 或 RDB）备份，或用 innobot migrate 复制成一个 bolt 文件")
		}
		n, err = backup(ctx, b, dest)
		return err
	})
	via := ""
	if errors.Is(err, bolt.ErrInUse) && *listen != "" {
		// The running bot holds the file: it writes the copy.
		var remote backuper
		if remote, err = st.remoteBackup(*listen); err == nil {
			n, err = backup(ctx, remote, dest)
			via = "（由运行中的 innobot run 经 " + *listen + " 写出）"
		}
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "已备份到 %s（%d 字节）%s\n%s\n", dest, n, via, st.keyAdvice())
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

// backupToken is what a request for a copy shows the running bot: a keyed hash of a fixed
// label under the invite key, so that only someone who can read the data dir's key (or the
// config or environment that gives it) gets the data, whoever else can reach the loopback
// listener. The label has a space, so it is never the hash of a code.
func backupToken(k invite.Key) string { return k.Hash("innobot backup") }

// backupHandler is GET /backup on the loopback listener of `innobot run`: the store's copy as
// the body, for `innobot backup`. The request names the data file it expects to copy (file=),
// so that a bot of another data dir listening there is refused rather than copied.
func backupHandler(store backuper, key invite.Key, file string, log *slog.Logger) http.Handler {
	token := backupToken(key)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if subtle.ConstantTimeCompare([]byte(r.Header.Get("Authorization")), []byte("Bearer "+token)) != 1 {
			http.Error(w, "密钥不符：用与运行中的机器人相同的数据目录、配置和 "+envSecretKey, http.StatusForbidden)
			return
		}
		asked, err := os.Stat(r.URL.Query().Get("file"))
		own, ownErr := os.Stat(file)
		if err != nil || ownErr != nil || !os.SameFile(asked, own) {
			http.Error(w, "这个机器人的数据文件是 "+file+"：--data 或 --listen 不对", http.StatusConflict)
			return
		}
		w.Header().Set("Content-Type", "application/octet-stream")
		n, err := store.Backup(r.Context(), w)
		if err != nil {
			log.Error("backup for innobot backup", "err", err, "bytes", n)
			// Break the connection: the client must see a broken copy, not a short one that ends well.
			panic(http.ErrAbortHandler)
		}
		log.Info("backup written for innobot backup", "bytes", n)
	})
}

// remoteBackup is the running bot of this data dir, reached on its listener, as a backuper.
func (st settings) remoteBackup(listen string) (backuper, error) {
	key, err := st.inviteKey(slog.New(slog.DiscardHandler))
	if err != nil {
		return nil, err
	}
	file, err := filepath.Abs(st.boltPath())
	if err != nil {
		return nil, err
	}
	return remoteBackup{url: "http://" + listen + "/backup?file=" + url.QueryEscape(file), token: backupToken(key), listen: listen}, nil
}

type remoteBackup struct{ url, token, listen string }

// Backup copies what the bot sends; a transfer cut short is an error (the bot breaks the
// connection when its copy fails).
func (r remoteBackup) Backup(ctx context.Context, w io.Writer) (int64, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, r.url, nil)
	if err != nil {
		return 0, err
	}
	req.Header.Set("Authorization", "Bearer "+r.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, fmt.Errorf("数据文件正被另一个进程使用，而 %s 上没有 innobot run 应答（用 --listen 给出它的地址，或先停止它）: %w", r.listen, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return 0, fmt.Errorf("%s 上的 innobot run 不给出副本：它只在回环地址（如 127.0.0.1:9090）上给，或它的存储不是 bolt 文件", r.listen)
	}
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
		return 0, fmt.Errorf("运行中的 innobot run（%s）没有给出副本：%s", r.listen, bytes.TrimSpace(msg))
	}
	return io.Copy(w, resp.Body)
}

// backupLayout names a scheduled copy by the moment it was taken (in the configured time
// zone), so that names sort as the copies do.
const backupLayout = "innobot-20060102-150405.db"

// backupSchedule is the copies `innobot run` writes into dir every so often while it serves,
// keeping the newest keep.
type backupSchedule struct {
	store backuper
	dir   string
	every time.Duration
	keep  int
	loc   *time.Location
	clock bot.Clock
	log   *slog.Logger
}

// run writes a copy whenever the newest in dir is every old, until ctx ends: a bot restarted
// daily still copies daily. A copy that fails is tried again an hour later (or at the next
// turn of a shorter schedule).
func (s backupSchedule) run(ctx context.Context) {
	next := time.Time{} // at once, when dir has no copy
	copies, err := s.copies()
	if err != nil {
		s.log.Error("scheduled backup", "err", err)
	}
	if len(copies) > 0 {
		next = copies[len(copies)-1].at.Add(s.every)
	}
	for {
		timer := time.NewTimer(next.Sub(s.clock.Now()))
		select {
		case <-ctx.Done():
			timer.Stop()
			return
		case <-timer.C:
		}
		path, n, err := s.take(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			s.log.Error("scheduled backup", "dir", s.dir, "err", err)
			next = s.clock.Now().Add(min(s.every, time.Hour))
			continue
		}
		s.log.Info("scheduled backup written", "file", path, "bytes", n)
		next = s.clock.Now().Add(s.every)
		if err := s.prune(); err != nil {
			s.log.Error("deleting old backups", "dir", s.dir, "err", err)
		}
	}
}

// take writes one copy into dir.
func (s backupSchedule) take(ctx context.Context) (string, int64, error) {
	if err := os.MkdirAll(s.dir, 0o700); err != nil {
		return "", 0, fmt.Errorf("backup dir: %w", err)
	}
	path := filepath.Join(s.dir, s.clock.Now().In(s.loc).Format(backupLayout))
	n, err := backup(ctx, s.store, path)
	return path, n, err
}

// prune deletes the copies beyond the newest keep.
func (s backupSchedule) prune() error {
	copies, err := s.copies()
	for _, c := range copies[:max(len(copies)-s.keep, 0)] {
		err = errors.Join(err, os.Remove(filepath.Join(s.dir, c.name)))
	}
	return err
}

// backupCopy is a scheduled copy in the backup dir.
type backupCopy struct {
	name string
	at   time.Time
}

// copies lists the scheduled copies in dir, oldest first (none while dir does not exist);
// other files are not the schedule's.
func (s backupSchedule) copies() ([]backupCopy, error) {
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	var cs []backupCopy
	for _, e := range entries {
		if at, perr := time.ParseInLocation(backupLayout, e.Name(), s.loc); perr == nil && e.Type().IsRegular() {
			cs = append(cs, backupCopy{e.Name(), at})
		}
	}
	slices.SortFunc(cs, func(a, b backupCopy) int { return a.at.Compare(b.at) })
	return cs, err
}
