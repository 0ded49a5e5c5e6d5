//go:build secureudp

package varta

// dialSecureTarget reads the key file of a secureudp:// target and
// connects with the shared or master key; it wipes the key it read, which
// the agent has copied.
func dialSecureTarget(t observerTarget) (*Varta, error) {
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
