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
})();
