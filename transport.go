//go:build unix

package varta

// transport gets encoded frames to one observer. The agent's mutex
// serialises every call, so implementations keep no locks of their own.
// Two implementations: plainTransport (below) sends frames as they are,
// over a Unix socket or UDP, and secureTransport (secureudp.go) seals
// them. Both embed a link, the socket and the peer it reaches, which is
// where what varies by address (a Unix socket path or a UDP address)
// lives.
type transport interface {
	// send emits frame once and classifies the result. It never blocks
	// and never allocates.
	send(frame *[FrameBytes]byte) BeatOutcome
	// sendTerminal emits a terminal frame (SPEC section 7) once; transports that seal
	// frames use the terminal layout of R7.3 and read the pid and timestamp
	// from the frame. It never blocks and never allocates.
	sendTerminal(frame *[FrameBytes]byte) BeatOutcome
	// restart sets up the transport for a process with the given pid: at
	// connect and after a fork. It opens a fresh socket and, for secure UDP,
	// starts a fresh session, and swaps them in only when every step
	// succeeded; on error the previous state stays in use.
	restart(pid uint32) error
	// close releases the socket and wipes key material.
	close() error

	// reconnect, confirmsObserver and describe come with link, which
	// every transport embeds.
	reconnect() error
	confirmsObserver() bool
	describe(err error) error
}

// peer is an observer's address: how to open a socket to it and what the
// errors of doing so mean. Its implementations are unixPeer (uds.go) and
// udpPeer (udp.go).
type peer interface {
	// dial opens a socket connected to the observer. On error nothing
	// stays open and the error is a bare syscall.Errno or
	// errSelfConnected, which allocate nothing, so a beat that reconnects
	// stays allocation free.
	dial() (int, error)
	// confirmsObserver reports whether a successful dial shows that an
	// observer is bound at the address, so that resending a dropped frame
	// on the fresh socket can reach it (R3.7). A Unix socket's connect
	// fails when nobody is bound; a UDP connect succeeds whether or not
	// anything listens, and a refusal arrives only later, as ICMP.
	confirmsObserver() bool
	// describe turns an error of dial into the error Connect and
	// Reconnect return: it names the observer and says what to do.
	describe(err error) error
}

// link is the socket a transport sends through and the peer it reaches.
type link struct {
	sock dgramSocket
	peer peer
}

func newLink(p peer) link { return link{sock: dgramSocket{fd: -1}, peer: p} }

// reconnect replaces the socket with a fresh one to the same observer
// (R3.7, Reconnect), and keeps the old one if that fails.
func (l *link) reconnect() error {
	fd, err := l.peer.dial()
	if err != nil {
		return err
	}
	l.sock.replace(fd)
	return nil
}

func (l *link) confirmsObserver() bool { return l.peer.confirmsObserver() }

func (l *link) describe(err error) error { return l.peer.describe(err) }

// plainTransport sends frames as they are, over a Unix datagram socket
// (Connect) or UDP (ConnectUDP).
type plainTransport struct{ link }

var _ transport = (*plainTransport)(nil)

func newPlainTransport(p peer) *plainTransport { return &plainTransport{newLink(p)} }

func (t *plainTransport) send(frame *[FrameBytes]byte) BeatOutcome {
	return t.sock.send(frame[:])
}

func (t *plainTransport) sendTerminal(frame *[FrameBytes]byte) BeatOutcome {
	return t.sock.send(frame[:])
}

// restart is reconnect: plain frames carry no session state.
func (t *plainTransport) restart(uint32) error { return t.reconnect() }

func (t *plainTransport) close() error { return t.sock.close() }
