/* The queue page: row highlight (j/k), select (x), open (o/Enter), bulk selection and polling.
 *
 * Shortcut keys are declared in the markup (data-shortcut on hidden buttons, handled by the
 * shell's app.js, which also lists them under "?"); this file does what they trigger. The rows
 * are re-read by htmx every few seconds; a poll is skipped while tickets are ticked or a menu is
 * open, so a refresh never drops the agent's selection or a half-filled bulk form.
 */
(function () {
  "use strict";

  var currentId = null;

  function results() { return document.getElementById("queue-results"); }
  function rows() {
    var box = results();
    return box ? Array.prototype.slice.call(box.querySelectorAll("tbody tr[data-ticket-id]")) : [];
  }
  function boxes() {
    var box = results();
    return box ? Array.prototype.slice.call(box.querySelectorAll('input[name="ticket"]')) : [];
  }
  function ticked() { return boxes().filter(function (el) { return el.checked; }); }
  function currentRow() {
    if (!currentId) return null;
    return rows().filter(function (row) { return row.getAttribute("data-ticket-id") === currentId; })[0] || null;
  }

  function highlight(row, focus) {
    rows().forEach(function (other) {
      var on = other === row;
      other.classList.toggle("is-current", on);
      if (on) other.setAttribute("aria-current", "true"); else other.removeAttribute("aria-current");
    });
    currentId = row ? row.getAttribute("data-ticket-id") : null;
    if (row && focus) {
      var link = row.querySelector("[data-ticket-link]");
      if (link) link.focus({ preventScroll: true });
      row.scrollIntoView({ block: "nearest" });
    }
  }

  function move(step) {
    var list = rows();
    if (!list.length) return;
    var index = list.indexOf(currentRow());
    index = index === -1 ? (step > 0 ? 0 : list.length - 1) : Math.min(list.length - 1, Math.max(0, index + step));
    highlight(list[index], true);
  }

  function toggleCurrent() {
    var row = currentRow();
    var box = row && row.querySelector('input[name="ticket"]');
    if (!box) return;
    box.checked = !box.checked;
    box.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function openCurrent() {
    var row = currentRow();
    var link = row && row.querySelector("[data-ticket-link]");
    if (link) window.location.assign(link.href);
  }

  function syncSelection() {
    var all = boxes();
    var count = ticked().length;
    var form = document.querySelector("[data-bulk-form]");
    if (form) form.classList.toggle("has-selection", count > 0);
    var label = document.querySelector("[data-bulk-count]");
    if (label) label.textContent = count ? count + " selected" : "Select tickets to act on them";
    rows().forEach(function (row) {
      var box = row.querySelector('input[name="ticket"]');
      row.classList.toggle("is-selected", !!(box && box.checked));
    });
    var selectAll = document.querySelector("[data-select-all]");
    if (selectAll) {
      selectAll.checked = count > 0 && count === all.length;
      selectAll.indeterminate = count > 0 && count < all.length;
    }
  }

  function closeMenus(except) {
    document.querySelectorAll(".queue details.menu[open]").forEach(function (menu) {
      if (menu !== except) menu.removeAttribute("open");
    });
  }

  document.addEventListener("click", function (event) {
    var key = event.target.closest("[data-queue-key]");
    if (key) {
      var action = key.getAttribute("data-queue-key");
      if (action === "next") move(1);
      else if (action === "previous") move(-1);
      else if (action === "toggle") toggleCurrent();
      else if (action === "open") openCurrent();
      return;
    }
    if (!event.target.closest(".queue details.menu")) closeMenus(null);
    var row = event.target.closest("#queue-results tbody tr[data-ticket-id]");
    if (row) highlight(row, false);
  });

  document.addEventListener("toggle", function (event) {
    if (event.target.matches && event.target.matches(".queue details.menu") && event.target.open) {
      closeMenus(event.target);
      var first = event.target.querySelector("select, input");
      if (first) first.focus();
    }
  }, true);

  document.addEventListener("change", function (event) {
    if (event.target.matches("[data-select-all]")) {
      boxes().forEach(function (box) { box.checked = event.target.checked; });
    }
    if (event.target.matches('[data-select-all], #queue-results input[name="ticket"]')) syncSelection();
  });

  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      var open = document.querySelector(".queue details.menu[open]");
      if (open) {
        open.removeAttribute("open");
        var summary = open.querySelector("summary");
        if (summary) summary.focus();
      }
      return;
    }
    if (event.key !== "Enter" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    // Enter in a bulk menu's field applies that menu's action, never the first button of the form.
    var panel = target.closest && target.closest("[data-bulk-form] .menu__panel");
    if (panel && target.tagName === "INPUT") {
      event.preventDefault();
      var button = panel.querySelector('button[type="submit"]');
      if (button) button.click();
      return;
    }
    var interactive = target.closest && target.closest("a, button, input, select, textarea, summary, [contenteditable]");
    if (!interactive && currentRow()) {
      event.preventDefault();
      openCurrent();
    }
  });

  // One submit per click: a double click would otherwise post the same bulk action twice.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.matches("[data-bulk-form]")) return;
    if (form.getAttribute("data-submitting")) {
      event.preventDefault();
      return;
    }
    form.setAttribute("data-submitting", "true");
  });

  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (!elt || elt.id !== "queue-results") return;
    if (ticked().length || document.querySelector(".queue details.menu[open]") || document.hidden) {
      event.preventDefault();
    }
  });

  document.addEventListener("htmx:afterSwap", function (event) {
    if (!event.detail || !event.detail.target || event.detail.target.id !== "queue-results") return;
    var hadFocus = document.activeElement === document.body;
    var row = currentRow();
    highlight(row, hadFocus && !!row);
    syncSelection();
  });

  document.addEventListener("DOMContentLoaded", syncSelection);
})();
