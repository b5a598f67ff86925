package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"innobot/assistant"
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
	list := fs.Bool("list", false, "列出仍可使用的邀请码（不显示邀请码本身），可用 --role、--region、--enterprise 筛选")
	revoke := fs.String("revoke", "", "收回邀请码：--list 显示的编号，或 all（配合 --role、--region、--enterprise 筛选）")
	load := settingsFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	st, err := load()
	if err != nil {
		return err
	}
	if *list || *revoke != "" {
		f := inviteFilter{enterprises: enterprises, region: *region}
		fs.Visit(func(fl *flag.Flag) {
			if fl.Name == "role" {
				f.role = storage.Role(*role)
			}
		})
		return st.withStore(func(store storage.Backend) error {
			if *list {
				return listInvites(ctx, st, store, f, stdout)
			}
			return revokeInvites(ctx, st, store, f, *revoke, stdout)
		})
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
		code, who, err = issue(ctx, store, key, inv, enterprises, now, ttl)
		if errors.Is(err, assistant.ErrTooManyCodes) {
			return fmt.Errorf("%s已有 %d 个未使用的邀请码（上限 %d）：请等它们用掉，或用 innobot invite --list 查看、--revoke 收回后再生成", who, assistant.MaxLiveStaffCodes, assistant.MaxLiveStaffCodes)
		}
		if err != nil {
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

// inviteFilter picks the codes --list shows and --revoke all clears; an empty field keeps all.
type inviteFilter struct {
	role        storage.Role
	region      string
	enterprises []string // names or ids
}

// match reports whether a code is one the filter picks; byID holds every enterprise.
func (f inviteFilter) match(inv storage.Invite, byID map[string]storage.Enterprise) bool {
	ids := append([]string{inv.EnterpriseID}, inv.EnterpriseIDs...)
	regions := []string{inv.Region}
	for _, id := range ids {
		regions = append(regions, byID[id].Region)
	}
	named := func(want string) bool {
		return slices.ContainsFunc(ids, func(id string) bool { return id != "" && (id == want || byID[id].Name == want) })
	}
	switch {
	case f.role != "" && inv.Role != f.role:
		return false
	case f.region != "" && !slices.Contains(regions, f.region):
		return false
	case len(f.enterprises) > 0 && !slices.ContainsFunc(f.enterprises, named):
		return false
	}
	return true
}

// pickInvites returns the live codes the filter picks, with the enterprises by id.
func pickInvites(ctx context.Context, store storage.Backend, f inviteFilter, now time.Time) ([]storage.Invite, map[string]storage.Enterprise, error) {
	live, err := assistant.LiveInvites(ctx, store, now)
	if err != nil {
		return nil, nil, err
	}
	all, err := store.Enterprises(ctx)
	if err != nil {
		return nil, nil, err
	}
	byID := map[string]storage.Enterprise{}
	for _, e := range all {
		byID[e.ID] = e
	}
	return slices.DeleteFunc(live, func(inv storage.Invite) bool { return !f.match(inv, byID) }), byID, nil
}

// listInvites prints the live codes the filter picks: never the codes, which are not stored,
// but a short id to revoke each by.
func listInvites(ctx context.Context, st settings, store storage.Backend, f inviteFilter, stdout io.Writer) error {
	picked, byID, err := pickInvites(ctx, store, f, time.Now())
	if err != nil {
		return err
	}
	loc := st.cfg.Location()
	w := tabwriter.NewWriter(stdout, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "编号\t角色\t范围\t生成人\t生成时间\t有效至")
	for _, inv := range picked {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", invite.ShortID(inv.Hash), inv.Role, escapeField(codeScope(inv, byID)), escapeField(inv.CreatedBy),
			inv.CreatedAt.In(loc).Format("2006-01-02 15:04"), inv.ExpiresAt.In(loc).Format("2006-01-02 15:04"))
	}
	if err := w.Flush(); err != nil {
		return err
	}
	_, err = fmt.Fprintf(stdout, "共 %d 个仍可使用的邀请码（邀请码本身不保存，无法再显示；收回：innobot invite --revoke 编号）\n", len(picked))
	return err
}

// codeScope names what a code gives.
func codeScope(inv storage.Invite, byID map[string]storage.Enterprise) string {
	name := func(id string) string {
		if e, ok := byID[id]; ok {
			return fmt.Sprintf("【%s】（%s）", e.Name, e.Region)
		}
		return id
	}
	switch inv.Role {
	case storage.RoleLiaison:
		return name(inv.EnterpriseID)
	case storage.RoleHelper:
		var ns []string
		for _, id := range inv.EnterpriseIDs {
			ns = append(ns, name(id))
		}
		return strings.Join(ns, "")
	case storage.RoleCounty:
		return inv.Region
	}
	return "全市"
}

// revokeInvites revokes the live code of an id, or every one the filter picks ("all"), and
// audits it.
func revokeInvites(ctx context.Context, st settings, store storage.Backend, f inviteFilter, which string, stdout io.Writer) error {
	now := time.Now()
	picked, byID, err := pickInvites(ctx, store, f, now)
	if err != nil {
		return err
	}
	if which != "all" {
		picked = slices.DeleteFunc(picked, func(inv storage.Invite) bool { return invite.ShortID(inv.Hash) != which })
		if len(picked) == 0 {
			return fmt.Errorf("没有编号为 %q 的可用邀请码：用 innobot invite --list 查看编号", which)
		}
	}
	var hashes, scopes []string
	for _, inv := range picked {
		hashes = append(hashes, inv.Hash)
		scopes = append(scopes, codeScope(inv, byID))
	}
	n, err := store.RevokeInvites(ctx, hashes, now)
	if err != nil {
		return err
	}
	if n > 0 {
		err = store.Audit(ctx, storage.AuditEntry{At: now, Contact: "admin", Role: "admin", Action: "revoke", Target: strings.Join(scopes, "、"),
			Outcome: storage.OutcomeOK, Detail: fmt.Sprintf("innobot invite --revoke %s：收回 %d 个", which, n)})
		if err != nil {
			return err
		}
	}
	_, err = fmt.Fprintf(stdout, "已收回 %d 个邀请码，它们不能再用于绑定。\n", n)
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
	code, err = assistant.IssueInvite(ctx, store, key, inv, now, ttl, nil)
	return code, who, err
}
