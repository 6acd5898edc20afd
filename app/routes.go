package app

import (
	"github.com/labstack/echo/v4"
)

// routes registers every route, grouped by who may use it. Authorisation beyond
// "signed in" or "admin" is decided by the models.Store method each handler calls.
func (h *handler) routes(e *echo.Echo) {
	// Public: anyone, signed in or not.
	e.GET("/", h.home)
	e.GET("/healthz", h.healthz)
	e.GET("/static/*", staticFiles())
	e.GET("/signin", h.signIn)
	e.GET("/auth/local", h.localSignIn)
	e.POST("/auth/local", h.postLocalSignIn)
	e.GET("/auth/:provider", h.beginAuth)
	e.GET("/auth/:provider/callback", h.finishAuth)
	e.GET("/groups", h.listGroups)
	e.GET("/groups/:slug", h.showGroup)
	e.GET("/threads/:id", h.showThread)

	// Members: signed in.
	m := e.Group("", requireUser)
	m.POST("/auth/logout", h.logout)
	m.GET("/me", h.me)
	m.POST("/groups/:slug/join", h.joinGroup)
	m.POST("/groups/:slug/leave", h.leaveGroup)
	m.POST("/groups/:slug/pseudonym", h.newPseudonym)
	m.GET("/groups/:slug/threads/new", h.newThread)
	m.POST("/groups/:slug/threads", h.createThread)
	m.POST("/threads/:id/posts", h.createPost)
	// Group owners and admins; the store checks which.
	m.POST("/groups/:slug/moderators", h.setModerator)

	// Admins.
	a := e.Group("", requireAdmin)
	a.GET("/groups/new", h.newGroup)
	a.POST("/groups", h.createGroup)
}
