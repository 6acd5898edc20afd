package app

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"haven/models"
)

// ntJoin joins the client to the group and returns its pseudonym there.
func ntJoin(t *testing.T, c *client, slug string) string {
	t.Helper()
	m := c.do("POST", "/groups/"+slug+"/join", nil).mustStatus(200).json()["membership"].(map[string]any)
	return m["pseudonym"].(string)
}

// ntThread opens a thread and returns its id and the opening post's id.
func ntThread(t *testing.T, c *client, slug, title string) (int64, int64) {
	t.Helper()
	var out struct {
		Thread threadJSON `json:"thread"`
		Post   postJSON   `json:"post"`
	}
	c.do("POST", "/groups/"+slug+"/threads", map[string]any{"title": title, "body": "Opening words."}).mustStatus(201).decode(&out)
	return out.Thread.ID, out.Post.ID
}

// ntReply replies in a thread and returns the post id.
func ntReply(t *testing.T, c *client, threadID int64, body string) int64 {
	t.Helper()
	var out struct {
		Post postJSON `json:"post"`
	}
	c.do("POST", fmt.Sprintf("/threads/%d/posts", threadID), map[string]any{"body": body}).mustStatus(201).decode(&out)
	return out.Post.ID
}

// ntList is GET /notifications as JSON.
type ntList struct {
	Notifications []struct {
		ID    int64  `json:"id"`
		Kind  string `json:"kind"`
		Group struct {
			Slug string `json:"slug"`
			Name string `json:"name"`
		} `json:"group"`
		Pseudonym string `json:"pseudonym"`
		Thread    *struct {
			ID    int64  `json:"id"`
			Title string `json:"title"`
		} `json:"thread"`
		PostID *int64  `json:"post_id"`
		Actor  *string `json:"actor"`
		Text   string  `json:"text"`
		Read   bool    `json:"read"`
	} `json:"notifications"`
	Unread int      `json:"unread"`
	Page   pageJSON `json:"page"`
}

func ntNotifications(t *testing.T, c *client) (ntList, *response) {
	t.Helper()
	var l ntList
	res := c.get("/notifications").mustStatus(200)
	res.decode(&l)
	return l, res
}

var tagPattern = regexp.MustCompile(`<[^>]*>`)

// visibleText is what a screen reader reads of an HTML fragment, roughly.
func visibleText(html string) string {
	return strings.Join(strings.Fields(tagPattern.ReplaceAllString(html, "")), " ")
}

func TestFollowAndReplyNotifications(t *testing.T) {
	ta, _ := setupForum(t)
	alice, bob, carol := ta.signIn("alice", "member"), ta.signIn("bob", "member"), ta.signIn("carol", "member")
	pa := ntJoin(t, alice, "type-2-diabetes")
	pb := ntJoin(t, bob, "type-2-diabetes")
	tid, _ := ntThread(t, alice, "type-2-diabetes", "Tired after lunch")

	p1 := ntReply(t, bob, tid, "Same here, it passes.")
	l, res := ntNotifications(t, alice)
	if len(l.Notifications) != 1 || l.Unread != 1 {
		t.Fatalf("alice's notifications: %s", res.body)
	}
	n := l.Notifications[0]
	if n.Kind != "reply" || n.Group.Slug != "type-2-diabetes" || n.Pseudonym != pa || n.Thread == nil ||
		n.Thread.ID != tid || n.Thread.Title != "Tired after lunch" || n.PostID == nil || *n.PostID != p1 ||
		n.Actor == nil || *n.Actor != pb || n.Read || !strings.Contains(n.Text, pb) {
		t.Fatalf("notification %s", res.body)
	}
	for _, k := range []string{"id", "kind", "group", "pseudonym", "thread", "post_id", "text", "created_at", "read"} {
		if _, ok := res.json()["notifications"].([]any)[0].(map[string]any)[k]; !ok {
			t.Fatalf("notification lacks %q: %s", k, res.body)
		}
	}
	if l, _ := ntNotifications(t, bob); len(l.Notifications) != 0 {
		t.Fatalf("bob is notified of his own post: %+v", l)
	}

	// The thread page says whether the member follows; bob follows since he replied.
	var tv struct {
		Following *bool `json:"following"`
	}
	bob.get(fmt.Sprintf("/threads/%d", tid)).mustStatus(200).decode(&tv)
	if tv.Following == nil || !*tv.Following {
		t.Fatalf("bob following %v, want true", tv.Following)
	}
	ta.newClient().get(fmt.Sprintf("/threads/%d", tid)).mustStatus(200).decode(&tv)
	if tv.Following != nil {
		t.Fatalf("a visitor's following %v, want null", *tv.Following)
	}

	// Unfollow stops the notifications, and replying does not follow again.
	if got := bob.do("POST", fmt.Sprintf("/threads/%d/unfollow", tid), nil).mustStatus(200).json()["following"]; got != false {
		t.Fatalf("unfollow answered %v", got)
	}
	ntReply(t, alice, tid, "Thank you!")
	ntReply(t, bob, tid, "You're welcome.")
	ntReply(t, alice, tid, "One more thing.")
	if l, _ := ntNotifications(t, bob); len(l.Notifications) != 0 {
		t.Fatalf("bob notified after unfollowing: %+v", l)
	}
	if got := bob.do("POST", fmt.Sprintf("/threads/%d/follow", tid), nil).mustStatus(200).json()["following"]; got != true {
		t.Fatalf("follow answered %v", got)
	}
	ntReply(t, alice, tid, "Back again.")
	if l, _ := ntNotifications(t, bob); len(l.Notifications) != 1 {
		t.Fatalf("bob after following again: %+v", l)
	}

	// Who may follow.
	visitor := ta.newClient()
	visitor.fetchCSRF()
	if res := visitor.do("POST", fmt.Sprintf("/threads/%d/follow", tid), nil); res.StatusCode != 401 {
		t.Fatalf("visitor follow: %d", res.StatusCode)
	}
	if res := carol.do("POST", fmt.Sprintf("/threads/%d/follow", tid), nil); res.StatusCode != 403 {
		t.Fatalf("non-member follow: %d %s", res.StatusCode, res.body)
	}
	carol.do("POST", "/threads/999999/follow", nil).mustStatus(404)
	visitor.get("/notifications").mustStatus(401)

	// A browser's form goes back to the thread, and the button turns over.
	res = bob.postForm(fmt.Sprintf("/threads/%d/unfollow", tid), url.Values{"page": {"1"}}).mustStatus(303)
	if got, want := res.Header.Get("Location"), fmt.Sprintf("/threads/%d", tid); got != want {
		t.Fatalf("unfollow form redirects to %q, want %q", got, want)
	}
	page := bob.getHTML(fmt.Sprintf("/threads/%d", tid)).mustStatus(200)
	if !strings.Contains(page.body, fmt.Sprintf(`action="/threads/%d/follow"`, tid)) || !strings.Contains(page.body, "Follow this thread") {
		t.Fatal("the thread page lacks the follow button")
	}
	bob.postForm(fmt.Sprintf("/threads/%d/follow", tid), nil).mustStatus(303)
	if page := bob.getHTML(fmt.Sprintf("/threads/%d", tid)); !strings.Contains(page.body, "Stop following") {
		t.Fatal("the thread page lacks the unfollow button")
	}
}

func TestQuoteNotificationOverHTTP(t *testing.T) {
	ta, _ := setupForum(t)
	alice, bob := ta.signIn("alice", "member"), ta.signIn("bob", "member")
	pa := ntJoin(t, alice, "type-2-diabetes")
	ntJoin(t, bob, "type-2-diabetes")
	tid, opening := ntThread(t, alice, "type-2-diabetes", "Walking after meals")
	alice.do("POST", fmt.Sprintf("/threads/%d/unfollow", tid), nil).mustStatus(200)

	quote := fmt.Sprintf("[%s wrote](/threads/%d#post-%d)\n> Opening words.\n\nThis helped me too.", pa, tid, opening)
	pq := ntReply(t, bob, tid, quote)
	l, res := ntNotifications(t, alice)
	if len(l.Notifications) != 1 || l.Notifications[0].Kind != "quote" || *l.Notifications[0].PostID != pq {
		t.Fatalf("alice after being quoted: %s", res.body)
	}
}

func TestNotificationsKeepPseudonymsApart(t *testing.T) {
	ta, admin := setupForum(t)
	admin.do("POST", "/groups", map[string]any{"slug": "sleep", "name": "Sleep", "visibility": "open"}).mustStatus(201)
	alice, bob := ta.signIn("alice", "member"), ta.signIn("bob", "member")
	a1, a2 := ntJoin(t, alice, "type-2-diabetes"), ntJoin(t, alice, "sleep")
	ntJoin(t, bob, "type-2-diabetes")
	ntJoin(t, bob, "sleep")
	t1, _ := ntThread(t, alice, "type-2-diabetes", "Diabetes thread")
	t2, _ := ntThread(t, alice, "sleep", "Sleep thread")
	ntReply(t, bob, t1, "Reply in diabetes")
	ntReply(t, bob, t2, "Reply in sleep")

	l, res := ntNotifications(t, alice)
	if len(l.Notifications) != 2 || l.Unread != 2 {
		t.Fatalf("alice: %s", res.body)
	}
	// Each notification names the pseudonym of its own group, to alice alone.
	if n := l.Notifications[0]; n.Group.Slug != "sleep" || n.Pseudonym != a2 {
		t.Fatalf("newest %+v", n)
	}
	if n := l.Notifications[1]; n.Group.Slug != "type-2-diabetes" || n.Pseudonym != a1 {
		t.Fatalf("older %+v", n)
	}
	if userIDPattern.MatchString(res.body) {
		t.Fatalf("notifications leak a user id field: %s", res.body)
	}
	// Nothing bob can fetch puts alice's two pseudonyms together.
	bobsNotes, _ := ntNotifications(t, bob)
	if len(bobsNotes.Notifications) != 0 {
		t.Fatalf("bob sees notifications: %+v", bobsNotes)
	}
	for _, path := range []string{"/notifications", "/groups/type-2-diabetes", "/groups/sleep",
		fmt.Sprintf("/threads/%d", t1), fmt.Sprintf("/threads/%d", t2), "/me"} {
		for _, r := range []*response{bob.get(path), bob.getHTML(path)} {
			if strings.Contains(r.body, a1) && strings.Contains(r.body, a2) {
				t.Fatalf("%s shows both of alice's pseudonyms to bob", path)
			}
			if userIDPattern.MatchString(r.body) {
				t.Fatalf("%s leaks a user id field", path)
			}
		}
	}

	// The bell sums alice's memberships, and only alice sees her count.
	home := alice.getHTML("/").mustStatus(200)
	if !strings.Contains(visibleText(home.body), "Notifications, 2 unread") {
		t.Fatalf("the bell does not say %q", "Notifications, 2 unread")
	}
	if got := visibleText(bob.getHTML("/").body); strings.Contains(got, "unread") {
		t.Fatal("bob's bell shows a count")
	}
	if strings.Contains(ta.newClient().getHTML("/").body, "/notifications") {
		t.Fatal("a visitor sees the bell")
	}
	page := alice.getHTML("/notifications").mustStatus(200)
	for _, want := range []string{a1, a2, "Diabetes thread", "Sleep thread", "Mark all as read"} {
		if !strings.Contains(page.body, want) {
			t.Fatalf("the notifications page lacks %q", want)
		}
	}
}

func TestMarkNotificationsRead(t *testing.T) {
	ta, _ := setupForum(t)
	alice, bob := ta.signIn("alice", "member"), ta.signIn("bob", "member")
	ntJoin(t, alice, "type-2-diabetes")
	ntJoin(t, bob, "type-2-diabetes")
	tid, _ := ntThread(t, alice, "type-2-diabetes", "Marking things read")
	ids := []int64{}
	for i := range 3 {
		ids = append(ids, ntReply(t, bob, tid, fmt.Sprintf("Reply number %d", i+1)))
	}
	l, _ := ntNotifications(t, alice)
	if len(l.Notifications) != 3 || l.Unread != 3 {
		t.Fatalf("alice %+v", l)
	}
	newest := l.Notifications[0]

	// Another member's notification is not found, and marking it read does nothing.
	bob.get(fmt.Sprintf("/notifications/%d", newest.ID)).mustStatus(404)
	bob.getHTML(fmt.Sprintf("/notifications/%d", newest.ID)).mustStatus(404)
	if got := bob.do("POST", "/notifications/read", map[string]any{"ids": []int64{newest.ID}}).mustStatus(200).json()["unread"]; got != 0.0 {
		t.Fatalf("bob's unread %v", got)
	}
	if l, _ := ntNotifications(t, alice); l.Unread != 3 {
		t.Fatalf("bob marked alice's notification read")
	}
	alice.get("/notifications/abc").mustStatus(404)
	alice.do("POST", "/notifications/read", map[string]any{}).mustStatus(422)

	// Opening one marks it read and goes to the post.
	res := alice.getHTML(fmt.Sprintf("/notifications/%d", newest.ID)).mustStatus(303)
	if got, want := res.Header.Get("Location"), fmt.Sprintf("/threads/%d#post-%d", tid, ids[2]); got != want {
		t.Fatalf("opening goes to %q, want %q", got, want)
	}
	if got := alice.do("POST", "/notifications/read", map[string]any{"ids": []int64{l.Notifications[1].ID}}).mustStatus(200).json()["unread"]; got != 1.0 {
		t.Fatalf("unread after marking one %v, want 1", got)
	}
	l, _ = ntNotifications(t, alice)
	if !l.Notifications[0].Read || !l.Notifications[1].Read || l.Notifications[2].Read {
		t.Fatalf("read flags %+v", l.Notifications)
	}
	// A form marks all, and goes back to the list.
	res = alice.postForm("/notifications/read", url.Values{"all": {"true"}}).mustStatus(303)
	if got := res.Header.Get("Location"); got != "/notifications" {
		t.Fatalf("mark all redirects to %q", got)
	}
	if l, _ := ntNotifications(t, alice); l.Unread != 0 {
		t.Fatalf("unread %d after marking all", l.Unread)
	}
	if got := visibleText(alice.getHTML("/").body); strings.Contains(got, "unread") {
		t.Fatal("the bell still shows a count")
	}
}

func TestUnreadCountsOnGroupPage(t *testing.T) {
	ta, _ := setupForum(t)
	alice, bob, carol := ta.signIn("alice", "member"), ta.signIn("bob", "member"), ta.signIn("carol", "member")
	ntJoin(t, alice, "type-2-diabetes")
	ntJoin(t, bob, "type-2-diabetes")
	ntJoin(t, carol, "type-2-diabetes")
	tid, _ := ntThread(t, bob, "type-2-diabetes", "Counting carbs")
	alice.get(fmt.Sprintf("/threads/%d", tid)).mustStatus(200) // alice reads it
	first := ntReply(t, bob, tid, "First new reply")
	ntReply(t, bob, tid, "Second new reply")
	ntReply(t, alice, tid, "Alice's own reply does not count")

	threadsOf := func(c *client) []map[string]any {
		t.Helper()
		var gv struct {
			Threads []map[string]any `json:"threads"`
		}
		c.get("/groups/type-2-diabetes").mustStatus(200).decode(&gv)
		if len(gv.Threads) != 1 {
			t.Fatalf("threads %v", gv.Threads)
		}
		return gv.Threads
	}
	th := threadsOf(alice)[0]
	if th["unread"] != 2.0 || th["new"] != false || th["first_unread_post_id"] != float64(first) {
		t.Fatalf("alice's thread %v, want 2 unread from %d", th, first)
	}
	// Carol never opened it: new, with no count. A visitor: neither.
	if th := threadsOf(carol)[0]; th["unread"] != nil || th["new"] != true {
		t.Fatalf("carol's thread %v", th)
	}
	if th := threadsOf(ta.newClient())[0]; th["unread"] != nil || th["new"] != false {
		t.Fatalf("visitor's thread %v", th)
	}
	// The page links "2 new" to the first unread post.
	page := alice.getHTML("/groups/type-2-diabetes").mustStatus(200)
	if !strings.Contains(page.body, fmt.Sprintf(`href="/threads/%d?unread=1"`, tid)) || !strings.Contains(visibleText(page.body), "2 new since your last visit") {
		t.Fatal("the group page lacks the unread link")
	}
	if !strings.Contains(carol.getHTML("/groups/type-2-diabetes").body, "badge-new") {
		t.Fatal("carol's group page lacks the new badge")
	}

	// Jump to the first unread post; after reading, nothing is unread.
	res := alice.getHTML(fmt.Sprintf("/threads/%d?unread=1", tid)).mustStatus(303)
	if got, want := res.Header.Get("Location"), fmt.Sprintf("/threads/%d#post-%d", tid, first); got != want {
		t.Fatalf("jump to %q, want %q", got, want)
	}
	alice.getHTML(fmt.Sprintf("/threads/%d", tid)).mustStatus(200)
	if th := threadsOf(alice)[0]; th["unread"] != 0.0 || th["first_unread_post_id"] != nil {
		t.Fatalf("after reading: %v", th)
	}
	// Never opened, or a visitor: the top of the thread.
	if got := carol.getHTML(fmt.Sprintf("/threads/%d?unread=1", tid)).mustStatus(303).Header.Get("Location"); got != fmt.Sprintf("/threads/%d", tid) {
		t.Fatalf("carol jumps to %q", got)
	}
	ta.newClient().getHTML(fmt.Sprintf("/threads/%d?unread=1", tid)).mustStatus(303)
	ta.newClient().getHTML("/threads/999999?unread=1").mustStatus(404)
}

func TestJumpToUnreadOnALaterPage(t *testing.T) {
	ta, _ := setupForum(t)
	alice, bob := ta.signIn("alice", "member"), ta.signIn("bob", "member")
	ntJoin(t, alice, "type-2-diabetes")
	ntJoin(t, bob, "type-2-diabetes")
	tid, _ := ntThread(t, bob, "type-2-diabetes", "A long thread")
	u, err := ta.store.LocalSignIn(t.Context(), "bob", "member")
	if err != nil {
		t.Fatal(err)
	}
	bv, err := ta.store.ViewerByID(t.Context(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	for i := range models.PageSize + 4 {
		if _, err := ta.store.CreatePost(t.Context(), bv, tid, models.PostInput{Body: fmt.Sprintf("Reply %d", i+1)}); err != nil {
			t.Fatal(err)
		}
	}
	alice.get(fmt.Sprintf("/threads/%d", tid)).mustStatus(200) // page 1 only: posts 1 to 50
	var p2 struct {
		Posts []postJSON `json:"posts"`
	}
	bob.get(fmt.Sprintf("/threads/%d?page=2", tid)).mustStatus(200).decode(&p2)
	res := alice.getHTML(fmt.Sprintf("/threads/%d?unread=1", tid)).mustStatus(303)
	if got, want := res.Header.Get("Location"), fmt.Sprintf("/threads/%d?page=2#post-%d", tid, p2.Posts[0].ID); got != want {
		t.Fatalf("jump to %q, want %q", got, want)
	}
}
