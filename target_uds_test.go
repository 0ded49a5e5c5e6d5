package varta

import (
	"errors"
	"io/fs"
	"os"
	"runtime"
	"strconv"
	"strings"
	"testing"
)

// expectBeats sends three beats and checks that r receives them in order,
// from this process.
func expectBeats(t *testing.T, v *Varta, r *receiver) {
	t.Helper()
	for i := uint64(1); i <= 3; i++ {
		if out := v.Beat(StatusOK, uint32(i)); !out.IsSent() {
			t.Fatalf("beat %d: %v", i, out)
		}
		f, err := DecodeFrame(r.recv())
		if err != nil {
			t.Fatalf("beat %d: %v", i, err)
		}
		if f.Nonce != i || f.Payload != uint32(i) || f.PID != uint32(os.Getpid()) {
			t.Fatalf("beat %d arrived as %+v", i, f)
		}
	}
}

func TestConnectFromEnvBeatsReachAUnixObserver(t *testing.T) {
	r := listen(t)
	for _, target := range []string{"unix://" + r.path, r.path} {
		t.Run(target, func(t *testing.T) {
			t.Setenv(ObserverEnv, target)
			v, err := ConnectFromEnv()
			if err != nil {
				t.Fatal(err)
			}
			defer v.Close()
			expectBeats(t, v, r)
		})
	}
}

func TestConnectToAbstractUnixSocket(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skipf("abstract sockets exist only on Linux, not on %s", runtime.GOOS)
	}
	name := "@varta-target-test-" + strconv.Itoa(os.Getpid())
	r := listenAt(t, name)
	v, err := ConnectTo("unix:" + name)
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	expectBeats(t, v, r)
}

// TestConnectToUnixErrorsAreConnects checks that a valid unix target fails
// with Connect's own errors, prefixed with the variable's name when it
// came from the environment.
func TestConnectToUnixErrorsAreConnects(t *testing.T) {
	missing := socketDir(t) + "/none.sock"
	t.Setenv(ObserverEnv, "unix://"+missing)
	_, err := ConnectFromEnv()
	if !errors.Is(err, fs.ErrNotExist) || !strings.HasPrefix(err.Error(), "varta: VARTA_OBSERVER: ") || !strings.Contains(err.Error(), missing) {
		t.Fatalf("ConnectFromEnv() = %v, want Connect's fs.ErrNotExist naming %s after the variable", err, missing)
	}
	long := "/" + strings.Repeat("x", maxPathLen)
	if _, err := ConnectTo(long); !errors.Is(err, ErrInvalidPath) {
		t.Fatalf("ConnectTo(a path of %d bytes) = %v, want ErrInvalidPath", len(long), err)
	}
}
