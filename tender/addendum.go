package tender

import (
	"time"

	"github.com/14build/14build/field"
)

// Limits on the text of addenda and clarifications, as their tables hold them.
const (
	MaxAddendumText = 20000
	MaxQuestion     = 5000
	MaxAnswer       = 20000
)

// Change is what an addendum does to one item of the tender's frozen copy.
type Change int

const (
	Unchanged Change = iota
	Altered          // its quantity or description changed
	Removed
)

// KeptRates are the rates a bid keeps when an addendum sends it back to draft: every
// unchanged line's rate. An altered line is priced again (its rate was for the old
// quantity or description), a removed one is gone, and added items have no rate yet.
// changes maps item ids to what the addendum did; items it does not name are unchanged.
func KeptRates(rates []Rate, changes map[string]Change) []Rate {
	kept := make([]Rate, 0, len(rates))
	for _, r := range rates {
		if changes[r.ItemID] == Unchanged {
			kept = append(kept, r)
		}
	}
	return kept
}

// CheckAddendum checks an addendum's text and its optional new closing time ("" keeps
// the current one), read as ParseClosesAt reads it. The new time must be in the future:
// an addendum sends bids back to draft, and bidders need time to submit again. It
// returns the new closing time in UTC, or the zero time when it is kept.
func CheckAddendum(text, closesAt string, loc *time.Location, now time.Time) (time.Time, field.Errors) {
	errs := field.Errors{}
	errs.Text("text", text, 1, MaxAddendumText)
	if closesAt == "" {
		return time.Time{}, errs
	}
	t, msg := ParseClosesAt(closesAt, loc)
	switch {
	case msg != "":
		errs.Add("closesAt", msg)
	case !t.After(now):
		errs.Add("closesAt", "must be in the future")
	default:
		return t, errs
	}
	return time.Time{}, errs
}

// CheckQuestion checks a bidder's question.
func CheckQuestion(text string) field.Errors {
	errs := field.Errors{}
	errs.Text("text", text, 1, MaxQuestion)
	return errs
}

// CheckAnswer checks the team's answer to a question.
func CheckAnswer(text string) field.Errors {
	errs := field.Errors{}
	errs.Text("text", text, 1, MaxAnswer)
	return errs
}
