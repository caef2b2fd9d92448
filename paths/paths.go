// Package paths names every route's path pattern and builds URLs from them. The route
// table (handlers/routes.go) registers exactly these patterns, and handlers and views build
// their links with the typed helpers below, so a route that moves moves everywhere at once
// and a misspelt link is a compile error. It sits apart from handlers because views, which
// handlers import, need it too.
package paths

import (
	"fmt"
	"net/url"
	"strings"
)

// Name is a route's name; handlers/routes.go gives it to echo, so echo's Reverse knows it too.
type Name string

// Route names. A name is one path pattern; GET and POST on the same path share it.
const (
	NameHealthz Name = "healthz"
	NameMetrics Name = "metrics"
	NameStatic  Name = "static"

	// Live updates (issue 12): ?stream=tender-{id}, project-{id} or me.
	NameEvents    Name = "events"     // server-sent events of HTML fragments (pages)
	NameAPIEvents Name = "api.events" // the same with JSON data (API clients)

	NameLogin                    Name = "login"
	NameRegister                 Name = "register"
	NameLogout                   Name = "logout"
	NameInvitation               Name = "invitation"
	NameDashboard                Name = "dashboard"
	NameAccount                  Name = "account"
	NameAccountPassword          Name = "account.password"
	NameAccountTokens            Name = "account.tokens"
	NameAccountTokenDelete       Name = "account.token.delete"
	NameAccountInvitationAccept  Name = "account.invitation.accept"
	NameAccountInvitationDecline Name = "account.invitation.decline"

	NameProjects         Name = "projects"
	NameProjectNew       Name = "project.new"
	NameProject          Name = "project"
	NameProjectEdit      Name = "project.edit"
	NameProjectDelete    Name = "project.delete"
	NameProjectTransfer  Name = "project.transfer"
	NameTeam             Name = "team"
	NameTeamRemove       Name = "team.remove"
	NameInvitationRevoke Name = "invitation.revoke"

	NameUnits         Name = "units"
	NameUnitsSchedule Name = "units.schedule"
	NameUnitNew       Name = "unit.new"
	NameUnitPreview   Name = "unit.preview"
	NameUnit          Name = "unit"
	NameUnitEdit      Name = "unit.edit"
	NameUnitDuplicate Name = "unit.duplicate"
	NameUnitDelete    Name = "unit.delete"

	NameSOQs             Name = "soqs"
	NameSOQ              Name = "soq"
	NameSOQStatus        Name = "soq.status"
	NameSOQSections      Name = "soq.sections"
	NameSOQSectionRows   Name = "soq.section.rows"
	NameSOQSectionMove   Name = "soq.section.move"
	NameSOQSectionDelete Name = "soq.section.delete"
	NameSOQSectionItems  Name = "soq.section.items"
	NameSOQItemRow       Name = "soq.item.row"
	NameSOQItemCell      Name = "soq.item.cell"
	NameSOQItemMove      Name = "soq.item.move"
	NameSOQItemDelete    Name = "soq.item.delete"
	NameImports          Name = "imports"
	NameImportUpload     Name = "import.upload"
	NameImport           Name = "import"
	NameImportProgress   Name = "import.progress"
	NameImportStart      Name = "import.start"
	NameImportCheck      Name = "import.check"
	NameImportValidRows  Name = "import.valid_rows"
	NameImportRefusedCSV Name = "import.refused_csv"
	NameJobs             Name = "jobs"
	NameActivity         Name = "activity"

	// Tenders and bids (pages).
	NameTenders              Name = "tenders"                // a project's Tenders tab; POST creates
	NameTenderNew            Name = "tender.new"             // the new-tender form
	NameTenderBidderSearch   Name = "tender.bidders"         // the form's search of bidders (HTMX)
	NameTenderBoard          Name = "tender.board"           // a bidder's board
	NameTender               Name = "tender"                 // the tender page: team or bidder view
	NameTenderPDF            Name = "tender.pdf"             // the printable tender document
	NameTenderEdit           Name = "tender.edit"            // a draft's form; POST saves
	NameTenderDelete         Name = "tender.delete"          // GET confirms, POST deletes a draft
	NameTenderOpen           Name = "tender.open"            // POST
	NameTenderClose          Name = "tender.close"           // POST
	NameTenderCancel         Name = "tender.cancel"          // GET confirms, POST cancels
	NameTenderAddenda        Name = "tender.addenda"         // POST: the team issues one
	NameTenderAddendumAck    Name = "tender.addendum.ack"    // POST: a bidder acknowledges
	NameTenderQuestions      Name = "tender.questions"       // POST: a bidder asks
	NameTenderQuestionAnswer Name = "tender.question.answer" // POST: the team answers
	NameTenderIntent         Name = "tender.intent"          // POST: a bidder's intent
	NameTenderLeveling       Name = "tender.leveling"
	NameTenderLevelingXLSX   Name = "tender.leveling.xlsx"
	NameTenderAward          Name = "tender.award" // GET confirms, POST awards
	NameBid                  Name = "bid"          // the bidder's own bid: POST saves the draft (autosave)
	NameBidSubmit            Name = "bid.submit"   // POST
	NameBidWithdraw          Name = "bid.withdraw" // GET confirms, POST withdraws
	NameAdminUsers           Name = "admin.users"
	NameAdminUserNew         Name = "admin.user.new"
	NameAdminUser            Name = "admin.user"
	NameAdminUserEdit        Name = "admin.user.edit"
	NameAdminUserDeactivate  Name = "admin.user.deactivate"

	NameAPIRegister           Name = "api.register"
	NameAPILogin              Name = "api.login"
	NameAPILogout             Name = "api.logout"
	NameAPIMe                 Name = "api.me"
	NameAPIMyInvitations      Name = "api.me.invitations"
	NameAPIInvitationAccept   Name = "api.invitation.accept"
	NameAPIInvitationDecline  Name = "api.invitation.decline"
	NameAPICategories         Name = "api.categories"
	NameAPIUsers              Name = "api.users"
	NameAPIUser               Name = "api.user"
	NameAPIProjects           Name = "api.projects"
	NameAPIProject            Name = "api.project"
	NameAPIProjectTransfer    Name = "api.project.transfer"
	NameAPITeam               Name = "api.team"
	NameAPITeamMember         Name = "api.team.member"
	NameAPISOQs               Name = "api.soqs"
	NameAPISOQ                Name = "api.soq"
	NameAPISOQSections        Name = "api.soq.sections"
	NameAPISOQSection         Name = "api.soq.section"
	NameAPISOQSectionItems    Name = "api.soq.section.items"
	NameAPISOQItems           Name = "api.soq.items"
	NameAPISOQItem            Name = "api.soq.item"
	NameAPISOQExportXLSX      Name = "api.soq.export.xlsx"
	NameAPISOQExportCSV       Name = "api.soq.export.csv"
	NameAPITenders            Name = "api.tenders"
	NameAPITender             Name = "api.tender"
	NameAPITenderPDF          Name = "api.tender.pdf"
	NameAPITenderOpen         Name = "api.tender.open"
	NameAPITenderClose        Name = "api.tender.close"
	NameAPITenderCancel       Name = "api.tender.cancel"
	NameAPITenderIntent       Name = "api.tender.intent"
	NameAPITenderAddenda      Name = "api.tender.addenda"
	NameAPITenderAddendumAck  Name = "api.tender.addendum.ack"
	NameAPITenderQuestions    Name = "api.tender.questions"
	NameAPITenderAnswer       Name = "api.tender.question.answer"
	NameAPITenderBids         Name = "api.tender.bids"
	NameAPITenderBid          Name = "api.tender.bid"
	NameAPITenderBidWithdraw  Name = "api.tender.bid.withdraw"
	NameAPITenderLeveling     Name = "api.tender.leveling"
	NameAPITenderLevelingXLSX Name = "api.tender.leveling.xlsx"
	NameAPITenderAward        Name = "api.tender.award"
	NameAPIContract           Name = "api.contract"
	NameAPIActivity           Name = "api.activity"
	NameAPIActivityVerify     Name = "api.activity.verify"
	NameAPIUnits              Name = "api.units"
	NameAPIUnitsSchedule      Name = "api.units.schedule"
	NameAPIUnit               Name = "api.unit"
	NameAPIUnitDuplicate      Name = "api.unit.duplicate"

	// Issues 13 to 16: printable bids and leveling, contracts and escrow, drafting helpers, mail.
	NameTenderPrint                 Name = "tender.print"                   // 13: the tender's HTML print view (Chromium's yardstick)
	NameBidPDF                      Name = "bid.pdf"                        // 13: a priced bid, {bidId}.pdf
	NameTenderLevelingPDF           Name = "tender.leveling.pdf"            // 13
	NameAPITenderBidPDF             Name = "api.tender.bid.pdf"             // 13
	NameAPITenderLevelingPDF        Name = "api.tender.leveling.pdf"        // 13
	NameContracts                   Name = "contracts"                      // 14: contracts and payouts (contractor), a team's contracts
	NameContract                    Name = "contract"                       // 14: milestones and escrow
	NameContractMilestones          Name = "contract.milestones"            // 14: POST adds a milestone
	NameContractRetention           Name = "contract.retention"             // 14: POST sets the retention percentage
	NameContractLedger              Name = "contract.ledger"                // 14: the postings
	NameContractOnboarding          Name = "contract.onboarding"            // 14: POST: the contractor's Stripe account link
	NameMilestone                   Name = "milestone"                      // 14: POST saves an edit
	NameMilestoneEdit               Name = "milestone.edit"                 // 14
	NameMilestoneMove               Name = "milestone.move"                 // 14: POST
	NameMilestoneDelete             Name = "milestone.delete"               // 14: GET confirms, POST deletes
	NameMilestoneFund               Name = "milestone.fund"                 // 14: GET the payment page, POST starts funding
	NameMilestoneSimulate           Name = "milestone.simulate"             // 14: POST (simulator only)
	NameMilestoneComplete           Name = "milestone.complete"             // 14: POST (contractor)
	NameMilestoneApprove            Name = "milestone.approve"              // 14: POST (owner)
	NameMilestoneRelease            Name = "milestone.release"              // 14: GET confirms, POST releases
	NameMilestoneDispute            Name = "milestone.dispute"              // 14: GET confirms, POST
	NameMilestoneCancel             Name = "milestone.cancel"               // 14: GET confirms, POST (before funding)
	NameMilestoneRefund             Name = "milestone.refund"               // 14: GET confirms, POST
	NameMilestoneResolve            Name = "milestone.resolve"              // 14: POST: the owner ends a dispute
	NameContractRetentionRelease    Name = "contract.retention.release"     // 14: GET confirms, POST pays the retention
	NameAPIMilestoneResolve         Name = "api.milestone.resolve"          // 14
	NameAPIContractRetentionRelease Name = "api.contract.retention.release" // 14
	NameAPIContractMilestones       Name = "api.contract.milestones"        // 14
	NameAPIContractLedger           Name = "api.contract.ledger"            // 14
	NameAPIContractOnboarding       Name = "api.contract.onboarding"        // 14: GET the account's state, POST an account link
	NameAPIMilestone                Name = "api.milestone"                  // 14: PUT, DELETE
	NameAPIMilestoneFund            Name = "api.milestone.fund"             // 14
	NameAPIMilestoneComplete        Name = "api.milestone.complete"         // 14
	NameAPIMilestoneApprove         Name = "api.milestone.approve"          // 14
	NameAPIMilestoneDispute         Name = "api.milestone.dispute"          // 14
	NameAPIEscrows                  Name = "api.escrows"                    // 14: ?projectId=
	NameAPIEscrow                   Name = "api.escrow"                     // 14
	NameAPIEscrowRelease            Name = "api.escrow.release"             // 14
	NameAPIEscrowRefund             Name = "api.escrow.refund"              // 14
	NameAPIEscrowSimulate           Name = "api.escrow.simulate"            // 14: simulator only
	NameAPIStripeWebhook            Name = "api.webhooks.stripe"            // 14: signature-verified
	NameUnitsDraft                  Name = "units.draft"                    // 15: GET the brief, POST a proposal
	NameUnitsDraftSave              Name = "units.draft.save"               // 15: POST saves reviewed units
	NameWorkPackages                Name = "work-packages"                  // 15: GET the page, POST saves reviewed packages
	NameWorkPackagesDraft           Name = "work-packages.draft"            // 15: POST proposes
	NameWorkPackageTender           Name = "work-package.tender"            // 15: POST a draft tender of its items
	NameAPIAICreateUnits            Name = "api.ai.create-units"            // 15
	NameAPIAICreateJobs             Name = "api.ai.create-jobs"             // 15
	NameAPIWorkPackages             Name = "api.work-packages"              // 15
	NameMailbox                     Name = "admin.mailbox"                  // 16
	NameMailboxMail                 Name = "admin.mailbox.mail"             // 16
	NameAPIOutbox                   Name = "api.outbox"                     // 16
	NamePasswordForgot              Name = "password.forgot"                // 16
	NamePasswordReset               Name = "password.reset"                 // 16
	NameAccountNotifications        Name = "account.notifications"          // 16: POST
)

// patterns are the names' paths in echo's syntax (":param", "*").
var patterns = map[Name]string{
	NameHealthz: "/healthz",
	NameMetrics: "/metrics",
	NameStatic:  "/static/*",

	NameEvents:    "/events",
	NameAPIEvents: "/api/events",

	NameLogin:                    "/login",
	NameRegister:                 "/register",
	NameLogout:                   "/logout",
	NameInvitation:               "/invitations/:token",
	NameDashboard:                "/",
	NameAccount:                  "/account",
	NameAccountPassword:          "/account/password",
	NameAccountTokens:            "/account/tokens",
	NameAccountTokenDelete:       "/account/tokens/:tokenId/delete",
	NameAccountInvitationAccept:  "/account/invitations/:invId/accept",
	NameAccountInvitationDecline: "/account/invitations/:invId/decline",

	NameProjects:         "/projects",
	NameProjectNew:       "/projects/new",
	NameProject:          "/projects/:id",
	NameProjectEdit:      "/projects/:id/edit",
	NameProjectDelete:    "/projects/:id/delete",
	NameProjectTransfer:  "/projects/:id/transfer",
	NameTeam:             "/projects/:id/team",
	NameTeamRemove:       "/projects/:id/team/:userId/remove",
	NameInvitationRevoke: "/projects/:id/invitations/:invId/revoke",

	NameUnits:         "/projects/:id/units",
	NameUnitsSchedule: "/projects/:id/units/schedule.csv",
	NameUnitNew:       "/projects/:id/units/new",
	NameUnitPreview:   "/projects/:id/units/preview",
	NameUnit:          "/projects/:id/units/:unitId",
	NameUnitEdit:      "/projects/:id/units/:unitId/edit",
	NameUnitDuplicate: "/projects/:id/units/:unitId/duplicate",
	NameUnitDelete:    "/projects/:id/units/:unitId/delete",

	NameSOQs:             "/projects/:id/soq",
	NameSOQ:              "/projects/:id/soq/:soqId",
	NameSOQStatus:        "/projects/:id/soq/:soqId/status",
	NameSOQSections:      "/projects/:id/soq/:soqId/sections",
	NameSOQSectionRows:   "/projects/:id/soq/:soqId/sections/:sectionId/rows",
	NameSOQSectionMove:   "/projects/:id/soq/:soqId/sections/:sectionId/move",
	NameSOQSectionDelete: "/projects/:id/soq/:soqId/sections/:sectionId/delete",
	NameSOQSectionItems:  "/projects/:id/soq/:soqId/sections/:sectionId/items",
	NameSOQItemRow:       "/projects/:id/soq/:soqId/items/:itemId/row",
	NameSOQItemCell:      "/projects/:id/soq/:soqId/items/:itemId/cells/:field",
	NameSOQItemMove:      "/projects/:id/soq/:soqId/items/:itemId/move",
	NameSOQItemDelete:    "/projects/:id/soq/:soqId/items/:itemId/delete",
	NameImports:          "/projects/:id/soq/:soqId/import",
	NameImportUpload:     "/projects/:id/soq/:soqId/import/upload",
	NameImport:           "/projects/:id/soq/:soqId/import/:importId",
	NameImportProgress:   "/projects/:id/soq/:soqId/import/:importId/progress",
	NameImportStart:      "/projects/:id/soq/:soqId/import/:importId/start",
	NameImportCheck:      "/projects/:id/soq/:soqId/import/:importId/check",
	NameImportValidRows:  "/projects/:id/soq/:soqId/import/:importId/valid-rows",
	NameImportRefusedCSV: "/projects/:id/soq/:soqId/import/:importId/refused.csv",
	NameJobs:             "/projects/:id/jobs",
	NameActivity:         "/projects/:id/activity",

	NameTenders:              "/projects/:id/tenders",
	NameTenderNew:            "/projects/:id/tenders/new",
	NameTenderBidderSearch:   "/projects/:id/tenders/bidders",
	NameTenderBoard:          "/tenders",
	NameTender:               "/tenders/:tenderId",
	NameTenderPDF:            "/tenders/:tenderId/tender.pdf",
	NameTenderEdit:           "/tenders/:tenderId/edit",
	NameTenderDelete:         "/tenders/:tenderId/delete",
	NameTenderOpen:           "/tenders/:tenderId/open",
	NameTenderClose:          "/tenders/:tenderId/close",
	NameTenderCancel:         "/tenders/:tenderId/cancel",
	NameTenderAddenda:        "/tenders/:tenderId/addenda",
	NameTenderAddendumAck:    "/tenders/:tenderId/addenda/:number/acknowledge",
	NameTenderQuestions:      "/tenders/:tenderId/questions",
	NameTenderQuestionAnswer: "/tenders/:tenderId/questions/:qid/answer",
	NameTenderIntent:         "/tenders/:tenderId/intent",
	NameTenderLeveling:       "/tenders/:tenderId/leveling",
	NameTenderLevelingXLSX:   "/tenders/:tenderId/leveling.xlsx",
	NameTenderAward:          "/tenders/:tenderId/award",
	NameBid:                  "/tenders/:tenderId/bid",
	NameBidSubmit:            "/tenders/:tenderId/bid/submit",
	NameBidWithdraw:          "/tenders/:tenderId/bid/withdraw",
	NameAdminUsers:           "/admin/users",
	NameAdminUserNew:         "/admin/users/new",
	NameAdminUser:            "/admin/users/:uid",
	NameAdminUserEdit:        "/admin/users/:uid/edit",
	NameAdminUserDeactivate:  "/admin/users/:uid/deactivate",

	NameAPIRegister:           "/api/auth/register",
	NameAPILogin:              "/api/auth/login",
	NameAPILogout:             "/api/auth/logout",
	NameAPIMe:                 "/api/me",
	NameAPIMyInvitations:      "/api/me/invitations",
	NameAPIInvitationAccept:   "/api/invitations/:invId/accept",
	NameAPIInvitationDecline:  "/api/invitations/:invId/decline",
	NameAPICategories:         "/api/categories",
	NameAPIUsers:              "/api/users",
	NameAPIUser:               "/api/users/:uid",
	NameAPIProjects:           "/api/projects",
	NameAPIProject:            "/api/projects/:id",
	NameAPIProjectTransfer:    "/api/projects/:id/transfer",
	NameAPITeam:               "/api/projects/:id/team",
	NameAPITeamMember:         "/api/projects/:id/team/:userId",
	NameAPISOQs:               "/api/soq",
	NameAPISOQ:                "/api/soq/:soqId",
	NameAPISOQSections:        "/api/soq/:soqId/sections",
	NameAPISOQSection:         "/api/soq/:soqId/sections/:sectionId",
	NameAPISOQSectionItems:    "/api/soq/:soqId/sections/:sectionId/items",
	NameAPISOQItems:           "/api/soq/:soqId/items",
	NameAPISOQItem:            "/api/soq/:soqId/items/:itemId",
	NameAPISOQExportXLSX:      "/api/soq/:soqId/export.xlsx",
	NameAPISOQExportCSV:       "/api/soq/:soqId/export.csv",
	NameAPITenders:            "/api/tenders",
	NameAPITender:             "/api/tenders/:tenderId",
	NameAPITenderPDF:          "/api/tenders/:tenderId/tender.pdf",
	NameAPITenderOpen:         "/api/tenders/:tenderId/open",
	NameAPITenderClose:        "/api/tenders/:tenderId/close",
	NameAPITenderCancel:       "/api/tenders/:tenderId/cancel",
	NameAPITenderIntent:       "/api/tenders/:tenderId/intent",
	NameAPITenderAddenda:      "/api/tenders/:tenderId/addenda",
	NameAPITenderAddendumAck:  "/api/tenders/:tenderId/addenda/:number/acknowledge",
	NameAPITenderQuestions:    "/api/tenders/:tenderId/questions",
	NameAPITenderAnswer:       "/api/tenders/:tenderId/questions/:qid/answer",
	NameAPITenderBids:         "/api/tenders/:tenderId/bids",
	NameAPITenderBid:          "/api/tenders/:tenderId/bids/:bidId",
	NameAPITenderBidWithdraw:  "/api/tenders/:tenderId/bids/:bidId/withdraw",
	NameAPITenderLeveling:     "/api/tenders/:tenderId/leveling",
	NameAPITenderLevelingXLSX: "/api/tenders/:tenderId/leveling.xlsx",
	NameAPITenderAward:        "/api/tenders/:tenderId/award",
	NameAPIContract:           "/api/contracts/:contractId",
	NameAPIActivity:           "/api/projects/:id/activity",
	NameAPIActivityVerify:     "/api/projects/:id/activity/verify",
	NameAPIUnits:              "/api/projects/:id/units",
	NameAPIUnitsSchedule:      "/api/projects/:id/units/schedule",
	NameAPIUnit:               "/api/projects/:id/units/:unitId",
	NameAPIUnitDuplicate:      "/api/projects/:id/units/:unitId/duplicate",

	NameTenderPrint:                 "/tenders/:tenderId/print",
	NameBidPDF:                      "/tenders/:tenderId/bids/:bidPdf",
	NameTenderLevelingPDF:           "/tenders/:tenderId/leveling.pdf",
	NameAPITenderBidPDF:             "/api/tenders/:tenderId/bids/:bidId/bid.pdf",
	NameAPITenderLevelingPDF:        "/api/tenders/:tenderId/leveling.pdf",
	NameContracts:                   "/contracts",
	NameContract:                    "/contracts/:contractId",
	NameContractMilestones:          "/contracts/:contractId/milestones",
	NameContractRetention:           "/contracts/:contractId/retention",
	NameContractLedger:              "/contracts/:contractId/ledger",
	NameContractOnboarding:          "/contracts/:contractId/onboarding",
	NameMilestone:                   "/milestones/:milestoneId",
	NameMilestoneEdit:               "/milestones/:milestoneId/edit",
	NameMilestoneMove:               "/milestones/:milestoneId/move",
	NameMilestoneDelete:             "/milestones/:milestoneId/delete",
	NameMilestoneFund:               "/milestones/:milestoneId/fund",
	NameMilestoneSimulate:           "/milestones/:milestoneId/simulate-payment",
	NameMilestoneComplete:           "/milestones/:milestoneId/complete",
	NameMilestoneApprove:            "/milestones/:milestoneId/approve",
	NameMilestoneRelease:            "/milestones/:milestoneId/release",
	NameMilestoneDispute:            "/milestones/:milestoneId/dispute",
	NameMilestoneCancel:             "/milestones/:milestoneId/cancel",
	NameMilestoneRefund:             "/milestones/:milestoneId/refund",
	NameMilestoneResolve:            "/milestones/:milestoneId/resolve",
	NameContractRetentionRelease:    "/contracts/:contractId/retention/release",
	NameAPIMilestoneResolve:         "/api/milestones/:milestoneId/resolve",
	NameAPIContractRetentionRelease: "/api/contracts/:contractId/retention/release",
	NameAPIContractMilestones:       "/api/contracts/:contractId/milestones",
	NameAPIContractLedger:           "/api/contracts/:contractId/ledger",
	NameAPIContractOnboarding:       "/api/contracts/:contractId/onboarding",
	NameAPIMilestone:                "/api/milestones/:milestoneId",
	NameAPIMilestoneFund:            "/api/milestones/:milestoneId/fund",
	NameAPIMilestoneComplete:        "/api/milestones/:milestoneId/complete",
	NameAPIMilestoneApprove:         "/api/milestones/:milestoneId/approve",
	NameAPIMilestoneDispute:         "/api/milestones/:milestoneId/dispute",
	NameAPIEscrows:                  "/api/escrow",
	NameAPIEscrow:                   "/api/escrow/:escrowId",
	NameAPIEscrowRelease:            "/api/escrow/:escrowId/release",
	NameAPIEscrowRefund:             "/api/escrow/:escrowId/refund",
	NameAPIEscrowSimulate:           "/api/escrow/:escrowId/simulate-payment",
	NameAPIStripeWebhook:            "/api/webhooks/stripe",
	NameUnitsDraft:                  "/projects/:id/units/draft",
	NameUnitsDraftSave:              "/projects/:id/units/draft/save",
	NameWorkPackages:                "/projects/:id/work-packages",
	NameWorkPackagesDraft:           "/projects/:id/work-packages/draft",
	NameWorkPackageTender:           "/projects/:id/work-packages/:packageId/tender",
	NameAPIAICreateUnits:            "/api/ai/create-units",
	NameAPIAICreateJobs:             "/api/ai/create-jobs",
	NameAPIWorkPackages:             "/api/projects/:id/work-packages",
	NameMailbox:                     "/admin/mailbox",
	NameMailboxMail:                 "/admin/mailbox/:mailId",
	NameAPIOutbox:                   "/api/outbox",
	NamePasswordForgot:              "/password/forgot",
	NamePasswordReset:               "/password/reset/:token",
	NameAccountNotifications:        "/account/notifications",
}

// segment is one piece of a pattern: literal text, or a parameter's place.
type segment struct {
	text  string
	param bool
}

// compiled splits each pattern once, so building a URL (thousands per SOQ sheet) is
// appends only.
var compiled = func() map[Name][]segment {
	m := make(map[Name][]segment, len(patterns))
	for n, p := range patterns {
		var segs []segment
		for p != "" {
			i := strings.IndexAny(p, ":*")
			if i < 0 {
				segs = append(segs, segment{text: p})
				break
			}
			if i > 0 {
				segs = append(segs, segment{text: p[:i]})
			}
			j := strings.IndexByte(p[i:], '/')
			if j < 0 {
				j = len(p) - i
			}
			segs = append(segs, segment{text: p[i : i+j], param: true})
			p = p[i+j:]
		}
		m[n] = segs
	}
	return m
}()

// Names lists every route name (for tests and the route table's check).
func Names() []Name {
	out := make([]Name, 0, len(patterns))
	for n := range patterns {
		out = append(out, n)
	}
	return out
}

// Pattern is the name's path pattern; "" for a name that does not exist.
func (n Name) Pattern() string { return patterns[n] }

// Path fills the pattern's parameters in order, each path-escaped. A wrong number of
// parameters is a programming error, caught by the tests, so it panics.
func (n Name) Path(params ...string) string {
	segs, ok := compiled[n]
	if !ok {
		panic(fmt.Sprintf("paths: unknown route name %q", n))
	}
	size, k := 0, 0
	for _, s := range segs {
		if s.param {
			if k >= len(params) {
				panic(fmt.Sprintf("paths: %s needs more than %d parameters", n, len(params)))
			}
			size += len(params[k]) + 8
			k++
		} else {
			size += len(s.text)
		}
	}
	if k != len(params) {
		panic(fmt.Sprintf("paths: %s takes %d parameters, got %d", n, k, len(params)))
	}
	var b strings.Builder
	b.Grow(size)
	k = 0
	for _, s := range segs {
		if s.param {
			b.WriteString(url.PathEscape(params[k]))
			k++
		} else {
			b.WriteString(s.text)
		}
	}
	return b.String()
}

// WithQuery appends an encoded query to a path; nothing when the query is empty.
func WithQuery(path string, q url.Values) string {
	if len(q) == 0 {
		return path
	}
	return path + "?" + q.Encode()
}
