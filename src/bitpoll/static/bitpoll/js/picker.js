// Month calendar for date and date-and-time options (create page and the admin's options
// page). The options text field stays the one source of truth: picking a day writes its
// lines there at once, so whatever button submits the form sends the picks, and after a
// form error the calendar reads them back (and the month it showed) from the form. Without
// JavaScript the text field does the same job; this only saves typing.
(function () {
  "use strict";

  var picker = document.getElementById("picker");
  if (!picker) return;
  var options = document.getElementById(picker.dataset.target);
  var monthInput = document.getElementById(picker.dataset.monthInput);
  if (!options) return;
  var labels = picker.dataset;
  var lang = document.documentElement.lang || undefined;
  var DAY_LINE = /^(\d{4}-\d{2}-\d{2})(?:[ T]+(.*))?$/;
  // On the options page: the days that already have options, marked in the calendar.
  var existing = {};
  (labels.existing || "").split(" ").filter(Boolean).forEach(function (d) { existing[d] = true; });

  function kind() {
    if (labels.kind) return labels.kind;
    var checked = document.querySelector("input[name='kind']:checked");
    return checked ? checked.value : "date";
  }
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function iso(d) { return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()); }
  function parseDay(key) { var p = key.split("-"); return new Date(+p[0], +p[1] - 1, +p[2]); }
  function dayName(key) {
    return parseDay(key).toLocaleDateString(lang, { weekday: "long", day: "numeric", month: "long" });
  }
  function slots(text) {
    return text.split(",").map(function (s) { return s.replace(/\s+/g, ""); }).filter(Boolean);
  }
  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text) node.textContent = text;
    return node;
  }

  // ---- the options field as the state: day -> its times (empty for a date line) ----------
  function lines() {
    return options.value.split("\n").map(function (l) { return l.trim(); }).filter(Boolean);
  }
  function pickedDays() {
    var days = {};
    lines().forEach(function (line) {
      var m = DAY_LINE.exec(line);
      if (!m) return;
      days[m[1]] = days[m[1]] || [];
      if (m[2]) days[m[1]].push(m[2].replace(/\s+/g, ""));
    });
    return days;
  }
  function setDay(day, times) {
    // Replace the lines of `day` (none when `times` is null), keep every other line, and
    // keep dated lines in order so that the field reads like the poll will.
    var kept = lines().filter(function (line) {
      var m = DAY_LINE.exec(line);
      return !m || m[1] !== day;
    });
    if (times !== null) {
      var add = kind() === "datetime" && times.length ? times.map(function (t) { return day + " " + t; }) : [day];
      kept = kept.concat(add);
    }
    var dated = kept.filter(function (l) { return DAY_LINE.test(l); }).sort();
    var other = kept.filter(function (l) { return !DAY_LINE.test(l); });
    options.value = dated.concat(other).join("\n");
  }

  // ---- the widgets -------------------------------------------------------------------------
  var today = new Date();
  var todayKey = iso(today);
  var shown = new Date(today.getFullYear(), today.getMonth(), 1);
  var remembered = monthInput && /^(\d{4})-(\d{2})$/.exec(monthInput.value);
  if (remembered) shown = new Date(+remembered[1], +remembered[2] - 1, 1);
  var focusDay = todayKey;

  var head = el("div", { "class": "picker-head" });
  var prev = el("button", { type: "button", "class": "picker-nav button-secondary", id: "picker-prev", "aria-label": labels.labelPrev }, "‹");
  var title = el("h3", { id: "picker-title", "aria-live": "polite" });
  var next = el("button", { type: "button", "class": "picker-nav button-secondary", id: "picker-next", "aria-label": labels.labelNext }, "›");
  head.append(prev, title, next);
  var grid = el("div", { "class": "picker-grid", role: "group", "aria-labelledby": "picker-title", id: "picker-grid" });
  var hint = el("p", { "class": "help", id: "picker-hint" }, labels.labelHint);

  var times = el("div", { "class": "picker-times field" });
  var timesLabel = el("label", { "for": "picker-times" }, labels.labelTimes);
  var timesRow = el("div", { "class": "picker-row" });
  var timesInput = el("input", { type: "text", id: "picker-times", placeholder: "09:00-10:00, 14:00", autocomplete: "off" });
  var applyAll = el("button", { type: "button", "class": "button-secondary", id: "picker-apply-all" }, labels.labelApplyAll);
  timesRow.append(timesInput, applyAll);
  times.append(timesLabel, timesRow);

  var dayList = el("ul", { "class": "picker-days", id: "picker-days", "aria-label": labels.labelDays });
  var actions = el("div", { "class": "button-row" });
  var clear = el("button", { type: "button", "class": "button-secondary", id: "picker-clear" }, labels.labelClear);
  actions.append(clear);
  picker.append(head, hint, grid, times, dayList, actions);

  function renderGrid() {
    var days = pickedDays();
    title.textContent = shown.toLocaleDateString(lang, { month: "long", year: "numeric" });
    if (monthInput) monthInput.value = shown.getFullYear() + "-" + pad(shown.getMonth() + 1);
    grid.textContent = "";
    for (var i = 0; i < 7; i++) {
      var dow = new Date(2024, 0, 1 + i);  // 1 January 2024 was a Monday
      grid.append(el("span", { "class": "dow", "aria-hidden": "true" }, dow.toLocaleDateString(lang, { weekday: "short" })));
    }
    var offset = (shown.getDay() + 6) % 7;
    for (var j = 0; j < offset; j++) grid.append(el("span"));
    var count = new Date(shown.getFullYear(), shown.getMonth() + 1, 0).getDate();
    var hasFocus = false;
    for (var d = 1; d <= count; d++) {
      var key = iso(new Date(shown.getFullYear(), shown.getMonth(), d));
      var button = el("button", {
        type: "button",
        "data-day": key,
        "aria-pressed": days[key] ? "true" : "false",
        "aria-label": existing[key] ? dayName(key) + " (" + labels.labelExisting + ")" : dayName(key),
        tabindex: key === focusDay ? "0" : "-1"
      }, String(d));
      if (key === todayKey) button.classList.add("today");
      if (key < todayKey) button.classList.add("past");
      if (existing[key]) button.classList.add("existing");
      if (key === focusDay) hasFocus = true;
      grid.append(button);
    }
    if (!hasFocus) {
      var first = grid.querySelector("button");
      if (first) { first.setAttribute("tabindex", "0"); focusDay = first.dataset.day; }
    }
  }

  function renderDays() {
    var datetime = kind() === "datetime";
    times.hidden = !datetime;
    dayList.textContent = "";
    if (!datetime) { dayList.hidden = true; return; }
    var days = pickedDays();
    var keys = Object.keys(days).sort();
    dayList.hidden = keys.length === 0;
    keys.forEach(function (key) {
      var item = el("li", { "class": "picker-day", "data-day": key });
      var id = "picker-day-" + key;
      var label = el("label", { "for": id }, labels.labelDayTimes.replace("{day}", dayName(key)));
      var row = el("div", { "class": "picker-row" });
      var input = el("input", { type: "text", id: id, value: days[key].join(", "), placeholder: "09:00-10:00, 14:00", autocomplete: "off", "data-day": key });
      var remove = el("button", { type: "button", "class": "button-secondary button-small", "data-remove": key }, labels.labelRemove);
      remove.append(el("span", { "class": "visually-hidden" }, " " + dayName(key)));
      row.append(input, remove);
      item.append(label, row);
      if (!days[key].length) item.append(el("p", { "class": "help" }, labels.labelNoTimes));
      dayList.append(item);
    });
  }

  function render() { renderGrid(); renderDays(); }

  function moveFocus(step) {
    var date = parseDay(focusDay);
    date = new Date(date.getFullYear(), date.getMonth(), date.getDate() + step);
    focusDay = iso(date);
    if (date.getMonth() !== shown.getMonth() || date.getFullYear() !== shown.getFullYear()) {
      shown = new Date(date.getFullYear(), date.getMonth(), 1);
    }
    renderGrid();
    var target = grid.querySelector("[data-day='" + focusDay + "']");
    if (target) target.focus();
  }

  grid.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-day]");
    if (!button) return;
    var key = button.dataset.day;
    focusDay = key;
    setDay(key, pickedDays()[key] ? null : slots(timesInput.value));
    button.setAttribute("aria-pressed", pickedDays()[key] ? "true" : "false");
    renderDays();
  });
  grid.addEventListener("keydown", function (event) {
    var steps = { ArrowLeft: -1, ArrowRight: 1, ArrowUp: -7, ArrowDown: 7 };
    if (event.key in steps) { event.preventDefault(); moveFocus(steps[event.key]); }
  });
  prev.addEventListener("click", function () { shown = new Date(shown.getFullYear(), shown.getMonth() - 1, 1); renderGrid(); });
  next.addEventListener("click", function () { shown = new Date(shown.getFullYear(), shown.getMonth() + 1, 1); renderGrid(); });

  // Written on every key stroke (and the list not redrawn), so that the field is current
  // whichever way the form is submitted and the focus stays where it is.
  dayList.addEventListener("input", function (event) {
    var input = event.target.closest("input[data-day]");
    if (input) setDay(input.dataset.day, slots(input.value));
  });
  dayList.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-remove]");
    if (!button) return;
    setDay(button.dataset.remove, null);
    render();
    timesInput.focus();
  });
  applyAll.addEventListener("click", function () {
    var wanted = slots(timesInput.value);
    Object.keys(pickedDays()).forEach(function (day) { setDay(day, wanted); });
    renderDays();
  });
  clear.addEventListener("click", function () {
    options.value = lines().filter(function (l) { return !DAY_LINE.test(l); }).join("\n");
    render();
  });
  options.addEventListener("input", render);

  function update() {
    picker.hidden = kind() === "text";
    render();
  }
  document.querySelectorAll("input[name='kind']").forEach(function (r) { r.addEventListener("change", update); });
  update();
})();
