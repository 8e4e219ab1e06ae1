// left4me's own script. Served as a file so the Content-Security-Policy
// can forbid inline scripts.
(function () {
  "use strict";

  // Every htmx request carries the CSRF token from the page's meta tag.
  document.addEventListener("htmx:configRequest", function (evt) {
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (meta) {
      evt.detail.headers["X-CSRF-Token"] = meta.getAttribute("content");
    }
  });

  // A boosted page swaps only the body, so after a login, a logout or the
  // first admin's setup the head would keep the old session's token and
  // every later htmx POST would be refused. Take the token of each new
  // full page from its response.
  document.addEventListener("htmx:beforeSwap", function (evt) {
    var text = evt.detail.serverResponse;
    if (typeof text !== "string" || text.indexOf('name="csrf-token"') < 0) {
      return;
    }
    var fresh = new DOMParser().parseFromString(text, "text/html")
      .querySelector('meta[name="csrf-token"]');
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (fresh && meta) {
      meta.setAttribute("content", fresh.getAttribute("content"));
    }
  });

  // Polled fragments (data-poll) are not fetched while the tab is hidden;
  // the next poll after it becomes visible catches up.
  document.addEventListener("htmx:confirm", function (evt) {
    if (document.hidden && evt.target.closest("[data-poll]")) {
      evt.preventDefault();
    }
  });

  // The server page's log opens at its newest line and follows new lines
  // while the reader is at the bottom. Scrolled up, it stays where the
  // reader is through the 3 s poll (which replaces the box) and the note
  // above it says it does not follow, until they are back at the bottom.
  // The box holds the last lines only, so older lines leave its top as new
  // ones come: the reader's place is the first line they see (its text
  // and how many lines follow it), not a pixel offset.
  var log = { url: null, follow: true, top: 0, anchor: null };
  function logLines(box) {
    return box.querySelectorAll('[data-testid="log-line"]');
  }
  function logAnchor(box) {
    var lines = logLines(box);
    var top = box.getBoundingClientRect().top;
    for (var i = 0; i < lines.length; i++) {
      var r = lines[i].getBoundingClientRect();
      if (r.bottom > top) {
        return { text: lines[i].textContent, fromEnd: lines.length - 1 - i, offset: r.top - top };
      }
    }
    return null;
  }
  // logPlace scrolls a new box to the line of the anchor: the same text,
  // the nearest to the end that is not nearer than it was (new lines only
  // push it away from the end). It is false when that line is gone.
  function logPlace(box, a) {
    var lines = logLines(box);
    for (var i = lines.length - 1 - a.fromEnd; i >= 0; i--) {
      if (lines[i].textContent === a.text) {
        box.scrollTop += lines[i].getBoundingClientRect().top - box.getBoundingClientRect().top - a.offset;
        return true;
      }
    }
    return false;
  }
  function logAtBottom(box) {
    return box.scrollHeight - box.scrollTop - box.clientHeight < 4;
  }
  function logNote() {
    var note = document.querySelector('[data-testid="log-paused"]');
    if (note) {
      note.hidden = log.follow;
    }
  }
  document.addEventListener("scroll", function (evt) {
    var box = evt.target;
    if (box.matches && box.matches('[data-testid="log-box"]')) {
      log.follow = logAtBottom(box);
      log.top = box.scrollTop;
      logNote();
    }
  }, true);
  document.addEventListener("htmx:beforeSwap", function (evt) {
    if (evt.detail.target === document.body) {
      log.url = null; // another page: its log starts at the newest line
    }
    var box = document.querySelector('[data-testid="log-box"]');
    if (box && evt.detail.target.contains(box)) {
      log.anchor = log.follow ? null : logAnchor(box);
    }
  });
  document.addEventListener("htmx:load", function (evt) {
    var box = document.querySelector('[data-testid="log-box"]');
    var region = box && box.closest("[hx-get]");
    // Other polled parts of the page (the state card) load too: only a
    // load that brought a new log box may place it.
    if (!region || !(evt.detail && evt.detail.elt && evt.detail.elt.contains(box))) {
      return;
    }
    var url = region.getAttribute("hx-get");
    if (url !== log.url) {
      log = { url: url, follow: true, top: 0, anchor: null };
    }
    if (log.follow) {
      box.scrollTop = box.scrollHeight;
    } else if (!(log.anchor && logPlace(box, log.anchor))) {
      box.scrollTop = log.top;
    }
    // The scroll event comes later; until then the place is this one.
    log.top = box.scrollTop;
    log.anchor = null;
    logNote();
  });

  // A time the panel shows relative ("2 min ago") has the absolute time
  // as its title, in UTC as the server wrote it: put it in the viewer's
  // own time zone. Polls and morphs bring the UTC title back, so this
  // runs after every swap and settle. A log line's time of day
  // (data-clock, "09:21:08" in UTC) is shown in that zone too; it is not
  // part of the line's text the log's place is anchored on.
  function localTimes() {
    var els = document.querySelectorAll("time[datetime], [data-at]");
    for (var i = 0; i < els.length; i++) {
      var d = new Date(els[i].getAttribute("datetime") || els[i].getAttribute("data-at"));
      if (!isNaN(d.getTime())) {
        // (dateStyle cannot be combined with timeZoneName)
        els[i].title = d.toLocaleString(undefined, {
          year: "numeric", month: "short", day: "numeric",
          hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short"
        });
        if (els[i].hasAttribute("data-clock")) {
          els[i].textContent = d.toLocaleTimeString(undefined, {
            hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23"
          });
        }
      }
    }
  }
  document.addEventListener("DOMContentLoaded", localTimes);
  document.addEventListener("htmx:afterSwap", localTimes);
  document.addEventListener("htmx:afterSettle", localTimes);

  // A copy button (data-copy: the id of the element whose text it
  // copies; hidden without this script) puts the text on the clipboard and
  // says "Copied" in its status (data-copy-status). Where the clipboard is
  // not available (a panel on plain http away from localhost) it selects
  // the text for the reader to copy.
  function showCopyButtons() {
    var bs = document.querySelectorAll("button[data-copy]");
    for (var i = 0; i < bs.length; i++) {
      bs[i].hidden = false;
    }
  }
  document.addEventListener("DOMContentLoaded", showCopyButtons);
  document.addEventListener("htmx:afterSettle", showCopyButtons);
  document.addEventListener("click", function (evt) {
    var b = evt.target.closest && evt.target.closest("button[data-copy]");
    if (!b) {
      return;
    }
    var id = b.getAttribute("data-copy");
    var el = document.getElementById(id);
    var status = document.querySelector('[data-copy-status="' + id + '"]');
    if (!el) {
      return;
    }
    function say(msg) {
      if (status) {
        status.textContent = msg;
      }
    }
    function selectIt() {
      var range = document.createRange();
      range.selectNodeContents(el);
      var sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      say("Selected: press Ctrl+C (⌘C) to copy.");
    }
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(el.textContent).then(function () { say("Copied"); }, selectIt);
    } else {
      selectIt();
    }
  });

  // Forms and buttons marked data-confirm ask before they act, with or
  // without htmx.
  document.addEventListener("submit", function (evt) {
    var msg = evt.target.getAttribute("data-confirm");
    if (msg && !window.confirm(msg)) {
      evt.preventDefault();
      evt.stopImmediatePropagation();
    }
  }, true);
})();
