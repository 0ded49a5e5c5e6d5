package varta

// Proves, on Linux, that Connect and Close leave no descriptor or
// goroutine behind.

import (
	"os"
	"runtime"
	"testing"
)

// TestConnectAndCloseLeaveNoDescriptorOrGoroutineBehind checks that an
// agent holds exactly one descriptor while connected, whatever reconnects
// (successful, failed or automatic) it went through, releases it on Close,
// that a failed Connect leaves nothing open, and that no goroutine is ever
// started.
func TestConnectAndCloseLeaveNoDescriptorOrGoroutineBehind(t *testing.T) {
	r := listen(t)
	fds, goroutines := openFDs(t), runtime.NumGoroutine()
	checkFDs := func(what string, want int) {
		t.Helper()
		if got := openFDs(t); got != want {
			t.Fatalf("%s: %d descriptors open, want %d", what, got, want)
		}
		// A goroutine of an earlier test may still be exiting, so only
		// an increase counts as a leak.
		if got := runtime.NumGoroutine(); got > goroutines {
			t.Fatalf("%s: %d goroutines, want at most %d", what, got, goroutines)
		}
	}

	for range 100 {
		v, err := Connect(r.path)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.Close(); err != nil {
			t.Fatal(err)
		}
	}
	checkFDs("after 100 Connect and Close", fds)

	v, err := Connect(r.path)
	if err != nil {
		t.Fatal(err)
	}
	checkFDs("connected", fds+1)
	for range 100 {
		if err := v.Reconnect(); err != nil {
			t.Fatal(err)
		}
	}
	checkFDs("after 100 Reconnects", fds+1)

	r.close()
	os.Remove(r.path)
	fds-- // the observer's socket
	v.SetReconnectAfter(1)
	for range 100 {
		if out := v.Beat(StatusOK, 0); !out.IsDropped() {
			t.Fatalf("beat with no observer = %v, want Dropped", out)
		}
		if err := v.Reconnect(); err == nil {
			t.Fatal("Reconnect with no observer succeeded")
		}
		if _, err := Connect(r.path); err == nil {
			t.Fatal("Connect with no observer succeeded")
		}
	}
	checkFDs("after 100 failed Connects, Reconnects and automatic reconnects", fds+1)

	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	checkFDs("closed", fds)
}
