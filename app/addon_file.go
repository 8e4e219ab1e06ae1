package app

import (
	"bytes"
	"errors"
	"io"
	"mime"
	"net/url"
	"os"
	"path"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/addons"
	"github.com/left4me/left4me/store"
	"github.com/left4me/left4me/views"
)

// filePath is the file path of a route's wildcard, unescaped.
func filePath(c *fiber.Ctx) (string, error) {
	p, err := url.PathUnescape(c.Params("*"))
	if err != nil || p == "" {
		return "", fiber.NewError(fiber.StatusNotFound, "There is no such file.")
	}
	return p, nil
}

// addonFile shows a file of a set: a text file in an editor, any other
// file as its size and a download link.
func (h *handlers) addonFile(c *fiber.Ctx) error {
	m, err := h.addons()
	if err != nil {
		return err
	}
	p, err := filePath(c)
	if err != nil {
		return err
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	set := c.Params("set")
	f, err := m.ReadFile(ctx, set, p)
	if err != nil {
		return addonError(err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	file := views.AddonFile{Path: p, Bytes: st.Size(), Editable: addons.Editable(p, st.Size())}
	form := views.Form{Values: map[string]string{}}
	if file.Editable {
		b, err := io.ReadAll(io.LimitReader(f, addons.MaxTextBytes+1))
		if err != nil {
			return err
		}
		if addons.CheckText(p, b) != nil {
			file.Editable = false // not UTF-8 text after all
		}
		form.Values["content"] = string(b)
	}
	return page(c, fiber.StatusOK, p+" · "+set, views.AddonFilePage(set, file, form))
}

// addonFileSave writes a text file edited in the browser (a new revision
// of the set) and shows it again. Text that is not a text file's (not
// UTF-8, a NUL, over 1 MiB, not a text kind of file) is refused (422) as
// typed, and nothing changes.
func (h *handlers) addonFileSave(c *fiber.Ctx) error {
	m, err := h.addons()
	if err != nil {
		return err
	}
	p, err := filePath(c)
	if err != nil {
		return err
	}
	set := c.Params("set")
	content := strings.ReplaceAll(bodyFormValue(c, "content"), "\r\n", "\n")
	refuse := func(msg string) error {
		form := views.Form{Values: map[string]string{"content": content}, Errors: map[string]string{"content": msg}}
		file := views.AddonFile{Path: p, Bytes: int64(len(content)), Editable: true}
		return page(c, fiber.StatusUnprocessableEntity, p+" · "+set, views.AddonFilePage(set, file, form))
	}
	if err := addons.CheckText(p, []byte(content)); err != nil {
		return refuse(sentence(err.Error()))
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	if _, err := m.PutFile(ctx, set, p, strings.NewReader(content)); err != nil {
		if errors.Is(err, store.ErrInvalid) {
			return refuse(sentence(err.Error()))
		}
		return addonError(err)
	}
	h.setAddonFlash(c, "saved", set, p)
	return c.Redirect(views.AddonFileURL(set, p), fiber.StatusSeeOther)
}

// addonNewFile makes an empty text file at the form's path (unless a
// file is there) and opens it in the editor.
func (h *handlers) addonNewFile(c *fiber.Ctx) error {
	m, err := h.addons()
	if err != nil {
		return err
	}
	set := c.Params("set")
	p := cleanInto(bodyFormValue(c, "path"))
	refuse := func(msg string) error {
		return h.renderAddonSet(c, fiber.StatusUnprocessableEntity,
			views.Form{Values: map[string]string{"path": p}, Errors: map[string]string{"path": msg}})
	}
	if p == "" {
		return refuse("Give the new file's path, such as cfg/my.cfg.")
	}
	if err := addons.CheckPath(p); err != nil {
		return refuse(sentence(err.Error()))
	}
	if err := addons.CheckText(p, nil); err != nil {
		return refuse(sentence(err.Error()))
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	if f, err := m.ReadFile(ctx, set, p); err == nil {
		f.Close()
		return c.Redirect(views.AddonFileURL(set, p), fiber.StatusSeeOther)
	} else if !errors.Is(err, store.ErrNotFound) {
		return addonError(err)
	}
	if _, err := m.PutFile(ctx, set, p, bytes.NewReader(nil)); err != nil {
		if errors.Is(err, store.ErrInvalid) {
			return refuse(sentence(err.Error()))
		}
		return addonError(err)
	}
	return c.Redirect(views.AddonFileURL(set, p), fiber.StatusSeeOther)
}

// addonFileDelete removes the form's path (a file, or a directory with
// all it holds) from the set, as a new revision.
func (h *handlers) addonFileDelete(c *fiber.Ctx) error {
	m, err := h.addons()
	if err != nil {
		return err
	}
	set := c.Params("set")
	p := bodyFormValue(c, "path")
	ctx, cancel := requestContext(c)
	defer cancel()
	if _, err := m.DeleteFile(ctx, set, p); err != nil {
		return addonError(err)
	}
	h.setAddonFlash(c, "deleted", set, p)
	return c.Redirect(addonSetPath(set), fiber.StatusSeeOther)
}

// addonFileDownload sends a file of a set as it is.
func (h *handlers) addonFileDownload(c *fiber.Ctx) error {
	m, err := h.addons()
	if err != nil {
		return err
	}
	p, err := filePath(c)
	if err != nil {
		return err
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	f, err := m.ReadFile(ctx, c.Params("set"), p)
	if err != nil {
		return addonError(err)
	}
	return sendFile(c, f, p)
}

// sendFile answers the content of f (closed once sent) as the file p,
// a download.
func sendFile(c *fiber.Ctx, f *os.File, p string) error {
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	c.Set(fiber.HeaderContentType, fiber.MIMEOctetStream)
	c.Set(fiber.HeaderContentDisposition, mime.FormatMediaType("attachment", map[string]string{"filename": path.Base(p)}))
	return c.SendStream(f, int(st.Size()))
}
