package app

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	gsessions "github.com/gorilla/sessions"
	"github.com/labstack/echo/v4"
	"github.com/markbates/goth"
	"github.com/markbates/goth/gothic"
	"github.com/markbates/goth/providers/github"
	"github.com/markbates/goth/providers/google"
	"github.com/markbates/goth/providers/openidConnect"

	"haven/models"
)

// oidcDiscoveryTimeout bounds the wait for the OpenID Connect discovery document.
const oidcDiscoveryTimeout = 15 * time.Second

// provider is a configured sign-in provider, as the sign-in page lists it.
type provider struct {
	Name  string `json:"name"`  // goth's name, in /auth/{name}
	Label string `json:"label"` // what the button says
}

// setupProviders registers the configured goth providers and gothic's cookie store,
// keyed from the server secret. Only what is configured is enabled.
func setupProviders(cfg Config) ([]provider, error) {
	store := gsessions.NewCookieStore(deriveKey(cfg.SecretBytes(), "gothic-hash"), deriveKey(cfg.SecretBytes(), "gothic-block"))
	store.Options = &gsessions.Options{Path: "/auth", MaxAge: 600, HttpOnly: true,
		Secure: cfg.SecureCookies(), SameSite: http.SameSiteLaxMode}
	gothic.Store = store

	callback := func(name string) string { return cfg.BaseURL + "/auth/" + name + "/callback" }
	var ps []provider
	var gp []goth.Provider
	if cfg.GitHubKey != "" {
		// No scopes: the public profile is enough, and nothing of it is stored.
		gp = append(gp, github.New(cfg.GitHubKey, cfg.GitHubSecret, callback("github")))
		ps = append(ps, provider{Name: "github", Label: "GitHub"})
	}
	if cfg.GoogleKey != "" {
		gp = append(gp, google.New(cfg.GoogleKey, cfg.GoogleSecret, callback("google"), "openid"))
		ps = append(ps, provider{Name: "google", Label: "Google"})
	}
	if cfg.OIDCIssuer != "" {
		discovery := strings.TrimRight(cfg.OIDCIssuer, "/") + "/.well-known/openid-configuration"
		// goth reads the discovery document with a client that has no timeout: bound it
		// here so that an issuer that never answers cannot hang start-up.
		type result struct {
			p   *openidConnect.Provider
			err error
		}
		done := make(chan result, 1)
		go func() {
			p, err := openidConnect.New(cfg.OIDCClientID, cfg.OIDCClientSecret, callback("oidc"), discovery, "openid")
			done <- result{p, err}
		}()
		var p *openidConnect.Provider
		select {
		case r := <-done:
			if r.err != nil {
				return nil, fmt.Errorf("could not reach the OpenID Connect provider at HAVEN_OIDC_ISSUER=%s: %w", cfg.OIDCIssuer, r.err)
			}
			p = r.p
		case <-time.After(oidcDiscoveryTimeout):
			return nil, fmt.Errorf("the OpenID Connect provider at HAVEN_OIDC_ISSUER=%s did not answer within %s", cfg.OIDCIssuer, oidcDiscoveryTimeout)
		}
		// Register it as "oidc", the name in /auth/oidc (NewNamed would make it "oidc-oidc").
		p.SetName("oidc")
		// With PKCE (S256) and a nonce, which goth's provider sends neither of (see oidc_pkce.go).
		gp = append(gp, newPKCEProvider(p))
		ps = append(ps, provider{Name: "oidc", Label: cfg.OIDCName})
	}
	goth.ClearProviders()
	goth.UseProviders(gp...)
	return ps, nil
}

func (h *handler) hasProvider(name string) bool {
	for _, p := range h.providers {
		if p.Name == name {
			return true
		}
	}
	return false
}

// signInPage is the view model of the sign-in page.
type signInPage struct {
	Providers []provider `json:"providers"`
	LocalMode bool       `json:"local_mode"`
	Next      string     `json:"next,omitempty"`
}

// signIn handles GET /signin.
func (h *handler) signIn(c echo.Context) error {
	return h.respond(c, http.StatusOK, "signin", signInPage{Providers: h.providers, LocalMode: h.cfg.LocalMode(),
		Next: safeNext(c.QueryParam("next"))})
}

// beginAuth handles GET /auth/:provider: it sends the browser to the provider.
func (h *handler) beginAuth(c echo.Context) error {
	name := c.Param("provider")
	if !h.hasProvider(name) {
		return models.ErrNotFound
	}
	req := gothic.GetContextWithProvider(c.Request(), name)
	// gothic uses a ?state= in the request as the OAuth state when there is one. The
	// state must be ours alone, or an attacker could plant a state they know in a
	// victim's browser and sign the victim in to the attacker's account.
	req = req.Clone(req.Context())
	req.URL.RawQuery = ""
	to, err := gothic.GetAuthURL(c.Response(), req)
	if err != nil {
		h.log.Warn("begin sign-in", "provider", name, "err", err)
		return echo.NewHTTPError(http.StatusBadGateway, "We could not start signing you in with this provider. Please try again.")
	}
	h.sessions.setNext(c, safeNext(c.QueryParam("next")))
	return c.Redirect(http.StatusFound, to)
}

// finishAuth handles GET /auth/:provider/callback: the provider sends the browser back
// here. The user is found by provider and hashed subject; nothing else is kept.
func (h *handler) finishAuth(c echo.Context) error {
	name := c.Param("provider")
	if !h.hasProvider(name) {
		return models.ErrNotFound
	}
	if e := c.QueryParam("error"); e != "" {
		h.log.Info("provider refused sign-in", "provider", name, "error", e)
		return badRequest("The sign-in provider did not sign you in (" + truncate(e, 60) + "). You can try again from the sign-in page.")
	}
	req := gothic.GetContextWithProvider(c.Request(), name)
	gu, err := gothic.CompleteUserAuth(c.Response(), req)
	if err != nil {
		h.log.Info("sign-in callback failed", "provider", name, "err", err)
		return badRequest("Signing in did not complete: the sign-in link expired or was not the one we sent. Please start again from the sign-in page.")
	}
	if gu.UserID == "" {
		return badRequest("The sign-in provider did not say who you are. Please try again.")
	}
	u, err := h.store.SignIn(c.Request().Context(), name, gu.UserID)
	if err != nil {
		return err
	}
	if err := h.sessions.signIn(c, u.ID); err != nil {
		return err
	}
	return c.Redirect(http.StatusSeeOther, h.sessions.takeNext(c))
}

// localSignInForm is what POST /auth/local takes.
type localSignInForm struct {
	Name string `json:"name" form:"name"`
	Role string `json:"role" form:"role"`
	Next string `json:"next" form:"next"`
}

// localSignInPage is the view model of the local sign-in page.
type localSignInPage struct {
	Form   localSignInForm   `json:"-"`
	Errors map[string]string `json:"-"`
	Roles  []string          `json:"roles"`
}

// localSignIn handles GET /auth/local (local mode only).
func (h *handler) localSignIn(c echo.Context) error {
	if !h.cfg.LocalMode() {
		return models.ErrNotFound
	}
	return h.respond(c, http.StatusOK, "local", localSignInPage{Roles: localRoles,
		Form: localSignInForm{Role: models.RoleMember, Next: safeNext(c.QueryParam("next"))}})
}

var localRoles = []string{models.RoleMember, models.RoleClinician, models.RoleAdmin}

// postLocalSignIn handles POST /auth/local: it signs in a development identity.
func (h *handler) postLocalSignIn(c echo.Context) error {
	if !h.cfg.LocalMode() {
		return models.ErrNotFound
	}
	var f localSignInForm
	if err := c.Bind(&f); err != nil {
		return badRequest("could not read the form")
	}
	u, err := h.store.LocalSignIn(c.Request().Context(), f.Name, f.Role)
	var ve *models.ValidationError
	if errors.As(err, &ve) && !wantsJSON(c) {
		return h.html(c, http.StatusUnprocessableEntity, "local", localSignInPage{Form: f, Errors: ve.Fields, Roles: localRoles})
	}
	if err != nil {
		return err
	}
	if err := h.sessions.signIn(c, u.ID); err != nil {
		return err
	}
	if wantsJSON(c) {
		v, err := h.store.ViewerByID(c.Request().Context(), u.ID)
		if err != nil {
			return err
		}
		c.Set("viewer", v)
		return h.meJSON(c, "")
	}
	return redirect(c, safeNext(f.Next))
}

// logout handles POST /auth/logout.
func (h *handler) logout(c echo.Context) error {
	h.sessions.signOut(c)
	if wantsJSON(c) {
		return c.NoContent(http.StatusNoContent)
	}
	return redirect(c, "/")
}

// safeNext returns next when it is a path on this site, and "/" otherwise, so that
// sign-in can never redirect to another host.
func safeNext(next string) string {
	if next == "" || !strings.HasPrefix(next, "/") || strings.HasPrefix(next, "//") || strings.ContainsAny(next, "\\\r\n") {
		return "/"
	}
	u, err := url.Parse(next)
	if err != nil || u.Host != "" || u.Scheme != "" {
		return "/"
	}
	return next
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n]) + "…"
}
