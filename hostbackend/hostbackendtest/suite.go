package hostbackendtest

import "testing"

// Exercise runs the conformance suite against fresh harnesses made by
// newHarness (one per subtest).
func Exercise(t *testing.T, newHarness func(t *testing.T) Harness) {
	t.Helper()
	// filled in next
}
