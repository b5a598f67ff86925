package assistant_test

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"innobot/assistant"
	"innobot/bot"
	"innobot/invite/invitetest"
	"innobot/storage"
	"innobot/storage/bolt"
	storeredis "innobot/storage/redis"
	"innobot/storage/redis/redistest"
	"innobot/survey"
)

// benchConversations is how many liaisons talk to the bot at once.
const benchConversations = 500

// BenchmarkTurns measures what the storage must sustain so that it is never what people wait
// for: survey turns of 500 liaisons at once, through the router and the service as a running
// bot takes them (one read, the dialog, one write of the turn with its reply). Half the
// liaisons fill their first survey, the other half, who submitted last month, the monthly
// update; each goes on through its script, over and over. b.N is the number of turns; use a
// fixed count so that runs compare:
//
//	go test -run '^$' -bench Turns -benchtime 20000x ./assistant
//
// The first half of the turns measures the most the bot takes: every liaison sends again as
// soon as answered (turns/s). The second half measures what a person waits for at the floor's
// load: the 500 send 1,000 turns a second between them, each every half second, and p99-ms
// is the 99th percentile of the time from a message's delivery to its answer being stored.
// cpu-µs/turn is the CPU time of the process per turn over both. It runs on bbolt and on
// Redis (a private redis-server, or REDIS_URL). Every turn must get the reply its script
// expects, or the benchmark fails. Floors: 1,000 turns/s and a p99 under 50 ms.
func BenchmarkTurns(b *testing.B) {
	b.Run("bolt", func(b *testing.B) {
		s, err := bolt.Open(b.TempDir() + "/innobot.db")
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { s.Close() })
		benchTurns(b, s)
	})
	b.Run("redis", func(b *testing.B) {
		srv := redistest.Start(b)
		benchTurns(b, storeredis.New(srv.Client(b), srv.Prefix(b)))
	})
}

// scriptStep is one message and a part of the reply it must get.
type scriptStep struct{ text, want string }

// firstSurvey is a whole first survey: two institutions, two projects, a value over the soft
// maximum corrected, 上一题, options ticked with their explanations, 修改 1, submission.
var firstSurvey = []scriptStep{
	{"填报", "（第 1/"},
	{"钢铁·特殊钢冶炼", "企业属性"},
	{"民营", "已记：民营企业"},
	{"有的", "名称是"},
	{"山西示范钢铁技术中心", "批准部门"},
	{"山西省工业和信息化厅", "研究领域"},
	{"特殊钢材料", "期末机构数"},
	{"１个", "研究开发人员"},
	{"25人", "研究开发费用"},
	{"１２.５万", "已记：12.5 万元"},
	{"上一题", "当前答案：12.5 万元"},
	{"12.5", "仪器和设备原价"},
	{"1,200,000元", "还有其他研发机构"},
	{"有", "【研发机构 第 2 个】"},
	{"运城市镁合金工程研究中心", "批准部门"},
	{"运城市科学技术局", "研究领域"},
	{"镁合金压铸与轻量化", "期末机构数"},
	{"1", "研究开发人员"},
	{"12", "研究开发费用"},
	{"200亿", "数值偏大"},
	{"30万元", "已记：30 万元"},
	{"85.5", "还有其他研发机构"},
	{"没有", "研究开发项目"},
	{"是", "项目名称"},
	{"高强度螺纹钢工艺改进", "项目来源"},
	{"２", "已记：政府部门科技项目"},
	{"晋科〔2026〕18号", "研究开发人员"},
	{"8人", "研究开发费用"},
	{"30万元", "研究开发资产"},
	{"0", "还有其他研发项目"},
	{"否", "创新投入"},
	{"新增研发投入 30 万元，购置检测设备", "创新人才"},
	{"引进高级工程师 2 名", "创新项目"},
	{"无", "创新平台"},
	{"暂无", "技术研发"},
	{"完成新钢种试制", "技术合作"},
	{"与太原理工大学合作", "其他创新活动"},
	{"3、11", "已记：3、11"},
	{"对轧钢产线进行了节能改造", "您选了“11"},
	{"与太原理工大学联合开发新钢种", "六有"},
	{"１，２ 3、4", "请核对"},
	{"修改 1", "当前答案：钢铁·特殊钢冶炼"},
	{"钢铁·特殊钢冶炼（螺纹钢）", "请核对"},
	{"确认提交", "提交成功（回执）"},
}

// update is the monthly update of a liaison who submitted last month: the projects and the
// activities are answered again, the rest is carried, then it is paused and cleared at the
// review instead of submitted, so that the next round starts the same update again and the
// enterprise's history stays as it is however long the benchmark runs.
var update = []scriptStep{
	{"填报", "回复“修改”"},
	{"修改", "哪些部分有变化"},
	{"3,4", "研究开发项目"},
	{"有", "项目名称"},
	{"高强度螺纹钢工艺改进（二期）", "项目来源"},
	{"1", "已记：企业自选项目"},
	{"跳过", "研究开发人员"},
	{"10", "研究开发费用"},
	{"４５.８", "研究开发资产"},
	{"120万", "还有其他研发项目"},
	{"有", "【研发项目 第 2 个】"},
	{"镁合金轮毂轻量化", "项目来源"},
	{"3", "立项文号"},
	{"委托合同 HT-2026-031", "研究开发人员"},
	{"6人", "研究开发费用"},
	{"18", "研究开发资产"},
	{"0", "还有其他研发项目"},
	{"无", "创新投入"},
	{"新增研发投入 45 万元", "创新人才"},
	{"无", "创新项目"},
	{"新立项 2 项", "创新平台"},
	{"无", "技术研发"},
	{"无", "技术合作"},
	{"无", "其他创新活动"},
	{"5,8", "已记：5、8"},
	{"上线能耗监测系统", "您选了“8"},
	{"购置光谱仪一台", "改动了"},
	{"修改 2", "企业属性"},
	{"6", "已记：混合制企业"},
	{"取消填报", "已暂停填报"},
	{"确认清空", "本期草稿已清空"},
}

// conversation is one liaison's place in their script; only its goroutine touches it.
type conversation struct {
	contact string
	script  []scriptStep
	step    int // turns taken so far
}

func (c *conversation) next() scriptStep { return c.script[c.step%len(c.script)] }

// replyCatcher is the store of the benchmark: it keeps the reply stored with each message's
// answer, so that every turn's reply can be checked without sending it.
type replyCatcher struct {
	assistant.Store
	replies sync.Map // message id → reply text
}

func (s *replyCatcher) keep(a storage.Answer) {
	var texts []string
	for _, m := range a.Messages {
		texts = append(texts, m.Text)
	}
	s.replies.Store(a.MessageID, strings.Join(texts, "\n"))
}

func (s *replyCatcher) CommitTurn(ctx context.Context, t storage.Turn) error {
	err := s.Store.CommitTurn(ctx, t)
	if err == nil {
		s.keep(t.Answer)
	}
	return err
}

func (s *replyCatcher) Answer(ctx context.Context, a storage.Answer) error {
	err := s.Store.Answer(ctx, a)
	if err == nil {
		s.keep(a)
	}
	return err
}

// benchStart is where the virtual clock starts: in the 2026-11 reporting period.
var benchStart = time.Date(2026, 11, 20, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

func benchTurns(b *testing.B, store assistant.Store) {
	ctx := context.Background()
	key := invitetest.Key(b)
	var ticks atomic.Int64 // the virtual clock moves a millisecond a turn
	clock := bot.ClockFunc(func() time.Time { return benchStart.Add(time.Duration(ticks.Load()) * time.Millisecond) })
	st := &replyCatcher{Store: store}
	regions := []string{"盐湖区", "永济市", "河津市", "临猗县", "万荣县", "闻喜县", "稷山县", "新绛县", "绛县", "垣曲县", "夏县", "平陆县", "芮城县", "运城开发区"}
	convs := make([]*conversation, benchConversations)
	for i := range convs {
		e := storage.Enterprise{ID: fmt.Sprintf("E%04d", i), Name: fmt.Sprintf("运城示范%04d制造有限公司", i), Region: regions[i%len(regions)]}
		if err := store.PutEnterprise(ctx, e); err != nil {
			b.Fatal(err)
		}
		code, err := assistant.IssueInvite(ctx, store, key, storage.Invite{Role: storage.RoleLiaison, EnterpriseID: e.ID, CreatedBy: "bench"}, benchStart, 7*24*time.Hour, nil)
		if err != nil {
			b.Fatal(err)
		}
		c := &conversation{contact: fmt.Sprintf("wxid_bench%04d", i), script: firstSurvey}
		if _, err := store.Redeem(ctx, key.Hash(code), storage.Contact{ID: c.contact, Name: "联络人" + strconv.Itoa(i)}, benchStart, nil); err != nil {
			b.Fatal(err)
		}
		if i%2 == 1 {
			// Submitted last month: this month's 填报 is the monthly update.
			answers := survey.Answers{"industry": {Text: "钢铁"}, "ownership": {Choice: 5}, "has_institutions": {Bool: false}, "has_projects": {Bool: false}, "liuyou": {Multi: []int{1, 2, 3, 4}}}
			sub := storage.Submission{EnterpriseID: e.ID, Period: "2026-10", Version: 1, Form: survey.Default().ID,
				Answers: answers, SubmittedBy: c.contact, SubmittedAt: benchStart.AddDate(0, -1, 0)}
			sub.Facts = survey.Default().Facts(sub.Answers)
			if err := store.CommitTurn(ctx, storage.Turn{Session: storage.Session{ContactID: c.contact}, Submission: &sub}); err != nil {
				b.Fatal(err)
			}
			c.script = update
		}
		convs[i] = c
	}
	svc := &assistant.Service{
		Store: st, Form: survey.Default(), Clock: clock, Location: benchStart.Location(), Key: key,
		BotName: "创新助手", Log: slog.New(slog.DiscardHandler),
	}
	router := &bot.Router{Handler: svc.Handler(), Store: st, Clock: clock, Log: slog.New(slog.DiscardHandler)}

	half := max(1, (b.N/2+benchConversations-1)/benchConversations) // turns per liaison per phase
	var fails failures
	// turn takes c's next step and returns how long its answer took to be stored.
	turn := func(c *conversation) time.Duration {
		step := c.next()
		ticks.Add(1)
		id := c.contact + "-" + strconv.Itoa(c.step)
		t0 := time.Now()
		<-router.Deliver(ctx, bot.Message{ID: id, From: c.contact, FromName: "联络人", Kind: bot.KindText, Text: step.text})
		d := time.Since(t0)
		reply, _ := st.replies.LoadAndDelete(id)
		if text, _ := reply.(string); !strings.Contains(text, step.want) {
			fails.add("%s, step %d %q: reply lacks %q:\n%s", c.contact, c.step, step.text, step.want, text)
		}
		c.step++
		return d
	}
	cpu := processCPU(b)
	b.ResetTimer()

	// As fast as it goes.
	elapsed := everyone(convs, func(_ int, c *conversation) {
		for range half {
			turn(c)
		}
	})
	turnsPerSec := float64(half*len(convs)) / elapsed.Seconds()

	// At the floor's pace, each liaison starting at its own moment of the half second.
	const gap = benchConversations * time.Second / 1000
	latencies := make([][]time.Duration, len(convs))
	start := time.Now().Add(gap)
	elapsed += everyone(convs, func(i int, c *conversation) {
		next := start.Add(gap * time.Duration(i) / benchConversations)
		for range half {
			time.Sleep(time.Until(next))
			latencies[i] = append(latencies[i], turn(c))
			next = next.Add(gap)
		}
	})
	b.StopTimer()
	cpuUsed := processCPU(b) - cpu
	if fails.n > 0 {
		b.Fatalf("%d turns went off script; first: %s", fails.n, fails.first)
	}
	all := slices.Concat(latencies...)
	slices.Sort(all)
	total := float64(2 * half * len(convs))
	b.ReportMetric(turnsPerSec, "turns/s")
	b.ReportMetric(float64(all[len(all)*99/100].Microseconds())/1000, "p99-ms")
	b.ReportMetric(float64(cpuUsed.Microseconds())/total, "cpu-µs/turn")
	b.ReportMetric(float64(elapsed.Nanoseconds())/total, "ns/op")
}

// everyone runs fn for each conversation in a goroutine of its own, all released at once, and
// returns the time until the last is done.
func everyone(convs []*conversation, fn func(i int, c *conversation)) time.Duration {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	for i, c := range convs {
		ready.Add(1)
		done.Go(func() {
			ready.Done()
			<-start
			fn(i, c)
		})
	}
	ready.Wait()
	t0 := time.Now()
	close(start)
	done.Wait()
	return time.Since(t0)
}

// processCPU is the CPU time the process has used, user and system.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// failures collects the turns that went wrong.
type failures struct {
	mu    sync.Mutex
	n     int
	first string
}

func (e *failures) add(format string, args ...any) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.n == 0 {
		e.first = fmt.Sprintf(format, args...)
	}
	e.n++
}
