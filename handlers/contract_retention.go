package handlers

import (
	"context"
	"errors"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/14build/14build/escrow"
	"github.com/14build/14build/money"
	"github.com/14build/14build/paths"
	"github.com/14build/14build/payouts"
	"github.com/14build/14build/store"
	"github.com/14build/14build/views"
)

// The end of a contract's money: a dispute resolved by the owner (the milestone resumes
// the state the dispute froze), and the retention paid in one transfer once every
// milestone is paid. Pages and API; the owner's alone (contractOwner).

// retentionReady is the retention the contract's payments withheld, with an
// *escrow.StateError saying why it cannot be released now; ms are its milestones.
func (h *Handlers) retentionReady(ctx context.Context, k *store.Contract, ms []store.Milestone) (int64, error) {
	held, err := h.st.RetentionHeld(ctx, k.ID)
	if err != nil {
		return 0, err
	}
	if k.RetentionReleaseState == escrow.ReleaseSent {
		return held, &escrow.StateError{Message: "The retention was already paid."}
	}
	for _, m := range ms {
		if m.Status != escrow.MilestonePaid {
			return held, &escrow.StateError{Message: "The retention is released once every milestone is paid."}
		}
	}
	if held == 0 && k.RetentionReleaseState == escrow.ReleaseNone {
		return held, &escrow.StateError{Message: "No retention was withheld from this contract's payments."}
	}
	return held, nil
}

// retentionOf is retentionReady for the route's contract.
func (h *Handlers) retentionOf(c echo.Context) (*store.Contract, int64, error) {
	k := currentContract(c)
	ms, err := h.st.Milestones(c.Request().Context(), k.ID)
	if err != nil {
		return k, 0, err
	}
	held, err := h.retentionReady(c.Request().Context(), k, ms)
	return k, held, err
}

func (h *Handlers) retentionReleaseConfirm(c echo.Context) error {
	k, held, err := h.retentionOf(c)
	if err != nil {
		return h.moneyResult(c, err)
	}
	return h.confirmPage(c, http.StatusOK, views.ActionConfirm{Title: "Release the retention?",
		Message: "One transfer pays the contractor what was withheld from each payment. It cannot be undone.",
		Action:  paths.ContractRetentionRelease(k.ID), Button: "Release " + money.FormatCode(held, k.Currency),
		Figures: []views.Figure{{Label: "Retention held", Value: money.FormatCode(held, k.Currency), ID: "retention-held", Strong: true}}})
}

func (h *Handlers) retentionRelease(c echo.Context) error {
	k, held, err := h.retentionOf(c)
	if err != nil {
		return h.moneyResult(c, err)
	}
	out, err := h.payouts.RetentionRelease(actx(c), k.ID)
	if owed(out, err) {
		return h.backToContract(c, "Retention released: the transfer of "+money.FormatCode(held, k.Currency)+" is owed and will be retried until the payment provider takes it.")
	}
	if err != nil {
		return h.moneyResult(c, err)
	}
	return h.backToContract(c, "Retention released: "+money.FormatCode(held, k.Currency)+" was transferred to the contractor.")
}

// owed: the retention release was recorded but its transfer failed for want of the
// payment provider (the sweep retries it).
func owed(k store.Contract, err error) bool {
	var pe *payouts.ProviderError
	return errors.As(err, &pe) && pe.Unavailable() && k.RetentionReleaseState == escrow.ReleaseRequested
}

func (h *Handlers) milestoneResolve(c echo.Context) error {
	return h.milestoneStep(c, func(m store.Milestone) (string, error) {
		out, err := h.payouts.Resolve(actx(c), m.ID)
		return "The dispute on “" + m.Title + "” is resolved: it is " + out.Status.Label() + " again.", err
	})
}

// API

type retentionJSON struct {
	ContractID   string     `json:"contractId"`
	Retention    amountJSON `json:"retention"`
	ReleaseState string     `json:"releaseState"`
	TransferID   *string    `json:"transferId"`
}

// apiRetentionRelease: 200 once paid; 202 when the transfer is owed (the provider was
// unreachable: the sweep retries it); 409 before every milestone is paid or once paid.
func (h *Handlers) apiRetentionRelease(c echo.Context) error {
	k, held, err := h.retentionOf(c)
	if err != nil {
		return moneyError(err)
	}
	out, err := h.payouts.RetentionRelease(actorCtx(c), k.ID)
	j := retentionJSON{ContractID: k.ID, Retention: amountJSON{held, k.Currency}, ReleaseState: string(out.RetentionReleaseState)}
	if out.RetentionTransferID.Valid {
		j.TransferID = &out.RetentionTransferID.String
	}
	if owed(out, err) {
		return c.JSON(http.StatusAccepted, j)
	}
	if err != nil {
		return moneyError(err)
	}
	return c.JSON(http.StatusOK, j)
}

func (h *Handlers) apiMilestoneResolve(c echo.Context) error {
	m, err := h.payouts.Resolve(actorCtx(c), c.Param("milestoneId"))
	if err != nil {
		return moneyError(err)
	}
	return c.JSON(http.StatusOK, toMilestoneJSON(m, currentContract(c).Currency))
}
