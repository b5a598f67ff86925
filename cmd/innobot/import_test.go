package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"

	"innobot/invite/invitetest"
	"innobot/storage"
	"innobot/storage/bolt"
)

// importSheet is a county's 附件2 with a title, a counts line, shuffled columns and bad rows.
var importSheet = [][]any{
	{"盐湖区开展创新活动企业汇总统计表"},
	{"规上工业企业数量：7", nil, "日期：2026年11月"},
	{"序号", "所属县（市、区）", "企业联系人", "联系电话", "企业名称", "行业", "各县（市、区）\n对口帮扶人", "联系电话", "统一社会信用代码", "企业属性"},
	{1, "盐湖区", "张三", 13800000001, "山西示范钢铁有限公司", "钢铁", "王建国", "13900000001", "91140802MA0K123450", "民营企业"},
	{2, "开发区", "李四", "13800000002", "运城示范汽车零部件有限公司", "汽车零部件", "孙敏", "13900000002", "", "外资企业"},
	{3, "永济市", "王五", "13800000003", "永济示范电机有限公司", "电机制造", "李红", "13900000003", "91140881MA0GRX5T3F", "混合制企业"},
	{4, "河津市", "赵六", "13800000004", "河津示范铝业有限公司", "有色金属冶炼", "赵磊", "13900000004", "", "省属国企"},
	{5, "临猗县", "钱七", "13800000005", "临猗示范果蔬食品有限公司", "农副食品加工", "陈静", "13900000005", "", "私营企业"},
	{6, "河津市", "孙八", "13800000006", "河津示范铝业有限公司", "铝加工", "赵磊", "13900000006", "", ""},
	{7, "闻喜县", "周九", "13800000007", "", "镁合金", "周强", "13900000007", "", "民营企业"},
	{"填表人：刘一"},
}

const importRejected = `第 5 行：所属县（市、区）“开发区”不是配置的县（市、区）之一，是否应为“运城开发区”？
第 6 行：统一社会信用代码校验位错误（91140881MA0GRX5T3F）
第 7 行：与第 9 行重复（企业名称和所属县（市、区）相同）
第 8 行：企业属性“私营企业”不是规定的 7 种之一（央企、省属国企、市属国企、军工企业、民营企业、混合制企业、外资企业）
第 9 行：与第 7 行重复（企业名称和所属县（市、区）相同）
第 10 行：缺少企业名称
`

func writeSheet(t *testing.T, path string, rows [][]any) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, row := range rows {
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &row); err != nil {
			t.Fatal(err)
		}
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

func runCmd(t *testing.T, args ...string) (string, error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err := run(context.Background(), args, &out, &errOut)
	if errOut.Len() > 0 {
		t.Logf("stderr: %s", errOut.String())
	}
	return out.String(), err
}

func enterprises(t *testing.T, dir string) []storage.Enterprise {
	t.Helper()
	s, err := bolt.Open(filepath.Join(dir, "innobot.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	es, err := s.Enterprises(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func TestImportCommand(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	file := filepath.Join(dir, "名单.xlsx")
	writeSheet(t, file, importSheet)

	// A dry run on a data dir with no database yet creates nothing.
	out, err := runCmd(t, "import", file, "--dry-run", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	want := "试运行（--dry-run）：以下改动没有写入。\n名单.xlsx：7 行企业数据\n新增 1，更新 0，未变 0，拒绝 6\n" +
		"被拒绝的行不会导入，其余 1 行照常导入。改正下列各行后可再导入整个文件（已有企业只会更新，不会重复）：\n" + importRejected
	if out != want {
		t.Errorf("dry run printed:\n%s\nwant:\n%s", out, want)
	}
	if _, err := os.Stat(data); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("dry run created %s: %v", data, err)
	}

	// The real import: the good row goes in, the bad ones are listed.
	out, err = runCmd(t, "import", "--data", data, file)
	if err != nil {
		t.Fatal(err)
	}
	want = "名单.xlsx：7 行企业数据\n新增 1，更新 0，未变 0，拒绝 6\n" +
		"被拒绝的行没有导入，其余 1 行已导入。改正下列各行后可再导入整个文件（已有企业只会更新，不会重复）：\n" + importRejected
	if out != want {
		t.Errorf("import printed:\n%s\nwant:\n%s", out, want)
	}
	es := enterprises(t, data)
	if len(es) != 1 || es[0].Name != "山西示范钢铁有限公司" || es[0].ContactTel != "13800000001" || es[0].CreditCode != "91140802MA0K123450" {
		t.Fatalf("stored %+v", es)
	}
	steel := es[0]

	// Its liaison binds.
	s, err := bolt.Open(filepath.Join(data, "innobot.db"))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	key := invitetest.Key(t)
	code, _, err := issue(context.Background(), s, key, storage.Invite{Role: storage.RoleLiaison}, []string{"山西示范钢铁有限公司"}, now, time.Hour)
	if err == nil {
		_, err = s.Redeem(context.Background(), key.Hash(code), storage.Contact{ID: "wx-zhangsan", Name: "张三"}, now, nil)
	}
	if err = errors.Join(err, s.Close()); err != nil {
		t.Fatal(err)
	}
	bound := enterprises(t, data)
	if bound[0].LiaisonID != "wx-zhangsan" {
		t.Fatalf("not bound: %+v", bound)
	}

	// The corrected list, as CSV from Excel on Chinese Windows (GBK): the steel works renamed
	// and given a new helper; a dry run shows the changes and writes nothing.
	csv := "企业名称,所属县（市、区）,统一社会信用代码,行业,企业属性,企业联系人,联系电话,各县（市、区）对口帮扶人,联系电话\r\n" +
		"山西示范钢铁集团有限公司,盐湖区,91140802MA0K123450,钢铁,民营企业,张三,13800000001,李四,13900000009\r\n" +
		"运城示范汽车零部件有限公司,运城开发区,,汽车零部件,外资企业,李四,13800000002,孙敏,13900000002\r\n" +
		"永济示范电机有限公司,永济市,91140881MA0GRX5T3E,电机制造,混合制企业,王五,13800000003,李红,13900000003\r\n"
	gbk, err := simplifiedchinese.GBK.NewEncoder().String(csv)
	if err != nil {
		t.Fatal(err)
	}
	csvFile := filepath.Join(dir, "名单2.csv")
	if err := os.WriteFile(csvFile, []byte(gbk), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err = runCmd(t, "import", csvFile, "--dry-run", "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	want = "试运行（--dry-run）：以下改动没有写入。\n名单2.csv：3 行企业数据\n新增 2，更新 1，未变 0，拒绝 0\n将更新：\n" +
		"第 2 行 山西示范钢铁有限公司（盐湖区）：企业名称 山西示范钢铁有限公司 → 山西示范钢铁集团有限公司；对口帮扶人 王建国 → 李四；帮扶人电话 13900000001 → 13900000009\n"
	if out != want {
		t.Errorf("dry run printed:\n%s\nwant:\n%s", out, want)
	}
	if got := enterprises(t, data); !reflect.DeepEqual(got, bound) {
		t.Fatalf("dry run changed the store:\n%+v\nwas\n%+v", got, bound)
	}

	out, err = runCmd(t, "import", csvFile, "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	if want := "名单2.csv：3 行企业数据\n新增 2，更新 1，未变 0，拒绝 0\n已全部导入。\n"; out != want {
		t.Errorf("import printed:\n%s\nwant:\n%s", out, want)
	}
	es = enterprises(t, data)
	if len(es) != 3 {
		t.Fatalf("%d enterprises, want 3", len(es))
	}
	for _, e := range es {
		if e.ID == steel.ID && (e.Name != "山西示范钢铁集团有限公司" || e.Helper != "李四" || e.LiaisonID != "wx-zhangsan") {
			t.Errorf("steel works after re-import: %+v", e)
		}
	}

	// Once more: nothing changes, nothing is duplicated.
	out, err = runCmd(t, "import", csvFile, "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	if want := "名单2.csv：3 行企业数据\n新增 0，更新 0，未变 3，拒绝 0\n名单与已有数据一致，没有需要写入的改动。\n"; out != want {
		t.Errorf("third import printed:\n%s\nwant:\n%s", out, want)
	}
	if n := len(enterprises(t, data)); n != 3 {
		t.Errorf("%d enterprises after the third import, want 3", n)
	}
}

func TestImportUnreadableFileChangesNothing(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	broken := filepath.Join(dir, "坏.xlsx")
	if err := os.WriteFile(broken, []byte("not a zip"), 0o600); err != nil {
		t.Fatal(err)
	}
	noHeader := filepath.Join(dir, "无表头.csv")
	if err := os.WriteFile(noHeader, []byte("a,b\n1,2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	xls := filepath.Join(dir, "名单.xls")
	txt := filepath.Join(dir, "README.txt")
	for _, f := range []string{xls, txt} {
		if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for file, want := range map[string]string{
		broken:                        "无法读取 " + broken + "：不是有效的 .xlsx 文件",
		noHeader:                      "无法读取 " + noHeader + "：找不到表头",
		filepath.Join(dir, "没有.xlsx"): "找不到文件 " + filepath.Join(dir, "没有.xlsx"),
		xls:                           "无法读取 " + xls + "：不支持 .xls 格式：请在 Excel 或 WPS 中“另存为” .xlsx（Excel 工作簿）或 .csv 后再导入",
		txt:                           "无法读取 " + txt + "：不认识的文件类型“.txt”",
	} {
		out, err := runCmd(t, "import", file, "--data", data)
		if err == nil || !strings.Contains(err.Error(), want) || !strings.Contains(err.Error(), "没有导入任何数据") {
			t.Errorf("%s: err = %v, want %q", file, err, want)
		}
		if out != "" {
			t.Errorf("%s: printed %q", file, out)
		}
	}
	if _, err := os.Stat(data); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("an unreadable file created %s: %v", data, err)
	}
	for _, args := range [][]string{{"import"}, {"import", "a.xlsx", "b.xlsx"}, {"import", "--bogus", "a.xlsx"}} {
		if _, err := runCmd(t, args...); !errors.Is(err, errUsage) {
			t.Errorf("%q: err = %v, want usage", args, err)
		}
	}
}

// TestImportBaseline: a list with the 2020 台账's three 有无 and a 新进规上 column stores each
// enterprise's baseline and flag, and the report counts them.
func TestImportBaseline(t *testing.T) {
	dir := t.TempDir()
	data := filepath.Join(dir, "data")
	file := filepath.Join(dir, "2020台账.xlsx")
	writeSheet(t, file, [][]any{
		{"序号", "企业名称", "所属县（市、区）", "有无研发机构", "有无研发活动", "有无创新活动", "新进规上"},
		{1, "甲钢铁有限公司", "盐湖区", "无", "无", "无", ""},
		{2, "乙电机有限公司", "永济市", "有", "无", "有", "是"},
		{3, "丙铝业有限公司", "河津市", "", "", "", ""},
	})
	out, err := runCmd(t, "import", file, "--data", data)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "新增 3，更新 0，未变 0，拒绝 0\n其中有原台账有无（基线）2 家，新进规上 1 家\n") {
		t.Errorf("report:\n%s", out)
	}
	got := map[string]string{}
	for _, e := range enterprises(t, data) {
		got[e.Name] = fmt.Sprintf("%+v %v", e.Baseline, e.NewlyAbove)
	}
	want := map[string]string{
		"甲钢铁有限公司": "&{HasInstitution:false HasRD:false HasInnovation:false} false",
		"乙电机有限公司": "&{HasInstitution:true HasRD:false HasInnovation:true} true",
		"丙铝业有限公司": "<nil> false",
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("stored %v, want %v", got, want)
	}
}
