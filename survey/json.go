package survey

import (
	"math"
	"slices"
	"strconv"
	"unicode/utf8"
)

// MarshalJSON writes answers without reflection: a draft is encoded at every answer, and
// reflection over its map was a tenth of a turn's cost. The output is what encoding/json
// reads back into the same answers (keys in order, the Value field names and omissions of
// its tags).
func (a Answers) MarshalJSON() ([]byte, error) {
	if a == nil {
		return []byte("null"), nil
	}
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b := make([]byte, 0, 32*len(a)+2)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, k)
		b = append(b, ':')
		b = a[k].appendJSON(b)
	}
	return append(b, '}'), nil
}

// appendJSON writes the value as its struct tags say, leaving out zero fields.
func (v Value) appendJSON(b []byte) []byte {
	b = append(b, '{')
	sep := func() {
		if b[len(b)-1] != '{' {
			b = append(b, ',')
		}
	}
	if v.Text != "" {
		sep()
		b = append(b, `"t":`...)
		b = appendString(b, v.Text)
	}
	if v.Num != 0 {
		sep()
		b = append(b, `"n":`...)
		b = appendFloat(b, v.Num)
	}
	if v.Bool {
		sep()
		b = append(b, `"b":true`...)
	}
	if v.Choice != 0 {
		sep()
		b = append(b, `"c":`...)
		b = strconv.AppendInt(b, int64(v.Choice), 10)
	}
	if len(v.Multi) > 0 {
		sep()
		b = append(b, `"m":[`...)
		for i, n := range v.Multi {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendInt(b, int64(n), 10)
		}
		b = append(b, ']')
	}
	if v.Skipped {
		sep()
		b = append(b, `"s":true`...)
	}
	return append(b, '}')
}

// appendFloat writes a number as encoding/json does: no exponent between 1e-6 and 1e21.
func appendFloat(b []byte, f float64) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, '0') // never stored: the parsers refuse them
	}
	format := byte('f')
	if abs := math.Abs(f); abs != 0 && (abs < 1e-6 || abs >= 1e21) {
		format = 'e'
	}
	return strconv.AppendFloat(b, f, format, -1, 64)
}

// appendString writes a JSON string: quotes, backslashes and control characters escaped,
// invalid UTF-8 replaced by U+FFFD, as encoding/json does.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
