// The interview's recording beside its transcript: "▶ Play" on a turn seeks the player to the turn's start time
// (from the .vtt/.srt cues) and plays to the turn's end. Without JavaScript the player still plays from the start.
(function () {
  "use strict";
  document.addEventListener("DOMContentLoaded", function () {
    var audio = document.getElementById("ws-audio");
    if (!audio) { return; }
    var stopAt = null;
    audio.addEventListener("timeupdate", function () {
      if (stopAt !== null && audio.currentTime >= stopAt) {
        audio.pause();
        stopAt = null;
      }
    });
    document.addEventListener("click", function (event) {
      var button = event.target.closest("button.play-from");
      if (!button) { return; }
      var start = Number(button.dataset.playMs) / 1000;
      stopAt = button.dataset.endMs ? Number(button.dataset.endMs) / 1000 : null;
      audio.currentTime = start;
      var playing = audio.play();
      if (playing && playing.catch) { playing.catch(function () { /* the user may have blocked autoplay */ }); }
      button.setAttribute("aria-pressed", "true");
      window.setTimeout(function () { button.removeAttribute("aria-pressed"); }, 1500);
    });
  });
}());
