package field

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestAddKeepsTheFirstMessage(t *testing.T) {
	e := Errors{}
	if e.Any() {
		t.Fatal("an empty set reports errors")
	}
	e.Add("name", "is required")
	e.Add("name", "must be at most 200 characters")
	if got := e.Get("name"); got != "is required" {
		t.Errorf("Get(name) = %q, want the first message", got)
	}
	if !e.Any() || !e.Has("name") || e.Has("code") || e.Get("code") != "" {
		t.Errorf("Any/Has/Get disagree with %v", e)
	}
}

func TestMergeKeepsEarlierMessages(t *testing.T) {
	e := Errors{"budget.amount": "must have at most 2 decimal places"}
	e.Merge(Errors{"budget.amount": "is required", "name": "is required"})
	if e.Get("budget.amount") != "must have at most 2 decimal places" || e.Get("name") != "is required" || len(e) != 2 {
		t.Errorf("merged: %v", e)
	}
}

// The JSON API sends Errors as its "fields" object: a plain object of strings.
func TestJSONIsAPlainObject(t *testing.T) {
	b, err := json.Marshal(map[string]any{"fields": Errors{"budget.amount": "must not be negative"}})
	if err != nil || string(b) != `{"fields":{"budget.amount":"must not be negative"}}` {
		t.Errorf("got %s, %v", b, err)
	}
}

func TestText(t *testing.T) {
	cases := []struct {
		v        string
		min, max int
		want     string
	}{
		{"  ", 1, 10, "is required"},
		{"ab", 3, 10, "must be at least 3 characters"},
		{"ééééé", 1, 4, "must be at most 4 characters"},
		{"ééé", 1, 4, ""}, // counted in characters, not bytes
		{"a\x00b", 1, 10, "must not contain a NUL character"},
		{"", 0, 10, ""},
	}
	for _, c := range cases {
		e := Errors{}
		e.Text("f", c.v, c.min, c.max)
		if got := e.Get("f"); got != c.want {
			t.Errorf("Text(%q, %d, %d) = %q, want %q", c.v, c.min, c.max, got, c.want)
		}
	}
}

func TestEmail(t *testing.T) {
	for v, ok := range map[string]bool{
		"name@example.com":                 true,
		" name@example.com ":               true,
		"":                                 false,
		"name@localhost":                   false,
		"Name <name@example.com>":          false,
		"no-at-sign.example.com":           false,
		strings.Repeat("a", 250) + "@x.io": false,
	} {
		e := Errors{}
		e.Email("email", v)
		if e.Any() == ok {
			t.Errorf("Email(%q): errors %v, want ok=%v", v, e, ok)
		}
	}
}

func TestPassword(t *testing.T) {
	for v, want := range map[string]string{
		"":                       "is required",
		"short":                  "must be at least 10 characters",
		"ten chars!":             "",
		"ßßßßßßßßßß":             "", // ten characters, twenty bytes
		strings.Repeat("p", 129): "must be at most 128 characters",
	} {
		e := Errors{}
		e.Password("password", v)
		if got := e.Get("password"); got != want {
			t.Errorf("Password(%q) = %q, want %q", v, got, want)
		}
	}
}
