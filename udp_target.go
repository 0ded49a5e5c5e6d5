//go:build udp || secureudp

package varta

// dialUDPTarget connects to a udp:// target.
func dialUDPTarget(t observerTarget) (*Varta, error) {
	return ConnectUDP(t.host, t.port)
}
