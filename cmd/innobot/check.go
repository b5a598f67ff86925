package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"innobot/config"
	"innobot/storage/bolt"
)

// runCheck is `innobot check`: the check every start makes of the bolt file, on demand, of
// the data dir's file or of a copy (a backup before it is restored).
func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("check", stderr)
	load := settingsFlags(fs)
	file, err := parseFileFlags(fs, args, "用法: innobot check [备份文件.db] [--data DIR] [--config FILE]")
	if err != nil {
		return err
	}
	st, err := load()
	if err != nil {
		return err
	}
	if file == "" {
		if st.cfg.Storage.Driver == config.DriverRedis {
			return errors.New("check 只检查 bolt 数据文件；Redis 的数据由 Redis 自己保管，其 AOF 文件可用 redis-check-aof 检查")
		}
		file = st.boltPath()
	}
	rep, err := bolt.CheckFile(ctx, file, stderr)
	if errors.Is(err, bolt.ErrInUse) {
		return fmt.Errorf("%s 正被运行中的 innobot 使用，不能检查：请先停止它，或检查 innobot backup 做的副本（innobot check 副本.db）", file)
	}
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "数据文件完好：%s（%d 条记录，%.1f MB，检查用时 %s）\n", file, rep.Records, float64(rep.Bytes)/(1<<20), rep.Took.Round(time.Millisecond))
	return err
}
