//go:build (udp || secureudp) && !unix

package varta

import (
	"errors"
	"runtime"
)

// newUDPTransport fails: the UDP transport is built on Unix socket calls.
func newUDPTransport(udpEndpoint) (transport, error) {
	return nil, &setupError{msg: "varta: UDP transport is not available on " + runtime.GOOS + ": " + errors.ErrUnsupported.Error(), err: errors.ErrUnsupported}
}
