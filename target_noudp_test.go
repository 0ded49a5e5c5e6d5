//go:build !(udp || secureudp)

package varta

// Proves that a build without the udp tag refuses udp:// targets by naming
// the missing tag and offering the transports it has.

import (
	"errors"
	"strings"
	"testing"
)

func TestConnectToUDPWithoutTheTagNamesTheTag(t *testing.T) {
	for _, target := range []string{"udp://127.0.0.1:9000", "udp://[::1]:9000", "udp://observer.internal:9000"} {
		v, err := ConnectTo(target)
		if v != nil || !errors.Is(err, ErrTransportNotBuilt) || !strings.Contains(err.Error(), "built without -tags udp") {
			t.Errorf("ConnectTo(%q) = %v, %v; want ErrTransportNotBuilt saying the program was built without -tags udp", target, v, err)
		}
		checkOffersWhatIsBuilt(t, err)
	}
}

// udpEntryPoint returns nil: this build has no ConnectUDP.
func udpEntryPoint(*testing.T) func(host string, port int) (*Varta, error) { return nil }

// udpEchoCases returns no calls: this build has no ConnectUDP.
func udpEchoCases(*testing.T) []echoCase { return nil }
