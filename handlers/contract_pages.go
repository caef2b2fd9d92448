package handlers

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/escrow"
	"github.com/14build/14build/events"
	"github.com/14build/14build/field"
	"github.com/14build/14build/money"
	"github.com/14build/14build/paths"
	"github.com/14build/14build/payouts"
	"github.com/14build/14build/store"
	"github.com/14build/14build/views"
)

// contractPageRoutes: issue 14's pages. The contract (milestones, escrow, the sum check),
// each milestone's actions with their confirmations, the payment page, the ledger, and
// the contracts list. Money is the owner's (contractOwner: the contractor and in-house
// staff get 403); the contractor's bidders mark work complete; either side may dispute.
func (h *Handlers) contractPageRoutes() []Route {
	return []Route{
		{"GET", paths.NameContracts, signedIn(), h.contractsPage},
		{"GET", paths.NameContract, onContract(contractEither), h.contractPage},
		{"POST", paths.NameContractMilestones, onContract(contractOwner), h.milestoneAdd},
		{"POST", paths.NameContractRetention, onContract(contractOwner), h.contractRetention},
		{"GET", paths.NameContractLedger, onContract(contractEither), h.contractLedgerPage},
		{"POST", paths.NameContractOnboarding, onContract(contractContractor), h.contractOnboarding},
		{"GET", paths.NameMilestoneEdit, onContract(contractOwner), h.milestoneEditPage},
		{"POST", paths.NameMilestone, onContract(contractOwner), h.milestoneUpdate},
		{"POST", paths.NameMilestoneMove, onContract(contractOwner), h.milestoneMove},
		{"GET", paths.NameMilestoneDelete, onContract(contractOwner), h.milestoneDeleteConfirm},
		{"POST", paths.NameMilestoneDelete, onContract(contractOwner), h.milestoneDelete},
		{"GET", paths.NameMilestoneFund, onContract(contractOwner), h.milestoneFundPage},
		{"POST", paths.NameMilestoneFund, onContract(contractOwner), h.milestoneFund},
		{"POST", paths.NameMilestoneSimulate, onContract(contractOwner), h.milestoneSimulate},
		{"POST", paths.NameMilestoneComplete, onContract(contractContractor), h.milestoneComplete},
		{"POST", paths.NameMilestoneApprove, onContract(contractOwner), h.milestoneApprove},
		{"GET", paths.NameMilestoneRelease, onContract(contractOwner), h.milestoneReleaseConfirm},
		{"POST", paths.NameMilestoneRelease, onContract(contractOwner), h.milestoneRelease},
		{"GET", paths.NameMilestoneDispute, onContract(contractEither), h.milestoneDisputeConfirm},
		{"POST", paths.NameMilestoneDispute, onContract(contractEither), h.milestoneDispute},
		{"GET", paths.NameMilestoneCancel, onContract(contractOwner), h.milestoneCancelConfirm},
		{"POST", paths.NameMilestoneCancel, onContract(contractOwner), h.milestoneCancel},
		{"GET", paths.NameMilestoneRefund, onContract(contractOwner), h.milestoneRefundConfirm},
		{"POST", paths.NameMilestoneRefund, onContract(contractOwner), h.milestoneRefund},
		{"POST", paths.NameMilestoneResolve, onContract(contractOwner), h.milestoneResolve}, // contract_retention.go
		{"GET", paths.NameContractRetentionRelease, onContract(contractOwner), h.retentionReleaseConfirm},
		{"POST", paths.NameContractRetentionRelease, onContract(contractOwner), h.retentionRelease},
	}
}

// actx is the request's context carrying the signed-in user as the actor of the activity
// entries a write appends.
func actx(c echo.Context) context.Context {
	return store.WithActor(c.Request().Context(), currentUser(c).ID)
}

// ownsMoney reports whether the caller is the contract's project owner (or an
// administrator): what contractOwner routes allow.
func ownsMoney(c echo.Context) bool {
	return !contractSide(c) && currentProject(c) != nil &&
		authz.CanInProject(currentUser(c).Role, currentMembership(c), authz.ManageMoney)
}

// contractView loads what every contract page shows: the contract with its names and
// sums, its milestones with their live escrows, the payout account, and who may do what.
func (h *Handlers) contractView(c echo.Context) (views.ContractView, error) {
	ctx := c.Request().Context()
	k := currentContract(c)
	v := views.ContractView{Project: currentProject(c), Simulated: h.payouts.Simulated(),
		Owner: ownsMoney(c), Contractor: contractSide(c), TimeZone: "UTC"}
	sum, err := h.st.ContractSummaryOf(ctx, k.ID) // with its names and paid and escrowed sums
	if err != nil {
		return v, err
	}
	v.Contract = sum
	if v.Project != nil {
		v.TimeZone = v.Project.TimeZone
	} else if pr, _, err := h.st.ProjectFor(ctx, sum.ProjectID, noOne); err == nil {
		v.TimeZone = pr.TimeZone
	}
	ms, err := h.st.Milestones(ctx, k.ID)
	if err != nil {
		return v, err
	}
	es, err := h.st.EscrowsOfContract(ctx, k.ID)
	if err != nil {
		return v, err
	}
	live := map[string]*store.Escrow{}
	for i := range es {
		e := &es[i]
		v.Funded = true
		if e.Status.Live() {
			live[e.MilestoneID] = e
		}
	}
	for i, m := range ms {
		v.Milestones = append(v.Milestones, views.MilestoneRow{Milestone: m, Escrow: live[m.ID], First: i == 0, Last: i == len(ms)-1})
		v.Allocated += m.Amount
	}
	acct, found, err := h.payouts.OnboardingState(ctx, k.ContractorEntityID)
	if err != nil {
		return v, err
	}
	v.Payout = views.PayoutState{Exists: found, Enabled: found && acct.PayoutsEnabled, DetailsSubmitted: acct.DetailsSubmitted, Simulated: acct.Simulated}
	v.Retention.Percent = views.RetentionPercent(k.RetentionBP)
	if k.RetentionBP > 0 || k.RetentionReleaseState != escrow.ReleaseNone {
		held, err := h.retentionReady(ctx, k, ms)
		var se *escrow.StateError
		if err != nil && !errors.As(err, &se) { // a refusal only means not releasable now
			return v, err
		}
		v.RetentionHeld, v.RetentionReleasable = held, err == nil
	}
	if v.Owner {
		v.Form = h.newMilestoneForm(v, nil)
	}
	return v, nil
}

// newMilestoneForm is the add form, empty or as typed (in), with the sum check.
func (h *Handlers) newMilestoneForm(v views.ContractView, in *milestoneInput) views.MilestoneForm {
	f := views.MilestoneForm{Action: paths.ContractMilestones(v.Contract.ID),
		Preview: paths.ContractMilestones(v.Contract.ID) + "?preview=sum",
		Sum:     views.SumCheck{ContractSum: v.Contract.ContractSum, Others: v.Allocated, Currency: v.Contract.Currency}}
	if in != nil {
		f.Title, f.Description, f.DueDate, f.Amount = in.Title, in.Description, in.DueDate, in.Amount
		f.Sum.Typed, f.Sum.TypedOK = in.amount(v.Contract.Currency)
	}
	return f
}

// milestoneInput is the add and edit form as typed.
type milestoneInput struct {
	Title, Description, DueDate, Amount string
}

func milestoneFromForm(c echo.Context) milestoneInput {
	return milestoneInput{Title: strings.TrimSpace(c.FormValue("title")), Description: strings.TrimSpace(c.FormValue("description")),
		DueDate: strings.TrimSpace(c.FormValue("dueDate")), Amount: strings.TrimSpace(c.FormValue("amount"))}
}

// amount is the typed amount in minor units, when it parses.
func (in milestoneInput) amount(currency string) (int64, bool) {
	n, err := money.Parse(in.Amount, money.Of(currency))
	return n, err == nil
}

var milestoneSubjects = map[string]fieldWords{
	"title":       {Enter: "a title", Subject: "The title"},
	"description": {Subject: "The description"},
	"dueDate":     {Subject: "The due date"},
	"amount":      {Enter: "the amount", Subject: "The amount"},
}

// parse checks the form: the amount in major units read exactly into minor units (the
// money package, never a float), the due date as a calendar date.
func (in milestoneInput) parse(currency string) (store.MilestoneInput, field.Errors) {
	errs := field.Errors{}
	errs.Text("title", in.Title, 1, 200)
	if len(in.Description) > 2000 {
		errs.Add("description", "must be at most 2000 characters")
	}
	out := store.MilestoneInput{Title: in.Title, Description: in.Description}
	if in.DueDate != "" {
		d, err := time.Parse("2006-01-02", in.DueDate)
		if err != nil {
			errs.Add("dueDate", "Enter the due date as a date such as 2027-03-31.")
		} else {
			out.DueDate = &d
		}
	}
	n, err := money.Parse(in.Amount, money.Of(currency))
	switch {
	case errors.Is(err, money.ErrEmpty):
		errs.Add("amount", "is required")
	case err != nil:
		errs.Add("amount", err.Error())
	case n <= 0:
		errs.Add("amount", "Enter an amount more than zero.")
	}
	out.Amount = n
	return out, sentences(errs, milestoneSubjects)
}

// storeRefusal sorts a store error: per-field messages (422), a state conflict (409), or
// something else (the error handler's).
func storeRefusal(err error) (field.Errors, string, bool) {
	var fr *store.FieldsRefused
	var se *escrow.StateError
	switch {
	case errors.As(err, &fr):
		return sentences(fr.Fields, milestoneSubjects), "", true
	case errors.As(err, &se):
		return nil, se.Message, true
	}
	return nil, "", false
}

// refusalFields is a form's refusal by the store as field errors (a state's refusal
// under "", the form's own alert); any other error is returned as it is.
func refusalFields(err error) (field.Errors, error) {
	fe, msg, ok := storeRefusal(err)
	switch {
	case !ok:
		return nil, err
	case msg != "":
		return field.Errors{"": msg}, nil
	}
	return fe, nil
}

// contractPage is the contract with its milestones; ?part=milestones is the table alone
// (the live refresh).
func (h *Handlers) contractPage(c echo.Context) error {
	v, err := h.contractView(c)
	if err != nil {
		return err
	}
	if c.QueryParam("part") == "milestones" {
		return renderStatus(c, http.StatusOK, views.Milestones(v))
	}
	return h.renderContract(c, http.StatusOK, v)
}

func (h *Handlers) renderContract(c echo.Context, status int, v views.ContractView) error {
	return render(c, status, views.ContractPage(h.page(c, contractPageTitle(v)), v), nil)
}

func contractPageTitle(v views.ContractView) string {
	return "Contract · " + v.Contract.TenderTitle
}

// refuseOnContract shows the contract page with why an action was refused (409).
func (h *Handlers) refuseOnContract(c echo.Context, msg string) error {
	return h.refuseOnContractStatus(c, http.StatusConflict, msg)
}

func (h *Handlers) refuseOnContractStatus(c echo.Context, status int, msg string) error {
	logAttrs(c, "reason", msg)
	v, err := h.contractView(c)
	if err != nil {
		return err
	}
	v.Refusal = msg
	return h.renderContract(c, status, v)
}

// done flashes what happened and goes back to the contract.
func (h *Handlers) backToContract(c echo.Context, msg string) error {
	if msg != "" {
		h.flash(c, msg)
	}
	return redirect(c, paths.Contract(currentContract(c).ID))
}

// moneyResult answers a money action's error: a refusal on the page, the rest to the
// error handler.
func (h *Handlers) moneyResult(c echo.Context, err error) error {
	if fe, msg, ok := storeRefusal(err); ok {
		if msg != "" {
			return h.refuseOnContract(c, msg)
		}
		for _, m := range fe { // a note or reason refused: one field per action
			return h.refuseOnContractStatus(c, http.StatusUnprocessableEntity, m)
		}
	}
	var pe *payouts.ProviderError
	if errors.As(err, &pe) {
		logAttrs(c, "err", err.Error())
		if pe.Unavailable() {
			return h.refuseOnContract(c, "Stripe could not be reached, so nothing was done. Please try again in a moment.")
		}
		return h.refuseOnContract(c, "Stripe refused the request, so nothing was done. The details are in the server's log.")
	}
	return err
}

func (h *Handlers) milestoneAdd(c echo.Context) error {
	v, err := h.contractView(c)
	if err != nil {
		return err
	}
	in := milestoneFromForm(c)
	if c.QueryParam("preview") == "sum" {
		f := h.newMilestoneForm(v, &in)
		return render(c, http.StatusOK, views.ContractPage(h.page(c, contractPageTitle(v)), v), views.MilestoneSum(f.Sum))
	}
	mi, errs := in.parse(v.Contract.Currency)
	if !errs.Any() {
		if _, err := h.st.AddMilestone(actx(c), v.Contract.ID, mi); err != nil {
			if errs, err = refusalFields(err); err != nil {
				return err
			}
		}
	}
	if errs.Any() {
		v.Form = h.newMilestoneForm(v, &in)
		v.Form.Errs = errs
		return h.renderContract(c, http.StatusUnprocessableEntity, v)
	}
	return h.backToContract(c, "Milestone “"+mi.Title+"” added.")
}

// milestoneOf is the route's milestone, checked to be of the route's contract (the guard
// resolved the contract through it).
// milestoneStep runs one step on the route's milestone and goes back to the contract with
// the step's message, or shows why the step was refused.
func (h *Handlers) milestoneStep(c echo.Context, step func(m store.Milestone) (string, error)) error {
	m, err := h.milestoneOf(c)
	if err != nil {
		return err
	}
	msg, err := step(m)
	if err != nil {
		return h.moneyResult(c, err)
	}
	return h.backToContract(c, msg)
}

func (h *Handlers) milestoneOf(c echo.Context) (store.Milestone, error) {
	m, err := h.st.Milestone(c.Request().Context(), c.Param("milestoneId"))
	if err != nil {
		return m, err
	}
	if m.ContractID != currentContract(c).ID {
		return m, errNotFound()
	}
	return m, nil
}

func (h *Handlers) editForm(v views.ContractView, m store.Milestone, in milestoneInput) views.MilestoneForm {
	f := views.MilestoneForm{Action: paths.Milestone(m.ID), Preview: paths.Milestone(m.ID) + "?preview=sum",
		Cancel: paths.Contract(v.Contract.ID), Edit: true, Version: strconv.Itoa(m.Version),
		Title: in.Title, Description: in.Description, DueDate: in.DueDate, Amount: in.Amount,
		Sum: views.SumCheck{ContractSum: v.Contract.ContractSum, Others: v.Allocated - m.Amount, Currency: v.Contract.Currency}}
	f.Sum.Typed, f.Sum.TypedOK = in.amount(v.Contract.Currency)
	return f
}

func (h *Handlers) milestoneEditPage(c echo.Context) error {
	v, err := h.contractView(c)
	if err != nil {
		return err
	}
	m, err := h.milestoneOf(c)
	if err != nil {
		return err
	}
	if !m.Status.Editable() {
		return h.refuseOnContract(c, "Only a planned milestone can be edited: “"+m.Title+"” is "+strings.ToLower(m.Status.Label())+".")
	}
	in := milestoneInput{Title: m.Title, Description: m.Description, Amount: money.Input(m.Amount, money.Of(v.Contract.Currency))}
	if m.DueDate.Valid {
		in.DueDate = m.DueDate.Time.UTC().Format("2006-01-02")
	}
	return render(c, http.StatusOK, views.MilestoneEditPage(h.page(c, "Edit milestone · "+m.Title), v, h.editForm(v, m, in)), nil)
}

func (h *Handlers) milestoneUpdate(c echo.Context) error {
	v, err := h.contractView(c)
	if err != nil {
		return err
	}
	m, err := h.milestoneOf(c)
	if err != nil {
		return err
	}
	in := milestoneFromForm(c)
	f := h.editForm(v, m, in)
	if c.QueryParam("preview") == "sum" {
		return render(c, http.StatusOK, views.MilestoneEditPage(h.page(c, "Edit milestone · "+m.Title), v, f), views.MilestoneSum(f.Sum))
	}
	version, verr := strconv.Atoi(c.FormValue("version"))
	if verr != nil {
		version = m.Version
	}
	f.Version = c.FormValue("version")
	mi, errs := in.parse(v.Contract.Currency)
	if !errs.Any() {
		if _, err := h.st.UpdateMilestone(actx(c), m.ID, version, mi); err != nil {
			if errs, err = refusalFields(err); err != nil {
				return err
			}
		}
	}
	if errs.Any() {
		f.Errs = errs
		return render(c, http.StatusUnprocessableEntity, views.MilestoneEditPage(h.page(c, "Edit milestone · "+m.Title), v, f), nil)
	}
	return h.backToContract(c, "Milestone “"+mi.Title+"” saved.")
}

func (h *Handlers) milestoneMove(c echo.Context) error {
	m, err := h.milestoneOf(c)
	if err != nil {
		return err
	}
	to := m.Position
	switch c.FormValue("dir") {
	case "up":
		to--
	case "down":
		to++
	default:
		if n, err := strconv.Atoi(c.FormValue("position")); err == nil {
			to = n
		} else {
			return &appError{Status: http.StatusUnprocessableEntity, Message: "Choose to move the milestone up or down.",
				Fields: field.Errors{"dir": "must be up or down"}}
		}
	}
	if to < 1 || to == m.Position {
		return h.backToContract(c, "")
	}
	if err := h.st.MoveMilestone(actx(c), m.ID, to); err != nil {
		return h.moneyResult(c, err)
	}
	return h.backToContract(c, "")
}

// confirmPage shows a milestone action's confirmation.
func (h *Handlers) confirmPage(c echo.Context, status int, a views.ActionConfirm) error {
	v, err := h.contractView(c)
	if err != nil {
		return err
	}
	return render(c, status, views.ActionConfirmPage(h.page(c, a.Title), v, a), nil)
}

func (h *Handlers) milestoneDeleteConfirm(c echo.Context) error {
	m, err := h.milestoneOf(c)
	if err != nil {
		return err
	}
	return h.confirmPage(c, http.StatusOK, views.ActionConfirm{Title: "Delete milestone “" + m.Title + "”?",
		Message: "The milestone is removed and the ones after it move up. Its amount goes back to the contract sum's remainder. This cannot be undone.",
		Action:  paths.MilestoneDelete(m.ID), Button: "Delete milestone", Danger: true,
		Figures: []views.Figure{{Label: "Amount", Value: money.FormatCode(m.Amount, currentContract(c).Currency), Strong: true}}})
}

func (h *Handlers) milestoneDelete(c echo.Context) error {
	return h.milestoneStep(c, func(m store.Milestone) (string, error) {
		err := h.st.DeleteMilestone(actx(c), m.ID)
		return "Milestone “" + m.Title + "” deleted.", err
	})
}

func (h *Handlers) contractRetention(c echo.Context) error {
	raw := strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(c.FormValue("percent")), "%"))
	// A percentage with up to two decimals is a whole number of basis points: read it as
	// an amount with two decimals, exactly.
	bp, err := money.Parse(raw, money.Currency{Exponent: 2})
	var msg string
	switch {
	case errors.Is(err, money.ErrEmpty):
		msg = "Enter the retention as a percentage, 0 for none."
	case err != nil:
		msg = "Enter the retention as a percentage such as 5 or 2.5 (at most two decimals)."
	case !escrow.ValidRetentionBP(int(bp)):
		msg = "Retention may be 0 to " + views.RetentionPercent(escrow.MaxRetentionBP) + " %."
	}
	if msg == "" {
		err = h.st.SetRetention(actx(c), currentContract(c).ID, int(bp))
		if err == nil {
			return h.backToContract(c, "Retention set to "+views.RetentionPercent(int(bp))+" %.")
		}
		fe, smsg, ok := storeRefusal(err)
		if !ok {
			return err
		}
		if msg = smsg; msg == "" {
			for _, m := range fe {
				msg = m
			}
		}
	}
	v, verr := h.contractView(c)
	if verr != nil {
		return verr
	}
	v.Retention = views.RetentionForm{Percent: c.FormValue("percent"), Errs: field.Errors{"percent": msg}}
	status := http.StatusUnprocessableEntity
	if v.Funded {
		status = http.StatusConflict
		v.Refusal = msg
	}
	return h.renderContract(c, status, v)
}

func (h *Handlers) milestoneFundPage(c echo.Context) error {
	v, err := h.contractView(c)
	if err != nil {
		return err
	}
	m, err := h.milestoneOf(c)
	if err != nil {
		return err
	}
	f := views.FundView{Milestone: m, ReturnURL: strings.TrimRight(h.cfg.BaseURL, "/") + paths.Contract(v.Contract.ID)}
	for _, r := range v.Milestones {
		if r.ID == m.ID {
			f.Escrow = r.Escrow
		}
	}
	if f.Escrow == nil && (m.Status != escrow.MilestonePlanned || !v.FundingOpen()) {
		if !v.FundingOpen() {
			return h.refuseOnContract(c, escrow.FundingError(v.Remaining(), v.Contract.Currency).Error())
		}
		return h.refuseOnContract(c, "Only a planned milestone can be funded: “"+m.Title+"” is "+strings.ToLower(m.Status.Label())+".")
	}
	if f.Escrow != nil && f.Escrow.Status == escrow.EscrowPending && !v.Simulated {
		f.PublishableKey = h.payouts.Provider.PublishableKey()
		// Stripe.js and its Payment Element's frames come from Stripe: this page alone
		// widens the policy for them.
		c.Response().Header().Set("Content-Security-Policy", "default-src 'self'; img-src 'self' data: https://*.stripe.com; "+
			"style-src 'self' 'unsafe-inline'; script-src 'self' https://js.stripe.com; frame-src https://js.stripe.com https://hooks.stripe.com; "+
			"connect-src 'self' https://api.stripe.com; frame-ancestors 'none'; form-action 'self'; base-uri 'self'")
	}
	return render(c, http.StatusOK, views.FundPage(h.page(c, "Fund · "+m.Title), v, f), nil)
}

// milestoneFund opens the escrow and its payment (payouts.Fund), then shows the payment
// page: Stripe's Payment Element, or the simulator's button.
func (h *Handlers) milestoneFund(c echo.Context) error {
	m, err := h.milestoneOf(c)
	if err != nil {
		return err
	}
	if _, err := h.payouts.Fund(actx(c), m.ID); err != nil {
		return h.moneyResult(c, err)
	}
	return redirect(c, paths.MilestoneFund(m.ID))
}

// liveEscrow is the milestone's live escrow, or a refusal when it has none.
func (h *Handlers) liveEscrow(c echo.Context, m store.Milestone) (store.Escrow, error) {
	e, err := h.st.LiveEscrowOf(c.Request().Context(), m.ID)
	if errors.Is(err, store.ErrNotFound) {
		return e, &escrow.StateError{Message: "“" + m.Title + "” has no payment in escrow."}
	}
	return e, err
}

func (h *Handlers) milestoneSimulate(c echo.Context) error {
	if !h.payouts.Simulated() {
		return errNotFound()
	}
	m, err := h.milestoneOf(c)
	if err != nil {
		return err
	}
	e, err := h.liveEscrow(c, m)
	if err != nil {
		return h.moneyResult(c, err)
	}
	if _, err := h.payouts.SimulatePayment(actx(c), e.ID); err != nil {
		if errors.Is(err, payouts.ErrNotSimulated) {
			return errNotFound()
		}
		return h.moneyResult(c, err)
	}
	return h.backToContract(c, "Payment received (simulated): “"+m.Title+"” is funded, "+
		money.FormatCode(e.Amount, e.Currency)+" held in escrow.")
}

func (h *Handlers) milestoneComplete(c echo.Context) error {
	m, err := h.milestoneOf(c)
	if err != nil {
		return err
	}
	note := strings.TrimSpace(c.FormValue("note"))
	if len(note) > 2000 {
		return &appError{Status: http.StatusUnprocessableEntity, Message: "The completion note must be at most 2000 characters.",
			Fields: field.Errors{"note": "must be at most 2000 characters"}}
	}
	if _, err := h.payouts.Complete(actx(c), m.ID, note); err != nil {
		return h.moneyResult(c, err)
	}
	return h.backToContract(c, "“"+m.Title+"” marked complete: the owner is asked to approve it.")
}

func (h *Handlers) milestoneApprove(c echo.Context) error {
	return h.milestoneStep(c, func(m store.Milestone) (string, error) {
		_, err := h.payouts.Approve(actx(c), m.ID)
		return "“" + m.Title + "” approved: release its payment when you are ready.", err
	})
}

// payoutFigures are a release's amounts: the milestone, the fee, the retention and what
// the contractor receives.
func payoutFigures(e store.Escrow) []views.Figure {
	p := escrow.Payout{Amount: e.Amount, Fee: e.Fee, Retention: e.Retention, Transfer: e.Amount - e.Fee - e.Retention}
	return []views.Figure{
		{Label: "Milestone amount", Value: money.FormatCode(p.Amount, e.Currency), ID: "release-amount"},
		{Label: "Platform fee (2.5 %)", Value: "− " + money.FormatCode(p.Fee, e.Currency), ID: "release-fee"},
		{Label: "Retention withheld", Value: "− " + money.FormatCode(p.Retention, e.Currency), ID: "release-retention"},
		{Label: "Transfer to the contractor", Value: money.FormatCode(p.Transfer, e.Currency), ID: "release-transfer", Strong: true},
	}
}

func (h *Handlers) milestoneReleaseConfirm(c echo.Context) error {
	m, err := h.milestoneOf(c)
	if err != nil {
		return err
	}
	e, err := h.liveEscrow(c, m)
	if err == nil {
		err = escrow.CanRelease(e.Status, e.ReleaseState, m.Status)
	}
	if err != nil {
		return h.moneyResult(c, err)
	}
	return h.confirmPage(c, http.StatusOK, views.ActionConfirm{Title: "Release the payment for “" + m.Title + "”?",
		Message: "One transfer pays the contractor from escrow. A release cannot be undone.",
		Action:  paths.MilestoneRelease(m.ID), Button: "Release " + money.FormatCode(e.Amount-e.Fee-e.Retention, e.Currency),
		Figures: payoutFigures(e)})
}

func (h *Handlers) milestoneRelease(c echo.Context) error {
	m, err := h.milestoneOf(c)
	if err != nil {
		return err
	}
	e, err := h.liveEscrow(c, m)
	if err != nil {
		return h.moneyResult(c, err)
	}
	out, err := h.payouts.Release(actx(c), e.ID)
	switch {
	case errors.Is(err, payouts.ErrAlreadyReleased):
		return h.refuseOnContract(c, "The payment for “"+m.Title+"” was already released ("+strings.ToLower(out.ReleaseState.Label())+").")
	case err != nil:
		return h.moneyResult(c, err)
	}
	transfer := money.FormatCode(out.Amount-out.Fee-out.Retention, out.Currency)
	if out.ReleaseState != escrow.ReleaseSent {
		return h.backToContract(c, "Released: the transfer of "+transfer+" for “"+m.Title+"” is owed and will be retried until the payment provider takes it.")
	}
	return h.backToContract(c, "Released: "+transfer+" was transferred to the contractor for “"+m.Title+"”.")
}

func (h *Handlers) mayDispute(c echo.Context) error {
	if contractSide(c) || ownsMoney(c) {
		return nil
	}
	return errForbidden()
}

func (h *Handlers) disputeConfirm(c echo.Context, m store.Milestone, status int, reason string, errs field.Errors) error {
	return h.confirmPage(c, status, views.ActionConfirm{Title: "Dispute “" + m.Title + "”?",
		Message: "A dispute freezes the milestone: nothing is approved, released or refunded until it is resolved. Say what is wrong; both sides see it.",
		Action:  paths.MilestoneDispute(m.ID), Button: "Dispute milestone", Danger: true, Reason: true, ReasonText: reason, Errs: errs})
}

func (h *Handlers) milestoneDisputeConfirm(c echo.Context) error {
	if err := h.mayDispute(c); err != nil {
		return err
	}
	m, err := h.milestoneOf(c)
	if err != nil {
		return err
	}
	return h.disputeConfirm(c, m, http.StatusOK, "", nil)
}

func (h *Handlers) milestoneDispute(c echo.Context) error {
	if err := h.mayDispute(c); err != nil {
		return err
	}
	m, err := h.milestoneOf(c)
	if err != nil {
		return err
	}
	reason := strings.TrimSpace(c.FormValue("reason"))
	errs := field.Errors{}
	errs.Text("reason", reason, 1, 2000)
	if errs.Any() {
		return h.disputeConfirm(c, m, http.StatusUnprocessableEntity, reason,
			sentences(errs, map[string]fieldWords{"reason": {Enter: "the reason for the dispute", Subject: "The reason"}}))
	}
	if _, err := h.payouts.Dispute(actx(c), m.ID, reason); err != nil {
		return h.moneyResult(c, err)
	}
	return h.backToContract(c, "“"+m.Title+"” is disputed: it is frozen until the dispute is resolved.")
}

func (h *Handlers) milestoneCancelConfirm(c echo.Context) error {
	m, err := h.milestoneOf(c)
	if err != nil {
		return err
	}
	e, err := h.liveEscrow(c, m)
	if err == nil && e.Status != escrow.EscrowPending {
		_, err = e.Status.Next(escrow.ActCancel)
	}
	if err != nil {
		return h.moneyResult(c, err)
	}
	return h.confirmPage(c, http.StatusOK, views.ActionConfirm{Title: "Cancel the payment for “" + m.Title + "”?",
		Message: "The payment not yet made is cancelled; the milestone stays planned and can be funded again later.",
		Action:  paths.MilestoneCancel(m.ID), Button: "Cancel payment", Danger: true,
		Figures: []views.Figure{{Label: "Amount", Value: money.FormatCode(e.Amount, e.Currency), Strong: true}}})
}

func (h *Handlers) milestoneCancel(c echo.Context) error {
	return h.milestoneStep(c, func(m store.Milestone) (string, error) {
		err := h.payouts.Cancel(actx(c), m.ID)
		return "The payment for “" + m.Title + "” was cancelled.", err
	})
}

func (h *Handlers) milestoneRefundConfirm(c echo.Context) error {
	m, err := h.milestoneOf(c)
	if err != nil {
		return err
	}
	e, err := h.liveEscrow(c, m)
	if err == nil {
		err = escrow.CanRefund(e.Status, e.ReleaseState)
	}
	if err != nil {
		return h.moneyResult(c, err)
	}
	return h.confirmPage(c, http.StatusOK, views.ActionConfirm{Title: "Refund the payment for “" + m.Title + "”?",
		Message: "The amount held in escrow goes back to the card it was paid with; the milestone returns to planned. This cannot be undone.",
		Action:  paths.MilestoneRefund(m.ID), Button: "Refund " + money.FormatCode(e.Amount, e.Currency), Danger: true,
		Figures: []views.Figure{{Label: "Refund", Value: money.FormatCode(e.Amount, e.Currency), Strong: true, ID: "refund-amount"}}})
}

func (h *Handlers) milestoneRefund(c echo.Context) error {
	m, err := h.milestoneOf(c)
	if err != nil {
		return err
	}
	e, err := h.liveEscrow(c, m)
	if err != nil {
		return h.moneyResult(c, err)
	}
	if _, err := h.payouts.Refund(actx(c), e.ID); err != nil {
		return h.moneyResult(c, err)
	}
	return h.backToContract(c, "Refunded "+money.FormatCode(e.Amount, e.Currency)+" for “"+m.Title+"”.")
}

// contractOnboarding sends the contractor to Stripe to finish its payout account; with
// the simulator the account can be paid at once.
func (h *Handlers) contractOnboarding(c echo.Context) error {
	k := currentContract(c)
	link, err := h.payouts.Onboard(actx(c), k.ContractorEntityID, k.ID)
	if err != nil {
		return h.moneyResult(c, err)
	}
	if link == "" {
		return h.backToContract(c, "Payouts are enabled (simulated account): released milestones are paid to your company.")
	}
	if hxRequest(c).Enabled {
		c.Response().Header().Set("HX-Redirect", link)
		return c.NoContent(http.StatusNoContent)
	}
	return c.Redirect(http.StatusSeeOther, link)
}

// contractLedgerPage is the contract's postings, its balances per account and per
// milestone, and the check that they balance and agree with every escrow's state.
func (h *Handlers) contractLedgerPage(c echo.Context) error {
	ctx := c.Request().Context()
	v, err := h.contractView(c)
	if err != nil {
		return err
	}
	ps, err := h.st.Postings(ctx, v.Contract.ID)
	if err != nil {
		return err
	}
	es, err := h.st.EscrowsOfContract(ctx, v.Contract.ID)
	if err != nil {
		return err
	}
	l := views.LedgerView{Postings: ps, Titles: map[string]string{}}
	for _, r := range v.Milestones {
		l.Titles[r.ID] = r.Title
	}
	if c.QueryParam("format") == "csv" {
		return ledgerCSV(c, v, l)
	}
	all := make([]escrow.Posting, len(ps))
	byEscrow := map[string][]escrow.Posting{}
	byMilestone := map[string][]escrow.Posting{}
	var order []string
	var retention []escrow.Posting
	for i, p := range ps {
		all[i] = p.Posting
		switch {
		case p.EscrowID.Valid:
			byEscrow[p.EscrowID.String] = append(byEscrow[p.EscrowID.String], p.Posting)
		default:
			retention = append(retention, p.Posting)
		}
		if p.MilestoneID.Valid {
			id := p.MilestoneID.String
			if _, ok := byMilestone[id]; !ok {
				order = append(order, id)
			}
			byMilestone[id] = append(byMilestone[id], p.Posting)
		}
	}
	l.Balances = escrow.BalancesOf(all)
	for _, r := range v.Milestones { // in the milestones' order
		if ps, ok := byMilestone[r.ID]; ok {
			l.ByMilestone = append(l.ByMilestone, views.MilestoneBalances{ID: r.ID, Title: r.Title, Balances: escrow.BalancesOf(ps)})
		}
	}
	l.Check = ledgerCheck(l.Balances, es, byEscrow, v.Contract.Contract, retention)
	return render(c, http.StatusOK, views.ContractLedgerPage(h.page(c, "Ledger · "+v.Contract.TenderTitle), v, l), nil)
}

// ledgerCSV writes the postings as CSV: amounts in major units as plain numbers (no
// grouping), with the minor units beside them for an exact import.
func ledgerCSV(c echo.Context, v views.ContractView, l views.LedgerView) error {
	cur := money.Of(v.Contract.Currency)
	c.Response().Header().Set(echo.HeaderContentType, "text/csv; charset=utf-8")
	c.Response().Header().Set(echo.HeaderContentDisposition, `attachment; filename="contract-`+v.Contract.ID+`-ledger.csv"`)
	c.Response().WriteHeader(http.StatusOK)
	w := csv.NewWriter(c.Response())
	_ = w.Write([]string{"Id", "Date (UTC)", "Kind", "Debit", "Credit", "Amount", "Amount (minor units)", "Currency", "Milestone", "Milestone id", "Escrow id"})
	for _, p := range l.Postings {
		_ = w.Write([]string{strconv.FormatInt(p.ID, 10), p.CreatedAt.UTC().Format(time.RFC3339), string(p.Kind), string(p.Debit), string(p.Credit),
			money.Input(p.Amount, cur), strconv.FormatInt(p.Amount, 10), strings.ToUpper(p.Currency),
			csvSafe(l.Titles[p.MilestoneID.String]), p.MilestoneID.String, p.EscrowID.String})
	}
	w.Flush()
	return w.Error()
}

// ledgerCheck is "" when the postings balance (every account together sums to zero) and
// each escrow's and the retention's balances are what their states imply; else the first
// mismatch in words.
func ledgerCheck(total escrow.Balances, es []store.Escrow, byEscrow map[string][]escrow.Posting, k store.Contract, retention []escrow.Posting) string {
	if t := total.Total(); t != 0 {
		return "the postings do not balance (they sum to " + money.FormatCode(t, k.Currency) + ")."
	}
	var held int64
	for _, e := range es {
		p := escrow.Payout{Amount: e.Amount, Fee: e.Fee, Retention: e.Retention, Transfer: e.Amount - e.Fee - e.Retention}
		if err := escrow.CheckEscrow(e.Status, e.ReleaseState, p, escrow.BalancesOf(byEscrow[e.ID])); err != nil {
			return "an escrow's postings do not match its state: " + err.Error() + "."
		}
		if e.Status == escrow.EscrowReleased || e.ReleaseState != escrow.ReleaseNone {
			held += e.Retention
		}
	}
	if err := escrow.CheckRetention(k.RetentionReleaseState, held, escrow.BalancesOf(retention)); err != nil {
		return "the retention's postings do not match its state: " + err.Error() + "."
	}
	return ""
}

// contractsPage lists a contractor's contracts and payouts, or the team's contracts of
// its projects.
func (h *Handlers) contractsPage(c echo.Context) error {
	ctx := c.Request().Context()
	u := currentUser(c)
	v := views.ContractsView{Next: map[string]string{}}
	if u.Role == authz.RoleBidder {
		v.Contractor = true
		list, err := h.st.ContractsOfEntity(ctx, u.EntityID)
		if err != nil {
			return err
		}
		v.Contracts = list
	} else {
		// The projects the viewer sees (their team's; an administrator's: all), then their
		// contracts in one query.
		list, err := h.teamContracts(ctx, u, false)
		if err != nil {
			return err
		}
		v.Contracts = list
	}
	milestones, err := h.st.MilestonesOfContracts(ctx, contractIDs(v.Contracts))
	if err != nil {
		return err
	}
	for _, k := range v.Contracts {
		for _, m := range milestones[k.ID] {
			if m.Status != escrow.MilestonePaid {
				v.Next[k.ID] = m.Title + " · " + money.FormatCode(m.Amount, k.Currency) + " · " + strings.ToLower(m.Status.Label())
				break
			}
		}
	}
	return render(c, http.StatusOK, views.ContractsPage(h.page(c, "Contracts"), v), nil)
}

// teamContracts are the contracts of the projects u sees (of those u owns, with owned):
// two queries whatever their number.
func (h *Handlers) teamContracts(ctx context.Context, u *store.User, owned bool) ([]store.ContractSummary, error) {
	projects, _, err := h.st.ListProjects(ctx, viewerScope(*u), store.ProjectFilter{Page: 1, PerPage: maxContractProjects})
	if err != nil {
		return nil, err
	}
	ids := make([]string, 0, len(projects))
	for _, p := range projects {
		if !owned || p.OwnerID == u.ID {
			ids = append(ids, p.ID)
		}
	}
	return h.st.ContractsOfProjects(ctx, ids)
}

func contractIDs(ks []store.ContractSummary) []string {
	ids := make([]string, len(ks))
	for i, k := range ks {
		ids[i] = k.ID
	}
	return ids
}

// maxContractProjects bounds the projects whose contracts the list shows.
const maxContractProjects = 200

// routeMilestoneEvent is a milestone-completed change's message to the project's team
// stream: a note; the contract page's milestones table refreshes itself on the event.
func (h *Handlers) routeMilestoneEvent(ctx context.Context, c events.Change) ([]events.Message, error) {
	if c.ProjectID == "" {
		return nil, nil
	}
	var data struct {
		MilestoneID string `json:"milestoneId"`
		ContractID  string `json:"contractId"`
	}
	if len(c.Data) > 0 {
		_ = json.Unmarshal(c.Data, &data) // small facts; a missing one is its zero
	}
	msg := "A milestone was marked complete by the contractor."
	if data.MilestoneID != "" {
		if m, err := h.st.Milestone(ctx, data.MilestoneID); err == nil {
			msg = "“" + m.Title + "” was marked complete by the contractor: it is waiting for approval."
			data.ContractID = m.ContractID
		}
	}
	l := &liveMessages{ctx: ctx, c: c}
	l.add("project/"+c.ProjectID, views.LiveMilestoneNote(msg), struct {
		MilestoneID string `json:"milestoneId,omitempty"`
		ContractID  string `json:"contractId,omitempty"`
		Status      string `json:"status"`
	}{data.MilestoneID, data.ContractID, string(escrow.MilestoneCompleted)})
	return l.msgs, l.err
}

// maxTodos bounds the dashboard's milestones waiting for the viewer.
const maxTodos = 20

// milestoneTodos are the milestones waiting for u (the dashboard's "needs me"): a
// contractor's funded milestones to complete; a project owner's completed ones to approve,
// approved ones to release, and planned ones to fund once the contract is fully allocated.
// A person has few contracts: one query for them, one per contract for its milestones.
func (h *Handlers) milestoneTodos(ctx context.Context, u *store.User) ([]views.MilestoneTodo, error) {
	var ks []store.ContractSummary
	switch u.Role {
	case authz.RoleBidder:
		list, err := h.st.ContractsOfEntity(ctx, u.EntityID)
		if err != nil {
			return nil, err
		}
		ks = list
	case authz.RoleOwner:
		list, err := h.teamContracts(ctx, u, true) // money is the project owner's
		if err != nil {
			return nil, err
		}
		ks = list
	default:
		return nil, nil
	}
	open := ks[:0:0]
	for _, k := range ks {
		if k.Milestones > 0 && k.Paid != k.ContractSum {
			open = append(open, k)
		}
	}
	milestones, err := h.st.MilestonesOfContracts(ctx, contractIDs(open))
	if err != nil {
		return nil, err
	}
	var out []views.MilestoneTodo
	for _, k := range open {
		allocated := k.MilestonesTotal == k.ContractSum
		for _, m := range milestones[k.ID] {
			action := ""
			switch {
			case u.Role == authz.RoleBidder && m.Status == escrow.MilestoneFunded:
				action = "complete"
			case u.Role == authz.RoleBidder:
			case m.Status == escrow.MilestoneCompleted:
				action = "approve"
			case m.Status == escrow.MilestoneApproved:
				action = "release"
			case m.Status == escrow.MilestonePlanned && allocated:
				action = "fund"
			}
			if action != "" && len(out) < maxTodos {
				out = append(out, views.MilestoneTodo{Contract: k, Milestone: m, Action: action})
			}
		}
	}
	return out, nil
}
