package models

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"gorm.io/gorm"
)

// ExcerptRunes is about how long an excerpt of a post is.
const ExcerptRunes = 200

// MemberPage is one member of a group as others see them: the posts published under
// that membership's pseudonym in this group, newest first. Posts made as clinician
// link to no membership and never appear here.
type MemberPage struct {
	Access    *GroupAccess
	Member    Membership
	PostCount int
	// Posts carry their Thread (id and title only). They link to /posts/{id} (see
	// PostLink), which finds the page of the thread they are on.
	Posts   []Post
	Page    int
	HasNext bool
	// After is the cursor of the next page when there is one (see cursor.go).
	After string
	// Self is true when the member is the viewer; Muted when the viewer muted them.
	Self  bool
	Muted bool
}

// CanMute reports whether the viewer may mute or unmute this member.
func (mp *MemberPage) CanMute() bool { return mp.Access.Joined() && !mp.Self }

// MemberPage loads the member of a group with the given pseudonym and one page of
// their published posts there. A group v may not read, or a pseudonym that has no
// place in it (unknown, or only a join request), is ErrNotFound.
func (s *Store) MemberPage(ctx context.Context, v *Viewer, slug, pseudonym string, page int) (*MemberPage, error) {
	return s.MemberPageAfter(ctx, v, slug, pseudonym, page, "")
}

// MemberPageAfter is MemberPage for the page that starts after the cursor after (a
// previous page's After); without a cursor that opens, by page number.
func (s *Store) MemberPageAfter(ctx context.Context, v *Viewer, slug, pseudonym string, page int, after string) (*MemberPage, error) {
	if page < 1 || page > MaxPage {
		return nil, &ValidationError{Fields: map[string]string{"page": fmt.Sprintf("use a page from 1 to %d", MaxPage)}}
	}
	a, err := s.GroupAccess(ctx, v, slug)
	if err != nil {
		return nil, err
	}
	if !a.CanRead {
		return nil, ErrNotFound
	}
	db := s.rdb.WithContext(ctx)
	m, err := s.memberByPseudonym(db, a.Group.ID, pseudonym)
	if err != nil {
		return nil, err
	}
	mp := &MemberPage{Access: a, Member: *m, Page: page, Self: a.Membership != nil && a.Membership.ID == m.ID}
	published := db.Model(&Post{}).Where("membership_id = ? AND clinician_id IS NULL AND status = ?", m.ID, PostPublished)
	var n int64
	if err := published.Count(&n).Error; err != nil {
		return nil, fmt.Errorf("models: member page: %w", err)
	}
	mp.PostCount = int(n)
	var ps []Post
	q := db.Preload("Thread", func(q *gorm.DB) *gorm.DB { return q.Select("id", "group_id", "title") }).
		Joins("JOIN threads ON threads.id = posts.thread_id").
		Where("posts.membership_id = ? AND posts.clinician_id IS NULL AND posts.status = ? AND threads.group_id = ?",
			m.ID, PostPublished, a.Group.ID).
		Order("posts.created_at DESC, posts.id DESC")
	if err := pageAt(q, page, s.timeIDSeek(cursorMemberPosts, after, "posts.created_at", "posts.id")).Find(&ps).Error; err != nil {
		return nil, fmt.Errorf("models: member page: %w", err)
	}
	if len(ps) > PageSize {
		mp.HasNext, ps = true, ps[:PageSize]
		last := ps[len(ps)-1]
		mp.After = s.sealCursor(cursorMemberPosts, timeKey(last.CreatedAt), last.ID)
	}
	if page > 1 && len(ps) == 0 {
		return nil, ErrNotFound
	}
	mp.Posts = ps
	if mp.CanMute() {
		muted, err := s.mutedAmong(db, a.Membership.ID, []int64{m.ID})
		if err != nil {
			return nil, err
		}
		mp.Muted = muted[m.ID]
	}
	return mp, nil
}

// memberByPseudonym finds the membership of a group with the given pseudonym that
// others may know: active, left or banned (their posts stay), but not a pending or
// turned-down join request.
func (s *Store) memberByPseudonym(db *gorm.DB, groupID int64, pseudonym string) (*Membership, error) {
	var m Membership
	err := db.Where("group_id = ? AND pseudonym = ? AND status IN ?", groupID, strings.TrimSpace(pseudonym),
		[]string{MemberActive, MemberLeft, MemberBanned}).First(&m).Error
	if errors.Is(err, gorm.ErrRecordNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("models: load member: %w", err)
	}
	return &m, nil
}

var (
	excerptFence    = regexp.MustCompile("(?m)^\\s*(```|~~~).*$")
	excerptImage    = regexp.MustCompile(`!\[([^\]]*)\]\([^)]*\)`)
	excerptLink     = regexp.MustCompile(`\[([^\]]*)\]\([^)]*\)`)
	excerptRefLink  = regexp.MustCompile(`\[([^\]]*)\]\[[^\]]*\]`)
	excerptLineMark = regexp.MustCompile(`(?m)^\s{0,3}(#{1,6}\s+|>\s?|[-*+]\s+(\[[ xX]\]\s+)?|\d{1,9}[.)]\s+)+`)
	excerptRule     = regexp.MustCompile(`(?m)^\s{0,3}([-*_]\s*){3,}$`)
	excerptTag      = regexp.MustCompile(`<[^>\n]{1,200}>`)
	excerptEmphasis = regexp.MustCompile("(\\*{1,3}|_{2,3}|~~|`+)")
)

// Excerpt is up to about n characters of a post's Markdown as plain text, with the
// Markdown syntax roughly stripped and whitespace collapsed; a cut ends with "…".
// The result is text, not HTML: templates escape it.
func Excerpt(body string, n int) string {
	s := excerptFence.ReplaceAllString(body, "")
	s = excerptImage.ReplaceAllString(s, "$1")
	s = excerptLink.ReplaceAllString(s, "$1")
	s = excerptRefLink.ReplaceAllString(s, "$1")
	s = excerptRule.ReplaceAllString(s, "")
	s = excerptLineMark.ReplaceAllString(s, "")
	s = excerptTag.ReplaceAllString(s, "")
	s = excerptEmphasis.ReplaceAllString(s, "")
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	r := []rune(s)[:n]
	cut := string(r)
	if i := strings.LastIndexByte(cut, ' '); i > len(cut)*2/3 {
		cut = cut[:i]
	}
	return strings.TrimRight(cut, " ,.;:-") + "…"
}
