package ledger

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"innobot/storage"
	"innobot/survey"
)

// SaveLedger writes the report's 附件2 into dir under LedgerFileName and returns its path.
func SaveLedger(dir string, r Report, o LedgerOptions) (string, error) {
	return save(dir, LedgerFileName(r), func(w io.Writer) error { return WriteLedger(w, r, o) })
}

// SaveMonthly writes the report's monthly workbook into dir under MonthlyFileName.
func SaveMonthly(dir string, r Report, o MonthlyOptions) (string, error) {
	return save(dir, MonthlyFileName(r), func(w io.Writer) error { return WriteMonthly(w, r, o) })
}

// SaveSurvey writes an enterprise's 附件3 into dir under SurveyFileName.
func SaveSurvey(dir string, form *survey.Form, e storage.Enterprise, s storage.Submission) (string, error) {
	return save(dir, SurveyFileName(e, s.Period), func(w io.Writer) error { return WriteSurvey(w, form, e, s) })
}

// save writes through a temporary file and renames it, so an interrupted export never
// leaves a half-written file under the real name.
func save(dir, name string, write func(io.Writer) error) (string, error) {
	tmp, err := os.CreateTemp(dir, ".export-*"+filepath.Ext(name))
	if err != nil {
		return "", fmt.Errorf("export %s: %w", name, err)
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	if err := write(tmp); err != nil {
		tmp.Close()
		return "", fmt.Errorf("export %s: %w", name, err)
	}
	if err := tmp.Close(); err != nil {
		return "", fmt.Errorf("export %s: %w", name, err)
	}
	path := filepath.Join(dir, name)
	if err := os.Rename(tmp.Name(), path); err != nil {
		return "", fmt.Errorf("export %s: %w", name, err)
	}
	return path, nil
}
