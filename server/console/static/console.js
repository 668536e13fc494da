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

// Filter forms: a list that depends on another (parks on the province, obstacle groups on the
// area) is marked data-follows="<name of the other select>", and each of its options names
// its parent in data-parent. Only the chosen parent's options show; a choice of another
// parent left selected would silently empty the list, so it is cleared.
function narrow(child, parentSelect, keepChoice) {
  Array.prototype.forEach.call(child.options, function (option) {
    var parent = option.getAttribute("data-parent");
    option.hidden = !!(parent && parentSelect.value && parent !== parentSelect.value);
  });
  var chosen = child.options[child.selectedIndex];
  if (chosen && chosen.hidden && !keepChoice) child.value = "";
}

function followers(parentSelect) {
  var form = parentSelect.form;
  if (!form) return [];
  return form.querySelectorAll("select[data-follows='" + parentSelect.name + "']");
}

document.addEventListener("change", function (event) {
  if (event.target.tagName !== "SELECT") return;
  Array.prototype.forEach.call(followers(event.target), function (child) { narrow(child, event.target); });
});

// A page opened with a parent already chosen (a filtered link, the back button) starts
// narrowed; its child choice stays as the list below it was filtered, even if it does not match.
document.addEventListener("DOMContentLoaded", function () {
  Array.prototype.forEach.call(document.querySelectorAll("form select[data-follows]"), function (child) {
    var parent = child.form.querySelector("select[name='" + child.getAttribute("data-follows") + "']");
    if (parent) narrow(child, parent, true);
  });
  // Lists with a "select all" box: it ticks every row's box.
  Array.prototype.forEach.call(document.querySelectorAll("input[data-select-all]"), function (all) {
    all.addEventListener("change", function () {
      var boxes = document.querySelectorAll("input[name='" + all.getAttribute("data-select-all") + "']");
      Array.prototype.forEach.call(boxes, function (box) { if (!box.disabled) box.checked = all.checked; });
    });
  });
});
