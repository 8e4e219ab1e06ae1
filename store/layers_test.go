package store_test

import (
	"reflect"
	"testing"

	"github.com/left4me/left4me/hostbackend"
	"github.com/left4me/left4me/store"
)

func TestLayersKeyRoundTrips(t *testing.T) {
	spec := hostbackend.InstanceSpec{Name: "a", Port: 27015, Build: "16548521",
		Sets: []hostbackend.LayerSet{{Name: "maps", Rev: 3}, {Name: "competitive", Rev: 7}}}
	key := store.LayersKey(spec)
	if key != "16548521 maps:3 competitive:7" {
		t.Fatalf("LayersKey = %q", key)
	}
	build, sets, err := store.ParseLayersKey(key)
	if err != nil || build != spec.Build || !reflect.DeepEqual(sets, spec.Sets) {
		t.Fatalf("ParseLayersKey(%q) = %q %v %v", key, build, sets, err)
	}
	if store.LayersKey(hostbackend.InstanceSpec{Name: "a"}) != "" {
		t.Fatal("a spec without a build has a key")
	}
	for _, bad := range []string{"x", "1 maps", "1 maps:x", "1 ../etc:1", "1 maps:0"} {
		if _, _, err := store.ParseLayersKey(bad); err == nil {
			t.Errorf("ParseLayersKey(%q) = nil error", bad)
		}
	}
}

func TestLayersPendingOnlyForARunningServerOnOtherLayers(t *testing.T) {
	srv := &store.Server{AppliedLayers: "100 maps:1", ActualState: hostbackend.StateRunning}
	if srv.LayersPending("100 maps:1") {
		t.Error("same layers pending")
	}
	if !srv.LayersPending("101 maps:1") || !srv.LayersPending("100 maps:2") || !srv.LayersPending("100") {
		t.Error("a new build, revision or a set taken out is not pending")
	}
	if srv.AppliedBuild() != "100" {
		t.Errorf("AppliedBuild = %q", srv.AppliedBuild())
	}
	stopped := &store.Server{AppliedLayers: "100 maps:1", ActualState: hostbackend.StateStopped}
	unknown := &store.Server{ActualState: hostbackend.StateRunning}
	if stopped.LayersPending("101") || unknown.LayersPending("101") {
		t.Error("a stopped server or one on unknown layers is asked to restart")
	}
}
