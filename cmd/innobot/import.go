package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"innobot/roster"
	"innobot/storage"
)

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("import", stderr)
	dryRun := fs.Bool("dry-run", false, "只列出将要做的改动，不写入")
	load := settingsFlags(fs)
	// The file may come before or after the flags: innobot import 名单.xlsx --dry-run.
	var files []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			return errUsage
		}
		if fs.NArg() == 0 {
			break
		}
		files = append(files, fs.Arg(0))
		rest = fs.Args()[1:]
	}
	if len(files) != 1 {
		fmt.Fprintln(stderr, "用法: innobot import 名单.xlsx|名单.csv [--dry-run] [--data DIR] [--config FILE]")
		return errUsage
	}
	path := files[0]

	st, err := load()
	if err != nil {
		return err
	}
	// Read the whole file before the store is opened: a file that cannot be read changes
	// nothing.
	rows, err := readRoster(path)
	if err != nil {
		return err
	}
	if *dryRun && st.noDatabaseYet() {
		// Opening would create the data dir and an empty database: a dry run writes nothing.
		return importRows(ctx, noEnterprises{}, filepath.Base(path), rows, st.cfg.Regions, true, time.Now(), stdout)
	}
	return st.withStore(func(store storage.Backend) error {
		return importRows(ctx, store, filepath.Base(path), rows, st.cfg.Regions, *dryRun, time.Now(), stdout)
	})
}

// noDatabaseYet reports a bolt store whose file does not exist yet.
func (st settings) noDatabaseYet() bool {
	if d := st.cfg.Storage.Driver; d != "" && d != "bolt" {
		return false
	}
	_, err := os.Stat(st.boltPath())
	return errors.Is(err, os.ErrNotExist)
}

// noEnterprises is the store a dry run plans against when there is no database yet.
type noEnterprises struct{}

func (noEnterprises) Enterprises(context.Context) ([]storage.Enterprise, error) { return nil, nil }

// readRoster reads the enterprise list at path, saying which file could not be read.
func readRoster(path string) ([]roster.Row, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("找不到文件 %s；没有导入任何数据", path)
	}
	if err != nil {
		return nil, fmt.Errorf("无法打开 %s：%w；没有导入任何数据", path, err)
	}
	defer f.Close()
	rows, err := roster.Read(path, f)
	if err != nil {
		return nil, fmt.Errorf("无法读取 %s：%w；没有导入任何数据", path, err)
	}
	return rows, nil
}

// importStore is what an import reads: the list to match rows against. Writing needs
// roster.Writer too (storage.Registry's atomic PutEnterprises), checked only when writing so
// that a dry run works on any store.
type importStore interface {
	Enterprises(ctx context.Context) ([]storage.Enterprise, error)
}

// importRows plans the import of rows against the store, writes it unless dryRun, and reports
// what was (or would be) done.
func importRows(ctx context.Context, store importStore, file string, rows []roster.Row, regions []string, dryRun bool, now time.Time, out io.Writer) error {
	existing, err := store.Enterprises(ctx)
	if err != nil {
		return fmt.Errorf("读取已有企业：%w", err)
	}
	cs := roster.Plan(rows, existing, regions)
	cs.At = now
	if !dryRun {
		w, ok := store.(roster.Writer)
		if !ok {
			return fmt.Errorf("当前存储不支持批量导入企业名单；没有导入任何数据")
		}
		if err := roster.Apply(ctx, w, cs); err != nil {
			return err
		}
	}
	return writeImportReport(out, file, cs, dryRun)
}

// writeImportReport prints what the import did, or would do on a dry run.
func writeImportReport(out io.Writer, file string, cs roster.Changeset, dryRun bool) error {
	report := cs.Report(file, dryRun)
	if dryRun {
		report = "试运行（--dry-run）：以下改动没有写入。\n" + report
	}
	_, err := io.WriteString(out, report)
	return err
}
