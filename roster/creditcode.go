package roster

import (
	"fmt"
	"strings"
)

// creditCodeChars is the alphabet of GB 32100-2015, in value order: the digits and the
// capitals without I, O, S, V and Z (too easily misread as 1, 0, 5, U and 2).
const creditCodeChars = "0123456789ABCDEFGHJKLMNPQRTUWXY"

// creditCodeWeights are the standard's weights for positions 1 to 17 (3^i mod 31).
var creditCodeWeights = [17]int{1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28}

// creditCodeValue maps a byte to its value in creditCodeChars, -1 for any other byte.
var creditCodeValue = func() (v [256]int8) {
	for i := range v {
		v[i] = -1
	}
	for i := range len(creditCodeChars) {
		v[creditCodeChars[i]] = int8(i)
	}
	return v
}()

// creditCodeCheckChar computes the 18th character for the first 17; ok is false when one of
// them is outside the alphabet.
func creditCodeCheckChar(first17 string) (c byte, ok bool) {
	if len(first17) != 17 {
		return 0, false
	}
	sum := 0
	for i := range 17 {
		v := creditCodeValue[first17[i]]
		if v < 0 {
			return 0, false
		}
		sum += int(v) * creditCodeWeights[i]
	}
	return creditCodeChars[(31-sum%31)%31], true
}

// CheckCreditCode reports, in Chinese for the office that typed it, why a 统一社会信用代码 is
// not well formed, or nil. A typo in a code is caught by its check character (GB 32100-2015)
// before it is stored and matched against, so one mistyped digit cannot make a second copy of
// an enterprise. The code must already be normalized (see NormalizeCreditCode).
func CheckCreditCode(code string) error {
	n := len([]rune(code))
	if isScientific(code) {
		return fmt.Errorf("统一社会信用代码被 Excel 存成了数字（%s），请把该列设为文本后重新填写", code)
	}
	if n != 18 {
		return fmt.Errorf("统一社会信用代码应为 18 位，实为 %d 位（%s）", n, code)
	}
	for _, r := range code {
		if r > 0x7f || creditCodeValue[byte(r)] < 0 {
			return fmt.Errorf("统一社会信用代码含不允许的字符“%c”（%s）", r, code)
		}
	}
	if c, _ := creditCodeCheckChar(code[:17]); c != code[17] {
		return fmt.Errorf("统一社会信用代码校验位错误（%s）", code)
	}
	return nil
}

// NormalizeCreditCode puts a code as people type it into the form it is checked and stored in:
// no spaces, half-width, upper case. Offices copy codes from PDFs and web pages with full-width
// letters and stray spaces; those are the same code.
func NormalizeCreditCode(s string) string {
	s = foldWidth(s)
	s = strings.Map(func(r rune) rune {
		if isSpace(r) {
			return -1
		}
		return r
	}, s)
	return strings.ToUpper(s)
}

// isScientific reports a number Excel wrote in E notation, such as 9.11408E+17: an all-digit
// code typed into a number cell, whose last digits are lost. The "+" is required: a real code
// may hold an E between digits (000070102000E00009), never a plus sign.
func isScientific(s string) bool {
	mant, exp, ok := strings.Cut(strings.ToUpper(s), "E+")
	if !ok || mant == "" || exp == "" {
		return false
	}
	for _, r := range exp {
		if r < '0' || r > '9' {
			return false
		}
	}
	dot := false
	for _, r := range mant {
		switch {
		case r == '.' && !dot:
			dot = true
		case r < '0' || r > '9':
			return false
		}
	}
	return true
}
