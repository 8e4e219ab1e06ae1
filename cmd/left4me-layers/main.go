// Command left4me-layers is the root helper that mounts an instance's
// add-on layers (internal/layermount):
//
//	left4me-layers mount NAME
//
// The instance unit runs it as root (ExecStartPost=+) through nsenter in
// its main process's mount namespace, where it mounts the game build, the
// blueprint's add-on sets and the instance's writable layer as one overlay
// at /run/left4me-instance/game; the mount lives and dies with that
// namespace. An instance without a layers file gets no overlay. Any other
// argument shape gets a usage line and exit status 2 before anything is
// opened. It is not in the sudoers file: the left4me user cannot run it.
package main

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/left4me/left4me/internal/layermount"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

const usage = "usage: left4me-layers mount NAME"

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) != 2 || args[0] != "mount" || !layermount.ValidName(args[1]) {
		fmt.Fprintln(stderr, usage)
		return 2
	}
	name := args[1]
	p, err := layermount.Open(layermount.StateRoot, name)
	if err != nil {
		fmt.Fprintf(stderr, "left4me-layers: %s: %v\n", name, err)
		return 1
	}
	if p == nil {
		fmt.Fprintf(stdout, "left4me-layers: %s has no layers file; it runs the game directory as it is\n", name)
		return 0
	}
	defer p.Close()
	if err := p.Mount(layermount.InstanceTmpfs); err != nil {
		fmt.Fprintf(stderr, "left4me-layers: %s: %v\n", name, err)
		return 1
	}
	sets := make([]string, len(p.Layers.Sets))
	for i, s := range p.Layers.Sets {
		sets[i] = fmt.Sprintf("%s@%d", s.Name, s.Rev)
	}
	fmt.Fprintf(stdout, "left4me-layers: mounted %s at %s/%s: build %s, add-on sets [%s]\n",
		name, layermount.InstanceTmpfs, layermount.MergedName, p.Layers.Build, strings.Join(sets, " "))
	return 0
}
