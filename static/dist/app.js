// 14Build's small client helpers. Everything works without them; they add comfort.
(function () {
  "use strict";
  // Copy buttons: <button data-copy="#id"> copies the value/text of the target.
  document.addEventListener("click", function (e) {
    var btn = e.target.closest("[data-copy]");
    if (!btn) return;
    var el = document.querySelector(btn.getAttribute("data-copy"));
    if (!el) return;
    var text = el.value !== undefined ? el.value : el.textContent;
    var done = function () {
      var old = btn.textContent;
      btn.textContent = "Copied";
      setTimeout(function () { btn.textContent = old; }, 1500);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(done);
    } else if (el.select) {
      el.select();
      document.execCommand("copy");
      done();
    }
  });
  // Toasts dismiss themselves after a while, or on their close button.
  function arm(root) {
    (root.querySelectorAll ? root.querySelectorAll("[data-toast]") : []).forEach(function (t) {
      if (t.dataset.armed) return;
      t.dataset.armed = "1";
      setTimeout(function () { t.remove(); }, 6000);
    });
  }
  document.addEventListener("click", function (e) {
    var x = e.target.closest("[data-dismiss]");
    if (x) { var t = x.closest("[data-toast]"); if (t) t.remove(); }
  });
  document.addEventListener("DOMContentLoaded", function () { arm(document); });
  document.addEventListener("htmx:afterSettle", function (e) { arm(document); });
  // After a refused form (a page load or an HTMX swap of the form), focus goes to the first
  // field in error, so a keyboard or screen-reader user lands on what to fix. The server sets
  // autofocus on that field too, for pages without this script.
  function focusFirstError() {
    var bad = document.querySelector('form :is(input, select, textarea):is([aria-invalid="true"], .input-error)');
    if (!bad) return;
    bad.focus({ preventScroll: true });
    bad.scrollIntoView({ block: "center", behavior: "instant" });
  }
  document.addEventListener("DOMContentLoaded", function () { focusFirstError(); });
  document.addEventListener("htmx:afterSettle", function (e) {
    // Only swaps that brought a refusal (422) in: a live preview's swap must not steal
    // focus from the field being typed in. After settling, not swapping: HTMX gives a kept
    // element (same id) its new class only when it settles. The swapped target may be
    // detached by now (outerHTML), so the search is the whole document's.
    var xhr = e.detail && e.detail.xhr;
    if (xhr && xhr.status === 422) focusFirstError();
  });
  // Pop-overs built on <details data-popover> (a unit's Duplicate): Escape closes the open
  // one and returns focus to its summary; a click elsewhere closes it. Plain disclosures
  // are left alone.
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    var d = e.target.closest && e.target.closest("details[data-popover][open]");
    if (!d) return;
    d.open = false;
    var s = d.querySelector("summary");
    if (s) s.focus();
  });
  document.addEventListener("click", function (e) {
    document.querySelectorAll("details[data-popover][open]").forEach(function (d) {
      if (!d.contains(e.target)) d.open = false;
    });
  });
  // An opened pop-over puts focus on its first field, ready to type ("toggle" does not
  // bubble, hence the capture).
  document.addEventListener("toggle", function (e) {
    var d = e.target;
    if (!d.matches || !d.matches("details[data-popover]") || !d.open) return;
    var f = d.querySelector("input:not([type=hidden]), select, textarea");
    if (f) { f.focus(); if (f.select) f.select(); }
  }, true);
  // Live updates (issue 12). An element following a stream (sse-connect) is marked
  // data-live="open" while its EventSource is connected. A polled part of a page marked
  // data-poll-fallback keeps its hx-trigger="every …" but its polls are dropped here while
  // a stream is open, so it polls only where EventSource is missing or the stream is down
  // (a trigger filter would need eval, which the CSP forbids). Each (re)open fires
  // "liverefresh" on the body, so that such parts fetch once what they may have missed.
  function liveDown() {
    return !window.EventSource || !document.querySelector('[sse-connect][data-live="open"]');
  }
  // Without EventSource there is no stream to open (the extension would throw): the
  // page's parts poll instead. Deferred scripts run before HTMX processes the page.
  if (!window.EventSource) {
    document.querySelectorAll("[sse-connect]").forEach(function (el) { el.removeAttribute("sse-connect"); });
  }
  document.addEventListener("htmx:confirm", function (e) {
    var d = e.detail, elt = d && d.elt;
    // A poll is the only request without a triggering event.
    if (d && !d.triggeringEvent && elt && elt.hasAttribute && elt.hasAttribute("data-poll-fallback") && !liveDown()) {
      e.preventDefault();
    }
  });
  // A live part may carry data-version (when what it shows last changed): a response or an
  // event's part older than what the page shows already is not swapped in (a refresh in
  // flight while a newer event arrived would otherwise put the older state back).
  function older(incoming, target) {
    var cur = target && target.getAttribute && target.getAttribute("data-version");
    return !!cur && incoming != null && incoming !== "" && +incoming < +cur;
  }
  document.addEventListener("htmx:beforeSwap", function (e) {
    var d = e.detail, m = /data-version="(\d+)"/.exec(typeof d.serverResponse === "string" ? d.serverResponse : "");
    if (m && older(m[1], d.target)) d.shouldSwap = false;
  });
  document.addEventListener("htmx:oobBeforeSwap", function (e) {
    var d = e.detail, f = d.fragment, n = f && (f.firstElementChild || f);
    if (n && n.getAttribute && older(n.getAttribute("data-version"), d.target)) d.shouldSwap = false;
  });
  document.addEventListener("htmx:sseOpen", function (e) {
    e.target.setAttribute("data-live", "open");
    if (window.htmx) window.htmx.trigger(document.body, "liverefresh");
  });
  ["htmx:sseError", "htmx:sseClose"].forEach(function (name) {
    document.addEventListener(name, function (e) {
      if (e.target.removeAttribute) e.target.removeAttribute("data-live");
    });
  });
  // Mobile navigation toggle.
  document.addEventListener("click", function (e) {
    var b = e.target.closest("[data-nav-toggle]");
    if (!b) return;
    var m = document.getElementById("mobile-nav");
    if (m) {
      var open = m.classList.toggle("hidden") === false;
      b.setAttribute("aria-expanded", open ? "true" : "false");
    }
  });
})();
