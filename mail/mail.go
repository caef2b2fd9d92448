// Package mail writes 14Build's emails and sends them. A mail is a Message: its subject,
// an HTML part (templ, email.templ) and a plain-text part, written when the change that
// causes it commits (package store keeps it in the outbox) and sent later over SMTP
// (Sender, github.com/wneessen/go-mail) by the deliver_mail job (package jobs).
//
// Every mail names the project and the tender in its subject and links straight to the
// page it is about (the base URL plus a paths helper). The package knows nothing of the
// database: callers hand it the facts.
package mail

import (
	"fmt"
	"strings"
	"time"

	"github.com/14build/14build/paths"
)

// Kinds of mail, stored in outbox.kind.
const (
	KindTeamInvitation   = "team_invitation"
	KindTenderInvitation = "tender_invitation"
	KindAddendum         = "addendum_issued"
	KindAnswer           = "answer_published"
	KindReminder         = "closing_reminder"
	KindTenderClosed     = "tender_closed"
	KindAwarded          = "award"
	KindUnsuccessful     = "unsuccessful"
	KindMilestone        = "milestone"
	KindPasswordReset    = "password_reset"
)

// Message is one mail as it is kept in the outbox and sent.
type Message struct {
	Kind    string
	To      []string
	Subject string
	HTML    string
	Text    string
}

// Content is what a mail says: a heading, paragraphs, and one button linking to the page.
// HTML and Text render it.
type Content struct {
	Subject   string
	Heading   string
	Lines     []string
	LinkLabel string
	URL       string // absolute
	Footer    string
}

// Build renders c into a Message of kind to the addresses.
func Build(kind string, to []string, c Content) (Message, error) {
	html, err := HTML(c)
	if err != nil {
		return Message{}, err
	}
	return Message{Kind: kind, To: to, Subject: c.Subject, HTML: html, Text: Text(c)}, nil
}

// Text is the plain-text part.
func Text(c Content) string {
	var b strings.Builder
	b.WriteString(c.Heading + "\n\n")
	for _, l := range c.Lines {
		b.WriteString(l + "\n\n")
	}
	if c.URL != "" {
		fmt.Fprintf(&b, "%s: %s\n\n", c.LinkLabel, c.URL)
	}
	if c.Footer != "" {
		b.WriteString(c.Footer + "\n\n")
	}
	b.WriteString("-- \n14Build\n")
	return b.String()
}

// Link joins the public base URL and a path.
func Link(base, path string) string { return strings.TrimRight(base, "/") + path }

// subject is "Project · Tender: what" (the tender left out when there is none).
func subject(project, tender, what string) string {
	s := project
	if tender != "" {
		s += " · " + tender
	}
	return s + ": " + what
}

// when is a time as people read it, in the project's zone (UTC when unknown).
func when(t time.Time, zone string) string {
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "" {
		loc = time.UTC
	}
	return t.In(loc).Format("Mon 2 Jan 2006, 15:04 MST")
}

// Tender names the tender a mail is about.
type Tender struct {
	BaseURL  string
	Project  string
	ZoneName string // the project's time zone (IANA)
	ID       string
	Title    string
	ClosesAt time.Time
}

// TeamInvitation is the invitation to join a project's team: mandatory, it always goes.
func TeamInvitation(base, project, invitedBy, email, token string, expires time.Time, zone string) Content {
	return Content{
		Subject:   subject(project, "", "you are invited to the team"),
		Heading:   "Join the " + project + " team",
		Lines:     []string{invitedBy + " invited " + email + " to work on " + project + " in 14Build.", "The invitation is valid until " + when(expires, zone) + "."},
		LinkLabel: "Accept the invitation",
		URL:       Link(base, paths.Invitation(token)),
		Footer:    "If you did not expect this, you can ignore this email.",
	}
}

// TenderInvitation is the invitation to bid, to every bidder the tender is open to.
func TenderInvitation(t Tender) Content {
	return Content{
		Subject:   subject(t.Project, t.Title, "invitation to tender"),
		Heading:   "You are invited to tender: " + t.Title,
		Lines:     []string{"The tender " + t.Title + " for " + t.Project + " is open for bids.", "It closes " + when(t.ClosesAt, t.ZoneName) + "."},
		LinkLabel: "Open the tender",
		URL:       Link(t.BaseURL, paths.Tender(t.ID)),
	}
}

// Addendum tells the tender's bidders that an addendum was issued.
func Addendum(t Tender, number int, summary string) Content {
	lines := []string{fmt.Sprintf("Addendum %d to %s was issued.", number, t.Title)}
	if summary != "" {
		lines = append(lines, summary)
	}
	lines = append(lines, "The tender closes "+when(t.ClosesAt, t.ZoneName)+".")
	return Content{
		Subject:   subject(t.Project, t.Title, fmt.Sprintf("addendum %d issued", number)),
		Heading:   fmt.Sprintf("Addendum %d", number),
		Lines:     lines,
		LinkLabel: "Read the addendum",
		URL:       Link(t.BaseURL, paths.Tender(t.ID)),
	}
}

// Answer tells the tender's bidders that an answer to a question was published.
func Answer(t Tender, question, answer string) Content {
	return Content{
		Subject:   subject(t.Project, t.Title, "a question was answered"),
		Heading:   "A question was answered",
		Lines:     []string{"Question: " + question, "Answer: " + answer},
		LinkLabel: "Open the tender",
		URL:       Link(t.BaseURL, paths.Tender(t.ID)),
	}
}

// Reminder is a closing reminder (optional: a person may turn reminders off).
func Reminder(t Tender, left string) Content {
	return Content{
		Subject:   subject(t.Project, t.Title, "closes in "+left),
		Heading:   "The tender closes in " + left,
		Lines:     []string{"You have not submitted a bid for " + t.Title + " yet. It closes " + when(t.ClosesAt, t.ZoneName) + "."},
		LinkLabel: "Open your bid",
		URL:       Link(t.BaseURL, paths.Bid(t.ID)),
		Footer:    "You can turn closing reminders off on your account page: " + Link(t.BaseURL, paths.Account()),
	}
}

// Closed tells a bidder who submitted, or the team, that the tender closed.
func Closed(t Tender, team bool) Content {
	c := Content{
		Subject:   subject(t.Project, t.Title, "tender closed"),
		Heading:   "The tender has closed",
		Lines:     []string{t.Title + " for " + t.Project + " closed. Your bid is in; you will hear about the award."},
		LinkLabel: "Open your bid",
		URL:       Link(t.BaseURL, paths.Bid(t.ID)),
	}
	if team {
		c.Lines = []string{t.Title + " closed. The bids are ready to compare."}
		c.LinkLabel, c.URL = "Compare the bids", Link(t.BaseURL, paths.TenderLeveling(t.ID))
	}
	return c
}

// Awarded tells the winning bidder.
func Awarded(t Tender) Content {
	return Content{
		Subject:   subject(t.Project, t.Title, "your bid was accepted"),
		Heading:   "Your bid was accepted",
		Lines:     []string{"Your bid for " + t.Title + " (" + t.Project + ") was accepted. The project's team will be in touch about the contract."},
		LinkLabel: "Open your bid",
		URL:       Link(t.BaseURL, paths.Bid(t.ID)),
	}
}

// Unsuccessful tells the other bidders.
func Unsuccessful(t Tender) Content {
	return Content{
		Subject:   subject(t.Project, t.Title, "tender result"),
		Heading:   "Tender result",
		Lines:     []string{"Thank you for your bid for " + t.Title + " (" + t.Project + "). It was not successful this time."},
		LinkLabel: "Open your bid",
		URL:       Link(t.BaseURL, paths.Bid(t.ID)),
	}
}

// Milestone tells a contract's party that a milestone was funded, completed or paid
// (what: "funded", "completed", "paid"); contractID is where the link goes.
func Milestone(t Tender, contractID, milestone, what string) Content {
	return Content{
		Subject:   subject(t.Project, t.Title, "milestone "+milestone+" "+what),
		Heading:   "Milestone " + what,
		Lines:     []string{"The milestone " + milestone + " of " + t.Title + " was " + what + "."},
		LinkLabel: "Open the contract",
		URL:       Link(t.BaseURL, paths.Contract(contractID)),
	}
}

// PasswordReset is the single-use link to set a new password: mandatory.
func PasswordReset(base, token string) Content {
	return Content{
		Subject:   "14Build: reset your password",
		Heading:   "Reset your password",
		Lines:     []string{"Someone asked to reset the password of this 14Build account. The link works once, for one hour."},
		LinkLabel: "Set a new password",
		URL:       Link(base, paths.PasswordReset(token)),
		Footer:    "If it was not you, ignore this email: your password stays as it is.",
	}
}
