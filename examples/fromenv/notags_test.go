//go:build !(udp || secureudp)

package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/varta-go/varta"
)

// TestUDPTargetWithoutTheTagNamesTheTag: built without tags, the program
// given a udp:// target says which tag it lacks.
func TestUDPTargetWithoutTheTagNamesTheTag(t *testing.T) {
	t.Setenv(varta.ObserverEnv, "udp://127.0.0.1:9000")
	var out strings.Builder
	err := run(&out, 1, 0)
	if !errors.Is(err, varta.ErrTransportNotBuilt) || !strings.Contains(err.Error(), "built without -tags udp") {
		t.Fatalf("run = %v, want an error saying the program was built without -tags udp", err)
	}
}
