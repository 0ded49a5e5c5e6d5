//go:build !secureudp

package main

import (
	"errors"
	"strings"
	"testing"

	"github.com/varta-go/varta"
)

// The two ways to get a vartadump that opens secure frames.
var secureBuildLines = []string{
	"go install -tags secureudp github.com/varta-go/varta/cmd/vartadump@latest",
	"go run -tags secureudp ./cmd/vartadump",
}

func TestDumpSaysWhichBuildHasTheKeyFlags(t *testing.T) {
	for _, args := range [][]string{
		{"-udp", "127.0.0.1:0", "-key", "observer.key"},
		{"-udp", "127.0.0.1:0", "-master-key", "master.key"},
		{"-master-key", "master.key"},
		{"-uds", "/tmp/a", "-key=observer.key"},
	} {
		stderr := refuses(t, args, "", "vartadump: -key and -master-key open secure frames, which this build cannot; build one that can:\n")
		for _, want := range secureBuildLines {
			if !strings.Contains(stderr, want) {
				t.Errorf("%q: stderr does not give %q:\n%s", args, want, stderr)
			}
		}
	}
}

// A valid secureudp:// target is refused as ConnectTo refuses it in this
// build, followed by the build that takes it.
func TestDumpRefusesASecureTargetItCannotOpen(t *testing.T) {
	target := "secureudp://127.0.0.1:9443?masterkeyfile=/etc/varta/master.key"
	_, cerr := varta.ConnectTo(target)
	if !errors.Is(cerr, varta.ErrTransportNotBuilt) {
		t.Fatalf("ConnectTo(%q) = %v, want ErrTransportNotBuilt", target, cerr)
	}
	for _, stderr := range []string{
		refuses(t, []string{target}, "", "vartadump: "+cerr.Error()+"\n"),
		refuses(t, nil, target, "vartadump: VARTA_OBSERVER: "+cerr.Error()+"\n"),
	} {
		for _, want := range secureBuildLines {
			if !strings.Contains(stderr, want) {
				t.Errorf("stderr does not give %q:\n%s", want, stderr)
			}
		}
	}
}
