// Scrollable regions reachable from the keyboard (WCAG 2.1.1, axe's scrollable-region-focusable).
// A wide table in a .table-responsive wrapper, a long <pre>, scrolls sideways on a phone: a
// keyboard user must be able to focus it to scroll it. Only the wrappers that do overflow at the
// current width get a tab stop (and a name, so a screen reader says what they hold); the others
// stay out of the tab order. Run again on resize and after every htmx swap.
(function () {
  "use strict";
  var SELECTOR = ".table-responsive, pre, .live-result .card-body, .scroll-region";
  var MARK = "scrollRegion";

  function nameOf(el) {
    var caption = el.querySelector("caption");
    if (caption && caption.textContent.trim()) {
      return caption.textContent.trim().split(". ")[0];
    }
    var section = el.closest("[aria-labelledby]");
    var heading = section && document.getElementById(section.getAttribute("aria-labelledby"));
    if (heading && heading.textContent.trim()) {
      return heading.textContent.trim();
    }
    var h1 = document.querySelector("main h1");
    return h1 ? h1.textContent.trim() : document.title;
  }

  function overflows(el) {
    return el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1;
  }

  function mark(el) {
    var ours = el.dataset[MARK];  // the attributes this script set, comma-separated
    if (overflows(el)) {
      if (ours !== undefined || el.hasAttribute("tabindex")) {
        return;
      }
      var set = ["tabindex"];
      el.tabIndex = 0;
      if (!el.hasAttribute("role")) {
        el.setAttribute("role", "region");
        set.push("role");
      }
      if (!el.hasAttribute("aria-label") && !el.hasAttribute("aria-labelledby")) {
        el.setAttribute("aria-label", nameOf(el) + " (scrolls sideways)");
        set.push("aria-label");
      }
      el.dataset[MARK] = set.join(",");
    } else if (ours !== undefined) {
      ours.split(",").forEach(function (name) { el.removeAttribute(name); });
      delete el.dataset[MARK];
    }
  }

  function markAll() {
    document.querySelectorAll(SELECTOR).forEach(mark);
  }

  var pending = null;
  function later() {
    window.clearTimeout(pending);
    pending = window.setTimeout(markAll, 150);
  }

  markAll();
  window.addEventListener("load", markAll);
  window.addEventListener("resize", later);
  document.addEventListener("htmx:afterSettle", markAll);
})();
