package varta

// Guard sends a terminal frame when the goroutine is panicking and then
// panics again with the same value, so the observer learns of the crash at
// once and the crash itself is unchanged. Defer it directly, at the top of
// main and of every goroutine whose panic ends the process:
//
//	defer agent.Guard()
//
// Only a direct defer sees the panic: recover has no effect in a function
// that Guard is called from. When nothing panics (or the goroutine ends
// by runtime.Goexit), Guard does nothing. Any panic that passes through it
// sends the frame, even one that a caller further up recovers.
//
// The process still ends with exit status 2, printing the panic value and
// the stack of the panicking goroutine. Since Go 1.25 the runtime prints a
// value re-panicked this way once, marked: the first line reads
// "panic: <value> [recovered, repanicked]", and the stack starts with
// Guard and the panic call it makes, above the frames of the function that
// panicked first. Calls deferred before Guard (agent.Close, say) still run
// afterwards. On a nil or closed agent Guard sends nothing but still
// re-panics.
func (v *Varta) Guard() {
	if r := recover(); r != nil {
		v.SendTerminal()
		panic(r)
	}
}
