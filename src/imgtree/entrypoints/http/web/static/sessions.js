// /settings, "Sessions": where the account is signed in; sign one out, or every other one.
// Every value from the server (the User-Agent above all) goes in as text, never as HTML.
(function () {
  "use strict";

  var I = window.Imgtree;
  var root = document.querySelector("[data-sessions]");
  if (!root || !I) return;

  var el = I.el;
  var rows = root.querySelector("[data-session-rows]");
  var error = root.querySelector("[data-error]");
  var status = root.querySelector("[data-status]");
  var others = root.querySelector("[data-revoke-others]");

  function row(session) {
    var device = el("td", { "data-label": I.t("device") }, [
      el("span", { className: "device", text: session.device, title: session.user_agent }),
    ]);
    if (session.current) {
      device.append(" ", el("span", { className: "badge", text: I.t("this_device") }));
    }
    var actions = el("td", { className: "actions" });
    var subject = session.address ? I.t("device_at_address", { device: session.device, address: session.address }) : session.device;
    actions.append(I.armedButton(I.t("sign_out_button"), I.t("confirm_sign_out"), async function () {
      try {
        await I.api.del("/api/auth/sessions/" + encodeURIComponent(session.id));
        if (session.current) {
          location.assign("/login");
          return;
        }
        I.show(status, I.t("signed_out_session", { session: subject }));
        await load();
      } catch (err) {
        I.show(error, err.message);
      }
    }, subject));
    return el("tr", { dataset: { sessionId: session.id, current: session.current ? "true" : "false" } }, [
      device,
      el("td", { "data-label": I.t("address") }, [el("code", { text: session.address || I.t("unknown") })]),
      el("td", { "data-label": I.t("signed_in"), text: I.formatDate(session.created_at) }),
      el("td", { "data-label": I.t("last_seen"), text: I.formatDate(session.last_seen_at) }),
      actions,
    ]);
  }

  async function load() {
    try {
      var data = await I.api.get("/api/auth/sessions");
      var sessions = data.sessions || [];
      rows.replaceChildren.apply(rows, sessions.map(row));
      others.disabled = sessions.length < 2;
    } catch (err) {
      I.show(error, err.message);
    }
  }

  others.addEventListener("click", async function () {
    I.show(error, "");
    others.disabled = true;
    try {
      var data = await I.api.post("/api/auth/sessions/revoke-others", {});
      I.show(status, I.t("signed_out_others", { n: data.revoked }));
    } catch (err) {
      I.show(error, err.message);
    }
    await load();
  });

  load();
})();
