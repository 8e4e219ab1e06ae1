package jobs

// ExitCause exposes exitCause to the tests.
var ExitCause = exitCause
