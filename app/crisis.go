package app

import (
	"net/http"
	"net/url"
	"strings"

	"github.com/labstack/echo/v4"

	"haven/models"
)

// regionOf guesses the reader's region from ?region= or the Accept-Language header
// ("en-GB" → "GB"); "" when it cannot tell, which gets the international lines.
func regionOf(c echo.Context) string {
	if r := strings.ToUpper(strings.TrimSpace(c.QueryParam("region"))); len(r) == 2 || r == models.InternationalRegion {
		return r
	}
	for _, part := range strings.Split(c.Request().Header.Get("Accept-Language"), ",") {
		tag := strings.TrimSpace(strings.SplitN(part, ";", 2)[0])
		if i := strings.IndexAny(tag, "-_"); i > 0 && len(tag) >= i+3 {
			if r := strings.ToUpper(tag[i+1 : i+3]); isLetters(r) {
				return r
			}
		}
	}
	return ""
}

func isLetters(s string) bool {
	for _, r := range s {
		if r < 'A' || r > 'Z' {
			return false
		}
	}
	return s != ""
}

// resourceJSON is one crisis line as notices show it.
type resourceJSON struct {
	Name   string `json:"name"`
	Phone  string `json:"phone,omitempty"`
	Text   string `json:"text,omitempty"`
	How    string `json:"how"`
	URL    string `json:"url"`
	Region string `json:"region"`
}

func resourcesFor(region string) (models.CrisisRegion, []resourceJSON) {
	r := models.CrisisResourcesFor(region)
	out := make([]resourceJSON, 0, len(r.Lines))
	for _, l := range r.Lines {
		out = append(out, resourceJSON{Name: l.Name, Phone: l.Phone, Text: l.Text, How: l.How, URL: l.URL, Region: r.Region})
	}
	return r, out
}

// notices turns what the store noticed about a post into the API's notices.
func notices(c echo.Context, p *models.Post) []noticeJSON {
	out := []noticeJSON{}
	for _, n := range p.Notices {
		nj := noticeJSON{Kind: n.Kind, Reason: n.Reason}
		if n.Kind == models.NoticeCrisis {
			r, res := resourcesFor(regionOf(c))
			nj.Resources, nj.Emergency = res, r.Emergency
		}
		out = append(out, nj)
	}
	return out
}

// crisisView is the crisis resources page: the reader's region first.
type crisisView struct {
	Region    string                `json:"region"`
	Resources models.CrisisRegion   `json:"resources"`
	Regions   []models.CrisisRegion `json:"regions"`
	// Continue is where an author goes on after reading, when they came from posting.
	Continue string `json:"continue,omitempty"`
}

// crisis handles GET /crisis.
func (h *handler) crisis(c echo.Context) error {
	region := regionOf(c)
	r := models.CrisisResourcesFor(region)
	cv := crisisView{Region: r.Region, Resources: r, Regions: models.CrisisRegions()}
	if next := c.QueryParam("continue"); next != "" {
		if n := safeNext(next); n != "/" {
			cv.Continue = n
		}
	}
	return h.respond(c, http.StatusOK, "crisis", cv)
}

// afterPostURL is where a browser goes after posting: the crisis resources first
// when the post matched crisis language, else the post itself.
func afterPostURL(c echo.Context, p *models.Post, postURL string) string {
	for _, n := range p.Notices {
		if n.Kind == models.NoticeCrisis {
			return "/crisis?from=post&continue=" + url.QueryEscape(postURL)
		}
	}
	return postURL
}
