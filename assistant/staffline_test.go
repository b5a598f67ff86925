package assistant

import (
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"innobot/period"
)

var testRegions = []string{"盐湖区", "永济市", "河津市", "临猗县", "万荣县", "稷山县", "新绛县",
	"闻喜县", "绛县", "垣曲县", "夏县", "平陆县", "芮城县", "运城开发区"}

func testParser() *staffParser {
	s := &Service{Regions: testRegions}
	return newStaffParser(s.commandTable(), testRegions)
}

// TestParseStaffLine reads staff command lines as clerks type them. Each case gives the
// command, region, month and free text the line must name, or the words its problem reply
// must contain, or "" for a line that is no command at all.
func TestParseStaffLine(t *testing.T) {
	const current = "2026-11"
	p := testParser()
	for _, c := range []struct {
		in      string
		cmd     string // "" when the line is no command
		region  string
		month   string
		args    string
		city    bool
		problem string // a part of the reply to a command with words it cannot take
	}{
		// 进度, every way.
		{in: "进度", cmd: "进度"},
		{in: "进度？", cmd: "进度"},
		{in: "进度?", cmd: "进度"},
		{in: "  进度。", cmd: "进度"},
		{in: "查看进度", cmd: "进度"},
		{in: "看看进度", cmd: "进度"},
		{in: "查进度", cmd: "进度"},
		{in: "查询进度", cmd: "进度"},
		{in: "填报进度", cmd: "进度"},
		{in: "填报情况", cmd: "进度"},
		{in: "进度 盐湖区", cmd: "进度", region: "盐湖区"},
		{in: "进度盐湖区", cmd: "进度", region: "盐湖区"},
		{in: "盐湖区进度", cmd: "进度", region: "盐湖区"},
		{in: "盐湖区的进度", cmd: "进度", region: "盐湖区"},
		{in: "进度 盐湖", cmd: "进度", region: "盐湖区"},
		{in: "盐湖进度", cmd: "进度", region: "盐湖区"},
		{in: "进度 永济", cmd: "进度", region: "永济市"},
		{in: "进度 绛县", cmd: "进度", region: "绛县"},
		{in: "进度 新绛", cmd: "进度", region: "新绛县"},
		{in: "夏县进度", cmd: "进度", region: "夏县"},
		{in: "开发区进度", cmd: "进度", region: "运城开发区"},
		{in: "进度 运城开发区", cmd: "进度", region: "运城开发区"},
		{in: "进度 全市", cmd: "进度", city: true},
		{in: "全市进度", cmd: "进度", city: true},
		{in: "进度 运城", cmd: "进度", city: true},
		{in: "进度 2026年10月", cmd: "进度", month: "2026-10"},
		{in: "进度 2026-10", cmd: "进度", month: "2026-10"},
		{in: "进度 2026.10", cmd: "进度", month: "2026-10"},
		{in: "进度 202610", cmd: "进度", month: "2026-10"},
		{in: "进度 ２０２６年１０月", cmd: "进度", month: "2026-10"},
		{in: "10月进度", cmd: "进度", month: "2026-10"},
		{in: "进度 10月份", cmd: "进度", month: "2026-10"},
		{in: "12月进度", cmd: "进度", month: "2026-12", problem: "2026年12月还没有到报送的时候：当前报告期是2026年11月"},
		{in: "1月进度", cmd: "进度", month: "2026-01"},
		{in: "11月进度", cmd: "进度", month: "2026-11"},
		{in: "十月进度", cmd: "进度", month: "2026-10"},
		{in: "进度 十一月", cmd: "进度", month: "2026-11"},
		{in: "导出台账 十二月份", cmd: "导出 台账", month: "2026-12", problem: "还没有到报送的时候"},
		{in: "盐湖区九月进度", cmd: "进度", region: "盐湖区", month: "2026-09"},
		{in: "上月进度", cmd: "进度", month: "2026-10"},
		{in: "上个月的进度", cmd: "进度", month: "2026-10"},
		{in: "本月进度", cmd: "进度", month: "2026-11"},
		{in: "本期进度", cmd: "进度", month: "2026-11"},
		{in: "盐湖 2026年10月 进度", cmd: "进度", region: "盐湖区", month: "2026-10"},
		{in: "进度 2026年 10 月 永济市", cmd: "进度", region: "永济市", month: "2026-10"},
		// 未填报 and 销号.
		{in: "未填报", cmd: "未填报"},
		{in: "未填报企业", cmd: "未填报"},
		{in: "未填报的企业", cmd: "未填报"},
		{in: "未填报名单", cmd: "未填报"},
		{in: "没填报的", cmd: "未填报"},
		{in: "谁还没填", cmd: "未填报"},
		{in: "本月进度怎么样", cmd: "进度", month: "2026-11"},
		{in: "填报进度怎么样了？", cmd: "进度"},
		{in: "进度如何", cmd: "进度"},
		{in: "现在多少家填了", cmd: "进度"},
		{in: "填了几家", cmd: "进度"},
		{in: "把台账发我一下", cmd: "导出 台账"},
		{in: "帮我导一下台账", cmd: "导出 台账"},
		{in: "发个进度图", cmd: "进度图"},
		{in: "提醒他们填报", cmd: "提醒 未填报"},
		{in: "销号了几家", cmd: "销号"},
		{in: "有几家销号", cmd: "销号"},
		{in: "查询 甲钢铁填了没有", cmd: "查询", args: "甲钢铁"},
		{in: "查一下甲钢铁的情况", cmd: "查询", args: "甲钢铁"},
		{in: "还有谁没报？", cmd: "未填报"},
		{in: "盐湖区还有哪些企业没交", cmd: "未填报", region: "盐湖区"},
		{in: "谁没填", cmd: "未填报"},
		{in: "哪些企业没填报", cmd: "未填报"},
		{in: "还没填的企业有哪些", cmd: "未填报"},
		{in: "未提交名单", cmd: "未填报"},
		{in: "未填报 永济", cmd: "未填报", region: "永济市"},
		{in: "永济市未填报企业", cmd: "未填报", region: "永济市"},
		{in: "未填报 上月", cmd: "未填报", month: "2026-10"},
		{in: "销号", cmd: "销号"},
		{in: "销号名单", cmd: "销号"},
		{in: "查看销号", cmd: "销号"},
		{in: "销号 河津 2026年9月", cmd: "销号", region: "河津市", month: "2026-09"},
		// 导出 台账 and 导出 月报, any order.
		{in: "导出台账", cmd: "导出 台账"},
		{in: "导出 台账", cmd: "导出 台账"},
		{in: "台账", cmd: "导出 台账"},
		{in: "台帐", cmd: "导出 台账"},
		{in: "导出附件2", cmd: "导出 台账"},
		{in: "导出 附件二", cmd: "导出 台账"},
		{in: "导出汇总表", cmd: "导出 台账"},
		{in: "下载台账", cmd: "导出 台账"},
		{in: "台账导出", cmd: "导出 台账"},
		{in: "给我发一下台账", cmd: "导出 台账"},
		{in: "导出 台账 盐湖区 2026年11月", cmd: "导出 台账", region: "盐湖区", month: "2026-11"},
		{in: "导出 台账 2026年11月 盐湖区", cmd: "导出 台账", region: "盐湖区", month: "2026-11"},
		{in: "2026年11月 盐湖区 导出台账", cmd: "导出 台账", region: "盐湖区", month: "2026-11"},
		{in: "盐湖区台账", cmd: "导出 台账", region: "盐湖区"},
		{in: "导出台账2026-11", cmd: "导出 台账", month: "2026-11"},
		{in: "导出 台账 2026-11", cmd: "导出 台账", month: "2026-11"},
		{in: "导出月报", cmd: "导出 月报"},
		{in: "月报", cmd: "导出 月报"},
		{in: "导出 月报 2026年11月", cmd: "导出 月报", month: "2026-11"},
		{in: "导出月报 2026-10", cmd: "导出 月报", month: "2026-10"},
		{in: "11月月报", cmd: "导出 月报", month: "2026-11"},
		{in: "上月月报", cmd: "导出 月报", month: "2026-10"},
		{in: "月报 永济", cmd: "导出 月报", region: "永济市"},
		// Commands with free text: a company, a note, a name.
		{in: "导出 调查表 甲钢铁", cmd: "导出 调查表", args: "甲钢铁"},
		{in: "导出调查表甲钢铁", cmd: "导出 调查表", args: "甲钢铁"},
		{in: "调查表 甲钢铁", cmd: "导出 调查表", args: "甲钢铁"},
		{in: "导出 调查表 甲钢铁 2026年10月", cmd: "导出 调查表", args: "甲钢铁", month: "2026-10"},
		{in: "调查表 甲钢铁 上月", cmd: "导出 调查表", args: "甲钢铁", month: "2026-10"},
		{in: "调查表 甲钢铁的 上月的", cmd: "导出 调查表", args: "甲钢铁", month: "2026-10"},
		{in: "导出调查表 十月 甲钢铁", cmd: "导出 调查表", args: "甲钢铁", month: "2026-10"},
		{in: "导出 调查表 甲钢铁 2026年12月", cmd: "导出 调查表", args: "甲钢铁", month: "2026-12", problem: "还没有到报送的时候"},
		{in: "导出 调查表 甲钢铁 10月 9月", cmd: "导出 调查表", args: "甲钢铁", month: "2026-10", problem: "一次只能写一个月份"},
		{in: "导出附件3 甲钢铁", cmd: "导出 调查表", args: "甲钢铁"},
		{in: "查询 钢铁", cmd: "查询", args: "钢铁"},
		{in: "查询钢铁", cmd: "查询", args: "钢铁"},
		{in: "查 钢铁", cmd: "查询", args: "钢铁"},
		{in: "查看 盐湖钢铁", cmd: "查询", args: "盐湖钢铁"},
		{in: "邀请码 甲钢铁", cmd: "邀请码", args: "甲钢铁"},
		{in: "生成邀请码 甲钢铁", cmd: "邀请码", args: "甲钢铁"},
		{in: "邀请码", cmd: "邀请码"},
		{in: "月报 进展 本月走访企业 15 家", cmd: "月报 进展", args: "本月走访企业 15 家"},
		{in: "月报进展：组织培训2次", cmd: "月报 进展", args: "组织培训2次"},
		{in: "月报 问题 部分企业=无人", cmd: "月报 问题", args: "部分企业=无人"},
		{in: "存在问题 人手不足", cmd: "月报 问题", args: "人手不足"},
		{in: "本月工作进展：走访企业8家", cmd: "月报 进展", args: "走访企业8家"},
		{in: "本期存在问题：人手不足", cmd: "月报 问题", args: "人手不足"},
		{in: "填表人 王芳 13912345678", cmd: "填表人", args: "王芳 13912345678"},
		{in: "绑定本群 盐湖", cmd: "绑定本群", region: "盐湖区", args: "盐湖"},
		{in: "绑定本群 夏县", cmd: "绑定本群", region: "夏县", args: "夏县"},
		{in: "绑定本群 太原", cmd: "绑定本群", args: "太原", problem: "没有“太原”这个地区"},
		{in: "确认导入", cmd: "确认导入"},
		// 提醒 未填报, 帮助, 解绑.
		{in: "提醒 未填报", cmd: "提醒 未填报"},
		{in: "提醒未填报", cmd: "提醒 未填报"},
		{in: "提醒未填报企业", cmd: "提醒 未填报"},
		{in: "提醒", cmd: "提醒 未填报"},
		{in: "催报", cmd: "提醒 未填报"},
		{in: "一键提醒", cmd: "提醒 未填报"},
		{in: "提醒 永济", cmd: "提醒 未填报", region: "永济市"},
		{in: "帮助", cmd: "帮助"},
		{in: "？", cmd: "帮助"},
		{in: "菜单", cmd: "帮助"},
		{in: "怎么用", cmd: "帮助"},
		{in: "解绑", cmd: "解绑"},
		// Commands with words they cannot take: named, with the reason.
		{in: "进度 2026年12月", cmd: "进度", month: "2026-12", problem: "2026年12月还没有到报送的时候：当前报告期是2026年11月"},
		{in: "导出 台账 2027年1月", cmd: "导出 台账", month: "2027-01", problem: "还没有到报送的时候"},
		{in: "导出 月报 下月", cmd: "导出 月报", month: "2026-12", problem: "2026年12月还没有到报送的时候"},
		{in: "下个月进度", cmd: "进度", month: "2026-12", problem: "还没有到报送的时候"},
		{in: "看下月报", cmd: "导出 月报"},
		{in: "导出 月报 2026-13", cmd: "导出 月报", problem: "“2026-13”不是有效的月份"},
		{in: "进度 13月", cmd: "进度", problem: "“13月”不是有效的月份"},
		{in: "进度 2026年10月 2026年9月", cmd: "进度", month: "2026-10", problem: "一次只能写一个月份"},
		{in: "进度 盐湖 永济", cmd: "进度", region: "", problem: "一次只能写一个地区"},
		{in: "进度 盐糊区", cmd: "进度", problem: "没有看懂“盐糊区”"},
		{in: "进度 5", cmd: "进度", problem: "没有看懂“5”"},
		{in: "导出 月报 十三月", cmd: "导出 月报", problem: "没有看懂“十三月”"},
		{in: "提醒 未填报 2026年10月", cmd: "提醒 未填报", month: "2026-10", problem: "只针对本期（2026年11月），不用写月份"},
		{in: "解绑 盐湖区", cmd: "解绑", region: "盐湖区", problem: "“解绑”不用写地区"},
		{in: "帮助 10月", cmd: "帮助", month: "2026-10", problem: "不用写月份"},
		// No command: the survey, the welcome or the staff's "not understood" take these.
		{in: "无"}, {in: "没有"}, {in: "盐湖区"}, {in: "2026年11月"}, {in: "钢铁·特殊钢冶炼"},
		{in: "进读"}, {in: "导出"}, {in: "你好"},
		{in: "12万"}, {in: "3、11"}, {in: "确认提交"}, {in: "修改 3"}, {in: "填报"}, {in: ""},
		{in: "新增研发投入 30 万元"},
		// Known words among unknown ones: a command with a problem. A liaison's answer like
		// these goes to the survey all the same: liaisons may not use staff commands.
		{in: "台账管理系统升级改造", cmd: "导出 台账", problem: "没有看懂“管理系统升级改造”"},
		{in: "研发费用台账", cmd: "导出 台账", problem: "没有看懂“研发费用”"},
		{in: "提醒我明天填", cmd: "提醒 未填报", problem: "没有看懂“我明天填”"},
		{in: "进度条", cmd: "进度", problem: "没有看懂“条”"},
		{in: "到处台账", cmd: "导出 台账", problem: "没有看懂“到处”。您是不是想发送“导出 台账”？"},
	} {
		line, ok := p.parse(c.in, current)
		if c.cmd == "" {
			if ok {
				t.Errorf("%q: read as %q, want no command", c.in, line.cmd.name)
			}
			continue
		}
		if !ok {
			t.Errorf("%q: no command, want %q", c.in, c.cmd)
			continue
		}
		if line.cmd.name != c.cmd || line.region != c.region || line.month != c.month || line.args != c.args || line.city != c.city {
			t.Errorf("%q: read as %q region %q month %q args %q city %v; want %q %q %q %q %v", c.in,
				line.cmd.name, line.region, line.month, line.args, line.city, c.cmd, c.region, c.month, c.args, c.city)
		}
		switch {
		case c.problem == "" && line.problem != "":
			t.Errorf("%q: problem %q, want none", c.in, line.problem)
		case !strings.Contains(line.problem, c.problem):
			t.Errorf("%q: problem %q, want it to say %q", c.in, line.problem, c.problem)
		}
	}
}

// TestSuggest: a line that is no command names the closest command, or nothing.
func TestSuggest(t *testing.T) {
	p := testParser()
	for in, want := range map[string]string{
		"进读":      "进度",
		"近度":      "进度",
		"未天报":     "未填报",
		"导出太账":    "导出 台账",
		"到处台账":    "导出 台账",
		"盐湖区近度":   "进度 盐湖区",
		"销好":      "销号",
		"帮主":      "帮助",
		"盐湖区":     "进度 盐湖区",
		"永济":      "进度 永济市",
		"导出":      "导出 台账”或“导出 月报",
		"导出excel": "导出 台账”或“导出 月报",
		"你好":      "",
		"今天天气怎么样": "",
		"":        "",
	} {
		if got := p.suggest(in); got != want {
			t.Errorf("suggest(%q) = %q, want %q", in, got, want)
		}
	}
}

// TestParseDetails reads the 填表人 and 联系方式 a clerk gives, however written.
func TestParseDetails(t *testing.T) {
	for _, c := range []struct{ in, name, phone, problem string }{
		{"王芳 13912345678", "王芳", "13912345678", ""},
		{"王芳，13912345678", "王芳", "13912345678", ""},
		{"13912345678 王芳", "王芳", "13912345678", ""},
		{"王芳 139 1234 5678", "王芳", "13912345678", ""},
		{"王芳 139-1234-5678", "王芳", "13912345678", ""},
		{"姓名：王芳 电话：0359-2688888", "王芳", "0359-2688888", ""},
		{"填表人 王 芳 03592688888", "王芳", "03592688888", ""},
		{"王芳 １３９１２３４５６７８", "王芳", "13912345678", ""},
		{"我叫李明，手机13511112222", "李明", "13511112222", ""},
		{"我是王芳 13912345678", "王芳", "13912345678", ""},
		{"改成 张丽 0359-2021234", "张丽", "0359-2021234", ""},
		{"修改为张丽，电话0359-2021234", "张丽", "0359-2021234", ""},
		{"王芳", "", "", "没有找到电话号码"},
		{"13912345678", "", "", "没有找到姓名"},
		{"王芳 12345678901", "", "", "电话号码“12345678901”不对"},
		{"王芳 1391234567", "", "", "不对"},
		{"进度 2026年11月", "", "", "没有找到电话号码"},
		{"一个很长很长很长的名字也不像人名 13912345678", "", "", "看起来不对"},
	} {
		name, phone, problem := parseDetails(c.in)
		if name != c.name || phone != c.phone || !strings.Contains(problem, c.problem) || (c.problem == "") != (problem == "") {
			t.Errorf("parseDetails(%q) = %q %q %q; want %q %q %q", c.in, name, phone, problem, c.name, c.phone, c.problem)
		}
	}
}

// FuzzParseStaffLine: any line reads without panic, as a command of the table or none; a
// region read is configured, a month read is a period, and a month after the current one
// always comes with a problem.
func FuzzParseStaffLine(f *testing.F) {
	for _, s := range []string{"进度", "导出 台账 盐湖区 2026年11月", "盐湖区进度", "进度？", "月报 进展 =1+1",
		"查询 钢铁", "12月进度", "进度 2026-13", "\xff\xfe", "提醒未填报企业", "导出台账202611", "绑定本群 盐湖"} {
		f.Add(s)
	}
	p := testParser()
	f.Fuzz(func(t *testing.T, in string) {
		line, ok := p.parse(in, "2026-11")
		if !ok {
			return
		}
		if line.cmd == nil {
			t.Fatalf("%q: ok without a command", in)
		}
		if line.region != "" && !slices.Contains(testRegions, line.region) {
			t.Fatalf("%q: region %q is not configured", in, line.region)
		}
		if line.month != "" {
			if _, err := period.Parse(line.month); err != nil {
				t.Fatalf("%q: month %q is no period", in, line.month)
			}
			if line.month > "2026-11" && line.problem == "" {
				t.Fatalf("%q: future month %q without a problem", in, line.month)
			}
		}
		if !utf8.ValidString(line.problem) {
			t.Fatalf("%q: problem not UTF-8", in)
		}
		p.suggest(in)
	})
}

// FuzzParseDetails: any reply reads without panic as a name and a phone number or a problem
// to tell the clerk, never both or neither; a name read is short and has no digit, a phone is
// a mobile or a landline with its area code.
func FuzzParseDetails(f *testing.F) {
	for _, s := range []string{"王芳 13912345678", "姓名：王芳 电话：0359-2688888", "13912345678", "王芳",
		"王芳 139 1234 5678", "\xff\xfe 13912345678", "王芳 1391234567 0359-2688888", "填表人 王 芳 03592688888"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		name, phone, problem := parseDetails(in)
		switch {
		case (problem == "") == (name == "" || phone == ""):
			t.Fatalf("%q: name %q, phone %q, problem %q", in, name, phone, problem)
		case problem != "":
			if !utf8.ValidString(problem) {
				t.Fatalf("%q: problem not UTF-8", in)
			}
		case utf8.RuneCountInString(name) > 12 || strings.ContainsFunc(name, unicode.IsDigit):
			t.Fatalf("%q: name %q", in, name)
		case !mobilePattern.MatchString(phone) && !landlinePattern.MatchString(phone):
			t.Fatalf("%q: phone %q", in, phone)
		}
	})
}
