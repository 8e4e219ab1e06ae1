package sudo

import (
	"testing"

	"github.com/left4me/left4me/hostbackend/hostbackendtest"
)

func TestConformance(t *testing.T) {
	hostbackendtest.Exercise(t, func(t *testing.T) hostbackendtest.Harness {
		return newStubHost(t).harness(t)
	})
}
