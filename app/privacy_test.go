package app

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// privacySetup: alice in two open groups, with a thread in the first that bob replied to.
func privacySetup(t *testing.T) (ta *testApp, admin, alice, bob *client, threadID int64, pa string) {
	t.Helper()
	ta, admin = setupForum(t)
	admin.do("POST", "/groups", map[string]any{"slug": "grief", "name": "Grief", "visibility": "open"}).mustStatus(201)
	alice, bob = ta.signIn("alice", "member"), ta.signIn("bob", "member")
	pa = alice.do("POST", "/groups/type-2-diabetes/join", nil).mustStatus(200).json()["membership"].(map[string]any)["pseudonym"].(string)
	alice.do("POST", "/groups/grief/join", nil).mustStatus(200)
	bob.do("POST", "/groups/type-2-diabetes/join", nil).mustStatus(200)
	var created struct {
		Thread threadJSON `json:"thread"`
	}
	alice.do("POST", "/groups/type-2-diabetes/threads", map[string]any{"title": "Marigold walks", "body": "Walking after meals helps me"}).
		mustStatus(201).decode(&created)
	bob.do("POST", fmt.Sprintf("/threads/%d/posts", created.Thread.ID), map[string]any{"body": "Same for me"}).mustStatus(201)
	return ta, admin, alice, bob, created.Thread.ID, pa
}

func TestExportDownload(t *testing.T) {
	ta, _, alice, _, _, pa := privacySetup(t)
	res := alice.get("/me/export").mustStatus(200)
	if cd := res.Header.Get("Content-Disposition"); !strings.HasPrefix(cd, "attachment;") || !strings.Contains(cd, ".json") {
		t.Fatalf("Content-Disposition = %q, want a JSON attachment", cd)
	}
	if userIDPattern.MatchString(res.body) {
		t.Fatalf("export names a user id or identity: %.400s", res.body)
	}
	var x exportJSON
	res.decode(&x)
	if got, want := len(x.Memberships), 2; got != want {
		t.Fatalf("memberships = %d, want %d", got, want)
	}
	if x.Memberships[0].Pseudonym != pa || x.Memberships[0].Group.Slug != "type-2-diabetes" {
		t.Fatalf("first membership = %+v", x.Memberships[0])
	}
	if len(x.Posts) != 1 || x.Posts[0].Body != "Walking after meals helps me" || x.Posts[0].Thread.Title != "Marigold walks" {
		t.Fatalf("posts = %+v", x.Posts)
	}
	if len(x.Notifications) != 1 || len(x.Follows) != 1 || len(x.Account.SignIns) != 1 {
		t.Fatalf("notifications %d, follows %d, sign-ins %d", len(x.Notifications), len(x.Follows), len(x.Account.SignIns))
	}
	// A browser downloads the same file from the account page's link.
	page := alice.getHTML("/me").mustStatus(200)
	if !strings.Contains(page.body, `href="/me/export"`) || !strings.Contains(page.body, `action="/me/delete"`) {
		t.Fatal("the account page links neither the export nor the deletion form")
	}
	if res := alice.getHTML("/me/export").mustStatus(200); !strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		t.Fatalf("browser export Content-Type = %q", res.Header.Get("Content-Type"))
	}
	ta.newClient().get("/me/export").mustStatus(401)
}

func TestDeleteAccount(t *testing.T) {
	for _, choice := range []string{"keep", "remove"} {
		t.Run(choice, func(t *testing.T) {
			ta, _, alice, bob, tid, pa := privacySetup(t)
			// Refusals change nothing.
			cases := []struct {
				body  map[string]any
				field string
			}{
				{map[string]any{"posts": choice}, "confirm"},
				{map[string]any{"confirm": "yes", "posts": choice}, "confirm"},
				{map[string]any{"confirm": "DELETE"}, "posts"},
			}
			for _, tc := range cases {
				res := alice.do("POST", "/me/delete", tc.body).mustStatus(422)
				if !strings.Contains(res.body, `"`+tc.field+`"`) {
					t.Fatalf("%v: %s, want fields.%s", tc.body, res.body, tc.field)
				}
			}
			noCSRF := *alice
			noCSRF.csrf = ""
			noCSRF.do("POST", "/me/delete", map[string]any{"confirm": "DELETE", "posts": choice}).mustStatus(403)
			// A browser gets the form back with the choice kept.
			page := alice.postForm("/me/delete", url.Values{"posts": {choice}}).mustStatus(422)
			if !strings.Contains(page.body, "type DELETE") || !strings.Contains(page.body, `value="`+choice+`" checked`) {
				t.Fatalf("form not re-rendered with the error and choice: %.300s", page.body)
			}
			alice.get("/me").mustStatus(200)

			res := alice.do("POST", "/me/delete", map[string]any{"confirm": "DELETE", "posts": choice}).mustStatus(200).json()
			if res["deleted"] != true || res["memberships"] != float64(2) {
				t.Fatalf("delete answered %v", res)
			}
			// The session is over, even with the old cookie.
			alice.get("/me").mustStatus(401)

			tp := bob.get(fmt.Sprintf("/threads/%d", tid)).mustStatus(200)
			if strings.Contains(tp.body, pa) {
				t.Fatal("the thread page still names the erased pseudonym")
			}
			var tv struct {
				Thread threadJSON `json:"thread"`
				Posts  []postJSON `json:"posts"`
			}
			tp.decode(&tv)
			if got := *tv.Thread.Author.Pseudonym; got != "former member" {
				t.Fatalf("thread author = %q, want former member", got)
			}
			if got := *tv.Posts[0].Author.Pseudonym; got != "former member" {
				t.Fatalf("post author = %q, want former member", got)
			}
			if choice == "keep" && !strings.Contains(tv.Posts[0].BodyHTML, "Walking after meals") {
				t.Fatalf("kept post body = %q", tv.Posts[0].BodyHTML)
			}
			if choice == "remove" && (tv.Posts[0].Status != "deleted" || tv.Posts[0].BodyHTML != "") {
				t.Fatalf("removed post = %+v", tv.Posts[0])
			}
			if html := bob.getHTML(fmt.Sprintf("/threads/%d", tid)).mustStatus(200).body; !strings.Contains(html, "former member") {
				t.Fatal("the page does not say former member")
			}
			// The member page of the old pseudonym is gone.
			bob.get("/groups/type-2-diabetes/members/" + pa).mustStatus(404)
			// Signing in again starts afresh.
			again := ta.signIn("alice", "member")
			if ms := again.get("/me").mustStatus(200).json()["memberships"].([]any); len(ms) != 0 {
				t.Fatalf("a new sign-in found %d old memberships", len(ms))
			}
		})
	}
}

func TestDeleteAccountFromBrowser(t *testing.T) {
	_, _, alice, _, _, _ := privacySetup(t)
	res := alice.postForm("/me/delete", url.Values{"confirm": {"DELETE"}, "posts": {"keep"}}).mustStatus(303)
	if loc := res.Header.Get("Location"); loc != "/" {
		t.Fatalf("redirect to %q, want /", loc)
	}
	alice.getHTML("/me").mustStatus(303)
}

func TestMemorialiseAccount(t *testing.T) {
	_, admin, alice, bob, tid, pa := privacySetup(t)
	body := map[string]any{"group": "type-2-diabetes", "pseudonym": pa, "reason": "her daughter asked"}
	bob.do("POST", "/admin/users/memorialise", body).mustStatus(404)
	bob.get("/admin/users/memorialise").mustStatus(404)
	admin.do("POST", "/admin/users/memorialise", map[string]any{"group": "type-2-diabetes", "pseudonym": pa}).mustStatus(422)
	admin.getHTML("/admin/users/memorialise").mustStatus(200)
	if page := admin.postForm("/admin/users/memorialise", url.Values{"group": {"type-2-diabetes"}, "pseudonym": {pa}}).mustStatus(422); !strings.Contains(page.body, "say why") || !strings.Contains(page.body, pa) {
		t.Fatal("the form did not come back with the reason's error and what was typed")
	}

	res := admin.do("POST", "/admin/users/memorialise", body).mustStatus(200)
	if userIDPattern.MatchString(res.body) {
		t.Fatalf("answer names a user id: %s", res.body)
	}
	if got := res.json()["account"].(map[string]any)["status"]; got != "memorial" {
		t.Fatalf("status = %v, want memorial", got)
	}
	admin.do("POST", "/admin/users/memorialise", body).mustStatus(409)

	// Readers see the marker, in JSON and on the page.
	var tv struct {
		Thread threadJSON `json:"thread"`
		Posts  []postJSON `json:"posts"`
	}
	bob.get(fmt.Sprintf("/threads/%d", tid)).mustStatus(200).decode(&tv)
	if !tv.Thread.Author.InMemory || !tv.Posts[0].Author.InMemory || tv.Posts[1].Author.InMemory {
		t.Fatalf("in_memory: thread %v, post %v, bob's reply %v", tv.Thread.Author.InMemory, tv.Posts[0].Author.InMemory, tv.Posts[1].Author.InMemory)
	}
	if html := bob.getHTML(fmt.Sprintf("/threads/%d", tid)).body; !strings.Contains(html, "in memory") {
		t.Fatal("the thread page has no in-memory marker")
	}
	if m := bob.get("/groups/type-2-diabetes/members/" + pa).mustStatus(200).json()["member"].(map[string]any); m["in_memory"] != true {
		t.Fatalf("member page: %v", m)
	}
	// The account is read-only, but can still read and sign out.
	alice.get(fmt.Sprintf("/threads/%d", tid)).mustStatus(200)
	alice.get("/me/export").mustStatus(200)
	for _, path := range []string{fmt.Sprintf("/threads/%d/posts", tid), "/groups/hidden/join", "/me/delete", "/groups/grief/leave"} {
		if res := alice.do("POST", path, map[string]any{"body": "hi", "confirm": "DELETE", "posts": "keep"}); res.StatusCode != 403 {
			t.Fatalf("POST %s from a memorialised account: %d, want 403", path, res.StatusCode)
		}
	}
	alice.do("POST", "/auth/logout", nil).mustStatus(204)

	// Undo.
	body["undo"] = true
	if got := admin.do("POST", "/admin/users/memorialise", body).mustStatus(200).json()["account"].(map[string]any)["status"]; got != "active" {
		t.Fatalf("undo status = %v", got)
	}
}
