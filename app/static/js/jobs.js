// Polls a job's JSON status and updates the progress bar until the job is done or failed.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var box = document.querySelector("[data-job-status-url]");
    if (!box) { return; }
    var url = box.getAttribute("data-job-status-url");
    function update(job) {
      var bar = box.querySelector("progress");
      bar.max = job.total || 1;
      bar.value = job.total ? job.progress : (job.status === "done" || job.status === "failed" ? 1 : 0);
      bar.textContent = (job.percent || 0) + "%";
      box.querySelector(".job-status").textContent = job.status;
      box.querySelector(".job-count").textContent = job.total ? job.progress + " of " + job.total : "";
      box.querySelector(".job-message").textContent = job.message || "";
      var error = box.querySelector(".job-error");
      error.textContent = job.error || ""; error.hidden = !job.error;
      var done = box.querySelector(".job-done");
      if (job.status === "done" && job.result_url) { done.querySelector("a").href = job.result_url; done.hidden = false; }
      return job.status === "done" || job.status === "failed";
    }
    function poll() {
      fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (job) { if (!update(job)) { window.setTimeout(poll, 1000); } })
        .catch(function () { window.setTimeout(poll, 3000); });
    }
    poll();
  });
}());
