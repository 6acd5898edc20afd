package app

import (
	"strings"
	"testing"
)

// testSecret32 is a HAVEN_SECRET of exactly 32 bytes.
const testSecret32 = "0123456789abcdef0123456789abcdef"

func TestConfigFromEnvDefaults(t *testing.T) {
	c := ConfigFromEnv(func(string) string { return "" })
	for _, tc := range []struct{ name, got, want string }{
		{"Addr", c.Addr, "127.0.0.1:8080"},
		{"Database", c.Database, "haven.db"},
		{"BaseURL", c.BaseURL, "http://127.0.0.1:8080"},
		{"LogLevel", c.LogLevel, "info"},
		{"OIDCName", c.OIDCName, "your organisation"},
	} {
		if tc.got != tc.want {
			t.Fatalf("%s = %q, want %q", tc.name, tc.got, tc.want)
		}
	}
	if !c.LocalMode() {
		t.Fatalf("defaults are not local mode")
	}
	if c.SecureCookies() {
		t.Fatalf("defaults ask for Secure cookies on http://")
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("defaults do not validate: %v", err)
	}
	if len(c.SecretBytes()) < 32 {
		t.Fatalf("local mode's fallback secret is %d bytes", len(c.SecretBytes()))
	}
}

func TestConfigValidate(t *testing.T) {
	cases := []struct {
		name string
		env  map[string]string
		// wantErr lists what the error must mention; none means the config is valid.
		wantErr []string
		check   func(t *testing.T, c Config)
	}{
		{
			name: "defaults",
			env:  nil,
			check: func(t *testing.T, c Config) {
				if !c.LocalMode() {
					t.Fatalf("not local mode")
				}
			},
		},
		{
			name: "local mode on localhost",
			env:  map[string]string{"HAVEN_ADDR": "localhost:9000"},
			check: func(t *testing.T, c Config) {
				if got, want := c.BaseURL, "http://localhost:9000"; got != want {
					t.Fatalf("BaseURL %q, want %q", got, want)
				}
			},
		},
		{
			name: "local mode on IPv6 loopback",
			env:  map[string]string{"HAVEN_ADDR": "[::1]:8080"},
		},
		{
			name:    "local mode on all interfaces is refused",
			env:     map[string]string{"HAVEN_ADDR": "0.0.0.0:8080"},
			wantErr: []string{"HAVEN_ADDR", "loopback", "0.0.0.0:8080"},
		},
		{
			name:    "local mode on an empty host is refused",
			env:     map[string]string{"HAVEN_ADDR": ":8080"},
			wantErr: []string{"HAVEN_ADDR"},
		},
		{
			name:    "local mode on a public address is refused",
			env:     map[string]string{"HAVEN_ADDR": "192.0.2.10:8080"},
			wantErr: []string{"HAVEN_ADDR"},
		},
		{
			name:    "address that is not host:port",
			env:     map[string]string{"HAVEN_ADDR": "8080"},
			wantErr: []string{"HAVEN_ADDR", "host:port"},
		},
		{
			name:    "short secret in local mode",
			env:     map[string]string{"HAVEN_SECRET": "too-short"},
			wantErr: []string{"HAVEN_SECRET", "32"},
		},
		{
			name: "provider on all interfaces with a secret",
			env: map[string]string{"HAVEN_ADDR": "0.0.0.0:8080", "HAVEN_BASE_URL": "https://haven.example.org/",
				"HAVEN_GITHUB_KEY": "key", "HAVEN_GITHUB_SECRET": "secret", "HAVEN_SECRET": testSecret32},
			check: func(t *testing.T, c Config) {
				if c.LocalMode() {
					t.Fatalf("local mode with GitHub configured")
				}
				if got, want := c.BaseURL, "https://haven.example.org"; got != want {
					t.Fatalf("BaseURL %q, want %q (no trailing slash)", got, want)
				}
				if !c.SecureCookies() {
					t.Fatalf("https base URL without Secure cookies")
				}
				if got, want := string(c.SecretBytes()), testSecret32; got != want {
					t.Fatalf("SecretBytes %q, want HAVEN_SECRET", got)
				}
			},
		},
		{
			name:    "provider without HAVEN_SECRET",
			env:     map[string]string{"HAVEN_GITHUB_KEY": "key", "HAVEN_GITHUB_SECRET": "secret"},
			wantErr: []string{"HAVEN_SECRET"},
			check: func(t *testing.T, c Config) {
				if len(c.SecretBytes()) != 0 {
					t.Fatalf("outside local mode SecretBytes falls back to %q", c.SecretBytes())
				}
			},
		},
		{
			name: "provider with a short HAVEN_SECRET",
			env: map[string]string{"HAVEN_OIDC_ISSUER": "https://id.example.org", "HAVEN_OIDC_CLIENT_ID": "haven",
				"HAVEN_OIDC_CLIENT_SECRET": "s", "HAVEN_SECRET": testSecret32[:31]},
			wantErr: []string{"HAVEN_SECRET", "32"},
		},
		{
			name:    "GitHub key without its secret",
			env:     map[string]string{"HAVEN_GITHUB_KEY": "key", "HAVEN_SECRET": testSecret32},
			wantErr: []string{"HAVEN_GITHUB_KEY", "HAVEN_GITHUB_SECRET"},
		},
		{
			name:    "GitHub secret without its key",
			env:     map[string]string{"HAVEN_GITHUB_SECRET": "secret", "HAVEN_SECRET": testSecret32},
			wantErr: []string{"HAVEN_GITHUB_KEY"},
		},
		{
			name:    "Google key without its secret",
			env:     map[string]string{"HAVEN_GOOGLE_KEY": "key", "HAVEN_SECRET": testSecret32},
			wantErr: []string{"HAVEN_GOOGLE_SECRET"},
		},
		{
			name: "OIDC issuer without client id",
			env: map[string]string{"HAVEN_OIDC_ISSUER": "https://id.example.org", "HAVEN_OIDC_CLIENT_SECRET": "s",
				"HAVEN_SECRET": testSecret32},
			wantErr: []string{"HAVEN_OIDC_CLIENT_ID"},
		},
		{
			name:    "OIDC client id without issuer",
			env:     map[string]string{"HAVEN_OIDC_CLIENT_ID": "haven", "HAVEN_OIDC_CLIENT_SECRET": "s"},
			wantErr: []string{"HAVEN_OIDC_ISSUER"},
		},
		{
			name: "OIDC issuer that is not a URL",
			env: map[string]string{"HAVEN_OIDC_ISSUER": "id.example.org", "HAVEN_OIDC_CLIENT_ID": "haven",
				"HAVEN_OIDC_CLIENT_SECRET": "s", "HAVEN_SECRET": testSecret32},
			wantErr: []string{"HAVEN_OIDC_ISSUER"},
		},
		{
			name: "OIDC fully configured",
			env: map[string]string{"HAVEN_OIDC_ISSUER": "https://id.example.org", "HAVEN_OIDC_CLIENT_ID": "haven",
				"HAVEN_OIDC_CLIENT_SECRET": "s", "HAVEN_OIDC_NAME": "St Mary's", "HAVEN_SECRET": testSecret32},
			check: func(t *testing.T, c Config) {
				if c.LocalMode() {
					t.Fatalf("local mode with OIDC configured")
				}
				if got, want := c.OIDCName, "St Mary's"; got != want {
					t.Fatalf("OIDCName %q, want %q", got, want)
				}
			},
		},
		{
			name: "https base URL asks for Secure cookies",
			env:  map[string]string{"HAVEN_BASE_URL": "https://haven.example.org"},
			check: func(t *testing.T, c Config) {
				if !c.SecureCookies() {
					t.Fatalf("SecureCookies false for %s", c.BaseURL)
				}
			},
		},
		{
			name: "http base URL does not",
			env:  map[string]string{"HAVEN_BASE_URL": "http://127.0.0.1:8080"},
			check: func(t *testing.T, c Config) {
				if c.SecureCookies() {
					t.Fatalf("SecureCookies true for %s", c.BaseURL)
				}
			},
		},
		{
			name:    "base URL without a scheme",
			env:     map[string]string{"HAVEN_BASE_URL": "haven.example.org"},
			wantErr: []string{"HAVEN_BASE_URL"},
		},
		{
			name:    "base URL with another scheme",
			env:     map[string]string{"HAVEN_BASE_URL": "ftp://haven.example.org"},
			wantErr: []string{"HAVEN_BASE_URL"},
		},
		{
			name:    "bad log level",
			env:     map[string]string{"HAVEN_LOG_LEVEL": "verbose"},
			wantErr: []string{"HAVEN_LOG_LEVEL", "verbose"},
		},
		{
			name: "debug log level",
			env:  map[string]string{"HAVEN_LOG_LEVEL": "debug"},
		},
		{
			name: "postgres database",
			env:  map[string]string{"HAVEN_DATABASE": "postgres://haven@db.internal:5432/haven?sslmode=require"},
		},
		{
			name: "every problem is reported at once",
			env: map[string]string{"HAVEN_ADDR": "0.0.0.0:8080", "HAVEN_LOG_LEVEL": "loud",
				"HAVEN_SECRET": "short", "HAVEN_BASE_URL": "nonsense"},
			wantErr: []string{"HAVEN_ADDR", "HAVEN_LOG_LEVEL", "HAVEN_SECRET", "HAVEN_BASE_URL"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := ConfigFromEnv(func(k string) string { return tc.env[k] })
			err := c.Validate()
			if len(tc.wantErr) == 0 && err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if len(tc.wantErr) > 0 {
				if err == nil {
					t.Fatalf("Validate accepted %v", tc.env)
				}
				for _, want := range tc.wantErr {
					if !strings.Contains(err.Error(), want) {
						t.Fatalf("error %q does not mention %q", err, want)
					}
				}
			}
			if tc.check != nil {
				tc.check(t, c)
			}
		})
	}

	t.Run("every log level is accepted", func(t *testing.T) {
		for _, level := range []string{"debug", "info", "warn", "error"} {
			c := ConfigFromEnv(func(k string) string {
				if k == "HAVEN_LOG_LEVEL" {
					return level
				}
				return ""
			})
			if err := c.Validate(); err != nil {
				t.Fatalf("HAVEN_LOG_LEVEL=%s: %v", level, err)
			}
		}
	})
}

func TestConfigRefusedByNew(t *testing.T) {
	// app.New validates too, so that a bad configuration never serves.
	c := ConfigFromEnv(func(k string) string {
		if k == "HAVEN_ADDR" {
			return "0.0.0.0:8080"
		}
		return ""
	})
	if _, err := New(c, nil, nil); err == nil || !strings.Contains(err.Error(), "HAVEN_ADDR") {
		t.Fatalf("New with local mode on 0.0.0.0: %v, want an error naming HAVEN_ADDR", err)
	}
}
