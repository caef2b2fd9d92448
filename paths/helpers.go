package paths

import (
	"net/url"
	"strconv"
)

// Typed URL builders, one per route name that pages link to. Ids are strings as the store
// hands them out; bigserial ids are int64.

// LoginNext is the sign-in page that goes on to next (a path on this site) afterwards.
func LoginNext(next string) string { return NameLogin.Path() + "?next=" + url.QueryEscape(next) }

// Events is the pages' live stream named stream ("tender-{id}", "project-{id}", "me").
func Events(stream string) string { return NameEvents.Path() + "?stream=" + url.QueryEscape(stream) }

// APIEvents is the API clients' (JSON) twin of Events.
func APIEvents(stream string) string {
	return NameAPIEvents.Path() + "?stream=" + url.QueryEscape(stream)
}

func Login() string                           { return NameLogin.Path() }
func Register() string                        { return NameRegister.Path() }
func Logout() string                          { return NameLogout.Path() }
func Invitation(token string) string          { return NameInvitation.Path(token) }
func Dashboard() string                       { return NameDashboard.Path() }
func Account() string                         { return NameAccount.Path() }
func AccountPassword() string                 { return NameAccountPassword.Path() }
func AccountTokens() string                   { return NameAccountTokens.Path() }
func AccountTokenDelete(tokenID int64) string { return NameAccountTokenDelete.Path(i64(tokenID)) }
func AccountInvitationAccept(invID int64) string {
	return NameAccountInvitationAccept.Path(i64(invID))
}
func AccountInvitationDecline(invID int64) string {
	return NameAccountInvitationDecline.Path(i64(invID))
}

func Projects() string                           { return NameProjects.Path() }
func ProjectNew() string                         { return NameProjectNew.Path() }
func Project(projectID string) string            { return NameProject.Path(projectID) }
func ProjectEdit(projectID string) string        { return NameProjectEdit.Path(projectID) }
func ProjectDelete(projectID string) string      { return NameProjectDelete.Path(projectID) }
func ProjectTransfer(projectID string) string    { return NameProjectTransfer.Path(projectID) }
func Team(projectID string) string               { return NameTeam.Path(projectID) }
func TeamRemove(projectID, userID string) string { return NameTeamRemove.Path(projectID, userID) }
func InvitationRevoke(projectID string, invID int64) string {
	return NameInvitationRevoke.Path(projectID, i64(invID))
}

func Units(projectID string) string            { return NameUnits.Path(projectID) }
func UnitsSchedule(projectID string) string    { return NameUnitsSchedule.Path(projectID) }
func UnitNew(projectID string) string          { return NameUnitNew.Path(projectID) }
func UnitPreview(projectID string) string      { return NameUnitPreview.Path(projectID) }
func Unit(projectID, unitID string) string     { return NameUnit.Path(projectID, unitID) }
func UnitEdit(projectID, unitID string) string { return NameUnitEdit.Path(projectID, unitID) }
func UnitDuplicate(projectID, unitID string) string {
	return NameUnitDuplicate.Path(projectID, unitID)
}
func UnitDelete(projectID, unitID string) string { return NameUnitDelete.Path(projectID, unitID) }

func SOQs(projectID string) string               { return NameSOQs.Path(projectID) }
func SOQ(projectID, soqID string) string         { return NameSOQ.Path(projectID, soqID) }
func SOQStatus(projectID, soqID string) string   { return NameSOQStatus.Path(projectID, soqID) }
func SOQSections(projectID, soqID string) string { return NameSOQSections.Path(projectID, soqID) }
func SOQSectionRows(projectID, soqID, sectionID string) string {
	return NameSOQSectionRows.Path(projectID, soqID, sectionID)
}
func SOQSectionMove(projectID, soqID, sectionID string) string {
	return NameSOQSectionMove.Path(projectID, soqID, sectionID)
}
func SOQSectionDelete(projectID, soqID, sectionID string) string {
	return NameSOQSectionDelete.Path(projectID, soqID, sectionID)
}
func SOQSectionItems(projectID, soqID, sectionID string) string {
	return NameSOQSectionItems.Path(projectID, soqID, sectionID)
}
func SOQItemRow(projectID, soqID, itemID string) string {
	return NameSOQItemRow.Path(projectID, soqID, itemID)
}
func SOQItemCell(projectID, soqID, itemID, field string) string {
	return NameSOQItemCell.Path(projectID, soqID, itemID, field)
}
func SOQItemMove(projectID, soqID, itemID string) string {
	return NameSOQItemMove.Path(projectID, soqID, itemID)
}
func SOQItemDelete(projectID, soqID, itemID string) string {
	return NameSOQItemDelete.Path(projectID, soqID, itemID)
}

func Imports(projectID, soqID string) string      { return NameImports.Path(projectID, soqID) }
func ImportUpload(projectID, soqID string) string { return NameImportUpload.Path(projectID, soqID) }
func Import(projectID, soqID, importID string) string {
	return NameImport.Path(projectID, soqID, importID)
}
func ImportProgress(projectID, soqID, importID string) string {
	return NameImportProgress.Path(projectID, soqID, importID)
}
func ImportStart(projectID, soqID, importID string) string {
	return NameImportStart.Path(projectID, soqID, importID)
}
func ImportCheck(projectID, soqID, importID string) string {
	return NameImportCheck.Path(projectID, soqID, importID)
}
func ImportValidRows(projectID, soqID, importID string) string {
	return NameImportValidRows.Path(projectID, soqID, importID)
}
func ImportRefusedCSV(projectID, soqID, importID string) string {
	return NameImportRefusedCSV.Path(projectID, soqID, importID)
}
func Jobs(projectID string) string     { return NameJobs.Path(projectID) }
func Activity(projectID string) string { return NameActivity.Path(projectID) }

func Tenders(projectID string) string   { return NameTenders.Path(projectID) }
func TenderNew(projectID string) string { return NameTenderNew.Path(projectID) }
func TenderBidderSearch(projectID string) string {
	return NameTenderBidderSearch.Path(projectID)
}
func TenderBoard() string               { return NameTenderBoard.Path() }
func Tender(tenderID string) string     { return NameTender.Path(tenderID) }
func TenderPDF(tenderID string) string  { return NameTenderPDF.Path(tenderID) }
func TenderEdit(tenderID string) string { return NameTenderEdit.Path(tenderID) }
func TenderDelete(tenderID string) string {
	return NameTenderDelete.Path(tenderID)
}
func TenderOpen(tenderID string) string    { return NameTenderOpen.Path(tenderID) }
func TenderClose(tenderID string) string   { return NameTenderClose.Path(tenderID) }
func TenderCancel(tenderID string) string  { return NameTenderCancel.Path(tenderID) }
func TenderAddenda(tenderID string) string { return NameTenderAddenda.Path(tenderID) }
func TenderAddendumAck(tenderID string, number int) string {
	return NameTenderAddendumAck.Path(tenderID, strconv.Itoa(number))
}
func TenderQuestions(tenderID string) string { return NameTenderQuestions.Path(tenderID) }
func TenderQuestionAnswer(tenderID, questionID string) string {
	return NameTenderQuestionAnswer.Path(tenderID, questionID)
}
func TenderIntent(tenderID string) string       { return NameTenderIntent.Path(tenderID) }
func TenderLeveling(tenderID string) string     { return NameTenderLeveling.Path(tenderID) }
func TenderLevelingXLSX(tenderID string) string { return NameTenderLevelingXLSX.Path(tenderID) }
func TenderAward(tenderID string) string        { return NameTenderAward.Path(tenderID) }
func Bid(tenderID string) string                { return NameBid.Path(tenderID) }
func BidSubmit(tenderID string) string          { return NameBidSubmit.Path(tenderID) }
func BidWithdraw(tenderID string) string        { return NameBidWithdraw.Path(tenderID) }

func AdminUsers() string                       { return NameAdminUsers.Path() }
func AdminUserNew() string                     { return NameAdminUserNew.Path() }
func AdminUser(userID string) string           { return NameAdminUser.Path(userID) }
func AdminUserEdit(userID string) string       { return NameAdminUserEdit.Path(userID) }
func AdminUserDeactivate(userID string) string { return NameAdminUserDeactivate.Path(userID) }

func APISOQExportXLSX(soqID string) string { return NameAPISOQExportXLSX.Path(soqID) }
func APISOQExportCSV(soqID string) string  { return NameAPISOQExportCSV.Path(soqID) }

func APITenders() string                      { return NameAPITenders.Path() }
func APITender(tenderID string) string        { return NameAPITender.Path(tenderID) }
func APITenderPDF(tenderID string) string     { return NameAPITenderPDF.Path(tenderID) }
func APITenderOpen(tenderID string) string    { return NameAPITenderOpen.Path(tenderID) }
func APITenderClose(tenderID string) string   { return NameAPITenderClose.Path(tenderID) }
func APITenderCancel(tenderID string) string  { return NameAPITenderCancel.Path(tenderID) }
func APITenderIntent(tenderID string) string  { return NameAPITenderIntent.Path(tenderID) }
func APITenderAddenda(tenderID string) string { return NameAPITenderAddenda.Path(tenderID) }
func APITenderAddendumAck(tenderID string, number int) string {
	return NameAPITenderAddendumAck.Path(tenderID, strconv.Itoa(number))
}
func APITenderQuestions(tenderID string) string { return NameAPITenderQuestions.Path(tenderID) }
func APITenderAnswer(tenderID, questionID string) string {
	return NameAPITenderAnswer.Path(tenderID, questionID)
}
func APITenderBids(tenderID string) string       { return NameAPITenderBids.Path(tenderID) }
func APITenderBid(tenderID, bidID string) string { return NameAPITenderBid.Path(tenderID, bidID) }
func APITenderBidWithdraw(tenderID, bidID string) string {
	return NameAPITenderBidWithdraw.Path(tenderID, bidID)
}
func APITenderLeveling(tenderID string) string     { return NameAPITenderLeveling.Path(tenderID) }
func APITenderLevelingXLSX(tenderID string) string { return NameAPITenderLevelingXLSX.Path(tenderID) }
func APITenderAward(tenderID string) string        { return NameAPITenderAward.Path(tenderID) }
func APIContract(contractID string) string         { return NameAPIContract.Path(contractID) }
func APIActivity(projectID string) string          { return NameAPIActivity.Path(projectID) }
func APIActivityVerify(projectID string) string    { return NameAPIActivityVerify.Path(projectID) }

// Issues 13 to 16.
func TenderPrint(tenderID string) string       { return NameTenderPrint.Path(tenderID) }
func BidPDF(tenderID, bidID string) string     { return NameBidPDF.Path(tenderID, bidID+".pdf") }
func TenderLevelingPDF(tenderID string) string { return NameTenderLevelingPDF.Path(tenderID) }
func APITenderBidPDF(tenderID string, bidID string) string {
	return NameAPITenderBidPDF.Path(tenderID, bidID)
}
func APITenderLevelingPDF(tenderID string) string { return NameAPITenderLevelingPDF.Path(tenderID) }
func Contracts() string                           { return NameContracts.Path() }
func Contract(contractID string) string           { return NameContract.Path(contractID) }
func ContractMilestones(contractID string) string { return NameContractMilestones.Path(contractID) }
func ContractRetention(contractID string) string  { return NameContractRetention.Path(contractID) }
func ContractLedger(contractID string) string     { return NameContractLedger.Path(contractID) }
func ContractOnboarding(contractID string) string { return NameContractOnboarding.Path(contractID) }
func Milestone(milestoneID string) string         { return NameMilestone.Path(milestoneID) }
func MilestoneEdit(milestoneID string) string     { return NameMilestoneEdit.Path(milestoneID) }
func MilestoneMove(milestoneID string) string     { return NameMilestoneMove.Path(milestoneID) }
func MilestoneDelete(milestoneID string) string   { return NameMilestoneDelete.Path(milestoneID) }
func MilestoneFund(milestoneID string) string     { return NameMilestoneFund.Path(milestoneID) }
func MilestoneSimulate(milestoneID string) string { return NameMilestoneSimulate.Path(milestoneID) }
func MilestoneComplete(milestoneID string) string { return NameMilestoneComplete.Path(milestoneID) }
func MilestoneApprove(milestoneID string) string  { return NameMilestoneApprove.Path(milestoneID) }
func MilestoneRelease(milestoneID string) string  { return NameMilestoneRelease.Path(milestoneID) }
func MilestoneDispute(milestoneID string) string  { return NameMilestoneDispute.Path(milestoneID) }
func MilestoneCancel(milestoneID string) string   { return NameMilestoneCancel.Path(milestoneID) }
func MilestoneRefund(milestoneID string) string   { return NameMilestoneRefund.Path(milestoneID) }
func APIContractMilestones(contractID string) string {
	return NameAPIContractMilestones.Path(contractID)
}
func APIContractLedger(contractID string) string { return NameAPIContractLedger.Path(contractID) }
func APIContractOnboarding(contractID string) string {
	return NameAPIContractOnboarding.Path(contractID)
}
func APIMilestone(milestoneID string) string     { return NameAPIMilestone.Path(milestoneID) }
func APIMilestoneFund(milestoneID string) string { return NameAPIMilestoneFund.Path(milestoneID) }
func APIMilestoneComplete(milestoneID string) string {
	return NameAPIMilestoneComplete.Path(milestoneID)
}
func APIMilestoneApprove(milestoneID string) string { return NameAPIMilestoneApprove.Path(milestoneID) }
func APIMilestoneDispute(milestoneID string) string { return NameAPIMilestoneDispute.Path(milestoneID) }
func APIEscrows() string                            { return NameAPIEscrows.Path() }
func APIEscrow(escrowID string) string              { return NameAPIEscrow.Path(escrowID) }
func APIEscrowRelease(escrowID string) string       { return NameAPIEscrowRelease.Path(escrowID) }
func APIEscrowRefund(escrowID string) string        { return NameAPIEscrowRefund.Path(escrowID) }
func APIEscrowSimulate(escrowID string) string      { return NameAPIEscrowSimulate.Path(escrowID) }
func APIStripeWebhook() string                      { return NameAPIStripeWebhook.Path() }
func UnitsDraft(projectID string) string            { return NameUnitsDraft.Path(projectID) }
func UnitsDraftSave(projectID string) string        { return NameUnitsDraftSave.Path(projectID) }
func WorkPackages(projectID string) string          { return NameWorkPackages.Path(projectID) }
func WorkPackagesDraft(projectID string) string     { return NameWorkPackagesDraft.Path(projectID) }
func WorkPackageTender(projectID string, packageID string) string {
	return NameWorkPackageTender.Path(projectID, packageID)
}
func APIAICreateUnits() string                { return NameAPIAICreateUnits.Path() }
func APIAICreateJobs() string                 { return NameAPIAICreateJobs.Path() }
func APIWorkPackages(projectID string) string { return NameAPIWorkPackages.Path(projectID) }
func Mailbox() string                         { return NameMailbox.Path() }
func MailboxMail(mailID int64) string         { return NameMailboxMail.Path(i64(mailID)) }
func APIOutbox() string                       { return NameAPIOutbox.Path() }
func PasswordForgot() string                  { return NamePasswordForgot.Path() }
func PasswordReset(token string) string       { return NamePasswordReset.Path(token) }
func AccountNotifications() string            { return NameAccountNotifications.Path() }

func MilestoneResolve(milestoneID string) string { return NameMilestoneResolve.Path(milestoneID) }
func ContractRetentionRelease(contractID string) string {
	return NameContractRetentionRelease.Path(contractID)
}
func APIMilestoneResolve(milestoneID string) string { return NameAPIMilestoneResolve.Path(milestoneID) }
func APIContractRetentionRelease(contractID string) string {
	return NameAPIContractRetentionRelease.Path(contractID)
}

func i64(n int64) string { return strconv.FormatInt(n, 10) }
