//go:build udp || secureudp

package varta

// Proves, on Linux, that the UDP constructors and Close leave no
// descriptor or goroutine behind, for every UDP variant.

import (
	"errors"
	"runtime"
	"syscall"
	"testing"
)

// TestUDPConnectAndCloseLeaveNoDescriptorOrGoroutineBehind checks, for
// each UDP variant, that an agent holds exactly one descriptor while
// connected, whatever reconnects (explicit or automatic) it went through,
// releases it on Close, that a Connect failing at connect(2) leaves
// nothing open, and that no goroutine is ever started.
func TestUDPConnectAndCloseLeaveNoDescriptorOrGoroutineBehind(t *testing.T) {
	for _, u := range udpVariants(t) {
		t.Run(u.name, func(t *testing.T) {
			_, port := listenUDP(t, "127.0.0.1") // never read
			fds, goroutines := openFDs(t), runtime.NumGoroutine()
			check := func(what string, want int) {
				t.Helper()
				if got := openFDs(t); got != want {
					t.Fatalf("%s: %d descriptors open, want %d", what, got, want)
				}
				// A goroutine of an earlier test may still be exiting, so
				// only an increase counts as a leak.
				if got := runtime.NumGoroutine(); got > goroutines {
					t.Fatalf("%s: %d goroutines, want at most %d", what, got, goroutines)
				}
			}

			for range 100 {
				v, err := u.connect("127.0.0.1", port)
				if err != nil {
					t.Fatal(err)
				}
				if err := v.Close(); err != nil {
					t.Fatal(err)
				}
			}
			check("after 100 Connect and Close", fds)

			// The broadcast address fails at connect(2), after the
			// socket was opened: the socket may not send broadcasts.
			for range 100 {
				if v, err := u.connect("255.255.255.255", port); v != nil || !errors.Is(err, syscall.EACCES) {
					t.Fatalf("Connect to the broadcast address = %v, %v; want EACCES", v, err)
				}
			}
			check("after 100 Connects failing at connect(2)", fds)

			v, err := u.connect("127.0.0.1", port)
			if err != nil {
				t.Fatal(err)
			}
			check("connected", fds+1)
			for range 100 {
				if err := v.Reconnect(); err != nil {
					t.Fatal(err)
				}
			}
			check("after 100 Reconnects", fds+1)

			// With SetReconnectAfter(1), a beat refused for want of an
			// observer reconnects; over UDP the drop stands. A socket
			// whose peer is closed stands in for the agent's, which is
			// put back and closed once the reconnect has replaced the
			// stand-in.
			v.SetReconnectAfter(1)
			v.tickClock() // a beat an interval after the last: every one reconnects
			for range 100 {
				fd, gone := socketPair(t)
				gone.close()
				restore := v.useSocket(t, fd)
				expectBeat(t, v, "dropped: no observer")
				restore()
			}
			if got, want := v.Stats(), (Stats{DroppedNoObserver: 100, Reconnects: 200}); got != want {
				t.Fatalf("Stats = %+v, want %+v", got, want)
			}
			check("after 100 automatic reconnects", fds+1)

			if err := v.Close(); err != nil {
				t.Fatal(err)
			}
			check("closed", fds)
		})
	}
}
