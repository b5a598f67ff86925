// Package period names the reporting months (报告期) everything in innobot is filed under. A
// period is kept as "2026-11" and shown as people write it, "2026年11月", in chat and in files
// alike.
package period

import (
	"fmt"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Parse reads a reporting month the way office staff type it — 2026-11, 2026-1, 2026年11月,
// 2026.11, 2026/11, 202611, full-width digits too — and returns it as the store keeps periods
// (2026-11), so a chat command and the command line accept the same input.
func Parse(s string) (string, error) {
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

// Previous is the month before a period (2026-01 → 2025-12): 销号 compares a month with the
// one before it.
func Previous(p string) (string, error) { return add(p, -1) }

// Next is the month after a period (2026-12 → 2027-01).
func Next(p string) (string, error) { return add(p, 1) }

func add(p string, months int) (string, error) {
	t, err := time.Parse("2006-01", p)
	if err != nil {
		return "", fmt.Errorf("月份“%s”格式不对，应为 2026-11", p)
	}
	return t.AddDate(0, months, 0).Format("2006-01"), nil
}

// Label is a period as people write it: 2026年11月, 2026年3月. Anything that is not a
// period is returned as it is.
func Label(p string) string {
	if len(p) == 7 && p[4] == '-' && isDigits(p[:4]) && isDigits(p[5:]) {
		return p[:4] + "年" + strings.TrimPrefix(p[5:], "0") + "月"
	}
	return p
}
