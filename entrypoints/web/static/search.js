// Search by title as one types: hides the rows (elements with data-title) whose title does
// not hold the words typed, and says how many are left in the form's live region. Without
// this script the same form is answered by the server (?q=), so nothing depends on it.
"use strict";

(function () {
  function count(n) {
    return n + (n === 1 ? " invitation shown" : " invitations shown");
  }

  function filter(input, status) {
    var wanted = input.value.trim().toLowerCase();
    var rows = document.querySelectorAll("[data-title]");
    var shown = 0;
    rows.forEach(function (row) {
      var keep = row.getAttribute("data-title").toLowerCase().indexOf(wanted) !== -1;
      row.hidden = !keep;
      if (keep) {
        shown += 1;
      }
    });
    var words = input.value.trim();
    status.textContent = words ? count(shown) + " for \u201c" + words + "\u201d" : count(shown);
  }

  document.querySelectorAll("form[data-search]").forEach(function (form) {
    var input = form.querySelector("input[type=search]");
    var status = document.getElementById(form.getAttribute("data-search"));
    if (!input || !status) {
      return;
    }
    input.addEventListener("input", function () {
      filter(input, status);
    });
  });
})();
