package models

import (
	"fmt"
	"testing"
	"time"

	"gorm.io/gorm"
)

// forum is a small world for notification tests: an open group with alice's thread,
// and bob and carol as members.
type forum struct {
	s                 *Store
	admin             *Viewer
	alice, bob, carol *Viewer
	ma, mb, mc        *Membership
	thread            *Thread
	opening           *Post
}

func newForum(t *testing.T) *forum {
	t.Helper()
	s := NewTestStore(t)
	f := &forum{s: s, admin: mustViewer(t, s, "admin", RoleAdmin)}
	mustGroup(t, s, f.admin, "open", VisibilityOpen)
	f.alice, f.bob, f.carol = mustViewer(t, s, "alice", RoleMember), mustViewer(t, s, "bob", RoleMember), mustViewer(t, s, "carol", RoleMember)
	f.ma = mustJoin(t, s, f.alice, "open", MemberActive)
	f.mb = mustJoin(t, s, f.bob, "open", MemberActive)
	f.mc = mustJoin(t, s, f.carol, "open", MemberActive)
	th, p, err := s.CreateThread(ctx, f.alice, "open", ThreadInput{Title: "Night sweats", Body: "Anyone else?"})
	if err != nil {
		t.Fatalf("create thread: %v", err)
	}
	f.thread, f.opening = th, p
	return f
}

func mustReply(t *testing.T, s *Store, v *Viewer, threadID int64, body string) *Post {
	t.Helper()
	p, err := s.CreatePost(ctx, v, threadID, PostInput{Body: body})
	if err != nil {
		t.Fatalf("reply: %v", err)
	}
	return p
}

// notes lists every notification of one membership as "kind:post", oldest first.
func notes(t *testing.T, s *Store, m *Membership) []string {
	t.Helper()
	var ns []Notification
	if err := s.db.Where("membership_id = ?", m.ID).Order("id").Find(&ns).Error; err != nil {
		t.Fatal(err)
	}
	out := []string{}
	for _, n := range ns {
		post := int64(0)
		if n.PostID != nil {
			post = *n.PostID
		}
		out = append(out, fmt.Sprintf("%s:%d", n.Kind, post))
	}
	return out
}

func wantNotes(t *testing.T, s *Store, m *Membership, want ...string) {
	t.Helper()
	got := notes(t, s, m)
	if fmt.Sprint(got) != fmt.Sprint(append([]string{}, want...)) {
		t.Fatalf("membership %d (%s) notifications %v, want %v", m.ID, m.Pseudonym, got, want)
	}
}

func TestNotifyFollowersOfReplies(t *testing.T) {
	f := newForum(t)
	s := f.s
	wantNotes(t, s, f.ma) // no notification for one's own opening post

	p1 := mustReply(t, s, f.bob, f.thread.ID, "Yes, every night.")
	wantNotes(t, s, f.ma, fmt.Sprintf("reply:%d", p1.ID)) // the author follows their thread
	wantNotes(t, s, f.mb)                                 // not for one's own post

	// Carol follows without replying; bob follows because he replied.
	if err := s.Follow(ctx, f.carol, f.thread.ID); err != nil {
		t.Fatal(err)
	}
	p2 := mustReply(t, s, f.alice, f.thread.ID, "Thank you.")
	wantNotes(t, s, f.ma, fmt.Sprintf("reply:%d", p1.ID))
	wantNotes(t, s, f.mb, fmt.Sprintf("reply:%d", p2.ID))
	wantNotes(t, s, f.mc, fmt.Sprintf("reply:%d", p2.ID))

	var n Notification
	if err := s.db.Where("membership_id = ?", f.mb.ID).First(&n).Error; err != nil {
		t.Fatal(err)
	}
	if got, want := n.Actor, f.ma.Pseudonym; got != want {
		t.Fatalf("actor %q, want %q", got, want)
	}
	if n.ThreadID == nil || *n.ThreadID != f.thread.ID || n.Read() {
		t.Fatalf("notification %+v", n)
	}
}

func TestUnfollowStopsNotifications(t *testing.T) {
	f := newForum(t)
	s := f.s
	if err := s.Unfollow(ctx, f.alice, f.thread.ID); err != nil {
		t.Fatal(err)
	}
	mustReply(t, s, f.bob, f.thread.ID, "Hello")
	wantNotes(t, s, f.ma)

	// Replying after an explicit unfollow does not follow again.
	mustReply(t, s, f.alice, f.thread.ID, "Hi bob")
	mustReply(t, s, f.bob, f.thread.ID, "Hello again")
	wantNotes(t, s, f.ma)

	// Following again does.
	if err := s.Follow(ctx, f.alice, f.thread.ID); err != nil {
		t.Fatal(err)
	}
	p := mustReply(t, s, f.bob, f.thread.ID, "Still there?")
	wantNotes(t, s, f.ma, fmt.Sprintf("reply:%d", p.ID))
}

func TestFollowRules(t *testing.T) {
	f := newForum(t)
	s := f.s
	mustGroup(t, s, f.admin, "closed", VisibilityClosed)
	mustJoin(t, s, f.admin, "closed", MemberActive)
	ct, _, err := s.CreateThread(ctx, f.admin, "closed", ThreadInput{Title: "Closed talk", Body: "Members only"})
	if err != nil {
		t.Fatal(err)
	}
	dave := mustViewer(t, s, "dave", RoleMember)

	for _, tc := range []struct {
		name   string
		v      *Viewer
		thread int64
		code   string
	}{
		{"visitor", nil, f.thread.ID, EUNAUTHORIZED},
		{"not a member of an open group", dave, f.thread.ID, EFORBIDDEN},
		{"not a member of a closed group", dave, ct.ID, ENOTFOUND},
		{"no such thread", f.alice, 999999, ENOTFOUND},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantCode(t, s.Follow(ctx, tc.v, tc.thread), tc.code)
		})
	}
	t.Run("pending member of a closed group", func(t *testing.T) {
		mustJoin(t, s, dave, "closed", MemberPending)
		wantCode(t, s.Follow(ctx, dave, ct.ID), ENOTFOUND)
	})
	t.Run("a member who left", func(t *testing.T) {
		if err := s.Leave(ctx, f.carol, "open"); err != nil {
			t.Fatal(err)
		}
		wantCode(t, s.Follow(ctx, f.carol, f.thread.ID), EFORBIDDEN)
	})
	t.Run("following twice is fine", func(t *testing.T) {
		for range 2 {
			if err := s.Follow(ctx, f.bob, f.thread.ID); err != nil {
				t.Fatal(err)
			}
		}
	})
}

func TestQuoteNotifications(t *testing.T) {
	f := newForum(t)
	s := f.s
	pb := mustReply(t, s, f.bob, f.thread.ID, "It got better with a fan.")
	if err := s.Unfollow(ctx, f.bob, f.thread.ID); err != nil {
		t.Fatal(err)
	}
	// Carol quotes bob: bob gets "quote" though he does not follow; alice "reply".
	body := fmt.Sprintf("[%s wrote](/threads/%d#post-%d)\n> It got better with a fan.\n\nGood tip! See also #post-%d.",
		f.mb.Pseudonym, f.thread.ID, pb.ID, pb.ID)
	pc := mustReply(t, s, f.carol, f.thread.ID, body)
	wantNotes(t, s, f.mb, fmt.Sprintf("quote:%d", pc.ID))
	wantNotes(t, s, f.ma, fmt.Sprintf("reply:%d", pb.ID), fmt.Sprintf("reply:%d", pc.ID))

	// A follower who is quoted gets one notification, the quote.
	pa := mustReply(t, s, f.alice, f.thread.ID, fmt.Sprintf("Replying to [carol](/threads/%d#post-%d)", f.thread.ID, pc.ID))
	wantNotes(t, s, f.mc, fmt.Sprintf("quote:%d", pa.ID))

	// Quoting oneself notifies nobody new; a link to a post of another group neither.
	mustGroup(t, s, f.admin, "other", VisibilityOpen)
	mustJoin(t, s, f.bob, "other", MemberActive)
	ot, op, err := s.CreateThread(ctx, f.bob, "other", ThreadInput{Title: "Elsewhere", Body: "Hello"})
	if err != nil {
		t.Fatal(err)
	}
	before := len(notes(t, s, f.mb))
	mustReply(t, s, f.carol, f.thread.ID, fmt.Sprintf("[x](/threads/%d#post-%d)", ot.ID, op.ID))
	if got := len(notes(t, s, f.mb)); got != before {
		t.Fatalf("a link to another group's post notified bob's membership there")
	}
}

func TestQuotedPostIDs(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       string
	}{
		{"quote reply", "[QuietHeron27 wrote](/threads/5#post-17)", "[17]"},
		{"with a page", "[a](/threads/5?page=2#post-170) and [b](#post-3)", "[170 3]"},
		{"duplicates", "#post-4 #post-4", "[4]"},
		{"not a post", "#posts-4 #post-x post-5", "[]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := quotedPostIDs(tc.body)
			if got == nil {
				got = []int64{}
			}
			if s := fmt.Sprint(got); s != tc.want {
				t.Fatalf("quotedPostIDs(%q) = %s, want %s", tc.body, s, tc.want)
			}
		})
	}
}

func TestClinicianPostNotifiesFollowers(t *testing.T) {
	f := newForum(t)
	s := f.s
	doc := mustViewer(t, s, "dr-rivera", RoleClinician)
	md := mustJoin(t, s, doc, "open", MemberActive)
	if err := s.Follow(ctx, doc, f.thread.ID); err != nil {
		t.Fatal(err)
	}
	p, err := s.CreatePost(ctx, doc, f.thread.ID, PostInput{Body: "Talk to your GP about it.", AsClinician: true})
	if err != nil {
		t.Fatal(err)
	}
	wantNotes(t, s, f.ma, fmt.Sprintf("reply:%d", p.ID))
	wantNotes(t, s, md) // the clinician is the author
	var n Notification
	s.db.Where("membership_id = ?", f.ma.ID).First(&n)
	if got, want := n.Actor, "Dr. Rivera"; got != want {
		t.Fatalf("actor %q, want %q", got, want)
	}

	// A clinician-voice reply makes no membership follow the thread.
	if err := s.Unfollow(ctx, doc, f.thread.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreatePost(ctx, doc, f.thread.ID, PostInput{Body: "One more thing.", AsClinician: true}); err != nil {
		t.Fatal(err)
	}
	var following []bool
	s.db.Model(&ThreadFollow{}).Where("membership_id = ?", md.ID).Pluck("following", &following)
	if fmt.Sprint(following) != "[false]" {
		t.Fatalf("clinician membership follows: %v", following)
	}
}

func TestHeldPostNotifiesNobodyYet(t *testing.T) {
	f := newForum(t)
	s := f.s
	p := Post{ThreadID: f.thread.ID, MembershipID: &f.mb.ID, Membership: f.mb, Body: "held", BodyHTML: "<p>held</p>",
		Status: PostHeld, Version: 1, CreatedAt: s.now(), UpdatedAt: s.now()}
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := tx.Omit("Membership").Create(&p).Error; err != nil {
			return err
		}
		return s.notifyNewPost(ctx, tx, f.thread, &p)
	})
	if err != nil {
		t.Fatal(err)
	}
	wantNotes(t, s, f.ma)
	err = s.tx(ctx, func(tx *gorm.DB) error { return s.notifyPostPublished(ctx, tx, f.thread, &p) })
	if err != nil {
		t.Fatal(err)
	}
	wantNotes(t, s, f.ma, fmt.Sprintf("reply:%d", p.ID))
}

func TestNotifyHelpers(t *testing.T) {
	f := newForum(t)
	s := f.s
	pb := mustReply(t, s, f.bob, f.thread.ID, "Try a cooler room.")
	err := s.tx(ctx, func(tx *gorm.DB) error {
		if err := s.notifyAccepted(ctx, tx, f.thread, pb); err != nil {
			return err
		}
		if err := s.notifyAccepted(ctx, tx, f.thread, f.opening); err != nil { // own post: nothing
			return err
		}
		if err := s.notify(ctx, tx, f.mb.ID, NotifyModeration, f.thread.ID, pb.ID, "Moderators labelled your post."); err != nil {
			return err
		}
		if err := s.notify(ctx, tx, 0, NotifyModeration, f.thread.ID, pb.ID, "nobody"); err != nil {
			return err
		}
		return s.notifyJoinApproved(ctx, tx, f.mc)
	})
	if err != nil {
		t.Fatal(err)
	}
	wantNotes(t, s, f.mb, fmt.Sprintf("accepted:%d", pb.ID), fmt.Sprintf("moderation:%d", pb.ID))
	wantNotes(t, s, f.mc, "join_approved:0")
	wantNotes(t, s, f.ma, fmt.Sprintf("reply:%d", pb.ID))
}

func TestNotificationsPerMembership(t *testing.T) {
	f := newForum(t)
	s := f.s
	mustGroup(t, s, f.admin, "second", VisibilityOpen)
	ma2 := mustJoin(t, s, f.alice, "second", MemberActive)
	mustJoin(t, s, f.bob, "second", MemberActive)
	t2, _, err := s.CreateThread(ctx, f.alice, "second", ThreadInput{Title: "Second group", Body: "Hi"})
	if err != nil {
		t.Fatal(err)
	}
	mustReply(t, s, f.bob, f.thread.ID, "reply one")
	mustReply(t, s, f.bob, t2.ID, "reply two")

	n, err := s.UnreadNotifications(ctx, f.alice)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("unread %d, want 2 (summed over memberships)", n)
	}
	np, err := s.Notifications(ctx, f.alice, 1)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(np.Items), 2; got != want {
		t.Fatalf("%d notifications, want %d", got, want)
	}
	// Newest first, each with its own group and pseudonym.
	if it := np.Items[0]; it.Group.Slug != "second" || it.Pseudonym != ma2.Pseudonym || it.Thread == nil || it.Thread.Title != "Second group" {
		t.Fatalf("first item %+v", it)
	}
	if it := np.Items[1]; it.Group.Slug != "open" || it.Pseudonym != f.ma.Pseudonym {
		t.Fatalf("second item %+v", it)
	}
	if np.Unread != 2 {
		t.Fatalf("page unread %d", np.Unread)
	}
	// Bob sees none of alice's.
	bp, err := s.Notifications(ctx, f.bob, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, it := range bp.Items {
		if it.MembershipID == f.ma.ID || it.MembershipID == ma2.ID {
			t.Fatalf("bob sees alice's notification %+v", it)
		}
	}

	// Another member's notification is not found, and marking it read does nothing.
	id := np.Items[0].ID
	if _, err := s.OpenNotification(ctx, f.bob, id); err == nil {
		t.Fatal("bob opened alice's notification")
	} else {
		wantCode(t, err, ENOTFOUND)
	}
	if _, err := s.MarkNotificationsRead(ctx, f.bob, []int64{id}, false); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.UnreadNotifications(ctx, f.alice); n != 2 {
		t.Fatalf("bob marked alice's notification read: unread %d", n)
	}

	to, err := s.OpenNotification(ctx, f.alice, id)
	if err != nil {
		t.Fatal(err)
	}
	if to.ThreadID != t2.ID || to.Page != 1 || to.PostID == 0 || to.GroupSlug != "second" {
		t.Fatalf("target %+v", to)
	}
	if n, _ := s.UnreadNotifications(ctx, f.alice); n != 1 {
		t.Fatalf("unread %d after opening one, want 1", n)
	}
	left, err := s.MarkNotificationsRead(ctx, f.alice, nil, true)
	if err != nil || left != 0 {
		t.Fatalf("mark all read: %d, %v", left, err)
	}
	_, err = s.MarkNotificationsRead(ctx, f.alice, nil, false)
	wantField(t, err, "ids")

	// Leaving a group hides its notifications.
	mustReply(t, s, f.bob, t2.ID, "reply three")
	if n, _ := s.UnreadNotifications(ctx, f.alice); n != 1 {
		t.Fatalf("unread %d, want 1", n)
	}
	if err := s.Leave(ctx, f.alice, "second"); err != nil {
		t.Fatal(err)
	}
	if n, _ := s.UnreadNotifications(ctx, f.alice); n != 0 {
		t.Fatalf("unread %d after leaving, want 0", n)
	}
	_, err = s.Notifications(ctx, f.alice, 2)
	wantCode(t, err, ENOTFOUND)
}

func TestUnreadTracking(t *testing.T) {
	f := newForum(t)
	s := f.s
	th2, _, err := s.CreateThread(ctx, f.bob, "open", ThreadInput{Title: "Bob's thread", Body: "Hello all"})
	if err != nil {
		t.Fatal(err)
	}
	unreads := func(v *Viewer) map[int64]ThreadUnread {
		t.Helper()
		gp, err := s.GroupPage(ctx, v, "open", 1)
		if err != nil {
			t.Fatal(err)
		}
		return gp.Unread
	}
	// Carol never opened either thread; both started after she joined.
	u := unreads(f.carol)
	if !u[f.thread.ID].New || u[f.thread.ID].Seen || !u[th2.ID].New {
		t.Fatalf("carol's unread %+v", u)
	}
	// Alice wrote her thread: seen, nothing unread. Bob's is new to her.
	u = unreads(f.alice)
	if got := u[f.thread.ID]; !got.Seen || got.New || got.Count != 0 {
		t.Fatalf("alice's own thread %+v", got)
	}
	if !u[th2.ID].New {
		t.Fatalf("bob's thread for alice %+v", u[th2.ID])
	}
	// Visitors have no unread tracking.
	if u := unreads(nil); u != nil {
		t.Fatalf("visitor unread %+v", u)
	}

	p1 := mustReply(t, s, f.bob, f.thread.ID, "one")
	mustReply(t, s, f.carol, f.thread.ID, "two")
	mustReply(t, s, f.alice, f.thread.ID, "mine does not count")
	if got := unreads(f.alice)[f.thread.ID]; got.Count != 2 || got.FirstPostID != p1.ID {
		t.Fatalf("alice's unread %+v, want 2 from %d", got, p1.ID)
	}
	post, page, err := s.FirstUnread(ctx, f.alice, f.thread.ID)
	if err != nil || post != p1.ID || page != 1 {
		t.Fatalf("first unread %d page %d (%v), want %d page 1", post, page, err, p1.ID)
	}

	tp, err := s.ThreadPage(ctx, f.alice, f.thread.ID, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !tp.CanFollow || !tp.Following || tp.LastReadPostID != f.opening.ID {
		t.Fatalf("thread page follow %v/%v last read %d", tp.CanFollow, tp.Following, tp.LastReadPostID)
	}
	if got := unreads(f.alice)[f.thread.ID]; got.Count != 0 || !got.Seen {
		t.Fatalf("after reading: %+v", got)
	}
	// Everything read: resume at the latest post.
	last := tp.Posts[len(tp.Posts)-1].ID
	if post, _, _ := s.FirstUnread(ctx, f.alice, f.thread.ID); post != last {
		t.Fatalf("first unread after reading %d, want the latest %d", post, last)
	}
	// Reading an older page never moves the position back.
	if err := s.markRead(ctx, s.db, f.ma.ID, f.thread.ID, f.opening.ID); err != nil {
		t.Fatal(err)
	}
	if st, _ := s.loadThreadState(ctx, f.ma.ID, f.thread.ID); st.LastReadPostID == nil || *st.LastReadPostID != last {
		t.Fatalf("read position moved back: %v", st.LastReadPostID)
	}
	// Never opened, or a visitor: the top.
	if post, page, err := s.FirstUnread(ctx, f.carol, th2.ID); err != nil || post != 0 || page != 1 {
		t.Fatalf("carol first unread %d %d %v", post, page, err)
	}
	if post, page, err := s.FirstUnread(ctx, nil, th2.ID); err != nil || post != 0 || page != 1 {
		t.Fatalf("visitor first unread %d %d %v", post, page, err)
	}
	// A visitor's page view records nothing.
	if tp, err := s.ThreadPage(ctx, nil, th2.ID, 1); err != nil || tp.CanFollow {
		t.Fatalf("visitor page: %v %v", tp, err)
	}
	// However long a thread went unread, counting stops at BadgeCap.
	first := mustReply(t, s, f.bob, f.thread.ID, "reply 1")
	for i := 2; i <= BadgeCap+5; i++ {
		mustReply(t, s, f.bob, f.thread.ID, fmt.Sprintf("reply %d", i))
	}
	if got := unreads(f.alice)[f.thread.ID]; got.Count != BadgeCap || got.FirstPostID != first.ID {
		t.Fatalf("long unread %+v, want %d from %d", got, BadgeCap, first.ID)
	}
}

func TestThreadsBeforeJoiningAreNotNew(t *testing.T) {
	f := newForum(t)
	s := f.s
	dave := mustViewer(t, s, "dave", RoleMember)
	s.SetClock(func() time.Time { return f.thread.CreatedAt.Add(time.Hour) })
	mustJoin(t, s, dave, "open", MemberActive)
	gp, err := s.GroupPage(ctx, dave, "open", 1)
	if err != nil {
		t.Fatal(err)
	}
	if u := gp.Unread[f.thread.ID]; u.New || u.Seen {
		t.Fatalf("a thread from before joining: %+v", u)
	}
}
