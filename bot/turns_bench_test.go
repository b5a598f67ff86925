package bot_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"innobot/bot"
	"innobot/invite/invitetest"
	"innobot/storage"
	"innobot/storage/bolt"
	"innobot/survey"
)

// benchConversations is how many liaisons talk to the bot at once (DESIGN.md §8).
const benchConversations = 500

// BenchmarkTurns measures DESIGN.md §8's bar: survey turns on bbolt with 500 concurrent
// conversations against raw bbolt batched writes of the same size, at the same concurrency, in
// the same run. One op is one turn. 500 goroutines, one per liaison, take b.N turns between
// them through the service's handler (load, dialog, one CommitTurn); the timer runs only then.
// In between, the same 500 goroutines make as many db.Batch puts of the average size the turns
// wrote (session, draft, submission and message id, sampled from CommitTurn) into
// a raw bbolt file opened as storage/bolt opens its own. The two alternate in slices of
// benchSlice each per goroutine, so that a busy neighbour on a shared machine slows both
// alike. It reports turns/s, raw_writes/s, their ratio (target: at least 0.5), the bytes a
// turn writes (B/turn) and the CPU time the process spent per turn, and logs them as one line.
//
// The setup (500 enterprises, invite codes, bindings) runs once; conversations carry on from
// round to round of b.N: a whole first survey with groups, a value to confirm, 上一题 and
// 修改 N, then 确认提交 (44 turns); the same-period update (填报 → 修改 → sections → answers →
// 修改 N → 确认提交, 30 turns); after that the update again and again, ending in 取消填报 →
// 确认清空 rather than in a third submission, so the cost per turn stops growing. Update turns
// cost about twice first-survey turns (the draft carries last submission's answers, and both
// submissions are loaded each turn), so compare runs with the same -benchtime. Every turn
// must commit and get the reply the script expects, or the benchmark fails.
//
//	go test -run '^$' -bench Turns -benchtime 3s ./bot
func BenchmarkTurns(b *testing.B) {
	f := newTurnsFixture(b)
	b.Run("conversations="+strconv.Itoa(benchConversations), f.round)
}

// benchStart is where the virtual clock starts. The clock moves benchTick per turn taken by
// any conversation, so one liaison's messages come about 500 × benchTick = 25 s apart: a
// clock standing still would trip the flood limit (30 a minute) after 30 turns. Every turn
// stays in period 2026-11 for over 40 million turns.
var benchStart = time.Date(2026, 11, 2, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))

const benchTick = 50 * time.Millisecond

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

// update is the same-period update after a submission: the projects and activities sections
// are answered again, the rest is carried.
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
	{"购置光谱仪一台", "请核对"},
	{"修改 2", "企业属性"},
	{"6", "已记：混合制企业"},
	{"确认提交", "提交成功（回执）"},
}

// discarded is the update again, paused and cleared at the review instead of submitted.
var discarded = append(update[:len(update)-1:len(update)-1],
	scriptStep{"取消填报", "已暂停填报"},
	scriptStep{"确认清空", "本期草稿已清空"},
)

// conversation is one liaison's place in the script; only its goroutine touches it.
type conversation struct {
	contact string
	commits *atomic.Int64 // commits of this contact's turns, counted by the store wrapper
	step    int           // turns taken so far
	seq     int           // message ids
}

// next returns the step to send: the first survey, one update submitted, then updates
// discarded for ever, so that the enterprise keeps two submissions however long the
// benchmark runs.
func (c *conversation) next() scriptStep {
	if c.step < len(firstSurvey) {
		return firstSurvey[c.step]
	}
	i := c.step - len(firstSurvey)
	if i < len(update) {
		return update[i]
	}
	i -= len(update)
	return discarded[i%len(discarded)]
}

// recorder is the Replier of one turn.
type recorder struct{ texts []string }

func (r *recorder) Reply(text string)     { r.texts = append(r.texts, text) }
func (r *recorder) ReplyFile(path string) { r.texts = append(r.texts, "file:"+path) }
func (r *recorder) Send(out bot.Outgoing) { r.texts = append(r.texts, "to "+out.To+": "+out.Text) }

// sampleEvery is how often the store wrapper encodes a committed turn to measure the bytes a
// turn writes: rarely enough to leave the turns' cost alone.
const sampleEvery = 16

// countingStore counts each contact's committed turns and samples what they write.
type countingStore struct {
	storage.Backend
	commits map[string]*atomic.Int64 // by contact id; filled before any turn

	n            atomic.Int64
	sampled      atomic.Int64
	sampledBytes atomic.Int64
	failed       atomic.Pointer[error]
}

func (s *countingStore) CommitTurn(ctx context.Context, t storage.Turn) error {
	err := s.Backend.CommitTurn(ctx, t)
	if err != nil {
		return err
	}
	if c := s.commits[t.Session.ContactID]; c != nil {
		c.Add(1)
	}
	if s.n.Add(1)%sampleEvery == 0 {
		n, err := turnBytes(t)
		if err != nil {
			s.failed.CompareAndSwap(nil, &err)
		}
		s.sampled.Add(1)
		s.sampledBytes.Add(int64(n))
	}
	return nil
}

// turnBytes is the size of what storage/bolt writes for a turn: the session (stored with its
// version moved on), the draft, the submission, and the message id with its time, under the
// id and in the index by time.
func turnBytes(t storage.Turn) (int, error) {
	sess := t.Session
	sess.Version++
	v, err := json.Marshal(sess)
	if err != nil {
		return 0, err
	}
	n := len(v)
	if t.Draft != nil {
		if v, err = json.Marshal(t.Draft); err != nil {
			return 0, err
		}
		n += len(v)
	}
	if t.Submission != nil {
		if v, err = json.Marshal(t.Submission); err != nil {
			return 0, err
		}
		n += len(v)
	}
	if t.MessageID != "" {
		n += 2*len(t.MessageID) + 15 + 8
	}
	return n, nil
}

type turnsFixture struct {
	ticks   atomic.Int64 // turns started: the virtual clock
	store   *countingStore
	handler bot.Handler
	raw     *bbolt.DB
	convs   []*conversation
}

var rawBucket = []byte("raw")

func newTurnsFixture(b *testing.B) *turnsFixture {
	b.Helper()
	ctx := context.Background()
	dir := b.TempDir()
	bs, err := bolt.Open(filepath.Join(dir, "innobot.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { bs.Close() })
	key := invitetest.Key(b)
	// The raw file is opened as storage/bolt.Open opens its own: default options but the lock
	// timeout, default batch limits (1000 calls, 10 ms), fsync on every commit.
	raw, err := bbolt.Open(filepath.Join(dir, "raw.db"), 0o600, &bbolt.Options{Timeout: bolt.DefaultLockTimeout})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { raw.Close() })
	err = raw.Update(func(tx *bbolt.Tx) error {
		_, err := tx.CreateBucketIfNotExists(rawBucket)
		return err
	})
	if err != nil {
		b.Fatal(err)
	}

	f := &turnsFixture{
		store: &countingStore{Backend: bs, commits: map[string]*atomic.Int64{}},
		raw:   raw,
	}
	regions := []string{"盐湖区", "永济市", "河津市", "临猗县", "万荣县", "闻喜县", "稷山县", "新绛县", "绛县", "垣曲县", "夏县", "平陆县", "芮城县", "运城开发区"}
	for i := range benchConversations {
		e := storage.Enterprise{
			ID:        fmt.Sprintf("E%04d", i),
			Name:      fmt.Sprintf("运城示范%04d制造有限公司", i),
			Region:    regions[i%len(regions)],
			Industry:  "装备制造",
			Ownership: "民营企业",
			Helper:    "帮扶人" + strconv.Itoa(i),
			HelperTel: fmt.Sprintf("138%08d", i),
			UpdatedAt: benchStart,
		}
		if err := bs.PutEnterprise(ctx, e); err != nil {
			b.Fatal(err)
		}
		code, err := bot.IssueInvite(ctx, bs, key, storage.Invite{Role: storage.RoleLiaison, EnterpriseID: e.ID, CreatedBy: "bench"}, benchStart, 7*24*time.Hour)
		if err != nil {
			b.Fatal(err)
		}
		c := &conversation{contact: fmt.Sprintf("wxid_bench%04d", i), commits: new(atomic.Int64)}
		if _, err := bs.Redeem(ctx, key.Hash(code), storage.Contact{ID: c.contact, Name: "联络人" + strconv.Itoa(i)}, benchStart); err != nil {
			b.Fatal(err)
		}
		f.store.commits[c.contact] = c.commits
		f.convs = append(f.convs, c)
	}
	svc := &bot.Service{
		Store:      f.store,
		Form:       survey.Default(),
		Clock:      bot.ClockFunc(f.now),
		Location:   benchStart.Location(),
		BotName:    "创新助手",
		Prefix:     "#",
		FloodLimit: bot.FloodLimit,
		Log:        slog.New(slog.DiscardHandler),
	}
	f.handler = svc.Handler()
	return f
}

func (f *turnsFixture) now() time.Time {
	return benchStart.Add(time.Duration(f.ticks.Load()) * benchTick)
}

// benchSlice is how many turns each conversation takes before the raw writes take theirs: the
// two alternate in slices, so that both meet the same background load on a shared machine.
const benchSlice = 10

// round takes b.N turns (timed) and makes as many raw batched writes (untimed), alternating
// in slices, and reports both rates.
func (f *turnsFixture) round(b *testing.B) {
	b.StopTimer()
	perConv := max(1, (b.N+benchConversations-1)/benchConversations)
	total := perConv * len(f.convs)
	f.store.sampled.Store(0)
	f.store.sampledBytes.Store(0)
	var (
		turnTime, rawTime time.Duration
		size              int
		fails             failures
		rawErr            atomic.Pointer[error]
		turnCPU           time.Duration
	)
	for done := 0; done < perConv; done += benchSlice {
		n := min(benchSlice, perConv-done)
		cpu := processCPU(b)
		turnTime += f.concurrently(b, true, func(c *conversation) { f.converse(c, n, &fails) })
		turnCPU += processCPU(b) - cpu
		if fails.n > 0 {
			b.Fatalf("%d turns failed; first: %s", fails.n, fails.first)
		}
		if p := f.store.failed.Load(); p != nil {
			b.Fatalf("measuring turn size: %v", *p)
		}
		if f.store.sampled.Load() == 0 {
			b.Fatal("no turn sampled")
		}
		size = int(f.store.sampledBytes.Load() / f.store.sampled.Load())
		value := []byte(strings.Repeat("x", size))
		rawTime += f.concurrently(b, false, func(c *conversation) { f.rawWrites(c, n, value, &rawErr) })
		if p := rawErr.Load(); p != nil {
			b.Fatalf("raw batched write: %v", *p)
		}
	}

	turnRate := float64(total) / turnTime.Seconds()
	rawRate := float64(total) / rawTime.Seconds()
	b.ReportMetric(float64(turnTime.Nanoseconds())/float64(total), "ns/op")
	b.ReportMetric(turnRate, "turns/s")
	b.ReportMetric(rawRate, "raw_writes/s")
	b.ReportMetric(turnRate/rawRate, "ratio")
	b.ReportMetric(float64(size), "B/turn")
	b.ReportMetric(float64(turnCPU.Microseconds())/float64(total), "cpu-µs/turn")
	b.Logf("turns %.0f/s  raw %.0f/s  ratio %.2f  (%d turns and %d raw writes of %d B by %d goroutines; %.0f µs of CPU a turn)",
		turnRate, rawRate, turnRate/rawRate, total, total, size, len(f.convs), float64(turnCPU.Microseconds())/float64(total))
}

// processCPU is the CPU time the process has used, user and system: the turns' cost varies
// less from run to run than their rate on a shared machine.
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

// converse takes n turns of c's script through the service's handler and checks that each
// got the expected reply and committed.
func (f *turnsFixture) converse(c *conversation, n int, fails *failures) {
	ctx := context.Background()
	var r recorder
	for range n {
		st := c.next()
		c.seq++
		f.ticks.Add(1)
		m := bot.Message{
			ID:   c.contact + "-" + strconv.Itoa(c.seq),
			From: c.contact, FromName: "联络人",
			Kind: bot.KindText, Text: st.text, Time: f.now(),
		}
		before := c.commits.Load()
		r.texts = r.texts[:0]
		f.handler.ServeMessage(ctx, &r, &m)
		reply := strings.Join(r.texts, "\n")
		switch {
		case strings.Contains(reply, "系统繁忙"):
			fails.add("%s, step %d %q: busy reply", c.contact, c.step, st.text)
		case !strings.Contains(reply, st.want):
			fails.add("%s, step %d %q: reply lacks %q:\n%s", c.contact, c.step, st.text, st.want, reply)
		case c.commits.Load() != before+1:
			fails.add("%s, step %d %q: the turn committed nothing", c.contact, c.step, st.text)
		}
		c.step++
	}
}

// rawWrites makes n batched puts of value under c's own key.
func (f *turnsFixture) rawWrites(c *conversation, n int, value []byte, failed *atomic.Pointer[error]) {
	key := []byte(c.contact)
	for range n {
		err := f.raw.Batch(func(tx *bbolt.Tx) error {
			return tx.Bucket(rawBucket).Put(key, value)
		})
		if err != nil {
			failed.CompareAndSwap(nil, &err)
			return
		}
	}
}

// concurrently runs fn once per conversation, each in its own goroutine, all released at once,
// and returns the wall time until the last one is done. timed says whether the benchmark
// timer runs meanwhile.
func (f *turnsFixture) concurrently(b *testing.B, timed bool, fn func(*conversation)) time.Duration {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	for _, c := range f.convs {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			fn(c)
		}()
	}
	ready.Wait()
	if timed {
		b.StartTimer()
	}
	t0 := time.Now()
	close(start)
	done.Wait()
	d := time.Since(t0)
	if timed {
		b.StopTimer()
	}
	return d
}
