//go:build unix

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
// Beat never blocks and never panics, and on the steady path (Sent, every
// Dropped reason, Failed) it allocates nothing; the rare beats that do
// more than send are listed in Beat's doc. It returns a BeatOutcome value:
//
//   - Sent: the kernel accepted the frame.
//   - Dropped (with a DropReason): the observer could not take the frame
//     now: its queue is full (KernelQueueFull), nothing is bound at the
//     address (NoObserver), the observer went away (PeerGone), or the
//     kernel is out of room (StorageFull). Nothing to fix in the daemon; the
//     next beat reuses the nonce, so the observer sees no gap. Over a Unix
//     socket the first beat that finds the observer gone reconnects by
//     itself, so a restarted observer gets that very beat; over UDP the
//     socket reaches a restarted observer as it is (see SetReconnectAfter).
//   - Failed (with Err): the status was StatusStall or unknown (nothing is
//     sent), the agent is closed (errors.Is(err, ErrClosed)), a forked
//     process could not reconnect, or the system refused the send for a
//     reason that will not clear by itself (EPERM, EMSGSIZE, ...).
//
// Every beat checks whether the process was forked (by code outside Go) or
// restored from a checkpoint, so frames always carry the sender's real pid:
// on Linux 4.14 and later by reading a mark in a page the kernel wipes in a
// forked child, one memory read, elsewhere by reading the pid (ForkCheck
// says which). After a fork the agent sets its transport up again for the
// new process and restarts its sequence; with the mark this holds even for
// a child that got its parent's pid number in a new pid namespace. A *Varta is safe for concurrent use; its beats are serialised
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
// # Choosing the observer at run time
//
// ConnectTo takes the observer and its transport as one target string, and
// ConnectFromEnv reads it from the environment variable VARTA_OBSERVER, so
// that whoever deploys a daemon, not whoever writes it, decides where its
// beats go (a systemd unit's Environment= line, a container's -e). The
// grammar is exact; there are no escapes, and nothing is trimmed:
//
//	unix:///ABS          Connect("/ABS"): ABS is any path; no '?' after unix://
//	/ABS                 the same, taken verbatim ('?' included)
//	unix:@NAME           Connect("@NAME"): an abstract socket, Linux only
//	udp://HOST:PORT      ConnectUDP(HOST, PORT); needs -tags udp
//	secureudp://HOST:PORT?keyfile=/ABS        ConnectSecureUDP; needs -tags secureudp
//	secureudp://HOST:PORT?masterkeyfile=/ABS  ConnectSecureUDPWithMaster
//
// HOST is a host as ConnectUDP takes it, with an IPv6 address in
// brackets: a name (letters, digits, '-' and '_' in dot-separated labels,
// as in varta_watch), an IPv4 address, or an IPv6 address with an optional
// zone: [::1], [fe80::1%eth0]. One grammar serves both: a host that one
// refuses, the other refuses in the same words, matching ErrInvalidAddress.
// PORT is a decimal number in 1..65535. A secureudp target names exactly
// one key file, by absolute path; the file holds the key as LoadKeyFile
// reads it. Keys never travel inside the string. Schemes are lower case;
// relative paths, a missing port, a udp target with parameters, a path
// after HOST:PORT, both key kinds at once, a key parameter given twice, a
// relative or empty key file path, an inline key (key=, masterkey=), any
// other parameter and a host that breaks the host grammar are refused
// with an error matching ErrInvalidTarget, before any system call and
// without repeating parameter values. A valid target for a transport the
// program was built without fails with an error matching
// ErrTransportNotBuilt that names the missing tag; the default build links
// neither the net package nor golang.org/x/crypto for ConnectTo's sake.
// Everything after parsing is the named constructor's: its checks, its
// errors, its behaviour.
//
// ParseTarget checks a target string and takes it apart (a Target)
// without connecting, in every build: a program that binds an observer
// reads the strings its agents are given with the same grammar.
//
// # Build tags
//
// A build without tags has the frame codec and the Unix datagram transport
// (Connect) and imports neither the net package nor golang.org/x/crypto.
// Everything else is opt-in, as with Cargo features. Neither go doc nor
// pkg.go.dev shows identifiers behind a tag, so here is all that each tag
// adds; the doc comment of each says "Only built with -tags ..." (for a
// method, its type's does).
//
// -tags udp adds plain 32-byte frames over UDP (IPv4 and IPv6). It imports
// the net package, only to resolve the observer's name once in ConnectUDP.
//
//	func ConnectUDP(host string, port int) (*Varta, error)
//
// -tags secureudp adds everything of udp, and ChaCha20-Poly1305 frames
// with a shared key or a per-pid key derived from a master key, the key
// helpers, and the observer side that opens such frames. It links
// golang.org/x/crypto/chacha20poly1305; HKDF-SHA256 is computed over the
// standard library's SHA-256, and the session salt comes from crypto/rand.
//
//	func ConnectSecureUDP(host string, port int, key []byte) (*Varta, error)
//	func ConnectSecureUDPWithMaster(host string, port int, master []byte) (*Varta, error)
//	func ParseKeyHex(text string) ([]byte, error)
//	func LoadKeyFile(path string) ([]byte, error)
//	func AgentKey(master []byte, pid uint32) ([]byte, error)
//	func OpenSecureFrame(key, wire []byte) (Frame, error)
//	func OpenMasterFrame(master, wire []byte) (Frame, error)
//	func NewMasterOpener(master []byte) (*MasterOpener, error)
//	func (o *MasterOpener) Open(wire []byte) (Frame, error)
//	func (o *MasterOpener) Close() error
//	func (o *MasterOpener) String() string
//	func (o *MasterOpener) GoString() string
//	type MasterOpener struct{ ... } // caches the ciphers of the pids it has seen
//	const KeyBytes = 32
//	const SecureFrameBytes = 60 // shared-key frame: prefix, counter, ciphertext, tag
//	const MasterFrameBytes = 64 // master-key frame: the pid, then the shared-key layout
//	var ErrKeyLength error
//	var ErrKeyText error
//	var ErrKeyFile error
//	var ErrSecureFrameLength error
//	var ErrAuthentication error
//	var ErrPIDMismatch error
//
// # Unix only
//
// The package builds on Unix systems only (Linux, macOS, the BSDs,
// Solaris, illumos, AIX), as golang.org/x/sys/unix, its one dependency,
// does: every transport is a datagram socket opened, connected and written
// with raw Unix system calls, outside Go's network poller, which is what
// lets a beat return at once instead of blocking. On another system there
// would be nothing for Connect but an error to return, so the package
// does not pretend: every file says //go:build unix, and elsewhere go build
// reports that build constraints exclude all its files. A program that
// also builds for Windows keeps its use of the agent in a file with a
// //go:build unix line, the line it would need for x/sys/unix itself.
// Where Unix systems differ, a file named for the capability says so:
// socket_flags.go and socket_noflags.go open sockets with or without
// SOCK_CLOEXEC|SOCK_NONBLOCK; forkmark_linux.go makes the wipe-on-fork
// page and sockname_linux.go reads a socket's address without allocating,
// with forkmark_others.go and sockname_others.go where Linux's ways are
// missing; abstract.go says where abstract socket names exist.
//
// The protocol and the agent's behaviour are specified requirement by
// requirement in SPEC.md at the root of the module; references such as R3.2
// in this package's comments point there.
package varta
