// Keeps a signed-in reader's half-written comment or reply in this browser while they type,
// one draft per reader, article and comment replied to; puts it back when that form is shown
// again (after a reload, a lost session, a reply form reopened) and forgets it once the
// comment is posted, after a week, or when the reader signs out here. Without this script
// (or without storage) the forms work exactly as before.
(function () {
  "use strict";
  var PREFIX = "driverline:comment-draft:";
  var SENT = "driverline:comment-draft-sent"; // this tab's last post, until it is confirmed
  var MAX_AGE = 7 * 24 * 3600 * 1000; // health details should not linger on a shared computer

  function storage(name) {
    try {
      var store = window[name];
      store.getItem(PREFIX);
      return store;
    } catch (error) {
      return null; // storage switched off: nothing to do
    }
  }
  var drafts = storage("localStorage");
  var tab = storage("sessionStorage");
  if (!drafts) {
    return;
  }

  function keyOf(form) {
    var parent = form.elements.parent;
    return PREFIX + form.getAttribute("data-comment-draft") + ":" + ((parent && parent.value) || "new");
  }

  function save(form) {
    var text = form.elements.body.value;
    try {
      if (text.trim()) {
        drafts.setItem(keyOf(form), JSON.stringify({ text: text, at: Date.now() }));
      } else {
        drafts.removeItem(keyOf(form));
      }
    } catch (error) {
      // Storage full: the text is still in the form.
    }
  }

  function read(key) {
    try {
      var draft = JSON.parse(drafts.getItem(key));
      if (draft && typeof draft.text === "string" && Date.now() - draft.at < MAX_AGE) {
        return draft.text;
      }
    } catch (error) {
      // Not ours, or damaged: forget it.
    }
    drafts.removeItem(key);
    return "";
  }

  function draftKeys() {
    var keys = [];
    for (var i = 0; i < drafts.length; i++) {
      var key = drafts.key(i);
      if (key && key.indexOf(PREFIX) === 0) {
        keys.push(key);
      }
    }
    return keys;
  }

  function within(root, selector) {
    var found = Array.prototype.slice.call(root.querySelectorAll(selector));
    if (root.matches && root.matches(selector)) {
      found.unshift(root);
    }
    return found;
  }

  function enhance(root) {
    // The server marks a posted comment (the form's fresh fragment, or the page's message
    // after a full post): the draft this tab sent is done with, before anything is restored.
    var sent = tab && tab.getItem(SENT);
    if (sent && within(root, "[data-comment-posted]").length) {
      drafts.removeItem(sent);
      tab.removeItem(SENT);
    }
    within(root, "form[data-comment-draft]").forEach(function (form) {
      var body = form.elements.body;
      if (!body) {
        return;
      }
      if (body.value.trim()) {
        save(form); // the server kept the text (a preview, or an error to correct)
      } else {
        body.value = read(keyOf(form));
      }
    });
  }

  document.addEventListener("input", function (event) {
    var field = event.target;
    if (field.name === "body" && field.form && field.form.hasAttribute("data-comment-draft")) {
      save(field.form);
    }
  });

  // Capturing, so this runs before htmx takes over the submission.
  document.addEventListener(
    "submit",
    function (event) {
      var form = event.target;
      if (form.hasAttribute("data-comment-draft")) {
        var preview = event.submitter && event.submitter.name === "preview";
        if (tab && !preview) {
          tab.setItem(SENT, keyOf(form));
        }
      } else if (form.hasAttribute("data-forget-drafts")) {
        draftKeys().forEach(function (key) {
          drafts.removeItem(key);
        });
      }
    },
    true
  );

  document.addEventListener("htmx:load", function (event) {
    enhance(event.target);
  });

  function start() {
    draftKeys().forEach(read); // drops drafts older than a week
    enhance(document);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
