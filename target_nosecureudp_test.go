//go:build !secureudp

package varta

// Proves that a build without the secureudp tag refuses secureudp://
// targets by naming the missing tag and offering the transports it has,
// without repeating the key file path.

import (
	"errors"
	"strings"
	"testing"
)

func TestConnectToSecureUDPWithoutTheTagNamesTheTag(t *testing.T) {
	for _, target := range []string{
		"secureudp://127.0.0.1:9443?keyfile=/etc/varta/agent.key",
		"secureudp://observer.internal:9443?masterkeyfile=/etc/varta/master.key",
	} {
		v, err := ConnectTo(target)
		if v != nil || !errors.Is(err, ErrTransportNotBuilt) || !strings.Contains(err.Error(), "built without -tags secureudp") {
			t.Errorf("ConnectTo(%q) = %v, %v; want ErrTransportNotBuilt saying the program was built without -tags secureudp", target, v, err)
		}
		checkOffersWhatIsBuilt(t, err)
		if strings.Contains(err.Error(), "/etc/varta") {
			t.Errorf("ConnectTo(%q) = %q: repeats the key file path, which it never read", target, err)
		}
	}
}

// secureEchoCases returns no calls: this build has no secure constructors
// and no LoadKeyFile.
func secureEchoCases(*testing.T) []echoCase { return nil }
