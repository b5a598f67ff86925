package ledger

import (
	"fmt"
	"innobot/period"
	"math"
	"strings"
)

// TextOptions shape the chat renderings. The zero value suits a group chat: no phone numbers,
// every line.
type TextOptions struct {
	// WithPhones prints phone numbers. Only private chats with office staff may set it: the
	// numbers of liaisons and helpers must not land in a group.
	WithPhones bool
	// Limit caps the numbered lines of a list (0: all), because a chat message has a length
	// limit; the rest is counted in a closing line.
	Limit int
}

// FormatProgress renders the progress table for a phone screen: one short line per region
// (盐湖区 12/30 40%), first for this period's reports, then for innovation activity. A report
// of a single region reads as a few sentences instead.
func FormatProgress(r Report) string {
	var b strings.Builder
	t := r.Total
	if len(r.Rows) <= 1 {
		fmt.Fprintf(&b, "【%s %s进度】\n", r.Area, period.Label(r.Period))
		fmt.Fprintf(&b, "规上企业 %d 家%s\n", t.Enterprises, newlyAbove(t))
		fmt.Fprintf(&b, "已开展创新活动 %d 家（%s），未开展 %d 家%s\n", t.Active, pct(t.Active, t.Enterprises), t.Inactive, unknown(t))
		fmt.Fprintf(&b, "本期已填报 %d 家（%s），未填报 %d 家\n", t.Submitted, pct(t.Submitted, t.Enterprises), t.NotSubmitted)
		fmt.Fprintf(&b, "本期销号 %d 家%s", t.TickedOff, firstReports(t))
		return b.String()
	}
	fmt.Fprintf(&b, "【%s %s填报进度】\n已填报/企业数 填报率\n", r.Area, period.Label(r.Period))
	for _, row := range r.Rows {
		fmt.Fprintf(&b, "%s %d/%d %s\n", row.Region, row.Submitted, row.Enterprises, pct(row.Submitted, row.Enterprises))
	}
	fmt.Fprintf(&b, "合计 %d/%d %s\n\n", t.Submitted, t.Enterprises, pct(t.Submitted, t.Enterprises))
	b.WriteString("【已开展创新活动】\n已开展/企业数 占比\n")
	for _, row := range r.Rows {
		fmt.Fprintf(&b, "%s %d/%d %s\n", row.Region, row.Active, row.Enterprises, pct(row.Active, row.Enterprises))
	}
	fmt.Fprintf(&b, "合计 %d/%d %s\n\n", t.Active, t.Enterprises, pct(t.Active, t.Enterprises))
	fmt.Fprintf(&b, "未开展 %d 家%s；本期销号 %d 家%s；未填报 %d 家", t.Inactive, unknown(t), t.TickedOff, firstReports(t), t.NotSubmitted)
	if t.NewlyAbove > 0 {
		fmt.Fprintf(&b, "；规上企业中新进规上 %d 家", t.NewlyAbove)
	}
	return b.String()
}

func newlyAbove(t Row) string {
	if t.NewlyAbove == 0 {
		return ""
	}
	return fmt.Sprintf("（含新进规上 %d 家）", t.NewlyAbove)
}

func unknown(t Row) string {
	if t.Unknown == 0 {
		return ""
	}
	return fmt.Sprintf("（含从未填报 %d 家）", t.Unknown)
}

func firstReports(t Row) string {
	if t.FirstReport == 0 {
		return ""
	}
	return fmt.Sprintf("（另有首次填报 %d 家，无可比记录，不计销号）", t.FirstReport)
}

// FormatLagging renders the 未填报 list as numbered lines: the enterprise, when it last
// reported, its liaison and its helper, so that whoever reads it can pick up the phone.
func FormatLagging(r Report, o TextOptions) string {
	return numbered(r, "未填报企业", r.Lagging, "本期企业已全部填报。", o.Limit, func(b *strings.Builder, en Entry) {
		e := &en.Enterprise
		if en.Head == nil {
			b.WriteString("（从未填报）")
		} else {
			fmt.Fprintf(b, "（上次 %s）", period.Label(en.Head.Period))
		}
		b.WriteString("｜")
		b.WriteString(LiaisonText(en, o.WithPhones))
		b.WriteString("｜")
		if e.Helper == "" {
			b.WriteString("帮扶人未指定")
		} else {
			b.WriteString("帮扶人 " + e.Helper)
			if o.WithPhones && e.HelperTel != "" {
				b.WriteString(" " + e.HelperTel)
			}
		}
	})
}

// numbered is the frame both chat lists share: a title with the count, the empty text, and
// numbered lines cut at limit (0: none) with a count of the rest. Each line starts with the
// enterprise, prefixed by its region when the report spans several; detail writes the rest.
func numbered(r Report, what string, list []Entry, empty string, limit int, detail func(*strings.Builder, Entry)) string {
	var b strings.Builder
	fmt.Fprintf(&b, "【%s %s%s %d 家】", r.Area, period.Label(r.Period), what, len(list))
	if len(list) == 0 {
		b.WriteString("\n" + empty)
		return b.String()
	}
	multi := len(r.Rows) > 1
	for i, en := range list {
		if limit > 0 && i == limit {
			fmt.Fprintf(&b, "\n……另有 %d 家；完整名单请县（市、区）或市办工作人员私聊我发送“导出 月报”", len(list)-i)
			break
		}
		fmt.Fprintf(&b, "\n%d. ", i+1)
		if multi && en.Enterprise.Region != "" {
			fmt.Fprintf(&b, "[%s]", en.Enterprise.Region)
		}
		b.WriteString(en.Enterprise.Name)
		detail(&b, en)
	}
	return b.String()
}

// LiaisonText says who to call about an enterprise's survey: the bound liaison, or
// 未绑定联络人 with the contact of the enterprise list; phone numbers only when phones is set
// (never in a group).
func LiaisonText(en Entry, phones bool) string {
	e := &en.Enterprise
	if !en.LiaisonBound {
		if en.Liaison == "" {
			return NotBound
		}
		s := NotBound + "（企业联系人 " + en.Liaison
		if phones && en.LiaisonTel != "" {
			s += " " + en.LiaisonTel
		}
		return s + "）"
	}
	s := "联络人已绑定"
	if en.Liaison != "" {
		s = "联络人 " + en.Liaison
	}
	if phones {
		switch {
		case en.LiaisonTel != "":
			s += " " + en.LiaisonTel
		case e.ContactTel != "":
			// The bound liaison's own number is unknown; the office's listing still helps.
			name := e.ContactName
			if name == "" {
				name = "企业"
			}
			s += "（" + name + " " + e.ContactTel + "）"
		}
	}
	return s
}

// FormatTickedOff renders the 销号 list: enterprises that started innovation activity this
// period, with what they started.
func FormatTickedOff(r Report, o TextOptions) string {
	out := numbered(r, "销号企业", r.TickedOff, "本期没有新增开展创新活动的企业。", o.Limit, func(b *strings.Builder, en Entry) {
		if en.Head != nil {
			f := en.Head.Facts
			b.WriteString("（" + strings.Join(activities(f.HasInstitution, f.HasRD, f.HasInnovation), "、") + "）")
		}
	})
	if n := len(r.FirstReports); n > 0 {
		out += fmt.Sprintf("\n另有首次填报 %d 家：此前没有填报也没有原台账可比，不计销号（名单见“导出 月报”）。", n)
	}
	return out
}

func activities(inst, rd, inno bool) []string {
	var out []string
	if inst {
		out = append(out, "有研发机构")
	}
	if rd {
		out = append(out, "有研发活动")
	}
	if inno {
		out = append(out, "有创新活动")
	}
	return out
}

// pct prints a share as a whole percent that never overstates: 199 of 200 is 99%, not 100%,
// and 1 of 300 is 1%, not 0%.
func pct(n, d int) string {
	if d == 0 {
		return "—"
	}
	p := int(math.Round(float64(n) * 100 / float64(d)))
	if p == 100 && n < d {
		p = 99
	}
	if p == 0 && n > 0 {
		p = 1
	}
	return fmt.Sprintf("%d%%", p)
}
