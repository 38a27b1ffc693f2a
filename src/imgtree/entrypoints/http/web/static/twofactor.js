// /settings, "Two-factor sign-in": set up (QR code and key), turn on with a first code (the
// recovery codes are shown once), new recovery codes, turn off. The QR code is the server's
// SVG shown as an <img> with a data: URI (the CSP allows data: images; an image never runs
// script), so nothing from the server is ever parsed as HTML here.
(function () {
  "use strict";

  var I = window.Imgtree;
  var root = document.querySelector("[data-two-factor]");
  if (!root || !I) return;

  var error = root.querySelector("[data-error]");
  var status = root.querySelector("[data-status]");
  var state = root.querySelector("[data-2fa-state]");
  var off = root.querySelector("[data-2fa-off]");
  var on = root.querySelector("[data-2fa-on]");
  var enrol = root.querySelector("[data-2fa-enrol]");
  var qr = root.querySelector("[data-2fa-qr]");
  var secret = root.querySelector("[data-2fa-secret]");
  var codesBox = root.querySelector("[data-2fa-codes]");
  var codeList = root.querySelector("[data-2fa-code-list]");

  function show(enabled) {
    root.dataset.enabled = enabled ? "true" : "false";
    state.textContent = enabled
      ? I.t("two_factor_state_on")
      : I.t("two_factor_state_off");
    off.hidden = enabled;
    on.hidden = !enabled;
    if (enabled) enrol.hidden = true;
  }

  function showCodes(codes) {
    codeList.replaceChildren.apply(codeList, codes.map(function (code) {
      return I.el("li", {}, [I.el("code", { text: code })]);
    }));
    codesBox.hidden = false;
  }

  function reset() {
    I.show(error, "");
    I.show(status, "");
  }

  function svgDataUri(svg) {
    // btoa takes Latin-1: the SVG is ASCII, but encode defensively.
    var bytes = new TextEncoder().encode(svg);
    var text = "";
    bytes.forEach(function (b) { text += String.fromCharCode(b); });
    return "data:image/svg+xml;base64," + btoa(text);
  }

  root.querySelector("[data-2fa-setup]").addEventListener("click", async function () {
    reset();
    try {
      var data = await I.api.post("/api/auth/2fa/setup", {});
      qr.src = svgDataUri(data.qr_svg);
      secret.value = data.secret;
      enrol.hidden = false;
      off.hidden = true;
      root.querySelector("[data-2fa-enable]").elements.code.focus();
    } catch (err) {
      I.show(error, err.message);
    }
  });

  function onSubmit(selector, handler) {
    var form = root.querySelector(selector);
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      reset();
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        await handler(form);
        form.reset();
      } catch (err) {
        I.show(error, err.message);
      } finally {
        button.disabled = false;
      }
    });
  }

  onSubmit("[data-2fa-enable]", async function (form) {
    var data = await I.api.post("/api/auth/2fa/enable", { code: form.elements.code.value.trim() });
    show(true);
    showCodes(data.recovery_codes || []);
    I.show(status, I.t("two_factor_turned_on"));
  });

  onSubmit("[data-2fa-regenerate]", async function (form) {
    var data = await I.api.post("/api/auth/2fa/recovery-codes", { code: form.elements.code.value.trim() });
    showCodes(data.recovery_codes || []);
    I.show(status, I.t("new_recovery_codes_made"));
  });

  onSubmit("[data-2fa-disable]", async function (form) {
    await I.api.post("/api/auth/2fa/disable", {
      password: form.elements.password.value,
      code: form.elements.code.value.trim(),
    });
    codesBox.hidden = true;
    show(false);
    I.show(status, I.t("two_factor_turned_off"));
  });

  I.me().then(function (data) {
    show(!!(data && data.user && data.user.two_factor_enabled));
  });
})();
