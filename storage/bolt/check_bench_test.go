package bolt

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	bbolt "go.etcd.io/bbolt"

	"innobot/storage"
	"innobot/survey"
	"innobot/survey/surveytest"
)

// BenchmarkOpen50k opens a file of a city five times Yuncheng's size: 50,000 enterprises,
// each with a bound liaison and a session, half with a submitted survey (and its head), a
// third with a draft, and a handled id and an audit entry per enterprise. Open checks the
// whole file (CheckFile) before anything writes to it; this is what that costs at start.
//
//	go test -run '^$' -bench Open50k -benchtime 5x ./storage/bolt
func BenchmarkOpen50k(b *testing.B) {
	path := filepath.Join(b.TempDir(), "innobot.db")
	seed50k(b, path)
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		s, err := Open(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := s.Close(); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(fi.Size())/(1<<20), "MB")
}

// seed50k writes the records the way the store encodes them, in a few large transactions.
func seed50k(b *testing.B, path string) {
	s, err := Open(path)
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	const n = 50_000
	rng := rand.New(rand.NewPCG(1, 2))
	form := survey.Default()
	at := time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC)
	must := func(err error) {
		if err != nil {
			b.Fatal(err)
		}
	}
	for lo := 0; lo < n; lo += 5000 {
		must(s.db.Update(func(tx *bbolt.Tx) error {
			for i := lo; i < lo+5000; i++ {
				id := fmt.Sprintf("E%05d", i)
				liaison := fmt.Sprintf("wxid_liaison_%05d", i)
				e := storage.Enterprise{ID: id, Name: fmt.Sprintf("山西运城某某第%d号新材料科技有限公司", i), Region: "盐湖区",
					CreditCode: "91140800MA0K" + id, Industry: "非金属矿物制品业", Ownership: "民营企业", LiaisonID: liaison,
					Helper: "帮扶人" + id, HelperTel: "1390359" + id[1:], ContactName: "联系人" + id, ContactTel: "1380359" + id[1:], UpdatedAt: at}
				c := storage.Contact{ID: liaison, Name: "联系人" + id, Role: storage.RoleLiaison, EnterpriseID: id, BoundAt: at, Person: "联系人" + id, Mobile: "1380359" + id[1:]}
				sess := storage.Session{ContactID: liaison, Version: 40, State: "idle", EnterpriseID: id, UpdatedAt: at}
				for _, w := range []struct {
					bucket []byte
					key    string
					v      any
				}{{bucketEnterprises, id, e}, {bucketContacts, liaison, c}, {bucketSessions, liaison, sess},
					{bucketAudit, string(timeSeqKey(nil, at, uint64(i))), storage.AuditEntry{At: at, Contact: liaison, Action: "bind", Outcome: storage.OutcomeOK, Detail: "绑定为企业科技创新联络人"}}} {
					if err := put(tx.Bucket(w.bucket), []byte(w.key), w.v); err != nil {
						return err
					}
				}
				if err := markHandled(tx, fmt.Sprintf("wechat-msg-%d", i), at); err != nil {
					return err
				}
				answers := surveytest.Random(rng, form)
				if i%2 == 0 {
					sub := storage.Submission{EnterpriseID: id, Period: "2026-10", Version: 1, Form: form.ID, Answers: answers,
						SubmittedBy: liaison, SubmittedAt: at, Facts: form.Facts(answers)}
					k := submissionKey(id, sub.Period, 1)
					if err := put(tx.Bucket(bucketSubmissions), k, sub); err != nil {
						return err
					}
					if err := tx.Bucket(bucketHeads).Put(k, appendHead(nil, sub.Head())); err != nil {
						return err
					}
				}
				if i%3 == 0 {
					d := storage.Draft{EnterpriseID: id, Period: "2026-11", Answers: answers, UpdatedBy: liaison, UpdatedAt: at}
					if err := put(tx.Bucket(bucketDrafts), draftKey(id, d.Period), d); err != nil {
						return err
					}
				}
			}
			return nil
		}))
	}
	var probe []byte
	must(s.db.View(func(tx *bbolt.Tx) error {
		probe = tx.Bucket(bucketSubmissions).Get(submissionKey("E00000", "2026-10", 1))
		return nil
	}))
	var sub storage.Submission
	must(json.Unmarshal(probe, &sub))
}
