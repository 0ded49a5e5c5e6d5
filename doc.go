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
//	out := agent.Beat(varta.StatusOK, uint32(queueDepth()))
//
// # What Beat returns
//
// [Varta.Beat] never blocks and never panics, and on the steady path (Sent,
// every Dropped reason, Failed) it allocates nothing. It returns a
// [BeatOutcome] value:
//
//   - Sent: the kernel accepted the frame.
//   - Dropped (with a [DropReason]): the observer could not take the frame
//     now: its queue is full ([KernelQueueFull]), nothing is bound at the
//     address ([NoObserver]), the observer went away ([PeerGone]), or the
//     kernel is out of room ([StorageFull]). Nothing to fix in the daemon;
//     the next beat reuses the nonce, so the observer sees no gap. Over a
//     Unix socket the first beat that finds the observer gone reconnects by
//     itself, so a restarted observer gets that very beat, and while none
//     is bound every beat reads NoObserver; over UDP the socket reaches a
//     restarted observer as it is (see "Self-healing").
//   - Failed (with [BeatOutcome.Err]): the status was [StatusStall] or
//     unknown (nothing is sent and no counter moves), the agent is closed
//     (errors.Is(err, [ErrClosed])), a forked process could not set itself
//     up again (see "Forks and the fork mark"), a reconnect found what
//     waiting for the observer does not fix, such as a file that is not a
//     socket at the path, and says so as Connect would (see "Self-healing"),
//     or the system refused the send for a reason that will not clear by
//     itself (EPERM, EMSGSIZE, ...).
//
// A few rare beats do more than send:
//
//   - A beat that reconnects (self-healing, or the first beat after a fork)
//     makes a few non-blocking socket calls, and tries to reconnect at most
//     once, whether or not that succeeds; over a Unix socket at most one
//     beat per 50 ms does so during an outage. A Unix-socket reconnect, and
//     a beat whose queue is full once per 50 ms, also stat the socket path.
//     These allocate nothing on Linux; elsewhere a UDP reconnect allocates
//     the address getsockname returns, and a stat a copy of the path.
//   - Over secure UDP a reconnect keeps the session. The beat after a fork,
//     and the one in 2^64 that finds every IV prefix of its session spent,
//     start a new session, which reads crypto/rand and allocates (and, with
//     a master key after a fork, derives the new pid's key and builds its
//     cipher).
//   - The one beat in 2^64-1 whose nonce wraps writes a fixed warning line
//     to os.Stderr (SPEC R3.3).
//
// A *Varta is safe for concurrent use by multiple goroutines. A mutex held
// for one non-blocking send (and for a reconnect, when a beat needs one)
// serialises its beats, so that nonces go 1, 2, 3 ... with no gap or repeat
// and, over secure UDP, no AEAD nonce is ever used twice. A nil or closed
// *Varta does not panic: Beat returns a Failed outcome and the other methods
// return ErrClosed or zero values.
//
// # Self-healing
//
// An observer that restarts must not silence a daemon for good, and one that
// is slow must not be reconnected to (SPEC R3.7). So only the drops that say
// nobody is at the other end, [NoObserver] and [PeerGone], count toward a
// reconnect. Drops for a full queue or full storage ([KernelQueueFull],
// [StorageFull]) never count, whatever the setting, and leave the count as
// it was: an observer that is alive but behind is not reconnected to. After
// n consecutive counting drops the beat replaces its socket with a fresh one
// to the same observer; [Varta.SetReconnectAfter] sets n, and 0 turns
// self-healing off. Sent and Failed beats reset the count, and so do
// SetReconnectAfter and a [Varta.Reconnect] that succeeds. A beat refused
// for its status ([StatusStall], or an unknown one) is Failed but sends
// nothing and says nothing about the observer, so it leaves the count as
// it was.
//
// Over a Unix socket n is 1 by default. The first beat that finds the
// observer gone reconnects and, once a restarted observer is bound at the
// path, sends the same frame again and returns that retry's outcome: the
// agent finds a restarted observer on the first beat after the restart, with
// no call by the program.
//
// During an outage the reconnects are spaced in time as well as counted
// (SPEC R3.9): over a Unix socket a beat reconnects only if the last look
// at the path is 50 ms old or more. The beats in between send nothing (a
// socket whose observer went away never sends again) and return what the
// last reconnect found, counted in [Stats] as such. So a beat loop without
// pauses costs less per beat during an outage than while the observer is
// up; a restarted observer gets the first beat that comes 50 ms or more
// after the last reconnect (in a loop without pauses, within 50 ms of its
// bind); and a daemon that beats every 100 ms or slower tries on
// every beat and gets its first beat after the observer's return through.
// While nothing is bound at the path (no socket file, or one nobody holds)
// every beat reads Dropped(NoObserver), whatever the old socket said;
// PeerGone is left for a beat that made no reconnect and so cannot tell
// more.
//
// A reconnect that fails because something at the address keeps any
// observer out, which no waiting fixes, makes the beat Failed from the
// first beat that learns it, with the errno and the very error Connect
// would return: a regular file or a directory at the path (Linux refuses
// these with ECONNREFUSED, as a socket nobody holds, so the agent stats the
// path to tell them apart), a socket of another type (EPROTOTYPE), a
// permission (EACCES, EPERM), no file descriptor left (EMFILE). The beats
// of its interval read the same. Once the cause is gone and an observer
// binds the path, the next reconnect heals as usual.
//
// A stalled observer is never reconnected to, but one that replaced it is
// found: while beats read Dropped(KernelQueueFull), at most once per 50 ms
// the agent stats the path, and when it names a socket other than the one
// it connected to (another device and inode: a new observer bound after
// the old socket file was removed, while the stalled process still holds
// its socket), it reconnects and sends the frame again there. An abstract
// name has no file to stat and cannot be bound twice, so it is not checked.
//
// Over UDP, plain or secure, n is 0 by default: a connected UDP socket
// reaches an observer restarted on its port without a reconnect. A beat
// whose send is refused (ECONNREFUSED, the ICMP answer to an earlier beat)
// reads Dropped(NoObserver), and so do the beats of the next 50 ms,
// without a send: every send until the observer returns would bring the
// same news. At a cadence of 100 ms or more every beat sends. When n is
// set, a counting drop replaces the socket, but the beat is not sent again
// and stays Dropped(NoObserver): a fresh UDP socket accepts a send whether or
// not anyone listens (the refusal arrives later, as ICMP), so a resend would
// report Sent for a frame nobody received. An agent connected by host name
// also follows its observer to another address, whatever n is: NoObserver
// drops make it look the name up again, and so does Reconnect (see "UDP and
// hosts").
//
// A reconnect that fails leaves the run of counting drops complete, so the
// next counting drop allowed to tries again; one that is Failed ends the
// run, as any Failed beat does.
//
// [Varta.Reconnect] replaces the socket when the program asks, and keeps the
// old one if any step fails. No reconnect renews anything but the socket:
// the nonce sequence continues, and over secure UDP the session and the key
// stay as they are (see "Secure UDP: sessions, nonces and keys").
//
// # Forks and the fork mark
//
// Observers check that a frame carries its sender's real pid, so every beat
// checks whether the process was forked (by code outside Go) or restored
// from a checkpoint since the agent was set up (SPEC R3.2). On Linux 4.14
// and later it reads a mark in a page the kernel wipes in a forked child
// (MADV_WIPEONFORK): one memory read, and the pid is read only once the mark
// is gone. Elsewhere, or where the kernel or a seccomp policy refuses the
// mark, it reads the pid, a system call, on every beat. [Varta.ForkCheck]
// says which.
//
// After a fork the beat first sets the agent up again for the new process:
// a fresh socket and, over secure UDP, a new session (and with a master key
// the key of the new pid). Then it restarts the sequence, nonces at 1 and
// timestamps at 0, and counts the recovery in [Stats]. If the setup fails,
// the beat is Failed and sends nothing, and the next beat tries again. With
// the mark this holds even for a child that got its parent's pid number in a
// new pid namespace (SPEC R6.8). A checkpoint restored while the original
// keeps running restores the mark too and cannot be told apart from it
// (SECURITY.md).
//
// A terminal frame checks for a fork as a beat does but never sets anything
// up: in a forked child that has not beaten yet it sends nothing (see
// "Terminal frames and signals").
//
// # Run
//
// [Varta.Run] beats from the calling goroutine, and starts no other, until
// its context ends, asking a function for each beat's status and payload.
// What became of each beat is counted in [Stats]; Run keeps beating through
// Dropped and Failed outcomes. A slow beat function or a paused process
// (SIGSTOP, a debugger, a suspended machine) delays the next beat but never
// leads to a burst of catch-up beats: Run resumes with one beat. Once the
// context is done it sends nothing more, not even the result of a beat call
// that was under way. The daemon example shows the usual program: connect,
// guard, run.
//
// # Terminal frames and signals
//
// An observer notices that beats stopped only once they are overdue. A
// terminal frame tells it at once that the process is ending (SPEC section
// 7): status Critical, nonce [NonceTerminal], payload 0 and the agent's pid.
//
//   - [Varta.SendTerminal] sends it from the program's own shutdown path,
//     once the program has decided to exit.
//   - [Varta.Guard], deferred at the top of main and of goroutines, sends it
//     on a panic and panics again with the same value.
//   - [Varta.HandleSignals], opt-in for programs with no signal handling of
//     their own, sends it on SIGTERM, SIGINT, SIGQUIT or SIGHUP and then lets
//     the signal take its default course. It never kills a program that
//     handles these signals itself.
//
// A terminal frame's timestamp comes from the agent's beat clock, so it is
// never earlier than the agent's last beat; where needed it is raised to one
// more than the previous terminal frame sent by any agent in the process, so
// the terminal frames of one process carry strictly increasing timestamps
// and leave the process in that order. The frame is outside the beat
// sequence: it moves neither the nonce nor the last beat timestamp, and
// Stats counts nothing for it, not even a clock regression. Sending it never
// blocks, panics, dials, resolves a name or allocates: it uses the agent's
// socket as the last connect, reconnect, move to a new address or fork a
// beat followed left it. It is safe
// alongside running beats and other terminal frames, it is not retried when
// Dropped, and it does not close the agent: beats sent after it tell the
// observer the process lives on. In a forked child that has not beaten yet
// it sends nothing and is Failed: the socket still belongs to the parent
// (over secure UDP with a master key, so does the key), and the observer has
// never heard of the child.
//
// Guard sees the panic only when it is deferred directly: recover has no
// effect in a function that Guard is called from. When nothing panics, or
// the goroutine ends by runtime.Goexit, it does nothing; any panic that
// passes through it sends the frame, even one that a caller further up
// recovers. The process still ends with exit status 2, printing the panic
// value and the stack of the panicking goroutine. Since Go 1.25 the runtime
// prints a value re-panicked this way once, marked: the first line reads
// "panic: <value> [recovered, repanicked]", and the stack starts with Guard
// and the panic call it makes, above the frames of the function that
// panicked first. Calls deferred before Guard (agent.Close, say) still run
// afterwards. On a nil or closed agent Guard sends nothing but still
// re-panics.
//
// HandleSignals starts one goroutine, which waits for the first of the four
// signals and then
//
//  1. sends the terminal frame (SendTerminal);
//  2. stops the delivery of the signals to itself (signal.Stop on its own
//     channel, never signal.Reset);
//  3. sends the same signal to the process again.
//
// If nothing else in the program asked for that signal, the second delivery
// gets Go's default handling, as if HandleSignals had never been called:
// SIGTERM, SIGINT and SIGHUP kill the process by that signal, and SIGQUIT
// prints the stacks of all goroutines and exits with status 2. Channels the
// program registered with signal.Notify (or signal.NotifyContext) keep
// receiving these signals, and while one is registered for a signal the
// program is not killed by it: the runtime delivers the re-sent signal to
// that channel instead. Such a channel therefore receives the signal twice,
// once as sent and once re-sent after the terminal frame, and the observer
// has been told the process is exiting even if it goes on (a SIGHUP reload,
// say). Programs that handle these signals call SendTerminal on their way
// out instead of HandleSignals. Signals the process ignores when
// HandleSignals is called (started under nohup, or after signal.Ignore) stay
// ignored and are not watched; signal.Ignore and signal.Reset called later
// end the watch of the signals they name.
//
// The stop function HandleSignals returns stops the delivery of the signals
// to it and waits for its goroutine to end, leaving other registrations as
// they are, so each signal again gets the handling it would have had without
// HandleSignals. Once a signal has been handled the goroutine has ended by
// itself. Calling stop more than once is harmless.
//
// Connect, Beat, Run, SendTerminal and Guard start no goroutine;
// HandleSignals starts one, and so does a UDP or secure UDP agent connected
// by host name, to look the name up again (see "UDP and hosts"), which
// Close stops.
//
// # Unix sockets
//
// [Connect] reaches the observer over a Unix datagram socket, the transport
// of the default build (SPEC R5.1). It makes a relative path absolute once,
// against the working directory, so that a later os.Chdir does not change
// where reconnects go. On Linux a leading '@' names an
// abstract socket, which has no file: it is used as given, and no error
// about it speaks of a file. Before any socket is opened, the path must be
// non-empty, contain no NUL byte, and in its absolute form fit the
// platform's socket address (107 bytes on Linux, 103 on macOS and the BSDs;
// an abstract name, which needs no terminating NUL, 107 bytes after its
// '@'); otherwise the error matches [ErrInvalidPath].
//
// When the observer cannot be reached, the error names the system call that
// failed and says whether the socket file is missing (errors.Is(err,
// fs.ErrNotExist)), nobody is listening (syscall.ECONNREFUSED; for an
// abstract name, nobody is bound to it), permission was denied
// (fs.ErrPermission), or the socket there is connected to another peer and
// so refuses this one (syscall.EPERM, which is not a permission problem even
// though errors.Is(err, fs.ErrPermission) holds for that errno too).
//
// # UDP and hosts
//
// ConnectUDP (with -tags udp) sends the same 32-byte frames over UDP, to an
// IPv4 or IPv6 address. One host grammar serves ConnectUDP, the secure UDP
// constructors and the HOST of a target (ParseTarget, ConnectTo): a host
// that one refuses, the others refuse in the same words. A host is one of
//
//   - an IPv4 address in dotted decimal, such as "127.0.0.1";
//   - an IPv6 address, with or without brackets ("::1" and "[::1]" both work
//     as ConnectUDP's argument; a target needs them: udp://[::1]:9000), with
//     an optional "%zone" (an interface name or index, of letters, digits,
//     '-', '.' and '_'), which an address of one link or interface needs
//     (link-local fe80::/10, link-local multicast ffx2::/16,
//     interface-local multicast ffx1::/16): "fe80::1%eth0";
//   - a DNS name of letters, digits, hyphens and underscores in dot-separated
//     labels of 1 to 63 characters, such as "observer.internal" or a
//     container service name such as "varta_watch".
//
// Anything else ("[localhost]", "256.1.1.1", " 127.0.0.1", a host with a
// port) fails with an error matching [ErrInvalidAddress] before any lookup,
// as do the unspecified addresses 0.0.0.0 and ::, an address of one link or
// interface without a zone, a port argument outside 1..65535, and a host
// that holds a key: a run of 64 hexadecimal characters, digits and letters
// among them, whether or not dots split it into labels short enough for a
// name and other labels stand around it (a zone included). A
// broadcast address (255.255.255.255, or a subnet's) passes the grammar,
// which cannot tell it, and the connect refuses it with EACCES: an agent
// does not set SO_BROADCAST; the error says to name the observer's own
// address. A multicast address is a host like any other: the beats reach
// every observer that joined the group.
//
// A name is resolved at connect with the system resolver (net.DefaultResolver
// as it is then, for the life of the agent), and the first address it
// returns is used. A name with a final dot (localhost.) is looked up in DNS
// alone: Go's resolver skips /etc/hosts for it, so write such names without
// the dot. Resolution at connect may block for as long as the resolver
// takes, and may use goroutines while it lasts, none of which stays; a name
// that does not resolve fails with an error that errors.As turns into a
// *net.DNSError. The socket has the family of the address, is bound to an
// ephemeral port, connected, non-blocking and close-on-exec. When nothing
// listens at the port, the ICMP error the first beat provokes makes a later
// beat Dropped(NoObserver). The agent does not reconnect by itself by
// default: its socket reaches an observer restarted on the same port as it
// is (see "Self-healing").
//
// An observer named by a host name may move: a container recreated under
// the same service name, a DNS record changed. An agent connected by name
// (by ConnectUDP, the secure UDP constructors or ConnectTo) therefore owns
// one goroutine that looks the name up again, so that a beat never waits
// for DNS:
//
//   - every 30 seconds, the scale of DNS records' lifetimes, so that the
//     agent leaves an address that vanished without a word (beats to it
//     read Sent and are lost);
//   - after a beat is dropped for NoObserver: at once the first time, then
//     at most once every 5 seconds while such drops go on. The beat only
//     pokes the goroutine, which neither blocks nor allocates, and a fleet
//     of agents whose observer is down asks the resolver at most once per
//     5 seconds each (Go's resolver reads /etc/hosts again after 5 seconds
//     too).
//
// Each lookup waits 5 seconds at most. When the name no longer lists the
// address the agent is connected to, the goroutine opens a socket to the
// first address listed (of either family), without holding up beats, and
// swaps it in as a reconnect does: the nonce sequence goes on, and over
// secure UDP the session, its counters and the key stay, so no (key,
// nonce) pair repeats. While the name still lists the agent's address, the
// agent stays there, whatever the order of the answer. A lookup that fails
// changes nothing: the agent keeps its socket. [Varta.Reconnect] looks the
// name up too, waiting for the resolver (5 seconds at most), and reconnects
// to the address it finds. What a lookup finds is what Go's resolver
// answers: it reads /etc/hosts again only once the copy it read is 5
// seconds old, so a lookup, by Reconnect or after a drop, in the 5 seconds
// after an edit of /etc/hosts can still find the old address; the next
// lookup, 5 seconds on, finds the new one. Stats counts the lookups made after connect
// (Resolutions), those that found no usable address (ResolutionFailures)
// and the moves (AddressChanges, each also a Reconnect). Close stops the
// goroutine, cutting short a lookup in progress, and returns once it has
// ended; goroutines of Go's resolver that the lookup started may take a
// few milliseconds more to end. An agent connected to an IP literal looks nothing up and starts
// no goroutine.
//
// # Secure UDP: sessions, nonces and keys
//
// With -tags secureudp, ConnectSecureUDP seals every frame with
// ChaCha20-Poly1305 under a 32-byte key shared with the observer, in 60-byte
// frames, and ConnectSecureUDPWithMaster under the key HKDF-SHA256 derives
// from a master key shared by many agents and the agent's pid (AgentKey), in
// 64-byte frames that start with the pid in the clear, authenticated as
// associated data (SPEC section 6). A key that is not 32 bytes is refused
// with an error matching ErrKeyLength; ParseKeyHex and LoadKeyFile read one
// from text (see "Key files" for the files LoadKeyFile trusts).
//
// A session is a 16-byte salt from crypto/rand, from which the 8-byte IV
// prefixes are derived, and a 4-byte counter. Connect, fork recovery and the
// exhaustion of every prefix start a new session. A reconnect, explicit or
// automatic, replaces only the socket and keeps the session, its counters
// and the key, so it reads no entropy and derives no key, and a reconnect
// storm (a forged ICMP can provoke one) spends no fresh prefixes (SPEC
// R6.2). To start a new session deliberately (after restoring a snapshot of
// the process, say), Close the agent and connect a new one (SECURITY.md).
//
// Each beat's AEAD nonce is the current prefix and counter. Every seal
// consumes it, whatever the send returns (a send reported failed may still
// have left the host), the prefix changes after 2^32-1 counters, and a
// session that has used every prefix is replaced by a new one: no nonce is
// ever sealed twice under a key. A beat reads no entropy and allocates
// nothing. A terminal frame is sealed, in the layout and with the key of the
// agent's beats, under a prefix that no beat can use: one derived from the
// salt, the pid, the timestamp and a terminal counter that the frame claims
// from the session and consumes whatever the send returns (SPEC R7.3). Once
// a session has claimed all 2^32 terminal counters, terminal frames are
// Failed with EOVERFLOW; a new agent starts a new session.
//
// The agent keeps its own copy of the key, shared or master, which Close
// wipes; the caller may wipe its own once the constructor returns. On
// Linux that copy, and a MasterOpener's HKDF-Extract of the master key,
// live in pages marked MADV_DONTDUMP, which a core dump leaves out;
// elsewhere they live on the Go heap. A shared-key agent builds one
// cipher for its life. A master-key agent
// derives its key and builds its cipher at connect and again only when a
// fork recovery finds another pid, so a forked child seals with a key of its
// own; beats and reconnects never derive keys, and the master key never
// seals anything. A master-key terminal frame naming another pid than the
// cipher's (a fork not yet followed) could be opened by nobody, and is
// Failed with EINVAL. The derived key exists only inside its cipher, and
// each cipher holds a copy of its key that no API can reach: it is not
// wiped, only released to the garbage collector (SECURITY.md lists what
// remains after Close).
//
// The observer opens the beats and terminal frames of a shared-key agent
// with a SecureOpener, and those of master-key agents, holding only the
// master key, with a MasterOpener; both refuse replays (see "Replays").
// OpenSecureFrame and OpenMasterFrame open one frame each, remember
// nothing, and so cannot tell a replay. A master-key frame is checked for
// the pid inside it against the pid in the clear only after
// authentication, so only a holder of the master key can cause
// ErrPIDMismatch.
//
// # Replays
//
// A sealed frame proves who made it, not when: a frame recorded on the path
// opens again every time it is sent, and a replayed session would keep a
// dead daemon looking alive. The openers that [NewSecureOpener] and
// [NewMasterOpener] return remember what they accepted and refuse a frame
// they cannot tell from a replay (SPEC R6.9): Open returns an error matching
// [ErrReplay] and changes nothing.
//
// An opener remembers, per pid, the IV prefixes it accepted frames under and
// the highest counter under each. The pid is the authenticated one: for a
// shared key the pid inside the decrypted frame; for a master key the pid in
// the clear, which selects the key, is authenticated as associated data and
// must equal the pid inside. A sender's address, which UDP cannot prove,
// plays no part. A frame is a replay when its counter is not above the
// highest seen under its prefix for its pid, or when it is a beat with nonce
// 1 under a prefix already seen for its pid (only a new agent sends nonce 1,
// and a new agent seals under a new prefix). A prefix never seen starts a
// new session: a new agent, a new process that reuses a pid, a fork, the
// next prefix after 2^32-1 counters, and every terminal frame, which is
// sealed under a prefix of its own (R7.3).
//
// UDP may reorder datagrams. A frame that arrives after a later frame of its
// session (a lower counter under the same prefix) cannot be told from a
// replay and is refused too: a reordered beat is lost, which is the price of
// refusing replays. The next beat is accepted.
//
// The memory is bounded: 4096 pids and, for each, the 4 IV prefixes of beats
// and the 4 of terminal frames under which frames were accepted most
// recently, kept apart so that terminal frames never push a beat prefix out.
// That is at most 4096 x 8 prefixes, about 200 bytes a pid (230 with a
// MasterOpener's cipher), under 1 MiB in all. A frame from a pid beyond 4096
// makes the opener forget the pid whose last accepted frame is the oldest,
// and a fifth prefix of a kind makes it forget that pid's prefix of the kind
// whose last accepted frame is the oldest. A forgotten prefix is a session
// the opener no longer knows: its frames, sent again in the order they
// were sealed, are accepted as a new session, which pushes out another.
// So whoever recorded frames of 5 sessions of one pid number (a daemon
// restarted 5 times that got the same pid, as in a container), or of 4097
// pids, can replay them in turn for as long as they like, each replay
// pushing out the session to be replayed next
// (TestReplaysInTurnPassOnlyBeyondTheBound): the bound decides how many
// recordings the attack takes, not how long it lasts. A new
// opener (an observer that restarts) remembers nothing, and accepts every
// recorded frame once more. Only a frame that authenticated enters the
// memory, so forged frames make an opener forget nothing. The pid is the
// sender's own, so agents on several hosts, or in several pid namespaces,
// that share a key share the memory of a pid number: more than 4 sessions
// under one pid number at once make the opener forget them in turn, and
// replays of them get through. Give such agents keys of their own.
//
// A SecureOpener holds one cipher for its life; a MasterOpener holds the
// HKDF-Extract of the master key, from which it expands the key of a pid,
// and one cipher per pid it remembers, dropped with the pid. Both take their
// lock only to look a pid up and to record a frame, never while deriving a
// key or opening a frame. A genuine frame costs one AEAD open and one
// 32-byte allocation, the cipher's output: about 0.4 us on the machine of
// bench/README.md. A forged frame costs a SecureOpener as much. It costs a
// MasterOpener, for a pid it does not remember, a key expansion and a cipher
// too, which it cannot skip before authenticating: 1-2 us and 6 allocations
// (360 bytes), about 0.7 of what OpenMasterFrame spends deriving from the
// master key. A flood of them from other goroutines makes a genuine frame
// from a remembered pid wait for no derivation: in the CPU time of the
// thread that opens it, it costs 1.2 to 1.3 times what it costs without the
// flood. A replay costs the AEAD open and at most 6 allocations, its
// output and the error that says why (6 for a counter already seen, fewer
// for a nonce 1 under a known prefix). These are CPU times: on a machine
// whose cores the flood keeps busy, the wall-clock time of a genuine open
// grows with the competition for a core (1.2 to 1.9 times on 2 cores).
// The numbers, and how the flood is measured, are in bench/README.md.
//
// # Key files
//
// LoadKeyFile, which ConnectTo calls for a secureudp target, reads a key
// only from a file that nobody but its owner could have written, since
// whoever could write it chose the key (SPEC R6.10). It follows symlinks,
// as the secret volumes of containers need, and checks the file they lead
// to, before opening anything:
//
//   - a regular file: naming a directory, a named pipe or a device opens
//     nothing (opening a watchdog device would arm it);
//   - owned by this process's effective user or by root;
//   - not readable or writable by its group or others (0600 or 0400);
//   - in a directory owned by this process's effective user or by root,
//     which its group or others cannot write, unless the directory has the
//     sticky bit (as /tmp has), which lets only a file's owner replace it.
//     The symlinks' own directories do not count: a symlink someone
//     replaced can only lead to another file that passes.
//
// It then opens that file for reading without following a symlink and
// without blocking, and refuses what it opened unless it is the very file
// it checked (the same device and inode), so a file put in its place
// meanwhile is not read. Each refusal matches ErrKeyFile, names the file
// (and what a symlink resolved to) and gives the command that fixes it:
// chown (of the file or its directory), chmod 600, chmod o-w,g-w on the
// directory, or chmod +t on it.
//
// No error of the package repeats a value that may be a key: a path, a
// host, a target or a zone with a run of 32 or more hexadecimal characters
// is shown as (redacted), so that a key pasted where a value belongs never
// reaches a log.
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
// For example, udp://[::1]:9000 is ConnectUDP("::1", 9000), and
// secureudp://obs:9443?keyfile=/k is ConnectSecureUDP("obs", 9443, key)
// with the key read from /k.
//
// HOST is a host of the grammar in "UDP and hosts", with an IPv6 address in
// brackets: [::1], [fe80::1%eth0]; a host that breaks it is refused in the
// words ConnectUDP would use, matching ErrInvalidAddress. PORT is a decimal
// number in 1..65535. A secureudp target names exactly one key file, by
// absolute path; the file holds the key as LoadKeyFile reads it. Keys never
// travel inside the string. Schemes are lower case; relative paths, a
// missing port, a udp target with parameters, a path after HOST:PORT, both
// key kinds at once, a key parameter given twice, a relative or empty key
// file path, an inline key (key=, masterkey=), any other parameter, a
// fragment ('#') in HOST:PORT (after ?keyfile= a '#' is part of the path),
// a host that breaks the host grammar and a path that Connect refuses (NUL,
// too long; in Connect's words, matching ErrInvalidPath too) are refused
// with an error matching ErrInvalidTarget, before any system call and
// without repeating parameter values, so that a key written into a
// parameter by mistake never reaches a log. A valid target for a transport the program was built without fails
// with an error matching ErrTransportNotBuilt that names the missing tag;
// the default build links neither the net package nor golang.org/x/crypto
// for ConnectTo's sake. Everything after parsing is the named constructor's:
// its checks, its errors, its behaviour. For a secureudp target ConnectTo
// reads the key file with LoadKeyFile first, and wipes the key it read once
// the agent holds its own copy.
//
// ParseTarget checks a target string and takes it apart (a Target) without
// connecting, in every build: a program that binds an observer reads the
// strings its agents are given with the same grammar.
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
// the net package, only to resolve the observer's name, at connect and
// again while the agent lives.
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
//	func NewSecureOpener(key []byte) (*SecureOpener, error)
//	func (o *SecureOpener) Open(wire []byte) (Frame, error)
//	func (o *SecureOpener) Close() error
//	func (o *SecureOpener) String() string
//	func (o *SecureOpener) GoString() string
//	type SecureOpener struct{ ... } // one cipher for its life; refuses replays
//	func NewMasterOpener(master []byte) (*MasterOpener, error)
//	func (o *MasterOpener) Open(wire []byte) (Frame, error)
//	func (o *MasterOpener) Close() error
//	func (o *MasterOpener) String() string
//	func (o *MasterOpener) GoString() string
//	type MasterOpener struct{ ... } // a cipher per pid it remembers; refuses replays
//	const KeyBytes = 32
//	const SecureFrameBytes = 60 // shared-key frame: prefix, counter, ciphertext, tag
//	const MasterFrameBytes = 64 // master-key frame: the pid, then the shared-key layout
//	var ErrKeyLength error
//	var ErrKeyText error
//	var ErrKeyFile error
//	var ErrSecureFrameLength error
//	var ErrAuthentication error
//	var ErrPIDMismatch error
//	var ErrReplay error
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
