package redis_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"innobot/bot"
	"innobot/invite/invitetest"
	"innobot/storage"
	storeredis "innobot/storage/redis"
	"innobot/storage/redis/redistest"
	"innobot/survey"
)

// benchConversations is how many liaisons talk to the bot at once (DESIGN.md §8).
const benchConversations = 500

// benchScript is what each liaison sends, round and round: the survey started, answered up to
// the second institution, then paused and cleared, so that every message is a turn that
// commits (a session, and a draft written or dropped) and the data stays the same size
// however long the benchmark runs.
var benchScript = []struct{ text, want string }{
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
	{"1,200,000元", "还有其他研发机构"},
	{"有", "【研发机构 第 2 个】"},
	{"取消填报", "已暂停填报"},
	{"确认清空", "本期草稿已清空"},
}

// BenchmarkTurns measures survey turns on Redis with 500 concurrent conversations, each turn
// through the bot's handler (load contact, enterprise, session, draft and submissions; the
// dialog; one CommitTurn script), next to raw SETs of the same size by the same 500
// goroutines on the same server in the same run: one SET per round trip, and pipelined ten
// to a round trip (what a turn's single write could at best be batched into). One op is one
// turn. The server runs with appendonly yes, appendfsync everysec.
//
//	go test -run '^$' -bench Turns -benchtime 20000x ./storage/redis
func BenchmarkTurns(b *testing.B) {
	srv := redistest.Start(b)
	opt, err := goredis.ParseURL(srv.URL)
	if err != nil {
		b.Fatal(err)
	}
	opt.PoolSize = 64
	client := goredis.NewClient(opt)
	defer client.Close()
	store := &sizingStore{Store: storeredis.New(client, srv.Prefix(b))}
	ctx := context.Background()
	start := time.Date(2026, 11, 2, 9, 0, 0, 0, time.FixedZone("CST", 8*3600))
	var ticks atomic.Int64
	now := func() time.Time { return start.Add(time.Duration(ticks.Load()) * time.Millisecond) }

	contacts := make([]string, benchConversations)
	key := invitetest.Key(b)
	for i := range contacts {
		e := storage.Enterprise{ID: fmt.Sprintf("E%04d", i), Name: fmt.Sprintf("运城示范%04d制造有限公司", i), Region: "盐湖区", UpdatedAt: start}
		if err := store.PutEnterprise(ctx, e); err != nil {
			b.Fatal(err)
		}
		code, err := bot.IssueInvite(ctx, store, key, storage.Invite{Role: storage.RoleLiaison, EnterpriseID: e.ID, CreatedBy: "bench"}, start, 7*24*time.Hour)
		if err != nil {
			b.Fatal(err)
		}
		contacts[i] = fmt.Sprintf("wxid_bench%04d", i)
		if _, err := store.Redeem(ctx, key.Hash(code), storage.Contact{ID: contacts[i], Name: "联络人" + strconv.Itoa(i)}, start); err != nil {
			b.Fatal(err)
		}
	}
	svc := &bot.Service{Store: store, Form: survey.Default(), Clock: bot.ClockFunc(now), Location: start.Location(),
		BotName: "创新助手", Prefix: "#", Log: slog.New(slog.DiscardHandler)}
	h := svc.Handler()
	steps := make([]int, benchConversations) // per conversation, only its goroutine touches it

	b.ResetTimer()
	b.StopTimer()
	perConv := max(1, (b.N+benchConversations-1)/benchConversations)
	total := perConv * benchConversations
	var failed atomic.Int64
	var firstFail atomic.Pointer[string]
	turnTime := concurrently(func(i int) {
		for range perConv {
			st := benchScript[steps[i]%len(benchScript)]
			steps[i]++
			ticks.Add(1)
			m := bot.Message{ID: contacts[i] + "-" + strconv.Itoa(steps[i]), From: contacts[i], Kind: bot.KindText, Text: st.text, Time: now()}
			var r recorder
			h.ServeMessage(ctx, &r, &m)
			if reply := strings.Join(r.texts, "\n"); !strings.Contains(reply, st.want) {
				failed.Add(1)
				msg := fmt.Sprintf("%s %q: %s", contacts[i], st.text, reply)
				firstFail.CompareAndSwap(nil, &msg)
			}
		}
	}, b)
	if n := failed.Load(); n > 0 {
		b.Fatalf("%d turns got an unexpected reply; first: %s", n, *firstFail.Load())
	}
	size := store.averageSize()
	value := strings.Repeat("x", size)

	rawTime := concurrently(func(i int) {
		key := "bench:raw:" + contacts[i]
		for range perConv {
			if err := client.Set(ctx, key, value, 0).Err(); err != nil {
				b.Error(err)
				return
			}
		}
	}, nil)
	pipeTime := concurrently(func(i int) {
		key := "bench:pipe:" + contacts[i]
		for done := 0; done < perConv; done += 10 {
			_, err := client.Pipelined(ctx, func(p goredis.Pipeliner) error {
				for range min(10, perConv-done) {
					p.Set(ctx, key, value, 0)
				}
				return nil
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	}, nil)

	turns := float64(total) / turnTime.Seconds()
	raw := float64(total) / rawTime.Seconds()
	piped := float64(total) / pipeTime.Seconds()
	b.ReportMetric(float64(turnTime.Nanoseconds())/float64(total), "ns/op")
	b.ReportMetric(turns, "turns/s")
	b.ReportMetric(raw, "raw_sets/s")
	b.ReportMetric(piped, "piped_sets/s")
	b.ReportMetric(turns/raw, "ratio_raw")
	b.ReportMetric(turns/piped, "ratio_piped")
	b.ReportMetric(float64(size), "B/turn")
	b.Logf("%d conversations, %d turns: turns %.0f/s; raw SETs of %d B %.0f/s (ratio %.2f); pipelined SETs %.0f/s (ratio %.2f)",
		benchConversations, total, turns, size, raw, turns/raw, piped, turns/piped)
}

// concurrently runs fn(i) for every conversation, each in its own goroutine, all released at
// once, and returns the wall time until the last is done; the benchmark timer runs meanwhile
// when b is given.
func concurrently(fn func(i int), b *testing.B) time.Duration {
	var ready, done sync.WaitGroup
	start := make(chan struct{})
	for i := range benchConversations {
		ready.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			ready.Done()
			<-start
			fn(i)
		}()
	}
	ready.Wait()
	if b != nil {
		b.StartTimer()
	}
	t0 := time.Now()
	close(start)
	done.Wait()
	d := time.Since(t0)
	if b != nil {
		b.StopTimer()
	}
	return d
}

// recorder is the Replier of one turn.
type recorder struct{ texts []string }

func (r *recorder) Reply(text string)     { r.texts = append(r.texts, text) }
func (r *recorder) ReplyFile(path string) { r.texts = append(r.texts, "file:"+path) }
func (r *recorder) Send(out bot.Outgoing) { r.texts = append(r.texts, "to "+out.To+": "+out.Text) }

// sizingStore samples the bytes each committed turn writes (session, draft, submission, as
// JSON), for the raw writes to be of the same size.
type sizingStore struct {
	*storeredis.Store
	n, bytes atomic.Int64
}

func (s *sizingStore) CommitTurn(ctx context.Context, t storage.Turn) error {
	if err := s.Store.CommitTurn(ctx, t); err != nil {
		return err
	}
	if s.n.Add(1)%16 == 0 {
		n := 0
		for _, v := range []any{t.Session, t.Draft, t.Submission} {
			if data, err := json.Marshal(v); err == nil && string(data) != "null" {
				n += len(data)
			}
		}
		s.bytes.Add(int64(n))
	}
	return nil
}

func (s *sizingStore) averageSize() int {
	samples := s.n.Load() / 16
	if samples == 0 {
		return 256
	}
	return int(s.bytes.Load() / samples)
}
