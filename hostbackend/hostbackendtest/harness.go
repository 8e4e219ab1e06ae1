// Package hostbackendtest is the conformance suite every hostbackend
// implementation passes: Exercise(t, newHarness).
package hostbackendtest

import "github.com/left4me/left4me/hostbackend"

// Call is one host command a backend issued, as the harness observed it:
// the helper verb (enable, disable, restart, show, journal) and the
// instance names it was given.
type Call struct {
	Verb  string
	Names []string
}

// Harness is one fresh backend under test plus the hooks the suite needs
// to observe and steer the "host" behind it. Every hook is required.
type Harness struct {
	Backend hostbackend.Backend
	// StateRoot is the root the backend provisions into; Provision's
	// files are checked under StateRoot/instances/NAME/.
	StateRoot string
	// Calls returns the host commands issued so far, in order.
	Calls func() []Call
	// Fail and Hang apply to the host-command verbs (enable, disable,
	// restart, show, journal); file operations cannot be made to fail.
	//
	// Fail makes every later call of verb for name fail, with message on
	// the command's stderr. An empty message clears the failure.
	Fail func(verb, name, message string)
	// Hang makes every later call of verb for name block until its
	// context is cancelled.
	Hang func(verb, name string)
	// Interrupt makes every later call of verb for name end as if a signal
	// from outside (SIGTERM) had killed the host command.
	Interrupt func(verb, name string)
	// SeedJournal sets the unit's log lines, recorded now: Journal
	// delivers each with a non-zero Time.
	SeedJournal func(name string, lines []string)
	// AppendJournal adds log lines to the unit's log, as a running unit
	// would; a following Journal call must deliver them.
	AppendJournal func(name string, lines []string)
}
