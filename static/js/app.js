// DesignPi Support: small progressive enhancements; the pages work without them.
// No inline scripts anywhere (strict CSP): every behaviour hangs off data-* attributes.
(function () {
  "use strict";

  var root = document.documentElement;
  root.classList.remove("no-js");
  root.classList.add("js");

  // --- helpers -----------------------------------------------------------------

  function uuid4() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") {
      return window.crypto.randomUUID();
    }
    var bytes = window.crypto.getRandomValues(new Uint8Array(16));
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    var hex = Array.prototype.map.call(bytes, function (b) { return (b + 0x100).toString(16).slice(1); }).join("");
    return [hex.slice(0, 8), hex.slice(8, 12), hex.slice(12, 16), hex.slice(16, 20), hex.slice(20)].join("-");
  }

  var noticeTimer = null;
  var noticeKind = null;
  function showNotice(text, kind) {
    var el = document.getElementById("notice");
    if (!el) { return; }
    el.textContent = text;
    el.hidden = false;
    noticeKind = kind || "error";
    window.clearTimeout(noticeTimer);
    if (noticeKind !== "sticky") {
      noticeTimer = window.setTimeout(hideNotice, 10000);
    }
  }
  function hideNotice(kind) {
    var el = document.getElementById("notice");
    if (!el || (kind && kind !== noticeKind)) { return; }
    el.hidden = true;
    el.textContent = "";
    noticeKind = null;
  }

  function plainText(xhr) {
    var type = xhr.getResponseHeader("Content-Type") || "";
    return type.indexOf("text/plain") === 0 ? xhr.responseText.trim() : "";
  }

  function errorSlot(elt) {
    var form = elt && elt.closest ? elt.closest("form") : null;
    return form ? form.querySelector("[data-error]") : null;
  }

  // --- times in the reader's own time zone ----------------------------------------

  var timeFormat = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
  function localizeTimes(scope) {
    var times = (scope.querySelectorAll ? scope.querySelectorAll("time[datetime]") : []);
    Array.prototype.forEach.call(times, function (el) {
      var when = new Date(el.getAttribute("datetime"));
      if (!isNaN(when)) {
        el.title = when.toLocaleString();
        el.textContent = timeFormat.format(when);
      }
    });
  }

  // --- the message thread: stay at the bottom only if the reader is there ---------

  var stickToBottom = true;
  var forceBottom = false;

  function setUpThread() {
    var list = document.querySelector("[data-thread]");
    if (!list) { return; }
    list.scrollTop = list.scrollHeight;
    list.addEventListener("scroll", function () {
      stickToBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 48;
    }, { passive: true });
    new MutationObserver(function () {
      var empty = list.querySelector(".msg-empty");
      if (empty && list.querySelector(".msg")) { empty.remove(); }
      if (stickToBottom || forceBottom) {
        list.scrollTop = list.scrollHeight;
        stickToBottom = true;
      }
      forceBottom = false;
    }).observe(list, { childList: true });
  }

  // --- the message box: Enter sends, the box clears, a fresh idempotency token -----

  document.addEventListener("keydown", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("textarea[data-enter-sends]")) { return; }
    if (event.key !== "Enter" || event.shiftKey || event.isComposing) { return; }
    event.preventDefault();
    if (box.value.trim() && box.form) { box.form.requestSubmit(); }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    var elt = event.detail.elt;
    var xhr = event.detail.xhr;
    if (!elt || !xhr) { return; }
    if (elt.matches("[data-composer]") && xhr.status === 204 && !xhr.getResponseHeader("HX-Redirect")) {
      var box = elt.querySelector("textarea");
      box.value = "";
      elt.querySelector("input[name=client_token]").value = uuid4();
      var slot = elt.querySelector("[data-error]");
      slot.hidden = true;
      slot.textContent = "";
      forceBottom = true;
      box.focus();
    }
    if (xhr.status && xhr.status < 400) { hideNotice("connection"); }
  });

  // --- errors: a form's reason beside it; everything else in the notice bar --------

  document.addEventListener("htmx:responseError", function (event) {
    var elt = event.detail.elt;
    var xhr = event.detail.xhr;
    var status = xhr.status;
    var slot = errorSlot(elt);
    var reason = plainText(xhr);
    if ((status === 400 || status === 429) && reason) {
      if (slot) { slot.textContent = reason; slot.hidden = false; } else { showNotice(reason); }
      return;
    }
    if (status === 404 || status === 403) {
      if (elt.matches("[data-poller], [data-list-poller]")) {
        // Access is gone (reassigned, signed out elsewhere…): stop asking.
        elt.removeAttribute("hx-trigger");
        elt.remove();
      }
      showNotice(status === 404
        ? "This conversation is no longer available to you. Reload the page to see what changed."
        : "Your account is not allowed to do that.", "sticky");
      return;
    }
    showNotice("The server could not answer (" + status + "). Trying again shortly…", "connection");
  });

  document.addEventListener("htmx:sendError", function () {
    showNotice("Cannot reach the server. Check your connection; this page keeps trying.", "connection");
  });

  // --- pollers: not while the tab is hidden, nor while someone is using a control ---

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt.matches("[data-poller], [data-list-poller]")) { return; }
    if (document.hidden) { event.preventDefault(); return; }
    var active = document.activeElement;
    if (elt.matches("[data-list-poller]") && active && elt.contains(active) && active.matches("select, input, textarea")) {
      event.preventDefault();
    }
  });

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden && window.htmx) {
      var poller = document.querySelector("[data-poller]");
      if (poller) { window.htmx.trigger(document.body, "messages-changed"); }
    }
  });

  // --- filter forms submit on change -----------------------------------------------

  document.addEventListener("change", function (event) {
    var form = event.target.form;
    if (form && form.matches("[data-autosubmit]")) { form.requestSubmit(); }
  });

  // --- start ------------------------------------------------------------------

  document.addEventListener("htmx:load", function (event) { localizeTimes(event.detail.elt); });

  function start() {
    localizeTimes(document);
    setUpThread();
    var box = document.querySelector("textarea[data-enter-sends]");
    if (box && !document.querySelector(".field-error:not([hidden])") && window.matchMedia("(min-width: 700px)").matches) {
      box.focus();
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
