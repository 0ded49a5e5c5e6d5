//go:build unix && !secureudp

package varta

// sealing is what a build without secureudp seals frames with: nothing.
// No agent of such a build has sealing state (its seal is nil), and these
// methods, which return frames as they are, compile to nothing on the
// beat path.
type sealing struct{}

func (*sealing) beat(frame *[FrameBytes]byte) (wire []byte, ok bool) { return frame[:], true }

func (*sealing) terminal(frame *[FrameBytes]byte) (wire []byte, refused BeatOutcome) {
	return frame[:], refused
}

func (*sealing) restart(uint32) error { return nil }

func (*sealing) close() {}
