package models

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strings"
)

//go:embed data/crisis-resources.json
var crisisResourcesFile []byte

// CrisisLine is one vetted way to reach help.
type CrisisLine struct {
	Name string `json:"name"`
	// Phone is the number to call, when the line takes calls.
	Phone string `json:"phone,omitempty"`
	// Text is the number to text, when the line takes texts.
	Text string `json:"text,omitempty"`
	How  string `json:"how"`
	URL  string `json:"url"`
}

// CrisisRegion is the crisis lines of one region and its emergency number.
type CrisisRegion struct {
	Region       string       `json:"region"`
	Name         string       `json:"name"`
	Emergency    string       `json:"emergency"`
	LastVerified string       `json:"last_verified"`
	Lines        []CrisisLine `json:"lines"`
}

// InternationalRegion is the fallback for regions without vetted lines.
const InternationalRegion = "INTL"

var crisisRegions = mustLoadCrisisRegions()

func mustLoadCrisisRegions() []CrisisRegion {
	var f struct {
		Regions []CrisisRegion `json:"regions"`
	}
	if err := json.Unmarshal(crisisResourcesFile, &f); err != nil {
		panic(fmt.Sprintf("models: crisis resources: %v", err))
	}
	return f.Regions
}

// euStates share the EU emotional-support number 116 123 and the emergency number 112.
var euStates = map[string]bool{"AT": true, "BE": true, "BG": true, "HR": true, "CY": true, "CZ": true,
	"DK": true, "EE": true, "FI": true, "FR": true, "DE": true, "GR": true, "HU": true, "IT": true,
	"LV": true, "LT": true, "LU": true, "MT": true, "NL": true, "PL": true, "PT": true, "RO": true,
	"SK": true, "SI": true, "ES": true, "SE": true}

// CrisisRegions lists every region with vetted crisis lines, the international
// fallback last.
func CrisisRegions() []CrisisRegion { return crisisRegions }

// CrisisResourcesFor returns the crisis lines for a region code such as "GB" or "US"
// ("UK" is read as "GB"); any region without vetted lines gets the international entry.
func CrisisResourcesFor(region string) CrisisRegion {
	region = strings.ToUpper(strings.TrimSpace(region))
	if region == "UK" {
		region = "GB"
	}
	if euStates[region] {
		region = "EU"
	}
	var intl CrisisRegion
	for _, r := range crisisRegions {
		if r.Region == region {
			return r
		}
		if r.Region == InternationalRegion {
			intl = r
		}
	}
	return intl
}
