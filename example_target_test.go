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
