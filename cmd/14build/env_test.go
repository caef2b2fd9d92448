package main

import (
	"os"
	"regexp"
	"strings"
	"testing"
)

// .env.example, copied to .env and exported (`set -a; . ./.env`), must leave a working
// `make run`: every active line a valid value the server accepts, nothing that points it
// at a database or address that is not there, and every setting one the server reads.
func TestEnvExample(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile("../../.env.example")
	if err != nil {
		t.Fatal(err)
	}
	line := regexp.MustCompile(`^(#\s*)?([A-Z][A-Z0-9_]*)=(.*)$`)
	// What a shell reads as one word without quotes.
	plain := regexp.MustCompile(`^[A-Za-z0-9_.:/@?=&%+,-]*$`)
	env := map[string]string{}
	documented := map[string]bool{}
	for i, l := range strings.Split(string(b), "\n") {
		m := line.FindStringSubmatch(l)
		if m == nil {
			if l != "" && !strings.HasPrefix(l, "#") {
				t.Errorf("line %d is neither a setting nor a comment: %q", i+1, l)
			}
			continue
		}
		documented[m[2]] = true
		if m[1] != "" {
			continue // commented out: an example only
		}
		if !plain.MatchString(m[3]) {
			t.Errorf("line %d: %s=%q needs quoting for the shell", i+1, m[2], m[3])
		}
		env[m[2]] = m[3]
	}
	for _, key := range []string{"DATABASE_URL", "BASE_URL"} {
		if _, ok := env[key]; ok {
			t.Errorf("%s is set: a copied .env would point make run at a placeholder", key)
		}
	}
	read := map[string]bool{"LOG_LEVEL": true, "LOG_FORMAT": true, "ADMIN_PASSWORD": true}
	if _, err := loadConfig(func(k string) string { read[k] = true; return env[k] }); err != nil {
		t.Fatalf("the settings as copied are refused: %v", err)
	}
	// Read by scripts/pg.sh and the tests, not the server.
	dev := map[string]bool{"PG14BUILD_PORT": true, "CHROME_PATH": true, "SKIP_BROWSER_TESTS": true}
	for key := range documented {
		if !read[key] && !dev[key] {
			t.Errorf("%s is documented but nothing reads it", key)
		}
	}
	for key := range read {
		if !documented[key] {
			t.Errorf("%s is read but not documented in .env.example", key)
		}
	}
}
