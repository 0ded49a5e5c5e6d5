//go:build secureudp && linux

package varta

// Proves, with real forks on Linux, that a secure agent forked with the
// same pid starts a new session and never seals a terminal frame with its
// parent's key.

import (
	"os"
	"testing"
)

// TestSecureForkWithTheSamePIDStartsANewSession forks into a new pid
// namespace so that the grandchild has the parent's pid number (R6.8), and
// then both parent and child beat on the agent they share: the child must
// start a new session (a new IV prefix, counter 0; with a master key, the
// same derived key), or it would seal under nonces the parent uses next.
// The observer sees no (key, nonce) pair twice.
func TestSecureForkWithTheSamePIDStartsANewSession(t *testing.T) {
	for _, m := range secureModes {
		t.Run(m.name, func(t *testing.T) {
			r, v, log := secureAgentAndLog(t, m)
			pid := uint32(os.Getpid())
			var parent iv
			for range 3 {
				v.Beat(StatusOK, 0)
				_, parent = log.open(r.recv(), pid)
			}
			code := forkWithSamePID(t, func() int { return beatForked(v, v) })
			skipIfMarkKept(t, code)
			if code != childOK {
				t.Fatalf("forked child exited with %d", code)
			}
			for i := range 2 {
				f, at := log.open(r.recv(), pid)
				if f.Nonce != uint64(i+1) || at.prefix == parent.prefix || at.counter != uint32(i) {
					t.Fatalf("child's beat %d: nonce %d at %+v, want nonce %d, counter %d and a prefix other than the parent's %x",
						i+1, f.Nonce, at, i+1, i, parent.prefix)
				}
			}
			for i := range 2 {
				v.Beat(StatusOK, 0)
				if f, at := log.open(r.recv(), pid); f.Nonce != uint64(4+i) || at.prefix != parent.prefix {
					t.Fatalf("parent's beat after the fork: nonce %d at %+v", f.Nonce, at)
				}
			}
		})
	}
}

// TestSecureTerminalAfterForkIsNeverSealedWithTheParentsKey simulates a
// fork before the child's first beat (R6.8, R7.3): a terminal frame then
// sends nothing, so no frame naming the child is sealed under the
// parent's pid's key; after a beat has followed the fork, terminal frames
// open with the child's key.
func TestSecureTerminalAfterForkIsNeverSealedWithTheParentsKey(t *testing.T) {
	forkChecks(t, func(t *testing.T, mode ForkCheck) {
		for _, m := range secureModes {
			t.Run(m.name, func(t *testing.T) {
				key := testKey(t)
				r, port := listenUDP(t, "127.0.0.1")
				v := dialSecure(t, m, port, key)
				expectForkCheck(t, v, mode)
				log := newNonceLog(t, key, m.master)
				v.Beat(StatusOK, 0)
				log.open(r.recv(), uint32(os.Getpid()))

				child := uint32(os.Getpid() + 1000)
				v.setPIDSource(func() int { return int(child) })
				if out := v.SendTerminal(); !out.IsFailed() {
					t.Fatalf("SendTerminal in the child before its first beat = %v, want Failed", out)
				}
				r.expectNothing()
				if out := v.Beat(StatusOK, 0); !out.IsSent() {
					t.Fatalf("child's beat: %v", out)
				}
				if f, at := log.open(r.recv(), child); f.Nonce != 1 || at.counter != 0 {
					t.Fatalf("child's beat: nonce %d at %+v", f.Nonce, at)
				}
				if out := v.SendTerminal(); !out.IsSent() {
					t.Fatalf("SendTerminal after the child's beat = %v", out)
				}
				if f, _ := log.open(r.recv(), child); f.Nonce != NonceTerminal {
					t.Fatalf("terminal frame %+v", f)
				}
			})
		}
	})
}
