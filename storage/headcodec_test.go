package storage

import (
	"encoding/binary"
	"math"
	"reflect"
	"testing"
	"time"

	"innobot/survey"
)

// TestHeadReadsOldSums: a head written while the reserved bytes held R&D sums reads as one
// written now, so the indexes need no rebuild.
func TestHeadReadsOldSums(t *testing.T) {
	h := Head{SubmittedBy: "张三", SubmittedAt: time.Date(2026, 11, 3, 9, 30, 0, 5, time.UTC),
		Facts: survey.Facts{HasRD: true, Institutions: 1, Projects: 2, Activities: 3, Plan: "计划", Industry: "钢铁", Ownership: "民营"}}
	now := AppendHeadValue(nil, h)

	// The old encoding: the same, with the sums where the reserved bytes are.
	var old []byte
	old = appendString(old, h.SubmittedBy)
	old = binary.AppendVarint(old, h.SubmittedAt.Unix())
	old = binary.AppendUvarint(old, uint64(h.SubmittedAt.Nanosecond()))
	old = append(old, flagRD)
	old = binary.AppendVarint(old, 1)
	old = binary.AppendVarint(old, 2)
	old = binary.BigEndian.AppendUint64(old, math.Float64bits(43))   // staff of institutions and projects
	old = binary.BigEndian.AppendUint64(old, math.Float64bits(84.5)) // their costs
	old = binary.AppendVarint(old, 3)
	for _, s := range []string{"计划", "钢铁", "民营"} {
		old = appendString(old, s)
	}
	if len(old) != len(now) {
		t.Fatalf("old head %d bytes, now %d: the layout moved", len(old), len(now))
	}
	for name, b := range map[string][]byte{"now": now, "old": old} {
		var got Head
		if err := ReadHeadValue(b, &got, nil); err != nil || !reflect.DeepEqual(got, h) {
			t.Errorf("%s: %+v, %v; want %+v", name, got, err, h)
		}
	}
	var got Head
	if err := ReadHeadValue(now[:len(now)-20], &got, nil); err == nil {
		t.Error("a truncated head reads without an error")
	}
}
