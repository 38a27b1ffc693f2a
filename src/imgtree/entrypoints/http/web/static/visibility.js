// Where visibility is chosen (the upload page): the sentence under the select explains the
// chosen option. Each <option> carries its sentence in data-help; the sentence goes to the
// element the select's aria-describedby names (textContent only).
(function () {
  "use strict";
  document.querySelectorAll("select[data-visibility][aria-describedby]").forEach(function (select) {
    var help = document.getElementById(select.getAttribute("aria-describedby"));
    if (!help) return;
    function explain() {
      var option = select.options[select.selectedIndex];
      help.textContent = option ? option.getAttribute("data-help") || "" : "";
    }
    select.addEventListener("change", explain);
    explain(); // a browser that restored another choice on reload
  });
})();
