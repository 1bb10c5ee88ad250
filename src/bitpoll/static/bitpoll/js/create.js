// Create page: a month calendar that writes date (and time slot) lines into the options
// field, and the browser's time zone as the default. Without JavaScript the plain options
// field does the same job; this only saves typing.
(function () {
  "use strict";

  var picker = document.getElementById("picker");
  var options = document.getElementById("id_options");
  var zone = document.getElementById("id_time_zone");
  if (!picker || !options) return;

  if (zone && zone.value === "UTC" && !zone.closest(".field-invalid") && window.Intl) {
    var browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (browserZone) zone.value = browserZone;
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function iso(d) { return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()); }
  function kind() {
    var checked = document.querySelector("input[name='kind']:checked");
    return checked ? checked.value : "date";
  }

  var today = new Date();
  var shown = new Date(today.getFullYear(), today.getMonth(), 1);
  var picked = {};
  var focusDay = iso(today);
  var lang = document.documentElement.lang || undefined;

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }

  var head = el("div", { "class": "picker-head" });
  var prev = el("button", { type: "button", "class": "button-small button-secondary", id: "picker-prev", "aria-label": picker.dataset.labelPrev }, "‹");
  var title = el("h3", { id: "picker-title", "aria-live": "polite" });
  var next = el("button", { type: "button", "class": "button-small button-secondary", id: "picker-next", "aria-label": picker.dataset.labelNext }, "›");
  head.append(prev, title, next);
  var grid = el("div", { "class": "picker-grid", role: "group", "aria-labelledby": "picker-title", id: "picker-grid" });
  var times = el("div", { "class": "picker-times field" });
  var timesLabel = el("label", { "for": "picker-times" }, picker.dataset.labelTimes);
  var timesInput = el("input", { type: "text", id: "picker-times", placeholder: "09:00-10:00, 14:00" });
  times.append(timesLabel, timesInput);
  var actions = el("div", { "class": "button-row" });
  var apply = el("button", { type: "button", id: "picker-apply" }, picker.dataset.labelApply);
  var clear = el("button", { type: "button", "class": "button-secondary", id: "picker-clear" }, picker.dataset.labelClear);
  actions.append(apply, clear);
  picker.append(head, grid, times, actions);

  function render() {
    title.textContent = shown.toLocaleDateString(lang, { month: "long", year: "numeric" });
    grid.textContent = "";
    var monday = new Date(2024, 0, 1);
    for (var i = 0; i < 7; i++) {
      var dow = new Date(monday.getFullYear(), 0, 1 + i);
      grid.append(el("span", { "class": "dow", "aria-hidden": "true" }, dow.toLocaleDateString(lang, { weekday: "short" })));
    }
    var offset = (shown.getDay() + 6) % 7;
    for (var j = 0; j < offset; j++) grid.append(el("span"));
    var days = new Date(shown.getFullYear(), shown.getMonth() + 1, 0).getDate();
    var hasFocus = false;
    for (var d = 1; d <= days; d++) {
      var date = new Date(shown.getFullYear(), shown.getMonth(), d);
      var key = iso(date);
      var button = el("button", {
        type: "button",
        "data-day": key,
        "aria-pressed": picked[key] ? "true" : "false",
        "aria-label": date.toLocaleDateString(lang, { weekday: "long", day: "numeric", month: "long" }),
        tabindex: key === focusDay ? "0" : "-1"
      }, String(d));
      if (key === iso(today)) button.classList.add("today");
      if (key === focusDay) hasFocus = true;
      grid.append(button);
    }
    if (!hasFocus) {
      var first = grid.querySelector("button");
      if (first) { first.setAttribute("tabindex", "0"); focusDay = first.dataset.day; }
    }
    times.hidden = kind() !== "datetime";
  }

  function moveFocus(days) {
    var parts = focusDay.split("-");
    var date = new Date(+parts[0], +parts[1] - 1, +parts[2] + days);
    focusDay = iso(date);
    if (date.getMonth() !== shown.getMonth() || date.getFullYear() !== shown.getFullYear()) {
      shown = new Date(date.getFullYear(), date.getMonth(), 1);
    }
    render();
    var target = grid.querySelector("[data-day='" + focusDay + "']");
    if (target) target.focus();
  }

  grid.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-day]");
    if (!button) return;
    var key = button.dataset.day;
    if (picked[key]) delete picked[key]; else picked[key] = true;
    focusDay = key;
    button.setAttribute("aria-pressed", picked[key] ? "true" : "false");
  });
  grid.addEventListener("keydown", function (event) {
    var steps = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7 };
    if (event.key in steps) { event.preventDefault(); moveFocus(steps[event.key]); }
  });
  prev.addEventListener("click", function () { shown = new Date(shown.getFullYear(), shown.getMonth() - 1, 1); render(); });
  next.addEventListener("click", function () { shown = new Date(shown.getFullYear(), shown.getMonth() + 1, 1); render(); });

  apply.addEventListener("click", function () {
    var lines = options.value.split("\n").map(function (l) { return l.trim(); }).filter(Boolean);
    var slots = timesInput.value.split(",").map(function (s) { return s.replace(/\s+/g, ""); }).filter(Boolean);
    Object.keys(picked).sort().forEach(function (day) {
      var add = kind() === "datetime" && slots.length ? slots.map(function (s) { return day + " " + s; }) : [day];
      add.forEach(function (line) { if (lines.indexOf(line) < 0) lines.push(line); });
    });
    options.value = lines.join("\n");
    options.focus();
  });
  clear.addEventListener("click", function () {
    options.value = "";
    picked = {};
    render();
  });

  function update() {
    var k = kind();
    picker.hidden = k === "text";
    render();
  }
  document.querySelectorAll("input[name='kind']").forEach(function (r) { r.addEventListener("change", update); });
  options.value.split("\n").forEach(function (l) {
    var m = /^(\d{4}-\d{2}-\d{2})/.exec(l.trim());
    if (m) picked[m[1]] = true;
  });
  update();
})();
