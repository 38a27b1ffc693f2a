// /albums/{id}: an album and its images (mine, or anyone's public album).
(function () {
  "use strict";

  var I = window.Imgtree;
  var root = document.querySelector("[data-album]");
  if (!root || !I) return;

  var el = I.el;
  var LIMIT = 48;
  var id = root.dataset.albumId;
  var page = Number(root.dataset.pageNumber) || 1;
  var grid = root.querySelector("[data-images]");
  var heading = root.querySelector("[data-title]");
  var meta = root.querySelector("[data-meta]");
  var description = root.querySelector("[data-description]");
  var status = root.querySelector("[data-status]");
  var pager = root.querySelector("[data-pager]");

  async function load() {
    try {
      var data = await I.api.get(
        "/api/albums/" + encodeURIComponent(id) + "?page=" + page + "&limit=" + LIMIT,
        { noRedirect: true }
      );
      var album = data.album || {};
      heading.textContent = album.title || "Album";
      document.title = (album.title || "Album") + " · imgtree";
      var total = data.total || 0;
      meta.textContent = total + (total === 1 ? " image" : " images") + (album.isPublic === false ? " · Private" : "");
      I.show(description, album.description || "");
      if (data.is_owner) {
        meta.append(" · ", el("a", { href: "/albums", text: "Manage albums" }), " · ",
          el("a", { href: "/?album=" + encodeURIComponent(id), text: "Upload to this album" }));
      }
      grid.replaceChildren();
      (data.images || []).forEach(function (image) {
        var name = image.title || image.original_name || image.slug;
        grid.append(el("li", { className: "tile", dataset: { slug: image.slug } }, [
          el("a", { href: image.url, className: "tile-thumb" }, [
            el("img", { src: image.thumb_url, alt: name, loading: "lazy" }),
          ]),
          el("div", { className: "tile-body" }, [el("p", { className: "tile-name", title: name, text: name })]),
        ]));
      });
      if (!total) I.show(status, "This album is empty.");
      I.pageLinks(pager, data.page || page, data.has_more, total, data.limit || LIMIT);
    } catch (err) {
      heading.textContent = "Album not found";
      document.title = "Album not found · imgtree";
      I.show(status, err.status === 404 || err.status === 401 || err.status === 403
        ? "This album does not exist, or it is private."
        : err.message);
    }
  }

  load();
})();
