//go:build secureudp && !unix

package varta

import (
	"errors"
	"runtime"
)

// newSecureTransport fails: the UDP transports are built on Unix socket
// calls.
func newSecureTransport(udpEndpoint, []byte, bool) (transport, error) {
	return nil, &setupError{msg: "varta: secure UDP transport is not available on " + runtime.GOOS + ": " + errors.ErrUnsupported.Error(), err: errors.ErrUnsupported}
}
