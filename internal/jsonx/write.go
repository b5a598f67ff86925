// Package jsonx writes and reads the JSON of the records a survey turn stores (the session, the
// draft, the submission) without reflection. Every answer re-encodes the whole draft, and
// encoding/json spent most of a turn's time doing it: reflecting over the records, then
// re-scanning (compacting) what a MarshalJSON method had already written.
//
// The writers produce exactly what encoding/json produces for the same values, so a file
// written by either reads back the same. The Reader accepts only what it fully understands and
// reports anything else as an error, so that callers can fall back to encoding/json for it: a
// record written by hand, an unknown field, a null. It never accepts what encoding/json refuses.
package jsonx

import (
	"math"
	"strconv"
	"time"
	"unicode/utf8"
)

// AppendString appends s as encoding/json writes a string: quotes, backslashes and control
// characters escaped, <, > and & escaped for HTML, U+2028 and U+2029 escaped, invalid UTF-8
// replaced by U+FFFD.
func AppendString(b []byte, s string) []byte {
	if !utf8.ValidString(s) {
		return appendInvalidString(b, s)
	}
	// Valid UTF-8, the usual case: only ASCII bytes and the two line separators need a look,
	// and the rest is copied in runs.
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c < utf8.RuneSelf && plain[c]:
			continue
		case c < utf8.RuneSelf:
			b = append(b, s[start:i]...)
			b = appendEscape(b, c)
			start = i + 1
		case c == 0xe2 && i+2 < len(s) && s[i+1] == 0x80 && s[i+2]&^1 == 0xa8:
			b = append(b, s[start:i]...)
			b = append(b, '\\', 'u', '2', '0', '2', hex[s[i+2]&0xf])
			i += 2
			start = i + 1
		}
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

const hex = "0123456789abcdef"

// plain marks the ASCII bytes a JSON string holds as they are.
var plain = func() (t [utf8.RuneSelf]bool) {
	for c := byte(0x20); c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\' && c != '<' && c != '>' && c != '&'
	}
	return t
}()

// appendEscape appends the escape of an ASCII byte that is not plain.
func appendEscape(b []byte, c byte) []byte {
	switch c {
	case '"', '\\':
		return append(b, '\\', c)
	case '\b':
		return append(b, '\\', 'b')
	case '\f':
		return append(b, '\\', 'f')
	case '\n':
		return append(b, '\\', 'n')
	case '\r':
		return append(b, '\\', 'r')
	case '\t':
		return append(b, '\\', 't')
	}
	return append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
}

// appendInvalidString is AppendString for a string that is not valid UTF-8: each byte that
// does not start a rune becomes \ufffd.
func appendInvalidString(b []byte, s string) []byte {
	b = append(b, '"')
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, `\ufffd`...)
		case r < utf8.RuneSelf && !plain[r]:
			b = appendEscape(b, byte(r))
		case r == '\u2028' || r == '\u2029':
			b = append(b, '\\', 'u', '2', '0', '2', hex[r&0xf])
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}

// AppendFloat appends f as encoding/json writes a float64: no exponent between 1e-6 and 1e21,
// and a two-digit negative exponent without its leading zero. NaN and infinities, which
// encoding/json refuses, are written as 0: the parsers of user input never produce them.
func AppendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, '0')
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	b = strconv.AppendFloat(b, f, format, -1, 64)
	if format == 'e' {
		// e-09 becomes e-9, as encoding/json writes it.
		if n := len(b); n >= 4 && b[n-4] == 'e' && b[n-3] == '-' && b[n-2] == '0' {
			b[n-2] = b[n-1]
			b = b[:n-1]
		}
	}
	return b
}

// AppendInt appends n.
func AppendInt(b []byte, n int64) []byte { return strconv.AppendInt(b, n, 10) }

// AppendBool appends true or false.
func AppendBool(b []byte, v bool) []byte { return strconv.AppendBool(b, v) }

// AppendTime appends t as time.Time.MarshalJSON does (RFC 3339 with nanoseconds, quoted). Like
// it, it refuses a year outside 0–9999.
func AppendTime(b []byte, t time.Time) ([]byte, error) {
	b = append(b, '"')
	b, err := t.AppendText(b)
	if err != nil {
		return nil, err
	}
	return append(b, '"'), nil
}

// AppendKey appends a member name and its colon, after a comma unless the object has just
// been opened.
func AppendKey(b []byte, name string) []byte {
	if len(b) > 0 && b[len(b)-1] != '{' {
		b = append(b, ',')
	}
	b = append(b, '"')
	b = append(b, name...)
	return append(b, '"', ':')
}
