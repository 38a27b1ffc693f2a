// /gallery: my images, a page at a time, each with a menu to move it to an album or delete it.
(function () {
  "use strict";

  var I = window.Imgtree;
  var root = document.querySelector("[data-gallery]");
  if (!root || !I) return;

  var el = I.el;
  var LIMIT = 24;
  var page = Number(root.dataset.pageNumber) || 1;
  var grid = root.querySelector("[data-images]");
  var summary = root.querySelector("[data-summary]");
  var status = root.querySelector("[data-status]");
  var pager = root.querySelector("[data-pager]");
  var albums = [];

  function albumTitle(id) {
    var album = albums.find(function (a) { return a.id === id; });
    return album ? album.title : "no album";
  }

  function card(image) {
    var name = image.title || image.original_name || image.slug;
    var select = el("select", { "aria-label": "Album for " + name });
    select.append(el("option", { value: "", text: "No album" }));
    albums.forEach(function (album) {
      select.append(el("option", { value: album.id, text: album.title }));
    });
    select.value = image.album_id || "";
    var move = el("button", { type: "button", text: "Move" });
    var li;
    var badge = visibilityBadge(image);
    move.addEventListener("click", async function () {
      move.disabled = true;
      try {
        var data = await I.api.patch("/api/images/" + encodeURIComponent(image.id), {
          albumId: select.value || null,
        });
        image = (data && data.image) || image;
        I.show(status, "Moved “" + name + "” to " + (select.value ? "“" + albumTitle(select.value) + "”" : "no album") + ".");
      } catch (err) {
        I.show(status, err.message);
      } finally {
        move.disabled = false;
      }
    });
    var remove = I.armedButton("Delete", "Confirm delete", async function () {
      try {
        await I.api.del("/api/images/" + encodeURIComponent(image.id));
        li.remove();
        I.show(status, "Deleted “" + name + "”.");
      } catch (err) {
        I.show(status, err.message);
      }
    }, name);
    var views = image.page_views === 1 ? "1 view" : (image.page_views || 0).toLocaleString("en") + " views";
    var meta = [image.width + "×" + image.height, I.formatBytes(image.size_bytes), I.formatDay(image.created_at), views, I.expiresText(image.expires_at)]
      .filter(Boolean)
      .join(" · ");
    var thumb = el("img", { src: image.thumb_url, alt: name, loading: "lazy" });
    // The dominant colour and BlurHash show until the thumbnail has loaded (blurhash.js).
    if (window.imgtreePlaceholder) window.imgtreePlaceholder.paint(thumb, image.blurhash, image.dominant_color);
    li = el("li", { className: "tile", dataset: { imageId: image.id, slug: image.slug } }, [
      el("a", { href: image.url, className: "tile-thumb" }, [thumb]),
      el("div", { className: "tile-body" }, [
        el("p", { className: "tile-name", title: name, text: name }),
        el("p", { className: "small muted", text: meta }),
        badge,
        shareRow(image, name),
        el("details", { className: "menu" }, [
          el("summary", { text: "Actions", "aria-label": "Actions for " + name }),
          el("div", { className: "menu-body" }, [
            el("label", { className: "small" }, ["Album", select]),
            move,
            visibilityEditor(image, name, function (changed) {
              image = changed;
              badge.replaceWith((badge = visibilityBadge(image)));
            }),
            el("a", { href: image.direct_url, text: "Direct link" }),
            remove,
          ]),
        ]),
      ]),
    ]);
    return li;
  }

  // The visibility choices, their labels and sentences come from the server
  // (presenters.VISIBILITY_CHOICES, rendered into the page's <template data-visibility-choices>).
  var choices = root.querySelector("template[data-visibility-choices]");
  var VISIBILITY_LABELS = {};
  if (choices) {
    Array.prototype.forEach.call(choices.content.querySelectorAll("option"), function (option) {
      VISIBILITY_LABELS[option.value] = option.textContent;
    });
  }
  function visibilityBadge(image) {
    var value = image.visibility;
    return el("span", {
      className: "badge badge-" + value,
      dataset: { visibilityBadge: value },
      text: VISIBILITY_LABELS[value] || value,
    });
  }

  // The owner's visibility and description editor in a tile's Actions menu; `saved` gets the
  // image as the server returned it.
  function visibilityEditor(image, name, saved) {
    var id = "vis-" + image.id;
    var select = el("select", { id: id, name: "visibility", "aria-describedby": id + "-help" });
    if (choices) select.append(choices.content.cloneNode(true));
    select.value = image.visibility || (image.is_public === false ? "private" : "unlisted");
    var help = el("p", { id: id + "-help", className: "small muted" });
    function explain() {
      var option = select.options[select.selectedIndex];
      help.textContent = option ? option.getAttribute("data-help") || "" : "";
    }
    select.addEventListener("change", explain);
    explain();
    var description = el("textarea", {
      name: "description", rows: 3, maxLength: 2000, "aria-label": "Description of " + name,
    });
    description.value = image.description || "";
    var save = el("button", { type: "button", text: "Save" });
    save.addEventListener("click", async function () {
      save.disabled = true;
      try {
        var data = await I.api.patch("/api/images/" + encodeURIComponent(image.id), {
          visibility: select.value,
          description: description.value,
        });
        saved((data && data.image) || image);
        I.show(status, "Saved “" + name + "”: " + VISIBILITY_LABELS[select.value] + ".");
      } catch (err) {
        I.show(status, err.message);
      } finally {
        save.disabled = false;
      }
    });
    return el("div", { className: "tile-edit" }, [
      el("label", { className: "small", htmlFor: id, text: "Visibility" }),
      select,
      help,
      el("label", { className: "small" }, ["Description", description]),
      save,
    ]);
  }

  // "Copy link" puts the page link on the clipboard in one click; "Share" opens every code.
  function shareRow(image, name) {
    var copy = el("button", { type: "button", className: "copy", text: "Copy link", "aria-label": "Copy link to " + name, dataset: { copy: "page" } });
    copy.addEventListener("click", async function () {
      var ok = await I.copyText(image.url);
      copy.textContent = ok ? "Copied!" : "Copy failed";
      setTimeout(function () { copy.textContent = "Copy link"; }, 1600);
    });
    return el("div", { className: "tile-share" }, [copy, I.shareButton(I.shareCodes(image), "Share", name)]);
  }

  async function load() {
    try {
      var results = await Promise.all([
        I.api.get("/api/images?page=" + page + "&limit=" + LIMIT),
        I.api.get("/api/albums").catch(function () { return { albums: [] }; }),
      ]);
      var data = results[0];
      albums = results[1].albums || [];
      grid.replaceChildren();
      (data.images || []).forEach(function (image) { grid.append(card(image)); });
      if (!data.total) {
        summary.replaceChildren("No images yet. ", el("a", { href: "/", text: "Upload some" }), ".");
      } else {
        summary.textContent = data.total + (data.total === 1 ? " image" : " images");
      }
      I.pageLinks(pager, data.page || page, data.has_more, data.total || 0, data.limit || LIMIT);
    } catch (err) {
      summary.textContent = "";
      I.show(status, err.message);
    }
  }

  load();
  // Guest uploads claimed from this page (recent.js) join the grid at once.
  document.addEventListener("imgtree:claimed", function () { load(); });
})();
