//go:build udp || secureudp

package vartatest

import (
	"net"
	"strconv"
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
	port   int
	target string
	r      *receiver
}

// NewUDPObserver listens on an ephemeral UDP port of 127.0.0.1 for plain
// 32-byte frames (varta.ConnectUDP). tb's cleanup closes it, as Close
// does; a failure to listen fails the test at once.
//
// Only built with -tags udp or -tags secureudp.
func NewUDPObserver(tb testing.TB) *UDPObserver {
	tb.Helper()
	return newUDPObserver(tb, "udp", "", varta.DecodeFrame, func() {})
}

// newUDPObserver listens on an ephemeral port of 127.0.0.1 and opens
// datagrams with open. Its target is scheme://127.0.0.1:port, followed by
// query; release frees what the observer holds besides its socket.
func newUDPObserver(tb testing.TB, scheme, query string, open func([]byte) (varta.Frame, error), release func()) *UDPObserver {
	tb.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		release()
		tb.Fatalf("vartatest: listen on UDP: %v", err)
	}
	read := func(b []byte) (int, uint32, error) {
		n, err := conn.Read(b)
		return n, 0, err
	}
	port := conn.LocalAddr().(*net.UDPAddr).Port
	return &UDPObserver{
		port:   port,
		target: scheme + "://127.0.0.1:" + strconv.Itoa(port) + query,
		r:      newReceiver(tb, conn, read, open, release),
	}
}

// Port returns the observer's UDP port on 127.0.0.1.
func (o *UDPObserver) Port() int { return o.port }

// Target returns the observer's address as a target string for
// varta.ConnectTo or VARTA_OBSERVER: udp://127.0.0.1:port, or for a secure
// observer secureudp://127.0.0.1:port?keyfile=/path (masterkeyfile= with a
// master key), naming a key file the observer wrote.
func (o *UDPObserver) Target() string { return o.target }

// Next waits up to timeout for the next frame and returns it, reporting
// violations as Observer.Next does.
func (o *UDPObserver) Next(timeout time.Duration) (varta.Frame, error) {
	o.r.tb.Helper()
	return o.r.next(timeout, true)
}

// Receive is Next without the report, as Observer.Receive.
func (o *UDPObserver) Receive(timeout time.Duration) (varta.Frame, error) {
	return o.r.next(timeout, false)
}

// NextTerminal receives frames until a terminal frame arrives, as
// Observer.NextTerminal does.
func (o *UDPObserver) NextTerminal(timeout time.Duration) (varta.Frame, error) {
	o.r.tb.Helper()
	return o.r.nextTerminal(timeout)
}

// Close makes the observer vanish: it closes the socket and, for a secure
// observer, removes the key file and wipes the observer's copy of the key.
// Calling it again, or the cleanup that calls it, does nothing.
func (o *UDPObserver) Close() { o.r.close() }
