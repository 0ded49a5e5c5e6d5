//go:build secureudp && unix

package varta

import (
	"testing"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/sys/unix"
)

// BenchmarkSecureUDP compares a shared-key beat (SecureUDP/shared-beat)
// with its floor, one ChaCha20-Poly1305 seal of 32 bytes plus one send(2)
// of 60 bytes (SecureUDP/raw-seal-send-60), and a master-key beat
// (SecureUDP/master-beat) with the shared-key beat: a master-key beat
// derives no key, so the two should cost the same.
func BenchmarkSecureUDP(b *testing.B) {
	port := benchObserver(b)
	key := make([]byte, KeyBytes)
	b.Run("shared-beat", func(b *testing.B) {
		v, err := ConnectSecureUDP("127.0.0.1", port, key)
		benchBeats(b, v, err)
	})
	b.Run("master-beat", func(b *testing.B) {
		v, err := ConnectSecureUDPWithMaster("127.0.0.1", port, key)
		benchBeats(b, v, err)
	})
	b.Run("raw-seal-send-60", func(b *testing.B) {
		fd := rawUDPSocket(b, port)
		aead, err := chacha20poly1305.New(key)
		if err != nil {
			b.Fatal(err)
		}
		var frame [FrameBytes]byte
		var nonce [chacha20poly1305.NonceSize]byte
		wire := make([]byte, SecureFrameBytes)
		b.ReportAllocs()
		for b.Loop() {
			nonce[8]++
			unix.Send(fd, aead.Seal(wire[:len(nonce)], nonce[:], frame[:], nil), 0)
		}
	})
}
