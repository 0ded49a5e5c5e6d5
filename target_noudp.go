//go:build !(udp || secureudp)

package varta

// dialUDPTarget fails: this build has no UDP transport.
func dialUDPTarget(observerTarget) (*Varta, error) {
	return nil, notBuilt("udp://", "udp", "udp (or secureudp, which includes it)")
}
