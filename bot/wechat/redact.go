package wechat

import (
	"context"
	"log/slog"
	"regexp"
)

// secrets finds the session secrets WeChat's URLs, cookies and login page carry: in a query
// (…&pass_ticket=…), a cookie (wxsid=…), XML (<skey>…</skey>) or JSON ("Sid":"…"). Go's HTTP
// client puts the whole URL into its errors, so without this a failed sync check would log, and
// /healthz would serve, everything needed to take the session over.
var secrets = []*regexp.Regexp{
	regexp.MustCompile(`(?i)\b(pass_ticket|skey|sid|wxsid|uin|wxuin|webwx_data_ticket|webwx_auth_ticket|deviceid|ticket|synckey|wxloadtime|mm_lang)=[^&\s"';,)]+`),
	regexp.MustCompile(`(?i)<(skey|wxsid|wxuin|pass_ticket)>[^<]*</`),
	regexp.MustCompile(`(?i)"(skey|sid|uin|pass_ticket|deviceid)"\s*:\s*("[^"]*"|\d+)`),
}

// redact removes session secrets from a text meant for logs, errors kept in the store, or
// /healthz.
func redact(s string) string {
	s = secrets[0].ReplaceAllString(s, "${1}=…")
	s = secrets[1].ReplaceAllString(s, "<${1}>…</")
	return secrets[2].ReplaceAllString(s, `"${1}":"…"`)
}

// redactedError is an error whose text had its secrets removed; errors.Is and errors.As still
// see the original.
type redactedError struct {
	err error
	msg string
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// redactErr returns err with the secrets removed from its text; nil stays nil.
func redactErr(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	if clean := redact(msg); clean != msg {
		return &redactedError{err: err, msg: clean}
	}
	return err
}

// redacting is a slog.Handler that removes session secrets from the message and from every
// attribute, errors included, before the handler under it sees them: whatever is logged, by
// this package or through it, cannot leak a session.
type redacting struct{ h slog.Handler }

func (r redacting) Enabled(ctx context.Context, l slog.Level) bool { return r.h.Enabled(ctx, l) }

func (r redacting) Handle(ctx context.Context, rec slog.Record) error {
	out := slog.NewRecord(rec.Time, rec.Level, redact(rec.Message), rec.PC)
	rec.Attrs(func(a slog.Attr) bool {
		out.AddAttrs(redactAttr(a))
		return true
	})
	return r.h.Handle(ctx, out)
}

func (r redacting) WithAttrs(as []slog.Attr) slog.Handler {
	clean := make([]slog.Attr, len(as))
	for i, a := range as {
		clean[i] = redactAttr(a)
	}
	return redacting{r.h.WithAttrs(clean)}
}

func (r redacting) WithGroup(name string) slog.Handler { return redacting{r.h.WithGroup(name)} }

func redactAttr(a slog.Attr) slog.Attr {
	v := a.Value.Resolve()
	switch v.Kind() {
	case slog.KindString:
		return slog.String(a.Key, redact(v.String()))
	case slog.KindGroup:
		as := v.Group()
		clean := make([]any, len(as))
		for i, x := range as {
			clean[i] = redactAttr(x)
		}
		return slog.Group(a.Key, clean...)
	case slog.KindAny:
		if err, ok := v.Any().(error); ok {
			return slog.String(a.Key, redact(err.Error()))
		}
		return slog.String(a.Key, redact(v.String()))
	}
	return a
}
