//go:build udp && !secureudp

package varta

// Fixtures of a build with the plain UDP transport but without the secure
// one: the UDP variants it can test.

import "testing"

// udpVariants returns the ways an agent of this build beats over UDP:
// plain frames only.
func udpVariants(*testing.T) []udpVariant { return []udpVariant{plainUDP} }
