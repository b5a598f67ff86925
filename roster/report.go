package roster

import (
	"fmt"
	"strings"
)

// Report is what an office reads about an import: the summary, then (before it is written,
// on a dry run) each update with its changes, then each rejected row with its reason.
// The command line's --dry-run and the chat's list import print the same words.
func (cs Changeset) Report(file string, dryRun bool) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s：%d 行企业数据\n", file, cs.Rows)
	fmt.Fprintf(&b, "新增 %d，更新 %d，未变 %d，拒绝 %d\n", len(cs.Added), len(cs.Updated), len(cs.Unchanged), len(cs.Rejected))
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

func orEmpty(s string) string {
	if s == "" {
		return "（空）"
	}
	return s
}
