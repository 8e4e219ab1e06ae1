package hostbackend

// State is left4me's actual_state of an instance.
type State string

// The actual states. The store's CHECK constraint lists the same values.
const (
	StateRunning      State = "running"
	StateStarting     State = "starting"
	StateCrashLooping State = "crashlooping"
	StateStopping     State = "stopping"
	StateStopped      State = "stopped"
	StateFailed       State = "failed"
	StateUnknown      State = "unknown"
)

// States lists every actual state.
var States = []State{StateRunning, StateStarting, StateCrashLooping, StateStopping, StateStopped, StateFailed, StateUnknown}

// MapState maps systemd's ActiveState and SubState of a unit that systemd
// knows to an actual state:
//
//	active/running         → running
//	activating/auto-restart → crashlooping
//	activating/*           → starting
//	deactivating/*         → stopping
//	inactive/*             → stopped
//	failed/*               → failed
//	anything else          → unknown
//
// A unit systemd does not know is stopped (see UnitStatus.State); an error
// asking systemd is unknown, decided by the caller.
func MapState(activeState, subState string) State {
	switch activeState {
	case "active":
		if subState == "running" {
			return StateRunning
		}
		// active/exited and friends: the unit claims to be up but srcds is
		// not running under it, which is not a state an operator wants to
		// see called "running".
		return StateUnknown
	case "reloading", "refreshing":
		return StateRunning
	case "activating":
		if subState == "auto-restart" {
			return StateCrashLooping
		}
		return StateStarting
	case "deactivating":
		return StateStopping
	case "inactive", "maintenance":
		return StateStopped
	case "failed":
		return StateFailed
	}
	return StateUnknown
}
