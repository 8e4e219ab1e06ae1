package store

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/left4me/left4me/hostbackend"
)

// LayersKey is the layers of spec in one short line, lowest first: the
// build, then each add-on set as NAME:REV ("16548521 maps:3
// competitive:7"); "" for a spec without a build. Server.AppliedLayers
// holds the one a job started the process on; two starts on the same
// layers have the same key.
func LayersKey(spec hostbackend.InstanceSpec) string {
	if spec.Build == "" {
		return ""
	}
	var b strings.Builder
	b.WriteString(spec.Build)
	for _, s := range spec.Sets {
		b.WriteByte(' ')
		b.WriteString(s.Name)
		b.WriteByte(':')
		b.WriteString(strconv.Itoa(s.Rev))
	}
	return b.String()
}

// ParseLayersKey reads a LayersKey back; "" is no layers.
func ParseLayersKey(key string) (build string, sets []hostbackend.LayerSet, err error) {
	if key == "" {
		return "", nil, nil
	}
	f := strings.Split(key, " ")
	build = f[0]
	for _, part := range f[1:] {
		name, rev, ok := strings.Cut(part, ":")
		n, err := strconv.Atoi(rev)
		if !ok || err != nil {
			return "", nil, fmt.Errorf("layers %q: %q is not NAME:REV", key, part)
		}
		sets = append(sets, hostbackend.LayerSet{Name: name, Rev: n})
	}
	spec := hostbackend.InstanceSpec{Name: "x", Port: 27015, Build: build, Sets: sets}
	if err := hostbackend.ValidateSpec(spec); err != nil {
		return "", nil, fmt.Errorf("layers %q: %w", key, err)
	}
	return build, sets, nil
}

// AppliedBuild is the game build the server's process was started on, ""
// if unknown.
func (srv *Server) AppliedBuild() string {
	build, _, _ := ParseLayersKey(srv.AppliedLayers)
	return build
}

// LayersPending reports whether srv runs (or is starting) on other layers
// than a start would give it now (current, a LayersKey): a game update or
// a change to one of its blueprint's add-on sets since it started. Like
// RestartPending, a stopped server picks the new layers up at its next
// start, and one whose layers are unknown is not asked to restart.
func (srv *Server) LayersPending(current string) bool {
	if srv.AppliedLayers == "" || current == "" ||
		(srv.ActualState != hostbackend.StateRunning && srv.ActualState != hostbackend.StateStarting) {
		return false
	}
	return srv.AppliedLayers != current
}
