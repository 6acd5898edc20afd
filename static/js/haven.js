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
    var newestFirst = live.hasAttribute("data-newest-first");
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
          // A live thread (data-newest-first) shows new updates on top, in the page's order.
          var top = newestFirst ? live.firstElementChild : null;
          fresh.querySelectorAll(":scope > li").forEach(function (li) {
            var art = li.querySelector("article[id]");
            if (!art) return;
            var old = document.getElementById(art.id);
            if (!old) {
              live.insertBefore(document.importNode(li, true), top);
              added++;
            } else if (old.outerHTML !== art.outerHTML) {
              old.parentNode.replaceChild(document.importNode(art, true), old);
            }
          });
          var what = newestFirst ? ["A new update arrived.", " new updates arrived."] : ["A new reply arrived.", " new replies arrived."];
          if (added && status) status.textContent = added === 1 ? what[0] : added + what[1];
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
          if (status) status.textContent = newestFirst ? "New updates are on the first page." : "New replies are on the last page.";
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

// The moderators' pages (data-shortcuts="queue" or "item"): live deadline countdowns,
// canned reasons, and keyboard shortcuts. Without JS the same pages work by links,
// forms and <details>; keys are never taken while someone types in a field.
document.addEventListener("DOMContentLoaded", function () {
  var root = document.querySelector("[data-shortcuts]");
  if (!root) return;
  var kind = root.getAttribute("data-shortcuts");

  // "due in 12 min" / "overdue by 5 min", in the same words as the server (dueText).
  var rough = function (ms) {
    var mins = Math.max(1, Math.round(ms / 60000));
    var hours = Math.floor(mins / 60), rest = mins % 60;
    if (mins < 60) return mins + " min";
    if (hours < 6 && rest > 0) return hours + " h " + rest + " min";
    if (hours < 48) return hours + " h";
    return Math.floor(hours / 24) + " days";
  };
  var tick = function () {
    root.querySelectorAll("[data-deadline]").forEach(function (el) {
      var ms = Date.parse(el.getAttribute("data-deadline")) - Date.now();
      if (isNaN(ms)) return;
      el.textContent = ms >= 0 ? "due in " + rough(ms) : "overdue by " + rough(-ms);
      el.classList.toggle("is-overdue", ms < 0);
    });
  };
  window.setInterval(tick, 30000);

  root.querySelectorAll("[data-shortcut-help], [data-js-only]").forEach(function (el) { el.hidden = false; });
  var help = document.getElementById("shortcut-help");
  var toggleHelp = function (show) {
    if (!help) return;
    help.hidden = show === undefined ? !help.hidden : !show;
  };
  root.querySelectorAll("[data-shortcut-help]").forEach(function (b) {
    b.addEventListener("click", function () { toggleHelp(); });
  });

  // A canned reason goes into the reason box, where it can still be edited.
  var canned = root.querySelector("select[data-canned]");
  var reason = document.getElementById("reason");
  if (canned && reason) {
    canned.addEventListener("change", function () {
      if (!canned.value) return;
      var text = reason.value.replace(/\s+$/, "");
      reason.value = text ? text + "\n" + canned.value : canned.value;
      canned.value = "";
      reason.focus();
    });
  }

  var submit = function (form) {
    if (!form) return;
    if (form.requestSubmit) form.requestSubmit();
    else form.submit();
  };

  var rows = Array.prototype.slice.call(root.querySelectorAll("[data-row]"));
  var current = -1;
  var move = function (by) {
    if (!rows.length) return;
    if (current >= 0) rows[current].classList.remove("is-current");
    current = Math.min(rows.length - 1, Math.max(0, current + by));
    var row = rows[current];
    row.classList.add("is-current");
    var link = row.querySelector("[data-open]");
    if (link) link.focus();
    row.scrollIntoView({ block: "nearest" });
  };
  var choose = function (action) {
    var radio = document.getElementById("action-" + action);
    if (!radio) return;
    radio.checked = true;
    radio.focus();
  };

  document.addEventListener("keydown", function (e) {
    var t = e.target;
    var typing = t && (t.isContentEditable || t.tagName === "TEXTAREA" || t.tagName === "SELECT" ||
      (t.tagName === "INPUT" && !/^(radio|checkbox|button|submit|reset)$/.test(t.type)));
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey) && kind === "item") {
      // Send the form being filled in, else the decision.
      var form = (t && t.form) || document.getElementById("decision-form");
      if (form) {
        e.preventDefault();
        submit(form);
      }
      return;
    }
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === "Escape" && help && !help.hidden) {
      toggleHelp(false);
      return;
    }
    if (typing) return;
    if (e.key === "?") {
      e.preventDefault();
      toggleHelp();
      return;
    }
    if (kind === "queue") {
      if (e.key === "j" || e.key === "k") {
        e.preventDefault();
        move(e.key === "j" ? 1 : -1);
      } else if ((e.key === "o" || e.key === "Enter") && current >= 0) {
        // Enter on a focused link or button does its own thing.
        if (e.key === "Enter" && t && t !== document.body && !t.hasAttribute("data-open")) return;
        var link = rows[current].querySelector("[data-open]");
        if (link) {
          e.preventDefault();
          window.location.href = link.href;
        }
      } else if (e.key === "c" && current >= 0) {
        // Claim the current item (the row's own Claim form), which then opens it.
        e.preventDefault();
        submit(rows[current].querySelector("form[data-claim]"));
      } else if ((e.key === "a" || e.key === "r") && current >= 0) {
        // Open the current item with approve or remove already chosen.
        var open = rows[current].querySelector("[data-open]");
        if (open) {
          e.preventDefault();
          window.location.href = open.href + "?action=" + (e.key === "a" ? "approve" : "remove") + "#decision-h";
        }
      }
      return;
    }
    if (kind === "item") {
      var map = { a: "approve", r: "remove", e: "escalate", d: "redact", l: "lock", w: "warn", m: "mute", b: "ban" };
      if (e.key === "c") {
        e.preventDefault();
        submit(document.getElementById("claim-form"));
      } else if (map[e.key]) {
        e.preventDefault();
        choose(map[e.key]);
      }
    }
  });
});
