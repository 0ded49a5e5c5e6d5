//go:build secureudp

package vartatest

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/varta-go/varta"
)

// NewSecureUDPObserver listens on an ephemeral UDP port of 127.0.0.1 for
// frames sealed under the shared key (varta.ConnectSecureUDP), and opens
// them with one varta.SecureOpener for its life. A datagram that does not
// open under key is a violation (varta.ErrAuthentication, or
// varta.ErrSecureFrameLength for one of the wrong size), and so is a
// replayed frame (varta.ErrReplay). A key that is not varta.KeyBytes long
// fails the test at once. The observer writes the key for Target into a
// key file that only this user can read, in a directory only this user can
// enter, and keeps no other copy than its opener's; Close closes the
// opener and removes the file.
//
// Only built with -tags secureudp.
func NewSecureUDPObserver(tb testing.TB, key []byte) *UDPObserver {
	tb.Helper()
	return newSecureUDPObserver(tb, key, "keyfile", func(key []byte) (secureOpener, error) { return varta.NewSecureOpener(key) })
}

// NewSecureUDPObserverWithMaster listens on an ephemeral UDP port of
// 127.0.0.1 for 64-byte frames sealed under keys derived from master
// (varta.ConnectSecureUDPWithMaster), terminal frames included; it opens
// them with one varta.MasterOpener for its life. Failures, replays among
// them, are reported, and the key kept, as for NewSecureUDPObserver.
//
// Only built with -tags secureudp.
func NewSecureUDPObserverWithMaster(tb testing.TB, master []byte) *UDPObserver {
	tb.Helper()
	return newSecureUDPObserver(tb, master, "masterkeyfile", func(key []byte) (secureOpener, error) { return varta.NewMasterOpener(key) })
}

// secureOpener is what varta.SecureOpener and varta.MasterOpener have in
// common.
type secureOpener interface {
	Open(wire []byte) (varta.Frame, error)
	Close() error
}

// newSecureUDPObserver returns an observer that opens frames with the
// opener newOpener makes of key, and whose target names its key file with
// param.
func newSecureUDPObserver(tb testing.TB, key []byte, param string, newOpener func([]byte) (secureOpener, error)) *UDPObserver {
	tb.Helper()
	if len(key) != varta.KeyBytes {
		tb.Fatalf("vartatest: a key is %d bytes, got %d", varta.KeyBytes, len(key))
	}
	opener, err := newOpener(key)
	if err != nil {
		tb.Fatalf("vartatest: %v", err)
	}
	dir := tempDir(tb)
	release := func() {
		opener.Close()
		os.RemoveAll(dir)
	}
	path := filepath.Join(dir, "observer.key")
	if err := writeKeyFile(path, key); err != nil {
		release()
		tb.Fatalf("vartatest: write the key file: %v", err)
	}
	return newUDPObserver(tb, "secureudp", "?"+param+"="+path, opener.Open, release)
}

// writeKeyFile writes key as 64 hexadecimal characters into a new file at
// path that only its owner may read and write (mode 0600).
func writeKeyFile(path string, key []byte) error {
	text := make([]byte, hex.EncodedLen(len(key))+1)
	defer clear(text)
	hex.Encode(text, key)
	text[len(text)-1] = '\n'
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return err
	}
	if _, err := f.Write(text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
