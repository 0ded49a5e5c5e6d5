//go:build unix && secureudp

package varta

import (
	"crypto/cipher"
	"encoding/binary"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/sys/unix"
)

// ConnectSecureUDP returns an agent that sends beats over UDP sealed with
// ChaCha20-Poly1305 under a 32-byte key shared with the observer, as
// 60-byte frames (SPEC section 6). Only built with -tags secureudp.
//
// host and port are as for ConnectUDP. A key that is not KeyBytes long
// fails with an error matching ErrKeyLength (ParseKeyHex and LoadKeyFile
// read one from text). The agent keeps its own copy of the key, which
// Close wipes; the caller may wipe key once ConnectSecureUDP returns. The
// agent builds one cipher for its life; the cipher object holds a copy of
// the key that no API can reach: it is not wiped, only released to the
// garbage collector (SECURITY.md lists what remains).
//
// Connect, fork recovery and the exhaustion of every prefix start a new
// session: a 16-byte salt from crypto/rand from which the 8-byte IV
// prefixes are derived, and a 4-byte counter. Reconnect (explicit or
// automatic) replaces only the socket and keeps the session, so that a
// reconnect storm spends no fresh prefixes. Each beat's AEAD nonce is the
// current prefix and counter; every seal consumes it, whatever the send
// returns, the prefix changes after 2^32-1 counters, and a session that
// has used every prefix is replaced by a new one. So no nonce is ever
// sealed twice under the key. A beat reads no entropy and allocates
// nothing; the observer opens frames, beats and terminal frames alike,
// with OpenSecureFrame.
func ConnectSecureUDP(host string, port int, key []byte) (*Varta, error) {
	return connectSecure(host, port, key, false)
}

// ConnectSecureUDPWithMaster is ConnectSecureUDP with a master key shared
// by many agents: each agent seals with the key HKDF-SHA256 derives from
// the master key and its pid (see AgentKey), and sends 64-byte frames that
// start with the pid in the clear, authenticated as associated data.
// Only built with -tags secureudp.
//
// The key is derived, and its cipher built, at connect and again only
// when a fork recovery finds another pid, so a forked child seals with a
// key of its own; beats and reconnects never derive keys. Terminal frames
// use the same 64-byte layout and key as beats, so the observer opens
// everything the agent sends with OpenMasterFrame, or a MasterOpener,
// holding only the master key. The agent's copy of the master key is
// wiped by Close; the derived key exists only inside the cipher, with the
// limit ConnectSecureUDP states.
func ConnectSecureUDPWithMaster(host string, port int, master []byte) (*Varta, error) {
	return connectSecure(host, port, master, true)
}

func connectSecure(host string, port int, key []byte, master bool) (*Varta, error) {
	what := "key"
	if master {
		what = "master key"
	}
	if err := checkKey(what, key); err != nil {
		return nil, err
	}
	ep, err := resolveUDP(host, port)
	if err != nil {
		return nil, err
	}
	tr, err := newSecureTransport(ep, key, master)
	if err != nil {
		return nil, err
	}
	v, err := newAgent(tr)
	if err != nil {
		tr.close() // wipes the copied key
		return nil, err
	}
	return v, nil
}

// errOverflow is the errno of a terminal frame refused because its
// session has no terminal nonce left.
const errOverflow = unix.EOVERFLOW

// secureTransport seals frames with ChaCha20-Poly1305 and sends them over
// a connected UDP socket (SPEC section 6). The nonce and the sealed frame
// are built in fields, so sealing allocates nothing.
//
// Its reconnect is link's: it replaces the socket and keeps the session,
// its counters and the cipher (R6.2), so a reconnect storm spends no fresh
// prefixes; restart, for a new process, starts a new session.
type secureTransport struct {
	link
	master bool
	key    secretKey // the shared key, or the master key; wiped by close
	// aead seals every frame. With a shared key it is built once, at
	// construction; with a master key it holds the key derived for
	// aeadPID, and is built again only when restart gets another pid.
	aead    cipher.AEAD
	aeadPID uint32
	s       *session // the current session; replaced, never reset

	nonce [nonceBytes]byte
	wire  [MasterFrameBytes]byte
}

var _ transport = (*secureTransport)(nil)

// newSecureTransport returns an unconnected transport holding a copy of
// key, and for a shared key the cipher it seals with for its life;
// restart connects it.
func newSecureTransport(ep udpEndpoint, key []byte, master bool) (transport, error) {
	t := &secureTransport{link: newLink(newUDPPeer(ep)), master: master, key: newSecretKey(key)}
	if !master {
		aead, err := chacha20poly1305.New(t.key.b[:])
		if err != nil {
			t.key.wipe()
			return nil, err
		}
		t.aead = aead
	}
	return t, nil
}

// String and GoString keep the transport's keys and state out of printed
// output.
func (t *secureTransport) String() string { return "varta.secureTransport(redacted)" }

func (t *secureTransport) GoString() string { return t.String() }

// send seals frame under the session's next (prefix, counter), consumes
// that pair whatever the send returns (R6.4: a send reported failed may
// still have left the host), and sends it. A spent session is first
// replaced by a new one on the same socket.
func (t *secureTransport) send(frame *[FrameBytes]byte) BeatOutcome {
	sealed, ok := t.sealBeat(frame)
	if !ok {
		return failed(0, opNewSession) // a new salt could not be drawn
	}
	return t.sock.send(sealed)
}

// sealBeat seals frame as the next beat of the session and moves the
// session past the nonce it used. ok is false if the session was spent
// and no new one could be started.
func (t *secureTransport) sealBeat(frame *[FrameBytes]byte) (sealed []byte, ok bool) {
	if t.s.spent() {
		s, err := newSession()
		if err != nil {
			return nil, false
		}
		t.s = s
	}
	s := t.s
	sealed = t.seal(frame, &s.prefix, uint32(s.counter))
	s.advance()
	return sealed, true
}

// seal seals frame under the nonce prefix || u32le(counter) in the layout
// of the agent's key mode: the shared-key layout, or the master-key
// layout with the pid of the cipher's key in the clear as associated
// data.
func (t *secureTransport) seal(frame *[FrameBytes]byte, prefix *[prefixBytes]byte, counter uint32) []byte {
	copy(t.nonce[:], prefix[:])
	binary.LittleEndian.PutUint32(t.nonce[counterAt:], counter)
	if !t.master {
		copy(t.wire[sharedNonce:], t.nonce[:])
		return t.aead.Seal(t.wire[:sharedSeal], t.nonce[:], frame[:], nil)
	}
	binary.LittleEndian.PutUint32(t.wire[masterPID:], t.aeadPID)
	copy(t.wire[masterNonce:], t.nonce[:])
	return t.aead.Seal(t.wire[:masterSeal], t.nonce[:], frame[:], t.wire[masterPID:masterNonce])
}

// sendTerminal seals a terminal frame in the layout of the agent's beats
// under a prefix no beat can use (R7.3): HKDF of the session salt with the
// pid, the timestamp and a terminal counter claimed from the session,
// which is consumed whatever the send returns. The agent's lock makes each
// claim atomic. When all 2^32 terminal counters of the session are
// claimed, the frame is not sent and the outcome is Failed with
// EOVERFLOW.
//
// In master-key mode the frame is sealed with the key derived for its pid,
// the key of the agent's beats, in the 64-byte layout, so that an observer
// holding only the master key opens it; the master key never seals
// anything. A frame naming another pid than the one the cipher was built
// for (a fork not yet recovered from) could be opened by nobody: it is not
// sent, and the outcome is Failed with EINVAL.
func (t *secureTransport) sendTerminal(frame *[FrameBytes]byte) BeatOutcome {
	pid := binary.LittleEndian.Uint32(frame[offPID:])
	ts := binary.LittleEndian.Uint64(frame[offTimestamp:])
	if t.master && pid != t.aeadPID {
		return failed(errInvalid, opTerminalStaleKey)
	}
	s := t.s
	c, ok := s.claimTerminal()
	if !ok {
		return failed(errOverflow, opTerminalSpent)
	}
	prefix := s.iv.panicPrefix(pid, ts, c)
	return t.sock.send(t.seal(frame, &prefix, c))
}

// restart sets up the transport for a new process with the given pid: a
// fresh socket and a new session (new salt) and, in master-key mode when
// pid differs from the pid of the current cipher, the cipher of pid's
// derived key. It swaps them in only when all are ready. The socket comes
// first: a restart that fails for want of one (the usual failure)
// allocates nothing and reads no entropy.
func (t *secureTransport) restart(pid uint32) error {
	fd, err := t.peer.dial()
	if err != nil {
		return err
	}
	s, err := newSession()
	if err != nil {
		unix.Close(fd)
		return err
	}
	aead := t.aead
	if t.master && (aead == nil || pid != t.aeadPID) {
		if aead, err = agentCipher(t.key.b, pid); err != nil {
			unix.Close(fd)
			return err
		}
	}
	t.sock.replace(fd)
	t.s = s
	t.aead, t.aeadPID = aead, pid
	return nil
}

// close closes the socket, wipes the key, the last nonce and the last
// sealed frame, and drops the cipher and the session.
func (t *secureTransport) close() error {
	err := t.sock.close()
	t.key.wipe()
	clear(t.nonce[:])
	clear(t.wire[:])
	t.aead = nil
	t.s = nil
	return err
}

// dialSecure reads the key file of a secureudp:// target and connects
// with the shared or master key, wiping the key it read, which the agent
// has copied: the method by which this file adds secure UDP to ConnectTo
// (target.go).
func (tagged) dialSecure(t observerTarget) (*Varta, error) {
	key, err := LoadKeyFile(t.keyFile)
	if err != nil {
		return nil, err
	}
	defer clear(key)
	if t.master {
		return ConnectSecureUDPWithMaster(t.host, t.port, key)
	}
	return ConnectSecureUDP(t.host, t.port, key)
}
