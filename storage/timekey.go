package storage

import (
	"encoding/binary"
	"math"
	"time"
)

// Instants that fit in int64 Unix nanoseconds; AppendTimeKey clamps the others (the zero
// Time among them) to the ends.
var (
	minNanoTime = time.Unix(0, math.MinInt64)
	maxNanoTime = time.Unix(0, math.MaxInt64)
)

// AppendTimeKey appends an 8-byte key of t whose byte order is time order, for records kept
// in time order (the audit log, sent messages): Unix nanoseconds with the sign bit flipped,
// clamped to 1677-2262, so that the zero Time sorts first and seeking to it starts at the
// beginning.
func AppendTimeKey(buf []byte, t time.Time) []byte {
	var n int64
	switch {
	case t.Before(minNanoTime):
		n = math.MinInt64
	case t.After(maxNanoTime):
		n = math.MaxInt64
	default:
		n = t.UnixNano()
	}
	return binary.BigEndian.AppendUint64(buf, uint64(n)^(1<<63))
}

// ReadTimeKey reads back, in UTC, the instant AppendTimeKey wrote at the start of b, which
// must hold at least 8 bytes (callers check, to say which record was short).
func ReadTimeKey(b []byte) time.Time {
	return time.Unix(0, int64(binary.BigEndian.Uint64(b)^(1<<63))).UTC()
}
