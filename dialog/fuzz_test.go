package dialog

import (
	"reflect"
	"strings"
	"testing"

	"innobot/survey"
)

// fuzzStates are where FuzzHandle puts the chat before the fuzzed message.
var fuzzStates = []string{"has_institutions", "institution.#more", "inst_cost", "inst_cost|120000", "inst_cost|约100万",
	"ownership", "other_activities", "proj_doc", "dir_talent", "review", "idle+last", "idle+now", "update", "contact"}

// FuzzHandle sends any text in any state: the dialog never panics, always replies, and a
// refused reply changes nothing.
func FuzzHandle(f *testing.F) {
	for i, s := range []string{"无", "没有了", "3和5", "12万5", "修改第9项", "修改 9 为 35", "改9", "确认", "好的", "没有变化",
		"添加 研发项目", "删除 研发项目 2", "这个研发费用怎么算", "张三 13912345678", "上一题", "不知道", "", "\xff", "修改 联系方式"} {
		f.Add(s, uint8(i))
	}
	f.Fuzz(func(t *testing.T, text string, at uint8) {
		c := chatAt(t, fuzzStates[int(at)%len(fuzzStates)])
		var before survey.Answers
		if c.draft != nil {
			before = c.draft.Answers.Clone()
		}
		res := c.say(text) // fails the test when there is no reply
		if res.Failed && c.draft != nil && !reflect.DeepEqual(before, c.draft.Answers) {
			t.Fatalf("%q: refused but the answers changed", text)
		}
		if res.Details != nil && !isMobile(res.Details.Mobile) && res.Details.Mobile != c.enterprise.ContactTel {
			t.Fatalf("%q: kept %q as a mobile", text, res.Details.Mobile)
		}
	})
}

// FuzzParseDetails: a mobile found is always a mobile, and a name is never long or holds
// digits.
func FuzzParseDetails(f *testing.F) {
	for _, s := range []string{"张三 13912345678", "张三，139-1234-5678", "姓名：张三 手机：13912345678", "+86 13912345678", "1391234567", "你好", "\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		person, mobile, why := parseDetails(s)
		if why != "" {
			if person != "" || mobile != "" {
				t.Fatalf("%q: refused with %q but read %q %q", s, why, person, mobile)
			}
			return
		}
		if mobile != "" && !isMobile(mobile) {
			t.Fatalf("%q: mobile %q", s, mobile)
		}
		if len([]rune(person)) > 20 || strings.ContainsAny(person, "0123456789") {
			t.Fatalf("%q: name %q", s, person)
		}
	})
}

// FuzzParseCmd: reading a command never panics, and a 修改 N names an item from 1.
func FuzzParseCmd(f *testing.F) {
	for _, s := range []string{"修改第9项", "改9", "修改十", "修改 9 为 35", "第9项改成35", "删除第2个研发项目", "添加 研发项目", "没有变化", "确认"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c := parseCmd(s)
		if c.kind == cmdEdit && c.n < 0 {
			t.Fatalf("%q: item %d", s, c.n)
		}
	})
}
