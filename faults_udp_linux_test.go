//go:build udp || secureudp

package varta

// Proves, on Linux, that the UDP constructors fail clearly when out of
// file descriptors.

import (
	"errors"
	"strings"
	"syscall"
	"testing"
)

// TestUDPConnectFailsClearlyWhenOutOfFileDescriptors exhausts the
// process's descriptors, for each UDP variant. Connect and Reconnect fail
// with EMFILE from socket(2); the failed Reconnect keeps the working
// socket; an automatic reconnect fails and the drop stands; nothing leaks;
// and the next beat after the observer is back gets through.
func TestUDPConnectFailsClearlyWhenOutOfFileDescriptors(t *testing.T) {
	for _, u := range udpVariants(t) {
		t.Run(u.name, func(t *testing.T) {
			r, port := listenUDP(t, "127.0.0.1")
			v := u.dial(t, "127.0.0.1", port)
			u.beatArrives(t, v, r, 1, 1)
			fds := openFDs(t)

			checkEMFILE := func(what string, err error) {
				t.Helper()
				if !errors.Is(err, syscall.EMFILE) || !strings.Contains(err.Error(), "no file descriptor left for a new socket") {
					t.Fatalf("%s at the descriptor limit = %v, want EMFILE, saying so", what, err)
				}
			}
			atFDLimit(t, func() {
				other, err := u.connect("127.0.0.1", port)
				if other != nil {
					t.Fatal("Connect at the descriptor limit returned an agent")
				}
				checkEMFILE("Connect", err)
				checkEMFILE("Reconnect", v.Reconnect())
				u.beatArrives(t, v, r, 2, 2) // the failed Reconnect kept the old socket
			})
			if got := openFDs(t); got != fds {
				t.Fatalf("%d descriptors open after the failures, want %d", got, fds)
			}

			// The observer stops; the ICMP error of the next beat drops
			// the one after, whose automatic reconnect fails for want of a
			// descriptor: a Failed beat (EMFILE), not a drop.
			r.close()
			expectBeat(t, v, "sent") // lost: nothing is bound
			awaitSocketError(t, v)
			fds = openFDs(t)
			v.SetReconnectAfter(1)
			atFDLimit(t, func() {
				if out := v.Beat(StatusOK, 0); !errors.Is(out.Err(), syscall.EMFILE) {
					t.Fatalf("beat whose reconnect finds no descriptor = %v, want Failed with EMFILE", out)
				}
			})
			if got := openFDs(t); got != fds {
				t.Fatalf("%d descriptors open after the failed reconnect, want %d", got, fds)
			}

			r, _ = listenUDPAt(t, "127.0.0.1", port)
			u.beatArrives(t, v, r, 4, 4)
			want := Stats{Sent: 4, Failed: 1}
			if got := v.Stats(); got != want {
				t.Fatalf("Stats = %+v, want %+v", got, want)
			}
		})
	}
}
