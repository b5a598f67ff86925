// Package sanitize strips from text what people must not be able to put into a chat, a file
// or a terminal through a name or an answer: control characters, terminal escape sequences
// (ANSI colours, cursor moves, window titles) and the invisible characters that reorder what
// is shown (a right-to-left override can make "invoice.exe" read as "exe.eciovni").
package sanitize

import (
	"strings"
	"unicode/utf8"
)

// Line is s on one line: escape sequences, control and reordering characters removed, line
// breaks and tabs turned into spaces. For names: of enterprises, people and groups.
func Line(s string) string { return clean(s, false) }

// Text is s with escape sequences, control and reordering characters removed, keeping line
// breaks (\n; \r\n and \r become \n) and turning tabs into spaces. For free-text answers.
func Text(s string) string { return clean(s, true) }

func clean(s string, lines bool) string {
	if isPlain(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			// Invalid UTF-8: dropped, like any byte that is no character.
		case r == 0x1b:
			size += escapeLen(s[i+size:])
		case r == 0x9b: // CSI as one C1 character
			size += csiLen(s[i+size:])
		case r == 0x90 || r == 0x98 || r == 0x9d || r == 0x9e || r == 0x9f: // DCS, SOS, OSC, PM, APC
			size += stringLen(s[i+size:])
		case r == '\r':
			// \r\n is one break, written at the \n.
			if !strings.HasPrefix(s[i+size:], "\n") {
				b.WriteByte(breakByte(lines))
			}
		case r == '\n' || r == '\u2028' || r == '\u2029':
			b.WriteByte(breakByte(lines))
		case r == '\t':
			b.WriteByte(' ')
		case r < 0x20 || (r >= 0x7f && r <= 0x9f), hidden(r):
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

// breakByte is what a line break becomes: itself when lines are kept, else a space.
func breakByte(lines bool) byte {
	if lines {
		return '\n'
	}
	return ' '
}

// isPlain reports whether s is printable ASCII or holds no byte that clean would look at twice:
// most names and answers, returned as they are.
func isPlain(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || c >= 0x80 {
			return !strings.ContainsFunc(s, needsCleaning)
		}
	}
	return true
}

// needsCleaning reports whether clean changes r.
func needsCleaning(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == utf8.RuneError || r == '\u2028' || r == '\u2029' || hidden(r)
}

// hidden reports the invisible characters that change the order or the look of what follows:
// the bidirectional embeddings, overrides and isolates, and the byte-order mark.
func hidden(r rune) bool {
	return (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') || r == '\u200e' || r == '\u200f' || r == '\u061c' || r == '\ufeff'
}

// escapeLen is the length of the rest of an escape sequence after ESC (ECMA-48): a control
// sequence (ESC [), a control string (ESC ] P X ^ _) up to its terminator, or intermediates
// and one final character.
func escapeLen(s string) int {
	if s == "" {
		return 0
	}
	switch s[0] {
	case '[':
		return 1 + csiLen(s[1:])
	case ']', 'P', 'X', '^', '_':
		return 1 + stringLen(s[1:])
	}
	n := 0
	for n < len(s) && s[n] >= 0x20 && s[n] <= 0x2f {
		n++ // intermediate bytes
	}
	if n < len(s) && s[n] >= 0x30 && s[n] <= 0x7e {
		n++ // the final byte
	}
	return n
}

// csiLen is the length of a control sequence's parameters, intermediates and final byte.
func csiLen(s string) int {
	n := 0
	for n < len(s) && s[n] >= 0x20 && s[n] <= 0x3f {
		n++
	}
	if n < len(s) && s[n] >= 0x40 && s[n] <= 0x7e {
		n++
	}
	return n
}

// stringLen is the length of a control string's content and its terminator (BEL, ESC \, or
// the C1 string terminator); an unterminated one runs to the end.
func stringLen(s string) int {
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == 0x07:
			return i + 1
		case s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\':
			return i + 2
		case strings.HasPrefix(s[i:], "\u009c"):
			return i + len("\u009c")
		}
	}
	return len(s)
}
