package jsonx

import (
	"bytes"
	"encoding/json"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"
)

// FuzzAppendString checks that strings are written as encoding/json writes them, and read
// back as it reads them.
func FuzzAppendString(f *testing.F) {
	for _, s := range []string{"", "钢铁·特殊钢冶炼（螺纹钢）", "a\"b\\c/", "\x00\x1f\b\f\n\r\t\x7f", "<>&", "\u2028\u2029", "\xff\xfe", "😀", "\xed\xa0\x80"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := AppendString(nil, s)
		want, err := json.Marshal(s)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("AppendString(%q) = %s, want %s", s, got, want)
		}
		var back string
		if err := json.Unmarshal(want, &back); err != nil {
			t.Fatal(err)
		}
		r := NewReader(got)
		if read := r.String(); r.End() != nil || read != back {
			t.Fatalf("read %q (err %v), want %q", read, r.Err(), back)
		}
	})
}

// FuzzReadString checks the Reader against encoding/json on any quoted input: where the
// Reader accepts a string, encoding/json reads the same one.
func FuzzReadString(f *testing.F) {
	for _, s := range []string{`"abc"`, `"a\nb\u00e9\ud83d\ude00"`, `"\ud83d"`, `"\ud83dx"`, `"\udc00\ud83d"`, `"\u12"`, `"a\qb"`, "\"\xff\"", "\"a\nb\"", `"a" `, `"a"x`, `"\/"`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(data)
		got := r.String()
		if r.End() != nil {
			return
		}
		var want string
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("Reader read %q from %q, encoding/json refuses it: %v", got, data, err)
		}
		if got != want {
			t.Fatalf("Reader read %q from %q, encoding/json %q", got, data, want)
		}
	})
}

// FuzzReadNumber checks Float and Int against encoding/json.
func FuzzReadNumber(f *testing.F) {
	for _, s := range []string{"0", "-0", "12", "-12.5", "1e21", "1E-7", "01", "1.", ".5", "-", "+1", "9007199254740993", "123456789012345678901", "1e400", " 7 ", "0x10", "1.0"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(data)
		got := r.Float()
		if r.End() == nil {
			var want float64
			if err := json.Unmarshal(data, &want); err != nil {
				t.Fatalf("Float read %v from %q, encoding/json refuses it: %v", got, data, err)
			}
			if math.Float64bits(got) != math.Float64bits(want) {
				t.Fatalf("Float read %v from %q, encoding/json %v", got, data, want)
			}
		}
		r = NewReader(data)
		n := r.Int(64)
		if r.End() == nil {
			var want int64
			if err := json.Unmarshal(data, &want); err != nil {
				t.Fatalf("Int read %v from %q, encoding/json refuses it: %v", n, data, err)
			}
			if n != want {
				t.Fatalf("Int read %v from %q, encoding/json %v", n, data, want)
			}
		}
	})
}

func TestAppendFloat(t *testing.T) {
	for _, f := range []float64{0, math.Copysign(0, -1), 1, -12.5, 1e-6, 9.99e-7, 1e-9, 1.5e-10, 1e20, 1e21, 123456789.125, math.MaxFloat64, math.SmallestNonzeroFloat64} {
		got := AppendFloat(nil, f)
		want, err := json.Marshal(f)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("AppendFloat(%v) = %s, want %s", f, got, want)
		}
	}
}

func TestTime(t *testing.T) {
	for _, tm := range []time.Time{
		{},
		time.Date(2026, 11, 2, 9, 0, 0, 123456789, time.FixedZone("CST", 8*3600)),
		time.Date(2026, 12, 5, 23, 59, 59, 0, time.UTC),
	} {
		got, err := AppendTime(nil, tm)
		if err != nil {
			t.Fatal(err)
		}
		want, err := json.Marshal(tm)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("AppendTime(%v) = %s, want %s", tm, got, want)
		}
		r := NewReader(got)
		if back := r.Time(); r.End() != nil || !back.Equal(tm) {
			t.Errorf("read %s back as %v (err %v)", got, back, r.Err())
		}
	}
	if _, err := AppendTime(nil, time.Date(10000, 1, 1, 0, 0, 0, 0, time.UTC)); err == nil {
		t.Error("year 10000 written; encoding/json refuses it")
	}
}

// TestReaderRefuses lists input the Reader must leave to encoding/json.
func TestReaderRefuses(t *testing.T) {
	tests := []struct {
		name string
		data string
		read func(*Reader)
	}{
		{"trailing comma", `{"a":1,}`, readObject},
		{"leading comma", `{,"a":1}`, readObject},
		{"missing comma", `{"a":1 "b":2}`, readObject},
		{"missing colon", `{"a" 1}`, readObject},
		{"unclosed", `{"a":1`, readObject},
		{"two values", `{} {}`, readObject},
		{"array trailing comma", `[1,]`, readArray},
		{"fraction as int", `[1.5]`, readArray},
		{"exponent as int", `[1e2]`, readArray},
		{"overflowing int", `[9223372036854775808]`, readArray},
		{"escaped time", `"\u0032026-11-02T09:00:00Z"`, func(r *Reader) { r.Time() }},
		{"bad time", `"2026-11-02 09:00:00"`, func(r *Reader) { r.Time() }},
		{"tru", `tru`, func(r *Reader) { r.Bool() }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := NewReader([]byte(tt.data))
			tt.read(r)
			if r.End() == nil {
				t.Errorf("%s accepted", tt.data)
			}
		})
	}
}

func readObject(r *Reader) {
	for i := 0; r.Member(i); i++ {
		r.Key()
		r.Int(64)
	}
}

func readArray(r *Reader) {
	for i := 0; r.Elem(i); i++ {
		r.Int(64)
	}
}

func TestReaderReads(t *testing.T) {
	r := NewReader([]byte(" { \"a\" : [ 1 , -2 ] , \"b\\n\" : { } , \"c\":null,\"d\":true } "))
	var got []int64
	var keys []string
	for i := 0; r.Member(i); i++ {
		k := string(r.Key())
		keys = append(keys, k)
		switch k {
		case "a":
			for j := 0; r.Elem(j); j++ {
				got = append(got, r.Int(64))
			}
		case "b\n":
			for j := 0; r.Member(j); j++ {
				t.Fatal("member in an empty object")
			}
		case "c":
			if !r.Null() {
				t.Error("null not read")
			}
		case "d":
			if !r.Bool() {
				t.Error("true read as false")
			}
		}
	}
	if err := r.End(); err != nil {
		t.Fatal(err)
	}
	if want := []int64{1, -2}; len(got) != 2 || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("array = %v, want %v", got, want)
	}
	if want := "a,b\n,c,d"; strings.Join(keys, ",") != want {
		t.Errorf("keys = %q, want %q", strings.Join(keys, ","), want)
	}
}

// FuzzReadStrings checks arrays of strings against encoding/json.
func FuzzReadStrings(f *testing.F) {
	for _, s := range []string{`["a","b"]`, `[]`, `null`, `["a\n","b","c\u00e9"]`, `["x", "y\\"]`, `[1]`, `["a",]`, `["a" "b"]`, ` [ "a" , "" ] `} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		r := NewReader(data)
		got := r.Strings()
		if r.End() != nil {
			return
		}
		var want []string
		if err := json.Unmarshal(data, &want); err != nil {
			t.Fatalf("Strings read %q from %q, encoding/json refuses it: %v", got, data, err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("Strings read %q from %q, encoding/json %q", got, data, want)
		}
	})
}
