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

  // The answer row of the grid: one radio group per option (a tab stop each). Left and right
  // move between options, up and down (the browser's own radio keys) change the answer; a
  // letter (y, m, n) or digit picks an answer and moves on. Each pick is announced.
  function setUpAnswerGrid() {
    var row = document.getElementById("new-answer");
    if (!row) return;
    var live = document.getElementById("answer-live");
    // y, m and n, as the legend assigns them to the scale's answers (by position).
    var keys = {};
    Array.prototype.forEach.call(document.querySelectorAll("#legend li"), function (li, index) {
      if (li.getAttribute("data-key")) keys[li.getAttribute("data-key")] = index;
    });
    function groups() {
      return Array.prototype.filter.call(row.querySelectorAll(".picks"), function (g) {
        return g.offsetParent !== null;
      });
    }
    function radios(group) { return group.querySelectorAll("input[type=radio]"); }
    function focusGroup(group) { (group.querySelector("input:checked") || radios(group)[0]).focus(); }
    // The control's name, "Option — Answer", from the elements that name it.
    function nameOf(input) {
      return (input.getAttribute("aria-labelledby") || "").split(" ").map(function (id) {
        var el = document.getElementById(id);
        return el ? el.textContent.trim() : "";
      }).join(" ");
    }
    function announce(input) { if (live) live.textContent = nameOf(input); }
    function pick(input) {
      input.checked = true;
      announce(input);
    }
    row.addEventListener("change", function (event) {
      if (event.target.type === "radio") announce(event.target);
    });
    row.addEventListener("keydown", function (event) {
      var input = event.target;
      if (input.type !== "radio" || event.altKey || event.ctrlKey || event.metaKey) return;
      var all = groups();
      var here = all.indexOf(input.closest(".picks"));
      var step = { ArrowLeft: -1, ArrowRight: 1, Home: -here, End: all.length - 1 - here }[event.key];
      if (step !== undefined) {
        var next = all[here + step];
        if (next) focusGroup(next);
        event.preventDefault();
        return;
      }
      var key = event.key.toLowerCase();
      var options = radios(all[here]);
      var chosen = null;
      if (/^[1-9]$/.test(key)) chosen = options[Number(key) - 1] || null;
      else if (keys.hasOwnProperty(key)) chosen = options[keys[key]] || null;
      if (!chosen) return;
      event.preventDefault();
      pick(chosen);
      if (all[here + 1]) focusGroup(all[here + 1]);
      else chosen.focus();
    });
    addAnswerTools(row, groups);
  }

  // "Yes for all" (one button per answer) and, over each group of columns (a day, a heading),
  // a button that gives every option of that group the best answer.
  function addAnswerTools(row, groups) {
    var tools = document.getElementById("answer-tools");
    var first = row.querySelector(".picks");
    if (!tools || !first) return;
    var labels = Array.prototype.map.call(document.querySelectorAll("#legend li"), function (li) {
      return li.textContent.trim();
    });
    // The scale's best answer (the one "y" picks), which need not come first.
    var best = Math.max(0, Array.prototype.findIndex.call(document.querySelectorAll("#legend li"), function (li) {
      return li.getAttribute("data-key") === "y";
    }));
    function setAll(index, within, message) {
      groups().forEach(function (g) {
        if (within && within.indexOf(g) < 0) return;
        g.querySelectorAll("input[type=radio]")[index].checked = true;
      });
      var live = document.getElementById("answer-live");
      if (live) live.textContent = message;
    }
    labels.forEach(function (label, index) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button-secondary button-small";
      button.textContent = (tools.getAttribute("data-all") || "%s").replace("%s", label);
      button.addEventListener("click", function () { setAll(index, null, button.textContent); });
      tools.appendChild(button);
    });
    var help = document.createElement("p");
    help.className = "help";
    help.textContent = tools.getAttribute("data-keys") || "";
    tools.appendChild(help);
    tools.hidden = false;
    var table = row.closest("table");
    var picks = Array.prototype.slice.call(row.querySelectorAll(".picks"));
    function addGroupButtons() {
      var groupRow = table.querySelector("thead tr.groups");
      if (!groupRow) return;
      var column = 0;
      Array.prototype.forEach.call(groupRow.querySelectorAll("th"), function (th) {
        var span = Number(th.getAttribute("colspan") || 1);
        var members = picks.slice(column, column + span);
        column += span;
        var name = th.textContent.trim();
        if (!name || span < 2 || th.querySelector(".group-all")) return;
        var button = document.createElement("button");
        button.type = "button";
        button.className = "group-all";  // its ✓ comes from the style sheet: not part of the heading's text
        button.setAttribute("aria-label", (tools.getAttribute("data-all-in") || "")
          .replace("%(answer)s", labels[best]).replace("%(group)s", name));
        button.title = button.getAttribute("aria-label");
        button.addEventListener("click", function () { setAll(best, members, button.title); });
        th.appendChild(button);
      });
    }
    addGroupButtons();
    // when.js rebuilds the day headings when the viewer switches time zone: equip the new ones.
    table.addEventListener("bitpoll:groups", addGroupButtons);
  }

  // Sorting the options by score and hiding the weak ones: the cells of each column move or
  // hide together. Day headings over the columns do not survive either, so while the grid is
  // sorted or filtered each column names its own day.
  function setUpGridTools() {
    var tools = document.getElementById("grid-tools");
    var table = document.getElementById("grid");
    if (!tools || !table) return;
    var headRow = table.querySelector("thead tr:last-child");
    var heads = Array.prototype.slice.call(headRow.querySelectorAll("th[scope=col]"), 1);
    if (heads.length < 2) return;
    var scores = heads.map(function (th) { return Number(th.getAttribute("data-score") || 0); });
    var best = Math.max.apply(null, scores);
    var groupRow = table.querySelector("thead tr.groups");
    if (groupRow) {
      var column = 0;
      Array.prototype.forEach.call(groupRow.querySelectorAll("th"), function (th) {
        var span = Number(th.getAttribute("colspan") || 1);
        for (var i = column; i < column + span; i++) {
          var label = document.createElement("span");
          label.className = "col-group";
          label.textContent = th.firstChild ? th.firstChild.textContent : "";
          heads[i].insertBefore(label, heads[i].firstChild);
        }
        column += span;
      });
    }
    function select(id, labelText, entries) {
      var wrap = document.createElement("label");
      wrap.className = "grid-tool";
      wrap.textContent = labelText + " ";
      var el = document.createElement("select");
      el.id = id;
      entries.forEach(function (e) {
        var o = document.createElement("option");
        o.value = e[0];
        o.textContent = e[1];
        el.appendChild(o);
      });
      wrap.appendChild(el);
      tools.appendChild(wrap);
      return el;
    }
    var sort = select("grid-sort", tools.getAttribute("data-sort-label"), [
      ["given", tools.getAttribute("data-sort-given")], ["score", tools.getAttribute("data-sort-score")]]);
    var filterText = tools.getAttribute("data-filter-text") || "%s";
    var filter = select("grid-filter", tools.getAttribute("data-filter-label"), [
      ["0", tools.getAttribute("data-filter-all")], ["25", filterText.replace("%s", "25")],
      ["50", filterText.replace("%s", "50")], ["75", filterText.replace("%s", "75")]]);
    var rows = Array.prototype.filter.call(table.querySelectorAll("tr"), function (tr) {
      return !tr.classList.contains("groups");
    });
    var original = rows.map(function (tr) { return Array.prototype.slice.call(tr.children, 1); });
    function apply() {
      var order = heads.map(function (_, i) { return i; });
      if (sort.value === "score") {
        order.sort(function (a, b) { return scores[b] - scores[a] || a - b; });
      }
      var least = best * Number(filter.value) / 100;
      var changed = sort.value !== "given" || filter.value !== "0";
      table.classList.toggle("flat", changed);
      var groups = table.querySelector("thead tr.groups");  // when.js may have rebuilt it
      if (groups) groups.hidden = changed;
      rows.forEach(function (tr, r) {
        order.forEach(function (i) {
          var cell = original[r][i];
          if (!cell) return;
          cell.hidden = scores[i] < least && Number(filter.value) > 0;
          tr.appendChild(cell);
        });
      });
    }
    sort.addEventListener("change", apply);
    filter.addEventListener("change", apply);
    tools.hidden = false;
  }

  // Each results cell shows its answer as an icon; screen readers get the answer's name as
  // hidden text. Added here rather than sent: in every cell it would double a big page.
  function labelResultCells() {
    var table = document.getElementById("grid");
    if (!table || !table.hasAttribute("data-cells")) return;
    var names = JSON.parse(table.getAttribute("data-cells"));
    Array.prototype.forEach.call(table.tBodies[0].rows, function (tr) {
      if (tr.classList.contains("answer-row")) return;
      Array.prototype.forEach.call(tr.cells, function (cell) {
        if (cell.tagName !== "TD") return;
        var name = names[cell.className];
        if (!name) return;
        var text = document.createElement("i");
        text.textContent = name;
        cell.insertBefore(text, cell.firstChild);
      });
    });
  }

  // A refused answer: its list of problems is at the top of the answer area; go there.
  function showAnswerErrors() {
    var summary = document.getElementById("answer-errors");
    if (!summary) return;
    summary.scrollIntoView({ block: "start" });
    summary.focus({ preventScroll: true });
  }

  setUpCopyButtons();
  confirmDeletes();
  labelResultCells();
  setUpGridTools();
  setUpAnswerGrid();
  showAnswerErrors();
})();
