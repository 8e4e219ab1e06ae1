package sudo

import (
	"context"
	"fmt"

	"github.com/left4me/left4me/hostbackend"
)

var _ hostbackend.Layers = (*Backend)(nil)

// WritableLayer reports what the instance's writable layer
// (instances/NAME/upper under the state root, the panel user's) holds. It
// runs no host command.
func (b *Backend) WritableLayer(ctx context.Context, name string) (hostbackend.WritableLayer, error) {
	if err := hostbackend.ValidateName(name); err != nil {
		return hostbackend.WritableLayer{}, err
	}
	if err := ctx.Err(); err != nil {
		return hostbackend.WritableLayer{}, fmt.Errorf("writable layer of %s: %w", name, err)
	}
	return b.files.WritableLayer(name)
}

// ResetWritableLayer empties the instance's writable layer once Show says
// its unit is stopped or failed; otherwise it returns an error matching
// hostbackend.ErrInstanceRunning and changes nothing. The overlay lives
// only in the unit's mount namespace (deploy/README.md), so a stopped
// unit has nothing mounted on the layer.
func (b *Backend) ResetWritableLayer(ctx context.Context, name string) error {
	if err := hostbackend.ValidateName(name); err != nil {
		return err
	}
	st, err := b.Show(ctx, name)
	if err != nil {
		return fmt.Errorf("reset the writable layer of %s: %w", name, err)
	}
	if err := hostbackend.CheckStopped(st[0]); err != nil {
		return fmt.Errorf("reset the writable layer of %s: %w", name, err)
	}
	return b.files.ResetWritableLayer(name)
}
