// Create page: the browser's time zone replaces the UTC default (the calendar is picker.js).
(function () {
  "use strict";

  var zone = document.getElementById("id_time_zone");
  if (zone && zone.value === "UTC" && !zone.closest(".field-invalid") && window.Intl) {
    var browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    if (browserZone) zone.value = browserZone;
  }
})();
