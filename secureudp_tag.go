//go:build secureudp

package varta

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
