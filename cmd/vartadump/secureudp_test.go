//go:build secureudp && unix

package main

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/varta-go/varta"
	"github.com/varta-go/varta/vartatest"
)

// keyFile writes key in hex to a file and returns its path.
func keyFile(t *testing.T, key []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "key")
	if err := os.WriteFile(path, []byte(hex.EncodeToString(key)+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestDumpOpensSecureFrames(t *testing.T) {
	key := bytes.Repeat([]byte{3}, varta.KeyBytes)
	other := bytes.Repeat([]byte{4}, varta.KeyBytes)
	for _, tc := range []struct {
		flag    string
		connect func(host string, port int, key []byte) (*varta.Varta, error)
	}{
		{"-key", varta.ConnectSecureUDP},
		{"-master-key", varta.ConnectSecureUDPWithMaster},
	} {
		t.Run(tc.flag, func(t *testing.T) {
			d := startDump(t, "-udp", "127.0.0.1:0", tc.flag, keyFile(t, key), "-json")
			agent, err := tc.connect("127.0.0.1", udpPort(t, d), key)
			if err != nil {
				t.Fatal(err)
			}
			defer agent.Close()
			for i := uint64(1); i <= 2; i++ {
				beat(t, agent, varta.StatusOK, uint32(i))
				checkJSONFrame(t, d.line(), os.Getpid(), "ok", i, uint32(i), false)
			}
			stranger, err := tc.connect("127.0.0.1", udpPort(t, d), other)
			if err != nil {
				t.Fatal(err)
			}
			defer stranger.Close()
			beat(t, stranger, varta.StatusOK, 0)
			if l := d.line(); !strings.Contains(l, `"error":"varta: secure frame does not authenticate`) {
				t.Errorf("frame under another key printed as %q", l)
			}
			code, stderr := d.interrupt(syscall.SIGINT)
			if want := fmt.Sprintf("pid %d: 2 frames, 0 nonce gaps, ", os.Getpid()); code != 0 || !strings.Contains(stderr, want) ||
				!strings.Contains(stderr, "1 undecodable") {
				t.Errorf("exit %d, stderr:\n%s\nwant 0 and a summary with %q", code, stderr, want)
			}
		})
	}
}

// With the key named in a secureudp:// target, the hints speak of target
// parameters: the key flags do not go with a target.
func TestDumpHintsAtTheOtherKeyParameterOfATarget(t *testing.T) {
	key := bytes.Repeat([]byte{3}, varta.KeyBytes)
	plain := func(host string, port int, _ []byte) (*varta.Varta, error) { return varta.ConnectUDP(host, port) }
	for _, tc := range []struct {
		param   string
		connect func(host string, port int, key []byte) (*varta.Varta, error)
		want    string
	}{
		{"keyfile", varta.ConnectSecureUDPWithMaster, "got 64 bytes, want 60 (a master-key frame? use ?masterkeyfile= in the target)"},
		{"masterkeyfile", varta.ConnectSecureUDP, "got 60 bytes, want 64 (a shared-key frame? use ?keyfile= in the target)"},
		{"keyfile", plain, "(a plain frame? give a udp:// target, which names no key)"},
		{"masterkeyfile", plain, "(a plain frame? give a udp:// target, which names no key)"},
	} {
		t.Run(tc.param+" "+tc.want, func(t *testing.T) {
			port := freeUDPPort(t)
			d := startDump(t, "secureudp://127.0.0.1:"+strconv.Itoa(port)+"?"+tc.param+"="+keyFile(t, key))
			agent, err := tc.connect("127.0.0.1", port, key)
			if err != nil {
				t.Fatal(err)
			}
			defer agent.Close()
			beat(t, agent, varta.StatusOK, 0)
			if l := d.line(); !strings.Contains(l, tc.want) {
				t.Errorf("printed %q, want %q", l, tc.want)
			}
		})
	}
}

func TestDumpHintsAtTheOtherKeyFlag(t *testing.T) {
	key := bytes.Repeat([]byte{3}, varta.KeyBytes)
	plain := func(host string, port int, _ []byte) (*varta.Varta, error) { return varta.ConnectUDP(host, port) }
	for _, tc := range []struct {
		flag    string
		connect func(host string, port int, key []byte) (*varta.Varta, error)
		want    string
	}{
		{"-key", varta.ConnectSecureUDPWithMaster, "got 64 bytes, want 60 (a master-key frame? use -master-key)"},
		{"-master-key", varta.ConnectSecureUDP, "got 60 bytes, want 64 (a shared-key frame? use -key)"},
		{"-key", plain, "(a plain frame? run without a key flag)"},
		{"-master-key", plain, "(a plain frame? run without a key flag)"},
	} {
		t.Run(tc.flag+" "+tc.want, func(t *testing.T) {
			d := startDump(t, "-udp", "127.0.0.1:0", tc.flag, keyFile(t, key))
			agent, err := tc.connect("127.0.0.1", udpPort(t, d), key)
			if err != nil {
				t.Fatal(err)
			}
			defer agent.Close()
			beat(t, agent, varta.StatusOK, 0)
			if l := d.line(); !strings.Contains(l, tc.want) {
				t.Errorf("printed %q, want %q", l, tc.want)
			}
		})
	}
}

func TestDumpRejectsBadKeyUsage(t *testing.T) {
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"-uds", "/tmp/a", "-key", "k"}, 2, "-key and -master-key go with -udp; a secureudp:// target names its key file itself"},
		{[]string{"secureudp://127.0.0.1:9443?keyfile=/k", "-key", "k"}, 2, "-key and -master-key go with -udp; a secureudp:// target names its key file itself"},
		{[]string{"secureudp://127.0.0.1:9443?keyfile=" + filepath.Join(t.TempDir(), "missing")}, 1, "read key file"},
		{[]string{"-udp", "127.0.0.1:0", "-key", "k", "-master-key", "k"}, 2, "exclude each other"},
		{[]string{"-udp", "127.0.0.1:0", "-key", filepath.Join(t.TempDir(), "missing")}, 1, "read key file"},
	} {
		var stderr bytes.Buffer
		if got := run(tc.args, "", &bytes.Buffer{}, &stderr, nil); got != tc.code || !strings.Contains(stderr.String(), tc.want) {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", tc.args, got, stderr.String(), tc.code, tc.want)
		}
	}
}

// The agent and vartadump take the same secureudp:// target; the key file
// it names is written as an operator keeps one, 0600 in a 0700 directory.
func TestDumpTakesASecureTarget(t *testing.T) {
	key := bytes.Repeat([]byte{5}, varta.KeyBytes)
	for _, tc := range []struct{ param, mode string }{
		{"keyfile", "secure frames (shared key)"},
		{"masterkeyfile", "secure frames (master key)"},
	} {
		t.Run(tc.param, func(t *testing.T) {
			target := "secureudp://127.0.0.1:" + strconv.Itoa(freeUDPPort(t)) + "?" + tc.param + "=" + keyFile(t, key)
			d := startDump(t, "-json", target)
			if !strings.Contains(d.listenOn, " for "+tc.mode+";") {
				t.Errorf("listening on %q, want %q", d.listenOn, tc.mode)
			}
			beatsArrive(t, d, connectTo(t, target))
			stopsWithSummary(t, d, "2 frames")
		})
	}
}

func TestDumpTakesTheTargetOfAVartatestSecureObserver(t *testing.T) {
	key := bytes.Repeat([]byte{6}, varta.KeyBytes)
	for _, tc := range []struct {
		obs                 *vartatest.UDPObserver
		wantKey, wantMaster bool
	}{
		{vartatest.NewSecureUDPObserver(t, key), true, false},
		{vartatest.NewSecureUDPObserverWithMaster(t, key), false, true},
	} {
		target := tc.obs.Target()
		cfg, err := configOf([]string{target}, "")
		_, file, _ := strings.Cut(target, "=")
		if err != nil || cfg.at.Scheme != "secureudp" || cfg.at.Host != "127.0.0.1" || cfg.at.Port != tc.obs.Port() ||
			(cfg.keys.key == file) != tc.wantKey || (cfg.keys.master == file) != tc.wantMaster {
			t.Errorf("vartadump %s: %+v, keys %+v, %v; want secure UDP on 127.0.0.1:%d with the key in %s",
				target, cfg.at, cfg.keys, err, tc.obs.Port(), file)
		}
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
	for i := range n {
		beat(t, agent, varta.StatusOK, uint32(i))
		conn.SetReadDeadline(time.Now().Add(wait))
		k, err := conn.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		session = append(session, bytes.Clone(buf[:k]))
	}
	return session
}

// sendUDP sends each datagram to port on 127.0.0.1 from a new socket.
func sendUDP(t *testing.T, port int, datagrams [][]byte) {
	t.Helper()
	conn, err := net.DialUDP("udp4", nil, &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1), Port: port})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	for _, b := range datagrams {
		if _, err := conn.Write(b); err != nil {
			t.Fatal(err)
		}
	}
}

// TestDumpRefusesAReplayedSession delivers a recorded session of 5 secure
// beats to vartadump: once, each is printed as a frame; sent again, from
// another socket, each is printed as a replay, in text and in JSON, and
// the summary counts them apart from the frames.
func TestDumpRefusesAReplayedSession(t *testing.T) {
	key := bytes.Repeat([]byte{8}, varta.KeyBytes)
	for _, tc := range []struct {
		flag    string
		connect func(host string, port int, key []byte) (*varta.Varta, error)
		json    bool
	}{
		{"-key", varta.ConnectSecureUDP, true},
		{"-master-key", varta.ConnectSecureUDPWithMaster, false},
	} {
		t.Run(tc.flag, func(t *testing.T) {
			session := recordBeats(t, tc.connect, key, 5)
			args := []string{"-udp", "127.0.0.1:0", tc.flag, keyFile(t, key)}
			if tc.json {
				args = append(args, "-json")
			}
			d := startDump(t, args...)
			sendUDP(t, udpPort(t, d), session)
			for i := range session {
				if l := d.line(); tc.json {
					checkJSONFrame(t, l, os.Getpid(), "ok", uint64(i+1), uint32(i), false)
				} else if want := fmt.Sprintf(" pid=%d status=ok nonce=%d ", os.Getpid(), i+1); !strings.Contains(l, want) {
					t.Errorf("beat %d delivered once printed as %q, want %q", i+1, l, want)
				}
			}
			sendUDP(t, udpPort(t, d), session)
			wantText := fmt.Sprintf(" replay length=%d: varta: secure frame refused as a replay: pid %d: ", len(session[0]), os.Getpid())
			for i := range session {
				l := d.line()
				if !tc.json {
					if !strings.Contains(l, wantText) {
						t.Errorf("replayed beat %d printed as %q, want %q", i+1, l, wantText)
					}
					continue
				}
				var got map[string]any
				if err := json.Unmarshal([]byte(l), &got); err != nil || got["replay"] != true ||
					got["length"] != float64(len(session[0])) || !strings.HasPrefix(fmt.Sprint(got["error"]), "varta: secure frame refused as a replay: ") || len(got) != 3 {
					t.Errorf("replayed beat %d printed as %q (%v), want an error line with \"replay\": true", i+1, l, err)
				}
			}
			code, stderr := d.interrupt(syscall.SIGINT)
			for _, want := range []string{
				"vartadump: 5 frames from 1 pid, 0 undecodable datagrams, 5 replayed frames refused\n",
				fmt.Sprintf("pid %d: 5 frames, 0 nonce gaps, ", os.Getpid()),
			} {
				if code != 0 || !strings.Contains(stderr, want) {
					t.Errorf("exit %d, stderr:\n%s\nwant 0 and %q", code, stderr, want)
				}
			}
		})
	}
}
