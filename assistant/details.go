package assistant

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"

	"innobot/survey"
)

// phoneDigits are the ways an office writes a phone number: a mobile (139 1234 5678,
// 139-1234-5678) or a landline with its area code (0359-2688888, 0359 2688888).
var (
	mobilePattern   = regexp.MustCompile(`^1[3-9]\d{9}$`)
	landlinePattern = regexp.MustCompile(`^0\d{2,3}-?\d{7,8}$`)
	phonePart       = regexp.MustCompile(`[0-9][0-9 \-]{6,}[0-9]`)
)

// detailsLabels are words people put before the parts of "姓名 电话", longest first where
// one holds another: 我叫 goes whole, not leaving 我 in the name, and so does 改成 in
// 填表人 改成 张丽 ….
var detailsLabels = []string{"填表人", "姓名", "名字", "联系方式", "联系电话", "电话", "手机号", "手机",
	"我叫", "我是", "本人", "修改为", "更改为", "改成", "改为", "换成", "是", "叫"}

// parseDetails reads the 填表人 and 联系方式 a staff member gives: a name and a phone number,
// in either order, with or without labels and punctuation (王芳 13912345678, 电话0359-2688888
// 姓名王芳). problem is the reply when either is missing or not right.
func parseDetails(text string) (name, phone, problem string) {
	s := survey.Normalize(text)
	loc := phonePart.FindStringIndex(s)
	if loc == nil {
		return "", "", "没有找到电话号码。请回复姓名和电话，例如：王芳 13912345678"
	}
	raw := s[loc[0]:loc[1]]
	phone = strings.Join(strings.FieldsFunc(raw, func(r rune) bool { return r == ' ' }), "")
	mobile := strings.ReplaceAll(phone, "-", "")
	switch {
	case mobilePattern.MatchString(mobile):
		phone = mobile
	case landlinePattern.MatchString(phone):
	default:
		return "", "", "电话号码“" + raw + "”不对：手机号是 1 开头的 11 位数字，办公电话要带区号，如 0359-2688888。"
	}
	rest := s[:loc[0]] + " " + s[loc[1]:]
	for _, l := range detailsLabels {
		rest = strings.ReplaceAll(rest, l, " ")
	}
	name = strings.Join(strings.FieldsFunc(rest, func(r rune) bool {
		return unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r)
	}), "")
	n := utf8.RuneCountInString(name)
	switch {
	case n == 0:
		return "", "", "没有找到姓名。请回复姓名和电话，例如：王芳 13912345678"
	case n > 12 || strings.ContainsFunc(name, unicode.IsDigit):
		return "", "", "姓名“" + name + "”看起来不对。请回复姓名和电话，例如：王芳 13912345678"
	}
	return name, phone, ""
}
