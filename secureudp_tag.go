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
// cipher object the agent seals with holds an expanded copy of the key
// that no API can reach: it is not wiped, only released to the garbage
// collector.
//
// Every connect, Reconnect and fork recovery starts a new session: a
// 16-byte salt from crypto/rand from which the 8-byte IV prefixes are
// derived, and a 4-byte counter. Each beat's AEAD nonce is the current
// prefix and counter; they move on only when the kernel accepts the frame,
// the prefix changes after 2^32-1 counters, and a session that has used
// every prefix is replaced by a new one. So no nonce is ever sealed twice
// under the key, whatever the outcome of a beat. A beat reads no entropy
// and allocates nothing; the observer opens frames with OpenSecureFrame.
func ConnectSecureUDP(host string, port int, key []byte) (*Varta, error) {
	return connectSecure(host, port, key, false)
}

// ConnectSecureUDPWithMaster is ConnectSecureUDP with a master key shared
// by many agents: each agent seals with the key HKDF-SHA256 derives from
// the master key and its pid (see AgentKey), and sends 64-byte frames that
// start with the pid in the clear, authenticated as associated data.
// Only built with -tags secureudp.
//
// The key is derived at connect and again at every Reconnect and fork
// recovery, so a forked child seals with a key of its own; beats never
// derive keys. The observer opens frames with OpenMasterFrame. Terminal
// frames use the 60-byte layout, sealed with the agent's derived key
// (open them with OpenSecureFrame and AgentKey). The agent's copy of the
// master key is wiped by Close, with the limit ConnectSecureUDP states.
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
