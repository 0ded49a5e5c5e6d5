//go:build unix && !linux

package varta

import (
	"errors"
	"sync/atomic"
)

// newForkMark reports that this system offers no wipe-on-fork memory, so
// beats read the pid.
func newForkMark() (*atomic.Uint64, error) {
	return nil, errors.New("varta: no wipe-on-fork memory on this system")
}
