package bolt

import (
	"reflect"
	"testing"
	"time"

	"innobot/storage"
)

// TestHeadEncodingCoversEveryField sets every field of a Head (and of its Facts) to a value
// of its own and checks that the head comes back whole. A field added to storage.Head or
// survey.Facts fails here until appendHead and decodeHead know it; then change headsFormat
// so that stored heads are rebuilt.
func TestHeadEncodingCoversEveryField(t *testing.T) {
	var h storage.Head
	fill(t, reflect.ValueOf(&h).Elem(), "Head")
	h.SubmittedAt = time.Date(2026, 11, 3, 10, 4, 5, 123456789, time.UTC)
	h.Version = 12
	key := submissionKey(h.EnterpriseID, h.Period, h.Version)
	got, err := decodeHead(key, appendHead(nil, h))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, h) {
		t.Errorf("head came back as\n %+v\nwant\n %+v", got, h)
	}
	// Zero values too, and the zero time.
	zero := storage.Head{EnterpriseID: "E", Period: "p", Version: 1}
	got, err = decodeHead(submissionKey("E", "p", 1), appendHead(nil, zero))
	if err != nil {
		t.Fatal(err)
	}
	if !got.SubmittedAt.IsZero() || !reflect.DeepEqual(got, zero) {
		t.Errorf("zero head came back as %+v", got)
	}
}

// fill gives every field under v a distinct non-zero value.
func fill(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	for i := range v.NumField() {
		f, name := v.Field(i), path+"."+v.Type().Field(i).Name
		n := len(name) + i + 1
		switch f.Kind() {
		case reflect.String:
			f.SetString(name + " 值\"\n")
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Int, reflect.Int64:
			f.SetInt(int64(n))
		case reflect.Float64:
			f.SetFloat(float64(n) + 0.1)
		case reflect.Struct:
			if f.Type() == reflect.TypeFor[time.Time]() {
				continue // set by the caller
			}
			fill(t, f, name)
		default:
			t.Fatalf("%s is a %s, which appendHead cannot encode yet", name, f.Kind())
		}
	}
}

func TestHeadCorrupt(t *testing.T) {
	h := storage.Head{EnterpriseID: "E", Period: "p", Version: 1, SubmittedBy: "c"}
	v := appendHead(nil, h)
	key := submissionKey("E", "p", 1)
	for _, bad := range [][]byte{v[:len(v)-1], append(v, 0), nil, {0xff}} {
		if _, err := decodeHead(key, bad); err == nil {
			t.Errorf("decodeHead(%x) succeeded", bad)
		}
	}
	if _, err := decodeHead([]byte("E\x00p"), v); err == nil {
		t.Error("decodeHead of a key without a version succeeded")
	}
}
