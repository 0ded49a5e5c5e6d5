//go:build unix && secureudp

package varta

import "golang.org/x/crypto/chacha20poly1305"

// Sizes of the secure frame layouts (SPEC R6.3). Only built with -tags
// secureudp.
const (
	// SecureFrameBytes is the length of a frame sealed with a shared key:
	// IV prefix (8), counter (4), ciphertext (32), tag (16). The beats and
	// terminal frames of a shared-key agent use this layout.
	SecureFrameBytes = 60
	// MasterFrameBytes is the length of a frame of a master-key agent: the
	// sender's pid (4) in the clear, then the shared-key layout, sealed
	// with the key derived for that pid. The beats and terminal frames of
	// a master-key agent use this layout (R7.3).
	MasterFrameBytes = 64
)

// The layouts below add up to the exported sizes: an array length that
// goes negative fails to compile, so each pair of lines proves equality.
var (
	_ [SecureFrameBytes - (sharedSeal + FrameBytes + chacha20poly1305.Overhead)]struct{}
	_ [sharedSeal + FrameBytes + chacha20poly1305.Overhead - SecureFrameBytes]struct{}
	_ [MasterFrameBytes - (masterSeal + FrameBytes + chacha20poly1305.Overhead)]struct{}
	_ [masterSeal + FrameBytes + chacha20poly1305.Overhead - MasterFrameBytes]struct{}
)

// secureForms is what a build with secureudp adds to builtForms.
const secureForms = ", secureudp://host:port?keyfile=/absolute/path"

// Byte positions in the secure layouts (R6.3). A shared-key frame is the
// AEAD nonce followed by the sealed frame; a master-key frame puts the pid
// in front of that, and authenticates it as associated data.
const (
	pidBytes    = 4                          // the pid in the clear of a master-key frame, u32le
	nonceBytes  = chacha20poly1305.NonceSize // AEAD nonce: IV prefix and counter
	counterAt   = prefixBytes                // the u32le counter within the AEAD nonce
	sharedNonce = 0                          // shared-key layout: where the AEAD nonce starts
	sharedSeal  = sharedNonce + nonceBytes   // shared-key layout: ciphertext and tag
	masterPID   = 0                          // master-key layout: the pid, also the associated data
	masterNonce = masterPID + pidBytes       // master-key layout: where the AEAD nonce starts
	masterSeal  = masterNonce + nonceBytes   // master-key layout: ciphertext and tag
)

// ConnectSecureUDP returns an agent that sends beats over UDP sealed with
// ChaCha20-Poly1305 under a 32-byte key shared with the observer, as
// 60-byte frames that a [SecureOpener] opens (SPEC section 6). Only built
// with -tags secureudp. host and port are as for [ConnectUDP]; a key that is
// not [KeyBytes] long fails with an error matching [ErrKeyLength]. The agent
// keeps its own copy of the key, which Close wipes; the caller may wipe key
// once ConnectSecureUDP returns. See "Secure UDP: sessions, nonces and keys"
// in the package documentation.
func ConnectSecureUDP(host string, port int, key []byte) (*Varta, error) {
	return connectSecure(host, port, key, false)
}

// ConnectSecureUDPWithMaster is [ConnectSecureUDP] with a master key shared
// by many agents: each agent seals with the key derived from the master key
// and its pid ([AgentKey]), in 64-byte frames that start with the pid in
// the clear, which a [MasterOpener] opens. Only built
// with -tags secureudp. See "Secure UDP: sessions, nonces and keys" in the
// package documentation for when the key is derived and what Close wipes.
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
	a, name, err := resolveUDP(host, port)
	if err != nil {
		return nil, err
	}
	return newUDPAgent(a, name, newSealing(key, master)) // wipes the copied key on error
}

// connectSecureTarget connects to a secureudp:// target for ConnectTo: it
// reads the key file and connects with the shared or master key, wiping
// the key it read, which the agent has copied.
func connectSecureTarget(t Target) (*Varta, error) {
	key, err := LoadKeyFile(t.KeyFile)
	if err != nil {
		return nil, err
	}
	defer clear(key)
	if t.Master {
		return ConnectSecureUDPWithMaster(t.Host, t.Port, key)
	}
	return ConnectSecureUDP(t.Host, t.Port, key)
}
