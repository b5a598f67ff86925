package config

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/token"
)

// Day is the unit the policy notice counts in; time has no such constant.
const Day = Duration(24 * time.Hour)

// Duration is a time.Duration that also reads whole days ("7d", "1d12h"),
// because the notice and its deadlines are counted in days and "168h" is
// hard to check by eye.
type Duration time.Duration

// ParseDuration reads what a config file may say for a Duration, so that
// other inputs (commands, flags) accept exactly the same spellings.
func ParseDuration(s string) (Duration, error) {
	bad := fmt.Errorf(`bad duration %q: want a number with a unit d, h, m or s, like "3d", "12h" or "90m"`, s)
	t := strings.TrimSpace(s)
	neg := false
	if strings.HasPrefix(t, "-") || strings.HasPrefix(t, "+") {
		neg = t[0] == '-'
		t = t[1:]
	}
	if t == "" || t[0] < '0' || t[0] > '9' {
		return 0, bad
	}
	var d time.Duration
	if i := strings.IndexByte(t, 'd'); i >= 0 {
		n, err := strconv.ParseInt(t[:i], 10, 64)
		if err != nil || n > int64(math.MaxInt64/int64(Day)) {
			return 0, bad
		}
		d = time.Duration(n) * time.Duration(Day)
		t = t[i+1:]
		if t == "" {
			t = "0"
		} else if t[0] < '0' || t[0] > '9' {
			return 0, bad
		}
	}
	rest, err := time.ParseDuration(t)
	if err != nil || d > math.MaxInt64-rest {
		return 0, bad
	}
	d += rest
	if neg {
		d = -d
	}
	return Duration(d), nil
}

// String writes the shortest form ParseDuration reads back, so a value
// shown to an operator can be pasted into the config file.
func (d Duration) String() string {
	switch td := time.Duration(d); {
	case td == 0:
		return "0d"
	case td%time.Duration(Day) == 0:
		return strconv.FormatInt(int64(td/time.Duration(Day)), 10) + "d"
	case td%time.Hour == 0:
		return strconv.FormatInt(int64(td/time.Hour), 10) + "h"
	case td%time.Minute == 0:
		return strconv.FormatInt(int64(td/time.Minute), 10) + "m"
	default:
		return td.String()
	}
}

// Std spares callers the conversion when they hand the value to package time.
func (d Duration) Std() time.Duration { return time.Duration(d) }

// MarshalYAML keeps written-out configs in the same day-based spelling.
func (d Duration) MarshalYAML() (any, error) { return d.String(), nil }

// UnmarshalYAML takes the AST node rather than bytes so that a bad value
// can be reported at its own line and key.
func (d *Duration) UnmarshalYAML(node ast.Node) error {
	s, err := scalarText(node, `a duration like "3d"`)
	if err != nil {
		return err
	}
	v, err := ParseDuration(s)
	if err != nil {
		return &nodeError{tok: node.GetToken(), msg: err.Error()}
	}
	*d = v
	return nil
}

// Percent is a fraction (0.30) that the file writes as a percentage
// ("30%"), because a bare 0.3 or 30 leaves the reader guessing the scale.
type Percent float64

// ParsePercent reads "30%" (the % is required) into 0.30.
func ParsePercent(s string) (Percent, error) {
	t := strings.TrimSpace(s)
	num, ok := strings.CutSuffix(t, "%")
	f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if !ok || err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return 0, fmt.Errorf(`bad percentage %q: want a number followed by %%, like "30%%"`, s)
	}
	return Percent(f / 100), nil
}

// String writes the percentage form, rounded so float noise (0.3*100)
// does not show.
func (p Percent) String() string {
	v := math.Round(float64(p)*100*1e6) / 1e6
	return strconv.FormatFloat(v, 'f', -1, 64) + "%"
}

// MarshalYAML keeps written-out configs in the percentage spelling.
func (p Percent) MarshalYAML() (any, error) { return p.String(), nil }

// UnmarshalYAML takes the AST node so a bad value is reported at its line.
func (p *Percent) UnmarshalYAML(node ast.Node) error {
	s, err := scalarText(node, `a percentage like "30%"`)
	if err != nil {
		return err
	}
	v, err := ParsePercent(s)
	if err != nil {
		return &nodeError{tok: node.GetToken(), msg: err.Error()}
	}
	*p = v
	return nil
}

// nodeError is a decoding error that knows its token; goccy/go-yaml passes
// errors from unmarshalers through untouched, so without the token the
// position would be lost.
type nodeError struct {
	tok *token.Token
	msg string
}

func (e *nodeError) Error() string { return e.msg }

// scalarText returns the source text of a scalar node (after tags), or a
// positioned error naming what was wanted.
func scalarText(node ast.Node, want string) (string, error) {
	for {
		tag, ok := node.(*ast.TagNode)
		if !ok {
			break
		}
		node = tag.Value
	}
	switch n := node.(type) {
	case *ast.StringNode:
		return n.Value, nil
	case ast.ScalarNode:
		if n.Type() != ast.NullType {
			return n.GetToken().Value, nil
		}
	}
	return "", &nodeError{tok: node.GetToken(), msg: fmt.Sprintf("want %s, got %s", want, describeNode(node))}
}
