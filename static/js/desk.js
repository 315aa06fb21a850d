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
    // A model draft records that it was used. Posted here rather than through hx-post, so a
    // click right after the panel was swapped in (before htmx processed it) still counts.
    var usedUrl = insert.getAttribute("data-used-url");
    if (usedUrl) {
      insert.removeAttribute("data-used-url");
      fetch(usedUrl, {
        method: "POST",
        credentials: "same-origin",
        headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" },
      }).catch(function () {
        // Only the usage statistic is lost; the text is in the reply box.
      });
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

/* The live desk. The queue keeps itself current (a cheap poll; a change reloads the table,
   and the rows that are new or changed since the last look flash briefly), the ticket page
   says who else is on the ticket, and both pages have keyboard shortcuts (? lists them). */
(function () {
  "use strict";

  var QUEUE_KEY = "desk.queue";

  function csrfToken() {
    try {
      return JSON.parse(document.body.getAttribute("hx-headers") || "{}")["X-CSRFToken"] || "";
    } catch (error) {
      return "";
    }
  }

  // ------------------------------------------------------------------ a small status toast
  var toastTimer = null;
  function toast(text) {
    var el = document.getElementById("desk-toast");
    if (!el) {
      el = document.createElement("div");
      el.id = "desk-toast";
      el.className = "desk-toast";
      el.setAttribute("role", "status");
      document.body.appendChild(el);
    }
    el.textContent = text;
    el.hidden = false;
    window.clearTimeout(toastTimer);
    toastTimer = window.setTimeout(function () {
      el.hidden = true;
    }, 3000);
  }

  // ------------------------------------------------------------------ the live queue
  var selectedRef = null;
  var before = null; // the table as it was just before a refresh: {url, rows: {ref: updated}}

  function queueRows() {
    return Array.from(document.querySelectorAll("#queue-table tr.queue-row[data-ref]"));
  }

  function rememberQueue() {
    var region = document.getElementById("queue-table");
    if (!region) {
      return;
    }
    var refs = queueRows().map(function (row) {
      return row.getAttribute("data-ref");
    });
    try {
      sessionStorage.setItem(
        QUEUE_KEY,
        JSON.stringify({ url: region.getAttribute("data-queue-url"), refs: refs })
      );
    } catch (error) {
      // Private mode or storage full: shortcuts on the ticket page just have no queue.
    }
  }

  function select(row, scroll) {
    queueRows().forEach(function (other) {
      other.classList.remove("is-selected");
      other.removeAttribute("aria-selected");
    });
    if (!row) {
      selectedRef = null;
      return;
    }
    row.classList.add("is-selected");
    row.setAttribute("aria-selected", "true");
    selectedRef = row.getAttribute("data-ref");
    if (scroll) {
      row.scrollIntoView({ block: "nearest" });
    }
  }

  function selectedRow() {
    return queueRows().find(function (row) {
      return row.getAttribute("data-ref") === selectedRef;
    });
  }

  document.addEventListener("htmx:beforeSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "queue-table") {
      return;
    }
    var rows = {};
    queueRows().forEach(function (row) {
      rows[row.getAttribute("data-ref")] = row.getAttribute("data-updated");
    });
    before = { url: target.getAttribute("data-queue-url"), rows: rows };
  });

  document.addEventListener("htmx:afterSettle", function () {
    var region = document.getElementById("queue-table");
    if (!region || !before) {
      return;
    }
    // Only a refresh of the same view flashes its news; a new filter or page is all new.
    if (region.getAttribute("data-queue-url") === before.url) {
      var seen = before.rows;
      queueRows().forEach(function (row) {
        var ref = row.getAttribute("data-ref");
        if (!(ref in seen)) {
          row.classList.add("is-new");
        } else if (seen[ref] !== row.getAttribute("data-updated")) {
          row.classList.add("is-changed");
        }
      });
      window.setTimeout(function () {
        queueRows().forEach(function (row) {
          row.classList.remove("is-new", "is-changed");
        });
      }, 4000);
    }
    before = null;
    // The keyboard selection survives the refresh when its ticket is still listed.
    select(selectedRow() || null, false);
    rememberQueue();
  });

  function moveSelection(step) {
    var rows = queueRows();
    if (!rows.length) {
      return;
    }
    var index = rows.indexOf(selectedRow());
    if (index === -1) {
      index = step > 0 ? 0 : rows.length - 1;
    } else {
      index = Math.min(rows.length - 1, Math.max(0, index + step));
    }
    select(rows[index], true);
  }

  function claim(url, done) {
    fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrfToken(), "HX-Request": "true" },
    })
      .then(function (response) {
        if (response.status === 409) {
          toast("Someone else has just taken that ticket.");
        } else if (!response.ok) {
          toast("That ticket could not be assigned to you. Please try again.");
        } else {
          done();
        }
      })
      .catch(function () {
        toast("That ticket could not be assigned to you. Please try again.");
      });
  }

  function claimSelected() {
    var row = selectedRow();
    if (!row) {
      toast("Select a ticket first (j / k).");
      return;
    }
    var url = row.getAttribute("data-claim-url");
    if (!url) {
      toast(row.getAttribute("data-ref") + " is already assigned.");
      return;
    }
    claim(url, function () {
      toast(row.getAttribute("data-ref") + " is yours.");
      // The same event every ticket action sends: the table reloads itself.
      document.body.dispatchEvent(new CustomEvent("ticket-changed", { bubbles: true }));
    });
  }

  // A click on a row selects it, so the keys pick up where the mouse left off.
  document.addEventListener("click", function (event) {
    var row = event.target.closest && event.target.closest("#queue-table tr.queue-row");
    if (row) {
      select(row, false);
    }
  });

  // ------------------------------------------------------------------ the ticket page
  function currentRef() {
    var ref = document.querySelector(".ticket-header .ticket-ref");
    return ref ? ref.textContent.trim() : null;
  }

  function storedQueue() {
    try {
      return JSON.parse(sessionStorage.getItem(QUEUE_KEY) || "null");
    } catch (error) {
      return null;
    }
  }

  function neighbour(step) {
    var queue = storedQueue();
    var ref = currentRef();
    if (!queue || !ref || !queue.refs) {
      toast("Open a ticket from the queue to move between its tickets.");
      return;
    }
    var index = queue.refs.indexOf(ref);
    var next = index === -1 ? null : queue.refs[index + step];
    if (!next) {
      toast(step > 0 ? "This is the last ticket of the queue page." : "This is the first ticket of the queue page.");
      return;
    }
    window.location.assign(window.location.pathname.replace(/\/tickets\/[^/]+\/$/, "/tickets/" + encodeURIComponent(next) + "/"));
  }

  function openComposer(mode) {
    var radio = document.getElementById("composer-mode-" + mode);
    if (radio) {
      radio.checked = true;
    }
    var field = document.querySelector(
      mode === "note" ? ".pane-note textarea[name=body]" : "#reply-form textarea[name=body]"
    );
    if (field) {
      field.focus();
    }
  }

  function claimHere() {
    var button = document.querySelector("form[hx-post$='/claim/'] button[type=submit]");
    if (button) {
      button.click();
    } else {
      toast("This ticket already has an assignee.");
    }
  }

  function backToQueue() {
    var link = document.querySelector("[data-queue-link]");
    if (link) {
      window.location.assign(link.href);
    }
  }

  // "← Queue" goes back to the queue view (filters included) the agent came from.
  function restoreQueueLink() {
    var link = document.querySelector("[data-queue-link]");
    var queue = storedQueue();
    if (link && queue && queue.url && queue.url.indexOf("/desk/") === 0) {
      link.setAttribute("href", queue.url);
    }
  }

  // ------------------------------------------------------------------ presence
  function presenceForm() {
    return document.getElementById("ticket-presence");
  }

  function updatePresenceState() {
    var form = presenceForm();
    if (!form) {
      return;
    }
    var box = document.querySelector("#reply-form textarea[name=body]");
    var replying = !!box && (document.activeElement === box || box.value.trim() !== "");
    var input = form.querySelector("input[name=state]");
    var state = replying ? "replying" : "viewing";
    if (input && input.value !== state) {
      input.value = state;
      if (window.htmx) {
        window.htmx.trigger(form, "presence-change");
      }
    }
  }

  ["focusin", "focusout", "input"].forEach(function (type) {
    document.addEventListener(type, function (event) {
      if (event.target.matches && event.target.matches("#reply-form textarea[name=body]")) {
        // focusout fires before focus lands elsewhere: look once it has.
        window.setTimeout(updatePresenceState, 0);
      }
    });
  });
  document.addEventListener("htmx:afterSettle", function () {
    updatePresenceState();
  });

  // Leaving the page ends the agent's presence at once instead of after the window.
  window.addEventListener("pagehide", function () {
    var form = presenceForm();
    if (!form || !navigator.sendBeacon) {
      return;
    }
    var data = new FormData();
    data.append("state", "gone");
    data.append("csrfmiddlewaretoken", csrfToken());
    navigator.sendBeacon(form.getAttribute("data-presence-url"), data);
  });

  // ------------------------------------------------------------------ the help overlay
  var lastFocus = null;

  function help() {
    return document.getElementById("shortcut-help");
  }

  function toggleHelp(show) {
    var overlay = help();
    if (!overlay) {
      return;
    }
    var open = show === undefined ? overlay.hidden : show;
    if (open && overlay.hidden) {
      lastFocus = document.activeElement;
      overlay.hidden = false;
      var close = overlay.querySelector("[data-shortcut-close]");
      if (close) {
        close.focus();
      }
    } else if (!open && !overlay.hidden) {
      // Move focus out of the hidden overlay first: when it was opened from the page body,
      // there is nothing to give focus back to, and Enter would hit the hidden Close button.
      if (overlay.contains(document.activeElement)) {
        document.activeElement.blur();
      }
      overlay.hidden = true;
      if (lastFocus && lastFocus.focus) {
        lastFocus.focus();
      }
    }
  }

  document.addEventListener("click", function (event) {
    if (!event.target.closest) {
      return;
    }
    if (event.target.closest("[data-shortcut-help]")) {
      toggleHelp();
    } else if (event.target.closest("[data-shortcut-close]") || event.target === help()) {
      toggleHelp(false);
    }
  });

  // ------------------------------------------------------------------ the keys
  function isTyping(target) {
    if (!target || !target.tagName) {
      return false;
    }
    var tag = target.tagName;
    return tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || target.isContentEditable;
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) {
      return;
    }
    var overlay = help();
    var key = event.key;
    if (key === "Escape") {
      if (overlay && !overlay.hidden) {
        event.preventDefault();
        toggleHelp(false);
      } else if (isTyping(event.target) && event.target.closest(".composer")) {
        event.target.blur();
      }
      return;
    }
    if (isTyping(event.target)) {
      return;
    }
    if (key === "?") {
      event.preventDefault();
      toggleHelp();
      return;
    }
    if (overlay && !overlay.hidden) {
      return;
    }
    var onQueue = !!document.getElementById("queue-table");
    var onTicket = !!document.getElementById("ticket-header");
    var handled = true;
    if (onQueue && (key === "j" || key === "ArrowDown" && selectedRef)) {
      moveSelection(1);
    } else if (onQueue && (key === "k" || key === "ArrowUp" && selectedRef)) {
      moveSelection(-1);
    } else if (onQueue && (key === "o" || key === "Enter") && selectedRow()) {
      if (key === "Enter" && event.target.closest && event.target.closest("a, button")) {
        return; // Enter on a focused link or button does what it always does.
      }
      window.location.assign(selectedRow().getAttribute("data-href"));
    } else if (onQueue && key === "a") {
      claimSelected();
    } else if (onTicket && key === "r") {
      openComposer("reply");
    } else if (onTicket && key === "n") {
      openComposer("note");
    } else if (onTicket && key === "a") {
      claimHere();
    } else if (onTicket && key === "]") {
      neighbour(1);
    } else if (onTicket && key === "[") {
      neighbour(-1);
    } else if (onTicket && key === "u") {
      backToQueue();
    } else {
      handled = false;
    }
    if (handled) {
      event.preventDefault();
    }
  });

  function init() {
    rememberQueue();
    restoreQueueLink();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
