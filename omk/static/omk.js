// Progressive enhancement only; every page works without JavaScript.
(function () {
  "use strict";

  // Move the focus to the target of an in-page link (skip link, error summary, table of
  // contents), so keyboard and screen-reader users continue where they jumped to. For a form
  // field, show its label too (the label sits above the field).
  function focusTarget(event) {
    var link = event.target.closest && event.target.closest("a[href^='#']");
    if (!link || link.getAttribute("href").length < 2) { return; }
    var target = document.getElementById(decodeURIComponent(link.getAttribute("href").slice(1)));
    if (!target) { return; }
    var field = /^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(target.tagName);
    if (!field && !target.hasAttribute("tabindex")) { target.setAttribute("tabindex", "-1"); }
    event.preventDefault();
    var label = field && target.id ? document.querySelector("label[for='" + target.id + "']") : null;
    (label || target).scrollIntoView();
    target.focus({ preventScroll: true });
    if (window.history && history.replaceState) { history.replaceState(null, "", link.hash); }
  }

  document.addEventListener("click", focusTarget);

  // On a phone the main navigation is one row that scrolls sideways: bring the current entry
  // into it (the page itself does not move), once the fonts have set the entries' widths.
  window.addEventListener("load", function () {
    var list = document.querySelector(".omk-nav__list");
    var current = list && list.querySelector("[aria-current]");
    if (!current || list.scrollWidth <= list.clientWidth) { return; }
    var box = list.getBoundingClientRect();
    var entry = current.getBoundingClientRect();
    if (entry.right > box.right) { list.scrollLeft += entry.left - box.left - 16; }
  });

  // An entry reached with the keyboard comes wholly into the row, its focus ring too (the
  // browser itself scrolls only once the entry is hidden entirely).
  document.addEventListener("focusin", function (event) {
    var link = event.target;
    var list = link.closest && link.closest(".omk-nav__list");
    if (!list || list.scrollWidth <= list.clientWidth) { return; }
    var box = list.getBoundingClientRect();
    var entry = link.getBoundingClientRect();
    if (entry.left < box.left) { list.scrollLeft -= box.left - entry.left; }
    else if (entry.right > box.right) { list.scrollLeft += entry.right - box.right; }
  });

  // After a failed submit, focus the error summary so screen readers announce it.
  document.addEventListener("DOMContentLoaded", function () {
    var summary = document.getElementById("error-summary");
    if (summary) { summary.focus(); }
  });

  // Warn before leaving a form with unsaved changes (forms marked data-warn-unsaved). A form
  // shown again after an error holds unsaved input from the start (data-warn-unsaved="dirty").
  var unsaved = false;
  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form[data-warn-unsaved]").forEach(function (form) {
      if (form.getAttribute("data-warn-unsaved") === "dirty") { unsaved = true; }
      form.addEventListener("input", function () { unsaved = true; });
      form.addEventListener("change", function () { unsaved = true; });
      form.addEventListener("submit", function () { unsaved = false; });
    });
  });
  window.addEventListener("beforeunload", function (event) {
    if (unsaved) { event.preventDefault(); event.returnValue = ""; }
  });

  // Ask before destructive actions (forms marked data-confirm="question").
  document.addEventListener("submit", function (event) {
    var form = event.target;
    var question = form.getAttribute && form.getAttribute("data-confirm");
    if (question && !window.confirm(question)) { event.preventDefault(); }
  });

  // Offer names in a field's <datalist> from the server as the user types (input[data-lookup]
  // answering {"items": [{"name"}]}); without JavaScript the form's own buttons resolve them.
  // A field of several names (data-lookup-multiple=";") looks up the name after the last
  // separator and offers it after what is typed before it.
  document.addEventListener("DOMContentLoaded", function () {
    if (!window.fetch) { return; }
    document.querySelectorAll("input[data-lookup][list]").forEach(function (input) {
      var list = document.getElementById(input.getAttribute("list"));
      var timer = null;
      var asked = "";
      if (!list) { return; }
      input.addEventListener("input", function () {
        window.clearTimeout(timer);
        timer = window.setTimeout(function () {
          var separator = input.getAttribute("data-lookup-multiple");
          var sent = input.value.trim();
          var typed = input.value;
          var before = "";
          if (separator && typed.lastIndexOf(separator) >= 0) {
            before = typed.slice(0, typed.lastIndexOf(separator)).trim() + separator + " ";
            typed = typed.slice(typed.lastIndexOf(separator) + separator.length);
          }
          var q = typed.trim();
          if (q.length < 2 || sent === asked) { return; }
          asked = sent;
          fetch(input.getAttribute("data-lookup") + "?q=" + encodeURIComponent(q), {
            credentials: "same-origin",
            headers: { Accept: "application/json" }
          }).then(function (response) {
            return response.ok ? response.json() : { items: [] };
          }).then(function (body) {
            if (input.value.trim() !== sent) { return; }
            list.textContent = "";
            body.items.forEach(function (item) {
              var option = document.createElement("option");
              option.value = before + item.name;
              list.appendChild(option);
            });
          }).catch(function () { asked = ""; });
        }, 200);
      });
    });
  });

  // The search page: a filter or the sort order applies as soon as it changes (forms marked
  // data-search-live), and removing an active filter needs no page load. The page's parts are
  // replaced with those of the new address; the result count keeps its role="status" element
  // and changes its text, so screen readers announce it; the address goes into the history
  // (back and forward load it again). Without JavaScript the forms' buttons and the links do
  // the same with a page load.
  document.addEventListener("DOMContentLoaded", function () {
    var layout = document.getElementById("search-layout");
    if (!layout || !window.fetch || !window.DOMParser || !window.history.pushState) { return; }
    var PARTS = ["search-results-body", "search-filters", "search-form-filters"];
    var path = window.location.pathname;
    var latest = null;

    function focusChecked(name, value) {
      var boxes = document.querySelectorAll("#search-filters input[type='checkbox']");
      for (var i = 0; i < boxes.length; i++) {
        if (boxes[i].name === name && boxes[i].value === value) { boxes[i].focus(); return; }
      }
    }

    function load(url, push, focus) {
      var request = {};
      latest = request;
      layout.setAttribute("aria-busy", "true");
      fetch(url, { credentials: "same-origin", headers: { Accept: "text/html" } })
        .then(function (response) {
          if (!response.ok || response.redirected) { throw new Error("status " + response.status); }
          return response.text();
        })
        .then(function (html) {
          if (latest !== request) { return; }  // a newer change is on its way
          var page = new DOMParser().parseFromString(html, "text/html");
          var status = page.getElementById("search-status");
          var same = status && PARTS.every(function (id) {
            return !page.getElementById(id) === !document.getElementById(id);
          });
          if (!same) { window.location.assign(url); return; }
          PARTS.forEach(function (id) {
            var old = document.getElementById(id);
            if (old) { old.parentNode.replaceChild(document.adoptNode(page.getElementById(id)), old); }
          });
          document.getElementById("search-status").textContent = status.textContent;
          document.title = page.title;
          if (push) { window.history.pushState(null, "", url); }
          layout.removeAttribute("aria-busy");
          if (focus) { focus(); }
        })
        .catch(function () { window.location.assign(url); });
    }

    document.addEventListener("change", function (event) {
      var field = event.target;
      var form = field.form;
      if (!form || !form.hasAttribute("data-search-live")) { return; }
      if (field.type !== "checkbox" && field.tagName !== "SELECT") { return; }  // not the words
      var query = new URLSearchParams(new FormData(form)).toString();
      var name = field.name;
      var value = field.value;
      load(form.getAttribute("action") + "?" + query, true, function () {
        if (field.type === "checkbox") { focusChecked(name, value); }
      });
    });

    document.addEventListener("click", function (event) {
      var link = event.target.closest && event.target.closest(".omk-active-filters a");
      if (!link || event.ctrlKey || event.metaKey || event.shiftKey || event.button) { return; }
      event.preventDefault();
      load(link.href, true, function () {
        var heading = document.getElementById("results-h");
        heading.setAttribute("tabindex", "-1");
        heading.focus();
      });
    });

    window.addEventListener("popstate", function () {
      if (window.location.pathname === path) { load(window.location.href, false, null); }
    });
  });
})();
