package app

import (
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"haven/models"
)

func goodApplication() map[string]any {
	return map[string]any{"display_name": "Dr. Sam Lee", "credential": "MD", "specialty": "Endocrinology",
		"jurisdiction": "Ontario", "license_number": "CPSO-99881"}
}

func TestClinicianApplyHTTP(t *testing.T) {
	ta := newTestApp(t)
	alice := ta.signIn("alice", "member")
	tests := []struct {
		name  string
		edit  func(map[string]any)
		field string
	}{
		{"missing name", func(m map[string]any) { delete(m, "display_name") }, "display_name"},
		{"missing licence", func(m map[string]any) { m["license_number"] = "" }, "license_number"},
		{"absurd specialty", func(m map[string]any) { m["specialty"] = strings.Repeat("s", 10000) }, "specialty"},
		{"absurd jurisdiction", func(m map[string]any) { m["jurisdiction"] = strings.Repeat("j", 121) }, "jurisdiction"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := goodApplication()
			tt.edit(in)
			res := alice.do("POST", "/clinicians/apply", in).mustStatus(422)
			var e struct {
				Error apiError `json:"error"`
			}
			res.decode(&e)
			if e.Error.Fields[tt.field] == "" {
				t.Fatalf("no message for %s: %s", tt.field, res.body)
			}
			if got := alice.get("/clinicians/apply").mustStatus(200).json()["clinician"]; got != nil {
				t.Fatalf("something was stored: %v", got)
			}
		})
	}
	// A browser's bad form comes back with messages, without echoing the licence.
	form := url.Values{"display_name": {"Dr. Sam Lee"}, "credential": {"MD"}, "specialty": {""},
		"jurisdiction": {"Ontario"}, "license_number": {"SECRET-LIC-1"}}
	res := alice.postForm("/clinicians/apply", form).mustStatus(422)
	if !strings.Contains(res.body, "a specialty is required") || strings.Contains(res.body, "SECRET-LIC-1") {
		t.Fatalf("form page: %.2000s", res.body)
	}
	alice.do("POST", "/clinicians/apply", goodApplication()).mustStatus(201)
	mine := alice.get("/clinicians/apply").mustStatus(200)
	if !strings.Contains(mine.body, `"status":"pending"`) || strings.Contains(mine.body, "CPSO-99881") {
		t.Fatalf("own application: %s", mine.body)
	}
	alice.do("POST", "/clinicians/apply", goodApplication()).mustStatus(409)
	alice.getHTML("/clinicians/apply").mustStatus(200)
}

func TestAdminVerifiesClinicians(t *testing.T) {
	ta := newTestApp(t)
	admin := ta.signIn("root", "admin")
	alice := ta.signIn("alice", "member")
	alice.do("POST", "/clinicians/apply", goodApplication()).mustStatus(201)

	alice.get("/admin/clinicians").mustStatus(404)
	ta.signIn("dr-x", "clinician").get("/admin/clinicians").mustStatus(404)
	res := admin.get("/admin/clinicians?status=pending").mustStatus(200)
	var list struct {
		Applications []applicationJSON `json:"applications"`
	}
	res.decode(&list)
	if len(list.Applications) != 1 || list.Applications[0].LicenseNumber != "CPSO-99881" {
		t.Fatalf("pending list: %s", res.body)
	}
	if userIDPattern.MatchString(res.body) {
		t.Fatalf("verification list shows a user id: %s", res.body)
	}
	admin.getHTML("/admin/clinicians").mustStatus(200)
	admin.get("/admin/clinicians?status=bogus").mustStatus(422)
	id := list.Applications[0].ID

	// A bad decision: 422, nothing changes.
	admin.do("POST", fmt.Sprintf("/admin/clinicians/%d/decision", id), map[string]any{"decision": "verify"}).mustStatus(422)
	page := admin.postForm(fmt.Sprintf("/admin/clinicians/%d/decision", id), url.Values{"decision": {"verify"}, "expires_at": {"1999-01-01"}}).mustStatus(422)
	if !strings.Contains(page.body, "choose a date in the future") {
		t.Fatalf("decision form: %.1500s", page.body)
	}
	alice.post403AsClinician(t)

	expires := time.Now().AddDate(1, 0, 0).Format("2006-01-02")
	res = admin.do("POST", fmt.Sprintf("/admin/clinicians/%d/decision", id),
		map[string]any{"decision": "verify", "expires_at": expires, "notes": "register checked"}).mustStatus(200)
	if !strings.Contains(res.body, `"status":"verified"`) || !strings.Contains(res.body, "register checked") {
		t.Fatalf("decision: %s", res.body)
	}
	me := alice.get("/me").mustStatus(200).json()
	if me["role"] != "clinician" || me["clinician"].(map[string]any)["status"] != "verified" {
		t.Fatalf("me after verification: %v", me)
	}
	if strings.Contains(alice.get("/me").body, "CPSO-99881") {
		t.Fatalf("licence number shown to its owner's account page")
	}
	// Every decision is audited.
	entries, err := ta.store.AuditLog(t.Context(), adminViewer(t, ta, "root"), 50)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range entries {
		found = found || (e.Action == "clinician.verify" && e.TargetType == "clinician" && e.TargetID == id)
	}
	if !found {
		t.Fatalf("no audit entry for the verification")
	}
	// Reject by form: 303 back to the list.
	admin.postForm(fmt.Sprintf("/admin/clinicians/%d/decision", id), url.Values{"decision": {"reject"}, "notes": {"licence lapsed"}, "status": {"verified"}}).mustStatus(303)
	if got := admin.get("/admin/clinicians?status=rejected").body; !strings.Contains(got, "licence lapsed") {
		t.Fatalf("rejected list: %s", got)
	}
}

// post403AsClinician checks that the client, not a verified clinician, cannot post as
// clinician: it opens a group and a question to try.
func (c *client) post403AsClinician(t *testing.T) {
	t.Helper()
	slug := fmt.Sprintf("g%d", time.Now().UnixNano())
	admin := c.app.signIn("root-helper", "admin")
	admin.do("POST", "/groups", map[string]any{"slug": slug, "name": "Group " + slug, "visibility": "open"}).mustStatus(201)
	c.do("POST", "/groups/"+slug+"/join", nil).mustStatus(200)
	th := c.do("POST", "/groups/"+slug+"/threads", map[string]any{"title": "A question", "body": "?", "kind": "question"}).mustStatus(201).json()
	tid := int64(th["thread"].(map[string]any)["id"].(float64))
	res := c.do("POST", fmt.Sprintf("/threads/%d/posts", tid), map[string]any{"body": "as a doctor", "as_clinician": true}).mustStatus(403)
	if res.errorCode() != "forbidden" {
		t.Fatalf("error %s", res.body)
	}
}

func adminViewer(t *testing.T, ta *testApp, name string) *models.Viewer {
	t.Helper()
	u, err := ta.store.LocalSignIn(t.Context(), name, models.RoleAdmin)
	if err != nil {
		t.Fatal(err)
	}
	v, err := ta.store.ViewerByID(t.Context(), u.ID)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// twoVoices is a group where dr-lee is a member under a pseudonym and also answers as
// clinician.
type twoVoices struct {
	ta                *testApp
	admin, asker, doc *client
	docPseudonym      string
	threadID          int64
	clinicianPost     int64
	pseudonymPost     int64
}

func newTwoVoices(t *testing.T) *twoVoices {
	t.Helper()
	ta := newTestApp(t)
	f := &twoVoices{ta: ta, admin: ta.signIn("root", "admin"), asker: ta.signIn("asker", "member"), doc: ta.signIn("dr-lee", "clinician")}
	f.admin.do("POST", "/groups", map[string]any{"slug": "diabetes", "name": "Diabetes", "visibility": "open"}).mustStatus(201)
	f.asker.do("POST", "/groups/diabetes/join", nil).mustStatus(200)
	m := f.doc.do("POST", "/groups/diabetes/join", nil).mustStatus(200).json()["membership"].(map[string]any)
	f.docPseudonym = m["pseudonym"].(string)
	th := f.asker.do("POST", "/groups/diabetes/threads", map[string]any{"title": "Metformin and nausea", "body": "Is it normal?", "kind": "question"}).mustStatus(201).json()
	f.threadID = int64(th["thread"].(map[string]any)["id"].(float64))
	f.asker.do("POST", fmt.Sprintf("/threads/%d/follow", f.threadID), nil)
	p := f.doc.do("POST", fmt.Sprintf("/threads/%d/posts", f.threadID), map[string]any{"body": "Common at first; take it with food.", "as_clinician": true}).mustStatus(201).json()
	f.clinicianPost = int64(p["post"].(map[string]any)["id"].(float64))
	p = f.doc.do("POST", fmt.Sprintf("/threads/%d/posts", f.threadID), map[string]any{"body": "Speaking as a patient myself, it passed.", "as_clinician": false}).mustStatus(201).json()
	f.pseudonymPost = int64(p["post"].(map[string]any)["id"].(float64))
	return f
}

// article returns the HTML of one post's article on a page.
func article(t *testing.T, page string, postID int64) string {
	t.Helper()
	re := regexp.MustCompile(fmt.Sprintf(`(?s)<article id="post-%d".*?</article>`, postID))
	a := re.FindString(page)
	if a == "" {
		t.Fatalf("no article for post %d", postID)
	}
	return a
}

func TestTwoVoicesAreNotLinked(t *testing.T) {
	f := newTwoVoices(t)
	const display = "Dr. Lee"
	reader := f.ta.signIn("reader", "member")
	reader.do("POST", "/groups/diabetes/join", nil).mustStatus(200)
	for _, c := range []*client{reader, f.ta.newClient(), f.asker} {
		res := c.get(fmt.Sprintf("/threads/%d", f.threadID)).mustStatus(200)
		var tv struct {
			Posts []map[string]any `json:"posts"`
		}
		res.decode(&tv)
		for _, p := range tv.Posts {
			id := int64(p["id"].(float64))
			author := p["author"].(map[string]any)
			js := fmt.Sprint(p)
			switch id {
			case f.clinicianPost:
				if author["pseudonym"] != nil || author["badge"] != "clinician" || author["display_name"] != display ||
					author["credential"] != "MD" || strings.Contains(js, f.docPseudonym) {
					t.Fatalf("clinician-voice post reveals or lacks: %v", p)
				}
			case f.pseudonymPost:
				if author["pseudonym"] != f.docPseudonym || strings.Contains(js, display) || author["badge"] != nil {
					t.Fatalf("pseudonym post links the clinician: %v", p)
				}
			}
		}
		if userIDPattern.MatchString(res.body) {
			t.Fatalf("thread payload has a user id: %s", res.body)
		}
		page := c.getHTML(fmt.Sprintf("/threads/%d", f.threadID)).mustStatus(200).body
		ca, pa := article(t, page, f.clinicianPost), article(t, page, f.pseudonymPost)
		if strings.Contains(ca, f.docPseudonym) || !strings.Contains(ca, display) ||
			!strings.Contains(ca, "not a diagnosis") || !strings.Contains(ca, "Verified clinician") || !strings.Contains(ca, "Endocrinology") && !strings.Contains(ca, "General practice") {
			t.Fatalf("clinician article: %s", ca)
		}
		if strings.Contains(pa, display) || strings.Contains(pa, "Verified clinician") || strings.Contains(pa, "not a diagnosis") {
			t.Fatalf("pseudonym article: %s", pa)
		}
	}
	// The pseudonym's member page does not list the clinician-voice post or name.
	mp := reader.get("/groups/diabetes/members/" + url.PathEscape(f.docPseudonym)).mustStatus(200)
	if strings.Contains(mp.body, display) || strings.Contains(mp.body, "take it with food") {
		t.Fatalf("member page links the voices: %s", mp.body)
	}
	if !strings.Contains(mp.body, "it passed") {
		t.Fatalf("member page lacks the pseudonym's own post: %s", mp.body)
	}
	// The asker's notifications name the clinician by display name, never the pseudonym
	// with it.
	ns := f.asker.get("/notifications").mustStatus(200).body
	if strings.Contains(ns, display) && strings.Contains(ns, f.docPseudonym) {
		for _, line := range strings.Split(ns, "},{") {
			if strings.Contains(line, display) && strings.Contains(line, f.docPseudonym) {
				t.Fatalf("a notification links the voices: %s", line)
			}
		}
	}
	// A quote of the clinician post attributes it to the display name only.
	q := reader.get(fmt.Sprintf("/threads/%d?quote=%d", f.threadID, f.clinicianPost)).mustStatus(200).json()["quote"].(map[string]any)
	if body := q["body"].(string); strings.Contains(body, f.docPseudonym) || !strings.Contains(body, display) {
		t.Fatalf("quote: %s", body)
	}
	// The question is marked answered by a clinician in the group's list.
	g := reader.get("/groups/diabetes").mustStatus(200).body
	if !strings.Contains(g, `"clinician_answered":true`) {
		t.Fatalf("group list: %s", g)
	}
	if !strings.Contains(reader.getHTML("/groups/diabetes").body, "clinician answered") {
		t.Fatalf("group page lacks the clinician-answered marker")
	}
}

func TestClinicianVoiceRefusals(t *testing.T) {
	f := newTwoVoices(t)
	// A member who is no clinician: 403.
	f.asker.do("POST", fmt.Sprintf("/threads/%d/posts", f.threadID), map[string]any{"body": "x", "as_clinician": true}).mustStatus(403)
	// A lapsed clinician: 403 with a link to re-verify, and the header asks them to.
	ctx := t.Context()
	u, _ := f.ta.store.LocalSignIn(ctx, "dr-lee", models.RoleClinician)
	v, _ := f.ta.store.ViewerByID(ctx, u.ID)
	past := time.Now().Add(-time.Hour).UTC().Format(time.RFC3339)
	admin := adminViewer(t, f.ta, "root")
	// Expire it through the store's own decision path: verify until a past date is
	// refused, so move the clock instead.
	if _, err := f.ta.store.DecideClinician(ctx, admin, v.Clinician.ID, models.DecisionInput{Decision: models.DecisionVerify, ExpiresAt: past}); err == nil {
		t.Fatalf("verified until a past date")
	}
	lapseClinician(t, f.ta, v.Clinician.ID)
	res := f.doc.do("POST", fmt.Sprintf("/threads/%d/posts", f.threadID), map[string]any{"body": "x", "as_clinician": true}).mustStatus(403)
	var e struct {
		Error apiError `json:"error"`
	}
	res.decode(&e)
	if e.Error.Link != "/clinicians/apply" || !strings.Contains(e.Error.Message, "expired") {
		t.Fatalf("lapsed refusal: %s", res.body)
	}
	page := f.doc.getHTML("/groups").mustStatus(200).body
	if !strings.Contains(page, "Re-verify credential") || strings.Contains(page, `href="/clinicians/questions"`) {
		t.Fatalf("lapsed header: %.3000s", page)
	}
	f.doc.get("/clinicians/questions").mustStatus(403)
	if !strings.Contains(f.doc.get("/clinicians/apply").body, `"status":"expired"`) {
		t.Fatalf("apply page does not say expired")
	}
	// Re-verifying is a fresh application.
	f.doc.do("POST", "/clinicians/apply", goodApplication()).mustStatus(201)
}

// lapseClinician moves a credential's expiry into the past, as time passing would.
func lapseClinician(t *testing.T, ta *testApp, clinicianID int64) {
	t.Helper()
	if err := ta.store.ExpireClinicianForTest(t.Context(), clinicianID, time.Now().Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
}

func TestQuestionQueueHTTP(t *testing.T) {
	f := newTwoVoices(t)
	f.asker.do("POST", "/groups/diabetes/threads", map[string]any{"title": "Unanswered one", "body": "Anyone?", "kind": "question"}).mustStatus(201)
	f.asker.get("/clinicians/questions").mustStatus(403)
	res := f.doc.get("/clinicians/questions").mustStatus(200)
	var qv struct {
		Questions []questionJSON `json:"questions"`
	}
	res.decode(&qv)
	if len(qv.Questions) != 2 || qv.Questions[0].Thread.Title != "Unanswered one" || !qv.Questions[1].Thread.ClinicianAnswered {
		t.Fatalf("queue: %s", res.body)
	}
	if userIDPattern.MatchString(res.body) {
		t.Fatalf("queue shows a user id: %s", res.body)
	}
	f.doc.get("/clinicians/questions?group=nope").mustStatus(404)
	page := f.doc.getHTML("/clinicians/questions").mustStatus(200).body
	if !strings.Contains(page, `class="bell-count question-count">1<`) {
		t.Fatalf("no count badge in the header: %.3000s", page)
	}
	if !strings.Contains(page, "Unanswered one") {
		t.Fatalf("queue page lacks the question")
	}
	// A clinician who is not a member answers from the queue without joining.
	outsider := f.ta.signIn("dr-out", "clinician")
	tid := qv.Questions[0].Thread.ID
	outsider.do("POST", fmt.Sprintf("/threads/%d/posts", tid), map[string]any{"body": "Happy to help.", "as_clinician": true}).mustStatus(201)
	me := outsider.get("/me").mustStatus(200).json()
	if ms := me["memberships"].([]any); len(ms) != 0 {
		t.Fatalf("answering joined the group: %v", ms)
	}
	if strings.Contains(f.doc.getHTML("/clinicians/questions").body, `question-count">`) {
		t.Fatalf("badge still counts an answered question")
	}
}

func TestFactCheckLabelsHTTP(t *testing.T) {
	f := newTwoVoices(t)
	path := fmt.Sprintf("/posts/%d/label", f.pseudonymPost)
	// The asker's opening post is what gets labelled here.
	th := f.asker.get(fmt.Sprintf("/threads/%d", f.threadID)).json()
	opening := int64(th["posts"].([]any)[0].(map[string]any)["id"].(float64))
	path = fmt.Sprintf("/posts/%d/label", opening)

	f.asker.do("POST", path, map[string]any{"note": "x", "sources": []string{"https://who.int/"}}).mustStatus(403)
	for _, bad := range [][]string{nil, {"http://www.cdc.gov/"}, {"not a link"}, {"https://ok.org/", "ftp://x.org/"}} {
		res := f.doc.do("POST", path, map[string]any{"note": "Needs context", "sources": bad}).mustStatus(422)
		if !strings.Contains(res.body, `"sources"`) {
			t.Fatalf("no sources message: %s", res.body)
		}
	}
	if strings.Contains(f.asker.get(fmt.Sprintf("/threads/%d", f.threadID)).body, `"label":{`) {
		t.Fatalf("a rejected label was stored")
	}
	f.doc.do("POST", path, map[string]any{"note": "Nausea usually settles within weeks.",
		"sources": []string{"https://www.nhs.uk/medicines/metformin/", "https://doi.org/10.1000/182"}}).mustStatus(201)
	res := f.ta.newClient().get(fmt.Sprintf("/threads/%d", f.threadID)).mustStatus(200)
	var tv struct {
		Posts []struct {
			ID    int64      `json:"id"`
			Label *labelJSON `json:"label"`
		} `json:"posts"`
	}
	res.decode(&tv)
	if l := tv.Posts[0].Label; l == nil || l.By != "Dr. Lee" || len(l.Sources) != 2 || l.Badge == nil {
		t.Fatalf("label in the thread: %s", res.body)
	}
	if tv.Posts[1].Label != nil {
		t.Fatalf("label on the wrong post")
	}
	html := f.ta.newClient().getHTML(fmt.Sprintf("/threads/%d", f.threadID)).mustStatus(200).body
	a := article(t, html, opening)
	if i, j := strings.Index(a, "fact-check"), strings.Index(a, "post-body"); i < 0 || i > j || !strings.Contains(a, "Nausea usually settles") {
		t.Fatalf("label not shown above the post: %s", a)
	}
	if strings.Contains(a, f.docPseudonym) {
		t.Fatalf("the label names the clinician's pseudonym")
	}
	// The label page: history for everyone who can read the post; the author appeals once.
	f.ta.newClient().getHTML(path).mustStatus(200)
	f.doc.do("POST", path, map[string]any{"note": "Edited note", "sources": []string{"https://www.who.int/"}, "version": 1}).mustStatus(200)
	f.doc.do("POST", path, map[string]any{"note": "Stale", "sources": []string{"https://www.who.int/"}, "version": 1}).mustStatus(409)
	lv := f.asker.get(path).mustStatus(200).json()
	if h := lv["history"].([]any); len(h) != 2 || lv["can_appeal"] != true {
		t.Fatalf("label page: %v", lv)
	}
	f.doc.do("POST", path+"/appeal", map[string]any{"note": "no"}).mustStatus(403)
	f.asker.do("POST", path+"/appeal", map[string]any{"note": "My doctor said otherwise"}).mustStatus(201)
	f.asker.do("POST", path+"/appeal", map[string]any{}).mustStatus(409)
	q := f.admin.get("/moderation/queue?lane=misinformation").mustStatus(200).body
	if !strings.Contains(q, fmt.Sprintf(`"id":%d`, opening)) {
		t.Fatalf("appeal is not in the queue: %s", q)
	}
	// Removal: not by members; by moderators (admins here), keeping the history.
	f.asker.do("DELETE", path, nil).mustStatus(403)
	f.admin.do("DELETE", path, map[string]any{"reason": "sources disagree"}).mustStatus(200)
	if strings.Contains(f.asker.get(fmt.Sprintf("/threads/%d", f.threadID)).body, "Edited note") {
		t.Fatalf("removed label still shown")
	}
	if h := f.asker.get(path).json()["history"].([]any); len(h) != 3 {
		t.Fatalf("history after removal: %v", h)
	}
}

func TestLabelResolveActionAndClinicalReview(t *testing.T) {
	f := newTwoVoices(t)
	reporter := f.ta.signIn("reporter", "member")
	reporter.do("POST", "/groups/diabetes/join", nil).mustStatus(200)
	reporter.do("POST", fmt.Sprintf("/posts/%d/reports", f.pseudonymPost), map[string]any{"reason": "misinformation", "note": "not true"}).mustStatus(201)

	// The clinical review filter: verified clinicians only.
	reporter.get("/moderation/queue?review=clinical").mustStatus(403)
	res := f.doc.get("/moderation/queue?review=clinical").mustStatus(200)
	var rv struct {
		Items []reviewItemJSON `json:"items"`
	}
	res.decode(&rv)
	if len(rv.Items) != 1 || rv.Items[0].Post.ID != f.pseudonymPost {
		t.Fatalf("clinical review: %s", res.body)
	}
	if strings.Contains(res.body, "reporter") || userIDPattern.MatchString(res.body) {
		t.Fatalf("clinical review shows who reported: %s", res.body)
	}
	f.doc.getHTML("/moderation/queue?review=clinical").mustStatus(200)

	// A moderator resolves it with a label: bad sources are 422, then it works.
	q := f.admin.get("/moderation/queue?lane=misinformation").mustStatus(200)
	var qv struct {
		Items []itemJSON `json:"items"`
	}
	q.decode(&qv)
	it := qv.Items[0]
	resolve := fmt.Sprintf("/moderation/items/%d/resolve", it.ID)
	f.admin.do("POST", resolve, map[string]any{"action": "label", "version": it.Version,
		"label": map[string]any{"note": "Context", "sources": []string{"http://insecure.org"}}}).mustStatus(422)
	f.admin.do("POST", resolve, map[string]any{"action": "label", "version": it.Version, "reason": "needs context",
		"label": map[string]any{"note": "Most people's nausea settles.", "sources": []string{"https://www.nhs.uk/"}}}).mustStatus(200)
	th := f.asker.get(fmt.Sprintf("/threads/%d", f.threadID)).body
	if !strings.Contains(th, `"by":"moderators"`) || !strings.Contains(th, "Most people's nausea settles.") {
		t.Fatalf("queue label not shown: %s", th)
	}
	if got := f.doc.get("/moderation/queue?review=clinical").json()["items"].([]any); len(got) != 0 {
		t.Fatalf("resolved item still needs review: %v", got)
	}
}

func TestProfessionalGroupsHTTP(t *testing.T) {
	f := newTwoVoices(t)
	f.admin.do("POST", "/groups", map[string]any{"slug": "lounge", "name": "Lounge", "visibility": "professional"}).mustStatus(201)
	f.asker.get("/groups/lounge").mustStatus(404)
	f.asker.do("POST", "/groups/lounge/join", nil).mustStatus(404)
	if strings.Contains(f.asker.get("/groups").body, "lounge") {
		t.Fatalf("a member lists the professional group")
	}
	f.doc.get("/groups/lounge").mustStatus(200)
	f.doc.do("POST", "/groups/lounge/join", nil).mustStatus(200)
}

func TestClinicianVoiceThreadHTTP(t *testing.T) {
	f := newTwoVoices(t)
	form := f.doc.getHTML("/groups/diabetes/threads/new").mustStatus(200).body
	if !strings.Contains(form, `name="as_clinician" value="true"`) || !strings.Contains(form, f.docPseudonym) {
		t.Fatalf("the thread form offers no choice of voice: %.3000s", form)
	}
	if strings.Contains(f.asker.getHTML("/groups/diabetes/threads/new").body, `name="as_clinician"`) {
		t.Fatalf("a member is offered the clinician voice")
	}
	res := f.doc.postForm("/groups/diabetes/threads", url.Values{"title": {"Insulin pen tips"}, "body": {"Ask me anything."},
		"kind": {"discussion"}, "as_clinician": {"true"}}).mustStatus(303)
	loc := res.Header.Get("Location")
	for _, c := range []*client{f.ta.newClient(), f.asker} {
		body := c.get(loc).mustStatus(200).body
		if strings.Contains(body, f.docPseudonym) || !strings.Contains(body, `"display_name":"Dr. Lee"`) {
			t.Fatalf("clinician thread payload: %s", body)
		}
		page := c.getHTML(loc).mustStatus(200).body
		if strings.Contains(page, f.docPseudonym) {
			t.Fatalf("clinician thread page shows the pseudonym")
		}
		g := c.get("/groups/diabetes").mustStatus(200).body
		if !strings.Contains(g, `"title":"Insulin pen tips","kind":"discussion","author":{"pseudonym":null,"display_name":"Dr. Lee"`) {
			t.Fatalf("group list author: %s", g)
		}
	}
	feed := f.ta.newClient().send("GET", "/groups/diabetes/feed.atom", nil, "application/atom+xml", "").mustStatus(200).body
	if strings.Contains(feed, f.docPseudonym) {
		t.Fatalf("the feed names the clinician's pseudonym")
	}
	f.asker.do("POST", "/groups/diabetes/threads", map[string]any{"title": "Me too", "body": "x", "as_clinician": true}).mustStatus(403)
}

func TestLabelResolveFromItemPage(t *testing.T) {
	f := newTwoVoices(t)
	reporter := f.ta.signIn("reporter", "member")
	reporter.do("POST", "/groups/diabetes/join", nil).mustStatus(200)
	reporter.do("POST", fmt.Sprintf("/posts/%d/reports", f.pseudonymPost), map[string]any{"reason": "misinformation"}).mustStatus(201)
	var qv struct {
		Items []itemJSON `json:"items"`
	}
	f.admin.get("/moderation/queue?lane=misinformation").mustStatus(200).decode(&qv)
	it := qv.Items[0]
	page := f.admin.getHTML(fmt.Sprintf("/moderation/items/%d", it.ID)).mustStatus(200).body
	if !strings.Contains(page, `id="action-label"`) || !strings.Contains(page, `name="label_sources"`) {
		t.Fatalf("the item page offers no label action")
	}
	resolve := fmt.Sprintf("/moderation/items/%d/resolve", it.ID)
	bad := f.admin.postForm(resolve, url.Values{"action": {"label"}, "version": {fmt.Sprint(it.Version)},
		"label_note": {"Context"}, "label_sources": {"www.example.org"}}).mustStatus(422)
	if !strings.Contains(bad.body, "label-sources-error") || !strings.Contains(bad.body, "Context") {
		t.Fatalf("bad label form: %.2000s", bad.body)
	}
	f.admin.postForm(resolve, url.Values{"action": {"label"}, "version": {fmt.Sprint(it.Version)},
		"label_note": {"Context matters."}, "label_sources": {"https://www.who.int/\nhttps://www.cdc.gov/"}}).mustStatus(303)
	if body := f.asker.get(fmt.Sprintf("/threads/%d", f.threadID)).body; !strings.Contains(body, "Context matters.") {
		t.Fatalf("label from the item page not shown: %s", body)
	}
}

func TestLabelFormHTML(t *testing.T) {
	f := newTwoVoices(t)
	path := fmt.Sprintf("/posts/%d/label", f.pseudonymPost)
	other := f.ta.signIn("dr-other", "clinician")
	page := other.getHTML(path).mustStatus(200).body
	if !strings.Contains(page, `name="sources"`) || !strings.Contains(page, "This post has no fact-check label") {
		t.Fatalf("label form: %.2000s", page)
	}
	bad := other.postForm(path, url.Values{"note": {"Needs a source"}, "sources": {"http://example.org/page"}}).mustStatus(422)
	if !strings.Contains(bad.body, `id="sources-error"`) || !strings.Contains(bad.body, "Needs a source") {
		t.Fatalf("bad label form: %.2000s", bad.body)
	}
	other.postForm(path, url.Values{"note": {"Needs a source"}, "sources": {"https://www.who.int/a\r\nhttps://www.nice.org.uk/b"}}).mustStatus(303)
	lv := f.asker.get(path).mustStatus(200).json()
	if l := lv["label"].(map[string]any); len(l["sources"].([]any)) != 2 || l["by"] != "Dr. Other" {
		t.Fatalf("label: %v", l)
	}
	// The author of the post is told, and may appeal from the label page.
	ns := f.doc.get("/notifications").mustStatus(200).body
	if !strings.Contains(ns, "fact-check label by Dr. Other") {
		t.Fatalf("author not notified: %s", ns)
	}
	if !strings.Contains(f.doc.getHTML(path).body, "Appeal this label") {
		t.Fatalf("no appeal form for the author")
	}
}
