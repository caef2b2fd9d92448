package soq

import (
	"strconv"
	"strings"
)

// Category is a trade category (DOMAIN: a trade such as "Electrical"): a bidder works in
// one, and an SOQ item may name the trade that prices it.
type Category struct {
	ID   int64  `db:"id"`
	Name string `db:"name"`
}

// Categories are the trade categories 14Build knows.
type Categories []Category

// MsgUnknownCategory is the message for a trade that matches no category.
const MsgUnknownCategory = "is not a trade category we know"

// Match is the one rule naming a trade category, for every front end (the JSON API, the
// sheet's cells, paste, the spreadsheet import, registration and account forms): the
// text, trimmed, is a category's name compared without regard to case — as the database's
// unique index on lower(name) compares names — or, as a page's <select> sends it, its id.
// Names are words, never all digits, so the two cannot be confused. Empty text matches
// nothing (ok is false): whether a trade is required is the caller's rule.
func (cs Categories) Match(text string) (Category, bool) {
	text = strings.TrimSpace(text)
	if text == "" {
		return Category{}, false
	}
	if id, err := strconv.ParseInt(text, 10, 64); err == nil {
		for _, c := range cs {
			if c.ID == id {
				return c, true
			}
		}
		return Category{}, false
	}
	for _, c := range cs {
		if strings.EqualFold(c.Name, text) {
			return c, true
		}
	}
	return Category{}, false
}
