/* Ask before leaving a form with unsaved changes (issue 17).
 *
 * A form marked `data-unsaved-warning` becomes dirty once a field differs from what the
 * page was served with; leaving the page then asks first (the browser's own "Leave site?"
 * dialog, through `beforeunload`). Submitting the form clears the flag, so saving never
 * asks. Nothing depends on this script: without JavaScript the form works the same. */
(function () {
  "use strict";

  function snapshot(form) {
    var values = [];
    Array.prototype.forEach.call(form.elements, function (field) {
      if (!field.name || field.type === "hidden" || field.disabled) { return; }
      if (field.type === "radio" || field.type === "checkbox") {
        values.push(field.name + "=" + (field.checked ? field.value : ""));
      } else {
        values.push(field.name + "=" + field.value);
      }
    });
    return values.join("&");
  }

  function watch(form) {
    var saved = snapshot(form);
    var submitting = false;
    form.addEventListener("submit", function () { submitting = true; });
    window.addEventListener("beforeunload", function (event) {
      if (submitting || snapshot(form) === saved) { return undefined; }
      event.preventDefault();
      event.returnValue = "";
      return "";
    });
    form.dataset.unsavedReady = "true";
  }

  function start() {
    document.querySelectorAll("form[data-unsaved-warning]").forEach(watch);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
