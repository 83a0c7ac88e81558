// Application drafts: autosave each form's fields to the server as the user types, and keep a copy of unsaved
// fields in this browser (localStorage) so nothing typed is lost when the session ends. Every page works without
// this script (the save buttons post the whole step). No inline script anywhere (CSP: script-src 'self').
(function () {
  "use strict";
  var DELAY_MS = 1200;

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  function storageGet(key) {
    try { return JSON.parse(window.localStorage.getItem(key) || "null"); } catch (e) { return null; }
  }
  function storageSet(key, value) {
    try { window.localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* storage full or disabled */ }
  }
  function storageRemove(key) {
    try { window.localStorage.removeItem(key); } catch (e) { /* ignore */ }
  }

  function controls(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      return el.name && el.type !== "hidden" && el.type !== "submit" && el.type !== "button";
    });
  }

  // name -> value; checkbox groups (several boxes, one name) -> list of ticked values; a lone checkbox -> true/false
  function readFields(form) {
    var data = {};
    var counts = {};
    controls(form).forEach(function (el) { counts[el.name] = (counts[el.name] || 0) + 1; });
    controls(form).forEach(function (el) {
      if (el.type === "checkbox" && counts[el.name] > 1) {
        data[el.name] = data[el.name] || [];
        if (el.checked) { data[el.name].push(el.value); }
      } else if (el.type === "checkbox") {
        data[el.name] = el.checked;
      } else if (el.type === "radio") {
        if (el.checked) { data[el.name] = el.value; } else if (!(el.name in data)) { data[el.name] = ""; }
      } else {
        data[el.name] = el.value;
      }
    });
    return data;
  }

  function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

  function applyFields(form, fields) {
    var current = readFields(form);
    var changed = 0;
    Object.keys(fields).forEach(function (name) {
      if (!(name in current) || same(current[name], fields[name])) { return; }
      changed += 1;
      controls(form).forEach(function (el) {
        if (el.name !== name) { return; }
        if (el.type === "checkbox") {
          el.checked = Array.isArray(fields[name]) ? fields[name].indexOf(el.value) !== -1 : !!fields[name];
        } else if (el.type === "radio") {
          el.checked = el.value === fields[name];
        } else {
          el.value = fields[name];
        }
        el.setAttribute("data-restored", "");
      });
    });
    return changed;
  }

  function differences(form, fields) {
    var current = readFields(form);
    return Object.keys(fields).filter(function (name) { return name in current && !same(current[name], fields[name]); });
  }

  function setStatus(form, text, kind) {
    var status = form.parentNode.querySelector("[data-autosave-status]");
    if (!status) { return; }
    status.textContent = text;
    status.classList.remove("saved", "failed");
    if (kind) { status.classList.add(kind); }
  }

  // kind "problem" (session ended, locked) is cleared by the next successful save; a "notice" stays
  function showAlert(form, message, linkHref, linkText, buttons, kind) {
    var alert = form.parentNode.querySelector("[data-autosave-alert]");
    if (!alert) { return; }
    alert.setAttribute("data-kind", kind || "problem");
    alert.textContent = message + " ";
    if (linkHref) {
      var link = document.createElement("a");
      link.href = linkHref;
      link.textContent = linkText;
      alert.appendChild(link);
    }
    (buttons || []).forEach(function (spec) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button";
      button.textContent = spec.label;
      button.addEventListener("click", function () { spec.action(); hideAlert(form); });
      alert.appendChild(document.createTextNode(" "));
      alert.appendChild(button);
    });
    alert.hidden = false;
  }

  function hideAlert(form, onlyProblems) {
    var alert = form.parentNode.querySelector("[data-autosave-alert]");
    if (!alert || (onlyProblems && alert.getAttribute("data-kind") !== "problem")) { return; }
    alert.hidden = true;
    alert.textContent = "";
  }

  function fieldBox(form, name) {
    var el = form.elements[name];
    if (!el) { return null; }
    if (el.length !== undefined && !el.tagName) { el = el[0]; }  // a RadioNodeList (checkbox group)
    return el.closest(".field") || el.parentNode;
  }

  // aria-describedby is a list of ids: the field's help (and a server-rendered message) stay in it
  function describedBy(control, id, present) {
    var ids = (control.getAttribute("aria-describedby") || "").split(/\s+/).filter(function (x) {
      return x && x !== id;
    });
    if (present) { ids.push(id); }
    if (ids.length) { control.setAttribute("aria-describedby", ids.join(" ")); } else { control.removeAttribute("aria-describedby"); }
  }

  function showErrors(form, errors, saved) {
    (saved || []).forEach(function (name) {
      var box = fieldBox(form, name);
      if (!box) { return; }
      box.querySelectorAll("[data-autosave-error], p.error").forEach(function (old) {
        box.querySelectorAll("[aria-describedby]").forEach(function (c) { describedBy(c, old.id, false); });
        old.remove();
      });
      box.querySelectorAll("[aria-invalid]").forEach(function (c) { c.removeAttribute("aria-invalid"); });
      box.classList.remove("has-error");
    });
    Object.keys(errors || {}).forEach(function (name) {
      var box = fieldBox(form, name);
      if (!box) { return; }
      var p = box.querySelector("[data-autosave-error]");
      if (!p) {
        p = document.createElement("p");
        p.className = "error";
        p.setAttribute("data-autosave-error", "");
        p.id = "autosave-error-" + name;
        box.appendChild(p);
      }
      p.textContent = errors[name];
      box.classList.add("has-error");
      var control = box.querySelector("input:not([type=hidden]), select, textarea");
      if (control) {
        control.setAttribute("aria-invalid", "true");
        describedBy(control, p.id, true);
      }
    });
  }

  function setUp(form) {
    var state = { timer: null, inFlight: false, again: false, revision: 0, submitId: null, resubmit: null };

    function remember() {
      state.revision += 1;
      storageSet(form.dataset.storageKey, { fields: readFields(form), editedAt: Date.now(), submitId: state.submitId });
    }

    function schedule() {
      window.clearTimeout(state.timer);
      state.timer = window.setTimeout(save, DELAY_MS);
    }

    function save() {
      if (state.inFlight) { state.again = true; return; }
      state.inFlight = true;
      var revision = state.revision;
      setStatus(form, "Saving…");
      fetch(form.dataset.autosaveUrl, {
        method: "POST", body: new FormData(form), credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), "Accept": "application/json" }
      }).then(function (response) {
        var type = response.headers.get("Content-Type") || "";
        var body = type.indexOf("application/json") !== -1 ? response.json() : Promise.resolve({});
        return body.then(function (data) { return { status: response.status, data: data }; });
      }).then(function (result) {
        var data = result.data || {};
        if (result.status === 200 || (result.status === 400 && data.errors)) {
          hideAlert(form, true);
          showErrors(form, data.errors, data.saved);
          if (data.edit_url) {  // a new supervisor/clinician now exists: keep editing that row
            storageRemove(form.dataset.storageKey);
            form.action = data.edit_url;
            form.dataset.autosaveUrl = data.autosave_url;
            form.dataset.storageKey = data.storage_key;
            form.dataset.pageUrl = data.edit_url;
            if (window.history && window.history.replaceState) { window.history.replaceState(null, "", data.edit_url); }
          }
          if (result.status === 200) {
            if (revision === state.revision) { storageRemove(form.dataset.storageKey); }
            setStatus(form, "Draft saved at " + data.saved_at_text + ".", "saved");
          } else {
            setStatus(form, "Some fields were not saved: see the messages beside them. What you typed is kept in this browser.", "failed");
          }
        } else if (result.status === 401) {
          setStatus(form, "Not saved: your session has ended.", "failed");
          showAlert(form, data.message || "Your session has ended. Your changes are kept in this browser.",
                    data.login_url || form.dataset.pageUrl, "Sign in again and continue");
        } else if (result.status === 409) {
          setStatus(form, "Not saved.", "failed");
          showAlert(form, data.message || "This application can no longer be edited.");
        } else if (result.status === 400) {  // the page's security token is out of date: the session ended
          setStatus(form, "Not saved: your session has ended or this page is out of date.", "failed");
          showAlert(form, "Your changes are kept in this browser. Sign in again (or reload) and they will be restored on this step.",
                    form.dataset.pageUrl, "Sign in again and continue");
        } else {
          setStatus(form, "Not saved (error " + result.status + "). Your changes are kept in this browser.", "failed");
        }
      }).catch(function () {
        setStatus(form, "Not saved: no connection. Your changes are kept in this browser and saved when you next save.", "failed");
      }).then(function () {
        state.inFlight = false;
        if (state.resubmit) {  // a save button pressed while this request was in flight
          var submitter = state.resubmit;
          state.resubmit = null;
          if (submitter === true) { form.requestSubmit(); } else { form.requestSubmit(submitter); }
          return;
        }
        if (state.again) { state.again = false; schedule(); }
      });
    }

    function submitIdInput() {
      var input = form.querySelector('input[name="_submit_id"]');
      if (!input) {
        input = document.createElement("input");
        input.type = "hidden";
        input.name = "_submit_id";
        form.appendChild(input);
      }
      return input;
    }

    form.addEventListener("input", function () { remember(); schedule(); });
    form.addEventListener("change", function () { remember(); schedule(); });
    form.addEventListener("submit", function (event) {
      window.clearTimeout(state.timer);
      if (state.inFlight) {  // the autosave in flight may be creating this very row: post after it, to its URL
        event.preventDefault();
        state.resubmit = event.submitter || true;
        return;
      }
      // the copy kept in this browser names this save; the next page lists the saves that succeeded
      state.submitId = Date.now().toString(36) + Math.random().toString(36).slice(2, 10);
      submitIdInput().value = state.submitId;
      remember();
    });

    // restore what this browser kept from an earlier sitting (e.g. typed after the session ended)
    var stored = storageGet(form.dataset.storageKey);
    if (!stored || !stored.fields) { return; }
    var savedSubmits = (form.dataset.savedSubmits || "").split(" ");
    if (stored.submitId && savedSubmits.indexOf(stored.submitId) !== -1) {  // that save went through
      storageRemove(form.dataset.storageKey);
      return;
    }
    var diff = differences(form, stored.fields);
    if (!diff.length) { storageRemove(form.dataset.storageKey); return; }
    var serverSavedAt = Date.parse(form.dataset.serverSavedAt || "") || 0;
    var when = new Date(stored.editedAt).toLocaleString();
    if (stored.editedAt >= serverSavedAt) {
      var n = applyFields(form, stored.fields);
      showAlert(form, "Restored " + n + " unsaved change(s) typed in this browser on " + when +
                " (outlined); they are saved to the draft now.", null, null, null, "notice");
      remember();
      save();
    } else {
      showAlert(form, "This browser holds " + diff.length + " unsaved change(s) from " + when +
                ", older than the draft saved on the server since then.", null, null, [
        { label: "Restore my changes", action: function () { applyFields(form, stored.fields); remember(); save(); } },
        { label: "Discard them", action: function () { storageRemove(form.dataset.storageKey); } }
      ], "notice");
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (window.fetch && window.FormData) {
      document.querySelectorAll("form[data-autosave-url]").forEach(setUp);
    }
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
  });
}());
