/* DesignPi Support chat widget (issue 12). A company adds one line to its own site:
 *
 *   <script src="https://support.example.com/static/widget.js" defer></script>
 *
 * It adds a "Chat with us" button in the bottom corner; the button opens a panel with the
 * contact chat (https://support.example.com/contact/widget/) in a frame. The support site
 * only lets the sites in its WIDGET_ALLOWED_ORIGINS frame that page (README, "Contact chat
 * and widget"). Nothing here reads or sends anything of the host page: the chat lives in
 * the frame, on the support site's origin. Options, as data- attributes on the script tag:
 *   data-label="Questions?"      the button's text (default "Chat with us")
 *   data-position="left"         bottom-left instead of bottom-right
 */
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || window.__designpiWidget) return;
  window.__designpiWidget = true;

  var origin = new URL(script.src, document.baseURI).origin;
  var label = script.getAttribute("data-label") || "Chat with us";
  var side = script.getAttribute("data-position") === "left" ? "left" : "right";
  var brand = "#2553b8";
  var panelId = "designpi-chat-panel";

  function css(el, styles) {
    for (var key in styles) el.style[key] = styles[key];
    return el;
  }

  var launcher = css(document.createElement("button"), {
    position: "fixed", bottom: "20px", zIndex: "2147483000", padding: "12px 18px",
    border: "0", borderRadius: "999px", background: brand, color: "#fff", cursor: "pointer",
    font: "600 15px/1.2 system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    boxShadow: "0 4px 14px rgba(16, 24, 40, .25)"
  });
  launcher.style[side] = "20px";
  launcher.type = "button";
  launcher.textContent = label;
  launcher.setAttribute("aria-expanded", "false");
  launcher.setAttribute("aria-controls", panelId);
  launcher.setAttribute("data-designpi-launcher", "");

  var panel = css(document.createElement("div"), {
    position: "fixed", bottom: "84px", zIndex: "2147483001", width: "min(400px, calc(100vw - 24px))",
    height: "min(620px, calc(100vh - 110px))", background: "#fff", borderRadius: "12px", overflow: "hidden",
    boxShadow: "0 12px 40px rgba(16, 24, 40, .3)", display: "none", flexDirection: "column"
  });
  panel.style[side] = "12px";
  panel.id = panelId;
  panel.setAttribute("role", "dialog");
  panel.setAttribute("aria-label", "Chat with support");
  panel.setAttribute("data-designpi-panel", "");

  var bar = css(document.createElement("div"), {
    display: "flex", justifyContent: "flex-end", padding: "4px", background: "#f5f7fa",
    borderBottom: "1px solid #dde3ea"
  });
  var close = css(document.createElement("button"), {
    border: "0", background: "transparent", cursor: "pointer", padding: "6px 10px", borderRadius: "6px",
    font: "600 14px/1 system-ui, sans-serif", color: "#1c2733"
  });
  close.type = "button";
  close.textContent = "Close ✕";
  close.setAttribute("aria-label", "Close the chat");
  bar.appendChild(close);
  panel.appendChild(bar);

  var frame = null;

  function open() {
    if (!frame) {
      frame = css(document.createElement("iframe"), { border: "0", width: "100%", flex: "1 1 auto" });
      frame.title = "Chat with support";
      frame.src = origin + "/contact/widget/";
      frame.setAttribute("data-designpi-frame", "");
      panel.appendChild(frame);
    }
    panel.style.display = "flex";
    launcher.setAttribute("aria-expanded", "true");
    close.focus();
  }

  function shut() {
    panel.style.display = "none";
    launcher.setAttribute("aria-expanded", "false");
    launcher.focus();
  }

  launcher.addEventListener("click", function () {
    if (panel.style.display === "none") open(); else shut();
  });
  close.addEventListener("click", shut);
  panel.addEventListener("keydown", function (event) {
    if (event.key === "Escape") shut();
  });

  function mount() {
    document.body.appendChild(panel);
    document.body.appendChild(launcher);
  }
  if (document.body) mount(); else document.addEventListener("DOMContentLoaded", mount);
})();
