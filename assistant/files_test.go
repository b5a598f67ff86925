package assistant_test

import (
	"bytes"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"innobot/assistant"
	"innobot/bot"
	"innobot/ledger"
	"innobot/storage"
	"innobot/survey"
	"innobot/survey/surveytest"
)

// file writes data into the test's folder and returns the message that sends it.
func (e *env) file(from, name string, data []byte) bot.Message {
	e.t.Helper()
	path := filepath.Join(e.t.TempDir(), name)
	if err := os.WriteFile(path, data, 0o600); err != nil {
		e.t.Fatal(err)
	}
	return bot.Message{From: from, Kind: bot.KindFile, File: &bot.File{Name: name, Path: path, Size: int64(len(data))}}
}

// surveyBook is innobot's 附件3 of a random complete survey of E1.
func surveyBook(t *testing.T, seed uint64) ([]byte, survey.Answers) {
	t.Helper()
	form := survey.Default()
	a := form.Visible(surveytest.Random(rand.New(rand.NewPCG(seed, 3)), form))
	var b bytes.Buffer
	e := storage.Enterprise{ID: "E1", Name: "山西某某钢铁有限公司", Region: "盐湖区"}
	if err := ledger.WriteSurvey(&b, form, e, storage.Submission{EnterpriseID: "E1", Period: "2026-10", Version: 1, Answers: a}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), a
}

// TestSurveyFileSubmits: a liaison sends their 附件3 back; it becomes the draft, never a
// submission by itself, and 确认提交 submits exactly its answers.
func TestSurveyFileSubmits(t *testing.T) {
	e := newEnv(t)
	e.bind("张三", "E1")
	data, want := surveyBook(t, 1)
	w := e.send(e.file("张三", "附件3.xlsx", data))
	if w.lacks("已读取《附件3.xlsx》") || w.lacks("全部答完了，请核对") {
		t.Fatalf("reply: %s", w)
	}
	st := e.state("张三", "E1")
	if st.DraftErr != "" || len(st.Submissions) != 0 {
		t.Fatalf("after the file: draft %q, %d submissions", st.DraftErr, len(st.Submissions))
	}
	surveytest.Check(t, st.Draft.Answers, want)
	if w := e.say("张三", "确认提交"); w.lacks("回执") || w.lacks("第 1 版") {
		t.Fatalf("submit: %s", w)
	}
	st = e.state("张三", "E1")
	if len(st.Submissions) != 1 {
		t.Fatalf("%d submissions", len(st.Submissions))
	}
	surveytest.Check(t, st.Submissions[0].Answers, want)
}

// TestBadFilesChangeNothing: every kind of file the bot cannot use gets its reply and leaves
// everything stored as it was, also in the middle of a survey.
func TestBadFilesChangeNothing(t *testing.T) {
	e := newEnv(t)
	e.bind("张三", "E1")
	e.advance("张三", 2)
	good, _ := surveyBook(t, 2)
	enc, err := excelize.OpenReader(bytes.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	var locked bytes.Buffer
	if err := enc.Write(&locked, excelize.Options{Password: "1234"}); err != nil {
		t.Fatal(err)
	}
	enc.Close()
	other := excelize.NewFile()
	if err := other.SetCellValue("Sheet1", "A1", "员工花名册"); err != nil {
		t.Fatal(err)
	}
	var otherBook bytes.Buffer
	if err := other.Write(&otherBook); err != nil {
		t.Fatal(err)
	}
	xls, err := os.ReadFile(filepath.Join("..", "ledger", "testdata", "old.xls"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		m    bot.Message
		want string
	}{
		{"pdf", e.file("张三", "说明.pdf", []byte("%PDF-1.4 …")), "《说明.pdf》：这个文件不是 Excel 工作簿"},
		{"password", e.file("张三", "附件3.xlsx", locked.Bytes()), "设了打开密码"},
		{"old xls", e.file("张三", "附件3.xls", xls), "另存为"},
		{"over 5 MB", e.file("张三", "附件3.xlsx", append(good, make([]byte, 5<<20)...)), "超过 5 MB"},
		{"another form", e.file("张三", "花名册.xlsx", otherBook.Bytes()), "这不是《企业创新活动开展情况调查表》"},
		{"not downloaded", bot.Message{From: "张三", Kind: bot.KindFile, File: &bot.File{Name: "附件3.xlsx", Size: 9 << 20}}, "没有收到"},
		{"unbound", e.file("王五", "附件3.xlsx", good), "请先绑定"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := e.state(tc.m.From, "E1")
			w := e.send(tc.m)
			if w.lacks(tc.want) || len(w.replies) != 1 {
				t.Errorf("reply %s, want one with %q", w, tc.want)
			}
			e.unchanged(before, tc.m.From, "E1")
		})
	}
}

// TestListFileImports: the city office sends the enterprise list; it is checked as
// `innobot import --dry-run` checks it, and written only on 确认导入.
func TestListFileImports(t *testing.T) {
	e := newEnv(t)
	e.svc.Regions = []string{"盐湖区", "永济市", "新绛县"}
	code, err := assistant.IssueInvite(t.Context(), e.store, e.svc.Key, storage.Invite{Role: storage.RoleCityOffice, CreatedBy: "test"}, e.clock.Now(), time.Hour, nil)
	if err != nil {
		t.Fatal(err)
	}
	if w := e.say("市办", "绑定 "+code); w.lacks("绑定成功") {
		t.Fatal(w)
	}
	csv := "企业名称,所属县（市、区）,行业,企业属性\n新绛示范化工有限公司,新绛县,化工,民营企业\n山西某某钢铁有限公司,盐湖区,钢铁,民营企业\n无名公司,火星,钢铁,\n"
	if w := e.say("市办", "确认导入"); w.lacks("没有等待导入的企业名单") {
		t.Fatalf("confirm without a list: %s", w)
	}
	if w := e.say("市办", "怎么导入企业名单"); w.lacks("请把名单文件（.xlsx 或 .csv）直接发给我") {
		t.Errorf("asking how to import: %s", w)
	}
	w := e.send(e.file("市办", "名单.csv", []byte(csv)))
	for _, want := range []string{"还没有导入", "新增 1，更新 1，未变 0，拒绝 1", "第 4 行：所属县（市、区）“火星”", "确认导入"} {
		if w.lacks(want) {
			t.Errorf("check reply lacks %q: %s", want, w)
		}
	}
	all, err := e.store.Enterprises(t.Context())
	if err != nil || len(all) != 2 {
		t.Fatalf("before 确认导入: %d enterprises, %v", len(all), err)
	}
	if w := e.say("市办", "导入名单"); w.lacks("已检查，还没有导入") || w.has("已导入") {
		t.Errorf("导入名单 with a list waiting: %s", w)
	}
	// 好的 is no go-ahead; a plain 确认 is, as the check reply's 确认无误 asks.
	if w := e.say("市办", "好的"); w.has("已导入") {
		t.Fatalf("好的 imported: %s", w)
	}
	if w := e.say("市办", "确认"); w.lacks("新增 1，更新 1") || w.lacks("其余 2 行已导入") {
		t.Fatalf("import: %s", w)
	}
	all, err = e.store.Enterprises(t.Context())
	if err != nil || len(all) != 3 {
		t.Fatalf("after 确认导入: %d enterprises, %v", len(all), err)
	}
	if w := e.say("市办", "确认导入"); w.lacks("没有等待导入") {
		t.Errorf("a second 确认导入 imported again: %s", w)
	}
	if w := e.say("市办", "确认"); w.lacks("没有识别“确认”") {
		t.Errorf("确认 with no list waiting: %s", w)
	}
	// A liaison's 确认导入 is no command: it is an answer to whatever they are asked.
	e.bind("张三", "E1")
	if w := e.say("张三", "确认导入"); w.has("企业名单") {
		t.Errorf("liaison got the import: %s", w)
	}
	log, err := e.store.AuditLog(t.Context(), time.Time{})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, a := range log {
		found = found || a.Action == "import" && strings.Contains(a.Detail, "新增 1")
	}
	if !found {
		t.Errorf("import not audited: %+v", log)
	}
}
