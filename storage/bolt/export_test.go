package bolt

// Buckets lists every bucket the store writes, by name.
func Buckets() []string {
	var out []string
	for _, b := range allBuckets {
		out = append(out, string(b))
	}
	return out
}

// CheckedBucket reports whether the check knows how a bucket's values are encoded.
func CheckedBucket(name string) bool {
	_, ok := encodings[name]
	return ok
}
