package survey

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	"innobot/internal/sanitize"
)

// InputError is a rejected answer. The dialog shows Reason to the liaison and asks the question
// again, so Reason is short Chinese that says what is expected and gives an example; nothing is
// stored when a parser returns an InputError.
type InputError struct{ Reason string }

// Error returns Reason unchanged so that the text can go straight into a chat reply.
func (e *InputError) Error() string {
	if e == nil {
		return "<nil>"
	}
	return e.Reason
}

func rejectInput(reason string) error { return &InputError{Reason: reason} }

// Normalize folds the ways a phone keyboard writes the same answer into one spelling: Chinese
// input methods emit full-width digits and Latin letters and the ideographic space, and people
// end a one-word answer with 。 or ！ out of habit. Every parser calls it first. Bytes that are
// not valid UTF-8 are kept as they are, so that ParseText can still notice them.
func Normalize(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size <= 1:
			b.WriteByte(s[i])
		case r >= 0xFF01 && r <= 0xFF5E:
			b.WriteRune(r - 0xFEE0)
		case r == 0x3000:
			b.WriteByte(' ')
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	out := strings.TrimLeftFunc(b.String(), unicode.IsSpace)
	return strings.TrimRightFunc(out, func(r rune) bool {
		return unicode.IsSpace(r) || strings.ContainsRune("。.!~", r)
	})
}

// ---------------------------------------------------------------------------------------------
// Text

// ParseText cleans a free-text answer for storage and for the Excel exports, where a stray
// control character corrupts the cell or the file. Content is kept as typed (full-width letters
// and final 。 included) because it is the liaison's own wording; only whitespace around it goes.
// Line breaks become \n, a tab becomes a space so that words do not run together, and other
// control characters, terminal escapes and reordering characters are dropped (sanitize.Text).
// maxRunes <= 0 means no limit.
func ParseText(s string, maxRunes int) (string, error) {
	if !utf8.ValidString(s) {
		return "", rejectInput("内容含有无法识别的字符，请重新输入")
	}
	out := strings.TrimFunc(sanitize.Text(s), unicode.IsSpace)
	if out == "" {
		return "", rejectInput("内容不能为空，请重新输入")
	}
	if maxRunes > 0 && utf8.RuneCountInString(out) > maxRunes {
		return "", rejectInput(fmt.Sprintf("内容过长（最多 %d 字），请精简后再发", maxRunes))
	}
	return out, nil
}
