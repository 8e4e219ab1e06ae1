package app

import (
	"context"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/addons"
)

// apiAddonFiles lists the files of a set: [{"path", "bytes"}], by path.
func (a *apiHandlers) apiAddonFiles(c *fiber.Ctx) error {
	m, err := a.addons()
	if err != nil {
		return err
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	files, err := m.Files(ctx, c.Params("set"))
	if err != nil {
		return err
	}
	out := make([]apiAddonFile, len(files))
	for i, f := range files {
		out[i] = apiAddonFile{Path: f.Path, Bytes: f.Bytes}
	}
	return c.JSON(out)
}

// apiAddonFile answers the raw bytes of a file of a set.
func (a *apiHandlers) apiAddonFile(c *fiber.Ctx) error {
	m, err := a.addons()
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
		return err
	}
	return sendFile(c, f, p)
}

// apiAddonFilePut writes the body, as it arrives, as the file of the
// path (its directories made, a file there replaced): a new revision,
// answered with the set (200). A bad path or a set over its caps is 422,
// a body over the cap 413; nothing changes then.
func (a *apiHandlers) apiAddonFilePut(c *fiber.Ctx) error {
	p, err := filePath(c)
	if err != nil {
		return err
	}
	return a.answerAddonSet(c, fiber.StatusOK, func(ctx context.Context, m *addons.Manager, set string) error {
		body := &readErr{r: uploadBody(c)}
		if _, err := m.PutFile(ctx, set, p, body); err != nil {
			if body.err != nil {
				return errUploadBroke
			}
			return err
		}
		return nil
	})
}

// apiAddonFileDelete removes the file or directory of the path from the
// set: a new revision, answered with the set (200).
func (a *apiHandlers) apiAddonFileDelete(c *fiber.Ctx) error {
	p, err := filePath(c)
	if err != nil {
		return err
	}
	return a.answerAddonSet(c, fiber.StatusOK, func(ctx context.Context, m *addons.Manager, set string) error {
		_, err := m.DeleteFile(ctx, set, p)
		return err
	})
}

// apiAddonArchive unpacks the body, a .zip or .tar.gz (told apart by its
// first bytes), into the directory ?into= of the set (its root without
// one), all or nothing: a new revision, answered with the set (200). A
// refused archive is 422 {"error", "entry"} naming its first bad entry;
// nothing changes then.
func (a *apiHandlers) apiAddonArchive(c *fiber.Ctx) error {
	into := cleanInto(c.Query("into"))
	if into != "" {
		if err := addons.CheckPath(into); err != nil {
			return FieldErrors{"into": sentence(err.Error())}
		}
	}
	return a.answerAddonSet(c, fiber.StatusOK, func(ctx context.Context, m *addons.Manager, set string) error {
		if _, err := m.Set(ctx, set); err != nil {
			return err // before reading a body for nothing
		}
		f, size, err := spool(m, uploadBody(c), m.MaxBytes())
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = m.ExtractArchive(ctx, set, into, f, size)
		return err
	})
}
