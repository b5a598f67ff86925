// Command innobot runs the enterprise-innovation assistant: the WeChat bot, its local
// simulator and the office's command-line tools. It is the only place where concrete parts
// (storage, transports, configuration) are wired together.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	_ "time/tzdata" // Asia/Shanghai on hosts without a zone database
)

// command is one subcommand.
type command struct {
	name, usage string
	run         func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

var commands = []command{
	{"run", "连接微信运行机器人（扫码登录）: run [--data DIR] [--config FILE] [--listen 127.0.0.1:9090] [--new-account]", runRun},
	{"sim", "本地模拟聊天（无需微信账号）: sim [--demo] [--json] [--now T] [--pace] [--data DIR] [--config FILE]", runSim},
	{"invite", "生成一次性邀请码: invite [--role liaison|helper|county_office|city_office] [--enterprise 企业]… [--region 地区]；查看或收回: invite --list | --revoke 编号|all [--data DIR] [--config FILE]", runInvite},
	{"backup", "热备份数据文件: backup 备份文件.db [--data DIR] [--config FILE] [--listen 运行中机器人的地址]", runBackup},
	{"check", "检查数据文件是否损坏（每次启动也会检查）: check [备份文件.db] [--data DIR] [--config FILE]", runCheck},
	{"audit", "查看审计日志: audit [--since 2026-11-01] [--person 人] [--role 角色] [--outcome 结果] [--csv] [--data DIR] [--config FILE]", runAudit},
	{"export", "导出表格或进度图: export 台账|调查表|月报|进度图 [--period 2026-11] [--region 县] [--enterprise 企业] [--out DIR] [--data DIR] [--config FILE]", runExport},
	{"import", "导入企业名单（.xlsx/.csv）: import 名单.xlsx [--dry-run] [--data DIR] [--config FILE]", runImport},
	{"reminders", "列出将要发送的提醒: reminders [--from 2026-12-01] [--to 2027-01-31] [--text] [--data DIR] [--config FILE]", runReminders},
	{"keygen", "生成邀请码密钥（Redis 部署配置用）: keygen", runKeygen},
	{"migrate", "在 bolt 与 Redis 之间迁移全部数据并核对条数: migrate --from bolt:PATH|redis://… --to redis://…|bolt:PATH [--prefix P]", runMigrate},
}

// errUsage marks a command line that could not be read; the message was printed already.
var errUsage = errors.New("usage")

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	if err != nil {
		if !errors.Is(err, errUsage) {
			fmt.Fprintln(os.Stderr, "innobot:", err)
		}
		os.Exit(2)
	}
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 {
		for _, c := range commands {
			if c.name == args[0] {
				return c.run(ctx, args[1:], stdout, stderr)
			}
		}
	}
	fmt.Fprintln(stderr, "用法: innobot <命令> [参数]")
	for _, c := range commands {
		fmt.Fprintf(stderr, "  %-8s %s\n", c.name, c.usage)
	}
	return errUsage
}

// newFlags returns a flag set that reports errors instead of exiting, so run stays testable.
func newFlags(name string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("innobot "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	return fs
}

// parseFileFlags parses a command line that names at most one file, before the flags or after
// them, and returns the file ("" when none); more than one argument is errUsage, after usage
// is printed.
func parseFileFlags(fs *flag.FlagSet, args []string, usage string) (string, error) {
	file := ""
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		file, args = args[0], args[1:]
	}
	if err := fs.Parse(args); err != nil {
		return "", errUsage
	}
	switch {
	case file == "" && fs.NArg() == 1:
		file = fs.Arg(0)
	case fs.NArg() > 0:
		fmt.Fprintln(fs.Output(), usage)
		return "", errUsage
	}
	return file, nil
}

// parseFlags parses args and turns a bad command line into errUsage.
func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return errUsage
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(fs.Output(), "unexpected argument %q\n", fs.Arg(0))
		return errUsage
	}
	return nil
}
