package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"mime"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/addons"
	"github.com/left4me/left4me/store"
)

// The JSON API (/api/v1) is for scripts and bots. It authenticates with
// personal API tokens only ("Authorization: Bearer l4m_…"): cookies never
// count, so a browser's session cannot be ridden by another site, and
// bearer requests need no CSRF token. Its routes are registered before the
// web's session and CSRF middleware, which therefore never run for them.
// Every answer is JSON; every error is {"error": "…"} with the status
// that fits, plus "fields" for a refused create (422).

// apiBodyLimit is the largest request body the API reads.
const apiBodyLimit = 64 << 10

// API rate limit: every user may make apiRatePerMinute requests a minute
// on average, and up to apiBurst at once, with all their tokens together
// (so that more tokens do not mean more requests).
const (
	apiRatePerMinute = 120
	apiBurst         = 60
)

// localToken is the c.Locals key of the authenticated *store.APIToken.
const localToken = "api_token"

// apiHandlers are the JSON API's handlers: the panel's handlers and
// service, plus the per-user rate limit.
type apiHandlers struct {
	*handlers
	rate *rateLimiter
}

func newAPI(h *handlers) *apiHandlers {
	return &apiHandlers{handlers: h, rate: newRateLimiter(apiRatePerMinute, apiBurst, h.Now)}
}

// apiError is an API answer other than 200: a status and a sentence.
type apiError struct {
	status int
	msg    string
	// retryAfter, when positive, is sent as Retry-After (429).
	retryAfter time.Duration
}

func (e *apiError) Error() string { return e.msg }

func apiErr(status int, msg string) *apiError { return &apiError{status: status, msg: msg} }

// apiErrorBody is the JSON of every error answer.
type apiErrorBody struct {
	Error  string            `json:"error"`
	Fields map[string]string `json:"fields,omitempty"`
	// Entry names the first bad entry of a refused archive ("" when the
	// archive itself is bad).
	Entry *string `json:"entry,omitempty"`
}

// authenticate runs before every /api/v1 route: it takes the bearer token
// (401 without a working one), applies its user's rate limit (429), and
// turns whatever error the route returns into a JSON answer.
func (a *apiHandlers) authenticate(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	if err := a.authenticateToken(c); err != nil {
		return a.writeError(c, err)
	}
	if err := c.Next(); err != nil {
		return a.writeError(c, err)
	}
	return nil
}

func (a *apiHandlers) authenticateToken(c *fiber.Ctx) error {
	scheme, token, _ := strings.Cut(c.Get(fiber.HeaderAuthorization), " ")
	if !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return apiErr(fiber.StatusUnauthorized, "Send an API token: Authorization: Bearer TOKEN (create one on your account page).")
	}
	ctx, cancel := requestContext(c)
	defer cancel()
	t, u, err := a.svc.AuthenticateToken(ctx, strings.TrimSpace(token))
	if errors.Is(err, store.ErrNotFound) {
		return apiErr(fiber.StatusUnauthorized, sentence(err.Error()))
	}
	if err != nil {
		return err
	}
	if wait := a.rate.take(u.ID); wait > 0 {
		return &apiError{status: fiber.StatusTooManyRequests, retryAfter: wait,
			msg: fmt.Sprintf("Too many requests from your account: at most %d a minute, all its tokens together. Try again in %s s.", apiRatePerMinute, retryAfter(wait))}
	}
	c.Locals(localUser, u)
	c.Locals(localToken, t)
	return nil
}

// role lets a request through when its token's user has at least role.
func (a *apiHandlers) role(role store.Role) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if u := currentUser(c); u == nil || (role == store.RoleAdmin && u.Role != store.RoleAdmin) {
			return apiErr(fiber.StatusForbidden, "Only an admin may do this.")
		}
		return c.Next()
	}
}

// notFound answers every /api path no route matched.
func (a *apiHandlers) notFound(c *fiber.Ctx) error {
	c.Set(fiber.HeaderCacheControl, "no-store")
	return a.writeError(c, apiErr(fiber.StatusNotFound,
		fmt.Sprintf("There is no API endpoint %s %s; see docs/api.md.", c.Method(), c.Path())))
}

// writeError answers err as JSON: an *apiError or *fiber.Error with its
// status, FieldErrors as 422 with the fields, a store.Error with the
// status of its kind; anything else is logged and is a generic 500.
func (a *apiHandlers) writeError(c *fiber.Ctx, err error) error {
	body := apiErrorBody{}
	status := fiber.StatusInternalServerError
	var ae *apiError
	var fe *fiber.Error
	var fields FieldErrors
	var se *store.Error
	var archive *addons.ArchiveError
	switch {
	case errors.As(err, &archive):
		status, body.Error, body.Entry = fiber.StatusUnprocessableEntity, sentence(archive.Error()), &archive.Entry
	case errors.As(err, &ae):
		status, body.Error = ae.status, ae.msg
		if ae.retryAfter > 0 {
			c.Set(fiber.HeaderRetryAfter, retryAfter(ae.retryAfter))
		}
		if status == fiber.StatusUnauthorized {
			c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="left4me"`)
		}
	case errors.As(err, &fields):
		status, body.Error, body.Fields = fiber.StatusUnprocessableEntity, "Refused, nothing was changed: "+fields.Error(), fields
	case errors.As(err, &fe):
		status, body.Error = fe.Code, sentence(fe.Message)
	case errors.As(err, &se):
		status, body.Error = statusOf(err), sentence(se.Msg)
	default:
		a.Logger.Error("API request failed", "method", c.Method(), "path", c.Path(), "err", err)
		body.Error = "Something went wrong on the server; the details are in its log."
	}
	return c.Status(status).JSON(body)
}

// retryAfter is d in whole seconds, rounded up, at least 1.
func retryAfter(d time.Duration) string {
	return strconv.Itoa(max(1, int(math.Ceil(d.Seconds()))))
}

// decodeBody decodes the request body into v, strictly: at most
// apiBodyLimit bytes (413), Content-Type application/json (415), one JSON
// value with no unknown fields and fitting types (400). An empty body is
// a 400 when required, otherwise v stays as it is.
func decodeBody(c *fiber.Ctx, v any, required bool) error {
	body := c.Body()
	if len(body) > apiBodyLimit {
		return apiErr(fiber.StatusRequestEntityTooLarge, fmt.Sprintf("The body is larger than %d KiB.", apiBodyLimit>>10))
	}
	if len(bytes.TrimSpace(body)) == 0 {
		if required {
			return apiErr(fiber.StatusBadRequest, "Send a JSON object in the body.")
		}
		return nil
	}
	if mt, _, err := mime.ParseMediaType(c.Get(fiber.HeaderContentType)); err != nil || mt != fiber.MIMEApplicationJSON {
		return apiErr(fiber.StatusUnsupportedMediaType, "Send the body as JSON, with Content-Type: application/json.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return apiErr(fiber.StatusBadRequest, jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return apiErr(fiber.StatusBadRequest, "The body must hold exactly one JSON value.")
	}
	return nil
}

// jsonProblem says what is wrong with a body encoding/json refused.
func jsonProblem(err error) string {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.As(err, &syn):
		return fmt.Sprintf("The body is not valid JSON (at byte %d).", syn.Offset)
	case errors.As(err, &typ) && typ.Field != "":
		return fmt.Sprintf("The field %q must be a %s.", typ.Field, jsonKind(typ.Type.Kind().String()))
	case errors.As(err, &typ):
		return "The body must be a JSON object."
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "The body ends in the middle of a JSON value."
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return fmt.Sprintf("Unknown field %s.", strings.TrimPrefix(err.Error(), "json: unknown field "))
	}
	return "The body is not valid JSON."
}

// jsonKind names a Go kind the way JSON does.
func jsonKind(kind string) string {
	switch {
	case strings.HasPrefix(kind, "int"), strings.HasPrefix(kind, "uint"):
		return "whole number"
	case kind == "string":
		return "string"
	case kind == "bool":
		return "boolean"
	}
	return kind
}

// apiTime is t for JSON: nil for the zero time, otherwise UTC.
func apiTime(t store.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	u := t.UTC()
	return &u
}
