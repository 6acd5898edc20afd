package app

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"haven/models"
)

// parseLaneDeadlines reads HAVEN_LANE_DEADLINES: comma-separated lane=duration pairs
// such as "crisis=10m,safety=45m,spam=96h" that override the default deadline of
// those lanes (crisis 15m, safety and privacy 1h, misinformation and harassment 24h,
// spam and other 72h). Empty means the defaults. Each duration is a Go duration from
// one minute to 30 days; an unknown lane or a lane given twice is an error.
func parseLaneDeadlines(s string) (map[string]time.Duration, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil, nil
	}
	out := map[string]time.Duration{}
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		lane, dur, ok := strings.Cut(part, "=")
		lane, dur = strings.TrimSpace(lane), strings.TrimSpace(dur)
		if !ok || lane == "" || dur == "" {
			return nil, fmt.Errorf("HAVEN_LANE_DEADLINES: %q is not lane=duration (e.g. crisis=15m)", part)
		}
		if !slices.Contains(models.Lanes, lane) {
			return nil, fmt.Errorf("HAVEN_LANE_DEADLINES: unknown lane %q; lanes are %s", lane, strings.Join(models.Lanes, ", "))
		}
		if _, dup := out[lane]; dup {
			return nil, fmt.Errorf("HAVEN_LANE_DEADLINES: lane %q is given twice", lane)
		}
		d, err := time.ParseDuration(dur)
		if err != nil {
			return nil, fmt.Errorf("HAVEN_LANE_DEADLINES: %s=%q is not a duration such as 15m, 1h or 72h", lane, dur)
		}
		if d < time.Minute || d > 30*24*time.Hour {
			return nil, fmt.Errorf("HAVEN_LANE_DEADLINES: %s=%s must be from 1m to 720h", lane, dur)
		}
		out[lane] = d
	}
	return out, nil
}
