package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"innobot/bot"
	"innobot/invite"
	"innobot/storage"
)

// names is a flag that may be given several times (--enterprise A --enterprise B).
type names []string

func (n *names) String() string { return strings.Join(*n, ",") }

func (n *names) Set(v string) error {
	*n = append(*n, strings.TrimSpace(v))
	return nil
}

func runInvite(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("invite", stderr)
	var enterprises names
	fs.Var(&enterprises, "enterprise", "企业名称（或编号）；--role helper 时可给多次")
	role := fs.String("role", string(storage.RoleLiaison), "角色：liaison | helper | county_office | city_office")
	region := fs.String("region", "", "地区（--role county_office 时必填）")
	load := settingsFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	st, err := load()
	if err != nil {
		return err
	}
	inv := storage.Invite{Role: storage.Role(*role), CreatedBy: "admin"}
	switch inv.Role {
	case storage.RoleLiaison:
		if len(enterprises) != 1 {
			fmt.Fprintln(stderr, "联络人邀请码要用 --enterprise 指定一家企业")
			return errUsage
		}
	case storage.RoleHelper:
		if len(enterprises) == 0 {
			fmt.Fprintln(stderr, "帮扶人邀请码要用 --enterprise 指定负责的企业（可给多次）")
			return errUsage
		}
	case storage.RoleCounty:
		if !slices.Contains(st.cfg.Regions, *region) {
			fmt.Fprintf(stderr, "县级邀请码要用 --region 指定地区，可选：%s\n", strings.Join(st.cfg.Regions, "、"))
			return errUsage
		}
		inv.Region = *region
	case storage.RoleCityOffice:
	default:
		fmt.Fprintf(stderr, "没有角色 %q：可选 liaison、helper、county_office、city_office\n", *role)
		return errUsage
	}
	now := time.Now()
	ttl := time.Duration(st.cfg.Invite.TTL)
	var code, who string
	err = st.withStore(func(store storage.Backend) error {
		key, err := st.inviteKey(slog.New(slog.NewTextHandler(stderr, nil)))
		if err != nil {
			return err
		}
		if code, who, err = issue(ctx, store, key, inv, enterprises, now, ttl); err != nil {
			return err
		}
		return store.Audit(ctx, storage.AuditEntry{At: now, Contact: "admin", Role: "admin", Action: "invite", Target: who, Outcome: storage.OutcomeOK, Detail: "innobot invite"})
	})
	if err != nil {
		return err
	}
	expires := now.Add(ttl).In(st.cfg.Location())
	_, err = fmt.Fprintf(stdout, "%s邀请码：%s（%s 前有效，只能用一次）\n请对方私聊机器人发送：绑定 %s\n",
		who, code, expires.Format("2006-01-02 15:04"), code)
	return err
}

// issue resolves the enterprises named and issues the code; who says whom it is for.
func issue(ctx context.Context, store storage.Backend, key invite.Key, inv storage.Invite, enterprises []string, now time.Time, ttl time.Duration) (code, who string, err error) {
	all, err := store.Enterprises(ctx)
	if err != nil {
		return "", "", err
	}
	var found []string
	for _, name := range enterprises {
		i := slices.IndexFunc(all, func(e storage.Enterprise) bool { return e.ID == name || e.Name == name })
		if i < 0 {
			return "", "", fmt.Errorf("名单中没有名称或编号为“%s”的企业，邀请码未生成；请写企业全称或编号（名单用 innobot import 导入）", name)
		}
		inv.EnterpriseIDs = append(inv.EnterpriseIDs, all[i].ID)
		found = append(found, fmt.Sprintf("【%s】（%s）", all[i].Name, all[i].Region))
	}
	switch inv.Role {
	case storage.RoleLiaison:
		inv.EnterpriseID, inv.EnterpriseIDs = inv.EnterpriseIDs[0], nil
		who = found[0] + "联络人"
	case storage.RoleHelper:
		who = strings.Join(found, "") + "对口帮扶人"
	case storage.RoleCounty:
		who = inv.Region + "工作人员"
	default:
		who = "市领导小组办公室工作人员"
	}
	code, err = bot.IssueInvite(ctx, store, key, inv, now, ttl)
	return code, who, err
}
