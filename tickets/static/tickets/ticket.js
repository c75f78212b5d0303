/* The ticket page: composer modes, canned responses, preview, tabs, dialogs and presence.
 *
 * Everything here enhances plain forms that also work without JavaScript. Shortcuts are declared
 * in the markup (data-shortcut) and handled by helpdesk/app.js.
 */
(function () {
  "use strict";

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    var root = document.querySelector("[data-ticket-page]");
    if (!root) return;
    var composer = document.querySelector("[data-composer]");
    var body = composer && composer.querySelector("[data-composer-body]");
    var presenceMode = document.getElementById("presence-mode");

    /* --- composer: public reply or internal note --------------------------------------------- */
    function currentVisibility() {
      var checked = composer && composer.querySelector("input[name=visibility]:checked");
      return checked ? checked.value : "public";
    }
    function applyVisibility() {
      if (!composer) return;
      var visibility = currentVisibility();
      composer.classList.toggle("composer--internal", visibility === "internal");
      composer.classList.toggle("composer--public", visibility !== "internal");
      composer.querySelectorAll("[data-public-only]").forEach(function (el) {
        el.hidden = visibility === "internal";
      });
      var hintPublic = composer.querySelector("[data-hint-public]");
      var hintInternal = composer.querySelector("[data-hint-internal]");
      if (hintPublic) hintPublic.hidden = visibility === "internal";
      if (hintInternal) hintInternal.hidden = visibility !== "internal";
      if (body) {
        body.placeholder = visibility === "internal" ? "Write an internal note… (Markdown)" : "Write your reply… (Markdown)";
      }
    }
    if (composer) {
      composer.addEventListener("change", function (event) {
        if (event.target.name === "visibility") applyVisibility();
      });
      applyVisibility();
    }
    document.querySelectorAll("[data-compose]").forEach(function (button) {
      button.addEventListener("click", function () {
        var radio = composer && composer.querySelector("input[name=visibility][value=" + button.getAttribute("data-compose") + "]");
        if (radio) {
          radio.checked = true;
          applyVisibility();
        }
        if (body) {
          body.focus();
          body.scrollIntoView({ block: "center" });
        }
      });
    });

    /* --- canned responses: insert at the cursor ----------------------------------------------- */
    var cannedData = document.getElementById("canned-bodies");
    var cannedBodies = cannedData ? JSON.parse(cannedData.textContent) : {};
    var cannedSelect = document.querySelector("[data-canned-select]");
    var cannedInsert = document.querySelector("[data-canned-insert]");
    if (cannedInsert && cannedSelect && body) {
      cannedInsert.addEventListener("click", function () {
        var text = cannedBodies[cannedSelect.value];
        if (!text) return;
        var start = body.selectionStart, end = body.selectionEnd;
        if (document.activeElement !== body && body.value && start === body.value.length) {
          text = (body.value.endsWith("\n") ? "" : "\n\n") + text;
        }
        body.setRangeText(text, start, end, "end");
        body.dispatchEvent(new Event("input", { bubbles: true }));
        cannedSelect.value = "";
        body.focus();
      });
    }

    /* --- knowledge-assisted replies: insert a help-centre article link ---------------------- */
    document.addEventListener("keydown", function (event) {
      // Enter in the article search must not send the reply it sits in.
      if (event.key === "Enter" && event.target.matches("[data-kb-insert-query]")) event.preventDefault();
    });
    document.addEventListener("click", function (event) {
      var button = event.target.closest("[data-insert-link]");
      if (!button || !body) return;
      var text = button.getAttribute("data-insert-link");
      var start = body.selectionStart, end = body.selectionEnd;
      if (start > 0 && !/\s$/.test(body.value.slice(0, start))) text = " " + text;
      body.setRangeText(text, start, end, "end");
      body.dispatchEvent(new Event("input", { bubbles: true }));
      button.textContent = "Inserted";
    });

    /* --- preview ------------------------------------------------------------------------------ */
    var preview = document.getElementById("composer-preview");
    if (preview) {
      document.body.addEventListener("htmx:afterSwap", function (event) {
        if (event.detail.target === preview) {
          preview.hidden = false;
          if (body) body.closest(".field").hidden = true;
        }
      });
      preview.addEventListener("click", function (event) {
        if (event.target.closest("[data-preview-close]")) {
          preview.hidden = true;
          if (body) {
            body.closest(".field").hidden = false;
            body.focus();
          }
        }
      });
    }

    /* --- tabs: conversation and history ------------------------------------------------------- */
    var tabs = Array.prototype.slice.call(document.querySelectorAll("[data-tab]"));
    function selectTab(tab) {
      tabs.forEach(function (other) {
        var selected = other === tab;
        other.setAttribute("aria-selected", selected ? "true" : "false");
        other.tabIndex = selected ? 0 : -1;
        document.getElementById(other.getAttribute("aria-controls")).hidden = !selected;
      });
    }
    tabs.forEach(function (tab, index) {
      tab.addEventListener("click", function () { selectTab(tab); });
      tab.addEventListener("keydown", function (event) {
        if (event.key !== "ArrowRight" && event.key !== "ArrowLeft") return;
        var next = tabs[(index + (event.key === "ArrowRight" ? 1 : tabs.length - 1)) % tabs.length];
        selectTab(next);
        next.focus();
      });
    });

    /* --- dialogs: their forms load on first opening --------------------------------------------- */
    function focusFirstField(dialog) {
      var field = dialog.querySelector(".field--invalid input, .field--invalid textarea, .field--invalid select")
        || dialog.querySelector("input:not([type=hidden]), select, textarea");
      if (field) field.focus();
    }
    document.querySelectorAll("[data-open-dialog]").forEach(function (button) {
      button.addEventListener("click", function () {
        var dialog = document.getElementById(button.getAttribute("data-open-dialog"));
        var more = button.closest("details");
        if (more) more.open = false;
        if (!dialog || dialog.open) return;
        dialog.showModal();
        var dialogBody = dialog.querySelector("[data-dialog-body][hx-get]");
        if (dialogBody && window.htmx) window.htmx.trigger(dialogBody, "dialog-open");
        else focusFirstField(dialog);
      });
    });
    document.body.addEventListener("htmx:afterSwap", function (event) {
      var dialog = event.detail.target.closest && event.detail.target.closest("dialog");
      if (dialog && event.detail.target.hasAttribute("data-dialog-body")) focusFirstField(dialog);
    });
    document.addEventListener("click", function (event) {
      var closer = event.target.closest && event.target.closest("[data-close-dialog]");
      if (closer) closer.closest("dialog").close();
    });
    var toOpen = document.querySelector("dialog[data-open-on-load]");
    if (toOpen) {
      toOpen.showModal();
      focusFirstField(toOpen);
    }
    var invalidComposer = composer && composer.querySelector(".field--invalid textarea, .alert");
    if (invalidComposer && !toOpen) composer.scrollIntoView({ block: "center" });

    /* --- presence: viewing or replying, cleared when leaving ---------------------------------- */
    function setMode(mode) {
      if (!presenceMode || presenceMode.value === mode) return;
      presenceMode.value = mode;
      if (window.htmx) window.htmx.trigger(document.body, "presence-change");
    }
    function updateMode() {
      var replying = body && (document.activeElement === body || body.value.trim() !== "");
      setMode(replying ? "replying" : "viewing");
    }
    if (body) {
      body.addEventListener("focus", updateMode);
      body.addEventListener("blur", updateMode);
      body.addEventListener("input", updateMode);
      if (body.value.trim()) updateMode();
    }
    window.addEventListener("pagehide", function () {
      var data = new FormData();
      data.append("mode", "left");
      data.append("csrfmiddlewaretoken", root.getAttribute("data-csrf"));
      if (navigator.sendBeacon) navigator.sendBeacon(root.getAttribute("data-presence-url"), data);
    });
  });
})();
