package app

import (
	"fmt"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// reactionPressed matches a post's support button and whether it is pressed.
func reactionPressed(page string, postID int64) string {
	re := regexp.MustCompile(fmt.Sprintf(`(?s)action="/posts/%d/reactions".*?value="support" aria-pressed="(true|false)"`, postID))
	m := re.FindStringSubmatch(page)
	if m == nil {
		return ""
	}
	return m[1]
}

// Signed-in viewers' pages are put together from HTML kept for everyone (see
// fragments.go): each must carry only its own viewer's token and pseudonym, show
// their own reactions, and change as soon as anything on them is written.
func TestSignedInPagesFromSharedSnapshots(t *testing.T) {
	ta, _ := setupForum(t)
	alice, bob := ta.signIn("alice", "member"), ta.signIn("bob", "member")
	pa := alice.do("POST", "/groups/type-2-diabetes/join", nil).mustStatus(200).json()["membership"].(map[string]any)["pseudonym"].(string)
	pb := bob.do("POST", "/groups/type-2-diabetes/join", nil).mustStatus(200).json()["membership"].(map[string]any)["pseudonym"].(string)
	var created struct {
		Thread threadJSON `json:"thread"`
	}
	alice.do("POST", "/groups/type-2-diabetes/threads", map[string]any{"title": "Morning numbers", "body": "Mine run high."}).
		mustStatus(201).decode(&created)
	thread := fmt.Sprintf("/threads/%d", created.Thread.ID)
	var reply struct {
		Post postJSON `json:"post"`
	}
	bob.do("POST", thread+"/posts", map[string]any{"body": "Mine too, before breakfast."}).mustStatus(201).decode(&reply)

	for round := 0; round < 2; round++ { // the second round comes from kept HTML
		for _, c := range []struct {
			who       *client
			pseudonym string
			other     *client
		}{{alice, pa, bob}, {bob, pb, alice}} {
			page := c.who.getHTML(thread).mustStatus(200).body
			if !strings.Contains(page, `value="`+c.who.csrf+`"`) || strings.Contains(page, c.other.csrf) {
				t.Fatalf("round %d: the page does not carry its own viewer's token alone", round)
			}
			if want := `Posting as <strong class="pseudonym">` + html.EscapeString(c.pseudonym) + `</strong>`; !strings.Contains(page, want) {
				t.Fatalf("round %d: no %q", round, want)
			}
			gp := c.who.getHTML("/groups/type-2-diabetes").mustStatus(200).body
			if want := `You are <strong class="pseudonym">` + html.EscapeString(c.pseudonym) + `</strong> here`; !strings.Contains(gp, want) {
				t.Fatalf("round %d: group page lacks %q", round, want)
			}
			if strings.Contains(gp, c.other.csrf) {
				t.Fatalf("round %d: group page carries another viewer's token", round)
			}
		}
	}

	// Alice supports Bob's reply: her button is pressed, Bob's count moves at once.
	alice.postForm(fmt.Sprintf("/posts/%d/reactions", reply.Post.ID), url.Values{"kind": {"support"}})
	if got := reactionPressed(alice.getHTML(thread).body, reply.Post.ID); got != "true" {
		t.Fatalf("alice's support button pressed %q, want true", got)
	}
	bobPage := bob.getHTML(thread).body
	if got := reactionPressed(bobPage, reply.Post.ID); got != "false" {
		t.Fatalf("bob's support button pressed %q, want false", got)
	}
	if !strings.Contains(bobPage, `<span class="reaction-name">Support</span> <span class="count">1</span>`) {
		t.Fatal("bob does not see alice's support")
	}

	// Bob's new reply shows on Alice's page at once, and as unread on her group page
	// until she opens the thread.
	bob.do("POST", thread+"/posts", map[string]any{"body": "Try a later walk, it helped me."}).mustStatus(201)
	if gp := alice.getHTML("/groups/type-2-diabetes").body; !strings.Contains(gp, ">1 new<") {
		t.Fatal("alice's group page does not show bob's reply as new")
	}
	if !strings.Contains(alice.getHTML(thread).body, "Try a later walk") {
		t.Fatal("alice's page misses bob's new reply")
	}
	if gp := alice.getHTML("/groups/type-2-diabetes").body; strings.Contains(gp, "unread-link") {
		t.Fatal("alice's group page still shows the thread as unread")
	}
}
