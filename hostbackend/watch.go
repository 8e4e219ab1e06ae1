package hostbackend

import "context"

// Watcher is a backend that hears about changes of the instances' units
// as they happen, a capability beside the Backend's methods: the
// production backend listens to systemd's signals on the system bus, the
// fake reports its simulated transitions and injected drift. Whoever
// watches still reads the state with Show (an event says which unit
// changed, not what it is now) and keeps polling as the safety net: a
// unit that stops may be unloaded and signal nothing more.
type Watcher interface {
	// Watch calls changed with the instance's name whenever its unit may
	// have changed (state, job, properties), until ctx ends or the
	// watch breaks. It returns the reason it ended: ctx.Err() when ctx
	// ended, otherwise why it cannot watch (the bus went away), and the
	// caller falls back to polling and may call Watch again later.
	// changed is called from one goroutine at a time and must not block
	// for long.
	Watch(ctx context.Context, changed func(name string)) error
}
