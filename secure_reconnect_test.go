//go:build secureudp && unix

package varta

import (
	"os"
	"testing"
)

// TestSecureReconnectKeepsTheSession forces 10,000 reconnects, a beat
// after each, with two simulated forks on the way, and counts the IV
// prefixes the observer sees (R6.2): a reconnect only replaces the socket,
// so the prefixes stay at one per session, one at connect and one per
// fork, however often the socket is replaced. Every frame must open, and
// no (key, nonce) pair may come twice (R6.5).
func TestSecureReconnectKeepsTheSession(t *testing.T) {
	const reconnects, forks = 10_000, 2
	for _, m := range secureModes {
		t.Run(m.name, func(t *testing.T) {
			key := testKey(t)
			r, port := listenUDP(t, "127.0.0.1")
			v := dialSecure(t, m, port, key)
			log := newNonceLog(t, key, m.master)
			pid := uint32(os.Getpid())
			prefixes := make(map[[prefixBytes]byte]bool)
			for i := range reconnects {
				if i > 0 && i%(reconnects/(forks+1)) == 0 && v.ForkRecoveries() < forks {
					pid++
					fork := pid
					v.setPIDSource(func() int { return int(fork) })
				}
				if err := v.Reconnect(); err != nil {
					t.Fatalf("reconnect %d: %v", i, err)
				}
				if out := v.Beat(StatusOK, uint32(i)); !out.IsSent() {
					t.Fatalf("beat after reconnect %d: %v", i, out)
				}
				f, at := log.open(r.recv(), pid)
				if f.Payload != uint32(i) {
					t.Fatalf("beat %d carries payload %d", i, f.Payload)
				}
				prefixes[at.prefix] = true
			}
			if got := v.Stats().Reconnects; got != reconnects {
				t.Fatalf("%d reconnects counted, want %d", got, reconnects)
			}
			t.Logf("%d distinct IV prefixes over %d reconnects and %d forks", len(prefixes), reconnects, v.ForkRecoveries())
			if want := 1 + forks; len(prefixes) != want || v.ForkRecoveries() != forks {
				t.Fatalf("%d distinct IV prefixes over %d reconnects and %d forks, want %d", len(prefixes), reconnects, v.ForkRecoveries(), want)
			}
		})
	}
}
