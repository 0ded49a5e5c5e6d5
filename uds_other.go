//go:build !unix

package varta

import (
	"errors"
	"runtime"
)

// Connect is not available on this system: it has no Unix datagram sockets.
// It returns an error matching errors.ErrUnsupported.
func Connect(path string) (*Varta, error) {
	return nil, &setupError{msg: "varta: Connect: " + runtime.GOOS + " has no Unix datagram sockets: " + errors.ErrUnsupported.Error(), err: errors.ErrUnsupported}
}
