package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"innobot/bot/sim"
	"innobot/storage"
)

func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("audit", stderr)
	since := fs.String("since", "", "从何时起，例如 2026-11-01 或 2026-11-01T09:00（默认 7 天内）")
	load := settingsFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
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
	for _, e := range entries {
		if _, err := fmt.Fprintf(stdout, "%s\t%s\t%s\t%s\t%s\t%s\n", e.At.In(loc).Format("2006-01-02 15:04:05"), e.Role, e.Contact, e.Name, e.Action, e.Detail); err != nil {
			return err
		}
	}
	_, err = fmt.Fprintf(stdout, "共 %d 条（自 %s 起）\n", len(entries), from.In(loc).Format("2006-01-02 15:04"))
	return err
}
