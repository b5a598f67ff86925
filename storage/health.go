package storage

// Health is what a store knows of its own state that a monitor (/healthz) should show.
type Health struct {
	// Failed says why the store refuses every write, "" while it takes them: its file was
	// found damaged while the bot ran. Someone must act: restore a backup.
	Failed string `json:"failed,omitempty"`
	// Durability names, in the operator's words, what a crash may undo of what the store
	// acknowledged, and why; "" when nothing short of losing the disk (bolt, which syncs
	// every commit, or Redis with appendfsync always).
	Durability string `json:"durability,omitempty"`
}
