// Copy buttons of the invite page's links: each button (data-copy names its text box) puts
// the box's text on the clipboard and says so in the page's live region. Without this script
// the buttons stay hidden and the text boxes are there to select and copy.
"use strict";

(function () {
  var status = document.getElementById("copy-status");

  function say(words) {
    if (status) {
      status.textContent = words;
    }
  }

  function copied(box, label) {
    say(label + " copied");
    box.focus();
    box.select();
  }

  function copy(box, label) {
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(box.value).then(
        function () {
          copied(box, label);
        },
        function () {
          fallback(box, label);
        }
      );
    } else {
      fallback(box, label);
    }
  }

  // Plain HTTP (a local server) has no clipboard API: select the text and copy it.
  function fallback(box, label) {
    box.focus();
    box.select();
    var done = false;
    try {
      done = document.execCommand("copy");
    } catch (error) {
      done = false;
    }
    say(done ? label + " copied" : "Press Ctrl+C (or \u2318C) to copy the selected link");
  }

  document.querySelectorAll("button[data-copy]").forEach(function (button) {
    var box = document.getElementById(button.getAttribute("data-copy"));
    if (!box) {
      return;
    }
    var label = (document.querySelector("label[for='" + box.id + "']") || {}).textContent || "Link";
    button.hidden = false;
    button.addEventListener("click", function () {
      copy(box, label.trim());
    });
  });
})();
