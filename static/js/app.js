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

  // --- live updates: the stream says "something changed", the pollers fetch it -----
  // The stream (live process, Server-Sent Events) carries no data, only which conversation
  // changed; the page fires the events its pollers already listen to, so the rows still come
  // through the poll views and their access checks. Without a stream nothing changes: the
  // pollers keep their 5 s / 10 s timers.

  var LIVE_STALE_MS = 30000;  // 2 x the live process's heartbeat (15 s): quieter than that = not healthy
  var live = { source: null, lastSign: 0, pings: false };
  var pageStarted = Date.now();
  var lastPoll = {};  // poller id -> when it last asked (the element itself is replaced by its own swaps)

  var LISTENER = { "messages-changed": "poller", "conversations-changed": "conversation-rows" };
  var replacing = {};   // poller id -> its own swap replaced it; htmx wires the new one when it settles
  var afterReload = {}; // poller id -> the event to fire once the replacement listens

  function fire(name) {
    var id = LISTENER[name];
    if (replacing[id]) { afterReload[id] = name; return; }  // nobody would hear it now
    if (window.htmx) { window.htmx.trigger(document.body, name); }
  }

  function catchUp() {
    fire("messages-changed");
    fire("conversations-changed");
  }

  // Healthy: open, and, when the stream sends `event: ping`, heard from lately. A comment-line
  // heartbeat (": ping") keeps proxies happy but never reaches JavaScript, so with those an
  // open stream counts as healthy however quiet it is (the safety poll still runs).
  function liveHealthy() {
    if (!live.source || live.source.readyState !== 1) { return false; }
    return !live.pings || Date.now() - live.lastSign < LIVE_STALE_MS;
  }

  function onConversation(event) {
    var change;
    try { change = JSON.parse(event.data); } catch (e) { return; }
    var poller = document.querySelector("[data-poller]");
    // A customer's stream only carries their own conversation, which may not exist yet
    // when the chat page was rendered (empty id): any change is theirs.
    if (poller && (document.body.classList.contains("portal") || poller.getAttribute("data-conversation-id") === String(change.id))) {
      fire("messages-changed");
    }
    if (document.querySelector("[data-list-poller]")) { fire("conversations-changed"); }
  }

  function openLive() {
    var url = document.body.getAttribute("data-live-url");
    if (!url || typeof window.EventSource !== "function") { return; }
    var source = new window.EventSource(url, { withCredentials: true });
    live.source = source;
    live.lastSign = 0;
    function sign() { live.lastSign = Date.now(); }
    source.addEventListener("open", sign);
    source.addEventListener("ping", function () { live.pings = true; sign(); });
    source.addEventListener("conversation", function (event) { sign(); onConversation(event); });
    // "ready" comes on every (re)connection once the stream listens: whatever changed before
    // it (between the page's render and now, or while the stream was down) is fetched once.
    source.addEventListener("ready", function () { sign(); catchUp(); });
    source.addEventListener("resync", function () { sign(); catchUp(); });
    source.addEventListener("bye", function () {
      // The session ended: stop listening; the next poll meets the sign-in page.
      source.close();
      live.source = null;
    });
    // On "error" the browser reconnects by itself (network errors), or gives up for good
    // (401, 503, not an event stream: readyState CLOSED); either way the timers poll at full
    // pace meanwhile, because liveHealthy() is false.
  }

  // A connection that died without a word (laptop sleep, a NAT forgetting it) stays "open" in
  // the browser. When the stream is known to send visible pings and has gone quiet, reopen it.
  function reopenIfQuiet() {
    if (live.pings && live.source && live.source.readyState === 1 && !document.hidden && !liveHealthy()) {
      live.source.close();
      openLive();
    }
  }

  function safetyPollMs() {
    var seconds = parseFloat(document.body.getAttribute("data-live-safety-poll"));
    return seconds > 0 ? seconds * 1000 : 0;
  }

  // --- pollers: not while the tab is hidden, nor while someone is using a control, -----
  // and only now and then on their own timer while the stream is healthy.

  var POLLERS = "[data-poller], [data-list-poller]";
  var inFlight = {};    // poller id -> a request of its own is out
  var askAgain = {};    // poller id -> the event to fire again once that request is back

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail.elt;
    if (!elt.matches(POLLERS)) { return; }
    if (document.hidden) { event.preventDefault(); return; }
    var active = document.activeElement;
    if (elt.matches("[data-list-poller]") && active && elt.contains(active) && active.matches("select, input, textarea")) {
      event.preventDefault();
      return;
    }
    if (elt.matches("[data-list-poller]") && bulkSelectionActive()) {
      // A new page of rows would drop the ticks (and the count the admin is confirming).
      event.preventDefault();
      return;
    }
    // htmx 2.0.10 passes no event for an `every …` timer (processPolling calls handler(elt)),
    // and the DOM event for `… from:body` triggers; event-driven polls always go.
    var byTimer = !event.detail.requestConfig.triggeringEvent;
    if (byTimer && liveHealthy() && Date.now() - (lastPoll[elt.id] || pageStarted) < safetyPollMs()) {
      event.preventDefault();
      return;
    }
    lastPoll[elt.id] = Date.now();
    inFlight[elt.id] = true;
  });

  // hx-sync="this:drop" silently drops a poll asked for while one is out, and the one out may
  // have read before the change committed. With the timer slowed down, that change would wait
  // for the safety poll: remember the event (htmx:confirm comes before the drop) and fire it
  // again when the request is back.
  document.addEventListener("htmx:confirm", function (event) {
    var elt = event.detail.elt;
    if (elt.matches(POLLERS) && inFlight[elt.id] && event.detail.triggeringEvent) {
      askAgain[elt.id] = event.detail.triggeringEvent.type;
    }
  });

  document.addEventListener("htmx:afterRequest", function (event) {
    // requestConfig.elt is the poller that asked, even when its own swap replaced it.
    var asker = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (!asker || !asker.matches(POLLERS) || !inFlight[asker.id]) { return; }
    inFlight[asker.id] = false;
    var again = askAgain[asker.id];
    askAgain[asker.id] = null;
    if (!document.body.contains(asker)) {
      replacing[asker.id] = true;
      if (again) { afterReload[asker.id] = again; }
    } else if (again) {
      // htmx releases the hx-sync lock only after this event: fire once it has.
      window.setTimeout(function () { fire(again); }, 0);
    }
  });

  document.addEventListener("htmx:load", function (event) {
    var id = event.detail.elt.id;
    if (!id || !replacing[id]) { return; }
    replacing[id] = false;
    var again = afterReload[id];
    afterReload[id] = null;
    if (again) { fire(again); }
  });

  document.addEventListener("visibilitychange", function () {
    // Hidden tabs skip their polls (and the events meant for them): catch up once visible.
    if (!document.hidden) { catchUp(); }
  });

  // --- the admin list: one team list for every row's "Assign to" (issue 13.3) -------
  // A row's select comes with only its current assignee; the page's one <template
  // id="team-options"> is copied in when the select is focused or pressed, before it
  // opens, so it is still a plain labelled <select> for the keyboard and screen readers.

  function fillTeamPicker(select) {
    if (!select.matches || !select.matches("select[data-team-picker]:not([data-filled])")) { return; }
    var options = document.getElementById("team-options");
    if (!options) { return; }
    var current = select.value;
    var shown = select.selectedOptions[0];
    select.replaceChildren(options.content.cloneNode(true));
    select.value = current;
    if (select.value !== current && shown) {
      // The assignee is no longer in the team list (deactivated): keep them shown as they are.
      select.insertBefore(shown, select.firstChild);
      select.value = current;
    }
    select.setAttribute("data-filled", "");
  }
  document.addEventListener("focusin", function (event) { fillTeamPicker(event.target); });
  document.addEventListener("pointerdown", function (event) { fillTeamPicker(event.target); }, true);

  // --- the admin list: ticking rows for the bulk bar (issue 13.2) ---------------------
  // Without JavaScript the bar is a plain form: the row checkboxes belong to it (form="bulk")
  // and "Review…" posts to a confirmation page. With it, the confirmation opens in place.

  function bulkSelectionActive() {
    return !!document.querySelector("input[data-bulk-row]:checked, input[data-bulk-matching]:checked, [data-bulk-confirm-box]");
  }

  function bulkState() {
    var rows = document.querySelectorAll("input[data-bulk-row]");
    var ticked = document.querySelectorAll("input[data-bulk-row]:checked").length;
    var page = document.querySelector("input[data-bulk-page]");
    var matching = document.querySelector("input[data-bulk-matching]");
    var count = document.querySelector("[data-bulk-count]");
    if (page) {
      page.checked = rows.length > 0 && ticked === rows.length;
      page.indeterminate = ticked > 0 && ticked < rows.length;
    }
    if (!count) { return; }
    if (matching && matching.checked) {
      count.textContent = matching.labels[0].textContent.replace(/^All /, "All ") + ": selected.";
    } else if (ticked) {
      count.textContent = ticked + (ticked === 1 ? " conversation" : " conversations") + " selected.";
    } else {
      count.textContent = "Tick conversations below, then choose what to apply.";
    }
  }

  function closeBulkConfirm() {
    var box = document.querySelector("[data-bulk-confirm]");
    if (box) { box.replaceChildren(); }
    var review = document.querySelector("[data-bulk-review]");
    if (review) { review.focus(); }
  }

  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input[data-bulk-page], input[data-bulk-row], input[data-bulk-matching]")) { return; }
    if (box.matches("[data-bulk-page]")) {
      Array.prototype.forEach.call(document.querySelectorAll("input[data-bulk-row]"), function (row) { row.checked = box.checked; });
    }
    bulkState();
  });

  document.addEventListener("click", function (event) {
    var cancel = event.target.closest && event.target.closest("[data-bulk-confirm] [data-bulk-cancel]");
    if (cancel) { event.preventDefault(); closeBulkConfirm(); }
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && event.target.closest && event.target.closest("[data-bulk-confirm-box]")) {
      closeBulkConfirm();
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    var target = event.detail.target;
    if (target && target.matches("[data-bulk-confirm]")) {
      var slot = errorSlot(event.detail.requestConfig.elt);
      if (slot) { slot.hidden = true; slot.textContent = ""; }
      var title = target.querySelector("h2");
      if (title) { title.focus(); }
    }
  });
  document.addEventListener("htmx:load", bulkState);

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
    openLive();
    if (live.source) { window.setInterval(reopenIfQuiet, LIVE_STALE_MS / 2); }
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
