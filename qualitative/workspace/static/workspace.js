// Coding workspace: select text in a turn or across turns (mouse or keyboard), apply codes (several at once, by
// digit shortcut, or in vivo), see codings highlighted and in the margin, edit or remove one's own codings, undo
// and redo, search the transcript. Offsets sent to the server are UTF-16 code units within a turn's utterance
// (what DOM ranges count): a selection is (turn_id, start) to (end_turn_id, end); the server converts to code points.
// No inline script or style (CSP): colours go through el.style.setProperty.
(function () {
  "use strict";

  var root = document.querySelector("[data-workspace]");
  if (!root) { return; }
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  var canCode = root.getAttribute("data-can-code") === "true";
  var statusEl = document.getElementById("ws-status");
  var selectionInfo = document.querySelector(".selection-info");
  var detail = document.getElementById("coding-detail");
  var codeList = document.getElementById("code-list");
  var codeSearch = document.getElementById("code-search");
  var searchInput = document.getElementById("ws-search");
  var showOthers = document.getElementById("ws-show-others");

  var state = {
    codings: [],
    codes: {},          // id -> {label, color}
    selection: null,    // {el, turnId, start, end} in UTF-16 units of the utterance
    caret: null,        // keyboard selection {el, anchor, focus}
    active: null,       // id of the coding shown in the detail panel
    search: { query: "", hits: [], index: -1 },
    signature: "",
    etag: null          // validator of the codings last loaded in full: a poll sends it and gets 304 if unchanged
  };

  var utterances = Array.prototype.slice.call(document.querySelectorAll(".utterance[data-turn-id]"));
  var byTurn = {};
  utterances.forEach(function (el) {
    el.__text = el.textContent;
    byTurn[el.getAttribute("data-turn-id")] = el;
  });
  document.querySelectorAll("#code-list li[data-code-id]").forEach(function (li) {
    var colour = li.getAttribute("data-color");
    state.codes[li.getAttribute("data-code-id")] = { label: li.getAttribute("data-label"), color: colour };
    if (/^#[0-9a-fA-F]{6}$/.test(colour)) { li.style.setProperty("--code-color", colour); }
  });

  function say(message, isError) {
    if (!statusEl) { return; }
    statusEl.textContent = message || "";
    statusEl.classList.toggle("error", !!isError);
  }

  function setColour(el, colour) {
    if (colour && /^#[0-9a-fA-F]{6}$/.test(colour)) { el.style.setProperty("--code-color", colour); }
  }

  // --- talking to the server ---------------------------------------------------------------------------------
  function request(method, url, body, etag, undoKind) {
    var options = { method: method, credentials: "same-origin", cache: "no-store",
      headers: { "Accept": "application/json", "X-CSRFToken": csrf } };
    if (undoKind) { options.headers["X-Coding-Undo"] = undoKind; }
    if (body !== undefined) {
      options.headers["Content-Type"] = "application/json";
      options.body = JSON.stringify(body);
    }
    if (etag) { options.headers["If-None-Match"] = etag; }
    return fetch(url, options).then(function (response) {
      if (response.status === 304) {
        return { ok: true, status: 304, data: {}, etag: etag };
      }
      return response.json().catch(function () { return {}; }).then(function (data) {
        return { ok: response.ok, status: response.status, data: data, etag: response.headers.get("ETag") };
      });
    });
  }

  function idUrl(attribute, id) {
    return root.getAttribute(attribute).replace(/\/0(\/|$)/, "/" + id + "$1");
  }

  // a full load (first time, after a refused change) or a poll: with the ETag held, an unchanged document
  // answers 304 and nothing is sent or redrawn
  function load(quiet, full) {
    return request("GET", root.getAttribute("data-codings-url"), undefined, full ? null : state.etag).then(function (result) {
      if (!result.ok) { if (!quiet) { say(result.data.detail || result.data.error || "Could not load the codings.", true); } return; }
      if (result.status === 304) { return; }
      state.etag = result.etag || null;
      setCodings(result.data.codings || []);
    }).catch(function () { if (!quiet) { say("The server could not be reached; codings may be out of date.", true); } });
  }

  function signatureOf(codings) {
    return codings.map(function (c) { return c.id + ":" + c.version + ":" + c.code_id + ":" + c.memos; }).join(",");
  }

  function setCodings(codings) {
    var signature = signatureOf(codings);
    state.codings = codings;
    if (signature === state.signature) { return; }
    state.signature = signature;
    renderAll();
    refreshDetail();
  }

  function refreshDetail() {
    if (state.active !== null) {
      var still = findCoding(state.active);
      if (still) { openDetail(still, null, true); } else { closeDetail(false); }
    }
  }

  function byPosition(x, y) { return (x.start - y.start) || (x.end - y.end) || (x.id - y.id); }

  // what a change answered (the created or changed codings, the removed ids) applied to what the page holds;
  // only the turns those codings touch (before and after) are redrawn
  function applyDelta(upserts, removedIds) {
    var touched = {};
    function touch(c) { if (c) { c.pieces.forEach(function (p) { touched[p.turn_id] = true; }); } }
    var gone = {};
    (removedIds || []).forEach(function (id) { gone[id] = true; });
    (upserts || []).forEach(function (c) { gone[c.id] = true; touch(c); });
    state.codings = state.codings.filter(function (c) {
      if (gone[c.id]) { touch(c); return false; }
      return true;
    }).concat(upserts || []).sort(byPosition);
    state.signature = signatureOf(state.codings);
    state.etag = null;  // what the page holds now differs from the last full load: the next poll loads in full
    renderTurns(Object.keys(touched));
  }

  function findCoding(id) {
    for (var i = 0; i < state.codings.length; i += 1) { if (state.codings[i].id === id) { return state.codings[i]; } }
    return null;
  }

  // --- rendering ---------------------------------------------------------------------------------------------
  function visibleCodings() {
    var others = !showOthers || showOthers.checked;
    return state.codings.filter(function (c) { return others || c.mine; });
  }

  function renderTurn(el, codings) {
    var text = el.__text;
    var turnId = Number(el.getAttribute("data-turn-id"));
    var spans = [];
    codings.forEach(function (c) {
      c.pieces.forEach(function (p) { if (p.turn_id === turnId) { spans.push({ start: p.start, end: p.end, coding: c }); } });
    });
    var hits = state.search.hits.filter(function (h) { return h.el === el; });
    var cuts = [0, text.length];
    spans.forEach(function (s) { cuts.push(s.start, s.end); });
    hits.forEach(function (h) { cuts.push(h.start, h.end); });
    cuts = cuts.filter(function (v, i, all) { return v >= 0 && v <= text.length && all.indexOf(v) === i; })
      .sort(function (a, b) { return a - b; });
    var fragment = document.createDocumentFragment();
    for (var i = 0; i < cuts.length - 1; i += 1) {
      var a = cuts[i], b = cuts[i + 1];
      if (a === b) { continue; }
      var piece = document.createTextNode(text.slice(a, b));
      var covering = spans.filter(function (s) { return s.start <= a && b <= s.end; });
      var node = piece;
      var hit = hits.filter(function (h) { return h.start <= a && b <= h.end; })[0];
      if (hit) {
        var mark = document.createElement("mark");
        mark.className = "search-hit" + (state.search.hits[state.search.index] === hit ? " current" : "");
        mark.appendChild(node);
        node = mark;
      }
      if (covering.length) {
        covering.sort(function (x, y) { return (x.end - x.start) - (y.end - y.start); });
        var span = document.createElement("span");
        span.className = "hl" + (covering.length > 1 ? " multi" : "");
        span.setAttribute("data-codings", covering.map(function (s) { return s.coding.id; }).join(" "));
        var code = state.codes[covering[0].coding.code_id];
        setColour(span, code && code.color);
        if (state.active !== null && covering.some(function (s) { return s.coding.id === state.active; })) {
          span.classList.add("active");
        }
        span.title = covering.map(function (s) {
          var c = state.codes[s.coding.code_id];
          return (c ? c.label : "code") + " (" + s.coding.initials + ")";
        }).join("; ");
        span.appendChild(node);
        node = span;
      }
      fragment.appendChild(node);
    }
    el.textContent = "";
    el.appendChild(fragment);
  }

  function renderMargin(list, codings) {
    var turnId = Number(list.getAttribute("data-turn-id"));
    list.textContent = "";
    codings.forEach(function (c) {
      if (!c.pieces.length || c.pieces[0].turn_id !== turnId) { return; }
      var code = state.codes[c.code_id] || { label: "code " + c.code_id, color: "#999999" };
      var li = document.createElement("li");
      li.id = "coding-" + c.id;
      li.className = "coding-label " + (c.mine ? "mine" : "theirs") + (state.active === c.id ? " active" : "");
      setColour(li, code.color);
      var stripe = document.createElement("span");
      stripe.className = "stripe";
      stripe.setAttribute("aria-hidden", "true");
      var button = document.createElement("button");
      button.type = "button";
      button.className = "coding-button";
      button.textContent = code.label;
      button.setAttribute("aria-label", code.label + ", coded by " + c.coder + (c.mine ? " (you)" : "") + ": show");
      button.addEventListener("click", function () { openDetail(c, button); });
      var coder = document.createElement("abbr");
      coder.className = "coder";
      coder.title = c.coder;
      coder.textContent = c.initials;
      li.appendChild(stripe);
      li.appendChild(button);
      li.appendChild(coder);
      if (c.pieces.length > 1) {
        var across = document.createElement("span");
        across.className = "across";
        across.textContent = "↧ " + c.pieces.length + " turns";
        li.appendChild(across);
      }
      if (c.memos) {
        var memos = document.createElement("span");
        memos.className = "memo-count";
        memos.textContent = c.memos + (c.memos === 1 ? " memo" : " memos");
        li.appendChild(memos);
      }
      list.appendChild(li);
    });
  }

  function renderAll() {
    var codings = visibleCodings();
    utterances.forEach(function (el) { renderTurn(el, codings); });
    document.querySelectorAll("ul.margin[data-turn-id]").forEach(function (list) { renderMargin(list, codings); });
    updateCounts();
  }

  function renderTurns(turnIds) {
    var codings = visibleCodings();
    turnIds.forEach(function (turnId) {
      if (byTurn[turnId]) { renderTurn(byTurn[turnId], codings); }
      var list = document.querySelector('ul.margin[data-turn-id="' + turnId + '"]');
      if (list) { renderMargin(list, codings); }
    });
    updateCounts();
  }

  // --- offsets within an utterance (UTF-16 code units, as DOM ranges count) ---------------------------------
  function offsetIn(el, node, offset) {
    var range = document.createRange();
    range.selectNodeContents(el);
    range.setEnd(node, offset);
    return range.toString().length;
  }

  function domPoint(el, target) {
    var walker = document.createTreeWalker(el, NodeFilter.SHOW_TEXT, null);
    var seen = 0, node = walker.nextNode(), last = null;
    while (node) {
      var length = node.nodeValue.length;
      if (seen + length >= target) { return { node: node, offset: target - seen }; }
      seen += length;
      last = node;
      node = walker.nextNode();
    }
    return last ? { node: last, offset: last.nodeValue.length } : { node: el, offset: 0 };
  }

  function utteranceOf(node) {
    while (node && node !== document) {
      if (node.nodeType === 1 && node.classList.contains("utterance")) { return node; }
      node = node.parentNode;
    }
    return null;
  }

  function readSelection() {
    var sel = window.getSelection();
    if (!sel || sel.rangeCount === 0 || sel.isCollapsed) { state.selection = null; showSelection(); return; }
    var a = utteranceOf(sel.anchorNode), f = utteranceOf(sel.focusNode);
    if (!a || !f) {
      state.selection = null;
      showSelection(a || f ? "Start and end the selection inside what speakers said (not on a speaker's name or the margin)." : null);
      return;
    }
    var start = offsetIn(a, sel.anchorNode, sel.anchorOffset);
    var end = offsetIn(f, sel.focusNode, sel.focusOffset);
    if (a === f) {
      state.selection = { el: a, turnId: Number(a.getAttribute("data-turn-id")), start: Math.min(start, end),
        endEl: a, endTurnId: Number(a.getAttribute("data-turn-id")), end: Math.max(start, end) };
    } else {
      var forward = utterances.indexOf(a) < utterances.indexOf(f);
      var first = forward ? a : f, last = forward ? f : a;
      state.selection = { el: first, turnId: Number(first.getAttribute("data-turn-id")), start: forward ? start : end,
        endEl: last, endTurnId: Number(last.getAttribute("data-turn-id")), end: forward ? end : start };
    }
    showSelection();
  }

  function showSelection(message) {
    if (!selectionInfo) { return; }
    if (message) { selectionInfo.textContent = message; return; }
    if (!state.selection) {
      selectionInfo.textContent = "Select text in one turn with the mouse, or focus a turn (Tab) and press Shift+arrow keys.";
      return;
    }
    var quote = selectedText(state.selection);
    var turns = utterances.indexOf(state.selection.endEl) - utterances.indexOf(state.selection.el) + 1;
    selectionInfo.textContent = "Selected" + (turns > 1 ? " across " + turns + " turns" : "") + ": “" +
      (quote.length > 90 ? quote.slice(0, 87) + "…" : quote) + "”";
  }

  function selectedText(selection) {
    if (selection.el === selection.endEl) { return selection.el.__text.slice(selection.start, selection.end); }
    var parts = [selection.el.__text.slice(selection.start)];
    for (var i = utterances.indexOf(selection.el) + 1; i < utterances.indexOf(selection.endEl); i += 1) { parts.push(utterances[i].__text); }
    parts.push(selection.endEl.__text.slice(0, selection.end));
    return parts.join(" / ");
  }

  // the span a selection stands for, as the server takes it
  function spanOfSelection(selection) {
    return { turn_id: selection.turnId, start: selection.start, end_turn_id: selection.endTurnId, end: selection.end };
  }

  // the span a coding covers (first piece to last piece), as the server takes it
  function spanOfCoding(coding) {
    var first = coding.pieces[0], last = coding.pieces[coding.pieces.length - 1];
    return { turn_id: first.turn_id, start: first.start, end_turn_id: last.turn_id, end: last.end };
  }

  function selectAcross(startEl, start, endEl, end) {
    var a = domPoint(startEl, start), f = domPoint(endEl, end);
    window.getSelection().setBaseAndExtent(a.node, a.offset, f.node, f.offset);
    state.caret = null;
    readSelection();
  }

  function selectRange(el, anchor, focus) {
    var a = domPoint(el, anchor), f = domPoint(el, focus);
    var sel = window.getSelection();
    sel.setBaseAndExtent(a.node, a.offset, f.node, f.offset);
    state.caret = { el: el, anchor: anchor, focus: focus };
    readSelection();
  }

  // --- keyboard selection inside a focused turn --------------------------------------------------------------
  function isLowSurrogate(code) { return code >= 0xdc00 && code <= 0xdfff; }

  function step(text, position, direction, byWord) {
    if (!byWord) {
      var next = position + direction;
      if (next > 0 && next < text.length && isLowSurrogate(text.charCodeAt(next))) { next += direction; }
      return Math.max(0, Math.min(text.length, next));
    }
    var i = position;
    if (direction > 0) {
      while (i < text.length && /\s/.test(text[i])) { i += 1; }
      while (i < text.length && !/\s/.test(text[i])) { i += 1; }
    } else {
      while (i > 0 && /\s/.test(text[i - 1])) { i -= 1; }
      while (i > 0 && !/\s/.test(text[i - 1])) { i -= 1; }
    }
    return i;
  }

  function onTurnKey(event) {
    var el = event.currentTarget;
    var text = el.__text;
    if (event.shiftKey && (event.key === "ArrowRight" || event.key === "ArrowLeft" || event.key === "Home" || event.key === "End")) {
      event.preventDefault();
      var caret = state.caret && state.caret.el === el ? state.caret
        : (state.selection && state.selection.el === el ? { el: el, anchor: state.selection.start, focus: state.selection.end }
          : { el: el, anchor: 0, focus: 0 });
      var focus = caret.focus;
      if (event.key === "Home") { focus = 0; } else if (event.key === "End") { focus = text.length; } else {
        focus = step(text, focus, event.key === "ArrowRight" ? 1 : -1, event.ctrlKey || event.altKey || event.metaKey);
      }
      selectRange(el, caret.anchor, focus);
      return;
    }
    if (event.key === "ArrowDown" && event.shiftKey && state.selection) {
      // extend the selection to the end of the next turn (a coding across turns); Shift+↑ takes a turn back
      event.preventDefault();
      var next = utterances[utterances.indexOf(state.selection.endEl) + 1];
      if (next) { selectAcross(state.selection.el, state.selection.start, next, next.__text.length); next.focus(); }
      return;
    }
    if (event.key === "ArrowUp" && event.shiftKey && state.selection && state.selection.endEl !== state.selection.el) {
      event.preventDefault();
      var previous = utterances[utterances.indexOf(state.selection.endEl) - 1];
      selectAcross(state.selection.el, state.selection.start, previous, previous === state.selection.el ? Math.max(state.selection.start + 1, previous.__text.length) : previous.__text.length);
      previous.focus();
      return;
    }
    if ((event.key === "ArrowDown" || event.key === "ArrowUp") && !event.shiftKey) {
      var index = utterances.indexOf(el) + (event.key === "ArrowDown" ? 1 : -1);
      if (index >= 0 && index < utterances.length) {
        event.preventDefault();
        state.caret = null;
        utterances[index].focus();
      }
      return;
    }
    if (/^[1-9]$/.test(event.key) && !event.ctrlKey && !event.metaKey && !event.altKey && canCode && codeList) {
      event.preventDefault();
      if (!state.selection) { say("Select some text first, then press " + event.key + ".", true); return; }
      var shortcut = shortcutCode(event.key);
      if (shortcut === null) { say("No code has shortcut " + event.key + " yet: focus a code in the tree and press " + event.key + ".", true); return; }
      codeSelection([shortcut]);
      return;
    }
    if ((event.key === "Enter" || event.key === "c" || event.key === "C") && !event.ctrlKey && !event.metaKey) {
      if (state.selection && canCode && codeSearch) {
        event.preventDefault();
        codeSearch.focus();
      }
      return;
    }
    if (event.key === "Escape") {
      window.getSelection().removeAllRanges();
      state.caret = null;
      readSelection();
    }
  }

  utterances.forEach(function (el) {
    el.addEventListener("keydown", onTurnKey);
    el.addEventListener("click", function (event) {
      var hl = event.target.closest ? event.target.closest(".hl") : null;
      if (hl && window.getSelection().isCollapsed) {
        var id = Number((hl.getAttribute("data-codings") || "").split(" ")[0]);
        var coding = findCoding(id);
        if (coding) { openDetail(coding, el); }
      }
    });
  });
  document.addEventListener("selectionchange", function () {
    var sel = window.getSelection();
    if (sel && sel.rangeCount && (utteranceOf(sel.anchorNode) || utteranceOf(sel.focusNode))) { readSelection(); }
  });

  // --- code picker: an ARIA tree (flat items with aria-level), multi-select, filter as you type ----------------
  var treeItems = codeList ? Array.prototype.slice.call(codeList.querySelectorAll('[role="treeitem"]')) : [];
  var codeTip = document.getElementById("code-tip");
  var pickedInfo = document.getElementById("code-picked");

  function depthOf(li) { return Number(li.getAttribute("data-depth")) || 0; }

  function descendantsOf(li) {
    var out = [], depth = depthOf(li);
    for (var j = treeItems.indexOf(li) + 1; j < treeItems.length && depthOf(treeItems[j]) > depth; j += 1) { out.push(treeItems[j]); }
    return out;
  }

  function collapsedAbove(li) {
    // hidden by a collapsed ancestor (walk up through the lower levels before it)
    var depth = depthOf(li);
    for (var j = treeItems.indexOf(li) - 1; j >= 0 && depth > 0; j -= 1) {
      var d = depthOf(treeItems[j]);
      if (d < depth) {
        if (treeItems[j].getAttribute("aria-expanded") === "false") { return true; }
        depth = d;
      }
    }
    return false;
  }

  function filterCodes() {
    var query = (codeSearch.value || "").trim().toLowerCase();
    treeItems.forEach(function (li) {
      var matches = !query || li.getAttribute("data-search").indexOf(query) !== -1;
      li.hidden = query ? !matches : collapsedAbove(li);
      li.classList.toggle("match", !!query && matches);
    });
    if (query) {  // keep the headings of visible codes, as context
      treeItems.forEach(function (li) {
        if (li.hidden) { return; }
        var depth = depthOf(li);
        for (var j = treeItems.indexOf(li) - 1; j >= 0 && depth > 0; j -= 1) {
          var d = depthOf(treeItems[j]);
          if (d < depth) { treeItems[j].hidden = false; depth = d; }
        }
      });
    }
    var focusable = treeItems.filter(function (li) { return li.getAttribute("tabindex") === "0"; })[0];
    if (!focusable || focusable.hidden) { rove(visibleItems()[0]); }
  }

  function visibleItems() { return treeItems.filter(function (li) { return !li.hidden; }); }

  function rove(li, focus) {
    if (!li) { return; }
    treeItems.forEach(function (other) { other.setAttribute("tabindex", other === li ? "0" : "-1"); });
    if (focus) { li.focus(); }
  }

  function setExpanded(li, open) {
    if (!li.hasAttribute("aria-expanded")) { return; }
    li.setAttribute("aria-expanded", open ? "true" : "false");
    if (!(codeSearch.value || "").trim()) {
      descendantsOf(li).forEach(function (child) { child.hidden = collapsedAbove(child); });
    }
  }

  function pickedCodes() {
    return treeItems.filter(function (li) { return li.getAttribute("aria-selected") === "true"; }).map(function (li) {
      return Number(li.getAttribute("data-code-id"));
    });
  }

  function showPicked() {
    if (!pickedInfo) { return; }
    var labels = treeItems.filter(function (li) { return li.getAttribute("aria-selected") === "true"; })
      .map(function (li) { return li.getAttribute("data-label"); });
    pickedInfo.textContent = labels.length ? "Picked: " + labels.join("; ") : "";
  }

  function togglePick(li) {
    if (li.getAttribute("data-codable") !== "true") { setExpanded(li, li.getAttribute("aria-expanded") === "false"); return; }
    li.setAttribute("aria-selected", li.getAttribute("aria-selected") === "true" ? "false" : "true");
    showPicked();
  }

  function clearPicks() {
    treeItems.forEach(function (li) { if (li.hasAttribute("aria-selected")) { li.setAttribute("aria-selected", "false"); } });
    showPicked();
  }

  function showTip(li) {
    if (!codeTip) { return; }
    var note = li ? document.getElementById("code-note-" + li.getAttribute("data-code-id")) : null;
    if (!note) { codeTip.hidden = true; return; }
    codeTip.textContent = "";
    var title = document.createElement("strong");
    title.className = "tip-title";
    title.textContent = li.getAttribute("data-label");
    codeTip.appendChild(title);
    Array.prototype.forEach.call(note.querySelectorAll(".note-line"), function (line) {
      var p = document.createElement("p");
      p.textContent = line.textContent.trim();
      codeTip.appendChild(p);
    });
    codeTip.hidden = false;
    // beside the item: to the left of the sidebar, level with the item (clamped to the window)
    var rect = li.getBoundingClientRect();
    var top = Math.max(8, Math.min(rect.top, window.innerHeight - codeTip.offsetHeight - 8));
    codeTip.style.setProperty("top", top + "px");
    codeTip.style.setProperty("left", Math.max(8, rect.left - codeTip.offsetWidth - 12) + "px");
  }

  // the counts beside the codes follow the codings the page holds (the visible ones)
  function updateCounts() {
    if (!codeList) { return; }
    var counts = {};
    visibleCodings().forEach(function (c) { counts[c.code_id] = (counts[c.code_id] || 0) + 1; });
    treeItems.forEach(function (li) {
      if (li.getAttribute("data-codable") !== "true") { return; }
      var n = li.querySelector(".code-count .n");
      if (n) { n.textContent = String(counts[li.getAttribute("data-code-id")] || 0); }
    });
  }

  function applyCodes() {
    if (!state.selection) { say("Select some text first.", true); return; }
    var ids = pickedCodes();
    if (!ids.length) {
      // the focused code, else the first code that matches the search itself (headings shown as context do not count)
      var focused = document.activeElement;
      if (focused && focused.getAttribute && focused.getAttribute("role") === "treeitem" && focused.getAttribute("data-codable") === "true") {
        ids = [Number(focused.getAttribute("data-code-id"))];
      } else if (codeSearch.value.trim()) {
        var first = codeList.querySelector('li.match[data-codable="true"]');
        if (first) { ids = [Number(first.getAttribute("data-code-id"))]; }
      }
    }
    if (!ids.length) { say("Pick one or more codes (or type to find one and press Enter).", true); return; }
    codeSelection(ids);
  }

  function codeSelection(ids) {
    var selection = state.selection;
    var body = spanOfSelection(selection);
    body.code_ids = ids;
    return request("POST", root.getAttribute("data-create-url"), body).then(function (result) {
      if (!result.ok) { say(result.data.error || result.data.detail || "The coding was not saved.", true); return; }
      applyDelta(result.data.created, []);
      recordCreate(result.data.created);
      var labels = result.data.created.map(function (c) { return (state.codes[c.code_id] || {}).label; });
      say("Coded with " + labels.join(", ") + "." + (result.data.skipped.length ? " " + result.data.skipped.join(" ") : ""));
      clearPicks();
      codeSearch.value = "";
      filterCodes();
      window.getSelection().removeAllRanges();
      state.caret = null;
      state.selection = null;
      showSelection();
      selection.el.focus();
    }).catch(function () { say("The server could not be reached; nothing was saved.", true); });
  }

  // --- per-code shortcuts: a digit on a code in the tree gives it that digit; a digit with text selected codes it --
  function shortcutCode(digit) {
    var li = treeItems.filter(function (item) { return item.getAttribute("data-shortcut") === digit; })[0];
    return li ? Number(li.getAttribute("data-code-id")) : null;
  }

  function showShortcuts(map) {
    treeItems.forEach(function (li) {
      var digit = "";
      Object.keys(map).forEach(function (d) { if (String(map[d]) === li.getAttribute("data-code-id")) { digit = d; } });
      li.setAttribute("data-shortcut", digit);
      var kbd = li.querySelector(".code-shortcut");
      if (kbd) {
        kbd.textContent = digit;
        kbd.hidden = !digit;
        kbd.title = digit ? "shortcut: press " + digit + " with text selected" : "";
      }
    });
  }

  function assignShortcut(li, digit) {
    if (li.getAttribute("data-codable") !== "true") { say("Give shortcuts to codes, not to headings.", true); return; }
    var freeing = li.getAttribute("data-shortcut") === digit;
    request("POST", root.getAttribute("data-shortcuts-url"), { digit: Number(digit), code_id: freeing ? null : Number(li.getAttribute("data-code-id")) })
      .then(function (result) {
        if (!result.ok) { say(result.data.error || "The shortcut was not saved.", true); return; }
        showShortcuts(result.data.shortcuts || {});
        say(freeing ? "Shortcut " + digit + " removed." : "Shortcut " + digit + ": " + li.getAttribute("data-label") + ".");
      }).catch(function () { say("The server could not be reached; the shortcut was not saved.", true); });
  }

  function onTreeKey(event) {
    var li = event.target.closest ? event.target.closest('[role="treeitem"]') : null;
    if (!li) { return; }
    if (/^[1-9]$/.test(event.key) && !event.ctrlKey && !event.metaKey && !event.altKey) {
      event.preventDefault();
      assignShortcut(li, event.key);
      return;
    }
    var items = visibleItems();
    var i = items.indexOf(li);
    var key = event.key;
    if (key === "ArrowDown" || key === "ArrowUp") {
      event.preventDefault();
      if (key === "ArrowUp" && i === 0) { codeSearch.focus(); return; }
      rove(items[Math.max(0, Math.min(items.length - 1, i + (key === "ArrowDown" ? 1 : -1)))], true);
    } else if (key === "Home" || key === "End") {
      event.preventDefault();
      rove(key === "Home" ? items[0] : items[items.length - 1], true);
    } else if (key === "ArrowRight") {
      event.preventDefault();
      if (li.getAttribute("aria-expanded") === "false") { setExpanded(li, true); } else if (li.hasAttribute("aria-expanded")) { rove(items[i + 1], true); }
    } else if (key === "ArrowLeft") {
      event.preventDefault();
      if (li.getAttribute("aria-expanded") === "true") { setExpanded(li, false); return; }
      for (var j = i - 1; j >= 0; j -= 1) { if (depthOf(items[j]) < depthOf(li)) { rove(items[j], true); return; } }
    } else if (key === " ") {
      event.preventDefault();
      togglePick(li);
    } else if (key === "Enter") {
      event.preventDefault();
      applyCodes();
    } else if (key === "Escape") {
      if (state.selection) { event.preventDefault(); state.selection.el.focus(); }
    }
  }

  if (codeList && codeSearch && canCode) {
    codeSearch.addEventListener("input", filterCodes);
    codeSearch.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); applyCodes(); }
      if (event.key === "ArrowDown") {
        var first = codeList.querySelector('li.match[data-codable="true"]') || visibleItems()[0];
        if (first) { event.preventDefault(); rove(first, true); }
      }
      if (event.key === "Escape" && state.selection) { state.selection.el.focus(); }
    });
    codeList.addEventListener("keydown", onTreeKey);
    codeList.addEventListener("click", function (event) {
      var li = event.target.closest ? event.target.closest('[role="treeitem"]') : null;
      if (!li) { return; }
      rove(li, true);
      togglePick(li);
    });
    codeList.addEventListener("focusin", function (event) {
      var li = event.target.closest ? event.target.closest('[role="treeitem"]') : null;
      if (li) { showTip(li); }
    });
    codeList.addEventListener("focusout", function () { if (codeTip) { codeTip.hidden = true; } });
    codeList.addEventListener("mouseover", function (event) {
      var li = event.target.closest ? event.target.closest('[role="treeitem"]') : null;
      if (li) { showTip(li); }
    });
    codeList.addEventListener("mouseleave", function () {
      var focused = document.activeElement;
      if (focused && focused.getAttribute && focused.getAttribute("role") === "treeitem") { showTip(focused); } else if (codeTip) { codeTip.hidden = true; }
    });
    document.getElementById("apply-codes").addEventListener("click", applyCodes);
  }

  // --- the coding detail: a popover beside the highlight (or margin label) that opened it ----------------------
  var opener = null;  // the element focus returns to when the popover closes
  var openerTurn = null;  // its turn's utterance, should the opener be redrawn meanwhile (a margin button)

  function anchorFor(coding) {
    var hl = document.querySelector('.utterance .hl[data-codings~="' + coding.id + '"]');
    return hl || document.getElementById("coding-" + coding.id);
  }

  function placeDetail(anchor) {
    if (!anchor) { return; }
    var box = root.getBoundingClientRect();
    var rect = anchor.getBoundingClientRect();
    var width = detail.offsetWidth || 360;
    var left = Math.max(0, Math.min(rect.left - box.left, box.width - width));
    detail.style.setProperty("top", (rect.bottom - box.top + 6) + "px");
    detail.style.setProperty("left", left + "px");
  }

  function openDetail(coding, from, keepFocus) {
    if (!detail) { return; }
    var first = state.active !== coding.id || detail.hidden;
    state.active = coding.id;
    if (from) { opener = from; }
    if (from || !openerTurn) { openerTurn = coding.pieces.length ? byTurn[coding.pieces[0].turn_id] : null; }
    var code = state.codes[coding.code_id] || { label: "code " + coding.code_id };
    detail.hidden = false;
    detail.querySelector(".detail-code").textContent = code.label;
    var quote = detail.querySelector(".detail-quote");
    quote.textContent = coding.pieces.map(function (p) { return byTurn[p.turn_id] ? byTurn[p.turn_id].__text.slice(p.start, p.end) : ""; }).join(" … ");
    setColour(quote, code.color);
    detail.querySelector(".detail-coder").textContent = "Coded by " + coding.coder + (coding.mine ? " (you)" : " — read-only") +
      (coding.source !== "manual" ? " · from an auto-coding suggestion" : "") +
      (coding.pieces.length > 1 ? " · spans " + coding.pieces.length + " turns" : "");
    detail.querySelector(".detail-edit").hidden = !(coding.mine && canCode);
    var select = document.getElementById("detail-code-select");
    if (select) { select.value = String(coding.code_id); }
    var memo = detail.querySelector(".detail-memo");
    memo.href = root.getAttribute("data-memo-url") + "?target_type=coding&target_id=" + coding.id +
      "&next=" + encodeURIComponent(root.getAttribute("data-page-url") + "#coding-" + coding.id);
    memo.textContent = coding.memos ? "Memos on this coding (" + coding.memos + ")" : "Write a memo on this coding";
    renderAll();
    placeDetail(anchorFor(coding) || opener);
    if (first && !keepFocus) {
      var target = (coding.mine && canCode && select) ? select : detail.querySelector(".detail-close");
      target.focus();
    }
  }

  function closeDetail(returnFocus) {
    state.active = null;
    if (detail) { detail.hidden = true; }
    renderAll();
    if (returnFocus) {
      var back = opener && document.body.contains(opener) ? opener : openerTurn;
      if (back) { back.focus(); }
    }
    opener = null;
    openerTurn = null;
  }

  function update(coding, body, what) {
    body.version = coding.version;
    var before = { code_id: coding.code_id, span: spanOfCoding(coding) };
    return request("PATCH", idUrl("data-update-url", coding.id), body).then(function (result) {
      if (!result.ok) {
        say(result.data.error || result.data.detail || "The change was not saved.", true);
        if (result.status === 409) { state.signature = ""; load(true, true); }
        return;
      }
      applyDelta([result.data.coding], []);
      record({ type: "update", id: coding.id, what: what || "change a coding", before: before,
        after: { code_id: result.data.coding.code_id, span: spanOfCoding(result.data.coding) } });
      refreshDetail();
      say("Saved the coding.");
    }).catch(function () { say("The server could not be reached; nothing was saved.", true); });
  }

  function onDetail(action) {
    var coding = findCoding(state.active);
    if (!coding) { closeDetail(true); return; }
    if (action === "close") { closeDetail(true); return; }
    if (action === "code") {
      update(coding, { code_id: Number(document.getElementById("detail-code-select").value) }, "change the code");
      return;
    }
    if (action === "delete") {
      if (!window.confirm("Remove this coding?")) { return; }
      request("POST", idUrl("data-delete-url", coding.id), { version: coding.version }).then(function (result) {
        if (!result.ok) {
          say(result.data.error || result.data.detail || "The coding was not removed.", true);
          if (result.status === 409) { state.signature = ""; load(true, true); }
          return;
        }
        applyDelta([], [result.data.deleted]);
        record({ type: "delete", what: "remove a coding", item: { id: coding.id, code_id: coding.code_id, span: spanOfCoding(coding) } });
        closeDetail(true);
        say("Removed the coding.");
      }).catch(function () { say("The server could not be reached; nothing was removed.", true); });
      return;
    }
    if (action === "selection") {
      if (!state.selection) { say("Select the new span first.", true); return; }
      update(coding, spanOfSelection(state.selection), "adjust a span");
      return;
    }
    // the start moves within the first turn, the end within the last (a coding may span several turns)
    var span = spanOfCoding(coding);
    var first = byTurn[span.turn_id], last = byTurn[span.end_turn_id];
    if (!first || !last) { return; }
    var single = span.turn_id === span.end_turn_id;
    if (action === "start-") { span.start = step(first.__text, span.start, -1, true); }
    if (action === "start+") { span.start = nextWordStart(first.__text, span.start, single ? span.end : first.__text.length); }
    if (action === "end+") { span.end = step(last.__text, span.end, 1, true); }
    if (action === "end-") { span.end = previousWordEnd(last.__text, single ? span.start : 0, span.end); }
    update(coding, span, "adjust a span");
  }

  function nextWordStart(text, start, end) {
    var i = start;
    while (i < end && !/\s/.test(text[i])) { i += 1; }
    while (i < end && /\s/.test(text[i])) { i += 1; }
    return i < end ? i : start;
  }

  function previousWordEnd(text, start, end) {
    var i = end;
    while (i > start && !/\s/.test(text[i - 1])) { i -= 1; }
    while (i > start && /\s/.test(text[i - 1])) { i -= 1; }
    return i > start ? i : end;
  }

  if (detail) {
    detail.addEventListener("click", function (event) {
      var button = event.target.closest ? event.target.closest("[data-detail]") : null;
      if (button) { onDetail(button.getAttribute("data-detail")); }
    });
    detail.addEventListener("keydown", function (event) {
      if (event.key === "Escape") { event.preventDefault(); event.stopPropagation(); closeDetail(true); }
    });
    window.addEventListener("resize", function () {
      var coding = state.active !== null ? findCoding(state.active) : null;
      if (coding && !detail.hidden) { placeDetail(anchorFor(coding) || opener); }
    });
  }

  // --- undo and redo: the last actions (create, remove, change code, adjust span), each replayed through the same
  // API with X-Coding-Undo, so the audit trail records it as an undo or a redo ----------------------------------
  var history = { done: [], undone: [], busy: false };
  var undoButton = document.getElementById("ws-undo");
  var redoButton = document.getElementById("ws-redo");

  function record(action) {
    history.done.push(action);
    if (history.done.length > 100) { history.done.shift(); }
    history.undone = [];
    showHistory();
  }

  function recordCreate(created) {
    if (!created || !created.length) { return; }
    record({ type: "create", what: created.length > 1 ? "code with " + created.length + " codes" : "code a span",
      items: created.map(function (c) { return { id: c.id, code_id: c.code_id, span: spanOfCoding(c) }; }) });
  }

  function showHistory() {
    if (!undoButton || !redoButton) { return; }
    var last = history.done[history.done.length - 1], next = history.undone[history.undone.length - 1];
    undoButton.disabled = !last || history.busy;
    redoButton.disabled = !next || history.busy;
    undoButton.title = last ? "Undo: " + last.what + " (Ctrl+Z)" : "Nothing to undo";
    redoButton.title = next ? "Redo: " + next.what + " (Ctrl+Shift+Z)" : "Nothing to redo";
  }

  // a coding re-created by an undo has a new id: the other recorded actions follow it
  function remap(oldId, newId) {
    history.done.concat(history.undone).forEach(function (action) {
      if (action.id === oldId) { action.id = newId; }
      if (action.item && action.item.id === oldId) { action.item.id = newId; }
      (action.items || []).forEach(function (item) { if (item.id === oldId) { item.id = newId; } });
    });
  }

  function replayCreate(items, kind) {
    var body = JSON.parse(JSON.stringify(items[0].span));
    body.code_ids = items.map(function (item) { return item.code_id; });
    return request("POST", root.getAttribute("data-create-url"), body, null, kind).then(function (result) {
      if (!result.ok) { throw new Error(result.data.error || "The coding could not be made again."); }
      applyDelta(result.data.created, []);
      items.forEach(function (item) {
        var made = result.data.created.filter(function (c) { return c.code_id === item.code_id; })[0];
        if (made) { remap(item.id, made.id); item.id = made.id; }
      });
    });
  }

  function replayDelete(ids, kind) {
    return ids.reduce(function (chain, id) {
      return chain.then(function () {
        var coding = findCoding(id);
        if (!coding) { throw new Error("That coding is no longer on the page."); }
        return request("POST", idUrl("data-delete-url", id), { version: coding.version }, null, kind).then(function (result) {
          if (!result.ok) { throw new Error(result.data.error || "The coding could not be removed."); }
          if (state.active === id) { closeDetail(false); }
          applyDelta([], [result.data.deleted]);
        });
      });
    }, Promise.resolve());
  }

  function replayUpdate(id, target, kind) {
    var coding = findCoding(id);
    if (!coding) { return Promise.reject(new Error("That coding is no longer on the page.")); }
    var body = JSON.parse(JSON.stringify(target.span));
    body.code_id = target.code_id;
    body.version = coding.version;
    return request("PATCH", idUrl("data-update-url", id), body, null, kind).then(function (result) {
      if (!result.ok) { throw new Error(result.data.error || "The coding could not be changed back."); }
      applyDelta([result.data.coding], []);
      refreshDetail();
    });
  }

  function replay(action, kind) {
    if (action.type === "create") {
      return kind === "undo" ? replayDelete(action.items.map(function (i) { return i.id; }), kind) : replayCreate(action.items, kind);
    }
    if (action.type === "delete") {
      return kind === "undo" ? replayCreate([action.item], kind) : replayDelete([action.item.id], kind);
    }
    return replayUpdate(action.id, kind === "undo" ? action.before : action.after, kind);
  }

  function undoRedo(kind) {
    var from = kind === "undo" ? history.done : history.undone;
    var to = kind === "undo" ? history.undone : history.done;
    var action = from[from.length - 1];
    if (!action || history.busy || !canCode) { return; }
    history.busy = true;
    showHistory();
    replay(action, kind).then(function () {
      from.pop();
      to.push(action);
      say((kind === "undo" ? "Undone: " : "Redone: ") + action.what + ".");
    }).catch(function (error) {
      from.pop();  // it cannot be replayed (changed elsewhere): drop it rather than fail again
      say(error.message + " The page now shows the current codings.", true);
      state.signature = "";
      load(true, true);
    }).then(function () { history.busy = false; showHistory(); });
  }

  if (undoButton && redoButton) {
    undoButton.addEventListener("click", function () { undoRedo("undo"); });
    redoButton.addEventListener("click", function () { undoRedo("redo"); });
    showHistory();
  }
  document.addEventListener("keydown", function (event) {
    if (!(event.ctrlKey || event.metaKey) || event.altKey) { return; }
    var target = event.target;
    if (target && (target.tagName === "INPUT" || target.tagName === "TEXTAREA" || target.tagName === "SELECT" || target.isContentEditable)) { return; }
    var key = (event.key || "").toLowerCase();
    if (key === "z" && !event.shiftKey) { event.preventDefault(); undoRedo("undo"); }
    if ((key === "z" && event.shiftKey) || key === "y") { event.preventDefault(); undoRedo("redo"); }
  });

  // --- in-vivo coding: a code named from the selected words, under a chosen parent ---------------------------------
  var inVivoButton = document.getElementById("in-vivo");
  var inVivoParent = document.getElementById("in-vivo-parent");

  function addCodeToPage(code) {
    if (state.codes[code.id]) { return; }
    state.codes[code.id] = { label: code.label, color: code.color };
    var parentItem = code.parent_id ? document.getElementById("code-item-" + code.parent_id) : null;
    var depth = parentItem ? depthOf(parentItem) + 1 : 0;
    var li = document.createElement("li");
    li.setAttribute("role", "treeitem");
    li.id = "code-item-" + code.id;
    li.setAttribute("tabindex", "-1");
    li.setAttribute("aria-level", String(depth + 1));
    li.setAttribute("aria-selected", "false");
    li.className = "depth-" + Math.min(depth, 3);
    li.setAttribute("data-code-id", String(code.id));
    li.setAttribute("data-depth", String(depth));
    li.setAttribute("data-codable", "true");
    li.setAttribute("data-color", code.color);
    li.setAttribute("data-label", code.label);
    li.setAttribute("data-search", (code.label + " " + (code.definition || "")).toLowerCase());
    setColour(li, code.color);
    [["twisty", ""], ["stripe", ""]].forEach(function (part) {
      var span = document.createElement("span");
      span.className = part[0];
      span.setAttribute("aria-hidden", "true");
      li.appendChild(span);
    });
    var name = document.createElement("span");
    name.className = "code-name";
    name.textContent = code.label;
    li.appendChild(name);
    li.setAttribute("data-shortcut", "");
    var kbd = document.createElement("kbd");
    kbd.className = "code-shortcut";
    kbd.hidden = true;
    li.appendChild(kbd);
    var count = document.createElement("span");
    count.className = "code-count";
    var n = document.createElement("span");
    n.className = "n";
    n.textContent = "0";
    count.appendChild(n);
    li.appendChild(count);
    var after = parentItem ? (descendantsOf(parentItem).pop() || parentItem) : treeItems[treeItems.length - 1];
    if (after) { after.parentNode.insertBefore(li, after.nextSibling); treeItems.splice(treeItems.indexOf(after) + 1, 0, li); } else { codeList.appendChild(li); treeItems.push(li); }
    if (parentItem && !parentItem.hasAttribute("aria-expanded")) { parentItem.setAttribute("aria-expanded", "true"); }
    if (parentItem && parentItem.getAttribute("aria-expanded") === "false") { setExpanded(parentItem, true); }
    ["detail-code-select", "in-vivo-parent"].forEach(function (id) {
      var select = document.getElementById(id);
      if (!select) { return; }
      var option = document.createElement("option");
      option.value = String(code.id);
      option.textContent = code.label;
      select.appendChild(option);
    });
  }

  if (inVivoButton && canCode) {
    inVivoButton.addEventListener("click", function () {
      if (!state.selection) { say("Select the words to code in vivo first.", true); return; }
      var selection = state.selection;
      var body = spanOfSelection(selection);
      body.parent_id = inVivoParent ? Number(inVivoParent.value) || 0 : 0;
      request("POST", root.getAttribute("data-in-vivo-url"), body).then(function (result) {
        if (!result.ok) { say(result.data.error || result.data.detail || "The in-vivo code was not made.", true); return; }
        addCodeToPage(result.data.code);
        applyDelta(result.data.created, []);
        recordCreate(result.data.created);
        history.done[history.done.length - 1].what = "code in vivo “" + result.data.code.name + "”";
        showHistory();
        say((result.data.code.new ? "Added the in-vivo code " : "Coded with the existing code ") + result.data.code.label +
          (result.data.code.parent_label ? " under " + result.data.code.parent_label : "") + ".");
        window.getSelection().removeAllRanges();
        state.selection = null;
        showSelection();
        selection.el.focus();
      }).catch(function () { say("The server could not be reached; nothing was saved.", true); });
    });
  }

  // --- search ------------------------------------------------------------------------------------------------
  var searchNav = document.querySelector(".search-nav");
  var searchCount = document.querySelector(".search-count");

  function runSearch() {
    var query = (searchInput.value || "").trim();
    state.search.query = query;
    state.search.hits = [];
    state.search.index = -1;
    if (query) {
      var folded = query.toLowerCase();
      utterances.forEach(function (el) {
        var text = el.__text.toLowerCase();
        var at = text.indexOf(folded);
        while (at !== -1) {
          state.search.hits.push({ el: el, start: at, end: at + folded.length });
          at = text.indexOf(folded, at + folded.length);
        }
      });
      if (state.search.hits.length) { state.search.index = 0; }
    }
    renderAll();
    showHit();
  }

  function showHit() {
    if (searchNav) { searchNav.hidden = !state.search.query; }
    if (searchCount) {
      searchCount.textContent = state.search.query
        ? (state.search.hits.length ? (state.search.index + 1) + " of " + state.search.hits.length + " matches" : "No matches")
        : "";
    }
    var current = document.querySelector("mark.search-hit.current");
    if (current && current.scrollIntoView) { current.scrollIntoView({ block: "center" }); }
  }

  function moveHit(direction) {
    var n = state.search.hits.length;
    if (!n) { return; }
    state.search.index = (state.search.index + direction + n) % n;
    renderAll();
    showHit();
  }

  if (searchInput) {
    var timer = null;
    searchInput.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(runSearch, 200);
    });
    searchInput.addEventListener("keydown", function (event) {
      if (event.key === "Enter") { event.preventDefault(); if (state.search.query !== searchInput.value.trim()) { runSearch(); } else { moveHit(event.shiftKey ? -1 : 1); } }
    });
    document.querySelectorAll("button[data-search-step]").forEach(function (button) {
      button.addEventListener("click", function () { moveHit(button.getAttribute("data-search-step") === "next" ? 1 : -1); });
    });
  }

  if (showOthers) { showOthers.addEventListener("change", renderAll); }

  // --- start: load codings, then keep others' codings fresh ---------------------------------------------------
  load(false, true).then(function () {
    if (searchInput && searchInput.value.trim()) { runSearch(); }
    // a link from the analysis pages (?at=<position>) marks its turn; bring it into view unless a #fragment did
    var focus = document.querySelector('.turn[aria-current="location"]');
    if (focus && !window.location.hash && focus.scrollIntoView) { focus.scrollIntoView({ block: "center" }); }
  });
  var every = Number(root.getAttribute("data-poll-seconds")) || 15;
  window.setInterval(function () { if (!document.hidden) { load(true); } }, every * 1000);
}());
