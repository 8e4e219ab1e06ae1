package views

import "github.com/left4me/left4me/store"

// Transition is what a server's queued or running job is doing to it, as
// its row shows it in place of the actual state ("starting…"), or "" for
// no job. While a job is on its way the actual state is the one it is
// about to change, and a drift sentence about it would be a false alarm.
func Transition(j *store.Job) string {
	if j == nil {
		return ""
	}
	switch j.Operation {
	case store.OpStart:
		return "starting…"
	case store.OpStop:
		return "stopping…"
	case store.OpRestart:
		return "restarting…"
	case store.OpDelete:
		return "deleting…"
	}
	return string(j.Operation) + "…"
}

// transitionState is the badge's data-state while a job is on its way:
// the transition's word without its ellipsis ("starting").
func transitionState(j *store.Job) string {
	t := Transition(j)
	return t[:len(t)-len("…")]
}
