package bot

import (
	"slices"

	"innobot/storage"
)

// Scope is what a contact, or a bound group, may see: the whole city, one region (县（市、区）),
// or a helper's named enterprises. Phones is false in group chats, where phone numbers must
// never show.
type Scope struct {
	All         bool
	Region      string
	Enterprises []string
	Phones      bool
}

// Target is what a command names (a region, an enterprise, or nothing), resolved before the
// scope check so that handlers never check rights themselves.
type Target struct {
	Region     string
	Enterprise *storage.Enterprise
}

// scopeOf is the scope of a contact's role in a private chat; ok is false for roles that see
// no ledger (liaisons, unbound contacts).
func scopeOf(c storage.Contact) (Scope, bool) {
	switch c.Role {
	case storage.RoleCityOffice:
		return Scope{All: true, Phones: true}, true
	case storage.RoleCounty:
		return Scope{Region: c.Region, Phones: true}, true
	case storage.RoleHelper:
		return Scope{Enterprises: slices.Clone(c.EnterpriseIDs), Phones: true}, true
	}
	return Scope{}, false
}

// groupScope is the scope of a bound group: its region, without phone numbers.
func groupScope(g storage.Group) Scope { return Scope{Region: g.Region} }

// Allows reports whether the target lies within the scope.
func (s Scope) Allows(t Target) bool {
	switch {
	case s.All:
		return true
	case t.Enterprise != nil:
		return s.Has(*t.Enterprise)
	case t.Region != "":
		return s.Region == t.Region
	}
	return true
}

// Has reports whether an enterprise lies within the scope.
func (s Scope) Has(e storage.Enterprise) bool {
	switch {
	case s.All:
		return true
	case s.Region != "":
		return e.Region == s.Region
	}
	return slices.Contains(s.Enterprises, e.ID)
}

// Narrow is the scope a command works in once its target is allowed: the named region or
// enterprise, else the whole scope.
func (s Scope) Narrow(t Target) Scope {
	switch {
	case t.Enterprise != nil:
		return Scope{Enterprises: []string{t.Enterprise.ID}, Phones: s.Phones}
	case t.Region != "":
		return Scope{Region: t.Region, Phones: s.Phones}
	}
	return s
}

// Filter keeps the enterprises within the scope.
func (s Scope) Filter(es []storage.Enterprise) []storage.Enterprise {
	var out []storage.Enterprise
	for _, e := range es {
		if s.Has(e) {
			out = append(out, e)
		}
	}
	return out
}
