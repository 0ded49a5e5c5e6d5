//go:build unix && !udp && !secureudp

package varta

// What a build without udp (or secureudp, which includes it) has in place
// of the UDP transport: an answer to udp:// targets.

// udpForms is what a build without udp adds to builtForms: nothing.
const udpForms = ""

// connectUDPTarget is ConnectTo's answer to a udp:// target in a build
// without udp: an error matching ErrTransportNotBuilt that names the tag
// to build with.
func connectUDPTarget(Target) (*Varta, error) {
	return nil, &textError{
		msg: "varta: the observer target is udp://, but this program was built without -tags udp: rebuild it with go build -tags udp (or secureudp, which includes it), or name an observer this build can reach (" + builtForms + ")",
		err: ErrTransportNotBuilt,
	}
}

// nameWatch is what a build without udp follows a name with: nothing. No
// agent of such a build has one (its watch is nil), and these methods,
// which do nothing, compile to nothing on the beat path.
type nameWatch struct{}

func (*nameWatch) poke() {}

func (*nameWatch) stop() {}

func (*nameWatch) reconnect(*Varta) error { return nil }
