package bolt

import (
	"fmt"
	"testing"
)

// TestWrittenKeepsTheLatest checks the ordering rules of the cache of records last written:
// an older write never replaces a later one, not after a failed write and not after the later
// one was dropped to bound the cache.
func TestWrittenKeepsTheLatest(t *testing.T) {
	var c written[string]
	v := func(s string) *string { return &s }
	read := func(key string) string {
		t.Helper()
		p, ok := c.get(key)
		switch {
		case !ok:
			return "(file)"
		case p == nil:
			return "(removed)"
		}
		return *p
	}
	c.put("k", 2, v("two"))
	c.put("k", 1, v("one"))
	if got := read("k"); got != "two" {
		t.Errorf("after an older put: %s, want two", got)
	}
	c.forget("k", 3)
	c.put("k", 2, v("two again"))
	if got := read("k"); got != "(file)" {
		t.Errorf("after a failed write and an older put: %s, want the file read", got)
	}
	c.put("k", 4, nil)
	if got := read("k"); got != "(removed)" {
		t.Errorf("after a later removal: %s", got)
	}

	// Fill past the bound: the entries dropped take their orders with them.
	for i := range writtenSize + 1 {
		c.put(fmt.Sprint("fill", i), uint64(100+i), v("x"))
	}
	dropped := ""
	for i := range writtenSize + 1 {
		if _, ok := c.get(fmt.Sprint("fill", i)); !ok {
			dropped = fmt.Sprint("fill", i)
		}
	}
	if dropped == "" {
		t.Fatal("nothing dropped past the bound")
	}
	c.put(dropped, 99, v("older"))
	if got := read(dropped); got != "(file)" {
		t.Errorf("a write older than a dropped entry was cached: %s", got)
	}
}
