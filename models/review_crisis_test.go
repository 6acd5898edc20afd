package models

import "testing"

// TestEditNeverHidesCrisisPost checks that an edit of a crisis post that adds personal
// data in an open group does not hold it: crisis posts are never auto-hidden.
func TestEditNeverHidesCrisisPost(t *testing.T) {
	f := newEditFixture(t)
	if _, err := f.s.EditPost(ctx, f.ann, f.opening.ID, PostEdit{Body: "Honestly I want to end my life.", Version: 1}); err != nil {
		t.Fatal(err)
	}
	if got := f.post(t, f.opening.ID); !got.Crisis || got.Status != PostPublished {
		t.Fatalf("after the crisis edit: %+v", got)
	}
	pc, err := f.s.EditPost(ctx, f.ann, f.opening.ID, PostEdit{Body: "Honestly I want to end my life. Call me on +1 (555) 123-4567",
		Version: 2, ConfirmPersonalData: true})
	if err != nil {
		t.Fatal(err)
	}
	if got := f.post(t, f.opening.ID); got.Status != PostPublished || pc.Post.Status != PostPublished || !got.Crisis {
		t.Fatalf("a crisis post was hidden by an edit: status %q crisis %v", got.Status, got.Crisis)
	}
}
