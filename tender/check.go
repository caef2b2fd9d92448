package tender

import (
	"strconv"
	"strings"
	"time"

	"github.com/14build/14build/field"
)

// Limits on a tender's text, as the tenders table holds them.
const (
	MaxTitle        = 200
	MaxInstructions = 20000
	MaxInvitees     = 500
	MaxCategories   = 50
	MaxBidText      = 20000 // qualifications, exclusions
)

// Input is a tender as a form or a body sends it. ClosesAt is RFC 3339 (the API) or a
// form's local date and time ("2026-12-08T17:00"), read in the project's zone.
type Input struct {
	Title         string
	Instructions  string
	ClosesAt      string
	Sealed        bool // the front end sets true when it is not sent: sealed is the default
	AllowLateBids bool
	ScopeByTrade  bool
	Categories    []string // trade names; the caller resolves them to ids
	Invitees      []string // emails
}

// Fields is a checked tender, ready to store: text trimmed, the closing time in UTC,
// categories and invitees each listed once (emails compared without case).
type Fields struct {
	Title         string
	Instructions  string
	ClosesAt      time.Time
	Sealed        bool
	AllowLateBids bool
	ScopeByTrade  bool
	Categories    []string
	Invitees      []string
}

// Check is the one validation of a tender, for the page and the API alike, keyed by the
// API's field names. now is when it is checked: a closing time must be after it, since a
// tender that has already closed cannot be opened. loc is the project's time zone.
func Check(in Input, loc *time.Location, now time.Time) (Fields, field.Errors) {
	errs := field.Errors{}
	f := Fields{
		Title:         strings.TrimSpace(in.Title),
		Instructions:  strings.TrimSpace(in.Instructions),
		Sealed:        in.Sealed,
		AllowLateBids: in.AllowLateBids,
		ScopeByTrade:  in.ScopeByTrade,
	}
	errs.Text("title", f.Title, 1, MaxTitle)
	errs.Text("instructions", f.Instructions, 0, MaxInstructions)
	if t, msg := ParseClosesAt(in.ClosesAt, loc); msg != "" {
		errs.Add("closesAt", msg)
	} else if !t.After(now) {
		errs.Add("closesAt", "must be in the future")
	} else {
		f.ClosesAt = t
	}

	seen := map[string]bool{}
	for i, c := range in.Categories {
		c = strings.TrimSpace(c)
		key := strings.ToLower(c)
		switch {
		case c == "":
			errs.Add("categories["+strconv.Itoa(i)+"]", "is required")
		case !seen[key]:
			seen[key] = true
			f.Categories = append(f.Categories, c)
		}
	}
	if len(f.Categories) > MaxCategories {
		errs.Add("categories", "must be at most "+strconv.Itoa(MaxCategories)+" trades")
	}
	seen = map[string]bool{}
	for i, e := range in.Invitees {
		e = strings.TrimSpace(e)
		name := "invitees[" + strconv.Itoa(i) + "]"
		errs.Email(name, e)
		if key := strings.ToLower(e); !errs.Has(name) && !seen[key] {
			seen[key] = true
			f.Invitees = append(f.Invitees, e)
		}
	}
	if len(f.Invitees) > MaxInvitees {
		errs.Add("invitees", "must be at most "+strconv.Itoa(MaxInvitees)+" bidders")
	}

	// A tender no one can see would close with no bids.
	switch {
	case f.ScopeByTrade && len(in.Categories) == 0:
		errs.Add("categories", "choose the trades whose items the tender covers")
	case len(in.Categories) == 0 && len(in.Invitees) == 0:
		errs.Add("invitees", "choose a trade or invite a bidder")
	}
	return f, errs
}

// localLayout is a form's datetime-local value.
const localLayout = "2006-01-02T15:04"

// ParseClosesAt reads a closing time: RFC 3339 with its offset, or a local date and time
// read in loc. A local time that does not exist there (skipped when clocks go forward)
// is refused rather than moved: the owner would close at an hour they did not choose.
// It returns the time in UTC, or a message for people.
func ParseClosesAt(text string, loc *time.Location) (time.Time, string) {
	text = strings.TrimSpace(text)
	if text == "" {
		return time.Time{}, "is required"
	}
	if t, err := time.Parse(time.RFC3339, text); err == nil {
		return t.UTC(), ""
	}
	layout := localLayout
	if len(text) == len("2006-01-02T15:04:05") {
		layout = "2006-01-02T15:04:05"
	}
	t, err := time.ParseInLocation(layout, text, loc)
	if err != nil {
		return time.Time{}, "must be a date and time such as 2026-12-08T17:00"
	}
	if t.Format(layout) != text {
		return time.Time{}, "does not exist in " + loc.String() + ": the clocks change then"
	}
	return t.UTC(), ""
}

// CheckBidText checks a bid's qualifications and exclusions, returning them trimmed.
func CheckBidText(qualifications, exclusions string) (string, string, field.Errors) {
	errs := field.Errors{}
	q, e := strings.TrimSpace(qualifications), strings.TrimSpace(exclusions)
	errs.Text("qualifications", q, 0, MaxBidText)
	errs.Text("exclusions", e, 0, MaxBidText)
	return q, e, errs
}
