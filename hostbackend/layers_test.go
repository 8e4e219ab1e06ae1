package hostbackend_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/left4me/left4me/hostbackend"
)

func TestLayersFileRoundTrips(t *testing.T) {
	spec := hostbackend.InstanceSpec{Name: "coop-1", Port: 27015, Build: "16548521",
		Sets: []hostbackend.LayerSet{{Name: "competitive", Rev: 3}, {Name: "maps", Rev: 12}}}
	if err := hostbackend.ValidateSpec(spec); err != nil {
		t.Fatal(err)
	}
	build, sets, err := hostbackend.ParseLayers(hostbackend.RenderLayers(spec))
	if err != nil {
		t.Fatal(err)
	}
	if build != spec.Build || !reflect.DeepEqual(sets, spec.Sets) {
		t.Fatalf("parsed %q %v, want %q %v", build, sets, spec.Build, spec.Sets)
	}
}

func TestLayersRefusesWhatThePanelNeverWrites(t *testing.T) {
	for _, in := range []string{
		"",
		"set maps 1\nbuild 1\n",
		"build 1\nbuild 2\n",
		"build ../x\n",
		"build 1\nset ../etc 1\n",
		"build 1\nset maps 0\n",
		"build 1\nset maps 01\n",
		"build 1\nset maps -1\n",
		"build 1\nset maps 1\nset maps 2\n",
		"build 1\nset maps  1\n",
		"build 1 \n",
		"build 1\nset Maps 1\n",
		"build 1\nlower /etc\n",
	} {
		if _, _, err := hostbackend.ParseLayers([]byte(in)); err == nil {
			t.Errorf("ParseLayers(%q) = nil error", in)
		}
	}
}

func TestSpecRefusesBadLayers(t *testing.T) {
	for _, spec := range []hostbackend.InstanceSpec{
		{Name: "a", Port: 27015, Sets: []hostbackend.LayerSet{{Name: "maps", Rev: 1}}},
		{Name: "a", Port: 27015, Build: "12a"},
		{Name: "a", Port: 27015, Build: "1", Sets: []hostbackend.LayerSet{{Name: "x/y", Rev: 1}}},
		{Name: "a", Port: 27015, Build: "1", Sets: []hostbackend.LayerSet{{Name: "maps", Rev: 0}}},
	} {
		if err := hostbackend.ValidateSpec(spec); !errors.Is(err, hostbackend.ErrInvalidSpec) {
			t.Errorf("ValidateSpec(%+v) = %v, want ErrInvalidSpec", spec, err)
		}
	}
}
