package bolt

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	bbolt "go.etcd.io/bbolt"
	berrors "go.etcd.io/bbolt/errors"
)

// ErrDamaged is the error of a data file found damaged: by the check at open (Open, CheckFile)
// or by a read that met a broken page while the bot ran. A damaged file is never written to:
// the operator restores a copy (innobot backup) instead. Test for it with errors.Is.
var ErrDamaged = errors.New("data file damaged")

// ErrInUse is the error of a file another process holds (a running bot): it cannot be
// opened, nor checked, until that process ends.
var ErrInUse = errors.New("file is in use by another process")

// DamagedError says what is wrong with a data file, in the words an operator reads.
type DamagedError struct {
	Path    string
	Problem string // what was found, in bbolt's or the decoder's words
}

func (e *DamagedError) Error() string {
	return "数据文件已损坏：" + e.Path + "：" + e.Problem + "；请用 innobot backup 的副本恢复"
}

// Is makes errors.Is(err, ErrDamaged) hold.
func (e *DamagedError) Is(target error) bool { return target == ErrDamaged }

// largeFile is the size from which the check at open says what it does: it reads the whole
// file, about a second per few hundred megabytes.
const largeFile = 64 << 20

// CheckReport is what a check found of a sound file.
type CheckReport struct {
	Records int   // values decoded, in every bucket
	Bytes   int64 // the file's size
	Took    time.Duration
}

// CheckFile checks the bolt file at path without writing to it, as Open does before it lets
// anything write, and returns a *DamagedError for a damaged file: what `innobot check` runs,
// and what a backup copy is checked with. The file is opened read-only, which waits for no
// longer than DefaultLockTimeout for a process that holds it (a running bot) and then fails.
// progress, when set, hears a line before and after the check of a large file.
func CheckFile(ctx context.Context, path string, progress io.Writer) (CheckReport, error) {
	return checkFile(ctx, path, progress, DefaultLockTimeout)
}

// checkFile checks the file in three steps, each only once the one before found nothing:
// that the file is as long as its pages say; that every record decodes, walking every
// bucket, which reads every page that holds data; and bbolt's own check of the pages (freed
// twice, unreachable, out of order). The first two run in this goroutine under guard. bbolt's
// check runs in a goroutine of its own, where a panic would end the process, so it only ever
// sees a file whose pages all read, and the list of free pages it starts from is read first,
// here, by a second opening that loads it (PreLoadFreelist).
func checkFile(ctx context.Context, path string, progress io.Writer, lockTimeout time.Duration) (CheckReport, error) {
	start := time.Now()
	var rep CheckReport
	fi, err := os.Stat(path)
	if err != nil {
		return rep, fmt.Errorf("check %s: %w", path, err)
	}
	rep.Bytes = fi.Size()
	if rep.Bytes == 0 {
		// bbolt would make a new database of it: a file truncated to nothing would silently
		// become an empty store.
		return rep, &DamagedError{Path: path, Problem: "文件是空的"}
	}
	large := progress != nil && rep.Bytes >= largeFile
	if large {
		fmt.Fprintf(progress, "正在检查数据文件 %s（%d MB），请稍候……\n", path, rep.Bytes>>20)
	}
	err = inspect(path, &bbolt.Options{Timeout: lockTimeout, ReadOnly: true}, func(tx *bbolt.Tx) error {
		if tx.Size() > rep.Bytes {
			return &DamagedError{Path: path, Problem: fmt.Sprintf("文件被截短了：数据写到第 %d 字节，文件只有 %d 字节", tx.Size(), rep.Bytes)}
		}
		n, err := decodeEvery(ctx, tx)
		rep.Records = n
		return err
	})
	if err == nil {
		err = inspect(path, &bbolt.Options{Timeout: lockTimeout, ReadOnly: true, PreLoadFreelist: true}, func(tx *bbolt.Tx) error {
			return pageProblems(path, tx)
		})
	}
	rep.Took = time.Since(start)
	if err != nil {
		return rep, err
	}
	if large {
		fmt.Fprintf(progress, "数据文件检查完毕：%d 条记录，用时 %s。\n", rep.Records, rep.Took.Round(time.Millisecond))
	}
	return rep, nil
}

// inspect opens the file with opts and runs fn in a read transaction, all under guard; an
// error of fn's that is no *DamagedError (a record that does not decode) is made one, unless
// the check was cancelled.
func inspect(path string, opts *bbolt.Options, fn func(*bbolt.Tx) error) error {
	db, err := openGuarded(path, opts)
	if err != nil {
		return err
	}
	err = guard(path, func() error { return db.View(fn) })
	if cerr := closeDB(db, err != nil); err == nil && cerr != nil {
		return fmt.Errorf("check %s: %w", path, cerr)
	}
	var damaged *DamagedError
	if err == nil || errors.As(err, &damaged) || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	return &DamagedError{Path: path, Problem: err.Error()}
}

// closeDB closes db, waiting no more than a second when it met damage: a panic inside bbolt
// may have left its locks held, and the file is then left to the process's end.
func closeDB(db *bbolt.DB, damaged bool) error {
	if !damaged {
		return db.Close()
	}
	done := make(chan error, 1)
	go func() { done <- db.Close() }()
	select {
	case err := <-done:
		return err
	case <-time.After(time.Second):
		return errors.New("the damaged file stays open until the program ends")
	}
}

// openGuarded opens a bbolt file under guard. A file bbolt refuses as no database of its own,
// or cannot read the first pages of, is damaged.
func openGuarded(path string, opts *bbolt.Options) (db *bbolt.DB, err error) {
	err = guard(path, func() error {
		var err error
		db, err = bbolt.Open(path, 0o600, opts)
		return err
	})
	switch {
	case err == nil:
		return db, nil
	case errors.Is(err, ErrDamaged):
		return nil, err
	case errors.Is(err, berrors.ErrTimeout):
		return nil, fmt.Errorf("open store %s: %w (waited %s): %w", path, ErrInUse, opts.Timeout, err)
	case errors.Is(err, fs.ErrNotExist), errors.Is(err, fs.ErrPermission):
		return nil, fmt.Errorf("open store %s: %w", path, err)
	case opts.ReadOnly:
		// The file exists, may be read and is not locked: what bbolt refuses is its content.
		return nil, &DamagedError{Path: path, Problem: err.Error()}
	}
	return nil, fmt.Errorf("open store %s: %w", path, err)
}

// guard runs fn, turning a panic into a *DamagedError of path: bbolt panics on a page it
// cannot read, and reading past the end of a truncated file's mapping faults, which
// SetPanicOnFault makes a panic of this goroutine rather than the end of the process.
func guard(path string, fn func() error) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true))
	defer func() {
		if p := recover(); p != nil {
			err = &DamagedError{Path: path, Problem: fmt.Sprint("读取时出错：", p)}
		}
	}()
	return fn()
}

// pageProblems runs bbolt's consistency check and reports the first problems it finds.
func pageProblems(path string, tx *bbolt.Tx) error {
	var problems []string
	n := 0
	for err := range tx.Check() {
		n++
		if len(problems) < 3 {
			problems = append(problems, err.Error())
		}
	}
	if n == 0 {
		return nil
	}
	p := strings.Join(problems, "；")
	if n > len(problems) {
		p += fmt.Sprintf("；另有 %d 处", n-len(problems))
	}
	return &DamagedError{Path: path, Problem: p}
}

// An encoding is how the values of a bucket are written, for decodeEvery.
type encoding int

const (
	rawBytes   encoding = iota // ids, schema strings, nothing: any bytes will do
	jsonRecord                 // a record as JSON
	binaryTime                 // time.MarshalBinary
	headRecord                 // a submission head (heads.go)
)

// encodings says how each bucket's values are written. Every bucket of allBuckets is listed
// (TestCheckKnowsEveryBucket): a bucket added without its encoding would go unchecked.
var encodings = map[string]encoding{
	string(bucketMeta): rawBytes, string(bucketEnterprises): jsonRecord, string(bucketContacts): jsonRecord,
	string(bucketInvites): jsonRecord, string(bucketSessions): jsonRecord, string(bucketDrafts): jsonRecord,
	string(bucketSubmissions): jsonRecord, string(bucketHandled): binaryTime, string(bucketHeads): headRecord,
	string(bucketGroups): jsonRecord, string(bucketBindFailures): jsonRecord, string(bucketAudit): jsonRecord,
	string(bucketOutbox): jsonRecord, string(bucketOutboxPending): rawBytes, string(bucketOutboxSent): rawBytes,
	string(bucketClaims): binaryTime, string(bucketHandledAt): rawBytes, string(bucketMonthlyNotes): jsonRecord,
	string(bucketIdentities): jsonRecord, string(bucketOutboxUrgent): rawBytes, string(bucketOutboxFailed): rawBytes,
	string(bucketWrongCodes): rawBytes, string(bucketBindLocks): binaryTime,
	string(bucketTurnIDs): rawBytes, // format 3, upgraded on open
}

// decodeEvery decodes every value of every bucket by its encoding and returns how many there
// were. Heads are decoded only when they are in this program's encoding: others are rebuilt
// from the submissions on open.
func decodeEvery(ctx context.Context, tx *bbolt.Tx) (int, error) {
	n := 0
	headsCurrent := false
	if meta := tx.Bucket(bucketMeta); meta != nil {
		headsCurrent = bytes.Equal(meta.Get(keyHeads), []byte(headsFormat))
	}
	err := tx.ForEach(func(name []byte, b *bbolt.Bucket) error {
		enc := encodings[string(name)]
		if enc == headRecord && !headsCurrent {
			enc = rawBytes
		}
		return b.ForEach(func(k, v []byte) error {
			n++
			if n%65536 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
			}
			if v == nil {
				return nil // a nested bucket: none are used
			}
			if err := decodeValue(enc, k, v); err != nil {
				return fmt.Errorf("%s 中的记录 %q 读不出：%v", name, printable(k), err)
			}
			return nil
		})
	})
	return n, err
}

func decodeValue(enc encoding, k, v []byte) error {
	switch enc {
	case jsonRecord:
		if len(v) == 0 || (v[0] != '{' && v[0] != '[') || !json.Valid(v) {
			return errors.New("不是完整的 JSON")
		}
	case binaryTime:
		var t time.Time
		return t.UnmarshalBinary(v)
	case headRecord:
		_, err := decodeHead(k, v)
		return err
	}
	return nil
}

// printable shows a key for an operator: binary time keys as hex, at most 60 bytes.
func printable(k []byte) string {
	if len(k) > 60 {
		k = k[:60]
	}
	for _, c := range k {
		if c < 0x20 && c != 0 {
			return fmt.Sprintf("%x", k)
		}
	}
	return strings.ReplaceAll(string(k), "\x00", "/")
}

// failure is a store found damaged while it ran: the first such error, after which every
// write is refused, so that a damaged file is never written to.
type failure struct {
	mu  sync.Mutex
	err error
}

func (f *failure) get() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.err
}

// set records err as the store's failure when it is a *DamagedError, and returns err.
func (f *failure) set(err error) error {
	if errors.Is(err, ErrDamaged) {
		f.mu.Lock()
		if f.err == nil {
			f.err = err
		}
		f.mu.Unlock()
	}
	return err
}
