// A guest's recent uploads, kept in this browser (localStorage), and the offer to add them to
// the account after sign-up or sign-in (POST /api/images/claim, proven by the delete tokens).
// Whatever is in storage is checked before use: a corrupt or foreign value is ignored, never
// trusted and never rendered as HTML (textContent and attribute values only).
(function () {
  "use strict";

  var KEY = "imgtree.recent.v1";
  var MAX = 200;
  var DISMISSED = "imgtree.recent.dismissed";
  var UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

  function storage() {
    try {
      return window.localStorage;
    } catch (err) {
      return null; // storage disabled (privacy mode, sandboxed frame)
    }
  }

  // Only http(s) links on this site or absolute http(s) links are kept (never javascript:).
  function safeUrl(value) {
    if (typeof value !== "string" || value.length > 2048) return null;
    try {
      var url = new URL(value, location.origin);
      return url.protocol === "http:" || url.protocol === "https:" ? url.href : null;
    } catch (err) {
      return null;
    }
  }

  // The image uuid and token from a delete_url: /api/images/<uuid>?token=<token>.
  function parseDeleteUrl(value) {
    var href = safeUrl(value);
    if (!href) return null;
    var url = new URL(href);
    var match = /\/api\/images\/([^/]+)$/.exec(url.pathname);
    var token = url.searchParams.get("token");
    if (!match || !UUID.test(match[1]) || !token || token.length > 256) return null;
    return { imageId: match[1].toLowerCase(), token: token };
  }

  function clean(raw) {
    if (!raw || typeof raw !== "object") return null;
    var deleteUrl = safeUrl(raw.delete_url);
    var parsed = parseDeleteUrl(deleteUrl);
    var url = safeUrl(raw.url);
    if (!parsed || !url || typeof raw.id !== "string" || raw.id.length > 64) return null;
    return {
      id: raw.id,
      image_id: parsed.imageId,
      url: url,
      direct_url: safeUrl(raw.direct_url) || url,
      thumb_url: safeUrl(raw.thumb_url) || "",
      // Checked against their formats again where they are painted (blurhash.js).
      blurhash: typeof raw.blurhash === "string" ? raw.blurhash.slice(0, 166) : null,
      dominant_color: typeof raw.dominant_color === "string" ? raw.dominant_color.slice(0, 7) : null,
      delete_url: deleteUrl,
      name: typeof raw.name === "string" ? raw.name.slice(0, 255) : "",
      added_at: typeof raw.added_at === "string" ? raw.added_at.slice(0, 40) : "",
    };
  }

  function list() {
    var store = storage();
    if (!store) return [];
    try {
      var doc = JSON.parse(store.getItem(KEY) || "null");
      if (!doc || !Array.isArray(doc.items)) return [];
      var seen = {};
      return doc.items.map(clean).filter(function (item) {
        if (!item || seen[item.image_id]) return false;
        seen[item.image_id] = true;
        return true;
      }).slice(0, MAX);
    } catch (err) {
      return [];
    }
  }

  function save(items) {
    var store = storage();
    if (!store) return;
    try {
      if (items.length) store.setItem(KEY, JSON.stringify({ v: 1, items: items.slice(0, MAX) }));
      else store.removeItem(KEY);
    } catch (err) {
      /* full or disabled: the page still works, the list is just not kept */
    }
    changed();
  }

  function signedIn() {
    var upload = document.querySelector("[data-upload]");
    if (upload) return upload.dataset.signedIn === "true";
    return document.body.dataset.auth === "in";
  }

  // Newest first; the same image added twice keeps one entry.
  function add(image, name) {
    if (signedIn()) return false; // an account's uploads are in its gallery already
    var item = clean({
      id: image && image.id,
      url: image && image.url,
      direct_url: image && image.direct_url,
      thumb_url: image && image.thumb_url,
      blurhash: image && image.blurhash,
      dominant_color: image && image.dominant_color,
      delete_url: image && image.delete_url,
      name: name || "",
      added_at: new Date().toISOString(),
    });
    if (!item) return false;
    var items = list().filter(function (other) { return other.image_id !== item.image_id; });
    items.unshift(item);
    save(items);
    return true;
  }

  function forget(id) {
    save(list().filter(function (item) { return item.id !== id && item.image_id !== id; }));
  }

  function clear() {
    save([]);
  }

  function placeholderImg(item, name) {
    var img = el("img", { src: item.thumb_url, alt: name, loading: "lazy" });
    if (window.imgtreePlaceholder) window.imgtreePlaceholder.paint(img, item.blurhash, item.dominant_color);
    return img;
  }

  // --- the page: "Your recent uploads" for guests, the claim prompt once signed in -----------

  var I = window.Imgtree;
  var el = I && I.el;

  function changed() {
    if (!I) return;
    renderRecent();
    renderClaim();
  }

  function renderRecent() {
    var section = document.querySelector("[data-recent]");
    if (!section) return;
    var items = signedIn() ? [] : list();
    var ul = section.querySelector("[data-recent-list]");
    ul.replaceChildren();
    items.forEach(function (item) {
      var name = item.name || item.id;
      var forgetButton = el("button", {
        type: "button",
        text: I.t("forget"),
        "aria-label": I.t("forget_label", { name: name }),
        dataset: { forget: item.id },
      });
      forgetButton.addEventListener("click", function () { forget(item.id); });
      ul.append(el("li", { className: "recent-item", dataset: { slug: item.id } }, [
        el("a", { href: item.url, className: "recent-thumb", target: "_blank", rel: "noopener" }, [
          item.thumb_url ? placeholderImg(item, name) : name,
        ]),
        el("div", { className: "recent-body" }, [
          el("p", { className: "recent-name", title: name, text: name }),
          el("p", { className: "links" }, [
            el("a", { href: item.url, target: "_blank", rel: "noopener", text: I.t("open_image_page") }),
            " ",
            forgetButton,
          ]),
          I.codeRow(I.t("delete_link"), item.delete_url, "delete"),
        ]),
      ]));
    });
    var count = section.querySelector("[data-recent-count]");
    if (count) count.textContent = I.t("recent_count", { n: items.length });
    section.hidden = items.length === 0;
  }

  function dismissed() {
    try {
      return window.sessionStorage.getItem(DISMISSED) === "1";
    } catch (err) {
      return false;
    }
  }

  function renderClaim() {
    var box = document.querySelector("[data-claim]");
    if (!box) return;
    var items = signedIn() ? list() : [];
    if (!items.length || dismissed()) {
      if (!box.dataset.result) {
        box.replaceChildren();
        box.hidden = true;
      }
      return;
    }
    delete box.dataset.result;
    var n = items.length;
    var add = el("button", { type: "button", className: "primary", text: I.t("add_them"), dataset: { claimAdd: "" } });
    var later = el("button", { type: "button", text: I.t("not_now"), dataset: { claimLater: "" } });
    add.addEventListener("click", function () { claim(box, add, later); });
    later.addEventListener("click", function () {
      try { window.sessionStorage.setItem(DISMISSED, "1"); } catch (err) { /* ignore */ }
      box.replaceChildren();
      box.hidden = true;
    });
    box.replaceChildren(
      el("p", { text: I.t("claim_prompt", { n: n }) }),
      el("p", { className: "claim-actions" }, [add, " ", later])
    );
    box.hidden = false;
  }

  // Items answered for good leave the browser's list: claimed, already yours, or not found
  // (deleted, or no longer a guest image). Over-quota and throttled ones stay for later.
  var SETTLED = { claimed: true, already_yours: true, not_found: true };

  async function claim(box, add, later) {
    var items = list();
    add.disabled = true;
    later.disabled = true;
    try {
      var data = await I.api.post("/api/images/claim", {
        items: items.map(function (item) {
          var parsed = parseDeleteUrl(item.delete_url);
          return { image_id: item.image_id, delete_token: parsed ? parsed.token : "" };
        }),
      });
      var settled = {};
      var kept = 0;
      (data.results || []).forEach(function (r) {
        if (SETTLED[r.status]) settled[r.image_id] = true;
        else kept += 1;
      });
      var claimed = data.claimed || 0;
      var text = I.t("claimed", { n: claimed });
      if (kept) text += " " + I.t("claim_kept", { n: kept });
      box.dataset.result = "true";
      save(list().filter(function (item) { return !settled[item.image_id]; }));
      box.replaceChildren(el("p", { text: text }));
      box.hidden = false;
      document.dispatchEvent(new CustomEvent("imgtree:claimed", { detail: { claimed: claimed } }));
    } catch (err) {
      add.disabled = false;
      later.disabled = false;
      box.append(el("p", { className: "error", text: err.message }));
    }
  }

  window.ImgtreeRecent = { add: add, list: list, forget: forget, clear: clear };

  function start() {
    if (!I) return;
    var section = document.querySelector("[data-recent]");
    if (section) {
      var clearButton = section.querySelector("[data-recent-clear-slot]");
      if (clearButton) {
        clearButton.replaceChildren(I.armedButton(I.t("forget_all"), I.t("forget_all_confirm"), async function () { clear(); }, I.t("recent_uploads_subject")));
      }
    }
    changed();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
