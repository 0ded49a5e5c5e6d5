//go:build linux

package bench

import (
	"sync"
	"testing"
)

// BenchmarkLock measures what serialising beats costs: an uncontended
// sync.Mutex locked and unlocked by defer, as Beat does, against the bare
// send of BenchmarkUDS/sent. SPEC R2.1 wants the lock under 2% of a beat,
// that is x-vs-send < 0.02.
func BenchmarkLock(b *testing.B) {
	b.Run("uncontended", func(b *testing.B) {
		r := listen(b)
		fd := dialRaw(b, r.path)
		var mu sync.Mutex
		locks := func(n int) {
			for range n {
				lockUnlock(&mu)
			}
		}
		compare(b,
			side{name: "lock", run: locks},
			r.drained(side{name: "send", run: bareSend(fd, &tally{})}))
	})
}

// lockUnlock takes and releases mu the way Beat does.
func lockUnlock(mu *sync.Mutex) {
	mu.Lock()
	defer mu.Unlock()
}
