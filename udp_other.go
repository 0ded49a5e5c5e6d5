//go:build (udp || secureudp) && !unix

package varta

import (
	"errors"
	"fmt"
	"runtime"
)

// newUDPTransport fails: the UDP transport is built on Unix socket calls.
func newUDPTransport(udpEndpoint) (transport, error) {
	return nil, fmt.Errorf("varta: UDP transport is not available on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}
