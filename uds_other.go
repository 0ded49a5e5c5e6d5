//go:build !unix

package varta

import (
	"errors"
	"fmt"
	"runtime"
)

// Connect is not available on this system: it has no Unix datagram sockets.
// It returns an error matching errors.ErrUnsupported.
func Connect(path string) (*Varta, error) {
	return nil, fmt.Errorf("varta: Connect: %s has no Unix datagram sockets: %w", runtime.GOOS, errors.ErrUnsupported)
}
