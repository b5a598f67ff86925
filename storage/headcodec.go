package storage

import (
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"innobot/survey"
)

// The backends keep an index of submission heads that the ledger reads one per enterprise
// over 10,000 enterprises; as JSON, decoding them was most of that time. This is their
// compact encoding, one for both backends. The value is, in order: SubmittedBy (uvarint
// length, bytes); SubmittedAt (varint Unix seconds, uvarint nanoseconds; read back in UTC);
// a flag byte (1 HasInstitution, 2 HasRD, 4 HasInnovation); varint Institutions, Projects;
// 16 reserved bytes; varint Activities; Plan, Industry, Ownership as strings. The reserved
// bytes once held sums of R&D staff and costs that counted projects twice (they are part of
// their institutions'): they are written as zeros and skipped, so the indexes written before
// read as they are, with no rebuild. EnterpriseID, Period and Version are the backend's to keep (in its keys). A field
// added to Head or survey.Facts must be added here, and each backend must then change the
// format tag it stores so that older indexes are rebuilt from their submissions.

// reservedHead is the size of the reserved bytes.
const reservedHead = 16

const (
	flagInstitution = 1 << iota
	flagRD
	flagInnovation
)

// AppendHeadValue appends the encoding of h's value (all but EnterpriseID, Period, Version).
func AppendHeadValue(buf []byte, h Head) []byte {
	buf = appendString(buf, h.SubmittedBy)
	buf = binary.AppendVarint(buf, h.SubmittedAt.Unix())
	buf = binary.AppendUvarint(buf, uint64(h.SubmittedAt.Nanosecond()))
	f := h.Facts
	var flags byte
	if f.HasInstitution {
		flags |= flagInstitution
	}
	if f.HasRD {
		flags |= flagRD
	}
	if f.HasInnovation {
		flags |= flagInnovation
	}
	buf = append(buf, flags)
	buf = binary.AppendVarint(buf, int64(f.Institutions))
	buf = binary.AppendVarint(buf, int64(f.Projects))
	buf = append(buf, make([]byte, reservedHead)...)
	buf = binary.AppendVarint(buf, int64(f.Activities))
	buf = appendString(buf, f.Plan)
	buf = appendString(buf, f.Industry)
	buf = appendString(buf, f.Ownership)
	return buf
}

func appendString(buf []byte, s string) []byte {
	buf = binary.AppendUvarint(buf, uint64(len(s)))
	return append(buf, s...)
}

// ReadHeadValue decodes what AppendHeadValue wrote into h's value fields. intern, when set,
// turns the industry and ownership bytes into strings, so a caller decoding thousands of
// heads can share the few distinct ones.
func ReadHeadValue(b []byte, h *Head, intern func([]byte) string) error {
	if intern == nil {
		intern = func(b []byte) string { return string(b) }
	}
	r := headReader{b: b}
	h.SubmittedBy = string(r.bytes())
	sec := r.varint()
	nsec := r.uvarint()
	if nsec >= uint64(time.Second) {
		r.fail()
	}
	h.SubmittedAt = time.Unix(sec, int64(nsec)).UTC()
	flags := r.byte()
	h.Facts = survey.Facts{
		HasInstitution: flags&flagInstitution != 0,
		HasRD:          flags&flagRD != 0,
		HasInnovation:  flags&flagInnovation != 0,
		Institutions:   int(r.varint()),
		Projects:       int(r.varint()),
	}
	r.skip(reservedHead)
	h.Facts.Activities = int(r.varint())
	h.Facts.Plan = string(r.bytes())
	h.Facts.Industry = intern(r.bytes())
	h.Facts.Ownership = intern(r.bytes())
	if r.err == nil && len(r.b) != 0 {
		r.err = fmt.Errorf("%d bytes after the head", len(r.b))
	}
	return r.err
}

// headReader reads a head value; the first error sticks and later reads return zeros.
type headReader struct {
	b   []byte
	err error
}

func (r *headReader) fail() {
	if r.err == nil {
		r.err = errors.New("truncated or corrupt head")
	}
	r.b = nil
}

func (r *headReader) varint() int64 {
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *headReader) uvarint() uint64 {
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.fail()
		return 0
	}
	r.b = r.b[n:]
	return v
}

// bytes returns a length-prefixed string of the value, valid as long as the value.
func (r *headReader) bytes() []byte {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail()
		return nil
	}
	b := r.b[:n]
	r.b = r.b[n:]
	return b
}

func (r *headReader) byte() byte {
	if len(r.b) < 1 {
		r.fail()
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

func (r *headReader) skip(n int) {
	if len(r.b) < n {
		r.fail()
		return
	}
	r.b = r.b[n:]
}
