package ledger

import (
	"archive/zip"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/richardlehane/mscfb"
	"github.com/xuri/excelize/v2"
)

// Limits on a workbook sent in chat. A filled 附件3 is a few dozen kB and the enterprise list
// of a whole city a few MB, so anything larger is a mistake or an attack, refused unread.
const (
	// MaxUpload is the largest file read.
	MaxUpload = 5 << 20
	// maxUnzipped bounds what a workbook may unpack to: a zip bomb of a few kB can claim
	// gigabytes, and the zip reader holds every part to its declared size.
	maxUnzipped = 64 << 20
	// maxParts bounds the parts of a workbook; a real one has a few dozen.
	maxParts = 2000
)

// FileError is a file refused whole. Reason is the reply for the person who sent it: what is
// wrong and what to send instead.
type FileError struct{ Reason string }

// Error returns the reason.
func (e *FileError) Error() string { return e.Reason }

func refuse(format string, args ...any) error {
	return &FileError{Reason: fmt.Sprintf(format, args...)}
}

// Reasons a file is refused, shared by the survey reader and the chat's list import.
var (
	errNotWorkbook = refuse("这个文件不是 Excel 工作簿（.xlsx），没有读取。请发送 .xlsx 文件。")
	errPassword    = refuse("这个工作簿设了打开密码，无法读取。请在 Excel 或 WPS 中取消密码后重新发送。")
	errOldXLS      = refuse("这是旧版 .xls 文件，暂不能读取。请在 Excel 或 WPS 中“另存为” .xlsx（Excel 工作簿）后重新发送。")
	errTooBig      = refuse("文件超过 %d MB，没有读取。请只发送需要的表格。", MaxUpload>>20)
	errUnzipped    = refuse("文件解压后超过 %d MB，不是正常的表格，没有读取。", maxUnzipped>>20)
	errBroken      = refuse("文件已损坏或格式不对，无法读取。请在 Excel 或 WPS 中重新保存为 .xlsx 后再发送。")
)

// ReadUpload reads at most MaxUpload bytes of a received file, refusing a larger one with a
// FileError, so that nothing bigger is ever held in memory.
func ReadUpload(r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxUpload+1))
	if err != nil {
		return nil, fmt.Errorf("read upload: %w", err)
	}
	if len(data) > MaxUpload {
		return nil, errTooBig
	}
	return data, nil
}

// oleMagic starts an OLE compound file: an encrypted OOXML workbook, or a binary .xls/.doc.
var oleMagic = []byte{0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1}

// Workbook is an opened .xlsx and what was noticed about it on the way.
type Workbook struct {
	*excelize.File
	// Macros is true when the workbook carries a VBA project; it is never run, only read
	// past.
	Macros bool
}

// OpenWorkbook opens an .xlsx (or .xlsm) from its bytes after checking, before excelize sees
// it, that it is one: not an encrypted or old binary file, not over MaxUpload, and not
// unpacking to more than maxUnzipped. Every refusal is a *FileError.
func OpenWorkbook(data []byte) (*Workbook, error) {
	if len(data) > MaxUpload {
		return nil, errTooBig
	}
	if bytes.HasPrefix(data, oleMagic) {
		return nil, compoundFile(data)
	}
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, errNotWorkbook
	}
	if len(zr.File) > maxParts {
		return nil, errUnzipped
	}
	var total uint64
	book, macros := false, false
	for _, f := range zr.File {
		total += f.UncompressedSize64
		name := strings.ToLower(strings.ReplaceAll(f.Name, "\\", "/"))
		book = book || name == "xl/workbook.xml"
		macros = macros || strings.HasSuffix(name, "vbaproject.bin")
	}
	if total > maxUnzipped {
		return nil, errUnzipped
	}
	if !book {
		return nil, errNotWorkbook
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit: maxUnzipped, UnzipXMLSizeLimit: maxUnzipped,
	})
	if err != nil {
		if f != nil {
			f.Close()
		}
		return nil, errBroken
	}
	return &Workbook{File: f, Macros: macros}, nil
}

// compoundFile says what an OLE compound file is: Excel keeps an encrypted workbook in one
// (streams EncryptionInfo and EncryptedPackage), and a pre-2007 .xls is one (stream Workbook
// or Book).
func compoundFile(data []byte) error {
	r, err := mscfb.New(bytes.NewReader(data))
	if err != nil {
		return errNotWorkbook
	}
	xls := false
	for i := 0; i < 10000; i++ {
		e, err := r.Next()
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return errNotWorkbook
		}
		switch e.Name {
		case "EncryptionInfo", "EncryptedPackage":
			return errPassword
		case "Workbook", "Book":
			xls = true
		}
	}
	if xls {
		return errOldXLS
	}
	return errNotWorkbook
}
