//go:build secureudp && !unix

package varta

import (
	"errors"
	"fmt"
	"runtime"
)

// newSecureTransport fails: the UDP transports are built on Unix socket
// calls.
func newSecureTransport(udpEndpoint, []byte, bool) (transport, error) {
	return nil, fmt.Errorf("varta: secure UDP transport is not available on %s: %w", runtime.GOOS, errors.ErrUnsupported)
}
