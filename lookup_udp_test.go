//go:build udp || secureudp

package varta

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
)

// forbidLookups replaces the default resolver, for the test, with one
// whose queries fail at once without leaving the process, and returns the
// count of queries it saw. It consults no hosts file, so every name it is
// asked about is counted.
func forbidLookups(t *testing.T) *atomic.Int64 {
	t.Helper()
	var n atomic.Int64
	saved := net.DefaultResolver
	net.DefaultResolver = &net.Resolver{PreferGo: true, Dial: func(context.Context, string, string) (net.Conn, error) {
		n.Add(1)
		return nil, errors.New("lookups are forbidden in this test")
	}}
	t.Cleanup(func() { net.DefaultResolver = saved })
	return &n
}
