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

  // <a data-quote href="/threads/1?quote=5#reply"> adds a quote of the post to the
  // reply box without leaving the page. Without JS the link loads the page with the
  // reply box filled in; the JSON of the same URL carries the quote.
  document.querySelectorAll("a[data-quote]").forEach(function (a) {
    a.addEventListener("click", function (e) {
      var box = document.getElementById("body");
      if (!box || !window.fetch) return;
      e.preventDefault();
      fetch(a.href, { headers: { Accept: "application/json" }, credentials: "same-origin" })
        .then(function (r) {
          if (!r.ok) throw new Error("status " + r.status);
          return r.json();
        })
        .then(function (j) {
          if (!j.quote) throw new Error("no quote");
          var text = box.value.replace(/\s+$/, "");
          box.value = (text ? text + "\n\n" : "") + j.quote.body;
          var cw = document.getElementById("content_warning");
          if (cw && !cw.value && j.quote.content_warning) cw.value = j.quote.content_warning;
          box.focus();
          box.setSelectionRange(box.value.length, box.value.length);
        })
        .catch(function () { window.location.href = a.href; });
    });
  });

  // <ol class="posts" data-live="/threads/1/events"> shows new and changed posts as
  // they happen: on each event it fetches this same page, as this reader, and adds or
  // replaces the posts that differ. The page works the same without it.
  var live = document.querySelector("ol.posts[data-live]");
  if (live && window.EventSource && window.fetch && window.DOMParser) {
    var status = document.getElementById("live-status");
    var refreshing = false, again = false;
    var refresh = function () {
      if (refreshing) { again = true; return; }
      refreshing = true;
      fetch(window.location.pathname + window.location.search, { headers: { Accept: "text/html" }, credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error("status " + r.status); return r.text(); })
        .then(function (html) {
          var doc = new DOMParser().parseFromString(html, "text/html");
          var fresh = doc.querySelector("ol.posts[data-live]");
          if (!fresh) return;
          var added = 0;
          fresh.querySelectorAll(":scope > li").forEach(function (li) {
            var art = li.querySelector("article[id]");
            if (!art) return;
            var old = document.getElementById(art.id);
            if (!old) {
              live.appendChild(document.importNode(li, true));
              added++;
            } else if (old.outerHTML !== art.outerHTML) {
              old.parentNode.replaceChild(document.importNode(art, true), old);
            }
          });
          if (added && status) status.textContent = added === 1 ? "A new reply arrived." : added + " new replies arrived.";
        })
        .catch(function () {})
        .then(function () {
          refreshing = false;
          if (again) { again = false; refresh(); }
        });
    };
    var es = new EventSource(live.getAttribute("data-live"));
    ["post", "post_updated", "post_removed"].forEach(function (name) {
      es.addEventListener(name, function () {
        if (live.hasAttribute("data-live-more") && name === "post") {
          if (status) status.textContent = "New replies are on the last page.";
          return;
        }
        refresh();
      });
    });
  }

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
