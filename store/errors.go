package store

import "errors"

// Sentinel errors for errors.Is.
var (
	// ErrNotFound is returned when the requested row does not exist.
	ErrNotFound = errors.New("not found")
	// ErrConflict is returned when a write would break a uniqueness rule
	// or the row is in a state that forbids the change.
	ErrConflict = errors.New("conflict")
	// ErrInvalid is returned for input that breaks a validation rule.
	ErrInvalid = errors.New("invalid input")
)

// Error is an error whose message is a sentence a user can act on (such as
// "port 27015 is already used by server coop-1") and which matches one of
// the sentinels with errors.Is.
type Error struct {
	Kind error // ErrNotFound, ErrConflict or ErrInvalid
	Msg  string
}

// Error returns the sentence for the user.
func (e *Error) Error() string { return e.Msg }

// Is reports whether target is e's Kind.
func (e *Error) Is(target error) bool { return target == e.Kind }

func conflictf(msg string) error { return &Error{Kind: ErrConflict, Msg: msg} }
func invalidf(msg string) error  { return &Error{Kind: ErrInvalid, Msg: msg} }
func notFound(msg string) error  { return &Error{Kind: ErrNotFound, Msg: msg} }
