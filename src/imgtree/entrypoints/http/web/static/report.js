// The image page's "Report this image" form: POST /i/{slug}/report as JSON (no account, no
// CSRF token: a cross-site page cannot send JSON here without a preflight). Answers are
// shown as text only.
(function () {
  "use strict";

  var panel = document.querySelector("[data-report]");
  if (!panel) return;
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
        say((data && data.error) || "The report could not be sent (" + res.status + ").", true);
        button.disabled = false;
        return;
      }
      form.elements.text.value = "";
      say(
        data && data.recorded === false
          ? "You already reported this image; the moderators have it."
          : "Thank you: the moderators will look at it.",
        false
      );
    } catch (err) {
      say("Network error: the report could not be sent.", true);
      button.disabled = false;
    }
  });
})();
