package varta

// wrapError is an error with a text of its own that errors.Is and errors.As
// see through to the error it wraps, as an error of fmt.Errorf with one %w
// does. The package builds its error texts by concatenation and strconv
// instead of fmt, which would add a fifth of a megabyte to every program
// that links it.
type wrapError struct {
	msg string
	err error
}

func (e *wrapError) Error() string { return e.msg }

// Unwrap returns the wrapped error.
func (e *wrapError) Unwrap() error { return e.err }

// wrap returns an error reading prefix, err's text and suffix, that wraps
// err.
func wrap(prefix string, err error, suffix string) error {
	return &wrapError{msg: prefix + err.Error() + suffix, err: err}
}
