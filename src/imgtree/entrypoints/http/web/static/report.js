// The image page's "Report this image" form: POST /i/{slug}/report as JSON (no account, no
// CSRF token: a cross-site page cannot send JSON here without a preflight). Answers are
// shown as text only.
(function () {
  "use strict";

  var I = window.Imgtree;
  var panel = document.querySelector("[data-report]");
  if (!panel || !I) return;
  var form = panel.querySelector("[data-report-form]");
  var status = panel.querySelector("[data-report-status]");
  var button = form.querySelector("button[type=submit]");

  function say(text, isError) {
    status.textContent = text;
    status.hidden = !text;
    status.classList.toggle("error", !!isError);
  }

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    say("", false);
    button.disabled = true;
    var body = { reason: form.elements.reason.value, text: form.elements.text.value };
    try {
      var res = await fetch(panel.dataset.reportUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: JSON.stringify(body),
        credentials: "same-origin",
      });
      var data = null;
      try {
        data = await res.json();
      } catch (err) {
        data = null;
      }
      if (!res.ok) {
        say((data && data.error) || I.t("report_failed", { status: res.status }), true);
        button.disabled = false;
        return;
      }
      form.elements.text.value = "";
      say(
        data && data.recorded === false
          ? I.t("already_reported")
          : I.t("report_thanks"),
        false
      );
    } catch (err) {
      say(I.t("report_network_error"), true);
      button.disabled = false;
    }
  });
})();
