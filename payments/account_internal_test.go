package payments

import (
	"testing"

	"github.com/stripe/stripe-go/v76"
)

// An account can be paid once its transfers capability is active and payouts are enabled.
func TestAccountOf(t *testing.T) {
	for _, c := range []struct {
		transfers stripe.AccountCapabilityStatus
		payouts   bool
		want      bool
	}{
		{"active", true, true}, {"active", false, false}, {"pending", true, false}, {"inactive", true, false}, {"", true, false},
	} {
		a := &stripe.Account{ID: "acct_1", DetailsSubmitted: true, PayoutsEnabled: c.payouts, Capabilities: &stripe.AccountCapabilities{Transfers: c.transfers}}
		if got := accountOf(a); got.PayoutsEnabled != c.want || !got.DetailsSubmitted || got.ID != "acct_1" {
			t.Errorf("transfers %q payouts %v: %+v", c.transfers, c.payouts, got)
		}
	}
	if got := accountOf(&stripe.Account{ID: "acct_2", PayoutsEnabled: true}); got.PayoutsEnabled {
		t.Errorf("no capabilities: %+v", got)
	}
}
