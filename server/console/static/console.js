// fieldsync console: the little behaviour the pages need. No inline handlers (the CSP forbids
// them), no libraries. Forms, or the button that sends one, marked data-confirm ask first
// (approving and rejecting a visit are final; the send-back button of the same form is not).
document.addEventListener("submit", function (event) {
  var form = event.target;
  var button = event.submitter;
  var question = (button && button.getAttribute("data-confirm")) ||
                 (form.getAttribute && form.getAttribute("data-confirm"));
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});

// Filter forms: the park list shows only the chosen province's parks. A park of another
// province left selected would silently empty the list, so it is cleared.
function narrowParks(provinceSelect, keepChoice) {
  var parks = provinceSelect.form && provinceSelect.form.querySelector("select[name=park_id]");
  if (!parks) return;
  Array.prototype.forEach.call(parks.options, function (option) {
    var province = option.getAttribute("data-province");
    option.hidden = !!(province && provinceSelect.value && province !== provinceSelect.value);
  });
  var chosen = parks.options[parks.selectedIndex];
  if (chosen && chosen.hidden && !keepChoice) parks.value = "";
}

document.addEventListener("change", function (event) {
  if (event.target.name === "province_id") narrowParks(event.target);
});

// A page opened with a province already chosen (a filtered link, the back button) starts narrowed;
// its park stays as the list below it was filtered, even if it does not match.
document.addEventListener("DOMContentLoaded", function () {
  Array.prototype.forEach.call(document.querySelectorAll("form select[name=province_id]"), function (select) {
    narrowParks(select, true);
  });
});
