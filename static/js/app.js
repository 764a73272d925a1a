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

  // Exact times in the reader's zone; <time data-relative> (list rows, "last message") reads
  // "5 min ago" instead, kept fresh every minute, with the exact local time on hover.
  var timeFormat = new Intl.DateTimeFormat(undefined, { month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
  var exactFormat = new Intl.DateTimeFormat(undefined, {
    weekday: "short", year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short",
  });
  var relativeFormat = typeof Intl.RelativeTimeFormat === "function" ? new Intl.RelativeTimeFormat(undefined, { numeric: "auto", style: "short" }) : null;
  var RELATIVE_UP_TO_MS = 7 * 24 * 3600 * 1000;  // older than a week: the date reads better

  function relativeText(when, now) {
    var seconds = Math.round((when - now) / 1000);
    var abs = Math.abs(seconds);
    if (abs < 45) { return "just now"; }
    if (abs < 3600) { return relativeFormat.format(Math.round(seconds / 60), "minute"); }
    if (abs < 86400) { return relativeFormat.format(Math.round(seconds / 3600), "hour"); }
    return relativeFormat.format(Math.round(seconds / 86400), "day");
  }

  function localizeTime(el, now) {
    var when = new Date(el.getAttribute("datetime"));
    if (isNaN(when)) { return; }
    el.title = exactFormat.format(when);
    var relative = relativeFormat && el.hasAttribute("data-relative") && Math.abs(now - when) < RELATIVE_UP_TO_MS;
    el.textContent = relative ? relativeText(when, now) : timeFormat.format(when);
  }

  function localizeTimes(scope) {
    var now = Date.now();
    Array.prototype.forEach.call(scope.querySelectorAll ? scope.querySelectorAll("time[datetime]") : [], function (el) {
      localizeTime(el, now);
    });
  }

  window.setInterval(function () {
    var now = Date.now();
    Array.prototype.forEach.call(document.querySelectorAll("time[data-relative]"), function (el) { localizeTime(el, now); });
  }, 60000);

  // --- the message thread: stay at the bottom only if the reader is there ---------

  var stickToBottom = true;
  var forceBottom = false;
  // Earlier messages go in above what the reader is looking at: keep their distance from
  // the bottom of the list, so the rows they were reading stay where they were.
  var keepFromBottom = null;
  var earlierHadFocus = false;  // a keyboard user's focus moves to the next button (or the list)
  var EARLIER_AT_PX = 120;  // this close to the top, the page before is fetched by itself

  function loadEarlier(list) {
    var button = list.querySelector("[data-earlier]");
    if (button && !button.disabled && window.htmx) { window.htmx.trigger(button, "click"); }
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
    var list = document.querySelector("[data-thread]");
    if (elt && list && elt.matches("[data-earlier]") && event.detail.xhr.status === 200) {
      keepFromBottom = list.scrollHeight - list.scrollTop;
      earlierHadFocus = document.activeElement === elt;
    }
  });

  function setUpThread() {
    var list = document.querySelector("[data-thread]");
    if (!list) { return; }
    list.scrollTop = list.scrollHeight;
    list.addEventListener("scroll", function () {
      stickToBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 48;
      if (list.scrollTop < EARLIER_AT_PX && list.scrollHeight > list.clientHeight) { loadEarlier(list); }
    }, { passive: true });
    new MutationObserver(function () {
      var empty = list.querySelector(".msg-empty");
      if (empty && list.querySelector(".msg")) { empty.remove(); }
      if (keepFromBottom !== null) {
        list.scrollTop = list.scrollHeight - keepFromBottom;
        keepFromBottom = null;
        if (earlierHadFocus) {
          (list.querySelector("[data-earlier]") || list).focus({ preventScroll: true });
          earlierHadFocus = false;
        }
        forceBottom = false;
        return;
      }
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
    attentionChanged();
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
    var thisThread = poller && (document.body.classList.contains("portal") || poller.getAttribute("data-conversation-id") === String(change.id));
    if (thisThread) { fire("messages-changed"); }
    if (document.querySelector("[data-list-poller]")) { fire("conversations-changed"); }
    // The thread in front asks once its poll has shown (and marked read) the new rows, so the
    // count never blinks up for a message the person is looking at.
    if (!(thisThread && !document.hidden)) { attentionChanged(); }
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
    // Going to the background, the tab's count is brought up to date (it keeps it from here).
    if (!document.hidden) { catchUp(); } else { attentionChanged(); }
  });

  // --- the tab tells you: a count in the title, a dot on the icon, a notification ------
  // What waits (the team: assigned conversations with unread participant messages; a
  // customer: unread replies) comes from the page's attention URL, asked on load, when the
  // stream or a poll says something changed, and now and then meanwhile (while the tab is in
  // the background its pollers rest, so this is what still notices). It carries ids and
  // links, never text: a notification says only "New message in conversation #12".

  var ATTENTION_EVERY_MS = 15000;   // hidden, or no healthy stream: ask this often
  var ATTENTION_GAP_MS = 2000;      // and never more often than this (an admin's stream hears every change)
  var NOTIFIED_KEY = "designpi.notified";
  var attention = { url: null, busy: false, waiting: false, again: false, last: 0, baseline: false, title: null, icon: null };

  function attentionChanged() {
    if (!attention.url) { return; }
    if (attention.waiting) { return; }  // a fetch is already due: it will see this change too
    if (attention.busy) { attention.again = true; return; }
    var wait = attention.last + ATTENTION_GAP_MS - Date.now();
    if (wait > 0) {
      attention.waiting = true;
      window.setTimeout(function () { attention.waiting = false; attentionChanged(); }, wait);
      return;
    }
    attention.busy = true;
    attention.last = Date.now();
    window.fetch(attention.url, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        return response.ok && type.indexOf("application/json") === 0 ? response.json() : null;
      })
      .then(function (data) { if (data) { showAttention(data); } })
      .catch(function () { /* offline: the notice bar already says so; keep what is shown */ })
      .then(function () {
        attention.busy = false;
        if (attention.again) { attention.again = false; attentionChanged(); }
      });
  }

  function showAttention(data) {
    var count = data.count || 0;
    var label = data.more ? count - 1 + "+" : String(count);
    document.title = count ? "(" + label + ") " + attention.title : attention.title;
    document.body.setAttribute("data-attention-count", String(count));
    setIconDot(count > 0);
    notifyWaiting(data.waiting || []);
  }

  function setIconDot(on) {
    var link = attention.icon;
    if (!link) { return; }
    if (!on) { link.href = link.getAttribute("data-plain-href"); return; }
    if (link.getAttribute("data-dot-href")) { link.href = link.getAttribute("data-dot-href"); return; }
    var image = new Image();
    image.onload = function () {
      var canvas = document.createElement("canvas");
      canvas.width = canvas.height = 64;
      var g = canvas.getContext("2d");
      g.drawImage(image, 0, 0, 64, 64);
      g.beginPath();
      g.arc(48, 16, 13, 0, 2 * Math.PI);
      g.fillStyle = "#e5484d";
      g.fill();
      g.lineWidth = 4;
      g.strokeStyle = "#ffffff";
      g.stroke();
      var dotted = canvas.toDataURL("image/png");  // CSP img-src allows data:
      link.setAttribute("data-dot-href", dotted);
      if (document.body.getAttribute("data-attention-count") !== "0") { link.href = dotted; }
    };
    image.src = link.getAttribute("data-plain-href");
  }

  // One notification per conversation until it is read: the ids already notified are kept
  // in localStorage (shared by the person's tabs) and forgotten once they stop waiting.
  function notified() {
    try { return JSON.parse(window.localStorage.getItem(NOTIFIED_KEY)) || []; } catch (e) { return []; }
  }
  function rememberNotified(ids) {
    try { window.localStorage.setItem(NOTIFIED_KEY, JSON.stringify(ids)); } catch (e) { /* private mode */ }
  }

  function notifyWaiting(waiting) {
    var ids = waiting.map(function (w) { return w.id; });
    var known = notified().filter(function (id) { return ids.indexOf(id) !== -1; });
    var fresh = waiting.filter(function (w) { return known.indexOf(w.id) === -1; });
    // What waits when the page opens, or while the person is looking at it, they have seen
    // here: only what arrives while the page is not in front is notified.
    var quiet = !attention.baseline || document.visibilityState === "visible" || !canNotify();
    attention.baseline = true;
    fresh.forEach(function (w) {
      known.push(w.id);
      if (!quiet) { showNotification(w); }
    });
    rememberNotified(known);
  }

  function canNotify() {
    return typeof window.Notification === "function" && window.Notification.permission === "granted";
  }

  function showNotification(w) {
    var portal = document.body.classList.contains("portal");
    try {
      var note = new window.Notification(portal ? "New reply from the support team" : "New message in conversation #" + w.id, {
        body: portal ? "DesignPi Support" : "DesignPi Support: open the conversation to read it.",
        tag: "designpi-conversation-" + w.id,  // the person's other tabs replace it, never stack it
        icon: attention.icon ? attention.icon.getAttribute("data-plain-href") : undefined,
      });
      note.onclick = function () {
        window.focus();
        if (window.location.pathname !== w.url) { window.location.assign(w.url); }
        note.close();
      };
    } catch (e) {
      // Some mobile browsers only notify through a service worker: the title and icon still tell.
    }
  }

  function setUpNotifyButton() {
    var button = document.querySelector("[data-notify-button]");
    if (!button || !attention.url || typeof window.Notification !== "function") { return; }
    if (window.Notification.permission !== "default") { return; }
    button.hidden = false;
    button.addEventListener("click", function () {
      // Asked only from this button, never on page load.
      var asked = window.Notification.requestPermission(function () {});
      var done = function () { button.hidden = window.Notification.permission !== "default"; };
      if (asked && typeof asked.then === "function") { asked.then(done); } else { done(); }
    });
  }

  function setUpAttention() {
    attention.url = document.body.getAttribute("data-attention-url");
    if (!attention.url || typeof window.fetch !== "function") { attention.url = null; return; }
    attention.title = document.title;
    attention.icon = document.querySelector("link[rel~='icon']");
    if (attention.icon) { attention.icon.setAttribute("data-plain-href", attention.icon.href); }
    setUpNotifyButton();
    attentionChanged();
    window.setInterval(function () {
      // Visible with a healthy stream: the stream's events (and the polls they cause) ask.
      var quietFor = Date.now() - attention.last;
      if (document.visibilityState === "visible" && liveHealthy() && quietFor < safetyPollMs()) { return; }
      if (quietFor >= ATTENTION_EVERY_MS - 500) { attentionChanged(); }
    }, ATTENTION_EVERY_MS);
  }

  // A poll that brought something (new rows, marked read; a list that changed) moves the count.
  document.addEventListener("htmx:afterRequest", function (event) {
    var asker = event.detail.requestConfig && event.detail.requestConfig.elt;
    if (asker && asker.matches && asker.matches(POLLERS) && event.detail.xhr && event.detail.xhr.status === 200) {
      attentionChanged();
    }
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

  // --- confirmations and the browser's time zone --------------------------------

  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });

  function fillTimeZone() {
    // Sign-in and the invitation page send the browser's IANA zone (issue 15); the server
    // stores it the first time, if it is a zone it knows.
    var zone = "";
    try { zone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { zone = ""; }
    document.querySelectorAll("input[data-time-zone]").forEach(function (input) { input.value = zone; });
  }

  // --- saved (canned) replies: a picker in the team's message box -------------------
  // "Insert reply", or "/" in an empty box, opens a combobox + listbox. The list comes from
  // the server when the picker opens, its placeholders already filled for this conversation
  // (plain text: it goes into the box as a value, never as HTML). Arrows move, Enter inserts,
  // Escape closes; focus returns to the message box.

  var picker = { root: null, replies: [], shown: [], active: -1 };

  function pickerParts(root) {
    return {
      button: root.querySelector("[data-reply-open]"),
      popup: root.querySelector("[data-reply-popup]"),
      filter: root.querySelector("[data-reply-filter]"),
      list: root.querySelector("[data-reply-options]"),
      status: root.querySelector("[data-reply-status]"),
      box: root.closest("form").querySelector("textarea")
    };
  }

  function setActive(index) {
    var p = pickerParts(picker.root);
    var items = p.list.children;
    picker.active = items.length ? (index + items.length) % items.length : -1;
    for (var i = 0; i < items.length; i++) { items[i].setAttribute("aria-selected", i === picker.active ? "true" : "false"); }
    if (picker.active >= 0) {
      p.filter.setAttribute("aria-activedescendant", items[picker.active].id);
      items[picker.active].scrollIntoView({ block: "nearest" });
    } else {
      p.filter.removeAttribute("aria-activedescendant");
    }
  }

  function renderReplies() {
    var p = pickerParts(picker.root);
    var words = p.filter.value.toLowerCase().split(/\s+/).filter(Boolean);
    picker.shown = picker.replies.filter(function (r) {
      var hay = (r.title + " " + r.text).toLowerCase();
      return words.every(function (w) { return hay.indexOf(w) !== -1; });
    });
    p.list.textContent = "";
    picker.shown.forEach(function (r, i) {
      var li = document.createElement("li");
      li.id = "reply-option-" + i;
      li.setAttribute("role", "option");
      var title = document.createElement("strong");
      title.textContent = r.title + (r.shared ? "" : " (yours)");
      var snippet = document.createElement("span");
      snippet.className = "reply-snippet";
      snippet.textContent = r.text;
      li.appendChild(title);
      li.appendChild(snippet);
      li.addEventListener("mousedown", function (event) { event.preventDefault(); insertReply(i); });
      p.list.appendChild(li);
    });
    p.status.textContent = picker.replies.length === 0 ? "No saved replies yet." :
      picker.shown.length === 0 ? "No reply matches." : "";
    setActive(0);
  }

  function openPicker(root) {
    var p = pickerParts(root);
    picker.root = root;
    picker.replies = [];
    p.popup.hidden = false;
    p.button.setAttribute("aria-expanded", "true");
    p.filter.setAttribute("aria-expanded", "true");
    p.filter.value = "";
    p.list.textContent = "";
    p.status.textContent = "Loading…";
    p.filter.focus();
    fetch(root.getAttribute("data-url"), { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) { throw new Error(String(response.status)); }
        return response.json();
      })
      .then(function (data) {
        if (picker.root !== root) { return; }
        picker.replies = data.replies || [];
        renderReplies();
      })
      .catch(function () { p.status.textContent = "Could not load the saved replies. Try again."; });
  }

  function closePicker(refocus) {
    if (!picker.root) { return; }
    var p = pickerParts(picker.root);
    p.popup.hidden = true;
    p.button.setAttribute("aria-expanded", "false");
    p.filter.setAttribute("aria-expanded", "false");
    p.filter.removeAttribute("aria-activedescendant");
    picker.root = null;
    if (refocus) { p.box.focus(); }
  }

  function insertReply(index) {
    var reply = picker.shown[index];
    if (!reply) { return; }
    var box = pickerParts(picker.root).box;
    var start = box.selectionStart, end = box.selectionEnd;
    box.value = box.value.slice(0, start) + reply.text + box.value.slice(end);
    closePicker(true);
    box.selectionStart = box.selectionEnd = start + reply.text.length;
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }

  document.addEventListener("click", function (event) {
    var opener = event.target.closest && event.target.closest("[data-reply-open]");
    if (opener) {
      var root = opener.closest("[data-reply-picker]");
      if (picker.root === root) { closePicker(true); } else { closePicker(false); openPicker(root); }
      return;
    }
    if (picker.root && !picker.root.contains(event.target)) { closePicker(false); }
  });

  document.addEventListener("keydown", function (event) {
    var target = event.target;
    if (event.key === "/" && target.matches && target.matches("textarea[data-enter-sends]") && target.value === "") {
      var root = target.form && target.form.querySelector("[data-reply-picker]");
      if (root) { event.preventDefault(); openPicker(root); }
      return;
    }
    if (!picker.root || !target.matches || !target.matches("[data-reply-filter]")) { return; }
    if (event.key === "ArrowDown") { event.preventDefault(); setActive(picker.active + 1); }
    else if (event.key === "ArrowUp") { event.preventDefault(); setActive(picker.active - 1); }
    else if (event.key === "Enter") { event.preventDefault(); insertReply(picker.active); }
    else if (event.key === "Escape") { event.preventDefault(); closePicker(true); }
    else if (event.key === "Tab") { closePicker(false); }
  });

  document.addEventListener("input", function (event) {
    if (picker.root && event.target.matches && event.target.matches("[data-reply-filter]")) { renderReplies(); }
  });

  // --- @mentions in an internal note: suggest the teammates the hint lists (issue 14) ---
  // The hint under the box names who can be mentioned in this conversation (server-rendered,
  // already checked); typing @ and a few letters with the note switch on offers them.
  // Arrow keys choose, Enter or Tab inserts, Escape closes. The server checks every mention.

  var mention = { box: null, list: null, start: -1, items: [], active: 0 };

  function mentionContext(box) {
    var form = box.form;
    var toggle = form && form.querySelector("input[name=internal]");
    if (!toggle || !toggle.checked) { return null; }
    var before = box.value.slice(0, box.selectionStart);
    var match = /(^|[^\w.+\-@])@([A-Za-z0-9._+\-]*)$/.exec(before);
    if (!match) { return null; }
    return { form: form, prefix: match[2].toLowerCase(), start: before.length - match[2].length - 1 };
  }

  function closeMentions() {
    if (mention.list) { mention.list.hidden = true; mention.list.textContent = ""; }
    if (mention.box) { mention.box.removeAttribute("aria-activedescendant"); }
    mention.box = mention.list = null;
    mention.items = [];
  }

  function renderMentions() {
    mention.list.textContent = "";
    mention.items.forEach(function (item, index) {
      var option = document.createElement("li");
      option.id = "mention-option-" + index;
      option.setAttribute("role", "option");
      option.setAttribute("aria-selected", index === mention.active ? "true" : "false");
      option.textContent = "@" + item.handle + " · " + item.name;
      option.addEventListener("mousedown", function (event) { event.preventDefault(); insertMention(index); });
      mention.list.appendChild(option);
    });
    mention.box.setAttribute("aria-activedescendant", "mention-option-" + mention.active);
    mention.list.hidden = false;
  }

  function insertMention(index) {
    var item = mention.items[index];
    var box = mention.box;
    if (!item || !box) { return; }
    var text = "@" + item.handle + " ";
    box.value = box.value.slice(0, mention.start) + text + box.value.slice(box.selectionStart);
    var caret = mention.start + text.length;
    box.setSelectionRange(caret, caret);
    closeMentions();
    box.focus();
  }

  document.addEventListener("input", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("textarea[data-enter-sends]")) { return; }
    var context = mentionContext(box);
    var list = context && context.form.querySelector("[data-mention-options]");
    if (!list) { closeMentions(); return; }
    var items = Array.prototype.map.call(context.form.querySelectorAll("[data-mention-handle]"), function (el) {
      return { handle: el.getAttribute("data-mention-handle"), name: el.getAttribute("data-mention-name") };
    }).filter(function (item) {
      return item.handle.indexOf(context.prefix) === 0 || item.name.toLowerCase().indexOf(context.prefix) === 0;
    });
    if (!items.length) { closeMentions(); return; }
    mention.box = box;
    mention.list = list;
    mention.start = context.start;
    mention.items = items;
    mention.active = 0;
    renderMentions();
  });

  // Capture phase: before "Enter sends", so Enter picks the teammate while the list is open.
  document.addEventListener("keydown", function (event) {
    if (!mention.box || event.target !== mention.box) { return; }
    var handled = true;
    if (event.key === "ArrowDown") { mention.active = (mention.active + 1) % mention.items.length; renderMentions(); }
    else if (event.key === "ArrowUp") {
      mention.active = (mention.active + mention.items.length - 1) % mention.items.length;
      renderMentions();
    }
    else if ((event.key === "Enter" && !event.shiftKey) || event.key === "Tab") { insertMention(mention.active); }
    else if (event.key === "Escape") { closeMentions(); }
    else { handled = false; }
    if (handled) { event.preventDefault(); event.stopImmediatePropagation(); }
  }, true);

  document.addEventListener("focusout", function (event) {
    if (mention.box && event.target === mention.box) { closeMentions(); }
  });

  // --- start ------------------------------------------------------------------

  document.addEventListener("htmx:load", function (event) { localizeTimes(event.detail.elt); });

  function start() {
    fillTimeZone();
    localizeTimes(document);
    setUpThread();
    setUpAttention();
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
