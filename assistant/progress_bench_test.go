package assistant_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"innobot/assistant"
	"innobot/bot"
	"innobot/invite/invitetest"
	"innobot/storage"
	"innobot/storage/bolt"
	"innobot/survey"
)

// BenchmarkProgress measures `进度` of the city office as a clerk waits for it: through the
// router and the service on bbolt (the read of the sender, the ledger over every enterprise,
// the audit entry, the answer stored with its reply), over a database as the campaign leaves
// it: every enterprise's liaison bound, half reported this month, a quarter last month, a
// third with a draft under way. It reports the 99th percentile of the time from delivery to
// the stored answer (p99-ms), after the warm-up innobot run does at start (Service.Warm).
// Floors: under 50 ms at 10,000 enterprises, under 250 ms at 50,000. after-write-ms is one
// 进度 right after a write to the enterprise list (a binding, an import), which makes the
// store decode its lists again.
//
//	go test -run '^$' -bench Progress -benchtime 200x ./assistant
func BenchmarkProgress(b *testing.B) {
	for _, n := range []int{10_000, 50_000} {
		b.Run(fmt.Sprintf("enterprises=%d", n), func(b *testing.B) {
			store, err := bolt.Open(b.TempDir() + "/innobot.db")
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { store.Close() })
			if err := store.Import(context.Background(), campaignDump(n)); err != nil {
				b.Fatal(err)
			}
			clock := bot.ClockFunc(func() time.Time { return benchStart })
			svc := &assistant.Service{
				Store: store, Form: survey.Default(), Clock: clock, Location: benchStart.Location(), Key: invitetest.Key(b),
				Regions: benchRegions, BotName: "创新助手", ExportDir: b.TempDir(), Log: slog.New(slog.DiscardHandler),
			}
			router := &bot.Router{Handler: svc.Handler(), Store: store, Clock: clock, Log: slog.New(slog.DiscardHandler)}
			ask := func(i int) time.Duration {
				t0 := time.Now()
				<-router.Deliver(context.Background(), bot.Message{ID: fmt.Sprint("progress-", i), From: "city", FromName: "市办", Kind: bot.KindText, Text: "进度"})
				return time.Since(t0)
			}
			if err := svc.Warm(context.Background()); err != nil { // as innobot run does at start
				b.Fatal(err)
			}
			var took []time.Duration
			for i := 0; b.Loop(); i++ {
				took = append(took, ask(i))
			}
			b.StopTimer()
			pending, err := store.Pending(context.Background(), "", 1)
			if err != nil || len(pending) != 1 || !strings.Contains(pending[0].Text, "填报进度") || !strings.Contains(pending[0].Text, fmt.Sprintf("未填报 %d 家", n/2)) {
				b.Fatalf("the first answer: %+v, %v", pending, err)
			}
			slices.Sort(took)
			b.ReportMetric(float64(took[len(took)*99/100].Microseconds())/1000, "p99-ms")
			// A binding, an import or a change of details makes the store read its lists again.
			e, err := store.Enterprise(context.Background(), "E00000")
			if err != nil {
				b.Fatal(err)
			}
			e.Helper = "新帮扶人"
			if err := store.PutEnterprise(context.Background(), e); err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(float64(ask(-1).Microseconds())/1000, "after-write-ms")
		})
	}
}

var benchRegions = []string{"盐湖区", "永济市", "河津市", "临猗县", "万荣县", "闻喜县", "稷山县", "新绛县", "绛县", "垣曲县", "夏县", "平陆县", "芮城县", "运城开发区"}

// campaignDump is a store of n enterprises as the campaign leaves it: each with a bound
// liaison; half submitted this month (2026-11), a quarter last month; a third with a draft of
// this month under way; and a bound city office.
func campaignDump(n int) storage.Dump {
	form := survey.Default()
	answers := survey.Answers{
		"industry": {Text: "非金属矿物制品业·耐火材料"}, "ownership": {Choice: 5}, "has_institutions": {Bool: true},
		"institution.0.inst_name": {Text: "企业技术中心"}, "institution.0.inst_count": {Num: 1}, "institution.0.inst_staff": {Num: 12},
		"institution.0.inst_cost": {Num: 35.5}, "institution.0.#more": {Bool: false}, "has_projects": {Bool: false},
		"dir_investment": {Text: "新增研发投入 30 万元"}, "other_activities": {Multi: []int{3}}, "liuyou": {Multi: []int{1, 2, 3}},
	}
	d := storage.Dump{Contacts: []storage.Contact{{ID: "city", Name: "市办", Role: storage.RoleCityOffice, BoundAt: benchStart}}}
	for i := range n {
		id := fmt.Sprintf("E%05d", i)
		liaison := "wxid_" + id
		d.Enterprises = append(d.Enterprises, storage.Enterprise{
			ID: id, Name: fmt.Sprintf("山西运城某某第%d号新材料科技有限公司", i), Region: benchRegions[i%len(benchRegions)],
			CreditCode: "91140800MA0K" + id, Industry: "非金属矿物制品业", Ownership: "民营企业",
			Helper: "帮扶人" + id, HelperTel: "1390359" + id[1:], LiaisonID: liaison,
		})
		d.Contacts = append(d.Contacts, storage.Contact{ID: liaison, Name: "联络人" + id, Role: storage.RoleLiaison, EnterpriseID: id,
			BoundAt: benchStart, Person: "联络人" + id, Mobile: "1380359" + id[1:]})
		period := ""
		switch i % 4 {
		case 0, 1:
			period = "2026-11"
		case 2:
			period = "2026-10"
		}
		if period != "" {
			sub := storage.Submission{EnterpriseID: id, Period: period, Version: 1, Form: form.ID, Answers: answers,
				SubmittedBy: liaison, SubmittedAt: benchStart.AddDate(0, 0, -3)}
			sub.Facts = form.Facts(answers)
			d.Submissions = append(d.Submissions, sub)
		}
		if i%3 == 0 {
			d.Drafts = append(d.Drafts, storage.Draft{EnterpriseID: id, Period: "2026-11", Answers: answers, UpdatedBy: liaison, UpdatedAt: benchStart})
			d.Sessions = append(d.Sessions, storage.Session{ContactID: liaison, Version: 12, State: "filling", EnterpriseID: id, Period: "2026-11",
				Cursor: "has_projects", UpdatedAt: benchStart})
		}
	}
	return d
}
