package models

import (
	"bytes"
	"fmt"
	"regexp"

	"github.com/microcosm-cc/bluemonday"
	"github.com/yuin/goldmark"
	"github.com/yuin/goldmark/ast"
	"github.com/yuin/goldmark/extension"
	"github.com/yuin/goldmark/parser"
	"github.com/yuin/goldmark/renderer/html"
	"github.com/yuin/goldmark/text"
	"github.com/yuin/goldmark/util"
)

// markdown renders user text. Raw HTML in the source is dropped by goldmark (no
// WithUnsafe) and everything it produces then passes through bluemonday.
var markdown = goldmark.New(
	goldmark.WithExtensions(extension.GFM),
	goldmark.WithParserOptions(parser.WithASTTransformers(util.Prioritized(linkRel{}, 100))),
	goldmark.WithRendererOptions(html.WithHardWraps()),
)

// linkRel marks every link in user content as user-generated.
type linkRel struct{}

func (linkRel) Transform(doc *ast.Document, _ text.Reader, _ parser.Context) {
	ast.Walk(doc, func(n ast.Node, entering bool) (ast.WalkStatus, error) {
		if !entering {
			return ast.WalkContinue, nil
		}
		switch n.Kind() {
		case ast.KindLink, ast.KindAutoLink:
			n.SetAttributeString("rel", []byte("nofollow ugc noopener"))
		case ast.KindImage:
			// Images from other hosts would tell them who reads what: show the alt text as a link.
			img := n.(*ast.Image)
			link := ast.NewLink()
			link.Destination = img.Destination
			link.Title = img.Title
			for c := img.FirstChild(); c != nil; {
				next := c.NextSibling()
				link.AppendChild(link, c)
				c = next
			}
			n.Parent().ReplaceChild(n.Parent(), n, link)
			link.SetAttributeString("rel", []byte("nofollow ugc noopener"))
			return ast.WalkSkipChildren, nil
		}
		return ast.WalkContinue, nil
	})
}

// sanitizer allows the formatting Markdown produces and nothing else: no images (no
// requests to other hosts from a reader's browser), no styles, no scripts or event
// handlers; links only to http, https and mailto, opened with rel="nofollow ugc noopener".
var sanitizer = func() *bluemonday.Policy {
	p := bluemonday.NewPolicy()
	p.AllowElements("p", "br", "hr", "strong", "em", "b", "i", "del", "s", "code", "pre",
		"blockquote", "ul", "ol", "li", "h1", "h2", "h3", "h4", "h5", "h6",
		"table", "thead", "tbody", "tr", "th", "td", "sup", "sub")
	p.AllowAttrs("start").Matching(bluemonday.Integer).OnElements("ol")
	p.AllowAttrs("align").Matching(bluemonday.CellAlign).OnElements("th", "td")
	p.AllowAttrs("checked", "disabled").Matching(bluemonday.Paragraph).OnElements("input")
	p.AllowAttrs("type").Matching(bluemonday.Paragraph).OnElements("input")
	p.AllowAttrs("href").OnElements("a")
	p.AllowURLSchemes("http", "https", "mailto")
	p.RequireParseableURLs(true)
	p.AllowRelativeURLs(true)
	p.RequireNoFollowOnLinks(true)
	p.AllowAttrs("class").Matching(bluemonday.SpaceSeparatedTokens).OnElements("code")
	p.AllowAttrs("rel").Matching(regexp.MustCompile(`^nofollow ugc noopener$`)).OnElements("a")
	return p
}()

// RenderMarkdown turns a post's Markdown into sanitised HTML. It runs once, when a
// post is written; the result is stored and served as is.
func RenderMarkdown(src string) (string, error) {
	var buf bytes.Buffer
	if err := markdown.Convert([]byte(src), &buf); err != nil {
		return "", fmt.Errorf("models: render markdown: %w", err)
	}
	return sanitizer.Sanitize(buf.String()), nil
}
