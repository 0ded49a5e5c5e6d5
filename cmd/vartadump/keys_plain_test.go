//go:build !secureudp

package main

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

func TestDumpSaysWhichBuildHasTheKeyFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-udp", "127.0.0.1:0", "-key", "observer.key"},
		{"-udp", "127.0.0.1:0", "-master-key", "master.key"},
		{"-master-key", "master.key"},
		{"-uds", "/tmp/a", "-key=observer.key"},
	} {
		var stderr bytes.Buffer
		got := run(args, io.Discard, &stderr, nil)
		if want := "go run -tags secureudp ./cmd/vartadump"; got != 2 || !strings.Contains(stderr.String(), want) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", args, got, stderr.String(), want)
		}
	}
}
