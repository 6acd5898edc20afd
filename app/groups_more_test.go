package app

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// groupsMore is setupForum with moderators and a group with rules: mo moderates the
// open group, alice is a plain member of it, and "pain" is an open group with rules.
type groupsMore struct {
	ta                *testApp
	admin, mo, alice  *client
	moName, aliceName string
}

func setupGroupsMore(t *testing.T) *groupsMore {
	t.Helper()
	ta, admin := setupForum(t)
	g := &groupsMore{ta: ta, admin: admin, mo: ta.signIn("mo", "member"), alice: ta.signIn("alice", "member")}
	admin.do("POST", "/groups", map[string]any{"slug": "pain", "name": "Chronic pain", "visibility": "open",
		"rules": "1. Be **kind**.\n2. No medical advice."}).mustStatus(201)
	g.moName = joinAs(t, g.mo, "type-2-diabetes", nil)
	g.aliceName = joinAs(t, g.alice, "type-2-diabetes", nil)
	admin.do("POST", "/groups/type-2-diabetes/moderators", map[string]any{"pseudonym": g.moName, "role": "moderator"}).mustStatus(200)
	return g
}

// joinAs joins c to a group over JSON and returns the pseudonym.
func joinAs(t *testing.T, c *client, slug string, body any) string {
	t.Helper()
	j := c.do("POST", "/groups/"+slug+"/join", body).mustStatus(200).json()
	return j["membership"].(map[string]any)["pseudonym"].(string)
}

func TestGroupEditRoutes(t *testing.T) {
	g := setupGroupsMore(t)
	outsider := g.ta.signIn("olive", "member")

	t.Run("admin edits everything", func(t *testing.T) {
		j := g.admin.do("PATCH", "/groups/type-2-diabetes", map[string]any{"name": "T2D together", "rules": "Be **kind**",
			"visibility": "closed", "premoderate_first_posts": 2}).mustStatus(200).json()["group"].(map[string]any)
		if j["slug"] != "type-2-diabetes" || j["name"] != "T2D together" || j["visibility"] != "closed" ||
			j["premoderate_first_posts"] != 2.0 || !strings.Contains(j["rules_html"].(string), "<strong>kind</strong>") {
			t.Fatalf("edited group %v", j)
		}
		// Back to open for the rest of the test.
		g.admin.do("PATCH", "/groups/type-2-diabetes", map[string]any{"visibility": "open"}).mustStatus(200)
	})
	t.Run("moderator edits description and rules only", func(t *testing.T) {
		j := g.mo.do("PATCH", "/groups/type-2-diabetes", map[string]any{"description": "Moderated words"}).mustStatus(200).json()
		if got := j["group"].(map[string]any)["description"]; got != "Moderated words" {
			t.Fatalf("description %v", got)
		}
		for _, body := range []map[string]any{{"name": "Mine"}, {"visibility": "secret"}, {"premoderate_first_posts": 5}} {
			if res := g.mo.do("PATCH", "/groups/type-2-diabetes", body); res.StatusCode != 403 || res.errorCode() != "forbidden" {
				t.Fatalf("moderator sends %v: %d %s", body, res.StatusCode, res.body)
			}
		}
		html := g.mo.getHTML("/groups/type-2-diabetes/edit").mustStatus(200).body
		if !strings.Contains(html, `name="description"`) || !strings.Contains(html, `name="rules"`) || strings.Contains(html, `name="visibility"`) {
			t.Fatalf("moderator's form shows the wrong fields")
		}
		ev := g.mo.get("/groups/type-2-diabetes/edit").mustStatus(200).json()
		if fmt.Sprint(ev["editable"]) != "[description rules]" {
			t.Fatalf("editable %v", ev["editable"])
		}
		g.mo.postForm("/groups/type-2-diabetes/edit", url.Values{"rules": {"No *selling*."}}).mustStatus(303)
		page := g.ta.newClient().getHTML("/groups/type-2-diabetes").mustStatus(200).body
		if !strings.Contains(page, "No <em>selling</em>.") {
			t.Fatalf("group page does not show the rendered rules")
		}
		res := g.mo.postForm("/groups/type-2-diabetes/edit", url.Values{"description": {strings.Repeat("x", 2001)}}).mustStatus(422)
		if !strings.Contains(res.body, "use at most 2000 characters") {
			t.Fatalf("form error not shown")
		}
	})
	t.Run("member is forbidden, outsider of a secret group finds nothing", func(t *testing.T) {
		if res := g.alice.do("PATCH", "/groups/type-2-diabetes", map[string]any{"description": "x"}); res.StatusCode != 403 {
			t.Fatalf("member: %d", res.StatusCode)
		}
		g.alice.get("/groups/type-2-diabetes/edit").mustStatus(403)
		outsider.do("PATCH", "/groups/hidden", map[string]any{"description": "x"}).mustStatus(404)
		outsider.get("/groups/hidden/edit").mustStatus(404)
		c := g.ta.newClient()
		c.fetchCSRF()
		c.do("PATCH", "/groups/type-2-diabetes", map[string]any{"description": "x"}).mustStatus(401)
	})
	t.Run("slug is fixed", func(t *testing.T) {
		res := g.admin.do("PATCH", "/groups/type-2-diabetes", map[string]any{"slug": "other"}).mustStatus(422)
		if !strings.Contains(res.body, `"slug"`) {
			t.Fatalf("error %s", res.body)
		}
	})
	t.Run("admin list", func(t *testing.T) {
		var list struct {
			Groups []adminGroupJSON `json:"groups"`
		}
		res := g.admin.get("/admin/groups").mustStatus(200)
		res.decode(&list)
		if got, want := len(list.Groups), 4; got != want {
			t.Fatalf("%d groups, want %d (secret ones too)", got, want)
		}
		html := g.admin.getHTML("/admin/groups").mustStatus(200).body
		if !strings.Contains(html, `href="/groups/hidden/edit"`) {
			t.Fatalf("admin list has no edit links")
		}
		g.alice.get("/admin/groups").mustStatus(404)
		noUserIDs(t, res)
	})
}

func TestJoinRulesRoutes(t *testing.T) {
	g := setupGroupsMore(t)
	bob := g.ta.signIn("bob", "member")

	page := bob.getHTML("/groups/pain").mustStatus(200).body
	for _, want := range []string{"<strong>kind</strong>", `name="accept_rules" value="true" required`, "I have read and accept the rules"} {
		if !strings.Contains(page, want) {
			t.Fatalf("group page lacks %q", want)
		}
	}
	j := bob.get("/groups/pain").mustStatus(200).json()
	if !strings.Contains(j["rules_html"].(string), "<ol>") || j["rules"] == "" {
		t.Fatalf("rules in JSON: %v %v", j["rules"], j["rules_html"])
	}

	res := bob.do("POST", "/groups/pain/join", nil).mustStatus(422)
	var e struct {
		Error apiError `json:"error"`
	}
	res.decode(&e)
	if got, want := e.Error.Fields["accept_rules"], "Please read and accept the group's rules"; got != want {
		t.Fatalf("fields.accept_rules %q, want %q", got, want)
	}
	bob.do("POST", "/groups/pain/join", map[string]any{"accept_rules": false}).mustStatus(422)
	// A browser without the box ticked sees the page again, with the message.
	html := bob.postForm("/groups/pain/join", nil).mustStatus(422).body
	if !strings.Contains(html, "Please read and accept the group&#39;s rules") {
		t.Fatalf("form error not shown")
	}
	bob.postForm("/groups/pain/join", url.Values{"accept_rules": {"true"}}).mustStatus(303)
	bob.postForm("/groups/pain/leave", nil).mustStatus(303)
	// Rejoining asks again.
	bob.do("POST", "/groups/pain/join", nil).mustStatus(422)
	joinAs(t, bob, "pain", map[string]any{"accept_rules": true})
	// A group without rules needs nothing.
	joinAs(t, bob, "type-2-diabetes", nil)
}

func TestJoinRequestRoutes(t *testing.T) {
	g := setupGroupsMore(t)
	carol, dan, eve := g.ta.signIn("carol", "member"), g.ta.signIn("dan", "member"), g.ta.signIn("eve", "member")
	carolName := joinAs(t, carol, "carers", nil)
	danName := joinAs(t, dan, "carers", nil)

	var rv struct {
		Requests []map[string]any `json:"requests"`
	}
	res := g.admin.get("/groups/carers/requests").mustStatus(200)
	res.decode(&rv)
	if len(rv.Requests) != 2 || rv.Requests[0]["pseudonym"] != carolName || rv.Requests[1]["pseudonym"] != danName {
		t.Fatalf("requests %v", rv.Requests)
	}
	at, err := time.Parse(time.RFC3339, rv.Requests[0]["requested_at"].(string))
	if err != nil || !at.Equal(at.Truncate(24*time.Hour)) {
		t.Fatalf("requested_at %v (%v), want a day", rv.Requests[0]["requested_at"], err)
	}
	if !strings.Contains(g.admin.getHTML("/groups/carers/requests").mustStatus(200).body, "/requests/"+carolName+"/approve") {
		t.Fatal("requests page has no approve button")
	}

	// Only the group's moderators and admins.
	carol.get("/groups/carers/requests").mustStatus(403)
	eve.get("/groups/carers/requests").mustStatus(403)
	eve.get("/groups/hidden/requests").mustStatus(404)
	eve.do("POST", "/groups/carers/requests/"+carolName+"/approve", nil).mustStatus(403)

	count := func() float64 {
		return g.admin.get("/groups/carers").mustStatus(200).json()["group"].(map[string]any)["member_count"].(float64)
	}
	before := count()
	m := g.admin.do("POST", "/groups/carers/requests/"+carolName+"/approve", nil).mustStatus(200).json()["membership"].(map[string]any)
	if m["status"] != "active" || m["pseudonym"] != carolName || count() != before+1 {
		t.Fatalf("approved %v, count %v (was %v)", m, count(), before)
	}
	if !carol.get("/groups/carers").mustStatus(200).json()["can_read"].(bool) {
		t.Fatal("approved member cannot read")
	}
	g.admin.do("POST", "/groups/carers/requests/"+carolName+"/approve", nil).mustStatus(409)
	g.admin.do("POST", "/groups/carers/requests/NoSuchName11/deny", nil).mustStatus(404)

	g.admin.postForm("/groups/carers/requests/"+danName+"/deny", nil).mustStatus(303)
	mine := dan.get("/groups/carers").mustStatus(200).json()
	if mine["membership"].(map[string]any)["status"] != "denied" || !mine["can_join"].(bool) || count() != before+1 {
		t.Fatalf("after deny: %v", mine)
	}
	if !strings.Contains(dan.getHTML("/groups/carers").body, "not accepted this time") {
		t.Fatal("denied requester is not told")
	}
	// Asking again is allowed.
	again := dan.do("POST", "/groups/carers/join", nil).mustStatus(200).json()["membership"].(map[string]any)
	if again["status"] != "pending" || again["pseudonym"] != danName {
		t.Fatalf("asked again %v", again)
	}
	noUserIDs(t, res)
}

func TestInviteRoutes(t *testing.T) {
	g := setupGroupsMore(t)
	bob, carol := g.ta.signIn("bob", "member"), g.ta.signIn("carol", "member")
	g.admin.do("PATCH", "/groups/hidden", map[string]any{"rules": "Stay **gentle**."}).mustStatus(200)
	bob.get("/groups/hidden").mustStatus(404)

	var created struct {
		Invite inviteJSON `json:"invite"`
	}
	res := g.admin.do("POST", "/groups/hidden/invites", map[string]any{"max_uses": 2}).mustStatus(201)
	res.decode(&created)
	inv := created.Invite
	token := strings.TrimPrefix(inv.URL, "/invites/")
	if !regexp.MustCompile(`^[A-Za-z0-9_-]{43}$`).MatchString(token) || inv.UsesLeft != 2 ||
		inv.ExpiresAt.Sub(time.Now()) < 167*time.Hour || inv.ExpiresAt.Sub(time.Now()) > 169*time.Hour {
		t.Fatalf("invite %+v", inv)
	}
	g.admin.do("POST", "/groups/hidden/invites", map[string]any{"max_uses": 101, "expires_in_hours": 0}).mustStatus(422)

	// Anyone holding the link sees the group; a visitor is asked to sign in and come back.
	visitor := g.ta.newClient()
	view := visitor.get(inv.URL).mustStatus(200).json()
	if view["group"].(map[string]any)["name"] != "Hidden" || !strings.Contains(view["rules_html"].(string), "<strong>gentle</strong>") {
		t.Fatalf("invite page %v", view)
	}
	if html := visitor.getHTML(inv.URL).mustStatus(200).body; !strings.Contains(html, "/signin?next="+url.QueryEscape(inv.URL)) &&
		!strings.Contains(html, "/signin?next=%2finvites%2f"+token) {
		t.Fatal("visitor is not asked to sign in and come back")
	}
	html := bob.getHTML(inv.URL).mustStatus(200).body
	if !strings.Contains(html, `name="accept_rules"`) || !strings.Contains(html, `action="`+inv.URL+`"`) {
		t.Fatal("invite page has no join form with the rules box")
	}

	bob.do("POST", inv.URL, nil).mustStatus(422)
	j := bob.do("POST", inv.URL, map[string]any{"accept_rules": true}).mustStatus(200).json()
	if j["membership"].(map[string]any)["status"] != "active" {
		t.Fatalf("joined %v", j)
	}
	if !bob.get("/groups/hidden").mustStatus(200).json()["can_read"].(bool) {
		t.Fatal("invited member cannot read the secret group")
	}
	carol.postForm(inv.URL, url.Values{"accept_rules": {"true"}}).mustStatus(303)
	// Used up: a kind 404.
	dan := g.ta.signIn("dan", "member")
	r := dan.do("POST", inv.URL, map[string]any{"accept_rules": true}).mustStatus(404)
	if !strings.Contains(r.body, "no longer valid") {
		t.Fatalf("used-up link: %s", r.body)
	}
	if html := dan.getHTML(inv.URL).mustStatus(404).body; !strings.Contains(html, "no longer valid") {
		t.Fatal("used-up link page is not kind")
	}
	dan.get("/invites/not-a-token").mustStatus(404)

	// The list shows the links, never their tokens; revoking stops a link.
	var list struct {
		Invites []inviteJSON `json:"invites"`
	}
	lr := g.admin.get("/groups/hidden/invites").mustStatus(200)
	lr.decode(&list)
	if len(list.Invites) != 1 || list.Invites[0].Status != "used_up" || list.Invites[0].URL != "" || strings.Contains(lr.body, token) {
		t.Fatalf("invites %s", lr.body)
	}
	res = g.admin.postForm("/groups/hidden/invites", url.Values{"max_uses": {"5"}, "expires_in_hours": {"24"}}).mustStatus(201)
	m := regexp.MustCompile(`/invites/([A-Za-z0-9_-]{43})`).FindStringSubmatch(res.body)
	if m == nil {
		t.Fatal("the new link is not shown on the page")
	}
	var fresh struct {
		Invites []inviteJSON `json:"invites"`
	}
	g.admin.get("/groups/hidden/invites").mustStatus(200).decode(&fresh)
	bob.do("POST", fmt.Sprintf("/groups/hidden/invites/%d/revoke", fresh.Invites[0].ID), nil).mustStatus(403)
	dan.do("POST", fmt.Sprintf("/groups/hidden/invites/%d/revoke", fresh.Invites[0].ID), nil).mustStatus(404)
	rv := g.admin.do("POST", fmt.Sprintf("/groups/hidden/invites/%d/revoke", fresh.Invites[0].ID), nil).mustStatus(200).json()
	if rv["invite"].(map[string]any)["status"] != "revoked" {
		t.Fatalf("revoked %v", rv)
	}
	dan.do("POST", "/invites/"+m[1], map[string]any{"accept_rules": true}).mustStatus(404)

	// Expired links are refused too.
	var exp struct {
		Invite inviteJSON `json:"invite"`
	}
	g.admin.do("POST", "/groups/carers/invites", map[string]any{"expires_in_hours": 1}).mustStatus(201).decode(&exp)
	g.ta.store.SetClock(func() time.Time { return time.Now().Add(2 * time.Hour) })
	dan.do("POST", exp.Invite.URL, nil).mustStatus(404)
	g.ta.store.SetClock(func() time.Time { return time.Now().UTC().Round(time.Microsecond) })
	// A closed group's link skips the request.
	jj := dan.do("POST", exp.Invite.URL, nil).mustStatus(200).json()
	if jj["membership"].(map[string]any)["status"] != "active" {
		t.Fatalf("closed group through a link %v", jj)
	}
	// Members may not make links.
	bob.do("POST", "/groups/hidden/invites", nil).mustStatus(403)
	noUserIDs(t, res, lr, r)
}

func TestMemberPageRoutes(t *testing.T) {
	g := setupGroupsMore(t)
	doc := g.ta.signIn("dr-lee", "clinician")
	docName := joinAs(t, doc, "type-2-diabetes", nil)
	joinAs(t, g.alice, "pain", map[string]any{"accept_rules": true})

	var th struct {
		Thread threadJSON `json:"thread"`
	}
	g.alice.do("POST", "/groups/type-2-diabetes/threads", map[string]any{"title": "Tired after lunch",
		"body": "Is this **normal**? See [my notes](/crisis) and\n\n- one\n- two"}).mustStatus(201).decode(&th)
	posts := fmt.Sprintf("/threads/%d/posts", th.Thread.ID)
	g.alice.do("POST", posts, map[string]any{"body": "Also, " + strings.Repeat("long words here ", 30)}).mustStatus(201)
	doc.do("POST", posts, map[string]any{"body": "As a member: me too."}).mustStatus(201)
	// Held for review (a new member's link): not on the member page.
	g.alice.do("POST", posts, map[string]any{"body": "Held: https://example.org/x"}).mustStatus(201)
	doc.do("POST", posts, map[string]any{"body": "As a clinician: see your GP.", "as_clinician": true}).mustStatus(201)
	g.alice.do("POST", "/groups/pain/threads", map[string]any{"title": "Elsewhere", "body": "In another group"}).mustStatus(201)

	var mv struct {
		Member memberJSON       `json:"member"`
		Posts  []memberPostJSON `json:"posts"`
		Page   pageJSON         `json:"page"`
	}
	res := g.ta.newClient().get("/groups/type-2-diabetes/members/" + g.aliceName).mustStatus(200)
	res.decode(&mv)
	if mv.Member.Pseudonym != g.aliceName || mv.Member.PostCount != 2 || len(mv.Posts) != 2 ||
		!regexp.MustCompile(`^\d{4}-\d{2}$`).MatchString(mv.Member.JoinedAt) || mv.Member.Badge != nil {
		t.Fatalf("member page %+v", mv)
	}
	if mv.Posts[0].Thread.Title != "Tired after lunch" || !strings.HasPrefix(mv.Posts[0].Excerpt, "Also, long words") ||
		!strings.HasSuffix(mv.Posts[0].Excerpt, "…") || len([]rune(mv.Posts[0].Excerpt)) > 201 {
		t.Fatalf("newest post %+v", mv.Posts[0])
	}
	if got, want := mv.Posts[1].Excerpt, "Is this normal? See my notes and one two"; got != want {
		t.Fatalf("excerpt %q, want %q", got, want)
	}
	if !strings.Contains(res.body, `"joined_at"`) || strings.Contains(res.body, "Elsewhere") || strings.Contains(res.body, "Held:") {
		t.Fatalf("member page %s", res.body)
	}

	// The clinician's member page holds their member post only, never the clinician voice.
	var dv struct {
		Member memberJSON       `json:"member"`
		Posts  []memberPostJSON `json:"posts"`
	}
	dres := g.alice.get("/groups/type-2-diabetes/members/" + docName).mustStatus(200)
	dres.decode(&dv)
	if dv.Member.PostCount != 1 || len(dv.Posts) != 1 || strings.Contains(dres.body, "see your GP") {
		t.Fatalf("clinician's member page %s", dres.body)
	}
	var mod struct {
		Member memberJSON `json:"member"`
	}
	g.alice.get("/groups/type-2-diabetes/members/" + g.moName).mustStatus(200).decode(&mod)
	if mod.Member.Badge == nil || *mod.Member.Badge != "moderator" {
		t.Fatalf("moderator badge %+v", mod.Member)
	}

	// Unreadable groups and unknown pseudonyms are 404; a pending request has no page.
	outsider := g.ta.signIn("olive", "member")
	outsiderName := joinAs(t, outsider, "carers", nil)
	outsider.get("/groups/carers/members/" + outsiderName).mustStatus(404)
	g.alice.get("/groups/carers/members/" + outsiderName).mustStatus(404)
	g.admin.get("/groups/carers/members/" + outsiderName).mustStatus(404)
	outsider.get("/groups/hidden/members/anyone").mustStatus(404)
	g.alice.get("/groups/type-2-diabetes/members/NoSuchName12").mustStatus(404)
	g.alice.get("/groups/pain/members/" + g.aliceName).mustStatus(404)

	// Pseudonyms link to member pages on the thread and group pages.
	link := `href="/groups/type-2-diabetes/members/` + g.aliceName + `"`
	if !strings.Contains(g.alice.getHTML(fmt.Sprintf("/threads/%d", th.Thread.ID)).body, link) ||
		!strings.Contains(g.alice.getHTML("/groups/type-2-diabetes").body, link) {
		t.Fatal("pseudonyms do not link to member pages")
	}
	if html := g.alice.getHTML("/groups/type-2-diabetes/members/" + g.aliceName).mustStatus(200).body; !strings.Contains(html, "Tired after lunch") {
		t.Fatal("member page HTML lacks the thread")
	}
	noUserIDs(t, res, dres)
}

func TestMuteRoutes(t *testing.T) {
	g := setupGroupsMore(t)
	bob, carol := g.ta.signIn("bob", "member"), g.ta.signIn("carol", "member")
	bobName := joinAs(t, bob, "type-2-diabetes", nil)
	joinAs(t, carol, "type-2-diabetes", nil)
	var th struct {
		Thread threadJSON `json:"thread"`
	}
	g.alice.do("POST", "/groups/type-2-diabetes/threads", map[string]any{"title": "Morning numbers", "body": "Mine are high."}).
		mustStatus(201).decode(&th)
	path := fmt.Sprintf("/threads/%d", th.Thread.ID)
	bob.do("POST", path+"/posts", map[string]any{"body": "Mine too."}).mustStatus(201)

	muted := func(c *client) []bool {
		var tv struct {
			Posts []postJSON `json:"posts"`
		}
		c.get(path).mustStatus(200).decode(&tv)
		out := make([]bool, len(tv.Posts))
		for i, p := range tv.Posts {
			out[i] = p.Muted
		}
		return out
	}
	memberPath := "/groups/type-2-diabetes/members/" + g.aliceName
	j := bob.do("POST", memberPath+"/mute", nil).mustStatus(200).json()
	if j["muted"] != true || j["pseudonym"] != g.aliceName {
		t.Fatalf("mute %v", j)
	}
	bob.do("POST", memberPath+"/mute", nil).mustStatus(200)
	if got := fmt.Sprint(muted(bob)); got != "[true false]" {
		t.Fatalf("bob sees muted %s, want [true false]", got)
	}
	for name, c := range map[string]*client{"alice": g.alice, "carol": carol, "visitor": g.ta.newClient()} {
		if got := fmt.Sprint(muted(c)); got != "[false false]" {
			t.Fatalf("%s sees muted %s", name, got)
		}
	}
	if html := bob.getHTML(path).body; !strings.Contains(html, "Post from a member you muted") || !strings.Contains(html, "<details class=\"cw muted-post\">") {
		t.Fatal("muted post is not folded for bob")
	}
	if html := g.alice.getHTML(path).body; strings.Contains(html, "you muted") {
		t.Fatal("alice's page mentions muting")
	}
	var mv struct {
		Muted   bool `json:"muted"`
		CanMute bool `json:"can_mute"`
	}
	bob.get(memberPath).mustStatus(200).decode(&mv)
	if !mv.Muted || !mv.CanMute {
		t.Fatalf("bob's view of alice %+v", mv)
	}
	// Muting is invisible to the muted member.
	g.alice.get(memberPath).mustStatus(200).decode(&mv)
	if mv.Muted || mv.CanMute {
		t.Fatalf("alice's view of herself %+v", mv)
	}
	g.alice.get("/groups/type-2-diabetes/members/" + bobName).mustStatus(200).decode(&mv)
	if mv.Muted {
		t.Fatal("alice sees a mute")
	}

	// Muting oneself is 422; outsiders and visitors cannot mute.
	res := g.alice.do("POST", memberPath+"/mute", nil).mustStatus(422)
	if !strings.Contains(res.body, "You cannot mute yourself") {
		t.Fatalf("self mute %s", res.body)
	}
	stranger := g.ta.signIn("stranger", "member")
	stranger.do("POST", memberPath+"/mute", nil).mustStatus(403)
	stranger.do("POST", "/groups/hidden/members/"+g.aliceName+"/mute", nil).mustStatus(404)
	v := g.ta.newClient()
	v.fetchCSRF()
	v.do("POST", memberPath+"/mute", nil).mustStatus(401)

	bob.postForm(memberPath+"/unmute", nil).mustStatus(303)
	if got := fmt.Sprint(muted(bob)); got != "[false false]" {
		t.Fatalf("after unmute bob sees %s", got)
	}
}
