package app

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/internal/text"
	"github.com/left4me/left4me/store"
)

// userFlash is the flash cookie's operation for a change on the users or
// account page: "user.DID.NAME.SESSIONS.TOKENS", the name base64url (a
// user name may hold dots), the counts what the change ended.
const userFlash = "user"

// userFlashes are the changes a user flash confirms, and their sentences:
// the user's name, then the sessions ended and the tokens revoked.
var userFlashes = map[string]func(name, ended string) string{
	"created-admin":    func(n, _ string) string { return "Created user " + n + ", an admin." },
	"created-operator": func(n, _ string) string { return "Created user " + n + ", an operator." },
	"role-admin":       func(n, _ string) string { return n + " is an admin now." },
	"role-operator":    func(n, _ string) string { return n + " is an operator now." },
	"enabled": func(n, _ string) string {
		return n + " is enabled: they can log in again (their old API tokens stay revoked)."
	},
	"disabled": func(n, e string) string { return n + " is disabled: " + e },
	"password": func(n, e string) string { return "The password of " + n + " is set: " + e },
	"deleted":  func(n, e string) string { return "Deleted user " + n + ": " + e + " Their jobs still name them." },
	"own-password": func(_, e string) string {
		return "Your password is changed. You stay logged in here; " + e + " Log in with the new password everywhere else."
	},
}

// setUserFlash has the next page confirm did (a key of userFlashes) on
// the user name, with what it ended.
func (h *handlers) setUserFlash(c *fiber.Ctx, did, name string, ended store.Ended) {
	v := strings.Join([]string{userFlash, did, base64.RawURLEncoding.EncodeToString([]byte(name)),
		strconv.Itoa(ended.Sessions), strconv.Itoa(ended.Tokens)}, ".")
	h.setCookie(c, flashCookie, v, h.Now().Add(time.Minute))
}

// userSentence is the sentence of a user flash's value after "user.", or
// "" for one this panel did not write. A name today's rule refuses (an
// account from before it) is spelled out in ASCII.
func userSentence(v string) string {
	parts := strings.Split(v, ".")
	if len(parts) != 4 || userFlashes[parts[0]] == nil {
		return ""
	}
	b, err := base64.RawURLEncoding.DecodeString(parts[1])
	name := string(b)
	if err != nil || name == "" || len(name) > 4*store.MaxUserNameLen {
		return ""
	}
	if text.Check(name, text.Name, store.MaxUserNameLen) != "" {
		name = strconv.QuoteToASCII(name)
	}
	sessions, err1 := strconv.Atoi(parts[2])
	tokens, err2 := strconv.Atoi(parts[3])
	if err1 != nil || err2 != nil || sessions < 0 || tokens < 0 {
		return ""
	}
	ended := fmt.Sprintf("%s ended and %s revoked.", count(sessions, "session"), count(tokens, "API token"))
	if parts[0] == "own-password" {
		ended = fmt.Sprintf("%s ended and %s revoked.", count(sessions, "other session"), count(tokens, "API token"))
	}
	return userFlashes[parts[0]](name, ended)
}
