package storage_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"innobot/storage"
	"innobot/survey"
)

// records builds one session, draft and submission from fuzzed parts, each field filled.
func records(text string, num float64, flag bool, n int, at int64) (storage.Session, storage.Draft, storage.Submission) {
	when := time.Unix(at%(1<<35), at%1e9).In(time.FixedZone("CST", 8*3600))
	v := survey.Value{Text: text, Num: num, Bool: flag, Choice: n, Multi: []int{n, 1}, Skipped: !flag}
	answers := survey.Answers{text: v, "industry": {Text: "钢铁"}, "none": {}}
	sess := storage.Session{ContactID: text, Version: int64(n), State: "filling", EnterpriseID: "E" + text,
		Period: "2026-11", Cursor: text, UpdatedAt: when, Recent: []string{"m1", text}}
	if flag {
		sess.Pending = &v
	}
	draft := storage.Draft{EnterpriseID: "E1", Period: text, Answers: answers, UpdatedBy: text, UpdatedAt: when}
	if n%2 == 0 {
		draft.Carried = survey.Answers{"plan": v}
	}
	sub := storage.Submission{EnterpriseID: "E1", Period: "2026-11", Version: n, Form: text, Answers: answers,
		SubmittedBy: text, SubmittedAt: when, Facts: survey.Facts{HasInstitution: flag, HasRD: !flag, HasInnovation: flag,
			Institutions: n, Projects: -n, RDStaff: num, RDCost: -num, Activities: n, Plan: text, Industry: text}}
	return sess, draft, sub
}

// FuzzRecordJSON checks that the hand-written encodings are byte for byte json.Marshal's, and
// that the decoders read them back as json.Unmarshal does.
func FuzzRecordJSON(f *testing.F) {
	f.Add("钢铁·特殊钢冶炼（螺纹钢）", 12.5, true, 3, int64(1793581200))
	f.Add("a\"b\\c<>&\u2028\n\x00\xff", 1e-7, false, 0, int64(-1))
	f.Add("", -1e21, true, -14, int64(0))
	f.Fuzz(func(t *testing.T, text string, num float64, flag bool, n int, at int64) {
		if math.IsNaN(num) || math.IsInf(num, 0) {
			t.Skip("encoding/json refuses it; the parsers never produce it")
		}
		sess, draft, sub := records(text, num, flag, n, at)
		check(t, sess, storage.AppendSession, storage.DecodeSession)
		check(t, draft, storage.AppendDraft, storage.DecodeDraft)
		carried := func(b []byte, d storage.Draft) ([]byte, error) {
			return storage.AppendDraftCarried(b, d, d.Carried.AppendJSON(nil))
		}
		check(t, draft, carried, storage.DecodeDraft)
		check(t, sub, storage.AppendSubmission, storage.DecodeSubmission)
	})
}

func check[T any](t *testing.T, rec T, appendFn func([]byte, T) ([]byte, error), decode func([]byte) (T, error)) {
	t.Helper()
	got, err := appendFn(nil, rec)
	if err != nil {
		t.Fatal(err)
	}
	want, err := json.Marshal(rec)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("wrote %s\njson.Marshal %s", got, want)
	}
	back, err := decode(got)
	if err != nil {
		t.Fatal(err)
	}
	var std T
	if err := json.Unmarshal(got, &std); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(back, std) {
		t.Fatalf("read %s as\n%+v\njson.Unmarshal\n%+v", got, back, std)
	}
}

// FuzzDecodeRecords feeds the decoders any input: each must give what json.Unmarshal gives
// into a zero record, or fail where it fails.
func FuzzDecodeRecords(f *testing.F) {
	sess, draft, sub := records("钢铁", 12.5, true, 3, 1793581200)
	for _, rec := range []any{sess, draft, sub} {
		b, err := json.Marshal(rec)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
		var indented bytes.Buffer
		if err := json.Indent(&indented, b, "", "  "); err != nil {
			f.Fatal(err)
		}
		f.Add(indented.Bytes())
	}
	for _, s := range []string{
		`{"contact_id":"a","version":1,"unknown":2}`,
		`{"Contact_ID":"a","VERSION":2}`,
		`{"contact_id":"a","contact_id":"b"}`,
		`{"pending":{"t":"x"},"pending":{"n":1}}`,
		`{"pending":null,"state":null}`,
		`{"recent":["a","b\u0063"]}`, `{"recent":null}`, `{"recent":[]}`, `{"recent":[1]}`,
		`{"answers":{"a":{"t":"x"},"a":{"n":1}},"carried":{}}`,
		`{"answers":{"a":{"m":[]}},"carried":null}`,
		`{"answers":{"a":{"m":null,"c":1.0}}}`,
		`{"facts":{"rd_cost":1e400}}`,
		`{"version":"1"}`,
		`{"updated_at":"2026-11-02T09:00:00+08:00"}`,
		`{"updated_at":"2026-11-02T09:00:00"}`,
		`[]`, `null`, ``, `{}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		same(t, data, storage.DecodeSession)
		same(t, data, storage.DecodeDraft)
		same(t, data, storage.DecodeSubmission)
	})
}

func same[T any](t *testing.T, data []byte, decode func([]byte) (T, error)) {
	t.Helper()
	got, err := decode(data)
	var want T
	stdErr := json.Unmarshal(data, &want)
	if (err == nil) != (stdErr == nil) {
		t.Fatalf("%s: decode error %v, json.Unmarshal %v", data, err, stdErr)
	}
	if err == nil && !reflect.DeepEqual(got, want) {
		t.Fatalf("%s: decoded\n%+v\njson.Unmarshal\n%+v", data, got, want)
	}
}

func TestSessionRemember(t *testing.T) {
	var s storage.Session
	for i := range storage.RecentMessages + 3 {
		s.Remember(fmt.Sprintf("m%d", i))
	}
	s.Remember("")
	if len(s.Recent) != storage.RecentMessages || s.Recent[0] != "m3" || s.Recent[len(s.Recent)-1] != fmt.Sprintf("m%d", storage.RecentMessages+2) {
		t.Fatalf("Recent = %v, want the last %d ids, oldest first", s.Recent, storage.RecentMessages)
	}
	last := fmt.Sprintf("m%d", storage.RecentMessages+2)
	for id, want := range map[string]bool{"m2": false, "m3": true, last: true, "": false, "m": false} {
		if got := s.Remembers(id); got != want {
			t.Errorf("Remembers(%q) = %v, want %v", id, got, want)
		}
	}
	copied := s
	s.Remember("new")
	if copied.Recent[len(copied.Recent)-1] == "new" || copied.Remembers("new") {
		t.Error("Remember wrote into a copy's ids")
	}
}

// benchDraft is a monthly update's draft: the answers of a whole survey and, carried, the two
// sections being answered again.
func benchDraft() storage.Draft {
	a := survey.Answers{}
	for i := range 45 {
		switch i % 3 {
		case 0:
			a[fmt.Sprintf("project.%d.proj_name", i)] = survey.Value{Text: "高强度螺纹钢工艺改进（二期）"}
		case 1:
			a[fmt.Sprintf("institution.%d.inst_cost", i)] = survey.Value{Num: 45.8}
		default:
			a[fmt.Sprintf("other_activities_%d", i)] = survey.Value{Multi: []int{3, 11}, Choice: 2}
		}
	}
	carried := survey.Answers{}
	for k, v := range a {
		if len(carried) < 25 {
			carried[k] = v
		}
	}
	return storage.Draft{EnterpriseID: "E0001", Period: "2026-11", Answers: a, Carried: carried,
		UpdatedBy: "wxid_bench0001", UpdatedAt: time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)}
}

func BenchmarkAppendDraft(b *testing.B) {
	d := benchDraft()
	b.ReportAllocs()
	for b.Loop() {
		if _, err := storage.AppendDraft(nil, d); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeDraft(b *testing.B) {
	data, err := storage.AppendDraft(nil, benchDraft())
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := storage.DecodeDraft(data); err != nil {
			b.Fatal(err)
		}
	}
}
