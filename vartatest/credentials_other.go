//go:build !linux

package vartatest

import "net"

// credentialsSpace is 0: only Linux passes a sender's credentials with each
// datagram.
const credentialsSpace = 0

// passCredentials does nothing on this system.
func passCredentials(*net.UnixConn) error { return nil }

// senderPID returns 0: the sender is unknown on this system.
func senderPID([]byte) uint32 { return 0 }
