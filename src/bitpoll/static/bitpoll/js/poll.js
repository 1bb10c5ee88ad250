// Poll pages: copy buttons for the links, and times in the viewer's own time zone when it
// differs from the poll's. Everything here is an enhancement; the page works without it.
(function () {
  "use strict";

  function setUpCopyButtons() {
    if (!navigator.clipboard) return;
    document.querySelectorAll("button[data-copy]").forEach(function (button) {
      var input = document.getElementById(button.getAttribute("data-copy"));
      if (!input) return;
      var label = button.textContent;
      button.hidden = false;
      button.addEventListener("click", function () {
        navigator.clipboard.writeText(input.value).then(function () {
          button.textContent = "✓ " + label;
          window.setTimeout(function () { button.textContent = label; }, 2000);
        });
      });
    });
  }

  function showLocalTimes() {
    var note = document.getElementById("poll-zone");
    if (!note || !window.Intl) return;
    var pollZone = note.getAttribute("data-tz");
    var viewerZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (!pollZone || !viewerZone || pollZone === viewerZone) return;
    var local = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", timeZone: viewerZone });
    var theirs = new Intl.DateTimeFormat(undefined, { hour: "2-digit", minute: "2-digit", timeZone: pollZone });
    var differs = false;
    document.querySelectorAll("time[datetime$='Z']").forEach(function (el) {
      var start = new Date(el.getAttribute("datetime"));
      if (isNaN(start.getTime()) || local.format(start) === theirs.format(start)) return;
      differs = true;
      var text = local.format(start);
      var end = new Date(el.getAttribute("data-end") || "");
      if (!isNaN(end.getTime())) text += "–" + local.format(end);
      var span = document.createElement("span");
      span.className = "local-time";
      span.textContent = text;
      el.appendChild(span);
    });
    var extra = note.querySelector(".local-zone");
    if (differs && extra) {
      extra.textContent = (extra.getAttribute("data-text") || "%s").replace("%s", viewerZone);
      extra.hidden = false;
    }
  }

  // Deleting cannot be undone: ask once. Without JavaScript the button simply deletes.
  function confirmDeletes() {
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.getAttribute("data-confirm"))) event.preventDefault();
      });
    });
  }

  setUpCopyButtons();
  confirmDeletes();
  showLocalTimes();
})();
