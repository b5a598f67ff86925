package storage

import (
	"encoding/json"
	"fmt"

	"innobot/internal/jsonx"
	"innobot/survey"
)

// The records a turn writes (session, draft, submission) are JSON in both backends. A turn
// encodes its whole draft and decodes a session, and encoding/json's reflection was most of a
// turn's time, so these functions write and read them by hand. They write exactly what
// json.Marshal writes and read what json.Unmarshal reads: input they do not read themselves
// (written by hand, by an older version, with a field they do not know) goes to
// encoding/json, so the result is always the same.

// AppendSession appends s as json.Marshal writes it.
func AppendSession(b []byte, s Session) ([]byte, error) {
	b = append(b, '{')
	b = jsonx.AppendKey(b, "contact_id")
	b = jsonx.AppendString(b, s.ContactID)
	b = jsonx.AppendKey(b, "version")
	b = jsonx.AppendInt(b, s.Version)
	b = appendOptional(b, "state", s.State)
	b = appendOptional(b, "enterprise_id", s.EnterpriseID)
	b = appendOptional(b, "period", s.Period)
	b = appendOptional(b, "cursor", s.Cursor)
	if s.Pending != nil {
		b = jsonx.AppendKey(b, "pending")
		b = s.Pending.AppendJSON(b)
	}
	b = jsonx.AppendKey(b, "updated_at")
	b, err := jsonx.AppendTime(b, s.UpdatedAt)
	if err != nil {
		return nil, fmt.Errorf("encode session: %w", err)
	}
	if len(s.Recent) > 0 {
		b = jsonx.AppendKey(b, "recent")
		b = append(b, '[')
		for i, id := range s.Recent {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonx.AppendString(b, id)
		}
		b = append(b, ']')
	}
	return append(b, '}'), nil
}

// DecodeSession reads a session into a zero Session.
func DecodeSession(data []byte) (Session, error) {
	r := jsonx.NewReader(data)
	var s Session
	var seen uint32
	for i := 0; r.Member(i); i++ {
		switch string(r.Key()) {
		case "contact_id":
			r.Once(&seen, 1<<0)
			s.ContactID = r.String()
		case "version":
			r.Once(&seen, 1<<1)
			s.Version = r.Int(64)
		case "state":
			r.Once(&seen, 1<<2)
			s.State = r.String()
		case "enterprise_id":
			r.Once(&seen, 1<<3)
			s.EnterpriseID = r.String()
		case "period":
			r.Once(&seen, 1<<4)
			s.Period = r.String()
		case "cursor":
			r.Once(&seen, 1<<5)
			s.Cursor = r.String()
		case "pending":
			r.Once(&seen, 1<<6)
			if !r.Null() {
				v := survey.ReadValue(r)
				s.Pending = &v
			}
		case "updated_at":
			r.Once(&seen, 1<<7)
			s.UpdatedAt = r.Time()
		case "recent":
			r.Once(&seen, 1<<8)
			s.Recent = r.Strings()
		default:
			r.Fail(jsonx.ErrUnsupported)
		}
	}
	if r.End() == nil {
		return s, nil
	}
	return decodeJSON[Session](data)
}

// AppendDraft appends d as json.Marshal writes it.
func AppendDraft(b []byte, d Draft) ([]byte, error) { return AppendDraftCarried(b, d, nil) }

// AppendDraftCarried is AppendDraft with d.Carried already encoded by its AppendJSON (nil: not
// encoded yet). A monthly update carries the same answers at every turn, half of the draft,
// and a store that kept their encoding need not write it out again.
func AppendDraftCarried(b []byte, d Draft, carried []byte) ([]byte, error) {
	b = append(b, '{')
	b = jsonx.AppendKey(b, "enterprise_id")
	b = jsonx.AppendString(b, d.EnterpriseID)
	b = jsonx.AppendKey(b, "period")
	b = jsonx.AppendString(b, d.Period)
	b = jsonx.AppendKey(b, "answers")
	b = d.Answers.AppendJSON(b)
	if len(d.Carried) > 0 {
		b = jsonx.AppendKey(b, "carried")
		if carried != nil {
			b = append(b, carried...)
		} else {
			b = d.Carried.AppendJSON(b)
		}
	}
	b = jsonx.AppendKey(b, "updated_by")
	b = jsonx.AppendString(b, d.UpdatedBy)
	b = jsonx.AppendKey(b, "updated_at")
	b, err := jsonx.AppendTime(b, d.UpdatedAt)
	if err != nil {
		return nil, fmt.Errorf("encode draft: %w", err)
	}
	return append(b, '}'), nil
}

// DecodeDraft reads a draft into a zero Draft.
func DecodeDraft(data []byte) (Draft, error) {
	r := jsonx.NewReader(data)
	var d Draft
	var seen uint32
	for i := 0; r.Member(i); i++ {
		switch string(r.Key()) {
		case "enterprise_id":
			r.Once(&seen, 1<<0)
			d.EnterpriseID = r.String()
		case "period":
			r.Once(&seen, 1<<1)
			d.Period = r.String()
		case "answers":
			r.Once(&seen, 1<<2)
			d.Answers = survey.ReadAnswers(r)
		case "carried":
			r.Once(&seen, 1<<3)
			d.Carried = survey.ReadAnswers(r)
		case "updated_by":
			r.Once(&seen, 1<<4)
			d.UpdatedBy = r.String()
		case "updated_at":
			r.Once(&seen, 1<<5)
			d.UpdatedAt = r.Time()
		default:
			r.Fail(jsonx.ErrUnsupported)
		}
	}
	if r.End() == nil {
		return d, nil
	}
	return decodeJSON[Draft](data)
}

// AppendSubmission appends s as json.Marshal writes it.
func AppendSubmission(b []byte, s Submission) ([]byte, error) {
	b = append(b, '{')
	b = jsonx.AppendKey(b, "enterprise_id")
	b = jsonx.AppendString(b, s.EnterpriseID)
	b = jsonx.AppendKey(b, "period")
	b = jsonx.AppendString(b, s.Period)
	b = jsonx.AppendKey(b, "version")
	b = jsonx.AppendInt(b, int64(s.Version))
	b = jsonx.AppendKey(b, "form")
	b = jsonx.AppendString(b, s.Form)
	b = jsonx.AppendKey(b, "answers")
	b = s.Answers.AppendJSON(b)
	b = jsonx.AppendKey(b, "submitted_by")
	b = jsonx.AppendString(b, s.SubmittedBy)
	b = jsonx.AppendKey(b, "submitted_at")
	b, err := jsonx.AppendTime(b, s.SubmittedAt)
	if err != nil {
		return nil, fmt.Errorf("encode submission: %w", err)
	}
	b = jsonx.AppendKey(b, "facts")
	b = s.Facts.AppendJSON(b)
	return append(b, '}'), nil
}

// DecodeSubmission reads a submission into a zero Submission.
func DecodeSubmission(data []byte) (Submission, error) {
	r := jsonx.NewReader(data)
	var s Submission
	var seen uint32
	for i := 0; r.Member(i); i++ {
		switch string(r.Key()) {
		case "enterprise_id":
			r.Once(&seen, 1<<0)
			s.EnterpriseID = r.String()
		case "period":
			r.Once(&seen, 1<<1)
			s.Period = r.String()
		case "version":
			r.Once(&seen, 1<<2)
			s.Version = int(r.Int(64))
		case "form":
			r.Once(&seen, 1<<3)
			s.Form = r.String()
		case "answers":
			r.Once(&seen, 1<<4)
			s.Answers = survey.ReadAnswers(r)
		case "submitted_by":
			r.Once(&seen, 1<<5)
			s.SubmittedBy = r.String()
		case "submitted_at":
			r.Once(&seen, 1<<6)
			s.SubmittedAt = r.Time()
		case "facts":
			r.Once(&seen, 1<<7)
			s.Facts = survey.ReadFacts(r)
		default:
			r.Fail(jsonx.ErrUnsupported)
		}
	}
	if r.End() == nil {
		return s, nil
	}
	return decodeJSON[Submission](data)
}

func appendOptional(b []byte, name, v string) []byte {
	if v == "" {
		return b
	}
	b = jsonx.AppendKey(b, name)
	return jsonx.AppendString(b, v)
}

// decodeJSON is the fallback: encoding/json into a zero value.
func decodeJSON[T any](data []byte) (T, error) {
	var v T
	if err := json.Unmarshal(data, &v); err != nil {
		var zero T
		return zero, err
	}
	return v, nil
}
