/* The web shell's own behaviour: keyboard shortcuts and their help dialog.
 *
 * A page declares a shortcut on the control it triggers:
 *   <a href="…" data-shortcut="g q" data-shortcut-label="Go to the queues">
 * Keys separated by a space are pressed one after the other (within a second). A link or button
 * is clicked; a text field, select or other focusable element is focused. "?" lists every
 * shortcut of the page. Shortcuts never fire while typing in a field (Escape leaves the field).
 */
(function () {
  "use strict";

  var pending = "";
  var pendingTimer = null;

  function isTyping(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function shortcuts() {
    return Array.prototype.slice.call(document.querySelectorAll("[data-shortcut]")).filter(function (el) {
      return !el.closest("[hidden]") && !el.disabled;
    });
  }

  function trigger(el) {
    var tag = el.tagName.toLowerCase();
    if (tag === "a" || tag === "button" || (tag === "input" && (el.type === "submit" || el.type === "button"))) {
      el.click();
    } else {
      el.focus();
      if (el.scrollIntoView) el.scrollIntoView({ block: "nearest" });
    }
  }

  function showHelp() {
    var dialog = document.getElementById("shortcuts-dialog");
    if (!dialog) return;
    var list = dialog.querySelector("[data-shortcut-list]");
    list.querySelectorAll("tr[data-generated]").forEach(function (row) { row.remove(); });
    // One row per action: "j or ]" when two keys do the same thing.
    var actions = [];
    var byLabel = {};
    shortcuts().forEach(function (el) {
      var keys = el.getAttribute("data-shortcut");
      var label = el.getAttribute("data-shortcut-label") || el.textContent.trim();
      if (!byLabel[label]) {
        byLabel[label] = { label: label, keys: [] };
        actions.push(byLabel[label]);
      }
      if (byLabel[label].keys.indexOf(keys) === -1) byLabel[label].keys.push(keys);
    });
    actions.forEach(function (action) {
      var row = document.createElement("tr");
      row.setAttribute("data-generated", "");
      var keyCell = document.createElement("td");
      action.keys.forEach(function (keys, alternative) {
        if (alternative) keyCell.appendChild(document.createTextNode(" or "));
        keys.split(" ").forEach(function (key, index) {
          if (index) keyCell.appendChild(document.createTextNode(" then "));
          var kbd = document.createElement("kbd");
          kbd.textContent = key;
          keyCell.appendChild(kbd);
        });
      });
      var labelCell = document.createElement("td");
      labelCell.textContent = action.label;
      row.appendChild(keyCell);
      row.appendChild(labelCell);
      list.appendChild(row);
    });
    if (typeof dialog.showModal === "function") dialog.showModal();
    // Start at the top (the heading), not at the Close button below the list.
    var heading = dialog.querySelector("h2");
    if (heading) heading.focus();
    dialog.scrollTop = 0;
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (event.key === "Escape" && isTyping(event.target)) {
      event.target.blur();
      return;
    }
    if (isTyping(event.target)) return;
    if (document.querySelector("dialog[open]") && event.key !== "?") return;
    if (event.key === "?") {
      event.preventDefault();
      showHelp();
      return;
    }
    if (event.key.length !== 1) return;
    var sequence = pending ? pending + " " + event.key : event.key;
    var all = shortcuts();
    var exact = all.filter(function (el) { return el.getAttribute("data-shortcut") === sequence; });
    var prefix = all.some(function (el) { return el.getAttribute("data-shortcut").indexOf(sequence + " ") === 0; });
    clearTimeout(pendingTimer);
    if (exact.length) {
      pending = "";
      event.preventDefault();
      trigger(exact[0]);
    } else if (prefix) {
      pending = sequence;
      pendingTimer = setTimeout(function () { pending = ""; }, 1000);
      event.preventDefault();
    } else {
      pending = "";
    }
  });
})();
