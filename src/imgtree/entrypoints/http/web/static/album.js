// /albums/{id}: the page is rendered on the server; this adds the Share button.
(function () {
  "use strict";

  var I = window.Imgtree;
  var root = document.querySelector("[data-album]");
  if (!root || !I) return;

  var slot = root.querySelector("[data-share-slot]");
  var title = root.querySelector("[data-title]");
  if (slot && slot.dataset.codes) {
    var codes = I.shareCodes({ codes: JSON.parse(slot.dataset.codes) });
    slot.append(I.shareButton(codes, I.t("share"), title ? title.textContent : I.t("album")));
  }

  // The owner's tiles carry their image id: each gets Earlier / Later (arrange the album),
  // Use as cover, and Remove (the image stays in the gallery; only its album is cleared).
  var status = root.querySelector("[data-owner-status]");
  var note = root.querySelector("[data-owner-note]");
  var albumId = root.dataset.albumId;
  var coverId = root.dataset.coverId || "";
  var coverImg = root.querySelector("[data-cover] img");
  var grid = root.querySelector("[data-images]");
  if (note && root.querySelector(".tile[data-image-id]")) note.hidden = false;

  // The album's whole order (every page), as the server has it.
  async function allIds() {
    var ids = [];
    for (var page = 1; page <= 10; page++) {
      var data = await I.api.get("/api/albums/" + encodeURIComponent(albumId) + "?limit=100&page=" + page);
      (data.images || []).forEach(function (image) { ids.push(image.id); });
      if (!data.has_more) break;
    }
    return ids;
  }

  async function move(tile, step, button) {
    var id = tile.dataset.imageId;
    var ids = await allIds();
    var from = ids.indexOf(id);
    var to = from + step;
    if (from < 0 || to < 0 || to >= ids.length) {
      I.show(status, step < 0 ? I.t("already_first") : I.t("already_last"));
      return;
    }
    ids.splice(to, 0, ids.splice(from, 1)[0]);
    await I.api.put("/api/albums/" + encodeURIComponent(albumId) + "/order", { image_ids: ids });
    var neighbour = step < 0 ? tile.previousElementSibling : tile.nextElementSibling;
    if (!neighbour) {
      location.reload(); // it moved to another page of the album
      return;
    }
    if (step < 0) neighbour.before(tile);
    else neighbour.after(tile);
    var name = tile.querySelector(".tile-name");
    I.show(status, I.t(step < 0 ? "moved_earlier" : "moved_later", { name: name ? name.textContent : I.t("image") }));
  }

  function markCover() {
    root.querySelectorAll("[data-use-cover]").forEach(function (button) {
      var isCover = button.closest(".tile").dataset.imageId === coverId;
      button.disabled = isCover;
      button.textContent = isCover ? I.t("cover") : I.t("use_as_cover");
      button.setAttribute("aria-pressed", isCover ? "true" : "false");
    });
  }

  root.querySelectorAll(".tile[data-image-id]").forEach(function (tile) {
    var name = tile.querySelector(".tile-name");
    var label = name ? name.textContent : I.t("image");
    function act(text, aria, handler, extra) {
      var button = I.el("button", Object.assign({ type: "button", text: text, "aria-label": aria }, extra || {}));
      button.addEventListener("click", async function () {
        button.disabled = true;
        try {
          await handler(button);
        } catch (err) {
          I.show(status, err.message);
        } finally {
          button.disabled = false;
          markCover();
          // Moving a tile (or disabling the button) drops focus: keyboard users keep their place.
          if (document.body.contains(button) && !button.disabled) button.focus();
        }
      });
      return button;
    }
    var earlier = act(I.t("earlier"), I.t("move_earlier_label", { name: label }), function (b) { return move(tile, -1, b); });
    var later = act(I.t("later"), I.t("move_later_label", { name: label }), function (b) { return move(tile, 1, b); });
    var cover = act(I.t("use_as_cover"), I.t("use_as_cover_label", { name: label }), async function () {
      await I.api.patch("/api/albums/" + encodeURIComponent(albumId), { coverImageId: tile.dataset.imageId });
      coverId = tile.dataset.imageId;
      var thumb = tile.querySelector("img");
      if (coverImg && thumb) {
        coverImg.src = thumb.src;
        coverImg.alt = thumb.alt;
      }
      I.show(status, I.t("is_the_cover", { name: label }));
    }, { dataset: { useCover: "" } });
    var remove = act(I.t("remove_from_album"), I.t("remove_from_album_label", { name: label }), async function () {
      await I.api.patch("/api/images/" + encodeURIComponent(tile.dataset.imageId), { albumId: null });
      tile.remove();
      I.show(status, I.t("removed_from_album", { name: label }));
    }, { className: "linkish remove-from-album" });
    var body = tile.querySelector(".tile-body");
    (body || tile).append(I.el("div", { className: "tile-tools" }, [earlier, later, cover, remove]));
  });
  markCover();
})();
