//go:build !udp && !secureudp

package main

import "github.com/varta-go/varta"

// connect connects over a Unix datagram socket, the default transport.
func connect() (*varta.Varta, error) {
	return varta.Connect("/run/varta/observer.sock")
}
