// Ticket page: choosing a canned reply puts its text in the reply box, to edit before sending.
(function () {
  "use strict";
  var select = document.getElementById("id_canned");
  var body = document.getElementById("id_body");
  if (!select || !body) return;
  select.addEventListener("change", function () {
    var option = select.options[select.selectedIndex];
    var text = option && option.getAttribute("data-body");
    if (text && !body.value.trim()) {
      body.value = text;
      body.focus();
    }
  });
})();
