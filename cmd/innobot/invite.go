package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"innobot/bot"
	"innobot/storage"
)

func runInvite(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("invite", stderr)
	name := fs.String("enterprise", "", "企业名称（或编号）：生成该企业的联络人邀请码")
	dataDir := fs.String("data", "", "数据目录（默认取配置的 data_dir）")
	configPath := fs.String("config", "", "配置文件（YAML）")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *name == "" {
		fmt.Fprintln(stderr, "请用 --enterprise 指定企业名称")
		return errUsage
	}
	st, err := loadSettings(*configPath, *dataDir)
	if err != nil {
		return err
	}
	store, err := st.openStore()
	if err != nil {
		return err
	}
	now := time.Now()
	code, e, err := inviteLiaison(ctx, store, *name, now, time.Duration(st.cfg.Invite.TTL))
	if err = errors.Join(err, store.Close()); err != nil {
		return err
	}
	expires := now.Add(time.Duration(st.cfg.Invite.TTL)).In(st.cfg.Location())
	_, err = fmt.Fprintf(stdout, "【%s】（%s）联络人邀请码：%s（%s 前有效，只能用一次）\n请联络人私聊机器人发送：绑定 %s\n",
		e.Name, e.Region, code, expires.Format("2006-01-02 15:04"), code)
	return err
}

// inviteLiaison issues a liaison code for the enterprise named (exactly, or by id).
func inviteLiaison(ctx context.Context, store storage.Store, name string, now time.Time, ttl time.Duration) (string, storage.Enterprise, error) {
	all, err := store.Enterprises(ctx)
	if err != nil {
		return "", storage.Enterprise{}, err
	}
	for _, e := range all {
		if e.ID == name || e.Name == strings.TrimSpace(name) {
			code, err := bot.IssueInvite(ctx, store, storage.Invite{Role: storage.RoleLiaison, EnterpriseID: e.ID, CreatedBy: "admin"}, now, ttl)
			return code, e, err
		}
	}
	return "", storage.Enterprise{}, fmt.Errorf("no enterprise named %q", name)
}
