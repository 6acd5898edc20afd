package app

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
)

// TestQueueHidesMembershipIDs checks that a moderator's queue names the member behind
// a member report or a join request by pseudonym only, never by membership id.
func TestQueueHidesMembershipIDs(t *testing.T) {
	w := setupModeration(t)
	w.bob.postForm(fmt.Sprintf("/posts/%d/reports", w.aliceTwo), url.Values{"reason": {"harassment"}, "about": {"member"}}).mustStatus(303)
	dave := w.ta.signIn("dave", "member")
	dp, _ := modJoin(t, dave, "group-c")
	for _, c := range []struct {
		mod        *client
		targetType string
	}{{w.modA, "membership"}, {w.modC, "join_request"}} {
		it := modItemByType(t, c.mod, c.targetType)
		if it.Target.ID != 0 {
			t.Errorf("%s item: target id %d, a membership id", c.targetType, it.Target.ID)
		}
	}
	if it := modFindJoin(t, w.modC, dp); !strings.Contains(it.Target.Excerpt, dp) {
		t.Fatalf("join item %+v", it)
	}
}
