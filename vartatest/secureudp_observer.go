//go:build secureudp

package vartatest

import (
	"testing"

	"github.com/varta-go/varta"
)

// NewSecureUDPObserver listens on an ephemeral UDP port of 127.0.0.1 for
// frames sealed under the shared key (varta.ConnectSecureUDP). A datagram
// that does not open under key is a violation (varta.ErrAuthentication,
// or varta.ErrSecureFrameLength for one of the wrong size). A key that is
// not varta.KeyBytes long fails the test at once. The observer keeps its own
// copy of key and wipes it at cleanup.
//
// Only built with -tags secureudp.
func NewSecureUDPObserver(tb testing.TB, key []byte) *UDPObserver {
	tb.Helper()
	k := keyCopy(tb, key)
	return newUDPObserver(tb, func(b []byte) (varta.Frame, error) { return varta.OpenSecureFrame(k, b) })
}

// NewSecureUDPObserverWithMaster listens on an ephemeral UDP port of
// 127.0.0.1 for 64-byte frames sealed under keys derived from master
// (varta.ConnectSecureUDPWithMaster), terminal frames included; it opens
// them with varta.OpenMasterFrame. Failures are reported as for
// NewSecureUDPObserver.
//
// Only built with -tags secureudp.
func NewSecureUDPObserverWithMaster(tb testing.TB, master []byte) *UDPObserver {
	tb.Helper()
	k := keyCopy(tb, master)
	return newUDPObserver(tb, func(b []byte) (varta.Frame, error) { return varta.OpenMasterFrame(k, b) })
}

// keyCopy checks key's length and returns a copy that tb's cleanup wipes.
func keyCopy(tb testing.TB, key []byte) []byte {
	tb.Helper()
	if len(key) != varta.KeyBytes {
		tb.Fatalf("vartatest: a key is %d bytes, got %d", varta.KeyBytes, len(key))
	}
	k := append([]byte(nil), key...)
	tb.Cleanup(func() { clear(k) })
	return k
}
