package jsonx

import (
	"errors"
	"strconv"
	"time"
	"unicode/utf16"
	"unicode/utf8"
)

// ErrUnsupported is the Reader's error for input it does not read: malformed JSON, or valid JSON
// it leaves to encoding/json (a null, a field it does not know).
var ErrUnsupported = errors.New("jsonx: input not supported")

// Reader reads one JSON value from a byte slice. Its methods record the first error and
// then do nothing, so a decoder reads a whole record and checks Err (or End) once.
//
// Objects and arrays are read with a counted loop, which lets the Reader check the commas:
//
//	for i := 0; r.Member(i); i++ {
//		switch string(r.Key()) { … }
//	}
type Reader struct {
	data    []byte
	pos     int
	err     error
	buf     []byte // unescaped strings
	inPlace bool   // the last string read is a part of data, not of buf
}

// NewReader returns a Reader of data.
func NewReader(data []byte) *Reader { return &Reader{data: data} }

// Err returns the first error met, or nil.
func (r *Reader) Err() error { return r.err }

// Fail records err unless an error is recorded already; decoders call it for input they do
// not take (an unknown field, a repeated one).
func (r *Reader) Fail(err error) {
	if r.err == nil {
		r.err = err
	}
}

// End checks that nothing but white space follows the value read, and returns Err.
func (r *Reader) End() error {
	if r.err == nil && r.skipSpace() {
		r.Fail(ErrUnsupported)
	}
	return r.err
}

// skipSpace moves past white space and reports whether anything follows.
func (r *Reader) skipSpace() bool {
	for r.pos < len(r.data) {
		switch r.data[r.pos] {
		case ' ', '\t', '\n', '\r':
			r.pos++
		default:
			return true
		}
	}
	return false
}

// peek returns the next byte after white space, or 0 at the end or after an error.
func (r *Reader) peek() byte {
	if r.err != nil || !r.skipSpace() {
		return 0
	}
	return r.data[r.pos]
}

// expect consumes byte c after white space.
func (r *Reader) expect(c byte) bool {
	if r.peek() != c {
		r.Fail(ErrUnsupported)
		return false
	}
	r.pos++
	return true
}

// Null consumes a null and reports true when the next value is one.
func (r *Reader) Null() bool {
	if r.peek() != 'n' {
		return false
	}
	return r.literal("null")
}

func (r *Reader) literal(lit string) bool {
	if len(r.data)-r.pos < len(lit) || string(r.data[r.pos:r.pos+len(lit)]) != lit {
		r.Fail(ErrUnsupported)
		return false
	}
	r.pos += len(lit)
	return true
}

// Member moves to member i of an object (from 0) and reports whether there is one; at i = 0
// it opens the object. After true, read the member's name with Key, then its value.
func (r *Reader) Member(i int) bool { return r.next(i, '{', '}') }

// Elem moves to element i of an array (from 0) and reports whether there is one; at i = 0
// it opens the array.
func (r *Reader) Elem(i int) bool { return r.next(i, '[', ']') }

func (r *Reader) next(i int, open, close byte) bool {
	if i == 0 && !r.expect(open) {
		return false
	}
	switch r.peek() {
	case close:
		r.pos++
		return false
	case 0:
		r.Fail(ErrUnsupported)
		return false
	}
	if i > 0 && !r.expect(',') {
		return false
	}
	return true
}

// Key reads a member's name and its colon. The bytes are valid until the next call.
func (r *Reader) Key() []byte {
	k := r.str()
	if !r.expect(':') {
		return nil
	}
	return k
}

// String reads a string.
func (r *Reader) String() string { return string(r.str()) }

// Strings reads an array of strings, or null as nil. Strings that need no unescaping share
// one allocation: a session holds sixteen message ids, and it is read twice a turn.
func (r *Reader) Strings() []string {
	if r.Null() {
		return nil
	}
	out := []string{}
	var spans [][2]int // where the strings lie in data while all do
	for i := 0; r.Elem(i); i++ {
		b := r.str()
		switch {
		case r.err != nil:
			return nil
		case r.inPlace && len(spans) == len(out):
			end := r.pos - 1 // before the closing quote
			spans = append(spans, [2]int{end - len(b), end})
			out = append(out, "")
		default:
			out = append(out, string(b))
		}
	}
	if len(spans) > 0 {
		base := spans[0][0]
		all := string(r.data[base:spans[len(spans)-1][1]])
		for i, sp := range spans {
			out[i] = all[sp[0]-base : sp[1]-base]
		}
	}
	return out
}

// str reads a string as encoding/json decodes it: escapes resolved, invalid UTF-8 and lone
// surrogates replaced by U+FFFD. The bytes are valid until the next call.
func (r *Reader) str() []byte {
	if !r.expect('"') {
		return nil
	}
	start := r.pos
	// The common case: no escape and valid UTF-8, returned in place.
	for i := start; i < len(r.data); {
		c := r.data[i]
		switch {
		case c == '"':
			r.pos, r.inPlace = i+1, true
			return r.data[start:i]
		case c == '\\' || c < 0x20:
			return r.unescape(start, i)
		case c < utf8.RuneSelf:
			i++
		default:
			rn, size := utf8.DecodeRune(r.data[i:])
			if rn == utf8.RuneError && size == 1 {
				return r.unescape(start, i)
			}
			i += size
		}
	}
	r.Fail(ErrUnsupported)
	return nil
}

// unescape reads the rest of a string whose first i-start bytes need no change.
func (r *Reader) unescape(start, i int) []byte {
	b := append(r.buf[:0], r.data[start:i]...)
	for i < len(r.data) {
		c := r.data[i]
		switch {
		case c == '"':
			r.pos, r.buf, r.inPlace = i+1, b, false
			return b
		case c < 0x20:
			r.Fail(ErrUnsupported)
			return nil
		case c == '\\':
			if i+1 >= len(r.data) {
				r.Fail(ErrUnsupported)
				return nil
			}
			i += 2
			switch e := r.data[i-1]; e {
			case '"', '\\', '/':
				b = append(b, e)
			case 'b':
				b = append(b, '\b')
			case 'f':
				b = append(b, '\f')
			case 'n':
				b = append(b, '\n')
			case 'r':
				b = append(b, '\r')
			case 't':
				b = append(b, '\t')
			case 'u':
				rn, ok := hex4(r.data[i:])
				if !ok {
					r.Fail(ErrUnsupported)
					return nil
				}
				i += 4
				if utf16.IsSurrogate(rn) {
					// A pair makes one rune; anything else is U+FFFD, as in encoding/json.
					rn2, ok := rune(-1), false
					if len(r.data)-i >= 6 && r.data[i] == '\\' && r.data[i+1] == 'u' {
						rn2, ok = hex4(r.data[i+2:])
					}
					if d := utf16.DecodeRune(rn, rn2); ok && d != utf8.RuneError {
						rn = d
						i += 6
					} else {
						rn = utf8.RuneError
					}
				}
				b = utf8.AppendRune(b, rn)
			default:
				r.Fail(ErrUnsupported)
				return nil
			}
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			rn, size := utf8.DecodeRune(r.data[i:])
			if rn == utf8.RuneError && size == 1 {
				b = utf8.AppendRune(b, utf8.RuneError)
			} else {
				b = append(b, r.data[i:i+size]...)
			}
			i += size
		}
	}
	r.Fail(ErrUnsupported)
	return nil
}

func hex4(b []byte) (rune, bool) {
	if len(b) < 4 {
		return 0, false
	}
	var n rune
	for _, c := range b[:4] {
		switch {
		case '0' <= c && c <= '9':
			c -= '0'
		case 'a' <= c && c <= 'f':
			c = c - 'a' + 10
		case 'A' <= c && c <= 'F':
			c = c - 'A' + 10
		default:
			return 0, false
		}
		n = n<<4 | rune(c)
	}
	return n, true
}

// number reads a JSON number's bytes and whether it is a plain integer (no fraction or
// exponent).
func (r *Reader) number() (tok []byte, integer bool) {
	if r.peek() == 0 {
		r.Fail(ErrUnsupported)
		return nil, false
	}
	start, i := r.pos, r.pos
	digits := func() int {
		n := 0
		for i < len(r.data) && '0' <= r.data[i] && r.data[i] <= '9' {
			i++
			n++
		}
		return n
	}
	if r.data[i] == '-' {
		i++
	}
	intStart := i
	if n := digits(); n == 0 || (n > 1 && r.data[intStart] == '0') {
		r.Fail(ErrUnsupported)
		return nil, false
	}
	integer = true
	if i < len(r.data) && r.data[i] == '.' {
		i++
		if digits() == 0 {
			r.Fail(ErrUnsupported)
			return nil, false
		}
		integer = false
	}
	if i < len(r.data) && (r.data[i] == 'e' || r.data[i] == 'E') {
		i++
		if i < len(r.data) && (r.data[i] == '+' || r.data[i] == '-') {
			i++
		}
		if digits() == 0 {
			r.Fail(ErrUnsupported)
			return nil, false
		}
		integer = false
	}
	r.pos = i
	return r.data[start:i], integer
}

// Float reads a number into a float64 as encoding/json does.
func (r *Reader) Float() float64 {
	tok, integer := r.number()
	if r.err != nil {
		return 0
	}
	if integer && len(tok) <= 15 {
		// Below 2^53 an integer is exact: no need for the general parser. -0 is left to it,
		// for its sign.
		if n := smallInt(tok); n != 0 || tok[0] != '-' {
			return float64(n)
		}
	}
	f, err := strconv.ParseFloat(string(tok), 64)
	if err != nil {
		r.Fail(ErrUnsupported)
		return 0
	}
	return f
}

// Int reads an integer that fits in bits bits, as encoding/json reads one into an int type:
// a fraction or an exponent is refused.
func (r *Reader) Int(bits int) int64 {
	tok, integer := r.number()
	if r.err != nil {
		return 0
	}
	if !integer {
		r.Fail(ErrUnsupported)
		return 0
	}
	if len(tok) <= 15 && bits == 64 {
		return smallInt(tok)
	}
	n, err := strconv.ParseInt(string(tok), 10, bits)
	if err != nil {
		r.Fail(ErrUnsupported)
		return 0
	}
	return n
}

// smallInt reads a checked integer token of at most 15 characters.
func smallInt(tok []byte) int64 {
	neg := tok[0] == '-'
	if neg {
		tok = tok[1:]
	}
	var n int64
	for _, c := range tok {
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n
}

// Bool reads true or false.
func (r *Reader) Bool() bool {
	switch r.peek() {
	case 't':
		return r.literal("true")
	case 'f':
		r.literal("false")
		return false
	}
	r.Fail(ErrUnsupported)
	return false
}

// Time reads a time as time.Time.UnmarshalJSON does: a string in RFC 3339, taken as written
// (it resolves no escapes, so a string with one is left to encoding/json).
func (r *Reader) Time() time.Time {
	if !r.expect('"') {
		return time.Time{}
	}
	start := r.pos
	for r.pos < len(r.data) && r.data[r.pos] != '"' && r.data[r.pos] != '\\' && r.data[r.pos] >= 0x20 {
		r.pos++
	}
	if r.pos >= len(r.data) || r.data[r.pos] != '"' {
		r.Fail(ErrUnsupported)
		return time.Time{}
	}
	var t time.Time
	if err := t.UnmarshalText(r.data[start:r.pos]); err != nil {
		r.Fail(ErrUnsupported)
		return time.Time{}
	}
	r.pos++
	return t
}

// Once marks member bit as read in seen, failing r when it was read before: encoding/json
// merges a member given twice, which the decoders leave to it.
func (r *Reader) Once(seen *uint32, bit uint32) {
	if *seen&bit != 0 {
		r.Fail(ErrUnsupported)
	}
	*seen |= bit
}
