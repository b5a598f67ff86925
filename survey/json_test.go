package survey

import (
	"encoding/json"
	"math"
	"reflect"
	"testing"
)

// FuzzAnswersJSON checks that the hand-written encoding reads back, with encoding/json, into
// what encoding/json's own encoding reads back into.
func FuzzAnswersJSON(f *testing.F) {
	f.Add("industry", "钢铁·特殊钢冶炼（螺纹钢）", 12.5, true, 3, 11, false)
	f.Add("a\"b\\c", "\x00\x1f\u2028<>&\xff", 1e-7, false, 0, 0, true)
	f.Add("", "", 1e21, false, -1, 14, false)
	f.Add("k", "😀", -0.0001, true, 7, 1, true)
	f.Fuzz(func(t *testing.T, key, text string, num float64, yes bool, choice, multi int, skipped bool) {
		if math.IsNaN(num) || math.IsInf(num, 0) {
			t.Skip()
		}
		a := Answers{key: {Text: text, Num: num, Bool: yes, Choice: choice, Multi: []int{multi, 1}, Skipped: skipped}, "z": {}}
		mine, err := a.MarshalJSON()
		if err != nil {
			t.Fatal(err)
		}
		type plain map[string]Value // the same data, encoded by reflection
		theirs, err := json.Marshal(plain(a))
		if err != nil {
			t.Fatal(err)
		}
		var got, want map[string]Value
		if err := json.Unmarshal(mine, &got); err != nil {
			t.Fatalf("%s does not decode: %v", mine, err)
		}
		if err := json.Unmarshal(theirs, &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("mine %s\ntheirs %s", mine, theirs)
		}
	})
}
