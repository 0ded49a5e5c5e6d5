//go:build unix

package main

import (
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/varta-go/varta"
)

// TestBeatsReachTheObserverTheEnvironmentNames runs the program with
// VARTA_OBSERVER naming a Unix socket observer and checks that its beats
// arrive there, followed by its terminal frame.
func TestBeatsReachTheObserverTheEnvironmentNames(t *testing.T) {
	dir, err := os.MkdirTemp("", "vf") // short: the socket path must fit 107 bytes
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	path := filepath.Join(dir, "x.sock")
	obs, err := net.ListenUnixgram("unixgram", &net.UnixAddr{Name: path, Net: "unixgram"})
	if err != nil {
		t.Fatal(err)
	}
	defer obs.Close()
	t.Setenv(varta.ObserverEnv, "unix://"+path)

	var out strings.Builder
	if err := run(&out, 3, 0); err != nil {
		t.Fatalf("run: %v", err)
	}
	for _, want := range []string{"connected to VARTA_OBSERVER=unix://" + path, "beat 1: sent", "beat 3: sent", "sent 3, dropped 0, failed 0", "terminal frame: sent"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("output lacks %q:\n%s", want, out.String())
		}
	}
	buf := make([]byte, 64)
	read := func(what string) varta.Frame {
		t.Helper()
		obs.SetReadDeadline(time.Now().Add(10 * time.Second)) // a hang guard, not a timing assertion
		n, err := obs.Read(buf)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		f, err := varta.DecodeFrame(buf[:n])
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return f
	}
	for i := uint64(1); i <= 3; i++ {
		if f := read("beat"); f.Nonce != i || f.Payload != uint32(i) || f.PID != uint32(os.Getpid()) {
			t.Fatalf("beat %d arrived as %+v", i, f)
		}
	}
	if f := read("terminal frame"); f.Nonce != varta.NonceTerminal || f.Status != varta.StatusCritical || f.PID != uint32(os.Getpid()) {
		t.Fatalf("got %+v after the beats, want the terminal frame", f)
	}
}

func TestUnsetVariableIsAnErrorThatNamesIt(t *testing.T) {
	t.Setenv(varta.ObserverEnv, "")
	var out strings.Builder
	err := run(&out, 1, 0)
	if err == nil || !strings.Contains(err.Error(), "VARTA_OBSERVER is unset or empty") {
		t.Fatalf("run = %v, want an error naming VARTA_OBSERVER", err)
	}
	if out.Len() != 0 {
		t.Errorf("run wrote %q before failing", out.String())
	}
}
