//go:build secureudp

package main

import (
	"errors"
	"flag"
	"fmt"

	"github.com/varta-go/varta"
)

// keyUsage shows the key flags.
const keyUsage = `
  vartadump [-json] -udp HOST:PORT -key FILE
  vartadump [-json] -udp HOST:PORT -master-key FILE`

// keyExample shows secure invocations.
const keyExample = `
  vartadump 'secureudp://127.0.0.1:9443?keyfile=/etc/varta/observer.key'
  vartadump -udp 0.0.0.0:9443 -master-key /etc/varta/master.key`

// keyFlags are the key files given on the command line, by flag or in a
// secureudp:// target.
type keyFlags struct {
	key, master string
	inTarget    bool // named by a target's keyfile= or masterkeyfile=
}

// add defines -key and -master-key.
func (k *keyFlags) add(fs *flag.FlagSet) {
	fs.StringVar(&k.key, "key", "", "open 60-byte secure frames with the shared key in `FILE` (64 hexadecimal characters; with -udp)")
	fs.StringVar(&k.master, "master-key", "", "open 64-byte secure frames with keys derived from the master key in `FILE` (with -udp)")
}

// check returns what is wrong with the key flags, or "".
func (k *keyFlags) check(udp bool) string {
	switch {
	case k.key != "" && k.master != "":
		return "-key and -master-key exclude each other"
	case (k.key != "" || k.master != "") && !udp:
		return "-key and -master-key go with -udp; a secureudp:// target names its key file itself (?keyfile= or ?masterkeyfile=)"
	}
	return ""
}

// fromTarget takes the key file of the secureudp:// target t.
func (k *keyFlags) fromTarget(_ string, t varta.Target) error {
	k.inTarget = true
	if t.Master {
		k.master = t.KeyFile
	} else {
		k.key = t.KeyFile
	}
	return nil
}

// opener loads the key and returns the opener of the frames it opens:
// one varta.SecureOpener or varta.MasterOpener for the life of the
// command, which refuses replays, with the key read from the file wiped
// once the opener holds its own. Without a key flag it decodes plain
// frames.
func (k *keyFlags) opener() (frameOpener, error) {
	useMaster, useShared, usePlain := "use -master-key", "use -key", "run without a key flag"
	if k.inTarget {
		useMaster, useShared, usePlain = "use ?masterkeyfile= in the target", "use ?keyfile= in the target", "give a udp:// target, which names no key"
	}
	// The size of the frames the other kind of key opens, and the hint
	// for a datagram of that size.
	var otherSize int
	var path, mode, hint string
	var newOpener func([]byte) (secureOpener, error)
	switch {
	case k.key != "":
		path, mode, otherSize, hint = k.key, "secure frames (shared key)", varta.MasterFrameBytes, "a master-key frame? "+useMaster
		newOpener = func(key []byte) (secureOpener, error) { return varta.NewSecureOpener(key) }
	case k.master != "":
		path, mode, otherSize, hint = k.master, "secure frames (master key)", varta.SecureFrameBytes, "a shared-key frame? "+useShared
		newOpener = func(key []byte) (secureOpener, error) { return varta.NewMasterOpener(key) }
	default:
		return plainOpener, nil
	}
	key, err := varta.LoadKeyFile(path)
	if err != nil {
		return frameOpener{}, err
	}
	o, err := newOpener(key)
	clear(key)
	if err != nil {
		return frameOpener{}, err
	}
	return frameOpener{open: withHint(o.Open, otherSize, hint, usePlain), mode: mode, secure: true, close: func() { o.Close() }}, nil
}

// secureOpener is what varta.SecureOpener and varta.MasterOpener have in
// common.
type secureOpener interface {
	Open(wire []byte) (varta.Frame, error)
	Close() error
}

// isReplay reports whether err is an opener's refusal of a replayed frame.
func isReplay(err error) bool { return errors.Is(err, varta.ErrReplay) }

// withHint returns open, with hint added to the error of a datagram of n
// bytes, the size of the frames the other kind of key opens, and "a plain
// frame?" and usePlain to that of a plain frame's size.
func withHint(open func([]byte) (varta.Frame, error), n int, hint, usePlain string) func([]byte) (varta.Frame, error) {
	return func(b []byte) (varta.Frame, error) {
		f, err := open(b)
		switch {
		case err == nil:
		case len(b) == n:
			err = fmt.Errorf("%w (%s)", err, hint)
		case len(b) == varta.FrameBytes:
			err = fmt.Errorf("%w (a plain frame? %s)", err, usePlain)
		}
		return f, err
	}
}
