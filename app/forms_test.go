package app

import (
	"bytes"
	"strings"
	"testing"

	"haven/models"
)

// A verified clinician who is a member chooses the voice of a reply and of a new
// thread from the same fieldset: their pseudonym or their professional name.
func TestPostingChoice(t *testing.T) {
	r, err := newRenderer()
	if err != nil {
		t.Fatal(err)
	}
	clinician := &models.Viewer{User: &models.User{Role: models.RoleClinician, Status: models.UserActive},
		Clinician: &models.Clinician{DisplayName: "Dr. Rivera", Credential: "MD"}}
	for _, c := range []struct {
		page, noun string
		data       any
	}{
		{"thread_new", "thread", newThreadView{Group: groupRef{"t2d", "Type 2 diabetes"}, PostingAs: "QuietHeron27"}},
		{"thread", "post", &threadView{Thread: threadJSON{ID: 3, Title: "Hello"}, CanReply: true, SignedIn: true,
			PostingAs: strp("QuietHeron27"), AsClinician: &authorJSON{DisplayName: "Dr. Rivera", Credential: "MD"}}},
	} {
		var buf bytes.Buffer
		if err := r.pages[c.page].ExecuteTemplate(&buf, "content", page{Data: c.data, CSRF: "tok", Viewer: clinician, IsClinician: true}); err != nil {
			t.Fatal(err)
		}
		html := buf.String()
		for _, want := range []string{`<strong class="pseudonym">QuietHeron27</strong>`, `<strong>Dr. Rivera, MD</strong>`,
			`value="false" checked`, "and the " + c.noun + " is not linked to your pseudonym"} {
			if !strings.Contains(html, want) {
				t.Errorf("%s page lacks %q", c.page, want)
			}
		}
	}
}
