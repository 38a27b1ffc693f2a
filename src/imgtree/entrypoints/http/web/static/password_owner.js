// The owner's password control on an image or album page (templates/_password_form.html):
// PATCH {password} on the image or album, or {password: null} to remove it, then reload.
(function () {
  "use strict";

  var I = window.Imgtree;
  var form = document.querySelector("[data-password-form]");
  if (!form || !I) return;
  var input = form.querySelector("[data-password-input]");
  var status = form.querySelector("[data-password-status]");
  var remove = form.querySelector("[data-password-remove]");

  async function send(password, done) {
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (b) { b.disabled = true; });
    try {
      await I.api.patch(form.dataset.endpoint, { password: password });
      I.show(status, done);
      location.reload();
    } catch (err) {
      I.show(status, err.message);
    } finally {
      buttons.forEach(function (b) { b.disabled = false; });
    }
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    if (!input.value) {
      I.show(status, I.t("type_a_password_first"));
      return;
    }
    send(input.value, I.t("password_saved"));
  });
  if (remove) {
    remove.addEventListener("click", function () { send(null, I.t("password_removed")); });
  }
})();
