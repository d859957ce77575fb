// The table of contents is open on wide screens and folded away below 700 px, so on a phone
// the article itself starts on the first screen. Without this script it simply stays open.
(function () {
  "use strict";
  var wide = window.matchMedia("(min-width: 700px)");
  function fit() {
    document.querySelectorAll("details.toc__details").forEach(function (details) {
      details.open = wide.matches;
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", fit);
  } else {
    fit();
  }
  wide.addEventListener("change", fit);
})();
