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
		"\n盐湖区 5/6 83%\n", "\n永济市 2/4 50%\n", "\n河津市 0/3 0%\n", "\n夏县 0/0 —\n", "\n外地 1/1 100%\n",
		"\n合计 8/14 57%\n",
		"【已开展创新活动】", "\n盐湖区 5/6 83%\n", "\n永济市 1/4 25%\n", "\n合计 8/14 57%\n",
		"未开展 6 家；本期销号 4 家；未填报 6 家",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("progress lacks %q:\n%s", want, got)
		}
	}
	// One line per region and no line a phone has to wrap.
	for _, line := range strings.Split(got, "\n") {
		if n := len([]rune(line)); n > 30 {
			t.Errorf("line too long for a phone (%d runes): %q", n, line)
		}
	}
}

func TestFormatProgressOneRegion(t *testing.T) {
	got := FormatProgress(report(t, Region("永济市")))
	want := "【永济市 2026年11月进度】\n规上企业 4 家\n已开展创新活动 1 家（25%），未开展 3 家\n本期已填报 2 家（50%），未填报 2 家\n本期销号 0 家"
	if got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}

func TestFormatLagging(t *testing.T) {
	r := report(t, City())
	private := FormatLagging(r, TextOptions{WithPhones: true})
	group := FormatLagging(r, TextOptions{})
	for _, want := range []string{
		"【运城市 2026年11月未填报企业 6 家】",
		"\n1. [盐湖区]盐湖十一号公司（从未填报）｜无联络人｜帮扶人 帮扶E11 1390000E11",
		"\n2. [永济市]永济四号公司（上次 2026-10）｜无联络人｜帮扶人 帮扶E04 1390000E04",
		"\n3. [永济市]永济六号公司（从未填报）｜联络人 赵六｜帮扶人 帮扶E06",
		"\n4. [河津市]河津七号公司（从未填报）｜企业联系人 钱七（未绑定） 13800000007｜",
		"\n5. [河津市]河津八号公司（上次 2026-09）｜联络人 孙八 13800000008｜",
		"\n6. [河津市]河津九号公司（从未填报）｜企业联系人 李九（未绑定） 13800000009｜",
	} {
		if !strings.Contains(private, want) {
			t.Errorf("private list lacks %q:\n%s", want, private)
		}
	}
	if strings.Contains(group, "138") || strings.Contains(group, "139") {
		t.Errorf("group list shows phone numbers:\n%s", group)
	}
	if !strings.Contains(group, "\n5. [河津市]河津八号公司（上次 2026-09）｜联络人 孙八｜帮扶人 帮扶E08") {
		t.Errorf("group list:\n%s", group)
	}
	short := FormatLagging(r, TextOptions{Limit: 2})
	if strings.Contains(short, "\n3. ") || !strings.HasSuffix(short, "\n……另有 4 家；完整名单请县（市、区）或市办工作人员私聊我发送“导出 月报”") {
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
	want := "【运城市 2026年11月销号企业 4 家】\n1. [盐湖区]盐湖一号公司（有研发机构）\n2. [盐湖区]盐湖二号公司（有研发活动）\n" +
		"3. [盐湖区]盐湖十二号公司（有创新活动）\n4. [外地]外地十号公司（有创新活动）"
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
