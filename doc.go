// Package varta is an agent for the Varta Lifeline Protocol (VLP v0.2): a
// daemon connects once and calls Beat every few hundred milliseconds; each
// call sends one fire-and-forget 32-byte frame to an observer process, which
// raises an alarm when the beats stop.
//
//	agent, err := varta.Connect("/run/varta/observer.sock")
//	if err != nil {
//		return err
//	}
//	defer agent.Close()
//	out := agent.Beat(varta.StatusOK, queueDepth)
//
// # What Beat returns
//
// Beat never blocks, never panics and never allocates. It returns a
// BeatOutcome value:
//
//   - Sent: the kernel accepted the frame.
//   - Dropped (with a DropReason): the observer could not take the frame
//     now: its queue is full (KernelQueueFull), nothing is bound at the
//     address (NoObserver), the observer went away (PeerGone), or the
//     kernel is out of room (StorageFull). Nothing to fix in the daemon; the
//     next beat reuses the nonce, so the observer sees no gap. With
//     SetReconnectAfter the agent reconnects by itself after a run of drops.
//   - Failed (with Err): the status was StatusStall or unknown (nothing is
//     sent), the agent is closed (errors.Is(err, ErrClosed)), a forked
//     process could not reconnect, or the system refused the send for a
//     reason that will not clear by itself (EPERM, EMSGSIZE, ...).
//
// Every beat reads the pid afresh, so frames always carry the sender's real
// pid. When it changes (the process was restored from a checkpoint, or
// forked by code outside Go), the agent reconnects and restarts its
// sequence. A *Varta is safe for concurrent use; its beats are serialised
// so that nonces go 1, 2, 3 ... with no gap or repeat.
//
// # Run, and telling the observer about an exit
//
// Run beats from the calling goroutine until its context ends, asking a
// function for each beat's status and payload; after a pause it resumes
// with one beat, never a burst of catch-up beats. The daemon example shows
// the usual program: connect, guard, run.
//
// An observer notices that beats stopped only once they are overdue. A
// terminal frame (status Critical, nonce NonceTerminal) tells it at once
// that the process is ending:
//
//   - SendTerminal sends it from the program's own shutdown path.
//   - Guard, deferred at the top of main and of goroutines, sends it on a
//     panic and panics again with the same value.
//   - HandleSignals, opt-in for programs with no signal handling of their
//     own, sends it on SIGTERM, SIGINT, SIGQUIT or SIGHUP and then lets the
//     signal take its default course. It never kills a program that
//     handles these signals itself.
//
// Sending a terminal frame never blocks, dials, resolves or allocates; it
// is safe alongside running beats, and the terminal frames of one process
// carry strictly increasing timestamps. Connect, Beat and Run start no
// goroutine; HandleSignals starts one.
//
// # Build tags
//
// A build without tags has the frame codec and the Unix datagram transport
// (Connect) and imports neither the net package nor golang.org/x/crypto.
// Everything else is opt-in, as with Cargo features:
//
//   - udp: ConnectUDP, plain 32-byte frames over UDP (IPv4 and IPv6), and
//     ErrInvalidAddress. It imports the net package, only to resolve the
//     observer's name once in ConnectUDP.
//   - secureudp: implies udp, and adds ConnectSecureUDP and
//     ConnectSecureUDPWithMaster (ChaCha20-Poly1305 frames of
//     SecureFrameBytes and MasterFrameBytes), the key helpers ParseKeyHex,
//     LoadKeyFile and AgentKey, and the observer-side OpenSecureFrame,
//     OpenMasterFrame and NewMasterOpener (a MasterOpener caches the
//     ciphers of the pids it has seen) with their errors. It links
//     golang.org/x/crypto/chacha20poly1305; HKDF-SHA256 and the session
//     salt come from the standard library.
//
// With either tag the package still compiles on systems without Unix
// sockets (Windows); there the UDP constructors return an error matching
// errors.ErrUnsupported.
//
// Identifiers behind a tag do not appear on pkg.go.dev's default
// rendering; their doc comments say which tag they need ("Only built with
// -tags ...").
//
// The protocol and the agent's behaviour are specified requirement by
// requirement in SPEC.md at the root of the module; references such as R3.2
// in this package's comments point there.
package varta
