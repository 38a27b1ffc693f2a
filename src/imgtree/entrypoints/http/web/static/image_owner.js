// The owner's controls on their image page: title, description, visibility, album, delete.
// The page renders them only for the owner; this script saves through PATCH/DELETE
// /api/images/{id} and reloads, so <title>, the caption and the preview tags follow at once.
(function () {
  "use strict";

  var I = window.Imgtree;
  var root = document.querySelector("[data-owner-tools]");
  if (!root || !I) return;

  var form = root.querySelector("[data-edit-form]");
  var status = root.querySelector("[data-status]");
  var albumSelect = root.querySelector("[data-album-select]");
  var imageId = root.dataset.imageId;
  var initial = {};

  function values() {
    var out = {};
    Array.prototype.forEach.call(form.elements, function (field) {
      if (field.name) out[field.name] = field.value;
    });
    return out;
  }

  I.api.get("/api/albums").then(function (data) {
    (data.albums || []).forEach(function (album) {
      albumSelect.append(I.el("option", { value: album.id, text: album.title }));
    });
    albumSelect.value = root.dataset.albumId || "";
    initial = values();
  }).catch(function () { initial = values(); });
  initial = values();

  form.addEventListener("submit", async function (event) {
    event.preventDefault();
    var now = values();
    var changes = {};
    Object.keys(now).forEach(function (key) {
      if (key === "expiresIn") {
        // "" keeps the expiry as it is; "never" clears it; otherwise seconds from now.
        if (now[key]) changes.expiresIn = now[key] === "never" ? null : Number(now[key]);
        return;
      }
      if (now[key] !== initial[key]) changes[key] = key === "albumId" ? now[key] || null : now[key];
    });
    if (!Object.keys(changes).length) {
      I.show(status, I.t("nothing_changed"));
      return;
    }
    var button = form.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      await I.api.patch("/api/images/" + encodeURIComponent(imageId), changes);
      I.show(status, I.t("saved"));
      location.reload();
    } catch (err) {
      I.show(status, err.message);
    } finally {
      button.disabled = false;
    }
  });

  var remove = I.armedButton(I.t("delete_image"), I.t("confirm_delete"), async function () {
    try {
      await I.api.del("/api/images/" + encodeURIComponent(imageId));
      location.assign("/gallery");
    } catch (err) {
      I.show(status, err.message);
    }
  });
  root.querySelector("[data-delete-slot]").replaceWith(remove);
})();
