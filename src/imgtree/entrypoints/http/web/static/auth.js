// /login and /signup: post the form as JSON, then go where the visitor was heading.
(function () {
  "use strict";

  var I = window.Imgtree;
  var form = document.querySelector("[data-auth-form]");
  if (!form || !I) return;

  var mode = form.dataset.authForm;
  var error = form.querySelector("[data-error]");
  var button = form.querySelector("button[type=submit]");

  function safeNext(value) {
    if (!value || value.charAt(0) !== "/" || value.charAt(1) === "/" || value.indexOf("\\") !== -1) {
      return "/gallery";
    }
    return value;
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    I.show(error, "");
    var email = form.elements.email.value.trim();
    var password = form.elements.password.value;
    if (!email || !password) {
      I.show(error, I.t("enter_email_and_password"));
      (email ? form.elements.password : form.elements.email).focus();
      return;
    }
    if (mode === "signup" && password.length < 8) {
      I.show(error, I.t("password_too_short"));
      form.elements.password.focus();
      return;
    }
    var body = { email: email, password: password };
    // Two-factor sign-in: the server asked for a code (see below); send it with the password.
    var codeField = form.querySelector("[data-code-field]");
    if (codeField && !codeField.hidden) {
      var code = form.elements.code.value.trim();
      if (!code) {
        I.show(error, I.t("enter_the_code"));
        form.elements.code.focus();
        return;
      }
      body.code = code;
    }
    if (mode === "signup" && form.elements.name.value.trim()) body.name = form.elements.name.value.trim();
    button.disabled = true;
    try {
      var data = await I.api.post(mode === "signup" ? "/api/auth/signup" : "/api/auth/login", body);
      I.setCsrf(data && data.csrf_token);
      location.assign(safeNext(form.dataset.next));
    } catch (err) {
      button.disabled = false;
      if (err.data && err.data.two_factor_required && codeField) {
        codeField.hidden = false;
        I.show(error, I.t("enter_the_code"));
        form.elements.code.focus();
        return;
      }
      if (codeField && !codeField.hidden) form.elements.code.value = "";
      I.show(error, err.message || I.t("something_went_wrong"));
    }
  });
})();
