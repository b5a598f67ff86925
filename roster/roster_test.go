package roster_test

import (
	"bytes"
	"context"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"innobot/roster"
	"innobot/storage"
)

var regions = []string{
	"盐湖区", "永济市", "河津市", "临猗县", "万荣县", "稷山县", "新绛县",
	"闻喜县", "绛县", "垣曲县", "夏县", "平陆县", "芮城县", "运城开发区",
}

// writeXLSX builds a workbook: one sheet per entry of sheets, rows written from A1 down.
func writeXLSX(t testing.TB, sheets map[string][][]any, order ...string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, name := range order {
		if i == 0 {
			if err := f.SetSheetName("Sheet1", name); err != nil {
				t.Fatal(err)
			}
		} else if _, err := f.NewSheet(name); err != nil {
			t.Fatal(err)
		}
		for r, row := range sheets[name] {
			cell, _ := excelize.CoordinatesToCellName(1, r+1)
			if err := f.SetSheetRow(name, cell, &row); err != nil {
				t.Fatal(err)
			}
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// officialSheet is 附件2 as a county fills it: a title row, the counts line, then a header
// whose columns are shuffled, typed with line breaks and half-width brackets, and a footer.
var officialSheet = [][]any{
	{"盐湖区开展创新活动企业汇总统计表"},
	{"规上工业企业数量：8", nil, "已开展创新活动企业数量：5", nil, "未开展创新活动企业数量：3", nil, "日期：2026年11月"},
	{"序号", "所属县(市、区)", "企业联系人", "联系电话", "企业\n名称", " 行 业 ", "各县（市、区）\r\n对口帮扶人", "联系电话", "统一社会信用代码", "企业属性", "有无研发机构"},
	{1, "盐湖区", "张三", 13800000001, "山西示范钢铁有限公司", "钢铁", "王建国", "0359-2021234", "91140802MA0K123450", "民营企业", "有"},
	{2, "开发区", "李四", "13800000002", "运城示范汽车零部件有限公司", "汽车零部件", "孙敏", "13900000002", "", "外资企业", "无"},
	{3, "永济市", "王五", "13800000003", "永济示范电机有限公司", "电机制造", "李红", "13900000003", "91140881MA0GRX5T3F", "混合制企业", "有"},
	{4, "河津市", "赵六", "13800000004", "河津示范铝业有限公司", "有色金属冶炼", "赵磊", "13900000004", "", "省属国企", "有"},
	{5, "临猗县", "钱七", "13800000005", "临猗示范果蔬食品有限公司", "农副食品加工", "陈静", "13900000005", "", "私营企业", "无"},
	{6, "河津市", "孙八", "13800000006", " 河津示范铝业 有限公司", "铝加工", "赵磊", "13900000006", "", "", ""},
	{7, "闻喜县", "周九", "13800000007", "", "镁合金", "周强", "13900000007", "", "民营企业", ""},
	{},
	{8, "运城开发区", "吴十", "13800000008", "运城开发区示范新材料有限公司", "新材料", "孙敏", "13900000008", "９１１４０８８２ＭＡ０ＨＸ２Ｌ７ＸＤ", "央企", "有"},
	{"填表人：刘一", nil, nil, nil, "联系方式：0359-1234567"},
	{9, "盐湖区", "", "", "页脚下面的行不读", "", "", "", "", "", ""},
}

// officialRows is what Read must return for officialSheet.
var officialRows = []roster.Row{
	{Line: 4, Name: "山西示范钢铁有限公司", Region: "盐湖区", CreditCode: "91140802MA0K123450", Industry: "钢铁", Ownership: "民营企业", ContactName: "张三", ContactTel: "13800000001", Helper: "王建国", HelperTel: "0359-2021234", Baseline: [3]string{"有"}, BaselineColumns: 1},
	{Line: 5, Name: "运城示范汽车零部件有限公司", Region: "开发区", Industry: "汽车零部件", Ownership: "外资企业", ContactName: "李四", ContactTel: "13800000002", Helper: "孙敏", HelperTel: "13900000002", Baseline: [3]string{"无"}, BaselineColumns: 1},
	{Line: 6, Name: "永济示范电机有限公司", Region: "永济市", CreditCode: "91140881MA0GRX5T3F", Industry: "电机制造", Ownership: "混合制企业", ContactName: "王五", ContactTel: "13800000003", Helper: "李红", HelperTel: "13900000003", Baseline: [3]string{"有"}, BaselineColumns: 1},
	{Line: 7, Name: "河津示范铝业有限公司", Region: "河津市", Industry: "有色金属冶炼", Ownership: "省属国企", ContactName: "赵六", ContactTel: "13800000004", Helper: "赵磊", HelperTel: "13900000004", Baseline: [3]string{"有"}, BaselineColumns: 1},
	{Line: 8, Name: "临猗示范果蔬食品有限公司", Region: "临猗县", Industry: "农副食品加工", Ownership: "私营企业", ContactName: "钱七", ContactTel: "13800000005", Helper: "陈静", HelperTel: "13900000005", Baseline: [3]string{"无"}, BaselineColumns: 1},
	{Line: 9, Name: "河津示范铝业 有限公司", Region: "河津市", Industry: "铝加工", ContactName: "孙八", ContactTel: "13800000006", Helper: "赵磊", HelperTel: "13900000006", BaselineColumns: 1},
	{Line: 10, Region: "闻喜县", Industry: "镁合金", Ownership: "民营企业", ContactName: "周九", ContactTel: "13800000007", Helper: "周强", HelperTel: "13900000007", BaselineColumns: 1},
	{Line: 12, Name: "运城开发区示范新材料有限公司", Region: "运城开发区", CreditCode: "９１１４０８８２ＭＡ０ＨＸ２Ｌ７ＸＤ", Industry: "新材料", Ownership: "央企", ContactName: "吴十", ContactTel: "13800000008", Helper: "孙敏", HelperTel: "13900000008", Baseline: [3]string{"有"}, BaselineColumns: 1},
}

// officialRejected is the report Plan must make for officialRows into an empty store.
var officialRejected = []roster.Rejection{
	{Line: 5, Reason: "所属县（市、区）“开发区”不是配置的县（市、区）之一，是否应为“运城开发区”？"},
	{Line: 6, Reason: "统一社会信用代码校验位错误（91140881MA0GRX5T3F）"},
	{Line: 7, Reason: "与第 9 行重复（企业名称和所属县（市、区）相同）"},
	{Line: 8, Reason: "企业属性“私营企业”不是规定的 7 种之一（央企、省属国企、市属国企、军工企业、民营企业、混合制企业、外资企业）"},
	{Line: 9, Reason: "与第 7 行重复（企业名称和所属县（市、区）相同）"},
	{Line: 10, Reason: "缺少企业名称"},
}

func TestReadXLSXOfficialForm(t *testing.T) {
	data := writeXLSX(t, map[string][][]any{"盐湖区": officialSheet}, "盐湖区")
	rows, err := roster.Read("名单.xlsx", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	diffRows(t, rows, officialRows)
}

func TestReadXLSXFindsTheSheetWithTheHeader(t *testing.T) {
	data := writeXLSX(t, map[string][][]any{
		"说明":   {{"填报说明：请在第二张表填写"}, {"企业属性：央企、省属国企……"}},
		"企业名单": officialSheet,
	}, "说明", "企业名单")
	rows, err := roster.Read("x.XLSX", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	diffRows(t, rows, officialRows)
}

// csvText is officialSheet as Excel saves it: every cell text, a quoted cell with a line
// break, and a blank line where the sheet has an empty row.
const csvText = `盐湖区开展创新活动企业汇总统计表,,,,,,,,,,
规上工业企业数量：8,,已开展创新活动企业数量：5,,未开展创新活动企业数量：3,,日期：2026年11月,,,,
序号,所属县(市、区),企业联系人,联系电话,"企业
名称", 行 业 ,各县（市、区）对口帮扶人,联系电话,统一社会信用代码,企业属性,有无研发机构
1,盐湖区,张三,13800000001,山西示范钢铁有限公司,钢铁,王建国,0359-2021234,91140802MA0K123450,民营企业,有
2,开发区,李四,13800000002,运城示范汽车零部件有限公司,汽车零部件,孙敏,13900000002,,外资企业,无
3,永济市,王五,13800000003,永济示范电机有限公司,电机制造,李红,13900000003,91140881MA0GRX5T3F,混合制企业,有
4,河津市,赵六,13800000004,河津示范铝业有限公司,有色金属冶炼,赵磊,13900000004,,省属国企,有
5,临猗县,钱七,13800000005,临猗示范果蔬食品有限公司,农副食品加工,陈静,13900000005,,私营企业,无
6,河津市,孙八,13800000006, 河津示范铝业 有限公司,铝加工,赵磊,13900000006,,,
7,闻喜县,周九,13800000007,,镁合金,周强,13900000007,,民营企业,

8,运城开发区,吴十,13800000008,运城开发区示范新材料有限公司,新材料,孙敏,13900000008,９１１４０８８２ＭＡ０ＨＸ２Ｌ７ＸＤ,央企,有
填表人：刘一,,,,联系方式：0359-1234567,,,,,,
9,盐湖区,,,页脚下面的行不读,,,,,,
`

func TestReadCSV(t *testing.T) {
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(strings.ReplaceAll(csvText, "\n", "\r\n"))
	if err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{
		"UTF-8":     csvText,
		"UTF-8 BOM": "\ufeff" + csvText,
		"GBK CRLF":  gbk,
	} {
		t.Run(name, func(t *testing.T) {
			rows, err := roster.Read("名单.csv", strings.NewReader(data))
			if err != nil {
				t.Fatal(err)
			}
			diffRows(t, rows, officialRows)
		})
	}
}

func TestReadErrors(t *testing.T) {
	header := []any{"企业名称", "所属县（市、区）", "联系电话"}
	for _, tc := range []struct {
		name, file string
		data       []byte
		want       string
	}{
		{"old xls", "a.xls", []byte("\xd0\xcf\x11\xe0"), "不支持 .xls 格式"},
		{"no extension", "名单", []byte("企业名称"), "不认识的文件类型"},
		{"not a zip", "a.xlsx", []byte("hello"), "不是有效的 .xlsx 文件"},
		{"no header", "a.csv", []byte("a,b,c\n1,2,3\n"), "找不到表头：前 30 行中没有“企业名称”列"},
		{"no region column", "a.csv", []byte("序号,企业名称,行业\n1,甲公司,钢铁\n"), "第 1 行的表头缺少“所属县（市、区）”列"},
		{"two name columns", "a.csv", []byte("企业名称,所属县（市、区）,企业全称\n"), "第 1 行的表头有两列“企业名称”（第 A 列和第 C 列）"},
		{"two industry columns", "a.csv", []byte("行业,所属行业,企业名称,所属县（市、区）\n"), "第 1 行的表头有两列“行业”（第 A 列和第 B 列）"},
		{"phones without owners", "a.csv", []byte("企业名称,所属县（市、区）,企业联系人,联系电话,联系电话\n"), "第 D 列和第 E 列都像是联系电话（企业联系人）"},
		{"header only", "a.csv", []byte("企业名称,所属县（市、区）\n,\n"), "表头下面没有企业数据"},
		{"bad csv", "a.csv", []byte("企业名称,所属县（市、区）\n\"甲\"公司\"x,盐湖区\n"), ""},
		{"not text", "a.csv", []byte{0xff, 0xfe, 0x00, 0x81, 0x30, 0x81}, "既不是 UTF-8 也不是 GBK"},
		{"xlsx no header", "a.xlsx", writeXLSX(t, map[string][][]any{"S": {{"x"}}}, "S"), "工作表“S”：找不到表头"},
		{"xlsx broken header on second sheet", "a.xlsx", writeXLSX(t, map[string][][]any{"A": {{"x"}}, "B": {{"企业名称"}}}, "A", "B"), "工作表“B”：第 1 行的表头缺少“所属县（市、区）”列"},
		{"xlsx header only", "a.xlsx", writeXLSX(t, map[string][][]any{"S": {header}}, "S"), "表头下面没有企业数据"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rows, err := roster.Read(tc.file, bytes.NewReader(tc.data))
			if tc.want == "" {
				// LazyQuotes reads the odd quote as text: no error, one row.
				if err != nil || len(rows) != 1 {
					t.Fatalf("rows %v, err %v", rows, err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to contain %q", err, tc.want)
			}
		})
	}
}

func TestReadHelperPhoneByPlace(t *testing.T) {
	// No 企业联系人 column: the one 联系电话 after 对口帮扶人 is the helper's.
	rows, err := roster.Read("a.csv", strings.NewReader("企业名称,所属县（市、区）,对口帮扶人,联系电话\n甲公司,盐湖区,王五,139\n"))
	if err != nil {
		t.Fatal(err)
	}
	want := []roster.Row{{Line: 2, Name: "甲公司", Region: "盐湖区", Helper: "王五", HelperTel: "139"}}
	diffRows(t, rows, want)
	// Explicit titles win over place; a 联系电话 before any person column is the contact's.
	rows, err = roster.Read("a.csv", strings.NewReader("联系电话,帮扶人电话,企业名称,所属县（市、区）,帮扶人\n138,139,甲公司,盐湖区,王五\n"))
	if err != nil {
		t.Fatal(err)
	}
	want = []roster.Row{{Line: 2, Name: "甲公司", Region: "盐湖区", ContactTel: "138", Helper: "王五", HelperTel: "139"}}
	diffRows(t, rows, want)
}

func diffRows(t *testing.T, got, want []roster.Row) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%d rows, want %d", len(got), len(want))
	}
	for i := range min(len(got), len(want)) {
		if got[i] != want[i] {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, got[i], want[i])
		}
	}
	for _, r := range got[min(len(got), len(want)):] {
		t.Errorf("extra row %+v", r)
	}
}

func TestPlanOfficialForm(t *testing.T) {
	cs := roster.Plan(officialRows, nil, regions)
	// The form has one of the three baseline columns: it is not read, and the office is told.
	if want := []string{"表中只有 1 列原台账的有无（有无研发机构、有无研发活动、有无创新活动须三列齐全），这几列没有导入。"}; !slices.Equal(cs.Notes, want) {
		t.Errorf("notes %q", cs.Notes)
	}
	for _, a := range cs.Added {
		if a.Enterprise.Baseline != nil {
			t.Errorf("%s has a baseline from one column", a.Enterprise.Name)
		}
	}
	if !reflect.DeepEqual(cs.Rejected, officialRejected) {
		t.Errorf("rejected:\n%s\nwant:\n%s", report(cs.Rejected), report(officialRejected))
	}
	if len(cs.Updated)+len(cs.Unchanged) != 0 {
		t.Errorf("updates %v, unchanged %v in an empty store", cs.Updated, cs.Unchanged)
	}
	var got []string
	ids := map[string]bool{}
	for _, a := range cs.Added {
		e := a.Enterprise
		got = append(got, fmt.Sprintf("%d %s %s %s", a.Line, e.Name, e.Region, e.CreditCode))
		if !strings.HasPrefix(e.ID, "ent-") || ids[e.ID] {
			t.Errorf("ID %q: not fresh", e.ID)
		}
		ids[e.ID] = true
	}
	want := []string{
		"4 山西示范钢铁有限公司 盐湖区 91140802MA0K123450",
		"12 运城开发区示范新材料有限公司 运城开发区 91140882MA0HX2L7XD",
	}
	if !slices.Equal(got, want) {
		t.Errorf("added %q, want %q", got, want)
	}
	if a := cs.Added[0].Enterprise; a.ContactTel != "13800000001" || a.HelperTel != "0359-2021234" || a.Ownership != "民营企业" || a.Industry != "钢铁" {
		t.Errorf("added fields: %+v", a)
	}
	if cs.Rows != len(officialRows) {
		t.Errorf("Rows = %d", cs.Rows)
	}
}

func report(rs []roster.Rejection) string {
	var b strings.Builder
	for _, r := range rs {
		fmt.Fprintf(&b, "第 %d 行：%s\n", r.Line, r.Reason)
	}
	return b.String()
}

func TestPlanRejections(t *testing.T) {
	good := func(line int, name, region, code string) roster.Row {
		return roster.Row{Line: line, Name: name, Region: region, CreditCode: code}
	}
	existing := []storage.Enterprise{
		{ID: "e1", Name: "甲公司", Region: "盐湖区", CreditCode: "91350100M000100Y43"},
		{ID: "e2", Name: "乙公司", Region: "盐湖区"},
	}
	for _, tc := range []struct {
		name string
		rows []roster.Row
		want []roster.Rejection
	}{
		{"missing both", []roster.Row{{Line: 3, Industry: "钢铁"}},
			[]roster.Rejection{{3, "缺少企业名称；缺少所属县（市、区）"}}},
		{"region guesses", []roster.Row{good(2, "a", "运城市盐湖区", ""), good(3, "b", "盐湖", ""), good(4, "c", "盐 湖 区", ""), good(5, "d", "运城", "")},
			[]roster.Rejection{
				{2, "所属县（市、区）“运城市盐湖区”不是配置的县（市、区）之一，是否应为“盐湖区”？"},
				{3, "所属县（市、区）“盐湖”不是配置的县（市、区）之一，是否应为“盐湖区”？"},
				{4, "所属县（市、区）“盐 湖 区”不是配置的县（市、区）之一，是否应为“盐湖区”？"},
				{5, "所属县（市、区）“运城”不是配置的县（市、区）之一，是否应为“运城开发区”？"},
			}},
		{"region unknown", []roster.Row{good(2, "a", "太原市", "")},
			[]roster.Rejection{{2, "所属县（市、区）“太原市”不是配置的县（市、区）之一（应为：" + strings.Join(regions, "、") + "）"}}},
		{"credit codes", []roster.Row{
			good(2, "a", "绛县", "91140800MA0XXXXX1"),
			good(3, "b", "绛县", "91140800MA0XXXXX1S"),
			good(4, "c", "绛县", "9.11408E+17"),
			good(5, "d", "绛县", "91140800MA0XXXXX1Q"),
		}, []roster.Rejection{
			{2, "统一社会信用代码应为 18 位，实为 17 位（91140800MA0XXXXX1）"},
			{3, "统一社会信用代码含不允许的字符“S”（91140800MA0XXXXX1S）"},
			{4, "统一社会信用代码被 Excel 存成了数字（9.11408E+17），请把该列设为文本后重新填写"},
			{5, "统一社会信用代码校验位错误（91140800MA0XXXXX1Q）"},
		}},
		{"duplicate codes and names", []roster.Row{
			good(2, "丙公司", "夏县", "91140802MA0K123450"),
			good(3, "丁公司", "夏县", "91140802MA0K123450"),
			good(4, "丙公司", "夏县", ""),
			good(5, "丙公司", "绛县", ""), // same name elsewhere: another enterprise
		}, []roster.Rejection{
			{2, "与第 3、4 行重复（统一社会信用代码、企业名称和所属县（市、区）相同）"},
			{3, "与第 2 行重复（统一社会信用代码相同）"},
			{4, "与第 2 行重复（企业名称和所属县（市、区）相同）"},
		}},
		{"two rows, one stored enterprise", []roster.Row{
			good(2, "甲公司（新名）", "盐湖区", "91350100M000100Y43"),
			good(3, "甲公司", "盐湖区", ""),
		}, []roster.Rejection{
			{2, "与第 3 行对应同一家已有企业“甲公司”（盐湖区）"},
			{3, "与第 2 行对应同一家已有企业“甲公司”（盐湖区）"},
		}},
		{"code of one, name of another", []roster.Row{good(2, "乙公司", "盐湖区", "91350100M000100Y43")},
			[]roster.Rejection{{2, "统一社会信用代码属于已有企业“甲公司”（盐湖区），企业名称却是另一家已有企业：请核对"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cs := roster.Plan(tc.rows, existing, regions)
			if !reflect.DeepEqual(cs.Rejected, tc.want) {
				t.Errorf("rejected:\n%s\nwant:\n%s", report(cs.Rejected), report(tc.want))
			}
			if n := len(cs.Added) + len(cs.Updated) + len(cs.Unchanged) + len(cs.Rejected); n != len(tc.rows) {
				t.Errorf("%d rows accounted for, want %d", n, len(tc.rows))
			}
		})
	}
}

// fakeStore keeps enterprises as storage.Registry's PutEnterprises does: one write, the
// stored LiaisonID kept.
type fakeStore struct {
	mu    sync.Mutex
	es    map[string]storage.Enterprise
	calls int
	err   error
}

func (f *fakeStore) PutEnterprises(_ context.Context, es []storage.Enterprise) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls++
	if f.err != nil {
		return f.err
	}
	if f.es == nil {
		f.es = map[string]storage.Enterprise{}
	}
	for _, e := range es {
		e.LiaisonID = f.es[e.ID].LiaisonID
		f.es[e.ID] = e
	}
	return nil
}

func (f *fakeStore) all() []storage.Enterprise {
	f.mu.Lock()
	defer f.mu.Unlock()
	keys := slices.Sorted(maps.Keys(f.es))
	out := make([]storage.Enterprise, len(keys))
	for i, k := range keys {
		out[i] = f.es[k]
	}
	return out
}

func TestReimportUpdatesAndNeverDuplicates(t *testing.T) {
	ctx := context.Background()
	store := &fakeStore{}
	at := time.Date(2026, 11, 25, 10, 0, 0, 0, time.UTC)
	cs := roster.Plan(officialRows, nil, regions)
	cs.At = at
	if err := roster.Apply(ctx, store, cs); err != nil {
		t.Fatal(err)
	}
	if store.calls != 1 || len(store.es) != 2 {
		t.Fatalf("%d calls, %d enterprises; want 1 call, 2 enterprises", store.calls, len(store.es))
	}
	for _, e := range store.all() {
		if !e.UpdatedAt.Equal(at) {
			t.Errorf("%s UpdatedAt %v", e.Name, e.UpdatedAt)
		}
	}

	// A liaison binds meanwhile.
	steel := cs.Added[0].Enterprise
	store.es[steel.ID] = func(e storage.Enterprise) storage.Enterprise { e.LiaisonID = "wx-zhangsan"; return e }(store.es[steel.ID])

	// The same file again: nothing to write.
	again := roster.Plan(officialRows, store.all(), regions)
	if len(again.Added)+len(again.Updated) != 0 || len(again.Unchanged) != 2 || len(again.Rejected) != 6 {
		t.Fatalf("re-import: added %d updated %d unchanged %d rejected %d", len(again.Added), len(again.Updated), len(again.Unchanged), len(again.Rejected))
	}
	if err := roster.Apply(ctx, store, again); err != nil || store.calls != 1 {
		t.Fatalf("nothing to write still wrote: calls %d, err %v", store.calls, err)
	}

	// The corrected file: the steel works renamed (matched by its code), a new helper and an
	// empty phone cell (keeps the stored one), the bad rows fixed.
	fixed := slices.Clone(officialRows)
	fixed[0].Name, fixed[0].Helper, fixed[0].ContactTel = "山西示范钢铁集团有限公司", "李四", ""
	fixed[1].Region = "运城开发区"
	fixed[2].CreditCode = "91140881MA0GRX5T3E"
	fixed[4].Ownership = "民营企业"
	fixed[5].Region = "万荣县"
	fixed[6].Name = "闻喜示范镁合金有限公司"
	next := roster.Plan(fixed, store.all(), regions)
	if len(next.Rejected) != 0 {
		t.Fatalf("rejected %s", report(next.Rejected))
	}
	if len(next.Added) != 6 || len(next.Updated) != 1 || len(next.Unchanged) != 1 {
		t.Fatalf("added %d updated %d unchanged %d", len(next.Added), len(next.Updated), len(next.Unchanged))
	}
	u := next.Updated[0]
	wantChanges := []roster.Change{
		{Field: "企业名称", Old: "山西示范钢铁有限公司", New: "山西示范钢铁集团有限公司"},
		{Field: "对口帮扶人", Old: "王建国", New: "李四"},
	}
	if u.Line != 4 || u.Old.ID != steel.ID || u.New.ID != steel.ID || !reflect.DeepEqual(u.Changes, wantChanges) {
		t.Errorf("update %+v", u)
	}
	if err := roster.Apply(ctx, store, next); err != nil {
		t.Fatal(err)
	}
	if store.calls != 2 || len(store.es) != 8 {
		t.Fatalf("%d calls, %d enterprises; want 2 calls, 8 enterprises", store.calls, len(store.es))
	}
	got := store.es[steel.ID]
	if got.Name != "山西示范钢铁集团有限公司" || got.Helper != "李四" || got.ContactTel != "13800000001" || got.LiaisonID != "wx-zhangsan" {
		t.Errorf("after update: %+v", got)
	}

	// And once more: all unchanged.
	last := roster.Plan(fixed, store.all(), regions)
	if len(last.Unchanged) != 8 || len(last.Added)+len(last.Updated)+len(last.Rejected) != 0 {
		t.Errorf("third import: added %d updated %d unchanged %d rejected %d", len(last.Added), len(last.Updated), len(last.Unchanged), len(last.Rejected))
	}
}

func TestMatchByNameIgnoresSpacingAndBracketWidth(t *testing.T) {
	existing := []storage.Enterprise{{ID: "e1", Name: "山西某某(集团)有限公司", Region: "夏县", Helper: "甲"}}
	cs := roster.Plan([]roster.Row{{Line: 2, Name: "山西某某（集团） 有限公司", Region: "夏县", Helper: "甲"}}, existing, regions)
	if len(cs.Updated) != 1 || cs.Updated[0].New.ID != "e1" {
		t.Fatalf("%+v", cs)
	}
	// The name as typed now is kept: it is what the office writes.
	if c := cs.Updated[0].Changes; len(c) != 1 || c[0].Field != "企业名称" {
		t.Errorf("changes %+v", c)
	}
}

func TestApplyError(t *testing.T) {
	store := &fakeStore{err: fmt.Errorf("disk full")}
	cs := roster.Plan(officialRows, nil, regions)
	err := roster.Apply(context.Background(), store, cs)
	if err == nil || !strings.Contains(err.Error(), "未做任何改动") || !strings.Contains(err.Error(), "disk full") {
		t.Fatalf("err = %v", err)
	}
}

// TestBaselineAndNewlyAbove reads the 2020 台账's three 有无 and the 新进规上 flag from a sheet
// that has them, and plans them row by row: all three or none, 有 or 无 however marked.
func TestBaselineAndNewlyAbove(t *testing.T) {
	data := writeXLSX(t, map[string][][]any{"名单": {
		{"企业名称", "所属县（市、区）", "有无研发机构", "有无研发活动", "有无创新活动", "是否新进规上"},
		{"甲公司", "盐湖区", "有", "无", "无", "是"},
		{"乙公司", "盐湖区", "无", "无", "无", "否"},
		{"丙公司", "盐湖区", "", "", "", ""},
		{"丁公司", "盐湖区", "未填报", "未填报", "未填报", "√"},
		{"戊公司", "盐湖区", "√", "×", "１", "0"},
		{"己公司", "盐湖区", "有", "", "无", ""},
		{"庚公司", "盐湖区", "有的", "无", "大概", "也许"},
		{"辛公司", "盐湖区", "从未填报", "从未填报", "从未填报", ""},
	}}, "名单")
	rows, err := roster.Read("名单.xlsx", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	if r := rows[0]; r.Baseline != [3]string{"有", "无", "无"} || r.BaselineColumns != 3 || r.NewlyAbove != "是" {
		t.Errorf("row read %+v", r)
	}
	cs := roster.Plan(rows, nil, regions)
	got := map[string]string{}
	for _, a := range cs.Added {
		b := "无基线"
		if x := a.Enterprise.Baseline; x != nil {
			b = fmt.Sprintf("%v%v%v", x.HasInstitution, x.HasRD, x.HasInnovation)
		}
		got[a.Enterprise.Name] = fmt.Sprintf("%s 新进规上=%v", b, a.Enterprise.NewlyAbove)
	}
	want := map[string]string{
		"甲公司": "truefalsefalse 新进规上=true",
		"乙公司": "falsefalsefalse 新进规上=false",
		"丙公司": "无基线 新进规上=false",
		"丁公司": "无基线 新进规上=true",
		"戊公司": "truefalsetrue 新进规上=false",
		"辛公司": "无基线 新进规上=false",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("added\n got %v\nwant %v", got, want)
	}
	wantRejected := []roster.Rejection{
		{Line: 7, Reason: "有无研发机构、有无研发活动、有无创新活动须三列都填写“有”或“无”（或都不填）"},
		{Line: 8, Reason: "有无研发机构“有的”应为“有”或“无”；有无创新活动“大概”应为“有”或“无”；新进规上“也许”应为“是”或“否”"},
	}
	if !reflect.DeepEqual(cs.Rejected, wantRejected) {
		t.Errorf("rejected:\n%s\nwant:\n%s", report(cs.Rejected), report(wantRejected))
	}
	if len(cs.Notes) != 0 {
		t.Errorf("notes %q", cs.Notes)
	}

	// Importing again: a changed baseline and flag are updates, listed; an empty cell keeps
	// what is stored.
	var stored []storage.Enterprise
	for i, a := range cs.Added {
		a.Enterprise.ID = fmt.Sprint("e", i)
		stored = append(stored, a.Enterprise)
	}
	again := []roster.Row{
		{Line: 2, Name: "甲公司", Region: "盐湖区", Baseline: [3]string{"有", "有", "无"}, BaselineColumns: 3, NewlyAbove: "否"},
		{Line: 3, Name: "乙公司", Region: "盐湖区", BaselineColumns: 3},
	}
	next := roster.Plan(again, stored, regions)
	if len(next.Updated) != 1 || len(next.Unchanged) != 1 {
		t.Fatalf("updated %d unchanged %d", len(next.Updated), len(next.Unchanged))
	}
	u := next.Updated[0]
	wantChanges := []roster.Change{
		{Field: "原台账有无（机构/活动/创新）", Old: "有/无/无", New: "有/有/无"},
		{Field: "新进规上", Old: "是", New: "否"},
	}
	if !reflect.DeepEqual(u.Changes, wantChanges) || u.New.NewlyAbove || !u.New.Baseline.HasRD {
		t.Errorf("update %+v", u)
	}
	if e := next.Unchanged[0].Enterprise; e.Baseline == nil || e.Baseline.Active() {
		t.Errorf("乙公司's baseline after a row with none: %+v", e.Baseline)
	}
}

// Control characters and terminal escapes in a list never reach a name: names go into chats,
// files and terminals.
func TestReadStripsControlsAndEscapes(t *testing.T) {
	data := strings.Replace(csvText, "山西示范钢铁有限公司", "\x1b[2J\x1b[31m山西示范\x07钢铁\u202e有限公司\x1b[0m", 1)
	data = strings.Replace(data, "王建国", "王\x1b]0;伪造\x07建国", 1)
	rows, err := roster.Read("名单.csv", strings.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	diffRows(t, rows, officialRows)
}
