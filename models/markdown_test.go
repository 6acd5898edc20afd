package models

import (
	"regexp"
	"strings"
	"testing"
)

// xssPayloads are attacks in the style of the OWASP XSS filter evasion cheat sheet,
// written as a member might type them into a post: raw HTML, Markdown links and
// images with hostile URLs, encodings, and broken markup.
var xssPayloads = []string{
	`<script>alert('XSS')</script>`,
	`<SCRIPT SRC=https://evil.example/xss.js></SCRIPT>`,
	`<IMG SRC="javascript:alert('XSS');">`,
	`<IMG SRC=javascript:alert('XSS')>`,
	`<IMG SRC=JaVaScRiPt:alert('XSS')>`,
	"<IMG SRC=`javascript:alert(\"RSnake says, 'XSS'\")`>",
	`<IMG """><SCRIPT>alert("XSS")</SCRIPT>"\>`,
	`<IMG SRC=javascript:alert(String.fromCharCode(88,83,83))>`,
	`<IMG SRC=# onmouseover="alert('xxs')">`,
	`<IMG SRC=/ onerror="alert(String.fromCharCode(88,83,83))"></img>`,
	`<img src=x onerror="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058&#0000097&#0000108&#0000101&#0000114&#0000116&#0000040&#0000039&#0000088&#0000083&#0000083&#0000039&#0000041">`,
	`<IMG SRC=&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;&#97;&#108;&#101;&#114;&#116;&#40;&#39;&#88;&#83;&#83;&#39;&#41;>`,
	`<IMG SRC="jav	ascript:alert('XSS');">`,
	`<IMG SRC="jav&#x0A;ascript:alert('XSS');">`,
	`<IMG SRC=" &#14;  javascript:alert('XSS');">`,
	`<SCRIPT/XSS SRC="https://evil.example/xss.js"></SCRIPT>`,
	`<BODY onload!#$%&()*~+-_.,:;?@[/|\]^` + "`" + `=alert("XSS")>`,
	`<<SCRIPT>alert("XSS");//\<</SCRIPT>`,
	`<SCRIPT SRC=//evil.example/.j>`,
	`<IMG SRC="` + "`" + `javascript:alert('XSS')"`,
	`<iframe src=http://evil.example/scriptlet.html <`,
	`\";alert('XSS');//`,
	`</TITLE><SCRIPT>alert("XSS");</SCRIPT>`,
	`<INPUT TYPE="IMAGE" SRC="javascript:alert('XSS');">`,
	`<BODY BACKGROUND="javascript:alert('XSS')">`,
	`<IMG DYNSRC="javascript:alert('XSS')">`,
	`<STYLE>li {list-style-image: url("javascript:alert('XSS')");}</STYLE><UL><LI>XSS</br>`,
	`<svg/onload=alert('XSS')>`,
	`<svg><script>alert(1)</script></svg>`,
	`<BGSOUND SRC="javascript:alert('XSS');">`,
	`<LINK REL="stylesheet" HREF="javascript:alert('XSS');">`,
	`<META HTTP-EQUIV="refresh" CONTENT="0;url=javascript:alert('XSS');">`,
	`<META HTTP-EQUIV="refresh" CONTENT="0;url=data:text/html base64,PHNjcmlwdD5hbGVydCgnWFNTJyk8L3NjcmlwdD4K">`,
	`<TABLE BACKGROUND="javascript:alert('XSS')">`,
	`<TD BACKGROUND="javascript:alert('XSS')">`,
	`<DIV STYLE="background-image: url(javascript:alert('XSS'))">`,
	`<DIV STYLE="width: expression(alert('XSS'));">`,
	`<OBJECT TYPE="text/x-scriptlet" DATA="http://evil.example/scriptlet.html"></OBJECT>`,
	`<EMBED SRC="data:image/svg+xml;base64,PHN2ZyB4bWxuczpzdmc9Imh0dH A6Ly93d3cudzMub3JnLzIwMDAvc3ZnIiB4bWxucz0iaHR0cDovL3d3dy53My5vcmcv MjAwMC9zdmciIHhtbG5zOnhsaW5rPSJodHRwOi8vd3d3LnczLm9yZy8xOTk5L3hs aW5rIiB2ZXJzaW9uPSIxLjAiIHg9IjAiIHk9IjAiIHdpZHRoPSIxOTQiIGhlaWdodD0iMjAw IiBpZD0ieHNzIj48c2NyaXB0IHR5cGU9InRleHQvZWNtYXNjcmlwdCI+YWxlcnQoIlh TUyIpOzwvc2NyaXB0Pjwvc3ZnPg==" type="image/svg+xml" AllowScriptAccess="always"></EMBED>`,
	`<a href="javascript:alert(1)">click</a>`,
	`<a href="  javascript:alert(1)">click</a>`,
	`<form action="javascript:alert(1)"><button>go</button></form>`,
	`<details open ontoggle=alert(1)>`,
	`<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>`,
	`<noscript><p title="</noscript><img src=x onerror=alert(1)>">`,
	// Markdown spellings of the same attacks.
	`[click](javascript:alert(1))`,
	`[click](JAVASCRIPT:alert(1))`,
	`[click](javas&#99;ript:alert(1))`,
	`[click](&#106;avascript:alert(1))`,
	`[click](javascript&#58;alert(1))`,
	`[click](vbscript:msgbox(1))`,
	`[click](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)`,
	`[click](<javascript:alert(1)>)`,
	`[a](https://example.org "title\" onmouseover=\"alert(1)")`,
	`![x](javascript:alert(1))`,
	`![x](https://evil.example/track.png)`,
	`![x" onerror="alert(1)](https://evil.example/a.png)`,
	`<javascript:alert(1)>`,
	"```html\n<script>alert(1)</script>\n```",
	"`<img src=x onerror=alert(1)>`",
	"| a | b |\n|---|---|\n| <script>alert(1)</script> | [x](javascript:alert(1)) |",
	"> <img src=x onerror=alert(1)>\n> [x](javascript:alert(1))",
	"- [ ] <img src=x onerror=alert(1)>",
	"[ref]: javascript:alert(1)\n\n[click][ref]",
	"<!-- --><script>alert(1)</script><!-- -->",
	"<![CDATA[<script>alert(1)</script>]]>",
}

var (
	// badTag matches an element the sanitiser must never let through.
	badTag = regexp.MustCompile(`(?i)<\s*/?\s*(script|img|iframe|svg|math|style|link|meta|object|embed|form|input[^>]*type="(image|text)"|body|bgsound|base|frame|details|noscript|title|textarea|button|video|audio|source)\b`)
	// eventAttr matches an event handler attribute inside a tag.
	eventAttr = regexp.MustCompile(`(?i)<[^>]*\son[a-z]+\s*=`)
	// styleAttr matches an inline style.
	styleAttr = regexp.MustCompile(`(?i)<[^>]*\sstyle\s*=`)
	// hrefAttr finds every link target.
	hrefAttr = regexp.MustCompile(`(?i)\s(href|src|action|background|data)\s*=\s*"([^"]*)"`)
	// anchorTag finds every link.
	anchorTag = regexp.MustCompile(`(?i)<a\s[^>]*>`)
)

func TestMarkdownSanitisesXSSPayloads(t *testing.T) {
	for _, payload := range xssPayloads {
		t.Run(payload, func(t *testing.T) {
			out, err := RenderMarkdown(payload)
			if err != nil {
				t.Fatal(err)
			}
			if m := badTag.FindString(out); m != "" {
				t.Fatalf("dangerous element %q in %q", m, out)
			}
			if m := eventAttr.FindString(out); m != "" {
				t.Fatalf("event handler %q in %q", m, out)
			}
			if m := styleAttr.FindString(out); m != "" {
				t.Fatalf("inline style %q in %q", m, out)
			}
			for _, h := range hrefAttr.FindAllStringSubmatch(out, -1) {
				if strings.ToLower(h[1]) != "href" {
					t.Fatalf("attribute %s in %q", h[1], out)
				}
				target := strings.ToLower(strings.TrimSpace(h[2]))
				if !(strings.HasPrefix(target, "https://") || strings.HasPrefix(target, "http://") ||
					strings.HasPrefix(target, "mailto:") || strings.HasPrefix(target, "/") || strings.HasPrefix(target, "#")) {
					t.Fatalf("link to %q in %q", h[2], out)
				}
			}
			for _, a := range anchorTag.FindAllString(out, -1) {
				if !strings.Contains(a, `rel="nofollow ugc noopener"`) {
					t.Fatalf("link without rel=\"nofollow ugc noopener\": %q", a)
				}
			}
			if strings.Contains(strings.ToLower(out), "javascript:") && strings.Contains(out, "href") &&
				regexp.MustCompile(`(?i)href="[^"]*javascript:`).MatchString(out) {
				t.Fatalf("javascript: URL in %q", out)
			}
		})
	}
}

func TestMarkdownKeepsFormatting(t *testing.T) {
	cases := []struct {
		name, src string
		want      []string
	}{
		{"heading", "## Week one", []string{"<h2>Week one</h2>"}},
		{"list", "- walk\n- rest", []string{"<ul>", "<li>walk</li>"}},
		{"ordered list", "3. three\n4. four", []string{`<ol start="3">`}},
		{"link", "[NHS](https://www.nhs.uk)", []string{`<a href="https://www.nhs.uk" rel="nofollow ugc noopener">NHS</a>`}},
		{"relative link", "[reply](/threads/5#post-17)", []string{`href="/threads/5#post-17"`}},
		{"autolink", "see https://www.nhs.uk today", []string{`<a href="https://www.nhs.uk" rel="nofollow ugc noopener">`}},
		{"quote", "> you are not alone", []string{"<blockquote>"}},
		{"code", "`metformin`\n\n```\n500mg\n```", []string{"<code>metformin</code>", "<pre><code>500mg"}},
		{"table", "| dose | time |\n|---|---|\n| 5 | am |", []string{"<table>", "<th>dose</th>", "<td>am</td>"}},
		{"emphasis", "**bold** and *soft*", []string{"<strong>bold</strong>", "<em>soft</em>"}},
		{"image becomes a link", "![scan](https://example.org/a.png)", []string{`<a href="https://example.org/a.png" rel="nofollow ugc noopener">scan</a>`}},
		{"raw html is dropped, text kept", "<b>hi</b> there", []string{"there"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out, err := RenderMarkdown(tc.src)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tc.want {
				if !strings.Contains(out, w) {
					t.Fatalf("RenderMarkdown(%q) = %q, want it to contain %q", tc.src, out, w)
				}
			}
			if strings.Contains(out, "<img") {
				t.Fatalf("an image in %q", out)
			}
		})
	}
}
