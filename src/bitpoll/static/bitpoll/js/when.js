// Times in the viewer's own time zone. The server writes every time in the poll's zone
// (named on the page); when the browser is elsewhere, this script rewrites them in the
// browser's zone, with the right weekday, and offers a switch back to the poll's zone. The
// formats and the day and month names come from the server (bitpoll.polls.when), so both
// read alike. Without JavaScript the page shows the poll's zone, which it names.
(function () {
  "use strict";

  var configNode = document.getElementById("when-config");
  var labels = document.getElementById("zone-switch-labels");
  if (!configNode || !labels || !window.Intl) return;
  var config = JSON.parse(configNode.textContent);
  var pollZone = labels.getAttribute("data-tz");
  var viewerZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  if (!pollZone || !viewerZone || pollZone === viewerZone) return;
  var STORE = "bitpoll-zone";
  var partsCache = {};

  // Wall-clock fields of an instant in a zone.
  function fields(date, zone) {
    var format = partsCache[zone];
    if (!format) {
      format = partsCache[zone] = new Intl.DateTimeFormat("en-US", {
        timeZone: zone, year: "numeric", month: "numeric", day: "numeric",
        hour: "numeric", minute: "numeric", hourCycle: "h23"
      });
    }
    var out = {};
    format.formatToParts(date).forEach(function (p) { out[p.type] = p.value; });
    var y = +out.year, m = +out.month, d = +out.day;
    return {
      y: y, m: m, d: d, H: (+out.hour) % 24, i: +out.minute,
      w: new Date(Date.UTC(y, m - 1, d)).getUTCDay(), key: y + "-" + m + "-" + d
    };
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }

  // The subset of Django's date format characters that bitpoll.polls.when uses.
  function format(pattern, f) {
    var out = "";
    for (var k = 0; k < pattern.length; k++) {
      var c = pattern.charAt(k);
      if (c === "\\") { out += pattern.charAt(++k); continue; }
      switch (c) {
        case "D": out += config.D[f.w]; break;
        case "l": out += config.l[f.w]; break;
        case "j": out += f.d; break;
        case "d": out += pad(f.d); break;
        case "M": out += config.M[f.m - 1]; break;
        case "N": out += config.N[f.m - 1]; break;
        case "F": out += config.F[f.m - 1]; break;
        case "n": out += f.m; break;
        case "m": out += pad(f.m); break;
        case "Y": out += f.y; break;
        case "H": out += pad(f.H); break;
        case "G": out += f.H; break;
        case "i": out += pad(f.i); break;
        default: out += c;
      }
    }
    return out;
  }

  var fmt = config.formats;
  function day(f) { return format(fmt.day, f); }
  function time(f) { return format(fmt.time, f); }
  function joined(d, t) { return fmt.joined.replace("%(day)s", d).replace("%(time)s", t); }
  function zoned(t, zone) { return fmt.zoned.replace("%(time)s", t).replace("%(zone)s", zone); }

  function timeSpan(start, end) {
    var text = time(start);
    if (end) text += "\u2013" + (end.key === start.key ? "" : format(fmt.short_day, end) + " ") + time(end);
    return text;
  }

  function parse(value) {
    var date = new Date(value || "");
    return isNaN(date.getTime()) ? null : date;
  }

  var grid = document.querySelector("table.grid");
  var groupRow = null, groupRowCopy = null;
  var heads = [];
  if (grid) {
    heads = Array.prototype.slice.call(grid.querySelectorAll("thead time[datetime$='Z']"));
    var colgroup = grid.querySelector("thead th[scope=colgroup]");
    if (colgroup && heads.length) {
      groupRow = colgroup.parentNode;
      groupRowCopy = groupRow.cloneNode(true);
    }
  }
  var others = Array.prototype.slice.call(document.querySelectorAll("time[data-when][datetime$='Z']"));
  var all = heads.concat(others);
  all.forEach(function (el) { el.setAttribute("data-poll-text", el.textContent); });

  // The day headings over the grid's times, one per run of columns on the same day.
  function rebuildGroups(zone) {
    if (!groupRow) return;
    var fresh = groupRowCopy.cloneNode(true);
    fresh.querySelectorAll(".group-all").forEach(function (b) { b.remove(); });
    var corner = fresh.querySelector(".grid-zone");
    if (corner) corner.textContent = zone;
    if (zone !== pollZone) {
      var runs = [];
      heads.forEach(function (el) {
        var f = fields(parse(el.getAttribute("datetime")), zone);
        var last = runs[runs.length - 1];
        if (last && last.key === f.key) last.span += 1;
        else runs.push({ key: f.key, span: 1, label: day(f) });
      });
      fresh.querySelectorAll("th[scope=colgroup]").forEach(function (th) { th.remove(); });
      runs.forEach(function (run) {
        var th = document.createElement("th");
        th.scope = "colgroup";
        th.colSpan = run.span;
        th.textContent = run.label;
        fresh.appendChild(th);
      });
    }
    fresh.hidden = groupRow.hidden;
    groupRow.replaceWith(fresh);
    groupRow = fresh;
    // poll.js puts its buttons ("yes for all of this day") on the new headings.
    grid.dispatchEvent(new CustomEvent("bitpoll:groups"));
  }

  function show(zone) {
    all.forEach(function (el) {
      if (zone === pollZone) { el.textContent = el.getAttribute("data-poll-text"); return; }
      var start = parse(el.getAttribute("datetime"));
      var endDate = parse(el.getAttribute("data-end"));
      var s = fields(start, zone), e = endDate ? fields(endDate, zone) : null;
      var kind = el.getAttribute("data-when");
      if (!kind) {
        el.textContent = timeSpan(s, e);
      } else if (kind === "stamp") {
        el.textContent = zoned(joined(day(s), time(s)), zone);
      } else if (e && e.key !== s.key) {
        el.textContent = joined(day(s), time(s)) + " \u2013 " + joined(day(e), time(e));
      } else {
        el.textContent = joined(day(s), timeSpan(s, e));
      }
    });
    rebuildGroups(zone);
    var note = document.querySelector("#poll-zone .zone-note");
    if (note) {
      if (!note.hasAttribute("data-poll-text")) note.setAttribute("data-poll-text", note.textContent);
      note.textContent = zone === pollZone ? note.getAttribute("data-poll-text")
        : labels.getAttribute("data-note-viewer").replace("%s", zone);
    }
  }

  function saved() {
    try { return window.localStorage.getItem(STORE); } catch (e) { return null; }
  }
  function save(value) {
    try { window.localStorage.setItem(STORE, value); } catch (e) { /* private mode */ }
  }

  var zoneNote = document.getElementById("poll-zone");
  if (!zoneNote) {
    // No slots, only moments (comments, deadline): they name their zone, so write them in
    // the viewer's without a switch.
    show(viewerZone);
    return;
  }
  var fieldset = document.createElement("fieldset");
  fieldset.className = "zone-switch";
  fieldset.id = "zone-switch";
  var legend = document.createElement("legend");
  legend.textContent = labels.getAttribute("data-legend");
  fieldset.appendChild(legend);
  var choice = saved() === "poll" ? "poll" : "viewer";
  [["viewer", viewerZone], ["poll", pollZone]].forEach(function (pair) {
    var label = document.createElement("label");
    label.className = "check";
    var input = document.createElement("input");
    input.type = "radio";
    input.name = "zone-switch";
    input.value = pair[0];
    input.id = "zone-switch-" + pair[0];
    input.checked = choice === pair[0];
    input.addEventListener("change", function () {
      save(pair[0]);
      show(pair[1]);
    });
    label.appendChild(input);
    label.appendChild(document.createTextNode(" " + labels.getAttribute("data-" + pair[0]).replace("%s", pair[1])));
    fieldset.appendChild(label);
  });
  zoneNote.appendChild(fieldset);
  show(choice === "poll" ? pollZone : viewerZone);
})();
