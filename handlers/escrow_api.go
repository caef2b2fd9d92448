package handlers

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/14build/14build/authz"
	"github.com/14build/14build/escrow"
	"github.com/14build/14build/field"
	"github.com/14build/14build/paths"
	"github.com/14build/14build/payments"
	"github.com/14build/14build/payouts"
	"github.com/14build/14build/store"
)

// The JSON API of issue 14: a contract's milestones, their escrow, the ledger, the
// contractor's onboarding and Stripe's webhook. The money moves in package payouts; these
// handlers read bodies, check who asks and shape answers.
//
// Release answers: 200 with the escrow once the transfer is made; 202 with the escrow
// (releaseState "requested") when Stripe could not be reached (a background job finishes
// it); 409 with {"error", "escrow"} (its current state) when the release was requested
// before, e.g. by a concurrent click.

// maxWebhookBody bounds a Stripe event (Stripe's are a few KiB).
const maxWebhookBody = 64 << 10

// escrowAPIRoutes: issue 14 milestones, escrow, ledger and the Stripe webhook (API).
func (h *Handlers) escrowAPIRoutes() []Route {
	return []Route{
		{"GET", paths.NameAPIContractMilestones, onContract(contractEither), h.apiMilestones},
		{"POST", paths.NameAPIContractMilestones, onContract(contractOwner), h.apiMilestoneAdd},
		{"PUT", paths.NameAPIMilestone, onContract(contractOwner), h.apiMilestoneUpdate},
		{"DELETE", paths.NameAPIMilestone, onContract(contractOwner), h.apiMilestoneDelete},
		{"POST", paths.NameAPIMilestoneFund, onContract(contractOwner), h.apiMilestoneFund},
		{"POST", paths.NameAPIMilestoneComplete, onContract(contractContractor), h.apiMilestoneComplete},
		{"POST", paths.NameAPIMilestoneApprove, onContract(contractOwner), h.apiMilestoneApprove},
		// Either side may dispute; on the team's side only the owner (the handler checks).
		{"POST", paths.NameAPIMilestoneDispute, onContract(contractEither), h.apiMilestoneDispute},
		{"POST", paths.NameAPIMilestoneResolve, onContract(contractOwner), h.apiMilestoneResolve}, // contract_retention.go
		{"POST", paths.NameAPIContractRetentionRelease, onContract(contractOwner), h.apiRetentionRelease},
		{"GET", paths.NameAPIEscrows, queryProject(authz.ViewProject), h.apiEscrows},
		// The body names the milestone: the handler checks its contract's owner.
		{"POST", paths.NameAPIEscrows, signedIn(), h.apiEscrowCreate},
		{"GET", paths.NameAPIEscrow, onContract(contractEither), h.apiEscrowGet},
		{"PUT", paths.NameAPIEscrow, onContract(contractOwner), h.apiEscrowUpdate},
		{"DELETE", paths.NameAPIEscrow, onContract(contractOwner), h.apiEscrowDelete},
		{"POST", paths.NameAPIEscrowRelease, onContract(contractOwner), h.apiEscrowRelease},
		{"POST", paths.NameAPIEscrowRefund, onContract(contractOwner), h.apiEscrowRefund},
		{"POST", paths.NameAPIEscrowSimulate, onContract(contractOwner), h.apiEscrowSimulate},
		{"GET", paths.NameAPIContractLedger, onContract(contractEither), h.apiContractLedger},
		{"GET", paths.NameAPIContractOnboarding, onContract(contractContractor), h.apiOnboardingState},
		{"POST", paths.NameAPIContractOnboarding, onContract(contractContractor), h.apiOnboardingLink},
		// Signed by Stripe (the endpoint secret), not by a session.
		{"POST", paths.NameAPIStripeWebhook, public(), h.stripeWebhook},
	}
}

// JSON shapes

type milestoneJSON struct {
	ID             string      `json:"id"`
	ContractID     string      `json:"contractId"`
	Position       int         `json:"position"`
	Title          string      `json:"title"`
	Description    string      `json:"description"`
	DueDate        *string     `json:"dueDate"` // "2026-12-31"
	Amount         amountJSON  `json:"amount"`
	Status         string      `json:"status"`
	DisputedFrom   *string     `json:"disputedFrom,omitempty"`
	CompletionNote string      `json:"completionNote"`
	DisputeReason  string      `json:"disputeReason"`
	CompletedAt    *time.Time  `json:"completedAt"`
	ApprovedAt     *time.Time  `json:"approvedAt"`
	PaidAt         *time.Time  `json:"paidAt"`
	Version        int         `json:"version"`
	Escrow         *escrowJSON `json:"escrow,omitempty"` // the live escrow, in lists
	CreatedAt      time.Time   `json:"createdAt"`
	UpdatedAt      time.Time   `json:"updatedAt"`
}

type escrowJSON struct {
	ID             string     `json:"id"`
	MilestoneID    string     `json:"milestoneId"`
	ContractID     string     `json:"contractId"`
	ProjectID      string     `json:"projectId"`
	Status         string     `json:"status"`
	ReleaseState   string     `json:"releaseState"`
	Amount         amountJSON `json:"amount"`
	Fee            amountJSON `json:"fee"`
	Retention      amountJSON `json:"retention"`
	TransferAmount amountJSON `json:"transferAmount"`
	// ClientSecret is the Payment Element's: the owner's only.
	ClientSecret    string     `json:"clientSecret,omitempty"`
	PaymentIntentID string     `json:"paymentIntentId,omitempty"`
	TransferID      string     `json:"transferId,omitempty"`
	RefundID        string     `json:"refundId,omitempty"`
	Simulated       bool       `json:"simulated"`
	FundedAt        *time.Time `json:"fundedAt"`
	ReleasedAt      *time.Time `json:"releasedAt"`
	RefundedAt      *time.Time `json:"refundedAt"`
	CancelledAt     *time.Time `json:"cancelledAt"`
	Version         int        `json:"version"`
	CreatedAt       time.Time  `json:"createdAt"`
}

type postingJSON struct {
	ID          int64      `json:"id"`
	Kind        string     `json:"kind"`
	Debit       string     `json:"debit"`
	Credit      string     `json:"credit"`
	Amount      amountJSON `json:"amount"`
	MilestoneID *string    `json:"milestoneId"`
	EscrowID    *string    `json:"escrowId"`
	CreatedAt   time.Time  `json:"createdAt"`
}

func timePtr(valid bool, t time.Time) *time.Time {
	if !valid {
		return nil
	}
	u := t.UTC()
	return &u
}

func strPtr(valid bool, s string) *string {
	if !valid {
		return nil
	}
	return &s
}

func toMilestoneJSON(m store.Milestone, currency string) milestoneJSON {
	j := milestoneJSON{ID: m.ID, ContractID: m.ContractID, Position: m.Position, Title: m.Title, Description: m.Description,
		Amount: amountJSON{m.Amount, currency}, Status: string(m.Status), CompletionNote: m.CompletionNote,
		DisputeReason: m.DisputeReason, CompletedAt: timePtr(m.CompletedAt.Valid, m.CompletedAt.Time),
		ApprovedAt: timePtr(m.ApprovedAt.Valid, m.ApprovedAt.Time), PaidAt: timePtr(m.PaidAt.Valid, m.PaidAt.Time),
		Version: m.Version, CreatedAt: m.CreatedAt.UTC(), UpdatedAt: m.UpdatedAt.UTC(),
		DisputedFrom: strPtr(m.DisputedFrom.Valid, m.DisputedFrom.String)}
	if m.DueDate.Valid {
		d := m.DueDate.Time.Format(time.DateOnly)
		j.DueDate = &d
	}
	return j
}

// toEscrowJSON shapes an escrow; owner adds what only the payer may see (the Payment
// Element's client secret).
func toEscrowJSON(e store.Escrow, owner bool) escrowJSON {
	j := escrowJSON{ID: e.ID, MilestoneID: e.MilestoneID, ContractID: e.ContractID, ProjectID: e.ProjectID,
		Status: string(e.Status), ReleaseState: string(e.ReleaseState),
		Amount: amountJSON{e.Amount, e.Currency}, Fee: amountJSON{e.Fee, e.Currency},
		Retention: amountJSON{e.Retention, e.Currency}, TransferAmount: amountJSON{e.Amount - e.Fee - e.Retention, e.Currency},
		TransferID: e.TransferID.String, RefundID: e.RefundID.String, Simulated: e.Simulated,
		FundedAt: timePtr(e.FundedAt.Valid, e.FundedAt.Time), ReleasedAt: timePtr(e.ReleasedAt.Valid, e.ReleasedAt.Time),
		RefundedAt: timePtr(e.RefundedAt.Valid, e.RefundedAt.Time), CancelledAt: timePtr(e.CancelledAt.Valid, e.CancelledAt.Time),
		Version: e.Version, CreatedAt: e.CreatedAt.UTC()}
	if owner {
		j.ClientSecret = e.ClientSecret.String
		j.PaymentIntentID = e.PaymentIntentID.String
	}
	return j
}

// actorCtx is the request's context carrying the caller as the actor of the activity
// entries the escrow writes append.
func actorCtx(c echo.Context) context.Context {
	if u := currentUser(c); u != nil {
		return store.WithActor(c.Request().Context(), u.ID)
	}
	return c.Request().Context()
}

// moneyOwner reports whether the caller passed as the project's owner (authz.ManageMoney),
// not an in-house member or the contractor.
func moneyOwner(c echo.Context) bool {
	u := currentUser(c)
	return currentProject(c) != nil && u != nil && authz.CanInProject(u.Role, currentMembership(c), authz.ManageMoney)
}

// moneyError answers what package payouts refuses: the payment provider's failures (503
// when it cannot be reached, 502 when it refuses), the simulator's route with real keys
// (404). Anything else goes to the one error handler (a StateError is a 409 there).
func moneyError(err error) error {
	var pe *payouts.ProviderError
	switch {
	case errors.Is(err, payouts.ErrNotSimulated):
		return errNotFound()
	case errors.As(err, &pe) && pe.Unavailable():
		return &appError{Status: http.StatusServiceUnavailable, Message: "Stripe cannot be reached right now. Nothing was charged or paid; please try again in a moment."}
	case errors.As(err, &pe):
		return &appError{Status: http.StatusBadGateway, Message: "Stripe refused the request. Nothing was charged or paid."}
	}
	return err
}

// milestoneBody is a milestone as the API takes it.
type milestoneBody struct {
	Title       *string    `json:"title"`
	Description string     `json:"description"`
	DueDate     *string    `json:"dueDate"`
	Amount      *moneyJSON `json:"amount"`
	Version     *int       `json:"version"` // PUT: the version edited (default: the current)
}

// input validates the body against the contract's currency.
func (b milestoneBody) input(currency string) (store.MilestoneInput, field.Errors) {
	errs := field.Errors{}
	var in store.MilestoneInput
	if b.Title == nil {
		errs.Add("title", "is required")
	} else {
		in.Title = strings.TrimSpace(*b.Title)
		errs.Text("title", in.Title, 1, 200)
	}
	in.Description = strings.TrimSpace(b.Description)
	errs.Text("description", in.Description, 0, 4000)
	if b.DueDate != nil && strings.TrimSpace(*b.DueDate) != "" {
		d, err := time.Parse(time.DateOnly, strings.TrimSpace(*b.DueDate))
		if err != nil {
			errs.Add("dueDate", "must be a date like 2026-12-31")
		} else {
			in.DueDate = &d
		}
	}
	switch {
	case b.Amount == nil || b.Amount.Amount == nil:
		errs.Add("amount.amount", "is required")
	case *b.Amount.Amount <= 0:
		errs.Add("amount.amount", "must be more than zero")
	default:
		in.Amount = *b.Amount.Amount
	}
	if b.Amount != nil && b.Amount.Currency != "" && !strings.EqualFold(b.Amount.Currency, currency) {
		errs.Add("amount.currency", "must be the contract's currency ("+currency+")")
	}
	return in, errs
}

// milestoneRefusal turns the store's per-field refusal into a 400 naming the fields.
func milestoneRefusal(err error) error {
	var fr *store.FieldsRefused
	if errors.As(err, &fr) {
		return errInvalid(fr.Fields)
	}
	return err
}

func (h *Handlers) apiMilestones(c echo.Context) error {
	ctx := c.Request().Context()
	k := currentContract(c)
	ms, err := h.st.Milestones(ctx, k.ID)
	if err != nil {
		return err
	}
	es, err := h.st.EscrowsOfContract(ctx, k.ID)
	if err != nil {
		return err
	}
	live := map[string]store.Escrow{}
	for _, e := range es {
		if e.Status.Live() {
			live[e.MilestoneID] = e
		}
	}
	owner := moneyOwner(c)
	out := make([]milestoneJSON, len(ms))
	amounts := make([]int64, len(ms))
	var total int64
	for i, m := range ms {
		out[i] = toMilestoneJSON(m, k.Currency)
		if e, ok := live[m.ID]; ok {
			ej := toEscrowJSON(e, owner)
			out[i].Escrow = &ej
		}
		amounts[i] = m.Amount
		total += m.Amount
	}
	return c.JSON(http.StatusOK, map[string]any{
		"milestones":     out,
		"contractSum":    amountJSON{k.ContractSum, k.Currency},
		"total":          amountJSON{total, k.Currency},
		"remaining":      amountJSON{k.ContractSum - total, k.Currency},
		"fundingAllowed": escrow.FundingAllowed(k.ContractSum, amounts),
		"retentionBp":    k.RetentionBP,
		"simulated":      h.payouts.Simulated(),
	})
}

func (h *Handlers) apiMilestoneAdd(c echo.Context) error {
	limitBody(c, 1<<14)
	var b milestoneBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	k := currentContract(c)
	in, errs := b.input(k.Currency)
	if errs.Any() {
		return errInvalid(errs)
	}
	m, err := h.st.AddMilestone(actorCtx(c), k.ID, in)
	if err != nil {
		return milestoneRefusal(err)
	}
	return c.JSON(http.StatusCreated, toMilestoneJSON(m, k.Currency))
}

func (h *Handlers) apiMilestoneUpdate(c echo.Context) error {
	limitBody(c, 1<<14)
	var b milestoneBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	ctx := actorCtx(c)
	k := currentContract(c)
	in, errs := b.input(k.Currency)
	if errs.Any() {
		return errInvalid(errs)
	}
	id := c.Param("milestoneId")
	version := 0
	if b.Version != nil {
		version = *b.Version
	} else {
		cur, err := h.st.Milestone(ctx, id)
		if err != nil {
			return err
		}
		version = cur.Version
	}
	m, err := h.st.UpdateMilestone(ctx, id, version, in)
	if err != nil {
		return milestoneRefusal(err)
	}
	return c.JSON(http.StatusOK, toMilestoneJSON(m, k.Currency))
}

func (h *Handlers) apiMilestoneDelete(c echo.Context) error {
	if err := h.st.DeleteMilestone(actorCtx(c), c.Param("milestoneId")); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// apiMilestoneFund opens the milestone's escrow and its payment (the same escrow again
// while it is pending): 200 with the escrow, its client secret for the Payment Element.
func (h *Handlers) apiMilestoneFund(c echo.Context) error {
	e, err := h.payouts.Fund(actorCtx(c), c.Param("milestoneId"))
	if err != nil {
		return moneyError(err)
	}
	return c.JSON(http.StatusOK, toEscrowJSON(e, true))
}

type noteBody struct {
	Note string `json:"note"`
}

type reasonBody struct {
	Reason string `json:"reason"`
}

// readOptional decodes an optional JSON body (none, or empty, is the zero value).
func readOptional(c echo.Context, dst any) error {
	limitBody(c, 1<<14)
	req := c.Request()
	if req.ContentLength == 0 || req.Body == nil || req.Body == http.NoBody {
		return nil
	}
	raw, err := io.ReadAll(req.Body)
	if err != nil {
		return jsonError(err)
	}
	if strings.TrimSpace(string(raw)) == "" {
		return nil
	}
	req.Body = io.NopCloser(strings.NewReader(string(raw)))
	return decodeJSON(c, dst)
}

func (h *Handlers) apiMilestoneComplete(c echo.Context) error {
	var b noteBody
	if err := readOptional(c, &b); err != nil {
		return err
	}
	errs := field.Errors{}
	errs.Text("note", b.Note, 0, 4000)
	if errs.Any() {
		return errInvalid(errs)
	}
	m, err := h.payouts.Complete(actorCtx(c), c.Param("milestoneId"), b.Note)
	if err != nil {
		return milestoneRefusal(err)
	}
	return c.JSON(http.StatusOK, toMilestoneJSON(m, currentContract(c).Currency))
}

func (h *Handlers) apiMilestoneApprove(c echo.Context) error {
	m, err := h.payouts.Approve(actorCtx(c), c.Param("milestoneId"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toMilestoneJSON(m, currentContract(c).Currency))
}

// apiMilestoneDispute freezes a milestone: the contractor or the project's owner (an
// in-house member gets 403: disputes hold money).
func (h *Handlers) apiMilestoneDispute(c echo.Context) error {
	if !contractSide(c) && !moneyOwner(c) {
		return errForbidden()
	}
	var b reasonBody
	if err := readOptional(c, &b); err != nil {
		return err
	}
	errs := field.Errors{}
	errs.Text("reason", b.Reason, 1, 4000)
	if errs.Any() {
		return errInvalid(errs)
	}
	m, err := h.payouts.Dispute(actorCtx(c), c.Param("milestoneId"), b.Reason)
	if err != nil {
		return milestoneRefusal(err)
	}
	return c.JSON(http.StatusOK, toMilestoneJSON(m, currentContract(c).Currency))
}

func (h *Handlers) apiEscrows(c echo.Context) error {
	es, err := h.st.EscrowsOfProject(c.Request().Context(), currentProject(c).ID)
	if err != nil {
		return err
	}
	owner := authz.CanInProject(currentUser(c).Role, currentMembership(c), authz.ManageMoney)
	out := make([]escrowJSON, len(es))
	for i, e := range es {
		out[i] = toEscrowJSON(e, owner)
	}
	return c.JSON(http.StatusOK, map[string]any{"escrows": out})
}

type escrowCreateBody struct {
	MilestoneID string `json:"milestoneId"`
}

// apiEscrowCreate is the seed's POST /api/escrow {"milestoneId"}: funding, checked like
// onContract(contractOwner) on the milestone's contract (404 outsiders and unknown
// milestones, 403 the team's in-house members and the contractor). 201 with the escrow.
func (h *Handlers) apiEscrowCreate(c echo.Context) error {
	limitBody(c, 1<<12)
	var b escrowCreateBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	b.MilestoneID = strings.TrimSpace(b.MilestoneID)
	if b.MilestoneID == "" {
		return errInvalid(field.Errors{"milestoneId": "is required"})
	}
	ctx := actorCtx(c)
	u := currentUser(c)
	k, projectID, err := h.st.ContractScope(ctx, "", b.MilestoneID, "")
	if errors.Is(err, store.ErrNotFound) {
		return errNotFound()
	}
	if err != nil {
		return err
	}
	if u.Role == authz.RoleBidder {
		if u.EntityID != k.ContractorEntityID {
			return errNotFound()
		}
		return errForbidden()
	}
	_, m, err := h.st.ProjectFor(ctx, projectID, u.ID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !authz.CanInProject(u.Role, m, authz.ViewProject)) {
		return errNotFound()
	}
	if err != nil {
		return err
	}
	if !authz.CanInProject(u.Role, m, authz.ManageMoney) {
		return errForbidden()
	}
	e, err := h.payouts.Fund(ctx, b.MilestoneID)
	if err != nil {
		return moneyError(err)
	}
	return c.JSON(http.StatusCreated, toEscrowJSON(e, true))
}

func (h *Handlers) apiEscrowGet(c echo.Context) error {
	e, err := h.st.Escrow(c.Request().Context(), c.Param("escrowId"))
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toEscrowJSON(e, moneyOwner(c)))
}

type escrowUpdateBody struct {
	Status *string `json:"status"`
}

// apiEscrowUpdate: an escrow's fields are the system's; the one change a PUT may ask for is
// {"status":"cancelled"} (cancel before funding, as DELETE). Its current status is a
// no-op; other statuses are reached through fund, release and refund (409).
func (h *Handlers) apiEscrowUpdate(c echo.Context) error {
	limitBody(c, 1<<12)
	var b escrowUpdateBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	ctx := actorCtx(c)
	e, err := h.st.Escrow(ctx, c.Param("escrowId"))
	if err != nil {
		return err
	}
	if b.Status == nil {
		return errInvalid(field.Errors{"status": "is required (only \"cancelled\" may be set)"})
	}
	st := escrow.Status(strings.TrimSpace(*b.Status))
	switch {
	case !st.Valid():
		return errInvalid(field.Errors{"status": "must be one of pending, funded, released, cancelled, refunded"})
	case st == e.Status:
		return c.JSON(http.StatusOK, toEscrowJSON(e, true))
	case st != escrow.EscrowCancelled:
		return &appError{Status: http.StatusConflict, Message: "An escrow's status changes through funding, release and refund; only cancelling may be asked for here."}
	}
	if e.Status != escrow.EscrowPending {
		return &escrow.StateError{Message: "Only a pending escrow can be cancelled."}
	}
	if err := h.payouts.Cancel(ctx, e.MilestoneID); err != nil {
		return err
	}
	if e, err = h.st.Escrow(ctx, e.ID); err != nil {
		return err
	}
	return c.JSON(http.StatusOK, toEscrowJSON(e, true))
}

// apiEscrowDelete cancels a pending escrow (before funding): 204; the milestone stays
// planned and may be funded again.
func (h *Handlers) apiEscrowDelete(c echo.Context) error {
	ctx := actorCtx(c)
	e, err := h.st.Escrow(ctx, c.Param("escrowId"))
	if err != nil {
		return err
	}
	if e.Status != escrow.EscrowPending {
		return &escrow.StateError{Message: "Only a pending escrow can be cancelled."}
	}
	if err := h.payouts.Cancel(ctx, e.MilestoneID); err != nil {
		return err
	}
	return c.NoContent(http.StatusNoContent)
}

// apiEscrowRelease: see the file's comment for its answers.
func (h *Handlers) apiEscrowRelease(c echo.Context) error {
	e, err := h.payouts.Release(actorCtx(c), c.Param("escrowId"))
	if errors.Is(err, payouts.ErrAlreadyReleased) {
		msg := "This escrow's release was already requested; its transfer is pending."
		if e.ReleaseState == escrow.ReleaseSent {
			msg = "This escrow was already released."
		}
		return c.JSON(http.StatusConflict, map[string]any{"error": msg, "escrow": toEscrowJSON(e, true)})
	}
	if err != nil {
		return moneyError(err)
	}
	if e.ReleaseState == escrow.ReleaseRequested {
		return c.JSON(http.StatusAccepted, toEscrowJSON(e, true))
	}
	return c.JSON(http.StatusOK, toEscrowJSON(e, true))
}

func (h *Handlers) apiEscrowRefund(c echo.Context) error {
	e, err := h.payouts.Refund(actorCtx(c), c.Param("escrowId"))
	if err != nil {
		return moneyError(err)
	}
	return c.JSON(http.StatusOK, toEscrowJSON(e, true))
}

// apiEscrowSimulate stands in for the card payment while the simulator is on (404 with
// real keys): the same event handling as Stripe's webhook.
func (h *Handlers) apiEscrowSimulate(c echo.Context) error {
	e, err := h.payouts.SimulatePayment(actorCtx(c), c.Param("escrowId"))
	if err != nil {
		return moneyError(err)
	}
	return c.JSON(http.StatusOK, toEscrowJSON(e, true))
}

func (h *Handlers) apiContractLedger(c echo.Context) error {
	k := currentContract(c)
	ps, err := h.st.Postings(c.Request().Context(), k.ID)
	if err != nil {
		return err
	}
	out := make([]postingJSON, len(ps))
	plain := make([]escrow.Posting, len(ps))
	for i, p := range ps {
		out[i] = postingJSON{ID: p.ID, Kind: string(p.Kind), Debit: string(p.Debit), Credit: string(p.Credit),
			Amount: amountJSON{p.Amount, p.Currency}, MilestoneID: strPtr(p.MilestoneID.Valid, p.MilestoneID.String),
			EscrowID: strPtr(p.EscrowID.Valid, p.EscrowID.String), CreatedAt: p.CreatedAt.UTC()}
		plain[i] = p.Posting
	}
	balances := map[string]amountJSON{}
	for acct, v := range escrow.BalancesOf(plain) {
		balances[string(acct)] = amountJSON{v, k.Currency}
	}
	return c.JSON(http.StatusOK, map[string]any{"postings": out, "balances": balances})
}

type onboardingJSON struct {
	Account          string `json:"accountId,omitempty"`
	Exists           bool   `json:"exists"`
	DetailsSubmitted bool   `json:"detailsSubmitted"`
	PayoutsEnabled   bool   `json:"payoutsEnabled"`
	Simulated        bool   `json:"simulated"`
	URL              string `json:"url,omitempty"`
}

func (h *Handlers) onboardingOf(c echo.Context) (onboardingJSON, error) {
	a, ok, err := h.payouts.OnboardingState(c.Request().Context(), currentContract(c).ContractorEntityID)
	if err != nil {
		return onboardingJSON{}, err
	}
	return onboardingJSON{Account: a.StripeAccountID, Exists: ok, DetailsSubmitted: a.DetailsSubmitted,
		PayoutsEnabled: a.PayoutsEnabled, Simulated: h.payouts.Simulated()}, nil
}

// apiOnboardingState is the contractor company's payout account: whether it can be paid.
func (h *Handlers) apiOnboardingState(c echo.Context) error {
	j, err := h.onboardingOf(c)
	if err != nil {
		return err
	}
	return c.JSON(http.StatusOK, j)
}

// apiOnboardingLink makes the company's connected account on first need and answers the
// address where the contractor finishes onboarding ("url"; none with the simulator).
func (h *Handlers) apiOnboardingLink(c echo.Context) error {
	k := currentContract(c)
	url, err := h.payouts.Onboard(actorCtx(c), k.ContractorEntityID, k.ID)
	if err != nil {
		return moneyError(err)
	}
	j, err := h.onboardingOf(c)
	if err != nil {
		return err
	}
	j.URL = url
	return c.JSON(http.StatusOK, j)
}

// stripeWebhook takes Stripe's events: the signature is verified with the endpoint secret
// (400 and nothing changes otherwise); each event is applied once (the store records its
// id with the change). Events of other types or about unknown objects are acknowledged.
func (h *Handlers) stripeWebhook(c echo.Context) error {
	limitBody(c, maxWebhookBody)
	payload, err := io.ReadAll(c.Request().Body)
	if err != nil {
		return jsonError(err)
	}
	ev, err := payments.ParseWebhook(payload, c.Request().Header.Get("Stripe-Signature"), h.cfg.StripeWebhookSecret)
	if errors.Is(err, payments.ErrBadSignature) {
		return &appError{Status: http.StatusBadRequest, Message: "The webhook's signature is not valid."}
	}
	if err != nil {
		return &appError{Status: http.StatusBadRequest, Message: "The webhook's payload is not a Stripe event."}
	}
	if err := h.payouts.HandleEvent(c.Request().Context(), ev); err != nil {
		return err // 5xx: Stripe retries the event
	}
	return c.JSON(http.StatusOK, map[string]bool{"received": true})
}
