/* The operators' pages work without this file; it adds keyboard shortcuts, the header menu at phone
   width, the highlight of a field's place in the original document, "select all" for bulk approval
   and live counts on the queue. Served from this site only (the CSP allows no other script). */
(function () {
  "use strict";
  var doc = document;
  doc.documentElement.classList.add("js");

  function $(sel, root) { return (root || doc).querySelector(sel); }
  function $$(sel, root) { return Array.prototype.slice.call((root || doc).querySelectorAll(sel)); }

  function typing(target) {
    if (!target || !target.tagName) return false;
    var tag = target.tagName.toLowerCase();
    return tag === "input" || tag === "textarea" || tag === "select" || target.isContentEditable;
  }

  function openHelp() {
    var dialog = $("#hurtigtaster");
    if (dialog && !dialog.open) dialog.showModal();
  }

  function focusField(id) {
    var field = doc.getElementById(id);
    if (!field) return false;
    var details = field.closest("details");
    if (details) details.open = true;
    field.scrollIntoView({ block: "center" });
    field.focus();
    return true;
  }

  /* --- header menu (phone width) --- */
  var menuButton = $(".menu-button");
  if (menuButton) {
    menuButton.addEventListener("click", function () {
      var open = menuButton.getAttribute("aria-expanded") === "true";
      menuButton.setAttribute("aria-expanded", open ? "false" : "true");
      doc.body.classList.toggle("menu-open", !open);
    });
  }
  $$("[data-shortcut-help]").forEach(function (b) { b.addEventListener("click", openHelp); });

  /* --- anchors that lead to a text field open and focus it --- */
  $$("a[data-shortcut][href^='#']").forEach(function (a) {
    a.addEventListener("click", function (e) {
      if (focusField(a.getAttribute("href").slice(1))) e.preventDefault();
    });
  });

  /* --- the queue: j/k move through the rows, Enter opens --- */
  var rows = $$("table.queue tbody tr[data-href]");
  var current = -1;
  function select(i) {
    if (!rows.length) return;
    current = Math.max(0, Math.min(rows.length - 1, i));
    rows.forEach(function (r, n) { r.classList.toggle("selected", n === current); });
    var link = $("a", rows[current]);
    if (link) link.focus();
    rows[current].scrollIntoView({ block: "nearest" });
  }

  /* --- shortcuts --- */
  var page = doc.body.getAttribute("data-page");
  doc.addEventListener("keydown", function (e) {
    if (e.defaultPrevented || e.ctrlKey || e.metaKey || e.altKey || typing(e.target)) return;
    var key = e.key;
    if (key === "?") { openHelp(); e.preventDefault(); return; }
    if (key === "/") {
      var search = $("#q") || $("#hode-sok");
      if (search) { search.focus(); search.select(); e.preventDefault(); }
      return;
    }
    if (page === "queue") {
      if (key === "j") { select(current + 1); e.preventDefault(); }
      else if (key === "k") { select(current - 1); e.preventDefault(); }
      else if ((key === "Enter" || key === "o") && current >= 0) { window.location = rows[current].getAttribute("data-href"); e.preventDefault(); }
      return;
    }
    if (page !== "case") return;
    if (key === "j" || key === "k") {
      var link = $("a[data-shortcut='" + key + "']");
      if (link) { link.click(); e.preventDefault(); }
    } else if (key === "a") {
      var form = $("form[data-action='approve']");
      if (!form) return;
      e.preventDefault();
      if ($("textarea[name='override_reason']", form)) { focusField("override_reason"); }
      else { form.requestSubmit(); }
    } else if (key === "r") {
      if (focusField("avslag-tekst")) e.preventDefault();
    } else if (key === "i") {
      if (focusField("sporsmal-tekst")) e.preventDefault();
    }
  });

  /* --- a field's row lights its place in the original: a box on a page picture (by field and, for a
         centre, its position) or a cell of the Word form (by the place the reader recorded) --- */
  function targets(row) {
    var key = row.getAttribute("data-box");
    var field = row.getAttribute("data-field");
    var index = row.getAttribute("data-index");
    return $$("[data-key], rect[data-field]").filter(function (el) {
      if (key && el.getAttribute("data-key") === key) return true;
      return el.tagName.toLowerCase() === "rect" && el.getAttribute("data-field") === field &&
        (index === null || el.getAttribute("data-index") === index);
    });
  }
  function light(row, on) {
    targets(row).forEach(function (el) {
      if (!on && el.classList.contains("pinned")) return;  /* a link's place stays lit */
      el.classList.toggle("lit", on);
      if (on && row === doc.activeElement && el.scrollIntoView) el.scrollIntoView({ block: "nearest" });
    });
  }
  $$("tr[data-field], tr[data-box]").forEach(function (row) {
    row.addEventListener("mouseenter", function () { light(row, true); });
    row.addEventListener("mouseleave", function () { light(row, false); });
    row.addEventListener("focusin", function () { light(row, true); });
    row.addEventListener("focusout", function () { light(row, false); });
  });

  /* --- a row's "where" link (tabellcelle: side 1 ...) scrolls to its place and keeps it lit --- */
  var pinned = [];
  function pin(row) {
    pinned.forEach(function (el) { el.classList.remove("lit", "pinned"); });
    pinned = targets(row);
    pinned.forEach(function (el) { el.classList.add("lit", "pinned"); });
    if (pinned.length && pinned[0].scrollIntoView) pinned[0].scrollIntoView({ block: "center" });
    return pinned.length > 0;
  }
  $$("tr[data-field] .where a").forEach(function (a) {
    a.addEventListener("click", function (e) {
      var row = a.closest("tr[data-field]");
      if (row && pin(row)) e.preventDefault();
    });
  });
  /* --- a frame on the page picture, focused or tapped, lights its row (and says which value it is) --- */
  function rowsFor(rect) {
    var field = rect.getAttribute("data-field");
    var index = rect.getAttribute("data-index");
    return $$("tr[data-field='" + field + "']").filter(function (r) {
      return index === null || r.getAttribute("data-index") === index;
    });
  }
  $$(".pages rect.box").forEach(function (rect) {
    rect.addEventListener("focus", function () {
      rect.classList.add("lit");
      rowsFor(rect).forEach(function (r) { r.classList.add("lit-row"); });
    });
    rect.addEventListener("blur", function () {
      if (!rect.classList.contains("pinned")) rect.classList.remove("lit");
      rowsFor(rect).forEach(function (r) { r.classList.remove("lit-row"); });
    });
  });
  /* --- tap a page to zoom it (the phone's width shows a whole page too small to read) --- */
  $$(".pages figure.page svg").forEach(function (svg) {
    svg.addEventListener("click", function (e) {
      if (e.target && e.target.tagName && e.target.tagName.toLowerCase() === "rect") return;
      svg.closest("figure").classList.toggle("zoomed");
    });
  });

  /* --- bulk approval: select every clean case on the page --- */
  var all = $("[data-select-all]");
  if (all) {
    all.addEventListener("change", function () {
      $$("input[data-clean]").forEach(function (box) { box.checked = all.checked; });
    });
  }

  /* --- live counts on the queue --- */
  var pulseUrl = doc.body.getAttribute("data-pulse");
  if (pulseUrl && window.fetch) {
    var newest = parseInt(doc.body.getAttribute("data-newest") || "0", 10);
    var every = parseInt(doc.body.getAttribute("data-poll") || "20", 10) * 1000;
    var poll = function () {
      if (doc.hidden) return;
      fetch(pulseUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) return;
          var values = Object.assign({}, data.counts, data.waiting || {}, { open: data.open, all: data.all, mine: data.mine });
          $$("[data-count]").forEach(function (el) {
            var name = el.getAttribute("data-count");
            var value = String(values[name] === undefined ? 0 : values[name]);
            var number = $("b", el);
            if (number && number.textContent !== value) { number.textContent = value; number.classList.add("changed"); }
          });
          if (data.newest > newest) {
            var news = $(".news");
            if (news) news.hidden = false;
          }
        })
        .catch(function () { /* the next poll tries again */ });
    };
    window.setInterval(poll, Math.max(every, 2000));
    doc.addEventListener("visibilitychange", function () { if (!doc.hidden) poll(); });
  }
})();
