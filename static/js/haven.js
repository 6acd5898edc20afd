// Haven's small progressive enhancements. Every page works without this file.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  // <a data-back hidden> becomes a "go back" link when there is somewhere to go back to.
  document.querySelectorAll("a[data-back]").forEach(function (a) {
    if (window.history.length < 2) return;
    a.hidden = false;
    a.addEventListener("click", function (e) {
      e.preventDefault();
      window.history.back();
    });
  });

  // <form data-confirm="question"> asks before it is sent.
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm(f.getAttribute("data-confirm"))) e.preventDefault();
    });
  });

  // A form is sent once: a second click while the first is on its way does nothing.
  document.querySelectorAll("form").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (e.defaultPrevented) return;
      if (f.dataset.sending) {
        e.preventDefault();
        return;
      }
      f.dataset.sending = "1";
      // Let the form be sent again if the person comes back with the back button.
      window.addEventListener("pageshow", function () { delete f.dataset.sending; }, { once: true });
    });
  });
});
