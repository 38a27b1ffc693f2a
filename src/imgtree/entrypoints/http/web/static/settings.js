// /settings: API keys (create, shown once; list; revoke), the ShareX config, password change.
(function () {
  "use strict";

  var I = window.Imgtree;
  var root = document.querySelector("[data-keys]");
  if (!root || !I) return;

  var el = I.el;
  var rows = root.querySelector("[data-key-rows]");
  var empty = root.querySelector("[data-keys-empty]");
  var createForm = root.querySelector("[data-create-key]");
  var secretBox = root.querySelector("[data-secret]");
  var secretValue = root.querySelector("[data-secret-value]");
  var sharexButton = root.querySelector("[data-sharex]");
  var error = root.querySelector("[data-error]");
  var status = root.querySelector("[data-status]");

  function expired(key) {
    return Boolean(key.expires_at) && new Date(key.expires_at).getTime() <= Date.now();
  }

  function statusOf(key) {
    if (!key.active) return I.t("revoked");
    return expired(key) ? I.t("expired") : I.t("active");
  }

  function row(key) {
    var cells = [
      el("td", { "data-label": I.t("name"), text: key.name }),
      el("td", { "data-label": I.t("prefix") }, [el("code", { text: key.prefix })]),
      el("td", { "data-label": I.t("created"), text: I.formatDate(key.created_at) }),
      el("td", { "data-label": I.t("last_used"), text: key.last_used_at ? I.formatDate(key.last_used_at) : I.t("never") }),
      el("td", { "data-label": I.t("uploads"), text: String(key.upload_count || 0) }),
      el("td", { "data-label": I.t("scopes"), text: (key.scopes || []).join(", ") }),
      el("td", { "data-label": I.t("expires"), text: key.expires_at ? I.formatDate(key.expires_at) : I.t("never") }),
      el("td", { "data-label": I.t("status"), text: statusOf(key) }),
    ];
    var actions = el("td", { className: "actions" });
    if (key.active) {
      var revoke = I.armedButton(I.t("revoke"), I.t("confirm_revoke"), async function () {
        try {
          await I.api.del("/api/keys/" + encodeURIComponent(key.id));
          I.show(status, I.t("revoked_name", { name: key.name }));
          await loadKeys();
        } catch (err) {
          I.show(error, err.message);
        }
      }, key.name);
      actions.append(revoke);
    }
    cells.push(actions);
    return el("tr", { className: key.active ? "" : "revoked", dataset: { keyId: key.id } }, cells);
  }

  async function loadKeys() {
    try {
      var data = await I.api.get("/api/keys");
      var keys = data.keys || [];
      rows.replaceChildren.apply(rows, keys.map(row));
      empty.hidden = keys.length > 0;
    } catch (err) {
      I.show(error, err.message);
    }
  }

  function showSecret(secret) {
    secretValue.value = secret;
    secretBox.hidden = false;
    secretValue.focus();
    secretValue.select();
  }

  createForm.addEventListener("submit", async function (event) {
    event.preventDefault();
    I.show(error, "");
    I.show(status, "");
    var name = createForm.elements.name.value.trim();
    if (!name) {
      I.show(error, I.t("give_key_name"));
      createForm.elements.name.focus();
      return;
    }
    var scopes = Array.prototype.filter.call(createForm.elements.scope, function (box) {
      return box.checked;
    }).map(function (box) { return box.value; });
    if (!scopes.length) {
      I.show(error, I.t("choose_a_scope"));
      return;
    }
    var body = { name: name, scopes: scopes, expires_at: null };
    var days = Number(createForm.elements.expires_in_days.value);
    if (days > 0) body.expires_at = new Date(Date.now() + days * 86400000).toISOString();
    var button = createForm.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      var data = await I.api.post("/api/keys", body);
      createForm.reset();
      showSecret(data.key);
      await loadKeys();
    } catch (err) {
      I.show(error, err.message);
    } finally {
      button.disabled = false;
    }
  });

  function filenameFrom(res) {
    var header = res.headers.get("Content-Disposition") || "";
    var match = /filename="?([^";]+)"?/i.exec(header);
    var name = match ? match[1] : "imgtree.sxcu";
    return /^[\w.-]+$/.test(name) ? name : "imgtree.sxcu";
  }

  sharexButton.addEventListener("click", async function () {
    I.show(error, "");
    I.show(status, "");
    sharexButton.disabled = true;
    try {
      var res = await I.api.post("/api/keys/sharex", {}, { raw: true });
      var blob = await res.blob();
      var url = URL.createObjectURL(blob);
      var filename = filenameFrom(res);
      var link = el("a", { href: url, download: filename, hidden: true });
      document.body.append(link);
      link.click();
      link.remove();
      setTimeout(function () { URL.revokeObjectURL(url); }, 10000);
      I.show(status, I.t("sharex_downloaded", { file: filename }));
      await loadKeys();
    } catch (err) {
      I.show(error, err.message);
    } finally {
      sharexButton.disabled = false;
    }
  });

  var pwForm = document.querySelector("[data-password-form]");
  if (pwForm) {
    var pwError = pwForm.querySelector("[data-error]");
    var pwStatus = pwForm.querySelector("[data-status]");
    pwForm.addEventListener("submit", async function (event) {
      event.preventDefault();
      I.show(pwError, "");
      I.show(pwStatus, "");
      var current = pwForm.elements.current_password.value;
      var next = pwForm.elements.new_password.value;
      if (!current || !next) {
        I.show(pwError, I.t("fill_in_passwords"));
        return;
      }
      if (next.length < 8) {
        I.show(pwError, I.t("new_password_too_short"));
        return;
      }
      if (next !== pwForm.elements.repeat_password.value) {
        I.show(pwError, I.t("passwords_do_not_match"));
        return;
      }
      var button = pwForm.querySelector("button[type=submit]");
      button.disabled = true;
      try {
        await I.api.post("/api/auth/password", { current_password: current, new_password: next });
        pwForm.reset();
        pwForm.elements.username.value = pwForm.elements.username.defaultValue;
        I.show(pwStatus, I.t("password_changed"));
      } catch (err) {
        I.show(pwError, err.message);
      } finally {
        button.disabled = false;
      }
    });
  }

  loadKeys();
})();
