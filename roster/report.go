package roster

import (
	"fmt"
	"innobot/storage"
	"strings"
)

// Report is what an office reads about an import: the summary, then (before it is written,
// on a dry run) each update with its changes, then each rejected row with its reason.
// The command line's --dry-run and the chat's list import print the same words.
func (cs Changeset) Report(file string, dryRun bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s：%d 行企业数据\n", file, cs.Rows)
	fmt.Fprintf(&b, "新增 %d，更新 %d，未变 %d，拒绝 %d\n", len(cs.Added), len(cs.Updated), len(cs.Unchanged), len(cs.Rejected))
	if base, newly := cs.flags(); base+newly > 0 {
		fmt.Fprintf(&b, "其中有原台账有无（基线）%d 家，新进规上 %d 家\n", base, newly)
	}
	for _, n := range cs.Notes {
		b.WriteString(n + "\n")
	}
	if dryRun && len(cs.Updated) > 0 {
		b.WriteString("将更新：\n")
		for _, u := range cs.Updated {
			changes := make([]string, len(u.Changes))
			for i, c := range u.Changes {
				changes[i] = fmt.Sprintf("%s %s → %s", c.Field, orEmpty(c.Old), orEmpty(c.New))
			}
			fmt.Fprintf(&b, "第 %d 行 %s（%s）：%s\n", u.Line, u.Old.Name, u.Old.Region, strings.Join(changes, "；"))
		}
	}
	good := len(cs.Added) + len(cs.Updated) + len(cs.Unchanged)
	if len(cs.Rejected) > 0 {
		switch {
		case good == 0:
			b.WriteString("没有可以导入的行。")
		case dryRun:
			fmt.Fprintf(&b, "被拒绝的行不会导入，其余 %d 行照常导入。", good)
		default:
			fmt.Fprintf(&b, "被拒绝的行没有导入，其余 %d 行已导入。", good)
		}
		b.WriteString("改正下列各行后可再导入整个文件（已有企业只会更新，不会重复）：\n")
		for _, r := range cs.Rejected {
			fmt.Fprintf(&b, "第 %d 行：%s\n", r.Line, r.Reason)
		}
	} else if !dryRun {
		if len(cs.Added)+len(cs.Updated) == 0 {
			b.WriteString("名单与已有数据一致，没有需要写入的改动。\n")
		} else {
			b.WriteString("已全部导入。\n")
		}
	}
	return b.String()
}

// flags counts the enterprises the import leaves with a baseline and marked 新进规上.
func (cs Changeset) flags() (base, newly int) {
	count := func(e storage.Enterprise) {
		if e.Baseline != nil {
			base++
		}
		if e.NewlyAbove {
			newly++
		}
	}
	for _, a := range cs.Added {
		count(a.Enterprise)
	}
	for _, u := range cs.Updated {
		count(u.New)
	}
	for _, u := range cs.Unchanged {
		count(u.Enterprise)
	}
	return base, newly
}

func orEmpty(s string) string {
	if s == "" {
		return "（空）"
	}
	return s
}
