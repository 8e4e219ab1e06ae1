package app

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/left4me/left4me/store"
)

// The device cookie marks a browser that logged in as a user before (the
// "device cookie" of OWASP's advice on slowing down online guessing): its
// failed logins as that user count on the device rather than on the name,
// so nobody can slow a name down for the browsers its owner uses. It is
// sent only to /login and lasts a year.
const (
	deviceCookie = "left4me_device"
	devicePath   = "/login"
	deviceTTL    = 365 * 24 * time.Hour
)

// deviceToken is the value of a device cookie for u: u's id, a random
// nonce and their HMAC keyed with u's password hash. The hash is a secret
// only the server has, it survives restarts, and it changes with the
// password, so a password reset also forgets the user's devices.
func deviceToken(u *store.User, nonce []byte) string {
	b := binary.BigEndian.AppendUint64(nil, uint64(u.ID))
	b = append(b, nonce...)
	return base64.RawURLEncoding.EncodeToString(append(b, deviceMAC(u, b)...))
}

func deviceMAC(u *store.User, idNonce []byte) []byte {
	m := hmac.New(sha256.New, []byte(u.PasswordHash))
	m.Write([]byte("left4me device\x00"))
	m.Write(idNonce)
	return m.Sum(nil)[:16]
}

// setDeviceCookie gives the browser a device cookie for u.
func (h *handlers) setDeviceCookie(c *fiber.Ctx, u *store.User) {
	nonce := make([]byte, 16)
	if _, err := rand.Read(nonce); err != nil {
		panic(errNoRandom) // crypto/rand does not fail on Linux
	}
	c.Cookie(&fiber.Cookie{
		Name: deviceCookie, Value: deviceToken(u, nonce), Path: devicePath, Expires: h.Now().Add(deviceTTL),
		HTTPOnly: true, SameSite: fiber.CookieSameSiteStrictMode, Secure: h.SecureCookies,
	})
}

// trustedDevice returns the device's nonce (hex) when the browser's device
// cookie was made for the user called name, as that user's password
// stands now.
func (h *handlers) trustedDevice(ctx context.Context, c *fiber.Ctx, name string) (string, bool) {
	b, err := base64.RawURLEncoding.DecodeString(c.Cookies(deviceCookie))
	if err != nil || len(b) != 8+16+16 || name == "" {
		return "", false
	}
	id := int64(binary.BigEndian.Uint64(b[:8]))
	u, err := h.DB.GetUser(ctx, id)
	if err != nil || !strings.EqualFold(u.Name, name) || !hmac.Equal(deviceMAC(u, b[:24]), b[24:]) {
		return "", false
	}
	return hex.EncodeToString(b[8:24]), true
}
