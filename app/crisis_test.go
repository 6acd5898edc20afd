package app

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

func TestCrisisPostShowsResourcesFirst(t *testing.T) {
	ta, _ := setupForum(t)
	alice := ta.signIn("alice", "member")
	alice.do("POST", "/groups/type-2-diabetes/join", nil).mustStatus(200)
	th := alice.do("POST", "/groups/type-2-diabetes/threads", map[string]any{"title": "Low", "body": "A bad week."}).mustStatus(201).json()
	id := int(th["thread"].(map[string]any)["id"].(float64))

	req := alice.request("POST", fmt.Sprintf("/threads/%d/posts", id),
		strings.NewReader(`{"body": "I think everyone would be better off without me"}`), "application/json", "application/json")
	req.Header.Set("X-CSRF-Token", alice.csrf)
	req.Header.Set("Accept-Language", "en-GB,en;q=0.8")
	res := alice.roundTrip(req).mustStatus(201)
	var body struct {
		Post    postJSON     `json:"post"`
		Notices []noticeJSON `json:"notices"`
	}
	res.decode(&body)
	if body.Post.Status != "published" {
		t.Fatalf("crisis post status %q, want published", body.Post.Status)
	}
	if len(body.Notices) != 1 || body.Notices[0].Kind != "crisis" {
		t.Fatalf("notices %+v", body.Notices)
	}
	n := body.Notices[0]
	if len(n.Resources) == 0 || n.Resources[0].Phone != "116 123" || n.Resources[0].Region != "GB" || n.Emergency != "999 or 112" {
		t.Fatalf("UK author got resources %+v emergency %q", n.Resources, n.Emergency)
	}

	// A browser is shown the resources first, then its post.
	res = alice.postForm(fmt.Sprintf("/threads/%d/posts", id), url.Values{"body": {"I want to kill myself"}}).mustStatus(303)
	loc := res.Header.Get("Location")
	if !strings.HasPrefix(loc, "/crisis?") {
		t.Fatalf("redirect to %q, want the crisis page", loc)
	}
	page := alice.getHTML(loc).mustStatus(200)
	if !strings.Contains(page.body, "Continue to your post") || !strings.Contains(page.body, "911") && !strings.Contains(page.body, "findahelpline") {
		t.Fatalf("crisis page: %.800s", page.body)
	}
}

func TestPersonalDataConfirmation(t *testing.T) {
	ta, _ := setupForum(t)
	alice := ta.signIn("alice", "member")
	alice.do("POST", "/groups/type-2-diabetes/join", nil).mustStatus(200)
	res := alice.do("POST", "/groups/type-2-diabetes/threads", map[string]any{"title": "Contact", "body": "Ring me on 07700 900123"}).mustStatus(422)
	var e struct {
		Error apiError `json:"error"`
	}
	res.decode(&e)
	if e.Error.Code != "personal_data" || len(e.Error.Matches) != 1 || e.Error.Matches[0] != "phone" {
		t.Fatalf("error %+v", e.Error)
	}
	res = alice.do("POST", "/groups/type-2-diabetes/threads", map[string]any{"title": "Contact", "body": "Ring me on 07700 900123",
		"confirm_personal_data": true}).mustStatus(201)
	var created struct {
		Post    postJSON     `json:"post"`
		Notices []noticeJSON `json:"notices"`
	}
	res.decode(&created)
	if created.Post.Status != "held" || len(created.Notices) != 1 || created.Notices[0].Kind != "held" || created.Notices[0].Reason == "" {
		t.Fatalf("confirmed post in an open group: %+v %+v", created.Post.Status, created.Notices)
	}

	// The HTML form asks, keeps the draft, and goes through once confirmed.
	form := url.Values{"title": {"Contact again"}, "body": {"my email is me@example.org"}}
	page := alice.postForm("/groups/type-2-diabetes/threads", form).mustStatus(422)
	if !strings.Contains(page.body, `name="confirm_personal_data"`) || !strings.Contains(page.body, "me@example.org") {
		t.Fatalf("the form does not ask for confirmation with the draft kept: %.2000s", page.body)
	}
	form.Set("confirm_personal_data", "true")
	alice.postForm("/groups/type-2-diabetes/threads", form).mustStatus(303)
}

func TestCrisisPage(t *testing.T) {
	ta := newTestApp(t)
	c := ta.newClient()
	var cv struct {
		Region    string `json:"region"`
		Resources struct {
			Emergency string `json:"emergency"`
		} `json:"resources"`
		Regions []map[string]any `json:"regions"`
	}
	c.get("/crisis?region=US").mustStatus(200).decode(&cv)
	if cv.Region != "US" || cv.Resources.Emergency != "911" || len(cv.Regions) < 7 {
		t.Fatalf("crisis JSON %+v", cv)
	}
	page := c.getHTML("/crisis?continue=https://evil.example").mustStatus(200)
	if strings.Contains(page.body, "evil.example") {
		t.Fatal("the crisis page links to another site")
	}
	if !strings.Contains(c.getHTML("/").body, `href="/crisis"`) {
		t.Fatal("the footer does not link the crisis page")
	}
}
