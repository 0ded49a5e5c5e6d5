//go:build unix && secureudp && !linux

package varta

// Key slots outside Linux: keys live on the Go heap, and a core dump holds
// every key the process holds at the time (see SECURITY.md).

// newKeySlot returns zeroed heap memory for one key.
func newKeySlot() *[KeyBytes]byte { return new([KeyBytes]byte) }

// releaseKeySlot leaves the zeroed memory of a key to the garbage
// collector.
func releaseKeySlot(*[KeyBytes]byte) {}
