package app

import (
	"net/http"
	"time"

	"github.com/labstack/echo/v4"

	"haven/models"
)

// With read replicas (HAVEN_DATABASE_REPLICAS), a caller must still see their own
// writes: a request that may write (any method but GET, HEAD and OPTIONS) reads from
// the primary throughout, and leaves a cookie that sends the same browser's next
// requests for primaryWindow to the primary too, such as the page a form's 303
// leads to. Other reads go to the replicas. The cookie holds nothing but "1".

// primaryCookie names the cookie; primaryWindow is how long it lasts, well above
// the replicas' usual lag.
const (
	primaryCookie = "haven_primary"
	primaryWindow = 5 * time.Second
)

// readYourWrites routes a request's reads to the primary after its caller wrote;
// without replicas it does nothing.
func (h *handler) readYourWrites(next echo.HandlerFunc) echo.HandlerFunc {
	return func(c echo.Context) error {
		if !h.store.HasReplicas() {
			return next(c)
		}
		r := c.Request()
		switch r.Method {
		case http.MethodGet, http.MethodHead, http.MethodOptions:
			if _, err := r.Cookie(primaryCookie); err != nil {
				return next(c)
			}
		default:
			c.SetCookie(&http.Cookie{Name: primaryCookie, Value: "1", Path: "/", MaxAge: int(primaryWindow / time.Second),
				HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: h.cfg.SecureCookies()})
		}
		c.SetRequest(r.WithContext(models.ReadPrimary(r.Context())))
		return next(c)
	}
}
