// Shared helpers for every page: the JSON API client (with the CSRF header), copy to the
// clipboard, small DOM builders, and the header's sign-out button.
// User-supplied text only ever reaches the page through textContent or attribute values.
(function () {
  "use strict";

  var UNSAFE = { POST: true, PUT: true, PATCH: true, DELETE: true };
  var mePromise = null;
  var csrfToken = null;

  function me() {
    if (!mePromise) {
      mePromise = fetch("/api/auth/me", {
        credentials: "same-origin",
        headers: { Accept: "application/json" },
      })
        .then(function (res) { return res.ok ? res.json() : null; })
        .catch(function () { return null; });
    }
    return mePromise;
  }

  function csrf() {
    if (csrfToken) return Promise.resolve(csrfToken);
    return me().then(function (data) {
      csrfToken = (data && data.csrf_token) || "";
      return csrfToken;
    });
  }

  function setCsrf(token) {
    if (token) csrfToken = token;
  }

  function ApiError(message, status, data) {
    this.name = "ApiError";
    this.message = message;
    this.status = status;
    this.data = data;
  }
  ApiError.prototype = Object.create(Error.prototype);

  function loginUrl() {
    return "/login?next=" + encodeURIComponent(location.pathname + location.search);
  }

  // fetch() with JSON in and out; resolves to the Response (raw) or the parsed body.
  async function request(method, url, body, options) {
    options = options || {};
    var headers = { Accept: "application/json" };
    var payload;
    if (body instanceof FormData) {
      payload = body;
    } else if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      payload = JSON.stringify(body);
    }
    if (UNSAFE[method]) headers["X-CSRF-Token"] = await csrf();
    var res;
    try {
      res = await fetch(url, {
        method: method,
        headers: headers,
        body: payload,
        credentials: "same-origin",
      });
    } catch (err) {
      throw new ApiError(t("network_error"), 0, null);
    }
    if (res.ok && options.raw) return res;
    var data = null;
    try {
      data = await res.json();
    } catch (err) {
      data = null;
    }
    if (!res.ok) {
      if (res.status === 401 && document.body.dataset.auth === "in" && !options.noRedirect) {
        location.assign(loginUrl());
      }
      var message = (data && data.error) || t("request_failed", { status: res.status });
      throw new ApiError(message, res.status, data);
    }
    if (data && data.csrf_token) setCsrf(data.csrf_token);
    return data;
  }

  var api = {
    get: function (url, options) { return request("GET", url, undefined, options); },
    post: function (url, body, options) { return request("POST", url, body, options); },
    patch: function (url, body, options) { return request("PATCH", url, body, options); },
    put: function (url, body, options) { return request("PUT", url, body, options); },
    // `body`: an optional JSON body (the moderators' delete takes one)
    del: function (url, options, body) { return request("DELETE", url, body, options); },
  };

  // el("a", {href: url, className: "x"}, ["text", child]) — text children become text nodes.
  function el(tag, props, children) {
    var node = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (key) {
        var value = props[key];
        if (value === undefined || value === null || value === false) return;
        if (key === "className") node.className = value;
        else if (key === "text") node.textContent = value;
        else if (key === "dataset") Object.assign(node.dataset, value);
        else if (key in node) node[key] = value;
        else node.setAttribute(key, value === true ? "" : String(value));
      });
    }
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      node.append(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  // The page's messages (web/strings.py), emitted once as <script type="application/json"
  // id="ui-strings">: t("id", {name: value}) fills {name} placeholders; a plural message
  // ({one, other}) is picked by args.n. An id the page lacks is a bug: it shows as the id.
  var strings = null;
  function t(id, args) {
    if (strings === null) {
      var node = document.getElementById("ui-strings");
      try {
        strings = node ? JSON.parse(node.textContent) : {};
      } catch (err) {
        strings = {};
      }
    }
    var message = Object.prototype.hasOwnProperty.call(strings, id) ? strings[id] : id;
    args = args || {};
    if (typeof message === "object") message = args.n === 1 ? message.one : message.other;
    return message.replace(/\{(\w+)\}/g, function (whole, name) {
      return Object.prototype.hasOwnProperty.call(args, name) ? String(args[name]) : whole;
    });
  }

  function show(node, text) {
    if (!node) return;
    node.textContent = text || "";
    node.hidden = !text;
  }

  function copyFallback(text, input) {
    var target = input;
    var temporary = null;
    if (!target) {
      temporary = el("textarea", { className: "offscreen", readOnly: true, "aria-hidden": "true" });
      temporary.value = text;
      document.body.append(temporary);
      target = temporary;
    }
    target.focus();
    target.select();
    var ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (err) {
      ok = false;
    }
    if (temporary) temporary.remove();
    return ok;
  }

  async function copyText(text, input) {
    if (navigator.clipboard && window.isSecureContext) {
      try {
        await navigator.clipboard.writeText(text);
        return true;
      } catch (err) {
        // Permission refused or no user activation: fall back to the selection.
      }
    }
    return copyFallback(text, input);
  }

  function flash(button, text) {
    if (!button.dataset.label) button.dataset.label = button.textContent;
    button.textContent = text;
    clearTimeout(button._flashTimer);
    button._flashTimer = setTimeout(function () {
      button.textContent = button.dataset.label;
    }, 1600);
  }

  async function copyFromInput(button, input) {
    var ok = await copyText(input.value, input);
    flash(button, ok ? t("copied") : t("press_ctrl_c"));
    if (!ok) {
      input.focus();
      input.select();
    }
  }

  // A read-only code field with its label and a Copy button.
  var codeCounter = 0;
  function codeRow(label, value, key) {
    codeCounter += 1;
    var id = "code-" + codeCounter;
    var input = el("input", { id: id, type: "text", readOnly: true, className: "code", value: value });
    input.addEventListener("focus", function () { input.select(); });
    var button = el("button", {
      type: "button",
      className: "copy",
      text: t("copy"),
      "aria-label": t("copy_code", { code: label }),
      dataset: key ? { copy: key } : undefined,
    });
    button.addEventListener("click", function () { copyFromInput(button, input); });
    return el("div", { className: "code-row" }, [
      el("label", { htmlFor: id, text: label }),
      el("div", { className: "code-field" }, [input, button]),
    ]);
  }

  // The share panel: one list of ways to share, the same on every surface. The codes come
  // from the server (image.codes / album.codes) so every surface shows the same text.
  var SHARE_LABELS = [
    ["page", t("share_page_label")],
    ["direct", t("share_direct_label")],
    ["markdown", t("share_markdown_label")],
    ["html", t("share_html_label")],
    ["bbcode", t("share_bbcode_label")],
    ["markdown_thumb", t("share_markdown_thumb_label")],
    ["html_thumb", t("share_html_thumb_label")],
    ["bbcode_thumb", t("share_bbcode_thumb_label")],
  ];

  function shareCodes(item) {
    var codes = (item && item.codes) || {};
    var out = [];
    SHARE_LABELS.forEach(function (pair) {
      var value = codes[pair[0]];
      if (typeof value === "string" && value) out.push({ key: pair[0], label: pair[1], value: value });
    });
    return out;
  }

  function sharePanel(codes) {
    var panel = el("div", { className: "share-panel" });
    codes.forEach(function (code) { panel.append(codeRow(code.label, code.value, code.key)); });
    return panel;
  }

  // A "Share" button that opens the panel beside it; Esc or a click elsewhere closes it and
  // focus returns to the button. On phones the panel spans the screen's width (CSS).
  var shareCounter = 0;
  var openShare = null;
  function shareButton(codes, label, subject) {
    shareCounter += 1;
    var panelId = "share-" + shareCounter;
    var button = el("button", {
      type: "button",
      className: "share-toggle",
      text: label || t("share"),
      "aria-expanded": "false",
      "aria-controls": panelId,
      "aria-label": subject ? t("labelled_subject", { label: label || t("share"), subject: subject }) : label || t("share"),
    });
    var panel = sharePanel(codes);
    panel.id = panelId;
    panel.classList.add("share-popover");
    panel.setAttribute("role", "group");
    panel.setAttribute("aria-label", subject ? t("labelled_subject", { label: t("share"), subject: subject }) : t("share"));
    panel.hidden = true;
    var close = el("button", { type: "button", className: "linkish share-close", text: t("close") });
    close.addEventListener("click", function () { set(false); button.focus(); });
    panel.prepend(el("div", { className: "share-head" }, [
      el("strong", { text: subject ? t("share_subject", { subject: subject }) : t("share") }),
      close,
    ]));
    var wrapper = el("div", { className: "share" }, [button, panel]);
    function set(open) {
      if (open && openShare && openShare !== set) openShare(false, true);
      panel.hidden = !open;
      button.setAttribute("aria-expanded", open ? "true" : "false");
      openShare = open ? set : openShare === set ? null : openShare;
    }
    button.addEventListener("click", function () {
      var open = panel.hidden;
      set(open);
      if (open) {
        var first = panel.querySelector("button.copy");
        if (first) first.focus();
      }
    });
    wrapper.addEventListener("keydown", function (event) {
      if (event.key === "Escape" && !panel.hidden) {
        event.stopPropagation();
        set(false);
        button.focus();
      }
    });
    wrapper._close = function () { set(false); };
    return wrapper;
  }

  document.addEventListener("click", function (event) {
    if (!openShare) return;
    var target = event.target instanceof Element ? event.target : null;
    if (target && target.closest(".share")) return;
    openShare(false);
  });

  // A delete button that needs a second click to confirm. `subject` names what it acts on
  // for screen readers ("Delete holiday.png", then "Confirm delete holiday.png").
  function armedButton(label, confirmLabel, onConfirm, subject) {
    var button = el("button", { type: "button", className: "danger-outline", text: label });
    var timer = null;
    function set(armed) {
      button.dataset.armed = armed ? "true" : "false";
      button.textContent = armed ? confirmLabel : label;
      button.classList.toggle("danger", armed);
      if (subject) button.setAttribute("aria-label", t("labelled_subject", { label: armed ? confirmLabel : label, subject: subject }));
    }
    set(false);
    button.addEventListener("click", async function () {
      if (button.dataset.armed !== "true") {
        set(true);
        timer = setTimeout(function () { set(false); }, 5000);
        return;
      }
      clearTimeout(timer);
      button.disabled = true;
      try {
        await onConfirm();
      } finally {
        button.disabled = false;
        set(false);
      }
    });
    return button;
  }

  function formatDate(iso) {
    if (!iso) return "";
    var date = new Date(iso);
    if (isNaN(date.getTime())) return iso;
    return date.toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  }

  function formatDay(iso) {
    var date = iso ? new Date(iso) : null;
    if (!date || isNaN(date.getTime())) return "";
    return date.toLocaleDateString(undefined, { dateStyle: "medium" });
  }

  // "Expires in 3 days": the largest whole unit left until an image's expires_at.
  function expiresText(iso) {
    var at = iso ? new Date(iso) : null;
    if (!at || isNaN(at.getTime())) return "";
    var left = Math.max(0, Math.floor((at.getTime() - Date.now()) / 1000));
    if (left >= 31536000) return t("expires_in_years", { n: Math.floor(left / 31536000) });
    if (left >= 86400) return t("expires_in_days", { n: Math.floor(left / 86400) });
    if (left >= 3600) return t("expires_in_hours", { n: Math.floor(left / 3600) });
    if (left >= 60) return t("expires_in_minutes", { n: Math.floor(left / 60) });
    return t("expires_in_less_than_a_minute");
  }

  function formatBytes(n) {
    if (typeof n !== "number") return "";
    var units = ["B", "KB", "MB", "GB"];
    var i = 0;
    while (n >= 1024 && i < units.length - 1) {
      n /= 1024;
      i += 1;
    }
    return (i === 0 ? n : n.toFixed(1)) + " " + units[i];
  }

  function pageLinks(pager, page, hasMore, total, limit) {
    if (!pager) return;
    var prev = pager.querySelector("[data-prev]");
    var next = pager.querySelector("[data-next]");
    var label = pager.querySelector("[data-page-label]");
    var pages = Math.max(1, Math.ceil(total / limit));
    var url = new URL(location.href);
    url.searchParams.set("page", String(page - 1));
    prev.href = url.pathname + url.search;
    prev.hidden = page <= 1;
    url.searchParams.set("page", String(page + 1));
    next.href = url.pathname + url.search;
    next.hidden = !hasMore;
    label.textContent = t("page_of", { page: page, last: pages });
    pager.hidden = pages <= 1 && page <= 1;
  }

  function signOut() {
    request("POST", "/api/auth/logout", {}, { noRedirect: true })
      .catch(function () { /* signed out already, or the server is gone: leave anyway */ })
      .then(function () { location.assign("/"); });
  }

  function applyAuth(signedIn, isAdmin) {
    document.querySelectorAll("[data-when]").forEach(function (node) {
      var when = node.dataset.when;
      node.hidden = when === "admin" ? !isAdmin : when !== (signedIn ? "in" : "out");
    });
  }

  document.addEventListener("click", function (event) {
    var target = event.target instanceof Element ? event.target : null;
    if (!target) return;
    if (target.closest("[data-action=logout]")) {
      event.preventDefault();
      signOut();
      return;
    }
    var copyButton = target.closest("[data-copy-from]");
    if (copyButton) {
      var input = document.getElementById(copyButton.dataset.copyFrom);
      if (input) copyFromInput(copyButton, input);
    }
  });

  // Wherever visibility is chosen, the sentence under the menu explains the current choice.
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (!(select instanceof HTMLSelectElement) || !select.matches("[data-visibility]")) return;
    var help = document.getElementById(select.getAttribute("aria-describedby") || "");
    var option = select.options[select.selectedIndex];
    if (help && option) help.textContent = option.dataset.help || "";
  });

  // The theme button: light or dark whatever the system says, remembered in this browser
  // (theme.js applies it before the first paint). It names the theme it switches to.
  var themeButton = document.querySelector("[data-theme-toggle]");
  function effectiveTheme() {
    var chosen = document.documentElement.dataset.theme;
    if (chosen === "light" || chosen === "dark") return chosen;
    return window.matchMedia("(prefers-color-scheme: dark)").matches ? "dark" : "light";
  }
  function labelTheme() {
    var dark = effectiveTheme() === "dark";
    themeButton.textContent = dark ? t("light_theme") : t("dark_theme");
    themeButton.setAttribute("aria-pressed", dark ? "true" : "false");
  }
  if (themeButton) {
    labelTheme();
    themeButton.addEventListener("click", function () {
      var next = effectiveTheme() === "dark" ? "light" : "dark";
      document.documentElement.dataset.theme = next;
      try {
        localStorage.setItem("imgtree-theme", next);
      } catch (e) {
        /* not remembered: this page still switches */
      }
      labelTheme();
    });
  }

  // Menus (<details class="menu">): Esc closes the one open and puts focus back on its
  // summary; a click outside closes any open one. Native <details> does neither.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Escape") return;
    const open = document.querySelector("details.menu[open]");
    if (!open) return;
    open.open = false;
    const summary = open.querySelector("summary");
    if (summary) summary.focus();
  });
  document.addEventListener("click", function (event) {
    document.querySelectorAll("details.menu[open]").forEach(function (menu) {
      if (!menu.contains(event.target)) menu.open = false;
    });
  });

  // Pages rendered without knowing the visitor (image pages) ask once who is signed in.
  if (document.body.dataset.auth === "unknown") {
    me().then(function (data) {
      if (data && data.user) applyAuth(true, data.user.role === "admin");
    });
  }

  window.Imgtree = {
    t: t,
    api: api,
    ApiError: ApiError,
    csrf: csrf,
    setCsrf: setCsrf,
    me: me,
    el: el,
    show: show,
    copyText: copyText,
    codeRow: codeRow,
    shareCodes: shareCodes,
    sharePanel: sharePanel,
    shareButton: shareButton,
    armedButton: armedButton,
    formatDate: formatDate,
    formatDay: formatDay,
    formatBytes: formatBytes,
    expiresText: expiresText,
    pageLinks: pageLinks,
  };
})();
