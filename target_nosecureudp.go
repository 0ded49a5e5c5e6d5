//go:build !secureudp

package varta

// dialSecureTarget fails: this build has no secure UDP transport.
func dialSecureTarget(observerTarget) (*Varta, error) {
	return nil, notBuilt("secureudp://", "secureudp", "secureudp")
}

// notBuilt returns an error matching ErrTransportNotBuilt that names the
// build tag the program lacks.
func notBuilt(scheme, tag, tags string) error {
	return &targetError{
		msg: "varta: the observer target is " + scheme + ", but this program was built without -tags " + tag + ": rebuild it with go build -tags " + tags + ", or name an observer this build can reach (unix:///absolute/path)",
		err: ErrTransportNotBuilt,
	}
}
