package main

import (
	"testing"

	"github.com/14build/14build/payments"
)

// STRIPE_* pick the payment provider: none → the simulator; a secret key → Stripe; half a
// configuration or keys of the wrong kind are refused at start.
func TestPaymentsFromEnvironment(t *testing.T) {
	t.Parallel()
	load := func(env map[string]string) (config, error) {
		return loadConfig(func(k string) string { return env[k] })
	}
	c, err := load(nil)
	if err != nil || c.http.Payments == nil || !c.http.Payments.Simulated() || c.http.StripeWebhookSecret != "" || len(c.notes) == 0 {
		t.Fatalf("no keys: %+v %v", c.http.Payments, err)
	}
	c, err = load(map[string]string{
		"STRIPE_SECRET_KEY": "sk_test_1", "STRIPE_PUBLISHABLE_KEY": "pk_test_1",
		"STRIPE_WEBHOOK_SECRET": "whsec_1", "STRIPE_API_BASE": "http://127.0.0.1:12111",
	})
	if err != nil {
		t.Fatal(err)
	}
	if c.jobs.Payments != c.http.Payments {
		t.Error("the release job has another provider than the handlers")
	}
	if _, ok := c.http.Payments.(*payments.Stripe); !ok || c.http.Payments.PublishableKey() != "pk_test_1" || c.http.StripeWebhookSecret != "whsec_1" || len(c.warnings) != 0 {
		t.Fatalf("keys: %+v %q %v", c.http.Payments, c.http.StripeWebhookSecret, c.warnings)
	}
	if c, err = load(map[string]string{"STRIPE_SECRET_KEY": "sk_test_1"}); err != nil || len(c.warnings) != 2 {
		t.Fatalf("secret key alone: %v %v", err, c.warnings)
	}
	for _, bad := range []map[string]string{
		{"STRIPE_PUBLISHABLE_KEY": "pk_test_1"},
		{"STRIPE_WEBHOOK_SECRET": "whsec_1"},
		{"STRIPE_SECRET_KEY": "pk_test_1"},
		{"STRIPE_SECRET_KEY": "sk_live_1", "STRIPE_PUBLISHABLE_KEY": "pk_test_1"},
		{"STRIPE_SECRET_KEY": "sk_test_1", "STRIPE_PUBLISHABLE_KEY": "sk_test_1"},
		{"STRIPE_SECRET_KEY": "sk_test_1", "STRIPE_WEBHOOK_SECRET": "secret"},
		{"STRIPE_SECRET_KEY": "sk_test_1", "STRIPE_API_BASE": "localhost"},
	} {
		if _, err := load(bad); err == nil {
			t.Errorf("%v accepted", bad)
		}
	}
}
