//go:build udp || secureudp

package vartatest

import (
	"net"
	"testing"
	"time"

	"github.com/varta-go/varta"
)

// UDPObserver is a test observer listening on a UDP port of 127.0.0.1.
// It checks frames as Observer does, except the sender's pid, which UDP
// does not carry.
//
// Only built with -tags udp or -tags secureudp.
type UDPObserver struct {
	port int
	c    *checker
}

// NewUDPObserver listens on an ephemeral UDP port of 127.0.0.1 for plain
// 32-byte frames (varta.ConnectUDP). tb's cleanup closes the socket; a
// failure to listen fails the test at once.
//
// Only built with -tags udp or -tags secureudp.
func NewUDPObserver(tb testing.TB) *UDPObserver {
	tb.Helper()
	return newUDPObserver(tb, varta.DecodeFrame)
}

func newUDPObserver(tb testing.TB, open func([]byte) (varta.Frame, error)) *UDPObserver {
	tb.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		tb.Fatalf("vartatest: listen on UDP: %v", err)
	}
	tb.Cleanup(func() { conn.Close() })
	read := func(b []byte) (int, uint32, error) {
		n, err := conn.Read(b)
		return n, 0, err
	}
	return &UDPObserver{port: conn.LocalAddr().(*net.UDPAddr).Port, c: newChecker(tb, conn, read, open)}
}

// Port returns the observer's UDP port on 127.0.0.1.
func (o *UDPObserver) Port() int { return o.port }

// Next waits up to timeout for the next frame and returns it, reporting
// violations as Observer.Next does.
func (o *UDPObserver) Next(timeout time.Duration) (varta.Frame, error) {
	o.c.tb.Helper()
	return o.c.next(timeout)
}
