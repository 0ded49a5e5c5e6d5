//go:build secureudp && unix

package varta

import (
	"encoding/binary"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/sys/unix"
)

// errOverflow is the errno of a terminal frame refused because its
// session has no terminal nonce left.
const errOverflow = unix.EOVERFLOW

// secureTransport seals frames with ChaCha20-Poly1305 and sends them over
// a connected UDP socket (SPEC section 6). The nonce and the sealed frame
// are built in fields, so sealing allocates nothing.
type secureTransport struct {
	sock   dgramSocket
	peer   udpPeer
	master bool
	key    [KeyBytes]byte // the shared key, or the master key; wiped by close
	s      *session       // the current session; replaced, never reset

	nonce [chacha20poly1305.NonceSize]byte
	wire  [MasterFrameBytes]byte
}

var _ transport = (*secureTransport)(nil)

// newSecureTransport returns an unconnected transport holding a copy of
// key; reconnect connects it.
func newSecureTransport(ep udpEndpoint, key []byte, master bool) (transport, error) {
	t := &secureTransport{sock: dgramSocket{fd: -1}, peer: newUDPPeer(ep), master: master}
	copy(t.key[:], key)
	return t, nil
}

// send seals frame under the session's next (prefix, counter) and sends
// it; the pair is committed only when the kernel accepted the frame
// (R6.4). A spent session is first replaced by a new one on the same
// socket.
func (t *secureTransport) send(frame *[FrameBytes]byte) BeatOutcome {
	if t.s.spent() {
		s, err := newSession(&t.key, t.master, t.s.pid)
		if err != nil {
			return failed(0, opNewSession) // a new salt or key could not be derived
		}
		t.s = s
	}
	s := t.s
	copy(t.nonce[:], s.prefix[:])
	binary.LittleEndian.PutUint32(t.nonce[prefixBytes:], uint32(s.counter))
	var sealed []byte
	if t.master {
		binary.LittleEndian.PutUint32(t.wire[:4], s.pid)
		n := 4 + copy(t.wire[4:], t.nonce[:])
		sealed = s.aead.Seal(t.wire[:n], t.nonce[:], frame[:], t.wire[:4])
	} else {
		n := copy(t.wire[:], t.nonce[:])
		sealed = s.aead.Seal(t.wire[:n], t.nonce[:], frame[:], nil)
	}
	out := t.sock.send(sealed)
	if out.IsSent() {
		s.advance()
	}
	return out
}

// sendTerminal seals a terminal frame in the 60-byte layout under a prefix
// no beat can use (R7.3): HKDF of the session salt with the pid, the
// timestamp and a terminal counter claimed from the session, which is
// consumed whatever the send returns. The agent's lock makes each claim
// atomic. When all 2^32 terminal counters of the session are claimed, the
// frame is not sent and the outcome is Failed with EOVERFLOW.
//
// In master-key mode the frame is sealed with the key derived for the
// session's pid, the key the agent's beats use, rather than with the
// master key: the master key then never seals anything, and an observer
// opens the frame with AgentKey(master, pid). Only if the pid changed and
// no beat has yet recovered from the fork does pid differ from the
// session's; the frame is then sealed with the old pid's key and an
// observer holding only the new pid's key cannot open it. Its nonce is
// still fresh: pid is part of the prefix derivation.
func (t *secureTransport) sendTerminal(frame *[FrameBytes]byte) BeatOutcome {
	pid := binary.LittleEndian.Uint32(frame[offPID:])
	ts := binary.LittleEndian.Uint64(frame[offTimestamp:])
	s := t.s
	c, ok := s.claimTerminal()
	if !ok {
		return failed(errOverflow, opTerminalSpent)
	}
	prefix := s.iv.panicPrefix(pid, ts, c)
	copy(t.nonce[:], prefix[:])
	binary.LittleEndian.PutUint32(t.nonce[prefixBytes:], c)
	n := copy(t.wire[:], t.nonce[:])
	return t.sock.send(s.aead.Seal(t.wire[:n], t.nonce[:], frame[:], nil))
}

// reconnect replaces the socket and, for now, starts a new session for the
// same pid as restart does.
func (t *secureTransport) reconnect() error { return t.restart(t.s.pid) }

// restart starts a new session for pid (new salt and, in master-key
// mode, the key of pid) on a fresh socket, and swaps both in only when
// both are ready. The socket comes first: a restart that fails for want
// of one (the usual failure) allocates nothing and reads no entropy; one
// that succeeds allocates the session's cipher and key schedule.
func (t *secureTransport) restart(pid uint32) error {
	fd, err := t.peer.connect()
	if err != nil {
		return err
	}
	s, err := newSession(&t.key, t.master, pid)
	if err != nil {
		unix.Close(fd)
		return err
	}
	t.sock.replace(fd)
	t.s = s
	return nil
}

func (t *secureTransport) describe(err error) error {
	return t.peer.describe(err)
}

// close closes the socket and wipes the key, the last nonce and the last
// sealed frame.
func (t *secureTransport) close() error {
	err := t.sock.close()
	clear(t.key[:])
	clear(t.nonce[:])
	clear(t.wire[:])
	t.s = nil
	return err
}
