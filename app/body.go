package app

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net"
	"os"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/left4me/left4me/addons"
	"github.com/left4me/left4me/internal/bytesize"
)

// Request bodies. Fiber streams them (StreamRequestBody): a body up to
// formBodyLimit is read before the handler runs, as it always was; a
// larger one is refused before it is read (413), except on the add-on
// uploads (isUpload), whose handlers copy it from the connection to a
// file under the state root — never all of it in memory — up to the
// add-on cap.

// formBodyLimit is the largest body any other request may have: forms,
// server.cfg, a text file edited in the browser, API JSON.
const formBodyLimit = 4 << 20

// uploadSlack is what a browser's multipart upload adds around the file
// (boundaries, headers, the CSRF token and the other fields).
const uploadSlack = 1 << 20

// uploadIdle is how long an upload may send nothing before its
// connection is dropped. An upload takes as long as it needs while bytes
// keep coming; the server's ReadTimeout (10 s for the whole request)
// would cut any large one short.
const uploadIdle = time.Minute

// localBodyLimit is the c.Locals key of the request's body limit, and
// localUploadForm of a browser upload's form (uploadForm).
const (
	localBodyLimit  = "body_limit"
	localUploadForm = "upload_form"
)

// isUpload reports whether method and path are one of the add-on
// uploads: the API's file PUT and archive POST, the set page's upload
// form.
func isUpload(method, path string) bool {
	rest, ok := strings.CutPrefix(path, "/api/v1/addon-sets/")
	if ok {
		set, tail, _ := strings.Cut(rest, "/")
		switch {
		case set == "":
			return false
		case method == fiber.MethodPut && strings.HasPrefix(tail, "files/"):
			return true
		case method == fiber.MethodPost && tail == "archive":
			return true
		}
		return false
	}
	rest, ok = strings.CutPrefix(path, "/addon-sets/")
	set, tail, _ := strings.Cut(rest, "/")
	return ok && method == fiber.MethodPost && set != "" && tail == "upload"
}

// uploadLimit is the largest body an upload may have: the add-on cap,
// plus room for a multipart form's framing.
func (h *handlers) uploadLimit() int64 {
	return h.addonMaxBytes() + uploadSlack
}

// limitBody refuses a body over the request's limit before reading it,
// and reads a chunked one (no Content-Length) of a request that is no
// upload into memory up to formBodyLimit, as Fiber would without
// streaming.
func (h *handlers) limitBody(c *fiber.Ctx) error {
	limit := int64(formBodyLimit)
	upload := isUpload(c.Method(), c.Path())
	if upload {
		limit = h.uploadLimit()
	}
	c.Locals(localBodyLimit, limit)
	n := int64(c.Request().Header.ContentLength())
	if n > limit {
		return tooLarge(c, limit)
	}
	if n == -1 && !upload { // chunked
		b, err := io.ReadAll(io.LimitReader(bodyStream(c), limit+1))
		if err != nil {
			c.Set(fiber.HeaderConnection, "close")
			return fiber.NewError(fiber.StatusBadRequest, "The request body could not be read.")
		}
		if int64(len(b)) > limit {
			return tooLarge(c, limit)
		}
		c.Request().SetBody(b)
	}
	return c.Next()
}

// expectBody answers a request that waits for "100 Continue" before it
// sends its body (curl does, for a large upload): 413 when it says it
// will send more than its limit, before it sends any of it. A refusal
// once the body is on its way closes the connection with the body
// unread, and the client may lose the answer to the reset. (Only the
// status: fasthttp sends this answer itself, without a handler.)
func (h *handlers) expectBody(ctx *fasthttp.RequestCtx) int {
	limit := int64(formBodyLimit)
	if isUpload(string(ctx.Method()), string(ctx.Path())) {
		limit = h.uploadLimit()
	}
	if int64(ctx.Request.Header.ContentLength()) > limit {
		return fasthttp.StatusRequestEntityTooLarge
	}
	return fasthttp.StatusContinue
}

// tooLarge is the 413 of a body over limit. The connection closes: the
// rest of the body is never read.
func tooLarge(c *fiber.Ctx, limit int64) error {
	c.Set(fiber.HeaderConnection, "close")
	return fiber.NewError(fiber.StatusRequestEntityTooLarge,
		fmt.Sprintf("The request body is larger than %s, the most this request may send.", bytesize.Format(limit)))
}

// bodyStream is the request body as it arrives; an empty reader when
// there is none.
func bodyStream(c *fiber.Ctx) io.Reader {
	if r := c.Context().RequestBodyStream(); r != nil {
		return r
	}
	return bytes.NewReader(c.Body())
}

// uploadBody is an upload's body, as it arrives, at most the request's
// limit plus one byte (so that a reader can tell a body over the limit),
// each read pushing the connection's deadline uploadIdle ahead.
func uploadBody(c *fiber.Ctx) io.Reader {
	limit, _ := c.Locals(localBodyLimit).(int64)
	return &idleReader{r: io.LimitReader(bodyStream(c), limit+1), conn: c.Context().Conn()}
}

// idleReader moves conn's read deadline uploadIdle ahead before each read.
type idleReader struct {
	r    io.Reader
	conn net.Conn
}

func (r *idleReader) Read(p []byte) (int, error) {
	if r.conn != nil {
		_ = r.conn.SetReadDeadline(time.Now().Add(uploadIdle))
	}
	return r.r.Read(p)
}

// errUploadBroke answers an upload whose body stopped before its end.
var errUploadBroke = fiber.NewError(fiber.StatusBadRequest, "The upload broke off before its end; nothing was changed.")

// readErr remembers the error of its reader, other than io.EOF: the
// client's, where a copy's error may also be the disk's.
type readErr struct {
	r   io.Reader
	err error
}

func (r *readErr) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF {
		r.err = err
	}
	return n, err
}

// Browser uploads are multipart forms read as they arrive: the small
// fields first (the CSRF token, where to put the file), then the file,
// which must be the form's last field. The CSRF check (bodyFormValue)
// reads the fields before the file; the handler then reads the file part
// from the connection.

// maxUploadFields and maxUploadField bound what an upload form may carry
// before its file.
const (
	maxUploadFields = 16
	maxUploadField  = 4 << 10
)

// uploadForm is a browser upload's fields before the file, and the file
// part, unread.
type uploadForm struct {
	values map[string]string
	file   *multipart.Part // nil when the form has no file
	err    error           // why the form could not be read
}

// errUploadForm is the answer to an upload form that is not one.
var errUploadForm = errors.New("the upload is not a form with its file last")

// readUploadForm reads c's multipart upload up to its file part, once;
// later calls return the same form.
func readUploadForm(c *fiber.Ctx) *uploadForm {
	if f, ok := c.Locals(localUploadForm).(*uploadForm); ok {
		return f
	}
	f := &uploadForm{values: map[string]string{}}
	c.Locals(localUploadForm, f)
	mt, params, err := mime.ParseMediaType(string(c.Request().Header.ContentType()))
	if err != nil || mt != fiber.MIMEMultipartForm || params["boundary"] == "" {
		f.err = errUploadForm
		return f
	}
	mr := multipart.NewReader(uploadBody(c), params["boundary"])
	for range maxUploadFields {
		p, err := mr.NextPart()
		if err == io.EOF {
			return f
		}
		if err != nil {
			f.err = errUploadForm
			return f
		}
		if p.FileName() != "" {
			f.file = p
			return f
		}
		b, err := io.ReadAll(io.LimitReader(p, maxUploadField+1))
		if err != nil || len(b) > maxUploadField {
			f.err = errUploadForm
			return f
		}
		if _, seen := f.values[p.FormName()]; !seen {
			f.values[p.FormName()] = string(b)
		}
	}
	f.err = errUploadForm
	return f
}

// isStreamedForm reports whether c's body is a browser upload read as it
// arrives (readUploadForm) rather than a form read whole.
func isStreamedForm(c *fiber.Ctx) bool {
	return isUpload(c.Method(), c.Path()) && !strings.HasPrefix(c.Path(), "/api/") &&
		bytes.HasPrefix(c.Request().Header.ContentType(), []byte(fiber.MIMEMultipartForm))
}

// addonMaxBytes is the add-on cap (LEFT4ME_ADDON_MAX_BYTES).
func (h *handlers) addonMaxBytes() int64 {
	if h.Addons == nil {
		return addons.DefaultMaxBytes
	}
	return h.Addons.MaxBytes()
}

// spool copies r to a file without a name beside the add-on sets and
// returns it, at its start, and its size. Over limit bytes is a 413.
func spool(m *addons.Manager, r io.Reader, limit int64) (*os.File, int64, error) {
	f, err := m.TempFile()
	if err != nil {
		return nil, 0, err
	}
	src := &readErr{r: io.LimitReader(r, limit+1)}
	n, err := io.Copy(f, src)
	if src.err != nil {
		err = errUploadBroke
	}
	if err == nil && n > limit {
		err = fiber.NewError(fiber.StatusRequestEntityTooLarge,
			fmt.Sprintf("The upload is larger than %s, the most an add-on set may hold.", bytesize.Format(limit)))
	}
	if err == nil {
		_, err = f.Seek(0, io.SeekStart)
	}
	if err != nil {
		f.Close()
		return nil, 0, err
	}
	return f, n, nil
}
