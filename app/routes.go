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
	e.GET("/crisis", h.crisis)
	e.GET("/auth/local", h.localSignIn)
	e.POST("/auth/local", h.postLocalSignIn)
	e.GET("/auth/:provider", h.beginAuth)
	e.GET("/auth/:provider/callback", h.finishAuth)
	e.GET("/groups", h.listGroups)
	e.GET("/groups/:slug", h.showGroup)
	e.GET("/threads/:id", h.showThread)
	e.GET("/posts/:id", h.postLink)
	e.GET("/groups/:slug/members/:pseudonym", h.showMember)
	e.GET("/invites/:token", h.showInvite)
	e.GET("/search", h.search)
	e.GET("/threads/:id/events", h.threadEvents)
	e.GET("/events", h.events)
	// Announcements, a group's resources, Atom feeds (see announcements.go, resources.go,
	// feeds.go). Visitors dismiss urgent banners with a cookie, members for good.
	e.GET("/announcements", h.listAnnouncements)
	e.GET("/announcements.atom", h.announcementsFeed)
	e.POST("/announcements/:id/dismiss", h.dismissAnnouncement)
	e.GET("/groups/:slug/resources", h.groupResources)
	e.GET("/groups/:slug/feed.atom", h.groupFeed)

	// Members: signed in. (Route middleware, not a Group: a Group's middleware would
	// also answer unknown URLs with a sign-in redirect instead of a 404.)
	m := requireUser
	e.POST("/auth/logout", h.logout, m)
	e.GET("/me", h.me, m)
	e.POST("/groups/:slug/join", h.joinGroup, m)
	e.POST("/groups/:slug/leave", h.leaveGroup, m)
	e.POST("/groups/:slug/pseudonym", h.newPseudonym, m)
	e.GET("/groups/:slug/threads/new", h.newThread, m)
	e.POST("/groups/:slug/threads", h.createThread, m)
	e.POST("/threads/:id/posts", h.createPost, m)
	// Authors, on their own posts; reactions and answers by members (see posts.go).
	e.GET("/posts/:id/edit", h.editPostForm, m)
	e.POST("/posts/:id/edit", h.editPost, m)
	e.PATCH("/posts/:id", h.editPost, m)
	e.POST("/posts/:id/delete", h.deletePost, m)
	e.DELETE("/posts/:id", h.deletePost, m)
	e.GET("/posts/:id/revisions", h.postRevisions, m)
	e.POST("/posts/:id/reactions", h.react, m)
	e.POST("/threads/:id/accept", h.acceptAnswer, m)
	// Following threads and the viewer's own notifications (see notifications.go).
	e.POST("/threads/:id/follow", h.followThread, m)
	e.POST("/threads/:id/unfollow", h.unfollowThread, m)
	e.GET("/notifications", h.listNotifications, m)
	e.POST("/notifications/read", h.markNotificationsRead, m)
	e.GET("/notifications/:id", h.openNotification, m)
	// Group owners and admins; the store checks which.
	e.POST("/groups/:slug/moderators", h.setModerator, m)
	// Joining through an invitation link, and muting members (see invites.go, members.go).
	e.POST("/invites/:token", h.acceptInvite, m)
	e.POST("/groups/:slug/members/:pseudonym/mute", h.muteMember, m)
	e.POST("/groups/:slug/members/:pseudonym/unmute", h.unmuteMember, m)
	// Group moderators and admins: settings, join requests, invitation links (see group_admin.go).
	e.GET("/groups/:slug/edit", h.editGroup, m)
	e.POST("/groups/:slug/edit", h.updateGroup, m)
	e.PATCH("/groups/:slug", h.updateGroup, m)
	e.GET("/groups/:slug/requests", h.joinRequests, m)
	e.POST("/groups/:slug/requests/:pseudonym/approve", h.approveJoin, m)
	e.POST("/groups/:slug/requests/:pseudonym/deny", h.denyJoin, m)
	e.GET("/groups/:slug/invites", h.listInvites, m)
	e.POST("/groups/:slug/invites", h.createInvite, m)
	e.POST("/groups/:slug/invites/:id/revoke", h.revokeInvite, m)

	// Reports and appeals by members (see moderation_ui.go); the modlog per group visibility.
	e.GET("/posts/:id/report", h.reportForm, m)
	e.POST("/posts/:id/reports", h.reportPost, m)
	e.POST("/posts/:id/appeal", h.appealPost, m)
	e.GET("/groups/:slug/modlog", h.modlog)

	// Moderators (of their groups) and admins; the store scopes every item.
	e.GET("/moderation/queue", h.queue, m)
	e.GET("/moderation/items/:id", h.showItem, m)
	e.POST("/moderation/items/:id/claim", h.claimItem, m)
	e.POST("/moderation/items/:id/resolve", h.resolveItem, m)
	e.POST("/moderation/items/:id/notes", h.addNote, m)
	// Watched words of a group, and slow mode of a thread (see watched.go).
	e.GET("/groups/:slug/watched-words", h.groupWatchedWords, m)
	e.POST("/groups/:slug/watched-words", h.createGroupWatchedWord, m)
	e.DELETE("/groups/:slug/watched-words/:id", h.deleteGroupWatchedWord, m)
	e.POST("/groups/:slug/watched-words/:id/delete", h.deleteGroupWatchedWord, m)
	e.POST("/threads/:id/slow-mode", h.setSlowMode, m)
	// Announcements (admins site-wide, moderators in their groups) and a group's
	// resources; the store checks which (see announcements.go, resources.go).
	e.GET("/announcements/new", h.newAnnouncement, m)
	e.POST("/announcements", h.createAnnouncement, m)
	e.POST("/groups/:slug/resources", h.addResource, m)
	e.DELETE("/groups/:slug/resources/:id", h.removeResource, m)
	e.POST("/groups/:slug/resources/:id/delete", h.removeResource, m)

	// Admins.
	a := requireAdmin
	e.GET("/groups/new", h.newGroup, a)
	e.POST("/groups", h.createGroup, a)
	e.GET("/admin/groups", h.adminGroups, a)
	e.GET("/admin/watched-words", h.siteWatchedWords, a)
	e.POST("/admin/watched-words", h.createSiteWatchedWord, a)
	e.DELETE("/admin/watched-words/:id", h.deleteSiteWatchedWord, a)
	e.POST("/admin/watched-words/:id/delete", h.deleteSiteWatchedWord, a)
	// Accounts that read unusually many threads (see scraping.go, ratelimit.go).
	e.GET("/admin/scraping", h.scrapingAlerts, a)
	e.POST("/admin/scraping/:id/resolve", h.resolveScrapingAlert, a)

	// Privacy rights: the member's export and erasure; memorialised accounts, which
	// are read-only everywhere (see privacy.go).
	e.Use(h.memorialReadOnly)
	e.GET("/me/export", h.exportAccount, m)
	e.POST("/me/delete", h.deleteAccount, m)
	e.GET("/admin/users/memorialise", h.memorialForm, a)
	e.POST("/admin/users/memorialise", h.memorialise, a)

	// Clinicians: applying, the question queue, and admins' verification (see
	// clinicians.go); fact-check labels on posts (see labels.go). The store checks who
	// may label, remove and appeal; label pages follow the post's read access.
	e.GET("/clinicians/apply", h.clinicianApplyForm, m)
	e.POST("/clinicians/apply", h.clinicianApply, m)
	e.GET("/clinicians/questions", h.clinicianQuestions, m)
	e.GET("/admin/clinicians", h.adminClinicians, a)
	e.POST("/admin/clinicians/:id/decision", h.decideClinician, a)
	e.GET("/posts/:id/label", h.showLabel)
	e.POST("/posts/:id/label", h.labelPost, m)
	e.DELETE("/posts/:id/label", h.removeLabel, m)
	e.POST("/posts/:id/label/delete", h.removeLabel, m)
	e.POST("/posts/:id/label/appeal", h.appealLabel, m)

	// Staff dashboard, audit log, reveal and site-wide sanctions; operators' metrics
	// (see dashboard.go, staff.go, metrics.go). The store scopes a group's dashboard
	// to its moderators; /metrics checks loopback or the bearer token itself.
	e.GET("/admin/dashboard", h.adminDashboard, a)
	e.GET("/groups/:slug/dashboard", h.groupDashboard, m)
	e.GET("/admin/audit", h.auditLog, a)
	e.GET("/admin/reveal", h.revealForm, a)
	e.POST("/admin/reveal", h.reveal, a)
	e.GET("/admin/users", h.usersForm, a)
	e.POST("/admin/users/sanction", h.sanctionUser, a)
	e.GET("/metrics", h.serveMetrics)
}
