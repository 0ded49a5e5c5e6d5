//go:build !secureudp

package main

import (
	"flag"

	"github.com/varta-go/varta"
)

// keyUsage tells how to get the key flags this build lacks.
const keyUsage = `

-key and -master-key, to open secure UDP frames, need a build with
-tags secureudp: go run -tags secureudp ./cmd/vartadump -h`

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
	const help = " (not in this build: go run -tags secureudp ./cmd/vartadump)"
	fs.StringVar(&k.key, "key", "", "open 60-byte secure frames with the shared key in `FILE`"+help)
	fs.StringVar(&k.master, "master-key", "", "open 64-byte secure frames with keys derived from the master key in `FILE`"+help)
}

// check refuses -key and -master-key.
func (k *keyFlags) check(bool) string {
	if k.key != "" || k.master != "" {
		return "-key and -master-key open secure frames, which this build cannot: " +
			"run go run -tags secureudp ./cmd/vartadump (or build with -tags secureudp)"
	}
	return ""
}

// opener returns the decoder of plain frames.
func (*keyFlags) opener() (func([]byte) (varta.Frame, error), string, error) {
	return varta.DecodeFrame, "plain frames", nil
}
