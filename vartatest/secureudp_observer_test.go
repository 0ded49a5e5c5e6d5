//go:build secureudp && unix

package vartatest_test

import (
	"bytes"
	"encoding/hex"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/varta-go/varta"
	"github.com/varta-go/varta/vartatest"
)

func testKey(b byte) []byte { return bytes.Repeat([]byte{b}, varta.KeyBytes) }

func TestSecureUDPObserverAcceptsAnAgentsFrames(t *testing.T) {
	rec := &recorder{TB: t}
	obs := vartatest.NewSecureUDPObserver(rec, testKey(1))
	agent, err := varta.ConnectSecureUDP("127.0.0.1", obs.Port(), testKey(1))
	if err != nil {
		t.Fatal(err)
	}
	defer agent.Close()
	for i := uint64(1); i <= 3; i++ {
		if out := agent.Beat(varta.StatusOK, 0); !out.IsSent() {
			t.Fatalf("beat %d: %v", i, out)
		}
		if f, err := obs.Next(wait); err != nil || f.Nonce != i {
			t.Fatalf("beat %d: got %+v, %v", i, f, err)
		}
	}
	agent.SendTerminal()
	if f, err := obs.Next(wait); err != nil || !vartatest.IsTerminal(f) {
		t.Fatalf("got %+v, %v, want a terminal frame", f, err)
	}
	rec.expectNoReport(t)
}

// TestSecureUDPObserverWithMasterAcceptsAnAgentsBeats checks the agent's
// beats only: the layout of a master-key agent's terminal frame is SPEC
// R7.3's 64 bytes, which the observer expects of every frame.
func TestSecureUDPObserverWithMasterAcceptsAnAgentsBeats(t *testing.T) {
	rec := &recorder{TB: t}
	obs := vartatest.NewSecureUDPObserverWithMaster(rec, testKey(2))
	agent, err := varta.ConnectSecureUDPWithMaster("127.0.0.1", obs.Port(), testKey(2))
	if err != nil {
		t.Fatal(err)
	}
	defer agent.Close()
	for i := uint64(1); i <= 3; i++ {
		if out := agent.Beat(varta.StatusOK, 0); !out.IsSent() {
			t.Fatalf("beat %d: %v", i, out)
		}
		if f, err := obs.Next(wait); err != nil || f.Nonce != i {
			t.Fatalf("beat %d: got %+v, %v", i, f, err)
		}
	}
	rec.expectNoReport(t)
}

func TestSecureUDPObserversReportFramesThatDoNotOpen(t *testing.T) {
	plain := frameBytes(varta.Frame{PID: 4242, Nonce: 1})
	cases := []violation{
		{"plain frame", [][]byte{plain}, varta.ErrSecureFrameLength, false},
		{"garbage of the right size", [][]byte{bytes.Repeat([]byte{7}, varta.SecureFrameBytes)}, varta.ErrAuthentication, false},
	}
	checkViolations(t, cases, func(tb testing.TB) (func([]byte), observer) {
		obs := vartatest.NewSecureUDPObserver(tb, testKey(1))
		return udpSender(t, obs.Port()), obs
	})
	masterCases := []violation{
		{"plain frame", [][]byte{plain}, varta.ErrSecureFrameLength, false},
		{"shared-key layout", [][]byte{bytes.Repeat([]byte{7}, varta.SecureFrameBytes)}, varta.ErrSecureFrameLength, false},
		{"garbage of the right size", [][]byte{bytes.Repeat([]byte{7}, varta.MasterFrameBytes)}, varta.ErrAuthentication, false},
	}
	checkViolations(t, masterCases, func(tb testing.TB) (func([]byte), observer) {
		obs := vartatest.NewSecureUDPObserverWithMaster(tb, testKey(1))
		return udpSender(t, obs.Port()), obs
	})
}

func TestSecureUDPObserversReportAnAgentWithAnotherKey(t *testing.T) {
	for _, master := range []bool{false, true} {
		rec := &recorder{TB: t}
		var obs *vartatest.UDPObserver
		var agent *varta.Varta
		var err error
		if master {
			obs = vartatest.NewSecureUDPObserverWithMaster(rec, testKey(1))
			agent, err = varta.ConnectSecureUDPWithMaster("127.0.0.1", obs.Port(), testKey(2))
		} else {
			obs = vartatest.NewSecureUDPObserver(rec, testKey(1))
			agent, err = varta.ConnectSecureUDP("127.0.0.1", obs.Port(), testKey(2))
		}
		if err != nil {
			t.Fatal(err)
		}
		defer agent.Close()
		if out := agent.Beat(varta.StatusOK, 0); !out.IsSent() {
			t.Fatalf("master %v: beat: %v", master, out)
		}
		if _, err := obs.Next(wait); !errors.Is(err, varta.ErrAuthentication) {
			t.Errorf("master %v: got %v, want an error matching varta.ErrAuthentication", master, err)
		}
		rec.expectReport(t, varta.ErrAuthentication.Error())
	}
}

func TestSecureUDPObserversRefuseAKeyOfTheWrongLength(t *testing.T) {
	for _, newObserver := range []func(testing.TB, []byte) *vartatest.UDPObserver{
		vartatest.NewSecureUDPObserver, vartatest.NewSecureUDPObserverWithMaster,
	} {
		rec := &recorder{TB: t}
		done := make(chan struct{})
		go func() {
			defer close(done)
			newObserver(rec, make([]byte, 16))
			t.Error("observer made with a 16-byte key")
		}()
		<-done
		rec.expectReport(t, "a key is 32 bytes, got 16")
	}
}

// TestSecureUDPObserversTargetNamesAPrivateKeyFile connects through each
// secure observer's Target: the key file it names holds the key, only its
// owner can read it, and Close removes it.
func TestSecureUDPObserversTargetNamesAPrivateKeyFile(t *testing.T) {
	for _, tc := range []struct {
		param       string
		newObserver func(testing.TB, []byte) *vartatest.UDPObserver
	}{
		{"keyfile", vartatest.NewSecureUDPObserver},
		{"masterkeyfile", vartatest.NewSecureUDPObserverWithMaster},
	} {
		t.Run(tc.param, func(t *testing.T) {
			rec := &recorder{TB: t}
			obs := tc.newObserver(rec, testKey(3))
			prefix := "secureudp://127.0.0.1:" + strconv.Itoa(obs.Port()) + "?" + tc.param + "="
			path, ok := strings.CutPrefix(obs.Target(), prefix)
			if !ok || !filepath.IsAbs(path) {
				t.Fatalf("Target() = %q, want %s and an absolute path", obs.Target(), prefix)
			}
			for _, f := range []struct {
				path string
				mode os.FileMode
			}{{path, 0o600}, {filepath.Dir(path), os.ModeDir | 0o700}} {
				if fi, err := os.Lstat(f.path); err != nil || fi.Mode() != f.mode {
					t.Errorf("%s: %v, %v, want mode %v", f.path, fi.Mode(), err, f.mode)
				}
			}
			if b, err := os.ReadFile(path); err != nil || string(b) != hex.EncodeToString(testKey(3))+"\n" {
				t.Errorf("key file holds %q, %v, want the key in hex", b, err)
			}
			expectFirstBeat(t, obs, connect(t, obs.Target()))
			rec.expectNoReport(t)
			obs.Close()
			if _, err := os.Lstat(filepath.Dir(path)); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("after Close, the key file's directory: %v, want it removed", err)
			}
		})
	}
}

// recordBeats returns the datagrams of n beats that connect's agent,
// keyed with key, sends to a UDP socket of this test: a recorded session.
func recordBeats(t *testing.T, connect func(string, int, []byte) (*varta.Varta, error), key []byte, n int) [][]byte {
	t.Helper()
	conn, err := net.ListenUDP("udp4", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	agent, err := connect("127.0.0.1", conn.LocalAddr().(*net.UDPAddr).Port, key)
	if err != nil {
		t.Fatal(err)
	}
	defer agent.Close()
	var session [][]byte
	buf := make([]byte, 256)
	for range n {
		beat(t, agent, 1)
		conn.SetReadDeadline(time.Now().Add(wait))
		k, err := conn.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		session = append(session, bytes.Clone(buf[:k]))
	}
	return session
}

// TestSecureUDPObserversRefuseAReplayedSession delivers a recorded session
// of 5 secure beats to each secure observer: once, every beat is accepted;
// sent again, from another socket, every one is a violation matching
// varta.ErrReplay, which Next reports and Receive returns.
func TestSecureUDPObserversRefuseAReplayedSession(t *testing.T) {
	for _, tc := range []struct {
		name        string
		newObserver func(testing.TB, []byte) *vartatest.UDPObserver
		connect     func(string, int, []byte) (*varta.Varta, error)
	}{
		{"shared", vartatest.NewSecureUDPObserver, varta.ConnectSecureUDP},
		{"master", vartatest.NewSecureUDPObserverWithMaster, varta.ConnectSecureUDPWithMaster},
	} {
		t.Run(tc.name, func(t *testing.T) {
			session := recordBeats(t, tc.connect, testKey(7), 5)
			rec := &recorder{TB: t}
			obs := tc.newObserver(rec, testKey(7))
			send := udpSender(t, obs.Port())
			for i, w := range session {
				send(w)
				if f, err := obs.Next(wait); err != nil || f.Nonce != uint64(i+1) {
					t.Fatalf("beat %d delivered once: %+v, %v", i+1, f, err)
				}
			}
			rec.expectNoReport(t)
			replay := udpSender(t, obs.Port())
			for i, w := range session {
				replay(w)
				var err error
				if i == 0 {
					_, err = obs.Next(wait)
					rec.expectReport(t, varta.ErrReplay.Error())
				} else {
					_, err = obs.Receive(wait)
				}
				if !errors.Is(err, varta.ErrReplay) {
					t.Errorf("replayed beat %d: %v, want an error matching varta.ErrReplay", i+1, err)
				}
			}
			rec.expectNoReport(t)
		})
	}
}
