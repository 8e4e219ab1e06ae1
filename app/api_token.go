package app

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/left4me/left4me/store"
)

// APITokenPrefix starts every API token, so that a leaked one is easy to
// recognise (in a log, or by a secret scanner). The rest is 32 random
// bytes, base64url: 43 characters.
const APITokenPrefix = "l4m_"

// apiTokenLen is the length of a well-formed token.
const apiTokenLen = len(APITokenPrefix) + 43

// tokenShownLen is how much of a token the account page shows (and the
// database keeps) to tell tokens apart: "l4m_" and 4 of the 43 random
// characters, 24 of its 256 bits.
const tokenShownLen = len(APITokenPrefix) + 4

// tokenTouchEvery is how stale a token's last-used time may get: it is
// written at most once this often per token, so that API requests do not
// each cost a write.
const tokenTouchEvery = time.Minute

// errBadToken is the answer to a token that does not authenticate. It
// does not say which of the reasons it is.
var errBadToken = &store.Error{Kind: store.ErrNotFound,
	Msg: "the API token is unknown or revoked, or its account is disabled"}

// CreateToken makes a new API token called name for the user and returns
// the token (shown once: only its hash is kept) and its record. A refusal
// (a bad name, a name the user's working tokens have, or
// store.MaxAPITokens working tokens already) is
// FieldErrors keyed "name"; a missing user matches store.ErrNotFound.
func (s *Service) CreateToken(ctx context.Context, userID int64, name string) (string, *store.APIToken, error) {
	token := APITokenPrefix + randomToken()
	t, err := s.db.CreateAPIToken(ctx, userID, strings.TrimSpace(name), store.HashAPIToken(token), token[:tokenShownLen])
	if errors.Is(err, store.ErrInvalid) || errors.Is(err, store.ErrConflict) {
		return "", nil, FieldErrors{"name": sentence(err.Error())}
	}
	if err != nil {
		return "", nil, err
	}
	return token, t, nil
}

// RevokeToken revokes the user's token id at once. It is a
// store.ErrNotFound error when the user has no such working token.
func (s *Service) RevokeToken(ctx context.Context, userID, id int64) error {
	return s.db.RevokeAPIToken(ctx, userID, id)
}

// AuthenticateToken returns the token's record and its enabled user, and
// records the use (at most once a minute). Recording the use is
// bookkeeping: when the database cannot be written the request goes on,
// and the failure is logged once and reported by /healthz. A malformed,
// unknown or revoked token, or one of a disabled user, is an error
// matching store.ErrNotFound.
func (s *Service) AuthenticateToken(ctx context.Context, token string) (*store.APIToken, *store.User, error) {
	if len(token) != apiTokenLen || !strings.HasPrefix(token, APITokenPrefix) {
		return nil, nil, errBadToken
	}
	t, err := s.db.GetAPITokenByHash(ctx, store.HashAPIToken(token))
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil, errBadToken
	}
	if err != nil {
		return nil, nil, err
	}
	u, err := s.db.GetUser(ctx, t.UserID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && u.Disabled) {
		return nil, nil, errBadToken
	}
	if err != nil {
		return nil, nil, err
	}
	if now := s.db.Now(); (t.LastUsedAt.IsZero() || now.Sub(t.LastUsedAt.Time) >= tokenTouchEvery) && s.bookkeeping.due(now) {
		// A touch that changed nothing (another request was first), or
		// that the request's end cut short, says nothing about the
		// database.
		wrote, err := s.db.TouchAPIToken(ctx, t.ID, now, tokenTouchEvery)
		if (wrote || err != nil) && ctx.Err() == nil {
			s.bookkeeping.note("record an API token's use", now, err)
		}
	}
	return t, u, nil
}
