// Analysis pages: a print button for the rating matrix; suggestions accepted or rejected in place (without
// JavaScript the same forms post and come back to the list).
(function () {
  "use strict";

  function decideInPlace(form) {
    var row = form.closest("tr[data-suggestion]");
    var status = document.getElementById("decision-status");
    var buttons = row.querySelectorAll("[data-decide] button");
    buttons.forEach(function (b) { b.disabled = true; });
    fetch(form.action, {method: "POST", body: new FormData(form), credentials: "same-origin",
                        headers: {"Accept": "application/json"}})
      .then(function (response) {
        return response.json().then(function (data) { return {ok: response.ok, data: data}; });
      })
      .then(function (result) {
        var data = result.data;
        if (!result.ok) {
          buttons.forEach(function (b) { b.disabled = false; });
          status.textContent = data.error || "The decision was not saved.";
          return;
        }
        row.querySelector("[data-status]").textContent = data.status;
        row.classList.add("decided", "decided-" + data.status);
        Object.keys(data.counts).forEach(function (key) {
          var cell = document.querySelector("[data-count='" + key + "']");
          if (cell) { cell.textContent = data.counts[key].toLocaleString("en-US"); }
        });
        status.textContent = data.message + " " + data.counts.pending + " pending.";
        // keep the analyst's place: focus moves to the next row still to decide, else to the status line
        var next = row.nextElementSibling;
        while (next && !next.querySelector("[data-decide] button:not([disabled])")) {
          next = next.nextElementSibling;
        }
        var actions = row.querySelector("[data-decide]");
        actions.innerHTML = "";
        if (next) {
          next.querySelector("[data-decide] button").focus();
        } else {
          status.setAttribute("tabindex", "-1");
          status.focus();
        }
      })
      .catch(function () {
        buttons.forEach(function (b) { b.disabled = false; });
        status.textContent = "The decision was not saved (network error); try again.";
      });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-print]").forEach(function (button) {
      button.addEventListener("click", function () { window.print(); });
    });
    document.querySelectorAll("[data-decide] form").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        decideInPlace(form);
      });
    });
  });
}());
