// Poll pages: copy buttons for the links, confirmations before deleting (times in the
// viewer's zone are when.js's). Everything here is an enhancement; the page works without it.
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
})();
