// fieldsync console: the little behaviour the pages need. No inline handlers (the CSP forbids
// them), no libraries. Forms marked data-confirm ask before they are sent.
document.addEventListener("submit", function (event) {
  var form = event.target;
  var question = form.getAttribute && form.getAttribute("data-confirm");
  if (question && !window.confirm(question)) {
    event.preventDefault();
  }
});
// Filter forms: changing the province narrows the park list to that province's parks.
document.addEventListener("change", function (event) {
  var select = event.target;
  if (select.name !== "province_id" || !select.form) return;
  var parks = select.form.querySelector("select[name=park_id]");
  if (!parks) return;
  Array.prototype.forEach.call(parks.options, function (option) {
    var province = option.getAttribute("data-province");
    option.hidden = !!(province && select.value && province !== select.value);
  });
});
