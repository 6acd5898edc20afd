package app

import (
	"time"

	"haven/models"
)

// The JSON shapes of API.md. They are built from models and carry no user id: an
// author is a pseudonym (or a clinician's professional name), never a person.

// authorJSON is an author, everywhere.
type authorJSON struct {
	Pseudonym   *string `json:"pseudonym"`
	DisplayName string  `json:"display_name,omitempty"`
	Badge       *string `json:"badge"`
	Credential  string  `json:"credential,omitempty"`
	Specialty   string  `json:"specialty,omitempty"`
	// InMemory marks a member who has died (a memorialised account; see privacy.go).
	InMemory bool `json:"in_memory,omitempty"`
	// MemberURL links a pseudonym to its member page in the group (pages only).
	MemberURL string `json:"-"`
}

func strp(s string) *string { return &s }

func membershipAuthor(m *models.Membership) authorJSON {
	if m == nil || m.Status == models.MemberErased {
		return authorJSON{Pseudonym: strp("former member")}
	}
	a := authorJSON{Pseudonym: strp(m.Pseudonym), InMemory: m.Memorial}
	if m.IsModerator() {
		a.Badge = strp("moderator")
	}
	return a
}

func postAuthor(p *models.Post) authorJSON {
	if p.Clinician != nil {
		return authorJSON{DisplayName: p.Clinician.DisplayName, Badge: strp("clinician"),
			Credential: p.Clinician.Credential, Specialty: p.Clinician.Specialty}
	}
	return membershipAuthor(p.Membership)
}

// threadRef names a thread without its counters.
type threadRef struct {
	ID    int64  `json:"id"`
	Title string `json:"title"`
}

// groupJSON is a group in lists and on its page.
type groupJSON struct {
	Slug           string    `json:"slug"`
	Name           string    `json:"name"`
	Description    string    `json:"description"`
	Visibility     string    `json:"visibility"`
	MemberCount    int       `json:"member_count"`
	ThreadCount    int       `json:"thread_count"`
	LastActivityAt time.Time `json:"last_activity_at"`
	Joined         bool      `json:"joined"`
	// Pending is true while the viewer's join request waits for a moderator.
	Pending bool `json:"pending"`
}

func newGroupJSON(g *models.Group, m *models.Membership) groupJSON {
	return groupJSON{Slug: g.Slug, Name: g.Name, Description: g.Description, Visibility: g.Visibility,
		MemberCount: g.MemberCount, ThreadCount: g.ThreadCount, LastActivityAt: g.LastActivityAt,
		Joined: m != nil && m.Status == models.MemberActive, Pending: m != nil && m.Status == models.MemberPending}
}

// membershipJSON is the viewer's own membership of one group.
type membershipJSON struct {
	Group     string `json:"group,omitempty"`
	Pseudonym string `json:"pseudonym"`
	Role      string `json:"role"`
	Status    string `json:"status"`
}

func newMembershipJSON(m *models.Membership, slug string) *membershipJSON {
	if m == nil {
		return nil
	}
	return &membershipJSON{Group: slug, Pseudonym: m.Pseudonym, Role: m.Role, Status: m.Status}
}

// threadJSON is a thread in lists and at the top of its page.
type threadJSON struct {
	ID                int64      `json:"id"`
	Title             string     `json:"title"`
	Kind              string     `json:"kind"`
	Author            authorJSON `json:"author"`
	ReplyCount        int        `json:"reply_count"`
	LastPostAt        time.Time  `json:"last_post_at"`
	CreatedAt         time.Time  `json:"created_at"`
	Pinned            bool       `json:"pinned"`
	Locked            bool       `json:"locked"`
	ClinicianAnswered bool       `json:"clinician_answered"`
	Accepted          bool       `json:"accepted"`
	AcceptedPostID    *int64     `json:"accepted_post_id"`
	SlowModeSeconds   int        `json:"slow_mode_seconds"` // 0 when slow mode is off
	// Unread counts the posts by others since the viewer last opened the thread; it
	// is null for visitors and non-members, for threads never opened, and outside
	// the group page's list. New marks a thread the member never opened that was
	// started after they joined. See setUnread in notifications.go.
	Unread            *int   `json:"unread"`
	New               bool   `json:"new"`
	FirstUnreadPostID *int64 `json:"first_unread_post_id"`
	// Official marks an announcement's thread. A live thread names the thread where
	// members discuss it, and that discussion its live thread (null otherwise).
	Official           bool   `json:"official"`
	DiscussionThreadID *int64 `json:"discussion_thread_id"`
	LiveThreadID       *int64 `json:"live_thread_id"`
}

func newThreadJSON(t *models.Thread) threadJSON {
	return threadJSON{ID: t.ID, Title: t.Title, Kind: t.Kind, Author: threadAuthor(t), // see clinicians.go
		ReplyCount: t.ReplyCount, LastPostAt: t.LastPostAt, CreatedAt: t.CreatedAt, Pinned: t.Pinned,
		Locked: t.Locked, ClinicianAnswered: t.ClinicianAnswered, Accepted: t.AcceptedPostID != nil,
		AcceptedPostID: t.AcceptedPostID, SlowModeSeconds: t.SlowModeSeconds,
		Official: t.Kind == models.KindAnnouncement, DiscussionThreadID: t.DiscussionThreadID, LiveThreadID: t.LiveThreadID}
}

// reactionsJSON counts each kind of reaction on a post.
type reactionsJSON struct {
	Support  int `json:"support"`
	Helpful  int `json:"helpful"`
	SameHere int `json:"same_here"`
}

// postJSON is a post. A tombstone keeps its place with an empty body and its reason.
type postJSON struct {
	ID             int64         `json:"id"`
	Author         authorJSON    `json:"author"`
	BodyHTML       string        `json:"body_html"`
	ContentWarning string        `json:"content_warning"`
	Status         string        `json:"status"`
	StatusReason   string        `json:"status_reason,omitempty"`
	CreatedAt      time.Time     `json:"created_at"`
	EditedAt       *time.Time    `json:"edited_at"`
	Reactions      reactionsJSON `json:"reactions"`
	Label          any           `json:"label"`
	Version        int           `json:"version"`
	// Mine lists the viewer's own reactions; Accepted marks the thread's accepted answer.
	Mine     []string `json:"mine"`
	Accepted bool     `json:"accepted"`
	// Muted is true when the viewer muted the author: the page folds the post away.
	Muted bool `json:"muted"`
	// What the viewer may do with the post, for the page (see decoratePosts in posts.go).
	CanEdit, CanDelete, CanQuote, CanAccept, CanSeeHistory bool `json:"-"`
	// CanReport is true on others' published posts; Appeal is the author's appeal state
	// of their removed post (see decorateModeration in moderation_ui.go).
	CanReport bool   `json:"-"`
	Appeal    string `json:"-"`
}

func newPostJSON(p *models.Post) postJSON {
	j := postJSON{ID: p.ID, Author: postAuthor(p), BodyHTML: p.BodyHTML, ContentWarning: p.ContentWarning,
		Status: p.Status, StatusReason: p.StatusReason, CreatedAt: p.CreatedAt, EditedAt: p.EditedAt,
		Reactions: reactionsJSON{Support: p.SupportCount, Helpful: p.HelpfulCount, SameHere: p.SameHereCount},
		Version:   p.Version, Mine: []string{}}
	if !p.Visible() {
		j.BodyHTML, j.ContentWarning = "", ""
	}
	return j
}

// pageJSON describes one page of a list.
type pageJSON struct {
	Number  int  `json:"number"`
	Size    int  `json:"size"`
	HasNext bool `json:"has_next"`
	// After, on lists paged by keyset, is the opaque cursor of the next page: the
	// pager's next link sends it back as ?after= (see afterParam).
	After string `json:"after,omitempty"`
}

// noticeJSON tells an author what the server noticed about their post.
type noticeJSON struct {
	Kind      string         `json:"kind"`
	Reason    string         `json:"reason,omitempty"`
	Resources []resourceJSON `json:"resources,omitempty"`
	Emergency string         `json:"emergency,omitempty"`
}

// notificationJSON is one of the viewer's notifications. Pseudonym is the viewer's
// own pseudonym in the notification's group, shown to the viewer alone.
type notificationJSON struct {
	ID        int64      `json:"id"`
	Kind      string     `json:"kind"`
	Group     groupRef   `json:"group"`
	Pseudonym string     `json:"pseudonym"`
	Thread    *threadRef `json:"thread"`
	PostID    *int64     `json:"post_id"`
	Actor     *string    `json:"actor"`
	Text      string     `json:"text"`
	CreatedAt time.Time  `json:"created_at"`
	Read      bool       `json:"read"`
}

func newNotificationJSON(it *models.NotificationItem) notificationJSON {
	j := notificationJSON{ID: it.ID, Kind: it.Kind, Group: groupRef{it.Group.Slug, it.Group.Name},
		Pseudonym: it.Pseudonym, PostID: it.PostID, Text: it.Text, CreatedAt: it.CreatedAt, Read: it.Read()}
	if it.Thread != nil {
		j.Thread = &threadRef{ID: it.Thread.ID, Title: it.Thread.Title}
	}
	if it.Actor != "" {
		j.Actor = strp(it.Actor)
	}
	return j
}
