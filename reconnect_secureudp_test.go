//go:build secureudp

package varta

// Proves that a secure reconnect keeps the session and that a restart
// builds a new cipher only for a new pid.

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
			r, v, log := secureAgentAndLog(t, m)
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

// TestSecureRestartBuildsACipherOnlyForANewPID restarts a secure
// transport as fork recovery does: for the same pid (a fork into a new pid
// namespace, R6.8) and for a new one. Every restart starts a new session
// (new salt: a new first prefix); a shared-key agent keeps its one cipher,
// and a master-key agent builds a new one only for a new pid (R6.7), whose
// frames then open with OpenMasterFrame under that pid.
func TestSecureRestartBuildsACipherOnlyForANewPID(t *testing.T) {
	for _, m := range secureModes {
		t.Run(m.name, func(t *testing.T) {
			key := testKey(t)
			r, port := listenUDP(t, "127.0.0.1")
			v := dialSecure(t, m, port, key)
			pid := uint32(os.Getpid())
			aead, s, err := v.restartFor(pid)
			if err != nil {
				t.Fatal(err)
			}
			prefix := s.prefix

			sameAEAD, sameS, err := v.restartFor(pid)
			if err != nil {
				t.Fatal(err)
			}
			if sameS == s || sameS.prefix == prefix {
				t.Fatal("a restart for the same pid kept the session")
			}
			if sameAEAD != aead {
				t.Fatal("a restart for the same pid built a new cipher")
			}

			otherAEAD, _, err := v.restartFor(pid + 1)
			if err != nil {
				t.Fatal(err)
			}
			if (otherAEAD != aead) != m.master {
				t.Fatalf("a restart for another pid built a new cipher: %v; want %v", otherAEAD != aead, m.master)
			}
			if err := v.Reconnect(); err != nil {
				t.Fatal(err)
			}
			if reconnected, _, _ := v.restartFor(pid + 1); reconnected != otherAEAD {
				t.Fatal("Reconnect or a restart for the same pid replaced the cipher")
			}
			v.setPIDSource(func() int { return int(pid + 1) })
			if out := v.Beat(StatusOK, 1); !out.IsSent() {
				t.Fatalf("beat: %v", out)
			}
			newNonceLog(t, key, m.master).open(r.recv(), pid+1)
		})
	}
}
