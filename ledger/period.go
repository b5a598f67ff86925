package ledger

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// ParsePeriod reads a reporting month the way office staff type it — 2026-11, 2026-1,
// 2026年11月, 2026.11, 2026/11, 202611, full-width digits too — and returns it as the store
// keeps periods (2026-11), so a chat command and the command line accept the same input.
func ParsePeriod(s string) (string, error) {
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		if r >= '０' && r <= '９' {
			r = '0' + (r - '０')
		}
		b.WriteRune(r)
	}
	t := b.String()
	bad := fmt.Errorf("无法识别的月份“%s”，请写成 2026-11 或 2026年11月", strings.TrimSpace(s))
	var ys, ms string
	if len(t) == 6 && isDigits(t) {
		ys, ms = t[:4], t[4:]
	} else {
		t = strings.TrimSuffix(t, "月")
		i := strings.IndexFunc(t, func(r rune) bool { return !unicode.IsDigit(r) })
		if i < 0 {
			return "", bad
		}
		ys = t[:i]
		rest := t[i:]
		for _, sep := range []string{"年", "-", ".", "/", "－", "．", "／"} {
			if strings.HasPrefix(rest, sep) {
				ms = strings.TrimSpace(rest[len(sep):])
				break
			}
		}
	}
	y, err1 := strconv.Atoi(ys)
	m, err2 := strconv.Atoi(ms)
	if err1 != nil || err2 != nil || !isDigits(ms) || len(ys) != 4 || y < 2000 || m < 1 || m > 12 {
		return "", bad
	}
	return fmt.Sprintf("%04d-%02d", y, m), nil
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// PeriodOf is the reporting month a moment falls in, on the office's wall clock: near midnight
// at the month's turn the server's zone would otherwise pick the wrong month.
func PeriodOf(t time.Time, loc *time.Location) string { return t.In(loc).Format("2006-01") }

// PreviousPeriod is the month before a period (2026-01 → 2025-12): 销号 compares a month with
// the one before it.
func PreviousPeriod(period string) (string, error) {
	t, err := time.Parse("2006-01", period)
	if err != nil {
		return "", fmt.Errorf("月份“%s”格式不对，应为 2026-11", period)
	}
	return t.AddDate(0, -1, 0).Format("2006-01"), nil
}

// NextPeriod is the month after a period (2026-12 → 2027-01): a survey filled in early in
// the next month is labelled with that month but reports on this one.
func NextPeriod(period string) (string, error) {
	t, err := time.Parse("2006-01", period)
	if err != nil {
		return "", fmt.Errorf("月份“%s”格式不对，应为 2026-11", period)
	}
	return t.AddDate(0, 1, 0).Format("2006-01"), nil
}

// periodCN is a period as forms print it: 2026年11月.
func periodCN(period string) string {
	if len(period) == 7 && period[4] == '-' {
		return period[:4] + "年" + period[5:] + "月"
	}
	return period
}

// periodCNShort drops the month's leading zero for chat text: 2026年3月.
func periodCNShort(period string) string {
	if len(period) == 7 && period[4] == '-' {
		return period[:4] + "年" + strings.TrimPrefix(period[5:], "0") + "月"
	}
	return period
}
