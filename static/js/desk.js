/* Agent desk behaviour on top of htmx. Loaded as a static file (the CSP allows no inline script). */
(function () {
  "use strict";

  // Marks that scripts run, so the "Apply"/"Save" buttons that only matter without
  // JavaScript can be hidden by desk.css.
  document.documentElement.classList.add("js");

  // The queue's filter bar stays on the page while the table below it is swapped, so it
  // keeps its own "this filter is set" marks up to date.
  function markFilters(form) {
    form.querySelectorAll("details.filter-menu").forEach(function (menu) {
      var count = menu.querySelectorAll("input:checked").length;
      var badge = menu.querySelector(".filter-count");
      menu.classList.toggle("is-set", count > 0);
      if (badge) {
        badge.textContent = String(count);
        badge.hidden = count === 0;
      }
    });
    form.querySelectorAll(".filter-select, .filter-search, .filter-tag").forEach(function (field) {
      field.classList.toggle("is-set", field.value !== "");
    });
  }

  ["change", "input"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      var form = event.target.closest && event.target.closest("#queue-filters");
      if (form) {
        markFilters(form);
      }
    });
  });

  // Filter menus close on a click elsewhere, like any dropdown.
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.filter-menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) {
        menu.open = false;
      }
    });
  });

  // Keep queue URLs short: filters left empty are not sent (nor pushed into the address bar).
  document.addEventListener("htmx:configRequest", function (event) {
    if (event.detail.verb !== "get" || !event.detail.elt.matches("[data-drop-empty]")) {
      return;
    }
    var params = event.detail.parameters;
    var keys = params instanceof FormData ? Array.from(params.keys()) : Object.keys(params);
    keys.forEach(function (key) {
      var value = params instanceof FormData ? params.getAll(key) : params[key];
      var empty = Array.isArray(value) ? value.every(function (v) { return v === ""; }) : value === "";
      if (empty) {
        if (params instanceof FormData) {
          params.delete(key);
        } else {
          delete params[key];
        }
      }
    });
  });
})();
