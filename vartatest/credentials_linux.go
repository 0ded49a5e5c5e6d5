//go:build linux

package vartatest

import (
	"net"

	"golang.org/x/sys/unix"
)

// credentialsSpace is the room a received datagram's credentials take.
var credentialsSpace = unix.CmsgSpace(unix.SizeofUcred)

// passCredentials asks the kernel to attach the sender's credentials to
// every datagram conn receives.
func passCredentials(conn *net.UnixConn) error {
	raw, err := conn.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = raw.Control(func(fd uintptr) {
		serr = unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, unix.SO_PASSCRED, 1)
	})
	if err != nil {
		return err
	}
	return serr
}

// senderPID returns the pid in the credentials of a received datagram, or
// 0 if oob holds none.
func senderPID(oob []byte) uint32 {
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return 0
	}
	for i := range msgs {
		if cred, err := unix.ParseUnixCredentials(&msgs[i]); err == nil {
			return uint32(cred.Pid)
		}
	}
	return 0
}
