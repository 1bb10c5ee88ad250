// The polls this browser created or answered: their admin and edit links, kept in this
// browser's localStorage only (never sent to the server), listed on the home page with a way
// to forget them. Without JavaScript nothing is stored and the list stays hidden.
(function () {
  "use strict";
  var KEY = "bitpoll.recent";
  var MAX = 50;

  function load() {
    try {
      var items = JSON.parse(window.localStorage.getItem(KEY) || "[]");
      return Array.isArray(items) ? items : [];
    } catch (e) {
      return [];
    }
  }

  function save(items) {
    try {
      window.localStorage.setItem(KEY, JSON.stringify(items.slice(0, MAX)));
    } catch (e) {
      // Storage full or switched off: the list is a convenience, nothing breaks without it.
    }
  }

  function sameSite(url) {
    try {
      return new URL(url, window.location.href).origin === window.location.origin;
    } catch (e) {
      return false;
    }
  }

  function remember(role, url, title) {
    if (!url || !sameSite(url)) return;
    var items = load().filter(function (item) { return item.url !== url; });
    items.unshift({ role: role, url: url, title: title, at: Date.now() });
    save(items);
  }

  var title = document.getElementById("poll-title");
  var admin = document.getElementById("admin-link");
  var edit = document.getElementById("edit-link");
  if (title && admin && admin.value.indexOf("/admin/account/") === -1) {
    remember("admin", admin.value, title.textContent.trim());
  } else if (title && edit) {
    remember("answer", edit.value, title.textContent.trim());
  }

  var section = document.getElementById("recent-polls");
  if (!section) return;
  var list = section.querySelector("ul");
  var labels = section.dataset;

  function render() {
    var items = load().filter(function (item) { return item && sameSite(item.url); });
    list.textContent = "";
    items.forEach(function (item) {
      var li = document.createElement("li");
      var link = document.createElement("a");
      link.href = item.url;
      link.textContent = item.title || item.url;
      var role = document.createElement("span");
      role.className = "muted";
      role.textContent = " " + (item.role === "admin" ? labels.adminLabel : labels.answerLabel) + " ";
      var forget = document.createElement("button");
      forget.type = "button";
      forget.className = "button-link forget";
      forget.textContent = labels.forgetLabel;
      // Several "Forget" buttons: each names its poll for screen readers.
      forget.setAttribute("aria-label", labels.forgetLabel + ": " + link.textContent);
      forget.addEventListener("click", function () {
        save(load().filter(function (other) { return other.url !== item.url; }));
        render();
      });
      li.append(link, role, forget);
      list.appendChild(li);
    });
    section.hidden = items.length === 0;
  }

  var all = section.querySelector(".forget-all");
  if (all) {
    all.addEventListener("click", function () {
      try { window.localStorage.removeItem(KEY); } catch (e) { /* nothing stored */ }
      render();
    });
  }
  render();
})();
