package models

import (
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// Fuzz targets for what every post passes through. Seeds are below and in
// testdata/fuzz; CI runs each for a bounded time (.ci/run), e.g.
//
//	go test ./models -run '^$' -fuzz '^FuzzRenderMarkdown$' -fuzztime=20s

var markdownSeeds = []string{
	"", "plain words", "**bold** _em_ `code`", "# Title\n\n- a\n- b\n\n1. one\n2. two",
	"[click](javascript:alert(1))", "[x](JaVaScRiPt:alert(1))", "[x](java\tscript:alert(1))",
	"[x](&#106;avascript:alert(1))", "[x](&#x6A;avascript:alert(1))", "<javascript:alert(1)>",
	"![img](http://evil.example/x.png \"t\")", "![x](javascript:alert(1))", "<script>alert(1)</script>",
	"<img src=x onerror=alert(1)>", "<a href=\"#\" onclick=\"x()\">a</a>", "<svg onload=alert(1)>",
	"<iframe src=//evil></iframe>", "[a](data:text/html;base64,PHNjcmlwdD4=)", "[a](vbscript:msgbox)",
	"```html\n<script>alert(1)</script>\n```", "| a | b |\n|---|---|\n| <b onmouseover=x>1</b> | 2 |",
	"[a]( javascript:alert(1) )", "[a][r]\n\n[r]: javascript:alert(1)", "<http://a.example/?q=\"onload=\">",
	"- [ ] task\n- [x] done", "<style>*{}</style>", "<form action=//x><input></form>", "\x00\xff\xfe",
	"[a](/relative/path)", "[a](//evil.example)", "[a](mailto:x@example.org)", "<!-- <script> -->",
	"~~del~~ www.example.org https://example.org/<script>",
}

// checkSafeHTML fails unless out, rendered user content, has no script, no event
// handler, no style and no link or source to a script-capable URL.
func checkSafeHTML(t *testing.T, src, out string) {
	t.Helper()
	lower := strings.ToLower(out)
	for _, bad := range []string{"<script", "<iframe", "<object", "<embed", "<style", "<svg", "<img", "<form", "<math", "<base", "<meta", "<link"} {
		if strings.Contains(lower, bad) {
			t.Fatalf("output has %s\nsource: %q\noutput: %q", bad, src, out)
		}
	}
	z := html.NewTokenizer(strings.NewReader(out))
	for {
		tt := z.Next()
		if tt == html.ErrorToken {
			return
		}
		if tt != html.StartTagToken && tt != html.SelfClosingTagToken {
			continue
		}
		tok := z.Token()
		for _, a := range tok.Attr {
			key := strings.ToLower(a.Key)
			if strings.HasPrefix(key, "on") || key == "style" || key == "src" || key == "srcdoc" || key == "formaction" {
				t.Fatalf("output has attribute %s on <%s>\nsource: %q\noutput: %q", a.Key, tok.Data, src, out)
			}
			if key == "href" {
				// What a browser would do with the value: entities decoded (the
				// tokenizer did), control characters and spaces removed, any case.
				v := strings.Map(func(r rune) rune {
					if r <= ' ' || r == 0x7f {
						return -1
					}
					return r
				}, strings.ToLower(a.Val))
				for _, scheme := range []string{"javascript:", "vbscript:", "data:", "file:"} {
					if strings.HasPrefix(v, scheme) {
						t.Fatalf("output links to %s\nsource: %q\noutput: %q", scheme, src, out)
					}
				}
			}
		}
	}
}

func FuzzRenderMarkdown(f *testing.F) {
	for _, s := range markdownSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		out, err := RenderMarkdown(src)
		if err != nil {
			t.Fatalf("RenderMarkdown(%q): %v", src, err)
		}
		checkSafeHTML(t, src, out)
		// Rendering is deterministic: stored HTML can be re-rendered to the same bytes.
		again, _ := RenderMarkdown(src)
		if again != out {
			t.Fatalf("RenderMarkdown(%q) is not deterministic", src)
		}
	})
}

func TestMarkdownSeedsAreSafe(t *testing.T) {
	for _, s := range markdownSeeds {
		out, err := RenderMarkdown(s)
		if err != nil {
			t.Fatal(err)
		}
		checkSafeHTML(t, s, out)
	}
}

var crisisSeeds = []string{
	"", "I want to kill myself", "skilled workers", "**kill** myself", "k i l l myself", "KMS lol",
	"I’m going to end it all", "suicide", "she killed it at work", "kill_myself", "kill-myself",
	"not suicidal, just tired", "\u200bkill myself", "killmyself", "I can't go on",
}

func FuzzDetectCrisis(f *testing.F) {
	for _, s := range crisisSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, text string) {
		got := DetectCrisis(text)
		seen := map[string]bool{}
		for _, p := range got {
			if p == "" || p != strings.ToLower(p) || seen[p] {
				t.Fatalf("DetectCrisis(%q) = %q: empty, not lower-case or repeated", text, got)
			}
			seen[p] = true
		}
		if !slices.Equal(got, DetectCrisis(text)) {
			t.Fatalf("DetectCrisis(%q) is not deterministic", text)
		}
		// Whatever comes before it, a clear crisis sentence on its own line is found.
		if got := DetectCrisis(text + "\n\nI want to kill myself.\n"); len(got) == 0 {
			t.Fatalf("a crisis sentence after %q is missed", text)
		}
	})
}

var personalDataSeeds = []string{
	"", "call me on 07700 900123", "+44 (0)20 7946 0958", "my NHS number is 943 476 5919",
	"email me: someone@example.org", "I live at 12 Acacia Avenue", "postcode SW1A 1AA, my address",
	"DOB: 01/02/1980", "born on 3.4.95", "MRN 1234567", "patient id: AB123456", "Springfield, IL 62704 my address",
	"took 500mg at 10:30", "2024-01-02", "1234567890123456789", "@@@@.....", strings.Repeat("9 ", 200),
}

func FuzzDetectPersonalData(f *testing.F) {
	for _, s := range personalDataSeeds {
		f.Add(s)
	}
	kinds := []string{PDPhone, PDEmail, PDAddress, PDDateOfBirth, PDNHSNumber, PDRecordNumber}
	f.Fuzz(func(t *testing.T, text string) {
		got := DetectPersonalData(text)
		seen := map[string]bool{}
		for _, k := range got {
			if !slices.Contains(kinds, k) || seen[k] {
				t.Fatalf("DetectPersonalData(%q) = %q: unknown or repeated kind", text, got)
			}
			seen[k] = true
		}
		if !slices.Equal(got, DetectPersonalData(text)) {
			t.Fatalf("DetectPersonalData(%q) is not deterministic", text)
		}
		// An email address on its own line is always caught.
		if got := DetectPersonalData(text + "\nwrite to me at someone@example.org\n"); !slices.Contains(got, PDEmail) {
			t.Fatalf("an email address after %q is missed: %q", text, got)
		}
		if utf8.ValidString(text) {
			// The detectors look at the text a post stores; Markdown emphasis does not hide a phone number.
			if got := DetectPersonalData(text + "\ncall **07700 900123** any time\n"); !slices.Contains(got, PDPhone) && !slices.Contains(got, PDNHSNumber) {
				t.Fatalf("a phone number after %q is missed: %q", text, got)
			}
		}
	})
}
