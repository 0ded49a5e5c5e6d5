//go:build (udp || secureudp) && unix

package varta

import (
	"testing"

	"golang.org/x/sys/unix"
)

// benchObserver returns the port of a loopback UDP socket that is never
// read: once its buffer is full the kernel discards what arrives, at the
// same cost for every sender compared.
func benchObserver(b *testing.B) int {
	b.Helper()
	fd, err := openSocket(unix.AF_INET, unix.SOCK_DGRAM)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { unix.Close(fd) })
	if err := unix.Bind(fd, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		b.Fatal(err)
	}
	sa, err := unix.Getsockname(fd)
	if err != nil {
		b.Fatal(err)
	}
	return sa.(*unix.SockaddrInet4).Port
}

// rawUDPSocket returns a connected UDP socket to the loopback port, set up
// as the agent's is.
func rawUDPSocket(b *testing.B, port int) int {
	b.Helper()
	var s dgramSocket
	s.fd = -1
	if err := s.dial(unix.AF_INET, &unix.SockaddrInet4{}, &unix.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.close() })
	return s.fd
}

func benchBeats(b *testing.B, v *Varta, err error) {
	b.Helper()
	if err != nil {
		b.Fatal(err)
	}
	defer v.Close()
	b.ReportAllocs()
	for b.Loop() {
		v.Beat(StatusOK, 0)
	}
}

// BenchmarkUDP compares a UDP beat (UDP/beat) with the floor it is built
// on, one send(2) of 32 bytes on a connected UDP socket (UDP/raw-send-32).
func BenchmarkUDP(b *testing.B) {
	port := benchObserver(b)
	b.Run("beat", func(b *testing.B) {
		v, err := ConnectUDP("127.0.0.1", port)
		benchBeats(b, v, err)
	})
	b.Run("raw-send-32", func(b *testing.B) {
		fd := rawUDPSocket(b, port)
		var frame [FrameBytes]byte
		b.ReportAllocs()
		for b.Loop() {
			unix.Send(fd, frame[:], 0)
		}
	})
}
