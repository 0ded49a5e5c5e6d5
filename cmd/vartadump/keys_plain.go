//go:build !secureudp

package main

import (
	"flag"
	"fmt"

	"github.com/varta-go/varta"
)

// secureBuild says how to get a vartadump that opens secure frames.
const secureBuild = `go install -tags secureudp github.com/varta-go/varta/cmd/vartadump@latest
  (in a checkout: go run -tags secureudp ./cmd/vartadump)`

// keyUsage says that this build lacks the key flags and secureudp://
// targets.
const keyUsage = `

This vartadump opens plain frames only: secureudp:// targets, -key and
-master-key need one built with -tags secureudp (see Install below).`

// keyExample is empty: this build has no key flags.
const keyExample = ""

// keyFlags are the key flags given to a build that cannot use them: they
// are defined so that giving one says which build has them, instead of the
// flag package's "flag provided but not defined".
type keyFlags struct {
	key, master string
}

// add defines -key and -master-key, which check refuses.
func (k *keyFlags) add(fs *flag.FlagSet) {
	const help = " (needs a build with -tags secureudp, see above)"
	fs.StringVar(&k.key, "key", "", "open 60-byte secure frames with the shared key in `FILE`"+help)
	fs.StringVar(&k.master, "master-key", "", "open 64-byte secure frames with keys derived from the master key in `FILE`"+help)
}

// check refuses -key and -master-key.
func (k *keyFlags) check(bool) string {
	if k.key != "" || k.master != "" {
		return "-key and -master-key open secure frames, which this build cannot; build one that can:\n  " + secureBuild
	}
	return ""
}

// fromTarget refuses the secureudp:// target s in the library's words: in
// a build without secureudp, ConnectTo answers every such target, before
// any system call, with an error matching varta.ErrTransportNotBuilt.
func (*keyFlags) fromTarget(s string, _ varta.Target) error {
	_, err := varta.ConnectTo(s)
	return fmt.Errorf("%w\nA vartadump that opens secure frames:\n  %s", err, secureBuild)
}

// opener returns the decoder of plain frames.
func (*keyFlags) opener() (frameOpener, error) { return plainOpener, nil }

// isReplay reports false: plain frames carry nothing that tells a replay.
func isReplay(error) bool { return false }
