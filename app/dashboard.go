package app

import (
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"haven/models"
)

// dashboardView is the staff dashboard: the JSON is models.Dashboard; the page adds
// charts and links.
type dashboardView struct {
	*models.Dashboard
	// Base is the dashboard's own URL, for the period links.
	Base      string          `json:"-"`
	Periods   []string        `json:"-"`
	Charts    dashboardCharts `json:"-"`
	Rows      []activityRow   `json:"-"`
	Lanes     []laneRow       `json:"-"`
	TopicRows []topicRow      `json:"-"`
}

type dashboardCharts struct {
	Posts, Members, Reasons, Open template.HTML
	PostsAlt, MembersAlt          string
}

// activityRow is a group's activity with its numbers formatted.
type activityRow struct {
	models.Activity
	Share, MedianAnswer string
}

type laneRow struct {
	models.LaneHealth
	Median, P90 string
}

type topicRow struct {
	models.EmergingTopic
	Chart template.HTML
	Links []topicLink
}

type topicLink struct {
	URL, Label string
}

// newDashboardView builds the page's charts and formatted numbers.
func newDashboardView(d *models.Dashboard, base string) dashboardView {
	v := dashboardView{Dashboard: d, Base: base, Periods: []string{models.Period24h, models.Period7d, models.Period30d}}
	posts, members := make([]int, len(d.Series)), make([]int, len(d.Series))
	var postsAlt, membersAlt []string
	for i, p := range d.Series {
		posts[i], members[i] = p.Posts, p.NewMembers
		when := p.Start.Format("2 Jan")
		if d.Bucket == "hour" {
			when = p.Start.Format("15:04")
		}
		postsAlt = append(postsAlt, fmt.Sprintf("%s: %d", when, p.Posts))
		membersAlt = append(membersAlt, fmt.Sprintf("%s: %d", when, p.NewMembers))
	}
	per := "hour"
	if d.Bucket == "day" {
		per = "day (UTC)"
	}
	v.Charts.PostsAlt = "Posts per " + per + ", oldest first. " + strings.Join(postsAlt, "; ")
	v.Charts.MembersAlt = "New members per " + per + ", oldest first. " + strings.Join(membersAlt, "; ")
	v.Charts.Posts = sparkline("chart-posts", "Posts per "+per, posts, v.Charts.PostsAlt)
	v.Charts.Members = sparkline("chart-members", "New members per "+per, members, v.Charts.MembersAlt)
	var reasons, open []bar
	for _, r := range d.Reasons {
		reasons = append(reasons, bar{Label: r.Reason, Value: r.Count})
	}
	for _, l := range d.Queue {
		open = append(open, bar{Label: l.Lane, Value: l.Open, Warn: l.Overdue > 0})
		v.Lanes = append(v.Lanes, laneRow{LaneHealth: l, Median: seconds(l.MedianSeconds), P90: seconds(l.P90Seconds)})
	}
	v.Charts.Reasons = barChart("chart-reasons", "Reports and flags by reason", reasons)
	v.Charts.Open = barChart("chart-open", "Open queue items by lane", open)
	for _, a := range append([]models.Activity{d.Totals}, d.Groups...) {
		v.Rows = append(v.Rows, activityRow{Activity: a, Share: percent(a.AnsweredShare, a.Questions), MedianAnswer: seconds(a.MedianAnswerSeconds)})
	}
	for i, t := range d.Topics {
		row := topicRow{EmergingTopic: t}
		var days []string
		for j, n := range t.Trend {
			if j == len(t.Trend)-1 {
				days = append(days, fmt.Sprintf("last 24 hours: %d", n))
			} else {
				days = append(days, fmt.Sprintf("%d days before: %d", len(t.Trend)-1-j, n))
			}
		}
		row.Chart = sparkline(fmt.Sprintf("chart-topic-%d", i), "Posts mentioning “"+t.Term+"” per day", t.Trend, strings.Join(days, "; "))
		for k, p := range t.Posts {
			row.Links = append(row.Links, topicLink{URL: postLinkURL(p.PostID), Label: fmt.Sprintf("post %d", k+1)})
		}
		v.TopicRows = append(v.TopicRows, row)
	}
	return v
}

// seconds says a duration in seconds briefly ("4 min", "2.5 h"); "—" for none.
func seconds(s *int64) string {
	if s == nil {
		return "—"
	}
	d := time.Duration(*s) * time.Second
	switch {
	case d < time.Minute:
		return fmt.Sprintf("%d s", *s)
	case d < time.Hour:
		return fmt.Sprintf("%d min", int(d/time.Minute))
	case d < 48*time.Hour:
		return fmt.Sprintf("%.1f h", d.Hours())
	}
	return fmt.Sprintf("%.1f days", d.Hours()/24)
}

// percent says a share as a percentage; "—" when there was nothing to share.
func percent(share float64, whole int) string {
	if whole == 0 {
		return "—"
	}
	return fmt.Sprintf("%.0f%%", share*100)
}

// adminDashboard handles GET /admin/dashboard (admins): the whole site, or one group
// with ?group=.
func (h *handler) adminDashboard(c echo.Context) error {
	var f models.DashboardFilter
	f.Period, f.Group = c.QueryParam("period"), c.QueryParam("group")
	d, err := h.store.Dashboard(c.Request().Context(), viewer(c), f)
	if err != nil {
		return err
	}
	base := "/admin/dashboard"
	if f.Group != "" {
		base += "?group=" + url.QueryEscape(f.Group) + "&"
	} else {
		base += "?"
	}
	return h.respond(c, http.StatusOK, "dashboard", newDashboardView(d, base))
}

// groupDashboard handles GET /groups/:slug/dashboard (the group's moderators and admins).
func (h *handler) groupDashboard(c echo.Context) error {
	f := models.DashboardFilter{Period: c.QueryParam("period"), Group: c.Param("slug")}
	d, err := h.store.Dashboard(c.Request().Context(), viewer(c), f)
	if err != nil {
		return err
	}
	return h.respond(c, http.StatusOK, "dashboard", newDashboardView(d, "/groups/"+url.PathEscape(d.Group.Slug)+"/dashboard?"))
}
