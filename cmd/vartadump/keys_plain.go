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

// keyFlags is empty: this build reads plain frames only.
type keyFlags struct{}

// add defines no flags.
func (*keyFlags) add(*flag.FlagSet) {}

// check finds nothing wrong.
func (*keyFlags) check(bool) string { return "" }

// opener returns the decoder of plain frames.
func (*keyFlags) opener() (func([]byte) (varta.Frame, error), string, error) {
	return varta.DecodeFrame, "plain frames", nil
}
