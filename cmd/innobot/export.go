package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"innobot/ledger"
	"innobot/period"
	"innobot/storage"
)

// Export kinds, with the words office staff use for them.
const (
	exportLedger  = "台账"
	exportSurvey  = "调查表"
	exportMonthly = "月报"
	exportChart   = "进度图"
)

var exportAliases = map[string]string{
	"台账": exportLedger, "附件2": exportLedger, "汇总统计表": exportLedger, "ledger": exportLedger,
	"调查表": exportSurvey, "附件3": exportSurvey, "survey": exportSurvey,
	"月报": exportMonthly, "monthly": exportMonthly,
	"进度图": exportChart, "chart": exportChart,
}

func runExport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	// The kind comes first (export 台账 --region 盐湖区), but flags before it are accepted too.
	kind, rest := "", args
	if len(args) > 0 && !strings.HasPrefix(args[0], "-") {
		kind, rest = args[0], args[1:]
	}
	fs := newFlags("export", stderr)
	load := settingsFlags(fs)
	periodFlag := fs.String("period", "", "月份，如 2026-11（默认当前报告期：5日及以前为上月）")
	region := fs.String("region", "", "县（市、区）（默认全市）")
	name := fs.String("enterprise", "", "企业名称或编号（导出调查表时必填）")
	outDir := fs.String("out", ".", "保存目录")
	preparer := fs.String("preparer", "", "附件2 的填表人")
	phone := fs.String("phone", "", "附件2 填表人的联系方式")
	if err := fs.Parse(rest); err != nil {
		return errUsage
	}
	if kind == "" && fs.NArg() > 0 {
		// Flags stop at the kind; read the ones after it too.
		kind = fs.Arg(0)
		if err := fs.Parse(fs.Args()[1:]); err != nil {
			return errUsage
		}
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "多余的参数 %q\n", fs.Arg(0))
		return errUsage
	}
	kind, ok := exportAliases[kind]
	if !ok {
		fmt.Fprintln(stderr, "请指定导出内容：台账、调查表、月报 或 进度图，例如 innobot export 台账 --region 盐湖区")
		return errUsage
	}
	if kind == exportSurvey && strings.TrimSpace(*name) == "" {
		fmt.Fprintln(stderr, "导出调查表请用 --enterprise 指定企业名称或编号")
		return errUsage
	}

	st, err := load()
	if err != nil {
		return err
	}
	current := st.periods().Of(time.Now())
	month := current
	if *periodFlag != "" {
		if month, err = period.Parse(*periodFlag); err != nil {
			return err
		}
		if month > current {
			return fmt.Errorf("%s 还没有开始报送（当前报告期是 %s），请换一个月份", period.Label(month), period.Label(current))
		}
	}
	scope := ledger.City()
	switch r := strings.TrimSpace(*region); r {
	case "", ledger.CityName, "全市":
	default:
		if !slices.Contains(st.cfg.Regions, r) {
			return fmt.Errorf("没有“%s”这个县（市、区）；可选：%s", r, strings.Join(st.cfg.Regions, "、"))
		}
		scope = ledger.Region(r)
	}
	if err := os.MkdirAll(*outDir, 0o750); err != nil {
		return fmt.Errorf("保存目录: %w", err)
	}

	var path string
	err = st.withStore(func(store storage.Backend) error {
		path, err = export(ctx, st, store, kind, scope, month, *name, *outDir, ledger.LedgerOptions{Preparer: *preparer, Phone: *phone})
		return err
	})
	if err != nil {
		return err
	}
	_, err = fmt.Fprintln(stdout, path)
	return err
}

// export writes one file into dir and returns its path.
func export(ctx context.Context, st settings, store storage.Backend, kind string, scope ledger.Scope, month, name, dir string, lo ledger.LedgerOptions) (string, error) {
	if kind == exportSurvey {
		all, err := store.Enterprises(ctx)
		if err != nil {
			return "", err
		}
		found := ledger.Find(all, name)
		if scope.Kind == ledger.ScopeRegion {
			found = slices.DeleteFunc(found, func(e storage.Enterprise) bool { return !scope.Contains(e) })
		}
		switch len(found) {
		case 0:
			return "", fmt.Errorf("没有找到企业“%s”", name)
		case 1:
		default:
			names := make([]string, 0, 5)
			for _, e := range found[:min(5, len(found))] {
				names = append(names, e.Name)
			}
			return "", fmt.Errorf("“%s”对应 %d 家企业（%s…），请写全称", name, len(found), strings.Join(names, "、"))
		}
		e := found[0]
		subs, err := store.Submissions(ctx, e.ID)
		if err != nil {
			return "", err
		}
		sub, ok := ledger.LatestSubmission(subs, month)
		if !ok {
			return "", fmt.Errorf("【%s】在%s及以前没有提交过调查表", e.Name, period.Label(month))
		}
		return ledger.SaveSurvey(dir, st.form, e, sub)
	}

	r, err := ledger.Progress(ctx, store, scope, month, st.cfg.Regions)
	if err != nil {
		return "", err
	}
	r.Location = st.cfg.Location()
	switch kind {
	case exportChart:
		return ledger.SaveChart(dir, r, time.Now())
	case exportMonthly:
		notes, err := store.MonthlyNotes(ctx, month)
		if err != nil {
			return "", err
		}
		o := ledger.MonthlyOptions{Preparer: lo.Preparer, Phone: lo.Phone, Date: time.Now(), Notes: ledger.NotesOf(notes, scope)}
		return ledger.SaveMonthly(dir, r, o)
	}
	return ledger.SaveLedger(dir, r, lo)
}
