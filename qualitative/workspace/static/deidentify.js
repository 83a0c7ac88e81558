// De-identification page and speaker mapping: progressive enhancements (the forms work without them).
// Manual redaction from a selection: UTF-16 offsets within one utterance are sent; the server converts them.
(function () {
  "use strict";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";

  function utteranceOf(node) {
    while (node && node !== document) {
      if (node.nodeType === 1 && node.classList.contains("utterance")) { return node; }
      node = node.parentNode;
    }
    return null;
  }

  function offsetIn(el, node, offset) {
    var range = document.createRange();
    range.selectNodeContents(el);
    range.setEnd(node, offset);
    return range.toString().length;
  }

  var bar = document.querySelector(".redact-bar");
  var button = document.getElementById("redact-selection");
  var chosen = null;  // the last selection inside one utterance: kept while the replacement is typed
  if (bar && button) {
    bar.hidden = false;
    var message = bar.querySelector(".redact-message");
    document.addEventListener("selectionchange", function () {
      var sel = window.getSelection();
      var el = sel && sel.rangeCount ? utteranceOf(sel.anchorNode) : null;
      if (!el || sel.isCollapsed || utteranceOf(sel.focusNode) !== el) { return; }
      var a = offsetIn(el, sel.anchorNode, sel.anchorOffset), b = offsetIn(el, sel.focusNode, sel.focusOffset);
      chosen = { turnId: Number(el.getAttribute("data-turn-id")), start: Math.min(a, b), end: Math.max(a, b) };
      message.textContent = "Selected: “" + sel.toString() + "”";
    });
    button.addEventListener("click", function () {
      if (!chosen) {
        message.textContent = "Select text inside one utterance of the transcript below first.";
        return;
      }
      fetch(button.getAttribute("data-url"), {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRFToken": csrf },
        body: JSON.stringify({ turn_id: chosen.turnId, start: chosen.start, end: chosen.end,
          replacement: document.getElementById("redact-replacement").value })
      }).then(function (response) {
        return response.json().then(function (data) { return { ok: response.ok, data: data }; });
      }).then(function (result) {
        if (!result.ok) { message.textContent = result.data.error || result.data.detail || "Not added."; return; }
        window.location.reload();
      }).catch(function () { message.textContent = "The server could not be reached; nothing was added."; });
    });
  }

  // speaker mapping: show the new-participant fields only when "New participant…" is chosen
  document.querySelectorAll("select[data-new-target]").forEach(function (select) {
    var target = document.getElementById(select.getAttribute("data-new-target"));
    if (!target) { return; }
    function sync() { target.hidden = select.value !== "new"; }
    select.addEventListener("change", sync);
    sync();
  });
}());
