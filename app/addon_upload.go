package app

import (
	"context"
	"errors"
	"path"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/addons"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

// changeTimeout bounds a change of a set once its upload has arrived:
// unpacking a large archive is disk work that takes longer than a
// request's usual 10 s.
const changeTimeout = 15 * time.Minute

// changeContext is the context of a set's change.
func changeContext(c *fiber.Ctx) (context.Context, context.CancelFunc) {
	return context.WithTimeout(c.UserContext(), changeTimeout)
}

// isArchive reports whether a file's name says it is an archive to
// unpack: .zip, .tar.gz or .tgz.
func isArchive(name string) bool {
	n := strings.ToLower(name)
	return strings.HasSuffix(n, ".zip") || strings.HasSuffix(n, ".tar.gz") || strings.HasSuffix(n, ".tgz")
}

// cleanInto is a directory as typed: without white space around it or
// slashes at its ends ("" is the set's root).
func cleanInto(into string) string {
	return strings.Trim(strings.TrimSpace(into), "/")
}

// addonUpload puts the browser's file into the directory "into" of the
// set, or unpacks it there when it is an archive (all or nothing), as a
// new revision, and returns to the set's page. The file comes last in
// the form and is read as it arrives (readUploadForm); an archive is
// kept in a file without a name until it is unpacked. Anything refused
// shows the page again with the reason (422, 413) and changes nothing.
func (h *handlers) addonUpload(c *fiber.Ctx) error {
	m, err := h.addons()
	if err != nil {
		return err
	}
	set := c.Params("set")
	form := readUploadForm(c)
	into := cleanInto(form.values["into"])
	up := views.Form{Values: map[string]string{"into": into}, Errors: map[string]string{}}
	refuse := func(status int, field, msg string) error {
		up.Errors[field] = msg
		up.Message = "Nothing was uploaded: " + msg
		return h.renderAddonSet(c, status, up)
	}
	if form.err != nil {
		return refuse(fiber.StatusBadRequest, "file", "The form did not arrive as a file upload (its file last); reload the page and try again.")
	}
	if form.file == nil || form.file.FileName() == "" {
		return refuse(fiber.StatusUnprocessableEntity, "file", "Choose a file to upload.")
	}
	if into != "" {
		if err := addons.CheckPath(into); err != nil {
			return refuse(fiber.StatusUnprocessableEntity, "into", sentence(err.Error()))
		}
	}
	name := form.file.FileName()
	ctx, cancel := changeContext(c)
	defer cancel()
	if isArchive(name) {
		f, size, err := spool(m, form.file, m.MaxBytes())
		if err != nil {
			return uploadRefusal(err, refuse)
		}
		defer f.Close()
		if _, err := m.ExtractArchive(ctx, set, into, f, size); err != nil {
			return uploadRefusal(err, refuse)
		}
		h.setAddonFlash(c, "unpacked", set, into)
		return c.Redirect(addonSetPath(set), fiber.StatusSeeOther)
	}
	p := path.Join(into, name)
	body := &readErr{r: form.file}
	if _, err := m.PutFile(ctx, set, p, body); err != nil {
		if body.err != nil {
			err = errUploadBroke
		}
		return uploadRefusal(err, refuse)
	}
	h.setAddonFlash(c, "uploaded", set, p)
	return c.Redirect(addonSetPath(set), fiber.StatusSeeOther)
}

// uploadRefusal shows a refused upload with refuse; an error it cannot
// say to the user is returned as it is.
func uploadRefusal(err error, refuse func(status int, field, msg string) error) error {
	var fe *fiber.Error
	var ae *addons.ArchiveError
	var se *store.Error
	switch {
	case errors.As(err, &fe) && fe.Code < 500:
		return refuse(fe.Code, "file", fe.Message)
	case errors.As(err, &ae):
		return refuse(fiber.StatusUnprocessableEntity, "file", sentence(ae.Error()))
	case errors.Is(err, store.ErrNotFound):
		return fiber.NewError(fiber.StatusNotFound, sentence(err.Error()))
	case errors.As(err, &se):
		return refuse(statusOf(err), "file", sentence(se.Msg))
	}
	return err
}
