// The milestone payment page with Stripe keys set: Stripe's Payment Element mounted on the
// form, paying the milestone's PaymentIntent (its client secret is on the form). The
// milestone is funded only when Stripe's signed webhook says the payment succeeded, never
// on this script's word; Stripe brings the owner back to the contract page.
(function () {
	"use strict";
	var form = document.getElementById("payment-form");
	if (!form || !window.Stripe) return;
	var stripe = window.Stripe(form.dataset.stripeKey);
	var elements = stripe.elements({ clientSecret: form.dataset.clientSecret });
	elements.create("payment").mount("#payment-element");
	var msg = document.getElementById("payment-message");
	var pay = document.getElementById("pay");
	form.addEventListener("submit", function (e) {
		e.preventDefault();
		pay.disabled = true;
		msg.textContent = "";
		stripe.confirmPayment({ elements: elements, confirmParams: { return_url: form.dataset.returnUrl } }).then(function (r) {
			// Only an immediate error returns here; success leaves for return_url.
			if (r.error) msg.textContent = r.error.message || "The payment could not be made.";
			pay.disabled = false;
		});
	});
})();
