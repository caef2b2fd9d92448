package handlers

import (
	"go/ast"
	"go/parser"
	"go/token"
	"net/http/httptest"
	"testing"

	"github.com/labstack/echo/v4"

	"github.com/14build/14build/paths"
)

// TestRouteNames: every row of the table has a name with a pattern, every name is
// registered, and echo knows each route by its name.
func TestRouteNames(t *testing.T) {
	t.Parallel()
	used := map[paths.Name]bool{}
	for _, r := range (&Handlers{}).Routes() {
		if r.Name == "" || r.Path() == "" {
			t.Errorf("%s route %q has no name with a pattern", r.Method, r.Name)
		}
		used[r.Name] = true
	}
	seen := map[string]paths.Name{}
	for _, n := range paths.Names() {
		if !used[n] {
			t.Errorf("route name %q (%s) is in no row of the route table", n, n.Pattern())
		}
		if other, dup := seen[n.Pattern()]; dup {
			t.Errorf("names %q and %q share the pattern %s", n, other, n.Pattern())
		}
		seen[n.Pattern()] = n
	}
	e := echo.New()
	(&Handlers{}).routes(e)
	for _, r := range e.Routes() {
		if paths.Name(r.Name).Pattern() != r.Path {
			t.Errorf("echo has %s %s under the name %q", r.Method, r.Path, r.Name)
		}
	}
}

// TestPathHelpers: each typed helper builds a URL the router matches to the route it names
// (not a neighbour: /projects/new is not /projects/:id), with its parameters escaped.
func TestPathHelpers(t *testing.T) {
	t.Parallel()
	const (
		p   = "p-1"
		q   = "s-2"
		x   = "x-3"
		odd = "a b/c?d#e%" // must stay one path segment
	)
	cases := []struct {
		helper string
		got    string
		name   paths.Name
	}{
		{"Login", paths.Login(), paths.NameLogin},
		{"LoginNext", paths.LoginNext("/projects?x=1&y=2"), paths.NameLogin},
		{"Register", paths.Register(), paths.NameRegister},
		{"Logout", paths.Logout(), paths.NameLogout},
		{"Invitation", paths.Invitation(odd), paths.NameInvitation},
		{"Dashboard", paths.Dashboard(), paths.NameDashboard},
		{"Account", paths.Account(), paths.NameAccount},
		{"AccountPassword", paths.AccountPassword(), paths.NameAccountPassword},
		{"AccountTokens", paths.AccountTokens(), paths.NameAccountTokens},
		{"AccountTokenDelete", paths.AccountTokenDelete(7), paths.NameAccountTokenDelete},
		{"AccountInvitationAccept", paths.AccountInvitationAccept(7), paths.NameAccountInvitationAccept},
		{"AccountInvitationDecline", paths.AccountInvitationDecline(7), paths.NameAccountInvitationDecline},
		{"Projects", paths.Projects(), paths.NameProjects},
		{"ProjectNew", paths.ProjectNew(), paths.NameProjectNew},
		{"Project", paths.Project(odd), paths.NameProject},
		{"ProjectEdit", paths.ProjectEdit(p), paths.NameProjectEdit},
		{"ProjectDelete", paths.ProjectDelete(p), paths.NameProjectDelete},
		{"ProjectTransfer", paths.ProjectTransfer(p), paths.NameProjectTransfer},
		{"Team", paths.Team(p), paths.NameTeam},
		{"TeamRemove", paths.TeamRemove(p, x), paths.NameTeamRemove},
		{"InvitationRevoke", paths.InvitationRevoke(p, 7), paths.NameInvitationRevoke},
		{"Units", paths.Units(p), paths.NameUnits},
		{"UnitsSchedule", paths.UnitsSchedule(p), paths.NameUnitsSchedule},
		{"UnitNew", paths.UnitNew(p), paths.NameUnitNew},
		{"UnitPreview", paths.UnitPreview(p), paths.NameUnitPreview},
		{"Unit", paths.Unit(p, odd), paths.NameUnit},
		{"UnitEdit", paths.UnitEdit(p, x), paths.NameUnitEdit},
		{"UnitDuplicate", paths.UnitDuplicate(p, x), paths.NameUnitDuplicate},
		{"UnitDelete", paths.UnitDelete(p, x), paths.NameUnitDelete},
		{"SOQs", paths.SOQs(p), paths.NameSOQs},
		{"SOQ", paths.SOQ(p, q), paths.NameSOQ},
		{"SOQStatus", paths.SOQStatus(p, q), paths.NameSOQStatus},
		{"SOQSections", paths.SOQSections(p, q), paths.NameSOQSections},
		{"SOQSectionRows", paths.SOQSectionRows(p, q, x), paths.NameSOQSectionRows},
		{"SOQSectionMove", paths.SOQSectionMove(p, q, x), paths.NameSOQSectionMove},
		{"SOQSectionDelete", paths.SOQSectionDelete(p, q, x), paths.NameSOQSectionDelete},
		{"SOQSectionItems", paths.SOQSectionItems(p, q, x), paths.NameSOQSectionItems},
		{"SOQItemRow", paths.SOQItemRow(p, q, x), paths.NameSOQItemRow},
		{"SOQItemCell", paths.SOQItemCell(p, q, x, odd), paths.NameSOQItemCell},
		{"SOQItemMove", paths.SOQItemMove(p, q, x), paths.NameSOQItemMove},
		{"SOQItemDelete", paths.SOQItemDelete(p, q, x), paths.NameSOQItemDelete},
		{"Imports", paths.Imports(p, q), paths.NameImports},
		{"ImportUpload", paths.ImportUpload(p, q), paths.NameImportUpload},
		{"Import", paths.Import(p, q, x), paths.NameImport},
		{"ImportProgress", paths.ImportProgress(p, q, x), paths.NameImportProgress},
		{"ImportStart", paths.ImportStart(p, q, x), paths.NameImportStart},
		{"ImportCheck", paths.ImportCheck(p, q, x), paths.NameImportCheck},
		{"ImportValidRows", paths.ImportValidRows(p, q, x), paths.NameImportValidRows},
		{"ImportRefusedCSV", paths.ImportRefusedCSV(p, q, x), paths.NameImportRefusedCSV},
		{"Jobs", paths.Jobs(p), paths.NameJobs},
		{"AdminUsers", paths.AdminUsers(), paths.NameAdminUsers},
		{"AdminUserNew", paths.AdminUserNew(), paths.NameAdminUserNew},
		{"AdminUser", paths.AdminUser(x), paths.NameAdminUser},
		{"AdminUserEdit", paths.AdminUserEdit(x), paths.NameAdminUserEdit},
		{"AdminUserDeactivate", paths.AdminUserDeactivate(x), paths.NameAdminUserDeactivate},
		{"APISOQExportXLSX", paths.APISOQExportXLSX(q), paths.NameAPISOQExportXLSX},
		{"APISOQExportCSV", paths.APISOQExportCSV(q), paths.NameAPISOQExportCSV},
		{"APITenders", paths.APITenders(), paths.NameAPITenders},
		{"APITender", paths.APITender(x), paths.NameAPITender},
		{"APITenderPDF", paths.APITenderPDF(x), paths.NameAPITenderPDF},
		{"APITenderOpen", paths.APITenderOpen(x), paths.NameAPITenderOpen},
		{"APITenderClose", paths.APITenderClose(x), paths.NameAPITenderClose},
		{"APITenderCancel", paths.APITenderCancel(x), paths.NameAPITenderCancel},
		{"Activity", paths.Activity(p), paths.NameActivity},
		{"Tenders", paths.Tenders(p), paths.NameTenders},
		{"TenderNew", paths.TenderNew(p), paths.NameTenderNew},
		{"TenderBidderSearch", paths.TenderBidderSearch(p), paths.NameTenderBidderSearch},
		{"TenderBoard", paths.TenderBoard(), paths.NameTenderBoard},
		{"Tender", paths.Tender(odd), paths.NameTender},
		{"TenderPDF", paths.TenderPDF(odd), paths.NameTenderPDF},
		{"TenderEdit", paths.TenderEdit(x), paths.NameTenderEdit},
		{"TenderDelete", paths.TenderDelete(x), paths.NameTenderDelete},
		{"TenderOpen", paths.TenderOpen(x), paths.NameTenderOpen},
		{"TenderClose", paths.TenderClose(x), paths.NameTenderClose},
		{"TenderCancel", paths.TenderCancel(x), paths.NameTenderCancel},
		{"TenderAddenda", paths.TenderAddenda(x), paths.NameTenderAddenda},
		{"TenderAddendumAck", paths.TenderAddendumAck(x, 7), paths.NameTenderAddendumAck},
		{"TenderQuestions", paths.TenderQuestions(x), paths.NameTenderQuestions},
		{"TenderQuestionAnswer", paths.TenderQuestionAnswer(x, q), paths.NameTenderQuestionAnswer},
		{"TenderIntent", paths.TenderIntent(x), paths.NameTenderIntent},
		{"TenderLeveling", paths.TenderLeveling(x), paths.NameTenderLeveling},
		{"TenderLevelingXLSX", paths.TenderLevelingXLSX(x), paths.NameTenderLevelingXLSX},
		{"TenderAward", paths.TenderAward(x), paths.NameTenderAward},
		{"Bid", paths.Bid(x), paths.NameBid},
		{"BidSubmit", paths.BidSubmit(x), paths.NameBidSubmit},
		{"BidWithdraw", paths.BidWithdraw(x), paths.NameBidWithdraw},
		{"APITenderIntent", paths.APITenderIntent(x), paths.NameAPITenderIntent},
		{"APITenderAddenda", paths.APITenderAddenda(x), paths.NameAPITenderAddenda},
		{"APITenderAddendumAck", paths.APITenderAddendumAck(x, 7), paths.NameAPITenderAddendumAck},
		{"APITenderQuestions", paths.APITenderQuestions(x), paths.NameAPITenderQuestions},
		{"APITenderAnswer", paths.APITenderAnswer(x, q), paths.NameAPITenderAnswer},
		{"APITenderBids", paths.APITenderBids(x), paths.NameAPITenderBids},
		{"APITenderBid", paths.APITenderBid(x, q), paths.NameAPITenderBid},
		{"APITenderBidWithdraw", paths.APITenderBidWithdraw(x, q), paths.NameAPITenderBidWithdraw},
		{"APITenderLeveling", paths.APITenderLeveling(x), paths.NameAPITenderLeveling},
		{"APITenderLevelingXLSX", paths.APITenderLevelingXLSX(x), paths.NameAPITenderLevelingXLSX},
		{"APITenderAward", paths.APITenderAward(x), paths.NameAPITenderAward},
		{"APIContract", paths.APIContract(x), paths.NameAPIContract},
		{"APIActivity", paths.APIActivity(p), paths.NameAPIActivity},
		{"APIActivityVerify", paths.APIActivityVerify(p), paths.NameAPIActivityVerify},
		{"MilestoneResolve", paths.MilestoneResolve(p), paths.NameMilestoneResolve},
		{"ContractRetentionRelease", paths.ContractRetentionRelease(p), paths.NameContractRetentionRelease},
		{"APIMilestoneResolve", paths.APIMilestoneResolve(p), paths.NameAPIMilestoneResolve},
		{"APIContractRetentionRelease", paths.APIContractRetentionRelease(p), paths.NameAPIContractRetentionRelease},
		{"TenderPrint", paths.TenderPrint(p), paths.NameTenderPrint},
		{"BidPDF", paths.BidPDF(p, q), paths.NameBidPDF},
		{"TenderLevelingPDF", paths.TenderLevelingPDF(p), paths.NameTenderLevelingPDF},
		{"APITenderBidPDF", paths.APITenderBidPDF(p, q), paths.NameAPITenderBidPDF},
		{"APITenderLevelingPDF", paths.APITenderLevelingPDF(p), paths.NameAPITenderLevelingPDF},
		{"Contracts", paths.Contracts(), paths.NameContracts},
		{"Contract", paths.Contract(p), paths.NameContract},
		{"ContractMilestones", paths.ContractMilestones(p), paths.NameContractMilestones},
		{"ContractRetention", paths.ContractRetention(p), paths.NameContractRetention},
		{"ContractLedger", paths.ContractLedger(p), paths.NameContractLedger},
		{"ContractOnboarding", paths.ContractOnboarding(p), paths.NameContractOnboarding},
		{"Milestone", paths.Milestone(p), paths.NameMilestone},
		{"MilestoneEdit", paths.MilestoneEdit(p), paths.NameMilestoneEdit},
		{"MilestoneMove", paths.MilestoneMove(p), paths.NameMilestoneMove},
		{"MilestoneDelete", paths.MilestoneDelete(p), paths.NameMilestoneDelete},
		{"MilestoneFund", paths.MilestoneFund(p), paths.NameMilestoneFund},
		{"MilestoneSimulate", paths.MilestoneSimulate(p), paths.NameMilestoneSimulate},
		{"MilestoneComplete", paths.MilestoneComplete(p), paths.NameMilestoneComplete},
		{"MilestoneApprove", paths.MilestoneApprove(p), paths.NameMilestoneApprove},
		{"MilestoneRelease", paths.MilestoneRelease(p), paths.NameMilestoneRelease},
		{"MilestoneDispute", paths.MilestoneDispute(p), paths.NameMilestoneDispute},
		{"MilestoneCancel", paths.MilestoneCancel(p), paths.NameMilestoneCancel},
		{"MilestoneRefund", paths.MilestoneRefund(p), paths.NameMilestoneRefund},
		{"APIContractMilestones", paths.APIContractMilestones(p), paths.NameAPIContractMilestones},
		{"APIContractLedger", paths.APIContractLedger(p), paths.NameAPIContractLedger},
		{"APIContractOnboarding", paths.APIContractOnboarding(p), paths.NameAPIContractOnboarding},
		{"APIMilestone", paths.APIMilestone(p), paths.NameAPIMilestone},
		{"APIMilestoneFund", paths.APIMilestoneFund(p), paths.NameAPIMilestoneFund},
		{"APIMilestoneComplete", paths.APIMilestoneComplete(p), paths.NameAPIMilestoneComplete},
		{"APIMilestoneApprove", paths.APIMilestoneApprove(p), paths.NameAPIMilestoneApprove},
		{"APIMilestoneDispute", paths.APIMilestoneDispute(p), paths.NameAPIMilestoneDispute},
		{"APIEscrows", paths.APIEscrows(), paths.NameAPIEscrows},
		{"APIEscrow", paths.APIEscrow(p), paths.NameAPIEscrow},
		{"APIEscrowRelease", paths.APIEscrowRelease(p), paths.NameAPIEscrowRelease},
		{"APIEscrowRefund", paths.APIEscrowRefund(p), paths.NameAPIEscrowRefund},
		{"APIEscrowSimulate", paths.APIEscrowSimulate(p), paths.NameAPIEscrowSimulate},
		{"APIStripeWebhook", paths.APIStripeWebhook(), paths.NameAPIStripeWebhook},
		{"UnitsDraft", paths.UnitsDraft(p), paths.NameUnitsDraft},
		{"UnitsDraftSave", paths.UnitsDraftSave(p), paths.NameUnitsDraftSave},
		{"WorkPackages", paths.WorkPackages(p), paths.NameWorkPackages},
		{"WorkPackagesDraft", paths.WorkPackagesDraft(p), paths.NameWorkPackagesDraft},
		{"WorkPackageTender", paths.WorkPackageTender(p, q), paths.NameWorkPackageTender},
		{"APIAICreateUnits", paths.APIAICreateUnits(), paths.NameAPIAICreateUnits},
		{"APIAICreateJobs", paths.APIAICreateJobs(), paths.NameAPIAICreateJobs},
		{"APIWorkPackages", paths.APIWorkPackages(p), paths.NameAPIWorkPackages},
		{"Mailbox", paths.Mailbox(), paths.NameMailbox},
		{"MailboxMail", paths.MailboxMail(7), paths.NameMailboxMail},
		{"APIOutbox", paths.APIOutbox(), paths.NameAPIOutbox},
		{"PasswordForgot", paths.PasswordForgot(), paths.NamePasswordForgot},
		{"PasswordReset", paths.PasswordReset(odd), paths.NamePasswordReset},
		{"AccountNotifications", paths.AccountNotifications(), paths.NameAccountNotifications},
		{"Events", paths.Events("tender-" + x), paths.NameEvents},
		{"APIEvents", paths.APIEvents("me"), paths.NameAPIEvents},
	}

	// Every exported helper is in the list above, so a new one cannot skip this test.
	fset := token.NewFileSet()
	f, err := parser.ParseFile(fset, "../paths/helpers.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	listed := map[string]bool{}
	for _, c := range cases {
		listed[c.helper] = true
	}
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Recv == nil && fd.Name.IsExported() && !listed[fd.Name.Name] {
			t.Errorf("paths.%s is not checked here", fd.Name.Name)
		}
	}

	e := echo.New()
	h := &Handlers{}
	h.routes(e)
	methods := map[paths.Name][]string{}
	for _, r := range h.Routes() {
		methods[r.Name] = append(methods[r.Name], r.Method)
	}
	for _, c := range cases {
		if len(methods[c.name]) == 0 {
			t.Errorf("paths.%s: %q is not in the route table", c.helper, c.name)
			continue
		}
		for _, m := range methods[c.name] {
			// The router sees the path as the browser sends it: escaped.
			req := httptest.NewRequest(m, c.got, nil)
			ctx := e.NewContext(req, httptest.NewRecorder())
			path := req.URL.RawPath
			if path == "" {
				path = req.URL.Path
			}
			e.Router().Find(m, path, ctx)
			if ctx.Path() != c.name.Pattern() {
				t.Errorf("paths.%s() = %s: %s routes to %q, want %s", c.helper, c.got, m, ctx.Path(), c.name.Pattern())
			}
		}
	}
}

// TestPathEscaping: a parameter is one escaped segment, and Path refuses a wrong count.
func TestPathEscaping(t *testing.T) {
	t.Parallel()
	if got, want := paths.SOQItemCell("p", "s", "i/../x", "a b"), "/projects/p/soq/s/items/i%2F..%2Fx/cells/a%20b"; got != want {
		t.Errorf("SOQItemCell = %s, want %s", got, want)
	}
	if got, want := paths.Invitation("t?x=1#y"), "/invitations/t%3Fx=1%23y"; got != want {
		t.Errorf("Invitation = %s, want %s", got, want)
	}
	for _, params := range [][]string{nil, {"a", "b"}} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Path(%q) on %s did not panic", params, paths.NameProject.Pattern())
				}
			}()
			_ = paths.NameProject.Path(params...)
		}()
	}
	// echo's Reverse agrees with the helpers on plain ids.
	e := echo.New()
	(&Handlers{}).routes(e)
	if got, want := e.Reverse(string(paths.NameSOQItemDelete), "p", "s", "i"), paths.SOQItemDelete("p", "s", "i"); got != want {
		t.Errorf("Reverse = %s, helper = %s", got, want)
	}
}
