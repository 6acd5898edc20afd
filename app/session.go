package app

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http"
	"time"

	"github.com/gorilla/securecookie"
	"github.com/labstack/echo/v4"

	"haven/models"
)

const (
	sessionCookie = "haven_session"
	flashCookie   = "haven_flash"
	nextCookie    = "haven_next"
	csrfCookie    = "_csrf"
	sessionMaxAge = 30 * 24 * time.Hour
	csrfMaxAge    = 7 * 24 * time.Hour
)

// sessions signs and encrypts Haven's cookies. The session cookie holds the user id
// and nothing else.
type sessions struct {
	codec  *securecookie.SecureCookie
	secure bool
}

// deriveKey derives a purpose-specific key from the server secret.
func deriveKey(secret []byte, purpose string) []byte {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("haven:" + purpose))
	return m.Sum(nil)
}

func newSessions(secret []byte, secure bool) *sessions {
	codec := securecookie.New(deriveKey(secret, "session-hash"), deriveKey(secret, "session-block"))
	codec.MaxAge(int(sessionMaxAge / time.Second))
	codec.SetSerializer(securecookie.JSONEncoder{})
	return &sessions{codec: codec, secure: secure}
}

// cookie builds one of Haven's cookies; a negative maxAge deletes it.
func (s *sessions) cookie(name, value string, maxAge time.Duration) *http.Cookie {
	seconds := int(maxAge / time.Second)
	if maxAge < 0 {
		seconds = -1 // "Max-Age=0": delete now (-1ns / time.Second would be 0: no Max-Age at all)
	}
	return &http.Cookie{Name: name, Value: value, Path: "/", HttpOnly: true, Secure: s.secure,
		SameSite: http.SameSiteLaxMode, MaxAge: seconds}
}

// userID returns the user id in the request's session cookie, or 0.
func (s *sessions) userID(r *http.Request) int64 {
	ck, err := r.Cookie(sessionCookie)
	if err != nil {
		return 0
	}
	var id int64
	if err := s.codec.Decode(sessionCookie, ck.Value, &id); err != nil {
		return 0
	}
	return id
}

// signIn starts a fresh session for the user. The cookie value is new on every call
// (timestamp and random IV), and the CSRF token is replaced: nothing from before
// sign-in carries over.
func (s *sessions) signIn(c echo.Context, userID int64) error {
	v, err := s.codec.Encode(sessionCookie, userID)
	if err != nil {
		return errors.New("app: encode session: " + err.Error())
	}
	c.SetCookie(s.cookie(sessionCookie, v, sessionMaxAge))
	tok := make([]byte, 24)
	if _, err := rand.Read(tok); err != nil {
		return errors.New("app: csrf token: " + err.Error())
	}
	token := hex.EncodeToString(tok)
	c.SetCookie(s.cookie(csrfCookie, token, csrfMaxAge))
	c.Set("csrf", token)
	return nil
}

// signOut ends the session.
func (s *sessions) signOut(c echo.Context) {
	c.SetCookie(s.cookie(sessionCookie, "", -time.Second))
	c.SetCookie(s.cookie(csrfCookie, "", -time.Second))
}

// setFlash leaves a short message for the next page the browser shows.
func (s *sessions) setFlash(c echo.Context, msg string) {
	v, err := s.codec.Encode(flashCookie, msg)
	if err == nil {
		c.SetCookie(s.cookie(flashCookie, v, time.Minute))
	}
}

// takeFlash reads and clears the flash message.
func (s *sessions) takeFlash(c echo.Context) string {
	ck, err := c.Cookie(flashCookie)
	if err != nil {
		return ""
	}
	c.SetCookie(s.cookie(flashCookie, "", -time.Second))
	var msg string
	if s.codec.Decode(flashCookie, ck.Value, &msg) != nil {
		return ""
	}
	return msg
}

// setNext remembers, across the provider's round trip, where to go after sign-in.
func (s *sessions) setNext(c echo.Context, next string) {
	if next == "/" {
		// Forget any destination left by an abandoned sign-in.
		if _, err := c.Cookie(nextCookie); err == nil {
			clear := s.cookie(nextCookie, "", -time.Second)
			clear.Path = "/auth"
			c.SetCookie(clear)
		}
		return
	}
	if v, err := s.codec.Encode(nextCookie, next); err == nil {
		ck := s.cookie(nextCookie, v, 10*time.Minute)
		ck.Path = "/auth"
		c.SetCookie(ck)
	}
}

// takeNext returns and clears the remembered destination: a local path, or "/".
func (s *sessions) takeNext(c echo.Context) string {
	ck, err := c.Cookie(nextCookie)
	if err != nil {
		return "/"
	}
	clear := s.cookie(nextCookie, "", -1)
	clear.Path = "/auth"
	c.SetCookie(clear)
	var next string
	if s.codec.Decode(nextCookie, ck.Value, &next) != nil {
		return "/"
	}
	return safeNext(next)
}

// viewer returns the signed-in viewer, or nil for a visitor.
func viewer(c echo.Context) *models.Viewer {
	v, _ := c.Get("viewer").(*models.Viewer)
	return v
}
