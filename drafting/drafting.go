// Package drafting proposes units from a brief and work packages from an SOQ (issue 15).
// A built-in deterministic planner is the default; an OpenAI-compatible chat-completions
// service (Service) is used when one is configured. Either way the answer is only a
// proposal: it passes the same rules as a person's input (units.Validate, CheckPackages)
// and nothing is saved until a person has reviewed it.
package drafting

import (
	"log/slog"
	"strings"
	"time"
)

// Config is the drafting service's configuration (AI_BASE_URL, AI_API_KEY, AI_MODEL,
// AI_TIMEOUT). The zero value means "no service: the built-in planner only".
type Config struct {
	BaseURL string        // an OpenAI-compatible API root, e.g. http://localhost:11434/v1
	APIKey  string        // never logged, never shown on a page
	Model   string        // the model to ask
	Timeout time.Duration // per attempt (default DefaultTimeout)
}

// DefaultTimeout bounds one attempt at the service; there is one retry.
const DefaultTimeout = 30 * time.Second

// Enabled reports whether a service is configured: a model, and a base URL or a key (a
// key alone means OpenAI's own API).
func (c Config) Enabled() bool {
	return strings.TrimSpace(c.Model) != "" && (strings.TrimSpace(c.BaseURL) != "" || c.APIKey != "")
}

// LogValue keeps the key out of every log line that prints a Config.
func (c Config) LogValue() slog.Value {
	key := ""
	if c.APIKey != "" {
		key = "(set)"
	}
	return slog.GroupValue(slog.String("base_url", c.BaseURL), slog.String("model", c.Model),
		slog.String("api_key", key), slog.Duration("timeout", c.Timeout))
}

// String is LogValue's text, for %v: the key is never printed.
func (c Config) String() string {
	key := ""
	if c.APIKey != "" {
		key = " key=(set)"
	}
	return "drafting.Config{base_url=" + c.BaseURL + " model=" + c.Model + key + " timeout=" + c.Timeout.String() + "}"
}

// ServiceError is an unusable answer from the service (invalid, late, refused, busy):
// the handlers answer 502 with Message and save nothing.
type ServiceError struct {
	Reason string // for people: "took longer than 30s", "answered with malformed JSON" …
}

func (e *ServiceError) Error() string { return "drafting service: " + e.Reason }

// Message is the sentence shown to people.
func (e *ServiceError) Message() string {
	return "The drafting service " + e.Reason + "; nothing was saved. Try again in a moment."
}
