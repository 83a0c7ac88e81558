// Small progressive enhancements; every page works without them. No inline script (CSP: script-src 'self').
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var toggle = document.querySelector(".nav-toggle");
    var nav = document.getElementById("site-nav");
    if (toggle && nav) {
      toggle.addEventListener("click", function () {
        var open = nav.classList.toggle("open");
        toggle.setAttribute("aria-expanded", open ? "true" : "false");
      });
    }
    // A table wider than its box scrolls sideways: make that box reachable by keyboard and name it (WCAG 2.1.1;
    // axe "scrollable-region-focusable"). The one mechanism for every .table-wrap: only boxes that really scroll
    // become tab stops, re-checked on resize; the name is the box's data-scroll-label, else its table's caption (a
    // .chart-scroll figure: its figcaption or the chart's title).
    function markScrollableTables() {
      document.querySelectorAll(".table-wrap, .chart-scroll").forEach(function (wrap) {
        var scrolls = wrap.scrollWidth > wrap.clientWidth + 1;
        if (scrolls && !wrap.hasAttribute("tabindex")) {
          var caption = wrap.querySelector("caption, figcaption, svg > title");
          var label = wrap.getAttribute("data-scroll-label") ||
            (caption ? caption.textContent.trim() + " (scrolls sideways)" : "Table (scrolls sideways)");
          wrap.setAttribute("tabindex", "0");
          wrap.setAttribute("role", "region");
          wrap.setAttribute("aria-label", label);
          wrap.setAttribute("data-scroll-marked", "");
        } else if (!scrolls && wrap.hasAttribute("data-scroll-marked")) {
          ["tabindex", "role", "aria-label", "data-scroll-marked"].forEach(function (a) { wrap.removeAttribute(a); });
        }
      });
    }
    // Column-group choosers (fieldset[data-table]): hidden without JS, so every column shows; with JS each
    // unticked group's cells are hidden, and the choice is remembered in localStorage under data-storage-key
    // (the key names the signed-in user).
    document.querySelectorAll("fieldset[data-table]").forEach(function (chooser) {
      var table = document.getElementById(chooser.getAttribute("data-table"));
      if (!table) { return; }
      var key = chooser.getAttribute("data-storage-key");
      var boxes = chooser.querySelectorAll("input[type=checkbox]");
      var saved = null;
      try { saved = JSON.parse(window.localStorage.getItem(key) || "null"); } catch (e) { saved = null; }
      function apply() {
        var hidden = [];
        boxes.forEach(function (box) {
          if (!box.checked) { hidden.push(box.value); }
          table.querySelectorAll('[data-group="' + box.value + '"]').forEach(function (cell) { cell.hidden = !box.checked; });
        });
        try { window.localStorage.setItem(key, JSON.stringify(hidden)); } catch (e) { /* private mode: not kept */ }
        markScrollableTables();
      }
      if (Array.isArray(saved)) { boxes.forEach(function (box) { box.checked = saved.indexOf(box.value) === -1; }); }
      boxes.forEach(function (box) { box.addEventListener("change", apply); });
      chooser.hidden = false;
      apply();
    });
    markScrollableTables();
    window.addEventListener("resize", markScrollableTables);
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) { event.preventDefault(); }
      });
    });
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var target = document.querySelector(button.getAttribute("data-copy"));
        if (!target) { return; }
        var text = target.value !== undefined && target.tagName !== "CODE" ? target.value : target.textContent;
        if (navigator.clipboard) {
          navigator.clipboard.writeText(text).then(function () { button.textContent = "Copied"; });
        } else if (target.select) { target.select(); }
      });
    });
    // Colours that come from data (code colours) are applied through the CSSOM, which CSP allows.
    document.querySelectorAll("[data-color]").forEach(function (el) {
      var colour = el.getAttribute("data-color");
      if (/^#[0-9a-fA-F]{6}$/.test(colour)) { el.style.setProperty("--code-color", colour); }
    });
    var summary = document.querySelector(".error-summary");
    if (summary) { summary.focus(); }
  });
}());
