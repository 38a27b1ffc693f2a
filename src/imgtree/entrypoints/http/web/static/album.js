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
    slot.append(I.shareButton(codes, "Share", title ? title.textContent : "Album"));
  }

  // The owner's tiles carry their image id: each gets a Remove button (the image stays in
  // the gallery, only its album is cleared through PATCH /api/images/{id}).
  var status = root.querySelector("[data-owner-status]");
  var note = root.querySelector("[data-owner-note]");
  if (note && root.querySelector(".tile[data-image-id]")) note.hidden = false;
  root.querySelectorAll(".tile[data-image-id]").forEach(function (tile) {
    var name = tile.querySelector(".tile-name");
    var label = name ? name.textContent : "image";
    var button = I.el("button", {
      type: "button",
      className: "linkish remove-from-album",
      text: "Remove from album",
      "aria-label": "Remove " + label + " from album",
    });
    button.addEventListener("click", async function () {
      button.disabled = true;
      try {
        await I.api.patch("/api/images/" + encodeURIComponent(tile.dataset.imageId), { albumId: null });
        tile.remove();
        I.show(status, "Removed “" + label + "” from the album. It is still in your gallery.");
      } catch (err) {
        button.disabled = false;
        I.show(status, err.message);
      }
    });
    var body = tile.querySelector(".tile-body");
    (body || tile).append(button);
  });
})();
