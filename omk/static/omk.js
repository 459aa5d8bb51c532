// Progressive enhancement only; every page works without JavaScript.
(function () {
  "use strict";
  // Focus the error summary after a failed submit so screen readers announce it.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
  });
})();
