//go:build udp && !secureudp

package main

import "github.com/varta-go/varta"

// connect connects over plain UDP, the transport -tags udp adds.
func connect() (*varta.Varta, error) {
	return varta.ConnectUDP("127.0.0.1", 9999)
}
