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

  // SLA countdowns: every element with data-deadline="<ISO instant>" shows the wall-clock time
  // left ("in 42m", or "42m left" with data-countdown="left") or overdue ("3h 10m overdue"),
  // in the same words as the server (sla_tags.countdown_text). Business-time figures stay as
  // the server wrote them: the server is the truth on the next load.
  function duration(minutes) {
    var total = Math.max(0, Math.floor(minutes));
    var days = Math.floor(total / 1440);
    var hours = Math.floor((total % 1440) / 60);
    var mins = total % 60;
    if (days) {
      return hours ? days + "d " + hours + "h" : days + "d";
    }
    if (hours) {
      return mins ? hours + "h " + mins + "m" : hours + "h";
    }
    return mins + "m";
  }

  function countdown(deadline, now, style) {
    var seconds = (deadline - now) / 1000;
    if (Math.abs(seconds) < 60) {
      return "due now";
    }
    if (seconds < 0) {
      return duration(-seconds / 60) + " overdue";
    }
    return style === "left" ? duration(seconds / 60) + " left" : "in " + duration(seconds / 60);
  }

  function tickCountdowns() {
    var now = Date.now();
    document.querySelectorAll("[data-deadline]").forEach(function (el) {
      var deadline = Date.parse(el.getAttribute("data-deadline"));
      if (isNaN(deadline)) {
        return;
      }
      var text = countdown(deadline, now, el.getAttribute("data-countdown"));
      if (el.textContent !== text) {
        el.textContent = text;
      }
      el.classList.toggle("is-overdue", deadline <= now);
    });
  }

  tickCountdowns();
  window.setInterval(tickCountdowns, 30000);
  // Regions swapped in by htmx carry the server's text; bring them to the same instant.
  document.addEventListener("htmx:afterSettle", tickCountdowns);
})();

/* Canned responses in the reply composer: the picker's search is plain htmx; a click on a
   result asks the server to fill the response in for this ticket (which also counts the use)
   and puts the text into the reply box at the cursor. The suggested reply's Insert does too. */
(function () {
  "use strict";

  // Reply boxes the agent has clicked or typed in: there the cursor is meaningful; in an
  // untouched box the text goes at the end.
  var touched = new WeakSet();
  document.addEventListener("focusin", function (event) {
    if (event.target.matches && event.target.matches(".pane-reply textarea[name=body]")) {
      touched.add(event.target);
    }
  });

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  function insertAtCursor(textarea, text) {
    var start = touched.has(textarea) ? textarea.selectionStart : textarea.value.length;
    var end = touched.has(textarea) ? textarea.selectionEnd : textarea.value.length;
    var before = textarea.value.slice(0, start);
    // Keep the inserted text its own paragraph when it lands after other text.
    if (before && !/\n\n$/.test(before)) {
      text = (/\n$/.test(before) ? "\n" : "\n\n") + text;
    }
    textarea.focus();
    textarea.setRangeText(text, start, end, "end");
    textarea.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function showProblem(results, text) {
    var note = document.createElement("p");
    note.className = "canned-empty form-error small";
    note.setAttribute("role", "alert");
    note.textContent = text;
    results.replaceChildren(note);
  }

  // The suggested reply carries its text: Insert puts it into the reply box the same way.
  document.addEventListener("click", function (event) {
    var insert = event.target.closest && event.target.closest(".suggestion-insert[data-suggestion-text]");
    if (!insert) {
      return;
    }
    var pane = insert.closest(".pane-reply");
    var textarea = pane && pane.querySelector("textarea[name=body]");
    if (textarea) {
      insertAtCursor(textarea, insert.getAttribute("data-suggestion-text"));
    }
  });

  document.addEventListener("click", function (event) {
    var option = event.target.closest && event.target.closest(".canned-option[data-canned-url]");
    if (!option) {
      return;
    }
    var pane = option.closest(".pane-reply");
    var textarea = pane && pane.querySelector("textarea[name=body]");
    var results = option.closest(".canned-results");
    if (!textarea) {
      return;
    }
    option.disabled = true;
    fetch(option.getAttribute("data-canned-url"), {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) {
        insertAtCursor(textarea, data.body);
        var search = pane.querySelector(".canned-search");
        if (search) {
          search.value = "";
        }
        if (results) {
          results.replaceChildren();
        }
      })
      .catch(function () {
        option.disabled = false;
        if (results) {
          showProblem(results, "That canned response could not be loaded. Please try again.");
        }
      });
  });
})();
