// The team's tender pages: countdowns that keep ticking, and the tender form's bidder
// search, whose Invite buttons add an email to the invitees box. Without it the pages
// still work: the countdown is right as of loading, and emails are typed.
(function () {
	"use strict";

	// span writes a duration as views.Span does: "4 days 3 h", "3 h 20 min", "12 min".
	function span(ms) {
		var m = Math.floor(Math.abs(ms) / 60000);
		if (m < 1) return "less than a minute";
		var d = Math.floor(m / 1440), h = Math.floor((m % 1440) / 60), mi = m % 60;
		if (d > 0) return d + (d === 1 ? " day" : " days") + (h ? " " + h + " h" : "");
		if (h > 0) return h + " h" + (mi ? " " + mi + " min" : "");
		return mi + " min";
	}

	function tick() {
		document.querySelectorAll("time[data-countdown]").forEach(function (el) {
			var left = Date.parse(el.getAttribute("datetime")) - Date.now();
			if (el.dataset.countdown === "closes" && left > 0) el.textContent = "closes in " + span(left);
			else el.textContent = "closed " + span(left) + " ago";
		});
	}
	setInterval(tick, 30000);

	document.addEventListener("click", function (e) {
		var b = e.target.closest && e.target.closest("[data-invite]");
		if (!b) return;
		var ta = document.getElementById("invitees");
		if (!ta) return;
		var email = b.getAttribute("data-invite");
		var have = ta.value.split(/[\s,;]+/).filter(Boolean);
		if (!have.some(function (x) { return x.toLowerCase() === email.toLowerCase(); })) {
			have.push(email);
			ta.value = have.join("\n");
		}
		b.firstChild.nodeValue = "Added"; // the name after it stays, for screen readers
		b.disabled = true;
	});
})();
