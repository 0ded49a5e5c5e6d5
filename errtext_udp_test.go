//go:build udp || secureudp

package varta

// Pins the texts of the UDP address errors.

import (
	"errors"
	"net"
	"os"
	"runtime"
	"syscall"
	"testing"
)

// TestUDPAddressErrorsReadAsBefore pins the whole text of ConnectUDP's
// address errors, and that an unknown zone matches both
// ErrInvalidAddress and the net package's error.
func TestUDPAddressErrorsReadAsBefore(t *testing.T) {
	connect := func(host string, port int) error {
		_, err := ConnectUDP(host, port)
		return err
	}
	const zone = "nosuchif9"
	_, zoneErr := net.InterfaceByName(zone)
	if zoneErr == nil {
		t.Fatalf("this system has an interface named %s", zone)
	}
	badZone := connect("fe80::1%"+zone, 9)
	checkErrorTexts(t, []errorCase{
		{"port 0", connect("127.0.0.1", 0), "varta: invalid observer address: port 0 is outside 1..65535", ErrInvalidAddress},
		{"port 65536", connect("127.0.0.1", 65536), "varta: invalid observer address: port 65536 is outside 1..65535", ErrInvalidAddress},
		{"empty host", connect("[]", 9), "varta: invalid observer address: the host is empty", ErrInvalidAddress},
		{"malformed", connect("1:2:x", 9), `varta: invalid observer address: "1:2:x" is not a valid IP address (pass the port separately)`, ErrInvalidAddress},
		{"unspecified", connect("::", 9), `varta: invalid observer address: "::" is the unspecified address, not a host: name the observer's host (127.0.0.1 or ::1 for this one)`, ErrInvalidAddress},
		{"unknown zone", badZone, `varta: invalid observer address: "fe80::1%` + zone + `": zone "` + zone + `" names no interface: ` + zoneErr.Error(), ErrInvalidAddress},
	})
	var opErr *net.OpError
	if !errors.As(badZone, &opErr) {
		t.Errorf("unknown zone: errors.As finds no *net.OpError in %v", badZone)
	}
}

// TestUDPSetupErrorsNameTheFailingCall pins the text of an error of the
// socket setup, which names the system call that failed: a connect to a
// broadcast address (the limited broadcast, and loopback's), which Linux
// refuses (EACCES) to a socket without SO_BROADCAST, and says what to do.
// Nothing is sent.
func TestUDPSetupErrorsNameTheFailingCall(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skipf("the refusal of a connect to the broadcast address is Linux's; this is %s", runtime.GOOS)
	}
	for _, host := range []string{"255.255.255.255", "127.255.255.255"} {
		_, err := ConnectUDP(host, 9)
		checkErrorTexts(t, []errorCase{
			{host, err, "varta: UDP socket to observer at " + host + ":9: a broadcast address needs SO_BROADCAST, which an agent does not set: name the observer's own address: connect: permission denied", syscall.EACCES},
		})
		var sysErr *os.SyscallError
		if !errors.As(err, &sysErr) || sysErr.Syscall != "connect" {
			t.Errorf("errors.As finds no *os.SyscallError of connect in %v", err)
		}
	}
}
