// Command agent is the smallest useful program of the size test: it
// connects over the transport its build tags add, sends one beat and
// closes.
package main

import (
	"os"

	"github.com/varta-go/varta"
)

func main() {
	v, err := connect()
	if err != nil {
		fail(err)
	}
	if err := v.Beat(varta.StatusOK, 0).Err(); err != nil {
		fail(err)
	}
	if err := v.Close(); err != nil {
		fail(err)
	}
}

func fail(err error) {
	os.Stderr.WriteString(err.Error() + "\n")
	os.Exit(1)
}
