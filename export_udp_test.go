//go:build udp || secureudp

package varta

// Hooks into the plain UDP transport: reach its socket, so the socket
// hooks of export_test.go work on UDP agents too.

// socket returns the transport's socket.
func (t *udpTransport) socket() *dgramSocket { return &t.sock }
