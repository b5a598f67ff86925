package assistant

import (
	"fmt"

	"innobot/ledger"
	"innobot/storage"
)

// Scope is what a contact, or a bound group, may see: the ledger's view (the whole city, one
// 县（市、区）, or a helper's enterprises) and whether phone numbers may show, which they never
// do in a group chat.
type Scope struct {
	ledger.Scope
	Phones bool
}

// Target is what a command names (a region, an enterprise, or nothing), resolved before the
// scope check so that handlers never check rights themselves.
type Target struct {
	Region     string
	Enterprise *storage.Enterprise
	// City is set when the command named the whole city (进度 全市), which only the city
	// office's scope allows.
	City bool
}

// scopeOf is the scope of a contact's role in a private chat; ok is false for roles that see
// no ledger (liaisons, unbound contacts).
func scopeOf(c storage.Contact) (Scope, bool) {
	s, ok := ledger.ScopeOf(c)
	return Scope{Scope: s, Phones: true}, ok
}

// groupScope is the scope of a bound group: its region, without phone numbers.
func groupScope(g storage.Group) Scope { return Scope{Scope: ledger.Region(g.Region)} }

// Allows reports whether the target lies within the scope.
func (s Scope) Allows(t Target) bool {
	switch {
	case t.Enterprise != nil:
		return s.Contains(*t.Enterprise)
	case t.Region != "":
		_, err := s.Scope.Narrow(t.Region)
		return err == nil
	case t.City:
		return s.Kind == ledger.ScopeCity
	}
	return true
}

// Narrow is the scope a command works in once its target is allowed: the named region,
// else the whole scope (an enterprise target is passed to the handler as it is).
func (s Scope) Narrow(t Target) Scope {
	if t.Region != "" {
		if n, err := s.Scope.Narrow(t.Region); err == nil {
			return Scope{Scope: n, Phones: s.Phones}
		}
	}
	return s
}

// Filter keeps the enterprises within the scope.
func (s Scope) Filter(es []storage.Enterprise) []storage.Enterprise {
	var out []storage.Enterprise
	for _, e := range es {
		if s.Contains(e) {
			out = append(out, e)
		}
	}
	return out
}

// label names what a command was about in the audit: the target it named, else the scope it
// worked in.
func (t Target) label(scope Scope) string {
	switch {
	case t.Enterprise != nil:
		return fmt.Sprintf("【%s】（%s）", t.Enterprise.Name, t.Enterprise.ID)
	case t.Region != "":
		return t.Region
	case t.City:
		return "全市"
	}
	return scope.label()
}

// label names a scope in the audit.
func (s Scope) label() string {
	switch s.Kind {
	case ledger.ScopeCity:
		return "全市"
	case ledger.ScopeRegion:
		return s.Region
	}
	return "负责的企业"
}

// words names a scope in a reply.
func (s Scope) words() string {
	switch s.Kind {
	case ledger.ScopeCity:
		return "全市"
	case ledger.ScopeRegion:
		return s.Region
	}
	return "您负责的企业"
}
