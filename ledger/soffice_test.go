package ledger

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"innobot/storage"
)

// TestOpensInLibreOffice converts every kind of export to PDF with LibreOffice, as a clerk's
// office suite would open it, and the 月报's first sheet to CSV to read what LibreOffice
// computes and shows: the 合计 formulas give the report's totals, and a note that starts with
// "=" stays text. It skips only when soffice is not installed (.ci/run installs it).
func TestOpensInLibreOffice(t *testing.T) {
	soffice, err := exec.LookPath("soffice")
	if err != nil {
		t.Skip("soffice is not installed (Debian: apt-get install libreoffice-calc-nogui)")
	}
	_, r := ledgerScenario(t, City())
	dir := t.TempDir()
	write := func(name string, fn func(*bytes.Buffer) error) string {
		var buf bytes.Buffer
		if err := fn(&buf); err != nil {
			t.Fatal(err)
		}
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	o := MonthlyOptions{Preparer: "张文书", Phone: "0359-2688888", Date: time.Now(),
		Notes: []storage.MonthlyNote{{Period: "2026-11", Progress: "=1+1 不是公式"}}}
	files := []string{
		write("ledger.xlsx", func(b *bytes.Buffer) error { return WriteLedger(b, r, LedgerOptions{Preparer: "张文书"}) }),
		write("monthly.xlsx", func(b *bytes.Buffer) error { return WriteMonthly(b, r, o) }),
		write("survey.xlsx", func(b *bytes.Buffer) error {
			return WriteSurvey(b, nil, r.Entries[0].Enterprise, submission("E01", "2026-11", fullAnswers()))
		}),
	}
	// A profile of its own: two LibreOffice processes sharing one refuse to start.
	profile := "-env:UserInstallation=file://" + filepath.Join(t.TempDir(), "profile")
	convert := func(to string, paths ...string) {
		t.Helper()
		ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
		defer cancel()
		args := append([]string{profile, "--headless", "--norestore", "--convert-to", to, "--outdir", dir}, paths...)
		out, err := exec.CommandContext(ctx, soffice, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("soffice --convert-to %s: %v\n%s", to, err, out)
		}
	}
	convert("pdf", files...)
	for _, f := range files {
		pdf := strings.TrimSuffix(f, ".xlsx") + ".pdf"
		data, err := os.ReadFile(pdf)
		if err != nil {
			t.Errorf("%s did not convert: %v", filepath.Base(f), err)
			continue
		}
		if !bytes.HasPrefix(data, []byte("%PDF")) || len(data) < 2000 {
			t.Errorf("%s: %d bytes, not a PDF of the table", filepath.Base(pdf), len(data))
		}
	}

	convert("csv:Text - txt - csv (StarCalc):44,34,76", files[1])
	data, err := os.ReadFile(filepath.Join(dir, "monthly.csv"))
	if err != nil {
		t.Fatal(err)
	}
	csv := string(data)
	for _, want := range []string{",合计,20,1,12,8,", "=1+1 不是公式", "报送单位：运城市推进企业技术创新活动全覆盖领导小组办公室"} {
		if !strings.Contains(csv, want) {
			t.Errorf("LibreOffice shows no %q in the 月报:\n%s", want, csv)
		}
	}
}
