//go:build secureudp && unix

package varta

// confirmsObserver is false, as for plain UDP: a UDP connect succeeds
// whether or not anything listens at the port, so a sealed frame sent on
// a fresh socket says nothing about the observer (R3.7).
func (t *secureTransport) confirmsObserver() bool { return false }
