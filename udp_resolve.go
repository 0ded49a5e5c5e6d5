//go:build unix && (udp || secureudp)

package varta

import (
	"context"
	"time"

	"golang.org/x/sys/unix"
)

// How often an agent connected by name looks the name up again. They are
// variables so that tests can shorten them.
var (
	// lookupEvery is the period of the lookups, at the scale of DNS
	// records' lifetimes, so that an agent leaves an address that
	// vanished without a word (beats to it read Sent).
	lookupEvery = 30 * time.Second
	// lookupGap is the least time between two lookups that beats asked
	// for: a fleet of agents whose observer is down asks its resolver at
	// most once per gap each. It is also how long Go's resolver keeps
	// /etc/hosts before reading it again.
	lookupGap = 5 * time.Second
)

// lookupTimeout bounds one lookup, so that Close and Reconnect never wait
// longer for the resolver.
const lookupTimeout = 5 * time.Second

// nameWatch follows the name of the observer of an agent connected by
// name, on a goroutine the agent owns: it looks the name up every
// lookupEvery, and when a beat was dropped for NoObserver (the beat only
// pokes it), at once the first time and then lookupGap after the last
// lookup at the soonest, and moves the agent to the address the name
// resolves to when that changed. Only the goroutine and Reconnect look
// up: a beat never waits for DNS. Close stops it. Agents connected to an
// IP literal or a Unix socket have none (their watch is nil).
type nameWatch struct {
	name *hostName
	addr udpAddress // the address the agent's socket is connected to; guarded by the agent's mutex

	poked  chan struct{} // capacity 1: a beat's NoObserver drop asks for a lookup
	ctx    context.Context
	cancel context.CancelFunc // ends the goroutine and any lookup in progress
	done   chan struct{}      // closed when the goroutine has ended

	every, gap time.Duration
}

// watchName starts following name, if the agent was connected by name
// (name not nil), from addr, the address it is connected to.
func (v *Varta) watchName(name *hostName, addr udpAddress) {
	if name == nil {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	w := &nameWatch{
		name:   name,
		addr:   addr,
		poked:  make(chan struct{}, 1),
		ctx:    ctx,
		cancel: cancel,
		done:   make(chan struct{}),
		every:  lookupEvery,
		gap:    lookupGap,
	}
	v.watch = w
	go w.run(v)
}

// poke asks for a lookup, after a beat was dropped for NoObserver. It
// never blocks and allocates nothing; a lookup already asked for absorbs
// it.
func (w *nameWatch) poke() {
	if w == nil {
		return
	}
	select {
	case w.poked <- struct{}{}:
	default:
	}
}

// stop ends the goroutine, cancelling any lookup in progress, and waits
// for it to end. The caller must not hold the agent's mutex, which the
// goroutine takes.
func (w *nameWatch) stop() {
	if w == nil {
		return
	}
	w.cancel()
	<-w.done
}

// run is the goroutine: it looks the name up when the period ends or,
// after a poke, once the gap since its last lookup has passed, until stop.
// The period starts at connect; the first poke is answered at once.
func (w *nameWatch) run(v *Varta) {
	defer close(w.done)
	var last time.Time
	next := time.Now().Add(w.every)
	timer := time.NewTimer(w.every)
	defer timer.Stop()
	for {
		select {
		case <-w.ctx.Done():
			return
		case <-w.poked:
			if soon := last.Add(w.gap); soon.Before(next) {
				next = soon
				timer.Reset(time.Until(next))
			}
			continue
		case <-timer.C:
		}
		w.follow(v)
		last = time.Now()
		next = last.Add(w.every)
		timer.Reset(w.every)
	}
}

// follow looks the name up and, when it resolves to another address,
// opens a socket to it and swaps it in. It holds the agent's mutex only
// to read and count, never during the lookup or the dial; a socket opened
// for an agent that was closed, forked or moved meanwhile is discarded.
func (w *nameWatch) follow(v *Varta) {
	v.mu.Lock()
	cur, forks := w.addr, v.stats.ForkRecoveries
	v.mu.Unlock()
	next, err := w.lookup(v, cur)
	if err != nil || next == cur {
		return
	}
	ep := next.endpoint()
	fd, f := ep.dial()
	if f.failed() {
		return // the next poke or period tries again
	}
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.fd < 0 || w.addr != cur || v.stats.ForkRecoveries != forks {
		unix.Close(fd)
		return
	}
	w.move(v, fd, next, ep)
}

// lookup resolves the name once, for lookupTimeout at most, and counts the
// lookup in the agent's stats unless the agent was closed meanwhile. It
// takes the agent's mutex only to count.
func (w *nameWatch) lookup(v *Varta, cur udpAddress) (udpAddress, error) {
	ctx, cancel := context.WithTimeout(w.ctx, lookupTimeout)
	defer cancel()
	next, err := w.name.lookup(ctx, cur)
	v.mu.Lock()
	if v.fd >= 0 {
		v.stats.Resolutions++
		if err != nil {
			v.stats.ResolutionFailures++
		}
	}
	v.mu.Unlock()
	return next, err
}

// move makes fd, connected to next at ep, the agent's socket, as a
// reconnect does, and next the agent's address. The caller holds the
// agent's mutex.
func (w *nameWatch) move(v *Varta, fd int, next udpAddress, ep endpoint) {
	v.swapSocket(fd)
	v.ep = &ep
	w.addr = next
	v.stats.AddressChanges++
	v.reconnected()
}

// reconnect is Reconnect for an agent connected by name: it looks the name
// up (without the agent's mutex, for lookupTimeout at most), then opens a
// socket to the address the name resolves to and swaps it in. If any step
// fails the agent keeps its socket and its address.
func (w *nameWatch) reconnect(v *Varta) error {
	v.mu.Lock()
	cur := w.addr
	v.mu.Unlock()
	next, err := w.lookup(v, cur)
	if !v.lockOpen() {
		return ErrClosed
	}
	defer v.mu.Unlock()
	switch {
	case err != nil:
		return err
	case next == cur || w.addr != cur: // the same address, or the goroutine moved the agent meanwhile
		return v.reconnectAsked()
	}
	ep := next.endpoint()
	fd, f := ep.dial()
	if f.failed() {
		return ep.describe(f)
	}
	w.move(v, fd, next, ep)
	return nil
}
