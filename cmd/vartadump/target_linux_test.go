package main

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/varta-go/varta"
)

// An abstract socket has no file: vartadump neither checks nor removes
// one, and its name is free again once vartadump exits.
func TestDumpTakesAnAbstractTarget(t *testing.T) {
	name := "@vartadump-test-" + strconv.Itoa(os.Getpid()) // no two running tests share a pid
	target := "unix:" + name
	d := startDump(t, target, "-json")
	if want := "unixgram " + name + " (abstract) for plain frames;"; !strings.HasPrefix(d.listenOn, want) {
		t.Errorf("listening on %q, want %q", d.listenOn, want)
	}
	beatsArrive(t, d, connectTo(t, target))
	stopsWithSummary(t, d, "2 frames")
	if _, err := os.Lstat(name); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a file %q exists (%v): an abstract name has none", name, err)
	}
	if _, err := varta.ConnectTo(target); !errors.Is(err, syscall.ECONNREFUSED) {
		t.Errorf("connect after vartadump exited: %v, want ECONNREFUSED (nobody bound to the name)", err)
	}
}
