/* Shared htmx behaviour, loaded on every page (the CSP allows no inline script). */
(function () {
  "use strict";

  // Our HTMX endpoints answer bad input (400), refused actions (409) and unprocessable
  // requests (422) with the re-rendered region holding the message next to the form. htmx
  // leaves 4xx answers unswapped by default, and in DEBUG django-htmx's helper (listening on
  // document) would replace the whole page with them: swap them like a success instead,
  // and stop the event on <body> before it reaches that helper.
  var REGION_ANSWERS = [400, 409, 422];

  function isRegionAnswer(xhr) {
    return REGION_ANSWERS.indexOf(xhr.status) !== -1;
  }

  document.body.addEventListener("htmx:beforeOnLoad", function (event) {
    if (isRegionAnswer(event.detail.xhr)) {
      event.stopPropagation();
    }
  });

  document.body.addEventListener("htmx:beforeSwap", function (event) {
    if (isRegionAnswer(event.detail.xhr)) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
