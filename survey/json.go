package survey

import (
	"slices"

	"innobot/internal/jsonx"
)

// AppendJSON appends the answers as encoding/json writes them (keys in order, the Value field
// names and omissions of its tags), without reflection: a draft is encoded at every answer.
func (a Answers) AppendJSON(b []byte) []byte {
	if a == nil {
		return append(b, "null"...)
	}
	keys := make([]string, 0, len(a))
	for k := range a {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	b = append(b, '{')
	for i, k := range keys {
		if i > 0 {
			b = append(b, ',')
		}
		b = jsonx.AppendString(b, k)
		b = append(b, ':')
		b = a[k].AppendJSON(b)
	}
	return append(b, '}')
}

// MarshalJSON writes what AppendJSON writes.
func (a Answers) MarshalJSON() ([]byte, error) { return a.AppendJSON(nil), nil }

// AppendJSON appends the value as its struct tags say, leaving out zero fields.
func (v Value) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	if v.Text != "" {
		b = jsonx.AppendKey(b, "t")
		b = jsonx.AppendString(b, v.Text)
	}
	if v.Num != 0 {
		b = jsonx.AppendKey(b, "n")
		b = jsonx.AppendFloat(b, v.Num)
	}
	if v.Bool {
		b = jsonx.AppendKey(b, "b")
		b = append(b, "true"...)
	}
	if v.Choice != 0 {
		b = jsonx.AppendKey(b, "c")
		b = jsonx.AppendInt(b, int64(v.Choice))
	}
	if len(v.Multi) > 0 {
		b = jsonx.AppendKey(b, "m")
		b = append(b, '[')
		for i, n := range v.Multi {
			if i > 0 {
				b = append(b, ',')
			}
			b = jsonx.AppendInt(b, int64(n))
		}
		b = append(b, ']')
	}
	if v.Skipped {
		b = jsonx.AppendKey(b, "s")
		b = append(b, "true"...)
	}
	return append(b, '}')
}

// ReadAnswers reads what AppendJSON writes, as encoding/json would decode it: null is a nil
// map, {} an empty one. Anything else fails r, for the caller to hand to encoding/json.
func ReadAnswers(r *jsonx.Reader) Answers {
	if r.Null() {
		return nil
	}
	a := Answers{}
	for i := 0; r.Member(i); i++ {
		k := string(r.Key())
		a[k] = ReadValue(r)
	}
	return a
}

// ReadValue reads what Value.AppendJSON writes. A field given twice fails r: encoding/json
// would merge the two, which is not worth copying.
func ReadValue(r *jsonx.Reader) Value {
	var v Value
	var seen uint32
	for i := 0; r.Member(i); i++ {
		switch string(r.Key()) {
		case "t":
			r.Once(&seen, 1)
			v.Text = r.String()
		case "n":
			r.Once(&seen, 2)
			v.Num = r.Float()
		case "b":
			r.Once(&seen, 4)
			v.Bool = r.Bool()
		case "c":
			r.Once(&seen, 8)
			v.Choice = int(r.Int(64))
		case "m":
			r.Once(&seen, 16)
			if r.Null() {
				v.Multi = nil
				break
			}
			v.Multi = []int{}
			for j := 0; r.Elem(j); j++ {
				v.Multi = append(v.Multi, int(r.Int(64)))
			}
		case "s":
			r.Once(&seen, 32)
			v.Skipped = r.Bool()
		default:
			r.Fail(jsonx.ErrUnsupported)
		}
	}
	return v
}

// AppendJSON appends the facts as encoding/json writes them.
func (x Facts) AppendJSON(b []byte) []byte {
	b = append(b, '{')
	b = jsonx.AppendKey(b, "has_institution")
	b = jsonx.AppendBool(b, x.HasInstitution)
	b = jsonx.AppendKey(b, "has_rd")
	b = jsonx.AppendBool(b, x.HasRD)
	b = jsonx.AppendKey(b, "has_innovation")
	b = jsonx.AppendBool(b, x.HasInnovation)
	b = jsonx.AppendKey(b, "institutions")
	b = jsonx.AppendInt(b, int64(x.Institutions))
	b = jsonx.AppendKey(b, "projects")
	b = jsonx.AppendInt(b, int64(x.Projects))
	b = jsonx.AppendKey(b, "rd_staff")
	b = jsonx.AppendFloat(b, x.RDStaff)
	b = jsonx.AppendKey(b, "rd_cost")
	b = jsonx.AppendFloat(b, x.RDCost)
	b = jsonx.AppendKey(b, "activities")
	b = jsonx.AppendInt(b, int64(x.Activities))
	for _, f := range [...]struct{ name, v string }{{"plan", x.Plan}, {"industry", x.Industry}, {"ownership", x.Ownership}} {
		if f.v != "" {
			b = jsonx.AppendKey(b, f.name)
			b = jsonx.AppendString(b, f.v)
		}
	}
	return append(b, '}')
}

// ReadFacts reads what Facts.AppendJSON writes; a field given twice or unknown fails r.
func ReadFacts(r *jsonx.Reader) Facts {
	var x Facts
	var seen uint32
	for i := 0; r.Member(i); i++ {
		switch string(r.Key()) {
		case "has_institution":
			r.Once(&seen, 1<<0)
			x.HasInstitution = r.Bool()
		case "has_rd":
			r.Once(&seen, 1<<1)
			x.HasRD = r.Bool()
		case "has_innovation":
			r.Once(&seen, 1<<2)
			x.HasInnovation = r.Bool()
		case "institutions":
			r.Once(&seen, 1<<3)
			x.Institutions = int(r.Int(64))
		case "projects":
			r.Once(&seen, 1<<4)
			x.Projects = int(r.Int(64))
		case "rd_staff":
			r.Once(&seen, 1<<5)
			x.RDStaff = r.Float()
		case "rd_cost":
			r.Once(&seen, 1<<6)
			x.RDCost = r.Float()
		case "activities":
			r.Once(&seen, 1<<7)
			x.Activities = int(r.Int(64))
		case "plan":
			r.Once(&seen, 1<<8)
			x.Plan = r.String()
		case "industry":
			r.Once(&seen, 1<<9)
			x.Industry = r.String()
		case "ownership":
			r.Once(&seen, 1<<10)
			x.Ownership = r.String()
		default:
			r.Fail(jsonx.ErrUnsupported)
		}
	}
	return x
}
