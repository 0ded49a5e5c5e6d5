// Command hello is the baseline of the size test: a program that writes a
// line with os.Stdout.Write and nothing else.
package main

import "os"

func main() {
	os.Stdout.Write([]byte("hello\n"))
}
