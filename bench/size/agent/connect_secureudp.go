//go:build secureudp

package main

import "github.com/varta-go/varta"

// connect connects over secure UDP, the transport -tags secureudp adds,
// with a key read from a file.
func connect() (*varta.Varta, error) {
	key, err := varta.LoadKeyFile("/etc/varta/key")
	if err != nil {
		return nil, err
	}
	return varta.ConnectSecureUDP("127.0.0.1", 9999, key)
}
