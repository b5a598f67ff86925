package assistant

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"innobot/bot"
	"innobot/dialog"
	"innobot/ledger"
	"innobot/roster"
	"innobot/storage"
)

// importTTL is how long a planned list import waits for 确认导入.
const importTTL = 30 * time.Minute

// pendingImport is an enterprise list the city office sent, read and checked, waiting for
// 确认导入. Only the rows are kept: the plan is made again against the store at the moment
// of writing, so that nothing written in between is overwritten blindly.
type pendingImport struct {
	file    string
	rows    []roster.Row
	expires time.Time
}

// files takes a file sent in private chat to what reads it, by the sender's role: a liaison's
// filled 附件3 becomes a survey draft, the city office's enterprise list an import to
// confirm. A file refused whole (ledger.FileError: not a workbook, too big …) is answered
// with the reason under its name, so that two files refused in turn are told apart. Other
// messages go on.
func (s *Service) files(next bot.Handler) bot.Handler {
	return bot.HandlerFunc(func(ctx context.Context, w bot.Replier, m *bot.Message) error {
		if m.Kind != bot.KindFile {
			return next.ServeMessage(ctx, w, m)
		}
		name := ""
		if m.File != nil {
			name = m.File.Name
		}
		var err error
		switch ContactFrom(ctx).Role {
		case storage.RoleLiaison:
			err = s.surveyFile(ctx, w, m)
		case storage.RoleCityOffice:
			err = s.listFile(ctx, w, m)
		case storage.RoleNone:
			w.Reply(fmt.Sprintf("收到文件《%s》。请先绑定再发送调查表：发送“绑定 邀请码”，邀请码由所在县（市、区）工作人员提供。", name))
		default:
			w.Reply(fmt.Sprintf("收到文件《%s》。我只读取联络人发来的调查表和市办发来的企业名单；要查看填报情况，请回复“帮助”。", name))
		}
		var refused *ledger.FileError
		if errors.As(err, &refused) {
			w.Reply(fmt.Sprintf("《%s》：%s", name, refused.Reason))
			return nil
		}
		return err
	})
}

// fileData reads a received file, at most ledger.MaxUpload of it.
func fileData(f *bot.File) ([]byte, error) {
	if f == nil || f.Path == "" {
		return nil, &ledger.FileError{Reason: fmt.Sprintf("文件没有收到（可能超过 %d MB 或下载失败），请重新发送。", ledger.MaxUpload>>20)}
	}
	r, err := os.Open(f.Path)
	if err != nil {
		return nil, fmt.Errorf("open a received file: %w", err)
	}
	defer r.Close()
	data, err := ledger.ReadUpload(r)
	if err != nil {
		return nil, fmt.Errorf("read a received file: %w", err)
	}
	return data, nil
}

// surveyFile reads a liaison's filled 附件3 and hands it to the dialog, through the same turn
// as a typed answer. A file that is refused changes nothing.
func (s *Service) surveyFile(ctx context.Context, w bot.Replier, m *bot.Message) error {
	data, err := fileData(m.File)
	if err != nil {
		return err
	}
	sf, err := ledger.ReadSurvey(data, s.Form)
	if err != nil {
		return fmt.Errorf("read a survey file: %w", err)
	}
	u := dialog.Upload{Name: m.File.Name, Enterprise: sf.Enterprise, Answers: sf.Answers, Notes: sf.Notes}
	for _, p := range sf.Problems {
		u.Problems = append(u.Problems, p.String())
	}
	return s.converse(ctx, w, m, func(conv dialog.Conversation, now time.Time) dialog.Result {
		return dialog.HandleUpload(conv, u, now)
	})
}

// listFile reads the city office's enterprise list and reports what importing it would do,
// with the same checks as `innobot import --dry-run`; 确认导入 writes it.
func (s *Service) listFile(ctx context.Context, w bot.Replier, m *bot.Message) error {
	data, err := fileData(m.File)
	if err != nil {
		return err
	}
	name := m.File.Name
	switch strings.ToLower(filepath.Ext(name)) {
	case ".xlsx", ".xlsm":
		// The same refusals as for a survey, before the list reader opens it.
		wb, err := ledger.OpenWorkbook(data)
		if err != nil {
			return fmt.Errorf("open a list: %w", err)
		}
		wb.Close()
	}
	rows, err := roster.Read(name, bytes.NewReader(data))
	if err != nil {
		w.Reply(fmt.Sprintf("《%s》无法导入：%v。没有改动任何数据。", name, err))
		return nil
	}
	existing, err := s.Store.Enterprises(ctx)
	if err != nil {
		return fmt.Errorf("list enterprises: %w", err)
	}
	cs := roster.Plan(rows, existing, s.Regions)
	if len(cs.Added)+len(cs.Updated) == 0 {
		report := strings.TrimRight(cs.Report(name, true), "\n")
		if len(cs.Rejected) == 0 {
			report += "\n名单与已有数据一致，没有需要写入的改动。"
		}
		w.Reply(report)
		return nil
	}
	s.mu.Lock()
	if s.imports == nil {
		s.imports = map[string]pendingImport{}
	}
	s.imports[m.From] = pendingImport{file: name, rows: rows, expires: s.Clock.Now().Add(importTTL)}
	s.mu.Unlock()
	w.Reply("企业名单还没有导入，以下是检查结果：\n" + strings.TrimRight(cs.Report(name, true), "\n") +
		fmt.Sprintf("\n\n确认无误请在 %d 分钟内回复“确认导入”；不导入请忽略本消息。", int(importTTL/time.Minute)))
	return nil
}

// importGoAheads are the short replies that confirm a checked list as 确认导入 does, read
// only while one waits: the check reply ends with 确认无误…, and a hurried clerk answers 确认.
var importGoAheads = []string{"确认", "确定", "导入", "确认无误", "无误", "确定导入", "可以导入", "导入吧"}

// importWaiting reports whether a list the contact sent waits for 确认导入.
func (s *Service) importWaiting(contact string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	p, ok := s.imports[contact]
	return ok && !s.Clock.Now().After(p.expires)
}

// confirmImport writes the list the contact sent last, planned again against the store as it
// is now.
func (s *Service) confirmImport(ctx context.Context, w bot.Replier, r *Request) error {
	s.mu.Lock()
	p, ok := s.imports[r.Contact.ID]
	delete(s.imports, r.Contact.ID)
	s.mu.Unlock()
	if !ok || s.Clock.Now().After(p.expires) {
		w.Reply("没有等待导入的企业名单。请先把名单（.xlsx 或 .csv）发给我，检查后再回复“确认导入”。")
		return errBadArgs
	}
	existing, err := s.Store.Enterprises(ctx)
	if err != nil {
		return fmt.Errorf("list enterprises: %w", err)
	}
	cs := roster.Plan(p.rows, existing, s.Regions)
	cs.At = s.Clock.Now()
	r.detail = fmt.Sprintf("%s：新增 %d，更新 %d，拒绝 %d", p.file, len(cs.Added), len(cs.Updated), len(cs.Rejected))
	if err := roster.Apply(ctx, s.Store, cs); err != nil {
		return fmt.Errorf("import %s: %w", p.file, err)
	}
	w.Reply(strings.TrimRight(cs.Report(p.file, false), "\n"))
	return nil
}
