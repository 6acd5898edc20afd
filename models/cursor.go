package models

import (
	"context"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"time"

	"gorm.io/gorm"
)

// Lists that grow without bound (a group's threads, notifications, a member's posts,
// a group's modlog) page by keyset: each page hands out a cursor, the sort key of its
// last row, and the next page starts with an index seek just past that key instead
// of skipping page × size rows. A cursor is opaque: the key is sealed (AES-GCM under
// a key derived from the store's secret, with the list's name as associated data),
// so it shows nothing of the ids or times it holds and a cursor made for one list
// opens in no other. The same key always seals to the same text, so a page's links
// stay stable. A cursor that does not open (mangled, or sealed under another secret)
// is ignored and the page is found by OFFSET, as `?page=N` alone is.

// Cursor lists: the associated data a cursor is sealed with.
const (
	cursorGroupThreads  = "group-threads"
	cursorNotifications = "notifications"
	cursorMemberPosts   = "member-posts"
	cursorModlog        = "modlog"
)

// maxCursorLen bounds the cursors worth trying to open.
const maxCursorLen = 200

// cursorKeys derives the cipher and the nonce key from the store's secret.
func (s *Store) cursorKeys() (cipher.AEAD, []byte) {
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, s.secret)
		m.Write([]byte(label))
		return m.Sum(nil)
	}
	block, err := aes.NewCipher(derive("haven cursor cipher v1"))
	if err != nil {
		panic(err) // a 32-byte key is always valid
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		panic(err)
	}
	return aead, derive("haven cursor nonce v1")
}

// sealCursor makes the cursor of list that holds key.
func (s *Store) sealCursor(list string, key ...int64) string {
	var plain []byte
	for _, k := range key {
		plain = binary.AppendVarint(plain, k)
	}
	aead, nonceKey := s.cursorKeys()
	m := hmac.New(sha256.New, nonceKey)
	m.Write([]byte(list))
	m.Write([]byte{0})
	m.Write(plain)
	nonce := m.Sum(nil)[:aead.NonceSize()]
	return base64.RawURLEncoding.EncodeToString(aead.Seal(nonce, nonce, plain, []byte(list)))
}

// openCursor reads a cursor of list holding n values; ok is false for anything else.
func (s *Store) openCursor(list, cursor string, n int) (key []int64, ok bool) {
	if cursor == "" || len(cursor) > maxCursorLen {
		return nil, false
	}
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, false
	}
	aead, _ := s.cursorKeys()
	if len(raw) < aead.NonceSize()+aead.Overhead() {
		return nil, false
	}
	plain, err := aead.Open(nil, raw[:aead.NonceSize()], raw[aead.NonceSize():], []byte(list))
	if err != nil {
		return nil, false
	}
	for len(plain) > 0 {
		k, w := binary.Varint(plain)
		if w <= 0 {
			return nil, false
		}
		key, plain = append(key, k), plain[w:]
	}
	return key, len(key) == n
}

// timeKey and keyTime carry a time in a cursor, to the nanosecond.
func timeKey(t time.Time) int64 { return t.UnixNano() }
func keyTime(k int64) time.Time { return time.Unix(0, k).UTC() }
func boolKey(b bool) int64 {
	if b {
		return 1
	}
	return 0
}

// pageAt positions q, ordered newest first by one of the keyset orders below, at a
// page: just past the cursor's key when after opens (seek adds the condition), else
// by OFFSET for page. It fetches one row more than a page, to tell whether another
// follows.
func pageAt(q *gorm.DB, page int, seek func(*gorm.DB) *gorm.DB) *gorm.DB {
	if seek != nil {
		return seek(q).Limit(PageSize + 1)
	}
	return q.Offset((page - 1) * PageSize).Limit(PageSize + 1)
}

// afterTimeID is the seek past (t, id) for a list ordered by "time DESC, id DESC"
// (columns named by timeCol and idCol): written so that the index on the time column
// bounds the scan.
func afterTimeID(timeCol, idCol string, t time.Time, id int64) func(*gorm.DB) *gorm.DB {
	return func(q *gorm.DB) *gorm.DB {
		return q.Where(fmt.Sprintf("%s <= ? AND (%s < ? OR %s < ?)", timeCol, timeCol, idCol), t, t, id)
	}
}

// groupThreadsSeek opens a group thread list's cursor: the list is ordered
// "pinned DESC, last_post_at DESC, id DESC". nil when after does not open.
func (s *Store) groupThreadsSeek(after string) func(*gorm.DB) *gorm.DB {
	k, ok := s.openCursor(cursorGroupThreads, after, 3)
	if !ok || (k[0] != 0 && k[0] != 1) {
		return nil
	}
	pinned, t, id := k[0] == 1, keyTime(k[1]), k[2]
	return func(q *gorm.DB) *gorm.DB {
		past := q.Session(&gorm.Session{NewDB: true}).Where("last_post_at <= ? AND (last_post_at < ? OR id < ?)", t, t, id)
		if !pinned {
			return q.Where("pinned = ?", false).Where(past)
		}
		// Past the last pinned thread shown: the rest of the pinned ones, then every other.
		return q.Where(q.Session(&gorm.Session{NewDB: true}).Where("pinned = ?", true).Where(past).Or("pinned = ?", false))
	}
}

// groupThreadsCursor is the cursor past the last of a page of a group's threads.
func (s *Store) groupThreadsCursor(ts []Thread) string {
	t := ts[len(ts)-1]
	return s.sealCursor(cursorGroupThreads, boolKey(t.Pinned), timeKey(t.LastPostAt), t.ID)
}

// groupThreads loads one page of a group's threads (see GroupPageAfter), with one
// row more than a page when another follows.
func (s *Store) groupThreads(ctx context.Context, groupID int64, page int, after string) ([]Thread, error) {
	var ts []Thread
	q := s.rdb.WithContext(ctx).Preload("Membership").Preload("Clinician").Where("group_id = ?", groupID).
		Order("pinned DESC, last_post_at DESC, id DESC")
	if err := pageAt(q, page, s.groupThreadsSeek(after)).Find(&ts).Error; err != nil {
		return nil, fmt.Errorf("models: group page: %w", err)
	}
	return ts, nil
}

// idSeek opens the cursor of a list ordered by id alone, newest first.
func (s *Store) idSeek(list, after, idCol string) func(*gorm.DB) *gorm.DB {
	k, ok := s.openCursor(list, after, 1)
	if !ok {
		return nil
	}
	return func(q *gorm.DB) *gorm.DB { return q.Where(idCol+" < ?", k[0]) }
}

// timeIDSeek opens the cursor of a list ordered "time DESC, id DESC".
func (s *Store) timeIDSeek(list, after, timeCol, idCol string) func(*gorm.DB) *gorm.DB {
	k, ok := s.openCursor(list, after, 2)
	if !ok {
		return nil
	}
	return afterTimeID(timeCol, idCol, keyTime(k[0]), k[1])
}
