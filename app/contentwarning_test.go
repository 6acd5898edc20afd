package app

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// TestContentWarningsFoldWithoutScript: a post behind a content warning is folded in
// a <details> whose <summary> names the warning on every page that shows its text
// (thread, member page, search), and the feed shows the warning instead of the text.
// No script is needed to open it.
func TestContentWarningsFoldWithoutScript(t *testing.T) {
	ta, _ := setupForum(t)
	alice, bob := ta.signIn("alice", "member"), ta.signIn("bob", "member")
	pa := alice.do("POST", "/groups/type-2-diabetes/join", nil).mustStatus(200).json()["membership"].(map[string]any)["pseudonym"].(string)
	bob.do("POST", "/groups/type-2-diabetes/join", nil).mustStatus(200)
	var created struct {
		Thread threadJSON `json:"thread"`
	}
	alice.do("POST", "/groups/type-2-diabetes/threads", map[string]any{"title": "Hard week", "body": "The amputation of my toe",
		"content_warning": "surgery"}).mustStatus(201).decode(&created)
	folded := regexp.MustCompile(`(?s)<details class="cw">\s*<summary>Content warning: surgery[^<]*</summary>.*?amputation.*?</details>`)
	pages := map[string]string{
		"thread":      fmt.Sprintf("/threads/%d", created.Thread.ID),
		"member page": "/groups/type-2-diabetes/members/" + pa,
		"search":      "/search?q=toe",
	}
	for name, path := range pages {
		t.Run(name, func(t *testing.T) {
			body := bob.getHTML(path).mustStatus(200).body
			if !folded.MatchString(body) {
				t.Fatalf("%s does not fold the post behind its warning", path)
			}
			if strings.Count(body, "amputation") != strings.Count(folded.FindString(body), "amputation")+strings.Count(body, `value="amputation"`) {
				t.Fatalf("%s shows the text outside the fold", path)
			}
		})
	}
	// JSON carries the warning beside the text, for clients to fold.
	var tv struct {
		Posts []postJSON `json:"posts"`
	}
	bob.get(pages["thread"]).mustStatus(200).decode(&tv)
	if tv.Posts[0].ContentWarning != "surgery" {
		t.Fatalf("content_warning = %q", tv.Posts[0].ContentWarning)
	}
	if m := bob.get(pages["member page"]).mustStatus(200).json()["posts"].([]any)[0].(map[string]any); m["content_warning"] != "surgery" {
		t.Fatalf("member page post = %v", m)
	}
	feed := bob.getHTML("/groups/type-2-diabetes/feed.atom").mustStatus(200).body
	if strings.Contains(feed, "amputation") || !strings.Contains(feed, "Content warning: surgery") {
		t.Fatal("the feed shows the text instead of the warning")
	}
}
