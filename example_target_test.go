package varta_test

// Example of connecting through an observer target string.

import (
	"errors"
	"fmt"

	"github.com/varta-go/varta"
)

// ConnectTo refuses a target that breaks the grammar before any system
// call, saying what to write instead.
func ExampleConnectTo() {
	_, err := varta.ConnectTo("udp://observer.internal")
	fmt.Println(err)
	fmt.Println(errors.Is(err, varta.ErrInvalidTarget))

	_, err = varta.ConnectTo("secureudp://observer.internal:9443?key=00112233")
	fmt.Println(err)
	// Output:
	// varta: invalid observer target: the port is missing: write udp://host:port
	// true
	// varta: invalid observer target: keys are never written into the target: put the key (64 hexadecimal characters) in a file and name it with keyfile=/absolute/path
}

// ParseTarget takes a target string apart without connecting, for a
// program that binds the observer at the address its agents are given.
// A host that breaks the host grammar is refused in the words ConnectUDP
// uses.
func ExampleParseTarget() {
	t, err := varta.ParseTarget("secureudp://[fe80::1%eth0]:9443?keyfile=/etc/varta/agent.key")
	fmt.Printf("%+v %v\n", t, err)

	_, err = varta.ParseTarget("udp://256.1.1.1:9000")
	fmt.Println(err)
	fmt.Println(errors.Is(err, varta.ErrInvalidTarget), errors.Is(err, varta.ErrInvalidAddress))
	// Output:
	// {Scheme:secureudp Path: Host:fe80::1%eth0 Port:9443 KeyFile:/etc/varta/agent.key Master:false} <nil>
	// varta: invalid observer address: "256.1.1.1" is not a valid IPv4 address: four numbers 0..255 separated by dots
	// true true
}
