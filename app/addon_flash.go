package app

import (
	"encoding/base64"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/hostbackend"
)

// addonFlash is the flash cookie's operation for a change of an add-on
// set: "addon.DID.SET.PATH", PATH base64url (a path may hold dots).
const addonFlash = "addon"

// addonFlashes are the changes an add-on flash confirms: the set, then
// the path (a file, an archive's directory; "" for the set's root).
var addonFlashes = map[string]func(set, path string) string{
	"created":     func(s, _ string) string { return "Created add-on set " + s + ": upload its files below." },
	"deleted-set": func(s, _ string) string { return "Deleted add-on set " + s + "." },
	"uploaded":    func(s, p string) string { return "Uploaded " + p + " into " + s + "." },
	"unpacked": func(s, p string) string {
		if p == "" {
			return "Unpacked the archive into " + s + "."
		}
		return "Unpacked the archive into " + p + "/ of " + s + "."
	},
	"saved":   func(s, p string) string { return "Saved " + p + " in " + s + "." },
	"deleted": func(s, p string) string { return "Deleted " + p + " from " + s + "." },
}

// setAddonFlash has the next page confirm did (a key of addonFlashes) on
// path of set.
func (h *handlers) setAddonFlash(c *fiber.Ctx, did, set, path string) {
	v := strings.Join([]string{addonFlash, did, set, base64.RawURLEncoding.EncodeToString([]byte(path))}, ".")
	h.setCookie(c, flashCookie, v, h.Now().Add(time.Minute))
}

// addonSentence is the sentence of an add-on flash's value after
// "addon.", or "" for one this panel did not write.
func addonSentence(v string) string {
	parts := strings.Split(v, ".")
	if len(parts) != 3 || hostbackend.ValidateName(parts[1]) != nil {
		return ""
	}
	say, ok := addonFlashes[parts[0]]
	path, err := base64.RawURLEncoding.DecodeString(parts[2])
	if !ok || err != nil || len(path) > 1024 {
		return ""
	}
	return say(parts[1], strings.ToValidUTF8(string(path), "\uFFFD"))
}
