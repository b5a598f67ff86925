package roster

import (
	"fmt"
	"strings"
	"unicode"

	"golang.org/x/text/width"

	"innobot/internal/sanitize"
)

// column is what a spreadsheet column holds, as far as the import cares.
type column int

const (
	colNone column = iota
	colName
	colRegion
	colCreditCode
	colIndustry
	colOwnership
	colContact
	colContactTel
	colHelper
	colHelperTel
	colTel // 联系电话 without saying whose: its place decides (see assignPhones)
	colBaseInst
	colBaseRD
	colBaseInno
	colNewlyAbove
	numColumns
)

// columnTitle names a column in messages, as 附件2 prints it.
var columnTitle = [numColumns]string{
	colName:       "企业名称",
	colRegion:     "所属县（市、区）",
	colCreditCode: "统一社会信用代码",
	colIndustry:   "行业",
	colOwnership:  "企业属性",
	colContact:    "企业联系人",
	colContactTel: "联系电话（企业联系人）",
	colHelper:     "各县（市、区）对口帮扶人",
	colHelperTel:  "联系电话（对口帮扶人）",
	colTel:        "联系电话",
	colBaseInst:   "有无研发机构",
	colBaseRD:     "有无研发活动",
	colBaseInno:   "有无创新活动",
	colNewlyAbove: "新进规上",
}

// headerAliases are the header texts accepted for each column, as normalized by headerKey:
// 附件2's own words first, then what offices commonly write instead.
var headerAliases = map[string]column{}

func init() {
	for col, names := range map[column][]string{
		colName:       {"企业名称", "企业全称", "企业名称（全称）", "企业全称（盖章）", "单位名称"},
		colRegion:     {"所属县（市、区）", "县（市、区）", "所在县（市、区）", "所属县区", "所属区县", "县区", "区县", "所属县", "所属地区"},
		colCreditCode: {"统一社会信用代码", "社会信用代码", "信用代码"},
		colIndustry:   {"行业", "所属行业", "行业（细分领域）", "所属行业（细分领域）", "行业细分领域"},
		colOwnership:  {"企业属性", "企业性质"},
		colContact:    {"企业联系人", "联系人"},
		colContactTel: {"企业联系人电话", "企业联系人联系电话", "联系人电话", "联系人联系电话", "联系人手机", "企业联系电话"},
		colHelper:     {"各县（市、区）对口帮扶人", "对口帮扶人", "帮扶人", "各县（市、区）帮扶人"},
		colHelperTel:  {"帮扶人电话", "帮扶人联系电话", "对口帮扶人电话", "对口帮扶人联系电话", "帮扶人手机"},
		colTel:        {"联系电话", "电话", "手机", "手机号", "手机号码"},
		// The 有无 of an earlier ledger (the 2020 台账): the enterprise's baseline.
		colBaseInst:   {"有无研发机构", "研发机构", "是否有研发机构"},
		colBaseRD:     {"有无研发活动", "研发活动", "是否有研发活动"},
		colBaseInno:   {"有无创新活动", "创新活动", "是否有创新活动", "有无其他创新活动"},
		colNewlyAbove: {"新进规上", "是否新进规上", "新进规上企业", "小升规", "是否小升规", "小升规企业", "小升规（新进规上）"},
	} {
		for _, n := range names {
			headerAliases[headerKey(n)] = col
		}
	}
}

// headerKey reduces a header cell to what tells columns apart: letters and digits only,
// half-width, without a trailing 必填/选填 note. Offices type headers by hand, break them over
// lines, mix （） and (), and mark required columns with *, and none of that changes the column.
func headerKey(s string) string {
	s = foldWidth(s)
	var b strings.Builder
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsNumber(r) {
			b.WriteRune(r)
		}
	}
	k := b.String()
	for _, note := range []string{"必填", "选填", "可选", "可不填", "非必填"} {
		if t := strings.TrimSuffix(k, note); t != "" {
			k = t
		}
	}
	return k
}

// matchHeader says which column a header cell names, colNone for one the import ignores.
func matchHeader(cell string) column {
	return headerAliases[headerKey(cell)]
}

// layout is where each column is in the sheet: index into the row's cells, -1 when absent.
type layout [numColumns]int

// parseHeader reads a row as a header. found is false when the row is not one (it has no
// 企业名称 cell); err says why a row that is a header cannot be used.
func parseHeader(cells []string) (l layout, found bool, err error) {
	for i := range l {
		l[i] = -1
	}
	cols := make([]column, len(cells))
	for i, c := range cells {
		cols[i] = matchHeader(c)
		found = found || cols[i] == colName
	}
	if !found {
		return l, false, nil
	}
	var tels []int
	for i, col := range cols {
		switch {
		case col == colNone:
		case col == colTel:
			tels = append(tels, i)
		case l[col] >= 0:
			return l, true, fmt.Errorf("有两列“%s”（第 %s 列和第 %s 列），无法确定用哪一列", columnTitle[col], colName26(l[col]), colName26(i))
		default:
			l[col] = i
		}
	}
	if err := assignPhones(&l, tels); err != nil {
		return l, true, err
	}
	if l[colRegion] < 0 {
		return l, true, fmt.Errorf("缺少“所属县（市、区）”列（这一行是：%s）", strings.Join(nonEmpty(cells), "、"))
	}
	return l, true, nil
}

// assignPhones gives each 联系电话 column to the person column nearest on its left: 附件2
// puts the enterprise contact's phone after 企业联系人 and the helper's after 对口帮扶人, under
// the same header text. One with no person column on its left is the enterprise contact's.
func assignPhones(l *layout, tels []int) error {
	for _, i := range tels {
		owner, at := colContactTel, -1
		if c := l[colContact]; c >= 0 && c < i {
			at = c
		}
		if h := l[colHelper]; h >= 0 && h < i && h > at {
			owner = colHelperTel
		}
		if prev := l[owner]; prev >= 0 {
			return fmt.Errorf("第 %s 列和第 %s 列都像是%s，无法分辨哪一列是企业联系人的、哪一列是对口帮扶人的；请把对口帮扶人的电话放在“对口帮扶人”列右边",
				colName26(prev), colName26(i), columnTitle[owner])
		}
		l[owner] = i
	}
	return nil
}

// colName26 is a 0-based column index as Excel letters (0 → A, 26 → AA), for messages.
func colName26(i int) string {
	s := ""
	for i++; i > 0; i = (i - 1) / 26 {
		s = string(rune('A'+(i-1)%26)) + s
	}
	return s
}

func nonEmpty(cells []string) []string {
	var out []string
	for _, c := range cells {
		if c = cleanCell(c); c != "" {
			out = append(out, c)
		}
	}
	return out
}

// foldWidth maps full-width ASCII forms (ＡＢＣ１２３（）) to their half-width forms.
func foldWidth(s string) string {
	for i := range len(s) {
		if s[i] >= 0x80 {
			return width.Fold.String(s)
		}
	}
	return s
}

// isSpace is unicode.IsSpace plus the invisible characters that pasted text carries.
func isSpace(r rune) bool {
	return unicode.IsSpace(r) || r == '\u200b' || r == '\u200c' || r == '\u200d' || r == '\ufeff'
}

// cleanCell trims a cell and turns each run of spaces and line breaks inside it into one
// space: what a person sees in the cell, not how it was typed. Control characters and
// terminal escapes go (sanitize.Line): names reach chats, files and terminals.
func cleanCell(s string) string {
	clean := true
	for i := range len(s) {
		if c := s[i]; c < 0x20 || c == ' ' || c >= 0x7f {
			clean = false
			break
		}
	}
	if clean {
		return s
	}
	return strings.Join(strings.FieldsFunc(sanitize.Line(s), isSpace), " ")
}
