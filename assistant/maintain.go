package assistant

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"innobot/invite"
)

// DefaultExportKeep is how long an exported file is kept when the service is given no
// ExportKeep.
const DefaultExportKeep = 30 * 24 * time.Hour

// inviteKeep is how long a code is kept past its expiry: long enough for the office to see
// in --list what just expired, and no use after that.
const inviteKeep = 24 * time.Hour

// HandledKeep is how long handled message ids are kept: they guard against re-delivery, which
// comes within minutes of a restart, and a month of them is plenty.
const HandledKeep = 30 * 24 * time.Hour

// exportDirLayout names an export's folder by when it was made (and a random tail).
const exportDirLayout = "20060102-150405-"

// Maintain removes what is kept only for a while and logs how much: handled message ids older
// than HandledKeep, refused and wrong codes older than a day and locks that ended, codes a day
// past their expiry, the unkeyed 6-digit codes issued before (their hashes can be reversed),
// and exported files older than ExportKeep. A running bot calls it at start and every hour, so
// that junk cannot pile up.
func (s *Service) Maintain(ctx context.Context) error {
	now := s.Clock.Now()
	var errs []error
	if n, err := s.Store.PruneHandled(ctx, now.Add(-HandledKeep)); err != nil {
		errs = append(errs, err)
	} else if n > 0 {
		s.Log.Info("pruned handled message ids", "count", n)
	}
	if n, err := s.Store.PruneBindFailures(ctx, now.Add(-lockFor)); err != nil {
		errs = append(errs, err)
	} else if n > 0 {
		s.Log.Info("pruned wrong-code records", "count", n)
	}
	if n, err := s.pruneInvites(ctx, now); err != nil {
		errs = append(errs, err)
	} else if n > 0 {
		s.Log.Info("deleted expired and retired invite codes", "count", n)
	}
	if n, err := s.pruneExports(now); err != nil {
		errs = append(errs, err)
	} else if n > 0 {
		s.Log.Info("deleted old exports", "count", n)
	}
	return errors.Join(errs...)
}

// pruneInvites deletes the codes that expired more than inviteKeep ago and the retired ones.
func (s *Service) pruneInvites(ctx context.Context, now time.Time) (int, error) {
	all, err := s.Store.Invites(ctx)
	if err != nil {
		return 0, fmt.Errorf("list invites: %w", err)
	}
	var gone []string
	for _, inv := range all {
		if invite.IsRetiredHash(inv.Hash) || inv.ExpiresAt.Before(now.Add(-inviteKeep)) {
			gone = append(gone, inv.Hash)
		}
	}
	if len(gone) == 0 {
		return 0, nil
	}
	return s.Store.DeleteInvites(ctx, gone)
}

// exportKeep is how long an exported file is kept.
func (s *Service) exportKeep() time.Duration {
	if s.ExportKeep > 0 {
		return s.ExportKeep
	}
	return DefaultExportKeep
}

// pruneExports deletes the export folders made more than exportKeep before now, judged by
// the time in their names (the service's clock made them); anything else in the folder is
// left alone.
func (s *Service) pruneExports(now time.Time) (int, error) {
	entries, err := os.ReadDir(s.ExportDir)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("list exports: %w", err)
	}
	n := 0
	for _, e := range entries {
		name := e.Name()
		if !e.IsDir() || len(name) < len(exportDirLayout) {
			continue
		}
		made, err := time.ParseInLocation(exportDirLayout, name[:len(exportDirLayout)], s.Location)
		if err != nil || !made.Before(now.Add(-s.exportKeep())) {
			continue
		}
		if err := os.RemoveAll(filepath.Join(s.ExportDir, name)); err != nil {
			return n, fmt.Errorf("delete old export: %w", err)
		}
		n++
	}
	return n, nil
}
