package ledger

import (
	"context"
	"strings"
	"testing"
)

func report(t *testing.T, scope Scope) Report {
	t.Helper()
	r, err := Progress(context.Background(), scenario(), scope, "2026-11", regions)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestFormatProgressTable(t *testing.T) {
	got := FormatProgress(report(t, City()))
	for _, want := range []string{
		"【运城市 2026年11月填报进度】",
		"\n盐湖区 6/7 86%\n", "\n永济市 2/6 33%\n", "\n河津市 1/5 20%\n", "\n夏县 0/0 —\n", "\n外地 1/1 100%\n",
		"\n合计 11/20 55%\n",
		"【已开展创新活动】", "\n盐湖区 6/7 86%\n", "\n永济市 2/6 33%\n", "\n合计 12/20 60%\n",
		"未开展 8 家（含从未填报 5 家）；本期销号 3 家（另有首次填报 3 家，无可比记录，不计销号）；未填报 9 家；规上企业中新进规上 1 家",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("progress lacks %q:\n%s", want, got)
		}
	}
	// One line per region and no line a phone has to wrap, but for the closing sentence.
	lines := strings.Split(got, "\n")
	for _, line := range lines[:len(lines)-1] {
		if n := len([]rune(line)); n > 30 {
			t.Errorf("line too long for a phone (%d runes): %q", n, line)
		}
	}
}

func TestFormatProgressOneRegion(t *testing.T) {
	got := FormatProgress(report(t, Region("永济市")))
	want := "【永济市 2026年11月进度】\n规上企业 6 家（含新进规上 1 家）\n已开展创新活动 2 家（33%），未开展 4 家（含从未填报 2 家）\n" +
		"本期已填报 2 家（33%），未填报 4 家\n本期销号 0 家（另有首次填报 1 家，无可比记录，不计销号）"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestFormatLagging(t *testing.T) {
	r := report(t, City())
	private := FormatLagging(r, TextOptions{WithPhones: true})
	group := FormatLagging(r, TextOptions{})
	for _, want := range []string{
		"【运城市 2026年11月未填报企业 9 家】",
		"\n1. [盐湖区]盐湖十一号公司（从未填报）｜未绑定联络人｜帮扶人 帮扶E11 1390000E11",
		"\n2. [永济市]永济四号公司（上次 2026年10月）｜未绑定联络人｜帮扶人 帮扶E04 1390000E04",
		"\n3. [永济市]永济六号公司（从未填报）｜联络人 赵六｜帮扶人 帮扶E06",
		"\n6. [河津市]河津七号公司（从未填报）｜未绑定联络人（企业联系人 钱七 13800000007）｜",
		"\n7. [河津市]河津八号公司（上次 2026年9月）｜联络人 孙八 13800000008｜",
		"\n8. [河津市]河津九号公司（从未填报）｜未绑定联络人（企业联系人 李九 13800000009）｜",
	} {
		if !strings.Contains(private, want) {
			t.Errorf("private list lacks %q:\n%s", want, private)
		}
	}
	if strings.Contains(group, "138") || strings.Contains(group, "139") {
		t.Errorf("group list shows phone numbers:\n%s", group)
	}
	if !strings.Contains(group, "\n7. [河津市]河津八号公司（上次 2026年9月）｜联络人 孙八｜帮扶人 帮扶E08") ||
		!strings.Contains(group, "\n6. [河津市]河津七号公司（从未填报）｜未绑定联络人（企业联系人 钱七）｜") {
		t.Errorf("group list:\n%s", group)
	}
	short := FormatLagging(r, TextOptions{Limit: 2})
	if strings.Contains(short, "\n3. ") || !strings.HasSuffix(short, "\n……另有 7 家；完整名单请县（市、区）或市办工作人员私聊我发送“导出 月报”") {
		t.Errorf("limited list:\n%s", short)
	}
	one := FormatLagging(report(t, Region("永济市")), TextOptions{})
	if strings.Contains(one, "[永济市]") {
		t.Errorf("a one-region list repeats the region:\n%s", one)
	}
	done := FormatLagging(report(t, Helper("E02")), TextOptions{})
	if done != "【盐湖区 2026年11月未填报企业 0 家】\n本期企业已全部填报。" {
		t.Errorf("empty list: %q", done)
	}
}

func TestFormatTickedOff(t *testing.T) {
	got := FormatTickedOff(report(t, City()), TextOptions{})
	want := "【运城市 2026年11月销号企业 3 家】\n1. [盐湖区]盐湖二号公司（有研发活动）\n2. [盐湖区]盐湖十二号公司（有创新活动）\n" +
		"3. [盐湖区]盐湖十五号公司（有研发机构）\n另有首次填报 3 家：此前没有填报也没有原台账可比，不计销号（名单见“导出 月报”）。"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestPct(t *testing.T) {
	for _, c := range []struct {
		n, d int
		want string
	}{{12, 30, "40%"}, {199, 200, "99%"}, {200, 200, "100%"}, {1, 300, "1%"}, {0, 5, "0%"}, {0, 0, "—"}, {2, 3, "67%"}} {
		if got := pct(c.n, c.d); got != c.want {
			t.Errorf("pct(%d, %d) = %s, want %s", c.n, c.d, got, c.want)
		}
	}
}
