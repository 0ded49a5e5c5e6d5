//go:build unix && !secureudp

package varta

// What a build without secureudp has in place of the secure transport: an
// answer to secureudp:// targets, and sealing state that seals nothing.

// connectSecureTarget is ConnectTo's answer to a secureudp:// target in a
// build without secureudp: an error matching ErrTransportNotBuilt that
// names the tag to build with, and not the key file, which it never read.
func connectSecureTarget(Target) (*Varta, error) {
	return nil, &textError{
		msg: "varta: the observer target is secureudp://, but this program was built without -tags secureudp: rebuild it with go build -tags secureudp, or name an observer this build can reach (" + builtForms + ")",
		err: ErrTransportNotBuilt,
	}
}

// secureForms is what a build without secureudp adds to builtForms:
// nothing.
const secureForms = ""

// sealing is what a build without secureudp seals frames with: nothing.
// No agent of such a build has sealing state (its seal is nil), and these
// methods, which return frames as they are, compile to nothing on the
// beat path.
type sealing struct{}

func (*sealing) beat(frame *[FrameBytes]byte) []byte { return frame[:] }

func (*sealing) terminal(frame *[FrameBytes]byte) (wire []byte, refused BeatOutcome) {
	return frame[:], refused
}

func (*sealing) restart(uint32) {}

func (*sealing) close() {}
