package app

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"

	"haven/models"
)

// localSecret keys sessions and identity hashes in local mode, which only ever listens
// on a loopback address. Outside local mode HAVEN_SECRET is required.
const localSecret = "haven-local-mode-only-not-a-secret-0000"

// Config is Haven's configuration, read from HAVEN_* environment variables.
type Config struct {
	Addr     string // HAVEN_ADDR
	Database string // HAVEN_DATABASE
	BaseURL  string // HAVEN_BASE_URL
	Secret   string // HAVEN_SECRET

	// DatabaseReplicas is HAVEN_DATABASE_REPLICAS: comma-separated postgres:// URLs of
	// read replicas of a PostgreSQL HAVEN_DATABASE (see Replicas).
	DatabaseReplicas string

	GitHubKey, GitHubSecret string // HAVEN_GITHUB_KEY, HAVEN_GITHUB_SECRET
	GoogleKey, GoogleSecret string // HAVEN_GOOGLE_KEY, HAVEN_GOOGLE_SECRET

	OIDCIssuer       string // HAVEN_OIDC_ISSUER
	OIDCClientID     string // HAVEN_OIDC_CLIENT_ID
	OIDCClientSecret string // HAVEN_OIDC_CLIENT_SECRET
	OIDCName         string // HAVEN_OIDC_NAME, shown on the sign-in button

	// LogLevel is HAVEN_LOG_LEVEL: debug, info, warn or error.
	LogLevel string

	// LaneDeadlines is HAVEN_LANE_DEADLINES: overrides of the moderation lanes'
	// deadlines, such as "crisis=10m,spam=96h" (see parseLaneDeadlines).
	LaneDeadlines string

	// RateLimits is HAVEN_RATE_LIMITS, the abuse limits (see ParseRateLimits).
	RateLimits string
	// TrustProxy is HAVEN_TRUST_PROXY=1: believe X-Forwarded-For for client addresses.
	TrustProxy bool

	// MetricsToken is HAVEN_METRICS_TOKEN: the bearer token that opens /metrics to
	// non-loopback scrapers. Without it /metrics answers loopback requests only.
	MetricsToken string
}

// ConfigFromEnv reads the configuration through getenv (os.Getenv in main) and fills
// in defaults. Call Validate before using it.
func ConfigFromEnv(getenv func(string) string) Config {
	c := Config{
		Addr:             getenv("HAVEN_ADDR"),
		Database:         getenv("HAVEN_DATABASE"),
		DatabaseReplicas: getenv("HAVEN_DATABASE_REPLICAS"),
		BaseURL:          getenv("HAVEN_BASE_URL"),
		Secret:           getenv("HAVEN_SECRET"),
		GitHubKey:        getenv("HAVEN_GITHUB_KEY"),
		GitHubSecret:     getenv("HAVEN_GITHUB_SECRET"),
		GoogleKey:        getenv("HAVEN_GOOGLE_KEY"),
		GoogleSecret:     getenv("HAVEN_GOOGLE_SECRET"),
		OIDCIssuer:       getenv("HAVEN_OIDC_ISSUER"),
		OIDCClientID:     getenv("HAVEN_OIDC_CLIENT_ID"),
		OIDCClientSecret: getenv("HAVEN_OIDC_CLIENT_SECRET"),
		OIDCName:         getenv("HAVEN_OIDC_NAME"),
		LogLevel:         getenv("HAVEN_LOG_LEVEL"),
		LaneDeadlines:    getenv("HAVEN_LANE_DEADLINES"),
		RateLimits:       getenv("HAVEN_RATE_LIMITS"),
		TrustProxy:       getenv("HAVEN_TRUST_PROXY") == "1" || getenv("HAVEN_TRUST_PROXY") == "true",
		MetricsToken:     getenv("HAVEN_METRICS_TOKEN"),
	}
	if c.Addr == "" {
		c.Addr = "127.0.0.1:8080"
	}
	if c.Database == "" {
		c.Database = "haven.db"
	}
	if c.BaseURL == "" {
		c.BaseURL = "http://" + c.Addr
	}
	c.BaseURL = strings.TrimRight(c.BaseURL, "/")
	if c.OIDCName == "" {
		c.OIDCName = "your organisation"
	}
	if c.LogLevel == "" {
		c.LogLevel = "info"
	}
	return c
}

// LocalMode reports whether no sign-in provider is configured: Haven then offers
// development identities on /auth/local.
func (c Config) LocalMode() bool {
	return c.GitHubKey == "" && c.GoogleKey == "" && c.OIDCIssuer == ""
}

// SecretBytes is the server secret: HAVEN_SECRET, or a fixed value in local mode.
func (c Config) SecretBytes() []byte {
	if c.Secret == "" && c.LocalMode() {
		return []byte(localSecret)
	}
	return []byte(c.Secret)
}

// SecureCookies reports whether cookies must carry the Secure flag.
func (c Config) SecureCookies() bool { return strings.HasPrefix(c.BaseURL, "https://") }

// Validate reports every problem with the configuration, each with what to set.
func (c Config) Validate() error {
	var errs []error
	host, _, err := net.SplitHostPort(c.Addr)
	if err != nil {
		errs = append(errs, fmt.Errorf("HAVEN_ADDR=%q is not host:port (e.g. 127.0.0.1:8080)", c.Addr))
	}
	if u, err := url.Parse(c.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		errs = append(errs, fmt.Errorf("HAVEN_BASE_URL=%q must be an http:// or https:// URL such as https://haven.example.org", c.BaseURL))
	}
	if c.Database == "" {
		errs = append(errs, errors.New("HAVEN_DATABASE is empty: set a SQLite file path or a postgres:// URL"))
	}
	pair := func(name, key, secret string) {
		if (key == "") != (secret == "") {
			errs = append(errs, fmt.Errorf("set both HAVEN_%s_KEY and HAVEN_%s_SECRET, or neither", name, name))
		}
	}
	pair("GITHUB", c.GitHubKey, c.GitHubSecret)
	pair("GOOGLE", c.GoogleKey, c.GoogleSecret)
	if c.OIDCIssuer != "" || c.OIDCClientID != "" || c.OIDCClientSecret != "" {
		if c.OIDCIssuer == "" || c.OIDCClientID == "" || c.OIDCClientSecret == "" {
			errs = append(errs, errors.New("an OpenID Connect provider needs HAVEN_OIDC_ISSUER, HAVEN_OIDC_CLIENT_ID and HAVEN_OIDC_CLIENT_SECRET"))
		} else if u, err := url.Parse(c.OIDCIssuer); err != nil || (u.Scheme != "https" && u.Scheme != "http") {
			errs = append(errs, fmt.Errorf("HAVEN_OIDC_ISSUER=%q must be the issuer's URL", c.OIDCIssuer))
		}
	}
	if c.LocalMode() {
		if err == nil && !isLoopback(host) {
			errs = append(errs, fmt.Errorf("local mode (no sign-in provider configured) only listens on a loopback address, not %q: set HAVEN_ADDR=127.0.0.1:8080, or configure a provider (HAVEN_GITHUB_KEY, HAVEN_GOOGLE_KEY or HAVEN_OIDC_ISSUER)", c.Addr))
		}
		if c.Secret != "" && len(c.Secret) < 32 {
			errs = append(errs, errors.New("HAVEN_SECRET must be at least 32 bytes; generate one with: openssl rand -hex 32"))
		}
	} else if len(c.Secret) < 32 {
		errs = append(errs, errors.New("HAVEN_SECRET must be set to at least 32 bytes when a sign-in provider is configured; generate one with: openssl rand -hex 32"))
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("HAVEN_LOG_LEVEL=%q: choose debug, info, warn or error", c.LogLevel))
	}
	if _, err := parseLaneDeadlines(c.LaneDeadlines); err != nil {
		errs = append(errs, err)
	}
	if _, err := ParseRateLimits(c.RateLimits); err != nil {
		errs = append(errs, err)
	}
	if err := validateMetricsToken(c.MetricsToken); err != nil {
		errs = append(errs, err)
	}
	if models.IsPostgres(c.Database) {
		if _, err := url.Parse(c.Database); err != nil {
			errs = append(errs, fmt.Errorf("HAVEN_DATABASE is not a valid postgres:// URL: %v", err))
		}
	}
	if err := c.validateReplicas(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Replicas lists the read replicas' URLs of HAVEN_DATABASE_REPLICAS.
func (c Config) Replicas() []string {
	var out []string
	for _, r := range strings.Split(c.DatabaseReplicas, ",") {
		if r = strings.TrimSpace(r); r != "" {
			out = append(out, r)
		}
	}
	return out
}

// validateReplicas checks HAVEN_DATABASE_REPLICAS: postgres:// URLs, for a
// PostgreSQL HAVEN_DATABASE only.
func (c Config) validateReplicas() error {
	rs := c.Replicas()
	if len(rs) == 0 {
		return nil
	}
	if !models.IsPostgres(c.Database) {
		return errors.New("HAVEN_DATABASE_REPLICAS needs HAVEN_DATABASE to be a postgres:// URL: read replicas are for PostgreSQL only; unset it for SQLite")
	}
	for i, r := range rs {
		u, err := url.Parse(r)
		if err != nil || !models.IsPostgres(r) || u.Host == "" {
			// The URL may hold a password: name it by position only.
			return fmt.Errorf("HAVEN_DATABASE_REPLICAS: entry %d is not a postgres:// URL (use comma-separated URLs such as postgres://haven@replica1:5432/haven)", i+1)
		}
	}
	return nil
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
