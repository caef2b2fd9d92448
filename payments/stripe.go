package payments

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/stripe/stripe-go/v76"
	"github.com/stripe/stripe-go/v76/client"
)

// StripeConfig configures the Stripe provider.
type StripeConfig struct {
	SecretKey      string // sk_…
	PublishableKey string // pk_…, for Stripe.js
	WebhookSecret  string // whsec_…, the endpoint secret (ParseWebhook takes it; kept here for callers)
	// APIBase replaces https://api.stripe.com, e.g. stripe-mock's "http://127.0.0.1:PORT";
	// "" talks to Stripe.
	APIBase string
	// ConnectBase replaces https://connect.stripe.com ("" = APIBase when that is set).
	ConnectBase string
	// HTTPClient makes the requests (nil: one with a 30 s timeout).
	HTTPClient *http.Client
	// MaxNetworkRetries is how often stripe-go itself retries a request that failed on the
	// network, 409, 429 or 5xx (with the same idempotency key). 0 retries not at all.
	MaxNetworkRetries int
}

// Stripe is the Provider talking to Stripe (Connect, separate charges and transfers).
// It uses its own client and never the global stripe.Key.
type Stripe struct {
	api *client.API
	pk  string
	// WebhookSecret is the endpoint secret for ParseWebhook.
	WebhookSecret string
}

var _ Provider = (*Stripe)(nil)

// NewStripe returns the Stripe provider for cfg.
func NewStripe(cfg StripeConfig) *Stripe {
	hc := cfg.HTTPClient
	if hc == nil {
		hc = &http.Client{Timeout: 30 * time.Second}
	}
	retries := int64(cfg.MaxNetworkRetries)
	backend := func(typ stripe.SupportedBackend, base string) stripe.Backend {
		bc := &stripe.BackendConfig{
			HTTPClient:        hc,
			MaxNetworkRetries: &retries,
			EnableTelemetry:   stripe.Bool(false),
			// Errors are returned to the caller, who logs them with context.
			LeveledLogger: &stripe.LeveledLogger{Level: stripe.LevelNull},
		}
		if base != "" {
			bc.URL = stripe.String(strings.TrimRight(base, "/"))
		}
		return stripe.GetBackendWithConfig(typ, bc)
	}
	connect := cfg.ConnectBase
	if connect == "" {
		connect = cfg.APIBase
	}
	backends := &stripe.Backends{
		API:     backend(stripe.APIBackend, cfg.APIBase),
		Connect: backend(stripe.ConnectBackend, connect),
		Uploads: backend(stripe.UploadsBackend, cfg.APIBase),
	}
	return &Stripe{api: client.New(cfg.SecretKey, backends), pk: cfg.PublishableKey, WebhookSecret: cfg.WebhookSecret}
}

// Simulated is false: money moves.
func (s *Stripe) Simulated() bool { return false }

// PublishableKey is Stripe.js's key.
func (s *Stripe) PublishableKey() string { return s.pk }

// CreateAccount creates an Express connected account for a contractor company with the
// transfers capability requested.
func (s *Stripe) CreateAccount(ctx context.Context, p AccountParams) (Account, error) {
	params := &stripe.AccountParams{
		Type:         stripe.String(string(stripe.AccountTypeExpress)),
		BusinessType: stripe.String(string(stripe.AccountBusinessTypeCompany)),
		Capabilities: &stripe.AccountCapabilitiesParams{
			Transfers: &stripe.AccountCapabilitiesTransfersParams{Requested: stripe.Bool(true)},
		},
	}
	if p.CompanyName != "" {
		params.Company = &stripe.AccountCompanyParams{Name: stripe.String(p.CompanyName)}
	}
	if p.Email != "" {
		params.Email = stripe.String(p.Email)
	}
	if p.Country != "" {
		params.Country = stripe.String(p.Country)
	}
	if p.EntityID != 0 {
		params.AddMetadata("entity_id", strconv.FormatInt(p.EntityID, 10))
	}
	s.prepare(&params.Params, ctx, p.IdempotencyKey)
	a, err := s.api.Accounts.New(params)
	if err != nil {
		return Account{}, mapErr("create account", err)
	}
	return accountOf(a), nil
}

// Account reads a connected account.
func (s *Stripe) Account(ctx context.Context, accountID string) (Account, error) {
	params := &stripe.AccountParams{}
	s.prepare(&params.Params, ctx, "")
	a, err := s.api.Accounts.GetByID(accountID, params)
	if err != nil {
		return Account{}, mapErr("read account", err)
	}
	return accountOf(a), nil
}

func accountOf(a *stripe.Account) Account {
	transfers := ""
	if a.Capabilities != nil {
		transfers = string(a.Capabilities.Transfers)
	}
	return Account{ID: a.ID, DetailsSubmitted: a.DetailsSubmitted, PayoutsEnabled: payable(transfers, a.PayoutsEnabled)}
}

// AccountLink makes an onboarding link (type account_onboarding) for a connected account.
func (s *Stripe) AccountLink(ctx context.Context, accountID, refreshURL, returnURL string) (string, error) {
	params := &stripe.AccountLinkParams{
		Account:    stripe.String(accountID),
		RefreshURL: stripe.String(refreshURL),
		ReturnURL:  stripe.String(returnURL),
		Type:       stripe.String(string(stripe.AccountLinkTypeAccountOnboarding)),
	}
	s.prepare(&params.Params, ctx, "")
	l, err := s.api.AccountLinks.New(params)
	if err != nil {
		return "", mapErr("create account link", err)
	}
	return l.URL, nil
}

// CreatePaymentIntent creates a PaymentIntent on the platform (automatic payment methods,
// for the Payment Element).
func (s *Stripe) CreatePaymentIntent(ctx context.Context, p PaymentIntentParams) (PaymentIntent, error) {
	params := &stripe.PaymentIntentParams{
		Amount:   stripe.Int64(p.Amount),
		Currency: stripe.String(strings.ToLower(p.Currency)),
		AutomaticPaymentMethods: &stripe.PaymentIntentAutomaticPaymentMethodsParams{
			Enabled: stripe.Bool(true),
		},
	}
	if p.TransferGroup != "" {
		params.TransferGroup = stripe.String(p.TransferGroup)
	}
	if p.Description != "" {
		params.Description = stripe.String(p.Description)
	}
	for k, v := range p.Metadata {
		params.AddMetadata(k, v)
	}
	s.prepare(&params.Params, ctx, p.IdempotencyKey)
	pi, err := s.api.PaymentIntents.New(params)
	if err != nil {
		return PaymentIntent{}, mapErr("create payment intent", err)
	}
	return PaymentIntent{ID: pi.ID, ClientSecret: pi.ClientSecret, Status: string(pi.Status)}, nil
}

// Transfer pays a connected account from the platform's balance.
func (s *Stripe) Transfer(ctx context.Context, p TransferParams) (Transfer, error) {
	params := &stripe.TransferParams{
		Amount:      stripe.Int64(p.Amount),
		Currency:    stripe.String(strings.ToLower(p.Currency)),
		Destination: stripe.String(p.Destination),
	}
	if p.TransferGroup != "" {
		params.TransferGroup = stripe.String(p.TransferGroup)
	}
	for k, v := range p.Metadata {
		params.AddMetadata(k, v)
	}
	s.prepare(&params.Params, ctx, p.IdempotencyKey)
	t, err := s.api.Transfers.New(params)
	if err != nil {
		return Transfer{}, mapErr("transfer", err)
	}
	return Transfer{ID: t.ID}, nil
}

// Refund refunds a payment intent's charge (in full when Amount is 0).
func (s *Stripe) Refund(ctx context.Context, p RefundParams) (Refund, error) {
	params := &stripe.RefundParams{PaymentIntent: stripe.String(p.PaymentIntentID)}
	if p.Amount > 0 {
		params.Amount = stripe.Int64(p.Amount)
	}
	s.prepare(&params.Params, ctx, p.IdempotencyKey)
	r, err := s.api.Refunds.New(params)
	if err != nil {
		return Refund{}, mapErr("refund", err)
	}
	return Refund{ID: r.ID}, nil
}

func (s *Stripe) prepare(p *stripe.Params, ctx context.Context, idempotencyKey string) {
	p.Context = ctx
	if idempotencyKey != "" {
		p.SetIdempotencyKey(idempotencyKey)
	}
}

// mapErr sorts Stripe's failures: not reached, timed out, 409 (a concurrent request with
// the same idempotency key), 429 and 5xx wrap ErrUnavailable (retry with the same key);
// any other answer is a refusal carrying Stripe's message.
func mapErr(op string, err error) error {
	var se *stripe.Error
	if errors.As(err, &se) {
		msg := se.Msg
		if msg == "" {
			msg = string(se.Code)
		}
		st := se.HTTPStatusCode
		if st == http.StatusConflict || st == http.StatusTooManyRequests || st >= 500 {
			return fmt.Errorf("%w: %s: Stripe answered %d: %s", ErrUnavailable, op, st, msg)
		}
		return fmt.Errorf("payments: %s: Stripe refused (%d): %s", op, st, msg)
	}
	// Network errors, timeouts, cancelled contexts and answers that are not Stripe's
	// JSON (a proxy's error page) all mean Stripe was not really heard.
	return fmt.Errorf("%w: %s: %w", ErrUnavailable, op, err)
}
