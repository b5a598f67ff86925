package main

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"innobot/bot/sim"
	"innobot/storage"
)

// auditOutcomes are the values --outcome takes.
var auditOutcomes = []storage.Outcome{storage.OutcomeOK, storage.OutcomeRefused, storage.OutcomeOutOfScope, storage.OutcomeFailed}

// auditColumns head the CSV file, in the order of auditFields.
var auditColumns = []string{"时间", "角色", "联系人", "姓名", "群", "动作", "对象", "结果", "详情"}

func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("audit", stderr)
	since := fs.String("since", "", "从何时起，例如 2026-11-01 或 2026-11-01T09:00（默认 7 天内）")
	person := fs.String("person", "", "只看此人：联系人 ID 或姓名（含这几个字即可）")
	role := fs.String("role", "", "只看此角色：liaison、helper、county_office、city_office、admin，none 为未绑定")
	outcome := fs.String("outcome", "", "只看此结果：ok、refused、out_of_scope、failed")
	csvOut := fs.Bool("csv", false, "输出 CSV（UTF-8，带 BOM，Excel 可直接打开）")
	load := settingsFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *outcome != "" && !slices.Contains(auditOutcomes, storage.Outcome(*outcome)) {
		fmt.Fprintf(stderr, "--outcome 可选：ok、refused、out_of_scope、failed，不是 %q\n", *outcome)
		return errUsage
	}
	st, err := load()
	if err != nil {
		return err
	}
	loc := st.cfg.Location()
	from := time.Now().AddDate(0, 0, -7)
	if *since != "" {
		if from, err = sim.ParseTime(*since, loc); err != nil {
			return fmt.Errorf("--since: %w", err)
		}
	}
	var entries []storage.AuditEntry
	err = st.withStore(func(store storage.Backend) error {
		entries, err = store.AuditLog(ctx, from)
		return err
	})
	if err != nil {
		return err
	}
	keep := auditFilter{person: *person, role: *role, outcome: storage.Outcome(*outcome)}
	entries = slices.DeleteFunc(entries, func(e storage.AuditEntry) bool { return !keep.match(e) })
	if *csvOut {
		return writeAuditCSV(stdout, entries, loc)
	}
	for _, e := range entries {
		if _, err := fmt.Fprintln(stdout, strings.Join(auditFields(e, loc), "\t")); err != nil {
			return err
		}
	}
	_, err = fmt.Fprintf(stdout, "共 %d 条（自 %s 起）\n", len(entries), from.In(loc).Format("2006-01-02 15:04"))
	return err
}

// auditFilter keeps the entries asked for; an empty field keeps all.
type auditFilter struct {
	person, role string
	outcome      storage.Outcome
}

func (f auditFilter) match(e storage.AuditEntry) bool {
	switch {
	case f.person != "" && e.Contact != f.person && !strings.Contains(e.Name, f.person):
		return false
	case f.role == "none" && e.Role != storage.RoleNone:
		return false
	case f.role != "" && f.role != "none" && string(e.Role) != f.role:
		return false
	case f.outcome != "" && e.Outcome != f.outcome:
		return false
	}
	return true
}

// auditFields are an entry's columns, each escaped (escapeField), so that one entry is one
// line whatever the people named in it typed.
func auditFields(e storage.AuditEntry, loc *time.Location) []string {
	fields := []string{e.At.In(loc).Format("2006-01-02 15:04:05"), string(e.Role), e.Contact, e.Name,
		e.Group, e.Action, e.Target, string(e.Outcome), e.Detail}
	for i, f := range fields {
		fields[i] = escapeField(f)
	}
	return fields
}

// escapeField writes a backslash, a tab, a line break and any other character that is not
// printed as itself (controls, bidirectional overrides, line separators) as an escape, so
// that no text put into an entry can split it, forge another, or reorder what is shown.
func escapeField(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case r == '\\':
			b.WriteString(`\\`)
		case r == '\t':
			b.WriteString(`\t`)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\r':
			b.WriteString(`\r`)
		case r == ' ' || unicode.IsPrint(r):
			b.WriteRune(r)
		default:
			fmt.Fprintf(&b, `\u%04x`, r)
		}
		i += size
	}
	return b.String()
}

// writeAuditCSV writes the entries as CSV for an inspector: a BOM so that Excel reads UTF-8,
// escaped fields, and a quote mark before a field a spreadsheet would take for a formula.
func writeAuditCSV(w io.Writer, entries []storage.AuditEntry, loc *time.Location) error {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(auditColumns); err != nil {
		return err
	}
	for _, e := range entries {
		fields := auditFields(e, loc)
		for i, f := range fields {
			if f != "" && strings.ContainsRune("=+-@", rune(f[0])) {
				fields[i] = "'" + f
			}
		}
		if err := cw.Write(fields); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
