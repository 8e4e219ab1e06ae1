package app

import (
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/console"
	"github.com/left4me/left4me/internal/text"
)

// consoleFlash is the flash cookie's operation for a kick, a ban or an
// unban: "rcon.KIND.ARG", ARG base64url (a Steam ID, or a player's name).
// The sentence is built again from checked parts when it is read.
const consoleFlash = "rcon"

// setConsoleFlash has the next page confirm kind (a key of
// consoleFlashes) about arg.
func (h *handlers) setConsoleFlash(c *fiber.Ctx, kind, arg string) {
	h.setCookie(c, flashCookie, consoleFlash+"."+kind+"."+base64.RawURLEncoding.EncodeToString([]byte(arg)), h.Now().Add(time.Minute))
}

// consoleFlashes are the kinds of console flash and their sentences; the
// ban kinds are console.Applied values, their arg a checked Steam ID.
var consoleFlashes = map[string]func(arg string) string{
	"kicked":    func(name string) string { return "Kicked " + name + "." },
	"kick-gone": func(id string) string { return "No player with user id " + id + " is on the server any more." },
	"kick-failed": func(id string) string {
		return "The game did not take the kick of user id " + id + "; the console's recent commands say why."
	},
	"ban0":   func(id string) string { return console.AppliedNow.Sentence(id, true) },
	"ban1":   func(id string) string { return console.AppliedAtStart.Sentence(id, true) },
	"ban2":   func(id string) string { return console.AppliedFailed.Sentence(id, true) },
	"unban0": func(id string) string { return console.AppliedNow.Sentence(id, false) },
	"unban1": func(id string) string { return console.AppliedAtStart.Sentence(id, false) },
	"unban2": func(id string) string { return console.AppliedFailed.Sentence(id, false) },
}

// banFlash is the flash kind of a ban (or unban) applied as a says.
func banFlash(ban bool, a console.Applied) string {
	kind := "unban"
	if ban {
		kind = "ban"
	}
	return kind + strconv.Itoa(int(a))
}

// consoleSentence is the sentence of a console flash's value after
// "rcon.", or "" for one this panel did not write.
func consoleSentence(v string) string {
	kind, enc, ok := strings.Cut(v, ".")
	say := consoleFlashes[kind]
	b, err := base64.RawURLEncoding.DecodeString(enc)
	if !ok || say == nil || err != nil || len(b) == 0 || len(b) > 512 {
		return ""
	}
	arg := string(b)
	switch kind {
	case "kicked":
		if text.Check(arg, text.Line, 128) != "" {
			arg = strconv.QuoteToASCII(arg)
		}
	case "kick-gone", "kick-failed":
		if n, err := strconv.Atoi(arg); err != nil || n <= 0 || strconv.Itoa(n) != arg {
			return ""
		}
	default:
		if console.CheckSteamID(arg) != nil {
			return ""
		}
	}
	return say(arg)
}
