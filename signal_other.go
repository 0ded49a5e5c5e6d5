//go:build !unix

package varta

// HandleSignals installs nothing on this system, where a signal cannot be
// sent again to the process as it is on Unix, and returns a stop function
// that does nothing. Programs call SendTerminal on their way out instead.
func (v *Varta) HandleSignals() (stop func()) {
	return func() {}
}
