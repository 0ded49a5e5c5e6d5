//go:build udp || secureudp

package varta

// Proves that an agent connected by name follows an observer whose name
// moves to another address: after NoObserver drops, after the period when
// the old address vanished silently, and at Reconnect; that it stays put
// while the name still lists its address; that only names start a
// goroutine, and Close stops it.

import (
	"errors"
	"net"
	"net/netip"
	"os"
	"strconv"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// moveBeats is how many beats at a 50 ms cadence, 40 seconds' worth, an
// agent may take to reach an observer whose name moved (issue bound).
const moveBeats = 800

// observersAt binds a receiver at the loopback address from and one at to,
// on the same port, and returns them with the port.
func observersAt(t *testing.T, from, to string) (old, moved *receiver, port int) {
	t.Helper()
	for range 5 {
		old, port = listenUDP(t, from)
		if fd, ok := bindUDP(t, to, port); ok {
			moved = &receiver{t: t, fd: fd}
			t.Cleanup(moved.close)
			return old, moved, port
		}
		old.close()
	}
	t.Fatalf("found no port free at both %s and %s", from, to)
	return nil, nil, 0
}

// bindUDP opens a UDP socket bound to ip and port, and reports false if
// the port is taken there.
func bindUDP(t *testing.T, ip string, port int) (int, bool) {
	t.Helper()
	addr := netip.MustParseAddr(ip)
	family, sa := unix.AF_INET6, unix.Sockaddr(&unix.SockaddrInet6{Port: port, Addr: addr.As16()})
	if addr.Is4() {
		family, sa = unix.AF_INET, &unix.SockaddrInet4{Port: port, Addr: addr.As4()}
	}
	fd, err := openSocket(family, unix.SOCK_DGRAM)
	if err != nil {
		t.Fatal(err)
	}
	if err := unix.Bind(fd, sa); err != nil {
		unix.Close(fd)
		if errors.Is(err, unix.EADDRINUSE) {
			return -1, false
		}
		t.Fatal(err)
	}
	return fd, true
}

// readNow returns a datagram queued at r, if there is one.
func (r *receiver) readNow() ([]byte, bool) {
	n, err := unix.Read(r.fd, r.buf[:])
	if err != nil {
		return nil, false
	}
	return append([]byte(nil), r.buf[:n]...), true
}

// beatUntilArrival beats on v every 50 ms until a beat reaches r, for
// moveBeats beats at most, and returns the frame that arrived and the
// beats it took; outcome, if not nil, sees every beat's outcome.
func (u udpVariant) beatUntilArrival(t *testing.T, v *Varta, r *receiver, outcome func(BeatOutcome)) (Frame, int) {
	t.Helper()
	for i := 1; i <= moveBeats; i++ {
		out := v.Beat(StatusOK, uint32(i))
		if outcome != nil {
			outcome(out)
		}
		time.Sleep(50 * time.Millisecond)
		if wire, ok := r.readNow(); ok {
			return u.open(t, wire, uint32(os.Getpid())), i
		}
	}
	t.Fatalf("no beat of %d reached the observer at the new address; Stats = %+v", moveBeats, v.Stats())
	return Frame{}, 0
}

// TestAnObserverWhoseNameMovesIsFoundAgain moves the observer's name to
// another address (IPv4, and to another family) while the observer at the
// old one stops: the NoObserver drops that follow make the agent look the
// name up again and move its socket, and the new observer gets the next
// beat of the sequence within the bound, 40 seconds at a 50 ms
// cadence.
func TestAnObserverWhoseNameMovesIsFoundAgain(t *testing.T) {
	for _, u := range udpVariants(t) {
		for _, to := range []string{"127.0.0.3", "::1"} {
			t.Run(u.name+"/to-"+to, func(t *testing.T) {
				setLookupTimes(t, time.Hour, 100*time.Millisecond) // only drops ask for lookups
				name := resolveMoving(t, "127.0.0.2")
				old, moved, port := observersAt(t, "127.0.0.2", to)
				v := u.dial(t, observerName, port)
				u.beatArrives(t, v, old, 1, 0)

				name.moveTo(to)
				old.close()
				f, beats := u.beatUntilArrival(t, v, moved, nil)
				st := v.Stats()
				t.Logf("the observer at %s got beat %d, after %d beats; Stats = %+v", to, f.Nonce, beats, st)
				if f.Nonce != st.Sent {
					t.Errorf("the moved observer got nonce %d, want %d: the sequence goes on", f.Nonce, st.Sent)
				}
				if st.AddressChanges != 1 || st.Resolutions == 0 || st.ResolutionFailures != 0 || st.DroppedNoObserver == 0 {
					t.Errorf("Stats = %+v, want one address change after NoObserver drops and lookups that worked", st)
				}
			})
		}
	}
}

// TestAnAddressThatVanishesSilentlyIsLeft moves the observer's name while
// something still takes datagrams at the old address, so that every beat
// reads Sent and none pokes the agent: the periodic lookup moves it.
func TestAnAddressThatVanishesSilentlyIsLeft(t *testing.T) {
	for _, u := range udpVariants(t) {
		t.Run(u.name, func(t *testing.T) {
			setLookupTimes(t, 100*time.Millisecond, time.Hour) // only the period asks for lookups
			name := resolveMoving(t, "127.0.0.2")
			old, moved, port := observersAt(t, "127.0.0.2", "127.0.0.3")
			v := u.dial(t, observerName, port)
			u.beatArrives(t, v, old, 1, 0)

			name.moveTo("127.0.0.3")
			f, beats := u.beatUntilArrival(t, v, moved, func(out BeatOutcome) {
				if !out.IsSent() {
					t.Fatalf("beat = %v, want Sent: something still takes them at the old address", out)
				}
			})
			st := v.Stats()
			t.Logf("the observer at the new address got beat %d, after %d beats; Stats = %+v", f.Nonce, beats, st)
			if st.AddressChanges != 1 || st.Sent != f.Nonce {
				t.Errorf("Stats = %+v, want one address change and every beat sent, the last with nonce %d", st, f.Nonce)
			}
		})
	}
}

// TestANameThatStillListsTheAddressKeepsIt has the name resolve to a new
// address and to the agent's: the agent stays where it is, and does not
// flap between the addresses of one name.
func TestANameThatStillListsTheAddressKeepsIt(t *testing.T) {
	setLookupTimes(t, 10*time.Millisecond, time.Hour)
	name := resolveMoving(t, "127.0.0.2")
	old, moved, port := observersAt(t, "127.0.0.2", "127.0.0.3")
	v := plainUDP.dial(t, observerName, port)
	name.moveTo("127.0.0.3", "127.0.0.2")
	for start := name.count(); name.count() < start+5; {
		time.Sleep(10 * time.Millisecond) // a hang shows as the test's timeout
	}
	plainUDP.beatArrives(t, v, old, 1, 0)
	moved.expectNothing()
	if st := v.Stats(); st.AddressChanges != 0 || st.Resolutions == 0 {
		t.Errorf("Stats = %+v, want lookups and no address change", st)
	}
}

// TestReconnectLooksTheNameUpAgain moves the name and calls Reconnect,
// which follows it at once; a lookup that fails makes Reconnect fail and
// leaves the agent where it was.
func TestReconnectLooksTheNameUpAgain(t *testing.T) {
	for _, u := range udpVariants(t) {
		t.Run(u.name, func(t *testing.T) {
			setLookupTimes(t, time.Hour, time.Hour) // only Reconnect looks up
			name := resolveMoving(t, "127.0.0.2")
			old, moved, port := observersAt(t, "127.0.0.2", "127.0.0.3")
			v := u.dial(t, observerName, port)
			u.beatArrives(t, v, old, 1, 1)

			name.moveTo("127.0.0.3")
			if err := v.Reconnect(); err != nil {
				t.Fatal(err)
			}
			u.beatArrives(t, v, moved, 2, 2)
			old.expectNothing()
			want := Stats{Sent: 2, Reconnects: 1, Resolutions: 1, AddressChanges: 1}
			if st := v.Stats(); st != want {
				t.Errorf("after Reconnect: Stats = %+v, want %+v", st, want)
			}

			name.fail()
			var dnsErr *net.DNSError
			if err := v.Reconnect(); !errors.As(err, &dnsErr) {
				t.Errorf("Reconnect with a failing lookup = %v, want the resolver's *net.DNSError", err)
			}
			u.beatArrives(t, v, moved, 3, 3)
			want = Stats{Sent: 3, Reconnects: 1, Resolutions: 2, ResolutionFailures: 1, AddressChanges: 1}
			if st := v.Stats(); st != want {
				t.Errorf("after a failed lookup: Stats = %+v, want %+v", st, want)
			}
		})
	}
}

// TestCloseStopsTheNameWatch closes agents connected by name, one whose
// goroutine waits for its next lookup and one whose goroutine is inside a
// lookup that would never end: each goroutine has ended when Close
// returns.
func TestCloseStopsTheNameWatch(t *testing.T) {
	_, port := listenUDP(t, "127.0.0.1")
	t.Run("idle", func(t *testing.T) {
		resolveMoving(t, "127.0.0.1")
		closesWatch(t, plainUDP.dial(t, observerName, port))
	})
	t.Run("in-lookup", func(t *testing.T) {
		setLookupTimes(t, time.Millisecond, time.Hour)
		name := resolveMoving(t, "127.0.0.1")
		v := plainUDP.dial(t, observerName, port)
		name.hang()
		<-name.hung // a hang shows as the test's timeout
		closesWatch(t, v)
		if st := v.Stats(); st.Resolutions != 0 {
			t.Errorf("Stats = %+v: a lookup cut short by Close was counted", st)
		}
	})
}

// closesWatch closes v, which follows its observer's name, and fails the
// test if its goroutine has not ended when Close returns.
func closesWatch(t *testing.T, v *Varta) {
	t.Helper()
	done, ok := v.watching()
	if !ok {
		t.Fatal("an agent connected by name has no name watch")
	}
	if err := v.Close(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-done:
	default:
		t.Fatal("the name watch's goroutine runs on after Close returned")
	}
}

// TestOnlyNamesAreWatched checks that agents connected to an IP literal,
// by any constructor or target, or to a Unix socket, look nothing up and
// start no goroutine,
// and that a name, given to a constructor or in a target, is watched.
func TestOnlyNamesAreWatched(t *testing.T) {
	lookups := forbidLookups(t)
	_, port := listenUDP(t, "127.0.0.1")
	_, port6 := listenUDP(t, "::1")
	for _, u := range udpVariants(t) {
		for _, host := range []string{"127.0.0.1", "::1"} {
			p := port
			if host == "::1" {
				p = port6
			}
			v := u.dial(t, host, p)
			if _, ok := v.watching(); ok {
				t.Errorf("%s: an agent connected to %s follows a name", u.name, host)
			}
			if err := v.Reconnect(); err != nil {
				t.Fatal(err)
			}
		}
	}
	for _, target := range []string{"udp://127.0.0.1:" + strconv.Itoa(port), "udp://[::1]:" + strconv.Itoa(port6)} {
		v, err := ConnectTo(target)
		if err != nil {
			t.Fatal(err)
		}
		if _, ok := v.watching(); ok {
			t.Errorf("an agent connected to %s follows a name", target)
		}
		v.Close()
	}
	if _, ok := connectTo(t, listen(t)).watching(); ok {
		t.Error("an agent connected to a Unix socket follows a name")
	}
	if n := lookups.Load(); n != 0 {
		t.Errorf("agents connected to IP literals looked up %d names, want none", n)
	}

	resolveMoving(t, "127.0.0.1")
	for _, u := range udpVariants(t) {
		if _, ok := u.dial(t, observerName, port).watching(); !ok {
			t.Errorf("%s: an agent connected by name does not follow it", u.name)
		}
	}
	v, err := ConnectTo("udp://" + observerName + ":" + strconv.Itoa(port))
	if err != nil {
		t.Fatal(err)
	}
	defer v.Close()
	if _, ok := v.watching(); !ok {
		t.Error("an agent connected to a udp:// target with a name does not follow it")
	}
}

// TestNoObserverDropsAskForOneLookupPerGap drops beat after beat for
// NoObserver: the first drop has the name looked up at once, and the
// drops that follow within the gap ask for nothing more.
func TestNoObserverDropsAskForOneLookupPerGap(t *testing.T) {
	setLookupTimes(t, time.Hour, time.Hour)
	name := resolveMoving(t, "127.0.0.1")
	_, port := listenUDP(t, "127.0.0.1")
	v := plainUDP.dial(t, observerName, port)
	v.interpose(func([]byte) BeatOutcome { return dropped(NoObserver) }, nil)
	if out := v.Beat(StatusOK, 0); out != dropped(NoObserver) {
		t.Fatalf("beat = %v, want Dropped(NoObserver)", out)
	}
	for v.Stats().Resolutions == 0 {
		time.Sleep(time.Millisecond) // a hang shows as the test's timeout
	}
	for range 100 {
		v.Beat(StatusOK, 0)
	}
	time.Sleep(100 * time.Millisecond) // time for a lookup that should not come
	if n, st := name.count(), v.Stats(); n != 2 || st.Resolutions != 1 || st.DroppedNoObserver != 101 {
		t.Errorf("after 101 NoObserver drops: %d lookups (connect included), Stats = %+v; want 2 and 1 after connect", n, st)
	}
}
