package config

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// fileError is one problem in a settings file, printed as
// "FILE:LINE: KEY: what is wrong" so editors and terminals can jump to it.
type fileError struct {
	file string
	line int    // 0 when the file has no line for it
	path string // key path like deadlines[0].cron; empty for the whole file
	msg  string
}

func (e *fileError) Error() string {
	var b strings.Builder
	b.WriteString(e.file)
	if e.line > 0 {
		b.WriteString(":")
		b.WriteString(strconv.Itoa(e.line))
	}
	b.WriteString(": ")
	if e.path != "" {
		b.WriteString(e.path)
		b.WriteString(": ")
	}
	b.WriteString(e.msg)
	return b.String()
}

// problem is a validation finding before it is tied to a line.
type problem struct {
	path string
	msg  string
	line int // 0: look the path up
}

// positions maps key paths to source lines and tokens to key paths; it is
// built from the same AST the decoder reads, so token pointers match.
type positions struct {
	lines   map[string]int
	paths   map[*token.Token]string
	anchors map[string]ast.Node // anchor name → the node it marks
}

func indexPositions(body ast.Node) *positions {
	p := &positions{lines: map[string]int{}, paths: map[*token.Token]string{}, anchors: map[string]ast.Node{}}
	p.walk(body, "")
	return p
}

func (p *positions) note(tok *token.Token, path string) {
	if tok == nil {
		return
	}
	// The first (outermost) owner wins: a block mapping's token is the ':'
	// of its first entry, and errors on that token concern the mapping.
	if _, ok := p.paths[tok]; !ok {
		p.paths[tok] = path
	}
}

func (p *positions) setLine(path string, tok *token.Token) {
	if tok == nil {
		return
	}
	if _, ok := p.lines[path]; !ok {
		p.lines[path] = tok.Position.Line
	}
}

func (p *positions) walk(n ast.Node, path string) {
	if n == nil {
		return
	}
	p.note(n.GetToken(), path)
	switch n := n.(type) {
	case *ast.AnchorNode:
		if n.Name != nil && n.Name.GetToken() != nil {
			p.anchors[n.Name.GetToken().Value] = n.Value
		}
		p.walk(n.Value, path)
	case *ast.TagNode:
		p.walk(n.Value, path)
	case *ast.MappingNode:
		for _, mv := range n.Values {
			p.walkEntry(mv, path)
		}
	case *ast.MappingValueNode:
		p.walkEntry(n, path)
	case *ast.SequenceNode:
		for i, v := range n.Values {
			ip := path + "[" + strconv.Itoa(i) + "]"
			if v != nil {
				p.setLine(ip, v.GetToken())
			}
			p.walk(v, ip)
		}
	}
}

func (p *positions) walkEntry(mv *ast.MappingValueNode, path string) {
	if mv.Key.IsMergeKey() {
		// Merged keys land in the enclosing mapping, so they share its path.
		p.walk(mv.Value, path)
		return
	}
	kp := joinKey(path, keyText(mv.Key))
	p.setLine(kp, mv.Key.GetToken())
	p.note(mv.Key.GetToken(), kp)
	p.walk(mv.Value, kp)
}

// line finds the line of path, or of its nearest ancestor present in the
// file: a missing key is best reported where its parent is written.
func (p *positions) line(path string) int {
	for {
		if l, ok := p.lines[path]; ok {
			return l
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			return 0
		}
		path = path[:i]
	}
}

// pathOf names the key a decoder error token belongs to; tokens the walk
// did not see (brackets, commas) go to the nearest preceding known token.
func (p *positions) pathOf(tok *token.Token) string {
	if tok == nil {
		return ""
	}
	if path, ok := p.paths[tok]; ok {
		return path
	}
	var best *token.Token
	for t := range p.paths {
		if before(t, tok) && (best == nil || before(best, t)) {
			best = t
		}
	}
	if best == nil {
		return ""
	}
	return p.paths[best]
}

func before(a, b *token.Token) bool {
	if a.Position.Line != b.Position.Line {
		return a.Position.Line < b.Position.Line
	}
	return a.Position.Column <= b.Position.Column
}

func joinKey(parent, key string) string {
	if parent == "" {
		return key
	}
	return parent + "." + key
}

func keyText(k ast.MapKeyNode) string {
	if s, ok := k.(*ast.StringNode); ok {
		return s.Value
	}
	if tok := k.GetToken(); tok != nil {
		return tok.Value
	}
	return k.String()
}

// checkShape reports, in document order, keys the schema does not know,
// repeated keys and empty list items. goccy/go-yaml's DisallowUnknownField
// stays on as a backstop, but it reports the value's token and picks among
// several unknown keys in map order; this walk is exact and repeatable.
// Aliases are followed so that a reused anchor is checked against the type
// of the place it is used; depth bounds self-referring anchors.
func (p *positions) checkShape(n ast.Node, t reflect.Type, path string, depth int) *problem {
	if depth > 64 {
		return nil
	}
	n = p.resolve(n)
	switch t.Kind() {
	case reflect.Struct:
		m, ok := n.(*ast.MappingNode)
		if !ok {
			return nil // the decoder reports the wrong type
		}
		fields := yamlFields(t)
		seen := map[string]int{}
		for _, mv := range m.Values {
			if mv.Key.IsMergeKey() {
				// "<<" merges one mapping or a list of them into this one.
				merged := []ast.Node{p.resolve(mv.Value)}
				if seq, ok := merged[0].(*ast.SequenceNode); ok {
					merged = seq.Values
				}
				for _, mn := range merged {
					if pr := p.checkShape(mn, t, path, depth+1); pr != nil {
						return pr
					}
				}
				continue
			}
			key := keyText(mv.Key)
			kp := joinKey(path, key)
			line := mv.Key.GetToken().Position.Line
			if first, dup := seen[key]; dup {
				return &problem{kp, fmt.Sprintf("duplicate key (first at line %d)", first), line}
			}
			seen[key] = line
			ft, known := fields[key]
			if !known {
				return &problem{kp, "unknown key", line}
			}
			if pr := p.checkShape(mv.Value, ft, kp, depth+1); pr != nil {
				return pr
			}
		}
	case reflect.Slice:
		s, ok := n.(*ast.SequenceNode)
		if !ok {
			return nil
		}
		for i, v := range s.Values {
			ip := path + "[" + strconv.Itoa(i) + "]"
			if v == nil || v.Type() == ast.NullType {
				return &problem{ip, "empty item", 0}
			}
			if pr := p.checkShape(v, t.Elem(), ip, depth+1); pr != nil {
				return pr
			}
		}
	}
	return nil
}

// resolve looks through anchors, tags and aliases to the node they stand for.
func (p *positions) resolve(n ast.Node) ast.Node {
	for range 64 {
		n = unwrap(n)
		a, ok := n.(*ast.AliasNode)
		if !ok || a.Value == nil {
			return n
		}
		target, ok := p.anchors[a.Value.GetToken().Value]
		if !ok {
			return n
		}
		n = target
	}
	return n
}

// yamlFields lists a struct's YAML keys and their types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := range t.NumField() {
		f := t.Field(i)
		if !f.IsExported() {
			continue
		}
		name, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if name == "-" {
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

// decodeError turns a goccy/go-yaml error (which prints a source excerpt
// over several lines) into our one-line form.
func decodeError(file string, pos *positions, err error) error {
	var tok *token.Token
	var msg string
	var ne *nodeError
	var ye yaml.Error
	switch {
	case errors.As(err, &ne):
		tok, msg = ne.tok, ne.msg
	case errors.As(err, &ye):
		tok, msg = ye.GetToken(), yamlMessage(ye)
	default:
		return &fileError{file: file, msg: err.Error()}
	}
	fe := &fileError{file: file, msg: msg}
	if pos != nil {
		fe.path = pos.pathOf(tok)
		fe.line = pos.line(fe.path)
	}
	if fe.line == 0 && tok != nil {
		fe.line = tok.Position.Line
	}
	return fe
}

func yamlMessage(err yaml.Error) string {
	var (
		te *yaml.TypeError
		ue *yaml.UnexpectedNodeTypeError
		oe *yaml.OverflowError
		fe *yaml.UnknownFieldError
		de *yaml.DuplicateKeyError
		se *yaml.SyntaxError
	)
	switch {
	case errors.As(err, &te):
		return fmt.Sprintf("want %s, got %s", describeType(te.DstType), describeToken(te.Token))
	case errors.As(err, &ue):
		got := describeNodeType(ue.Actual)
		switch ue.Actual {
		case ast.MappingType, ast.SequenceType, ast.NullType:
		default:
			got = describeToken(ue.Token)
		}
		return fmt.Sprintf("want %s, got %s", describeNodeType(ue.Expected), got)
	case errors.As(err, &oe):
		return fmt.Sprintf("number %s is out of range", oe.SrcNum)
	case errors.As(err, &fe):
		return "unknown key"
	case errors.As(err, &de):
		return "duplicate key"
	case errors.As(err, &se):
		return "syntax error: " + se.Message
	}
	return err.GetMessage()
}

func describeType(t reflect.Type) string {
	if t == nil {
		return "another type"
	}
	switch t {
	case reflect.TypeFor[Duration]():
		return `a duration like "3d"`
	case reflect.TypeFor[Percent]():
		return `a percentage like "30%"`
	}
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Struct, reflect.Map:
		return "a mapping"
	}
	return t.String()
}

func describeNodeType(t ast.NodeType) string {
	switch t {
	case ast.MappingType:
		return "a mapping"
	case ast.SequenceType:
		return "a list"
	case ast.NullType:
		return "nothing"
	case ast.StringType, ast.LiteralType:
		return "a string"
	case ast.IntegerType, ast.FloatType, ast.InfinityType, ast.NanType:
		return "a number"
	case ast.BoolType:
		return "true or false"
	}
	return t.YAMLName()
}

func describeNode(n ast.Node) string {
	if n == nil {
		return "nothing"
	}
	switch n.Type() {
	case ast.MappingType, ast.SequenceType, ast.NullType:
		return describeNodeType(n.Type())
	}
	return describeToken(n.GetToken())
}

func describeToken(tok *token.Token) string {
	if tok == nil {
		return "another type"
	}
	switch tok.Type {
	case token.MappingStartType, token.MappingValueType:
		return "a mapping"
	case token.SequenceStartType, token.SequenceEntryType:
		return "a list"
	}
	return strconv.Quote(tok.Value)
}

// sortedErrors ties problems to lines and orders them as they appear in
// the file, so a user fixing them top to bottom meets them in order.
func sortedErrors(file string, pos *positions, ps []problem) error {
	if len(ps) == 0 {
		return nil
	}
	fes := make([]*fileError, len(ps))
	for i, p := range ps {
		fes[i] = &fileError{file: file, path: p.path, msg: p.msg, line: p.line}
		if fes[i].line == 0 && pos != nil {
			fes[i].line = pos.line(p.path)
		}
	}
	slices.SortStableFunc(fes, func(a, b *fileError) int { return a.line - b.line })
	if len(fes) == 1 {
		return fes[0]
	}
	errs := make([]error, len(fes))
	for i, fe := range fes {
		errs[i] = fe
	}
	return errors.Join(errs...)
}
