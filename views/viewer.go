// Package views holds the panel's templ components: the page frame, the
// pages, and the fragments HTMX polls, which are components of their page.
package views

import (
	"context"
	"time"

	"github.com/left4me/left4me/store"
)

// Viewer is who looks at a page: the logged-in user (nil if none), the
// CSRF token every form carries, whether the host is simulated, and the
// clock reading "2 min ago" is measured from. Handlers put it in the
// request context with WithViewer.
type Viewer struct {
	User      *store.User
	CSRF      string
	Simulated bool
	Now       time.Time
	// Problems are what keeps the panel from working right now; the
	// page frame shows them to admins.
	Problems []Problem
	// Source says to admins how the panel hears of changes on the host
	// (systemd signals or polling only, and why); "" shows nothing.
	Source string
	// Flash confirms what the previous request did ("Starting coop-1 —
	// job 42"); the page frame shows it once. "" for nothing.
	Flash string
}

// Problem is something that keeps the panel from working, such as
// systemd out of reach or a database that cannot be written.
type Problem struct {
	// Part is what does not work: "host" or "database".
	Part string
	// Summary says what fails, what that means and what to check.
	Summary string
	// Since is when it began failing.
	Since time.Time
	// Detail is the latest error, for the admin; may be empty.
	Detail string
}

type viewerKey struct{}

// WithViewer returns ctx carrying v.
func WithViewer(ctx context.Context, v Viewer) context.Context {
	return context.WithValue(ctx, viewerKey{}, v)
}

// viewer returns the Viewer in ctx, or the zero Viewer.
func viewer(ctx context.Context) Viewer {
	v, _ := ctx.Value(viewerKey{}).(Viewer)
	if v.Now.IsZero() {
		v.Now = time.Now()
	}
	return v
}

func isAdmin(ctx context.Context) bool {
	u := viewer(ctx).User
	return u != nil && u.Role == store.RoleAdmin
}

// Form is a submitted form shown again: what was typed and what is wrong,
// by field name. Message is an error about the form as a whole.
type Form struct {
	Values  map[string]string
	Errors  map[string]string
	Message string
}

// Get returns the typed value of field.
func (f Form) Get(field string) string { return f.Values[field] }

// Err returns the error of field, or "".
func (f Form) Err(field string) string { return f.Errors[field] }

// invalid is the aria-invalid value of field: "true", or "" to omit it.
func (f Form) invalid(field string) string {
	if f.Errors[field] != "" {
		return "true"
	}
	return ""
}
