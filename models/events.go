package models

import "context"

// Event kinds, as live pages receive them.
const (
	EventPost         = "post"
	EventPostUpdated  = "post_updated"
	EventPostRemoved  = "post_removed"
	EventAnnouncement = "announcement"
)

// Event says that something readers may be watching has changed. It carries ids
// only; what a subscriber may see of it is decided when it is delivered.
type Event struct {
	Kind     string `json:"kind"`
	GroupID  int64  `json:"-"`
	ThreadID int64  `json:"thread_id,omitempty"`
	PostID   int64  `json:"post_id,omitempty"`
	// ItemID is an announcement's id.
	ItemID int64 `json:"id,omitempty"`
}

// Publisher receives events after the transaction that caused them commits.
type Publisher interface {
	Publish(ctx context.Context, e Event)
}

// SetPublisher sets where the store sends events; nil drops them.
func (s *Store) SetPublisher(p Publisher) { s.publisher = p }

// Streamed reports whether events of this kind go to live pages (server-sent
// events). Any other kind is internal: a message between instances, such as a cache
// invalidation, that only the app's broker listeners receive.
func Streamed(kind string) bool {
	switch kind {
	case EventPost, EventPostUpdated, EventPostRemoved, EventAnnouncement:
		return true
	}
	return false
}

// publish sends events to the publisher, if any. Call it only after a commit.
func (s *Store) publish(ctx context.Context, events ...Event) {
	if s.publisher == nil {
		return
	}
	for _, e := range events {
		s.publisher.Publish(ctx, e)
	}
}

// PostPlace returns the thread and group of a post.
func (s *Store) PostPlace(ctx context.Context, postID int64) (threadID, groupID int64, err error) {
	var row struct {
		ThreadID int64
		GroupID  int64
	}
	err = s.rdb.WithContext(ctx).Table("posts").Select("posts.thread_id, threads.group_id").
		Joins("JOIN threads ON threads.id = posts.thread_id").Where("posts.id = ?", postID).Take(&row).Error
	if err != nil {
		return 0, 0, wrapErr("post place", err)
	}
	return row.ThreadID, row.GroupID, nil
}

// ReadableGroupIDs is the set of groups whose threads v may read.
func (s *Store) ReadableGroupIDs(ctx context.Context, v *Viewer) (map[int64]bool, error) {
	ls, err := s.ListGroups(ctx, v)
	if err != nil {
		return nil, err
	}
	out := make(map[int64]bool, len(ls))
	for i := range ls {
		if s.access(v, &ls[i].Group, ls[i].Membership).CanRead {
			out[ls[i].Group.ID] = true
		}
	}
	return out, nil
}
