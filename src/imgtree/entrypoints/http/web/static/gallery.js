// /gallery: my images, a page at a time: search, sort and filters kept in the address, tiles
// ticked for a bulk move / visibility change / delete (one request each), a menu per tile.
//
// Keyboard: each tile is ONE Tab stop (its picture link). Inside a tile, ← / → (and ↑ / ↓)
// move a roving tabindex over the tile's checkbox, Copy link, Share and Actions, Home goes back
// to the link, Space on the link ticks the tile; when focus leaves, the link is the stop again.
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
  var pagers = root.querySelectorAll("[data-pager]");
  var outOfRange = root.querySelector("[data-out-of-range]");
  var tools = root.querySelector("[data-gallery-tools]");
  var search = root.querySelector("[data-filter-search]");
  var FILTERS = {
    sort: root.querySelector("[data-filter-sort]"),
    albumId: root.querySelector("[data-filter-album]"),
    visibility: root.querySelector("[data-filter-visibility]"),
    type: root.querySelector("[data-filter-type]"),
  };
  var bulk = {
    all: root.querySelector("[data-select-all]"),
    count: root.querySelector("[data-selection-count]"),
    album: root.querySelector("[data-bulk-album]"),
    move: root.querySelector("[data-bulk-move]"),
    visibility: root.querySelector("[data-bulk-visibility]"),
    apply: root.querySelector("[data-bulk-visibility-apply]"),
    clear: root.querySelector("[data-bulk-clear]"),
  };
  var albums = [];
  var selected = new Set(); // ids ticked on this page
  var lastTicked = null; // for Shift+click ranges

  function albumTitle(id) {
    var album = albums.find(function (a) { return a.id === id; });
    return album ? album.title : I.t("no_album_lower");
  }

  function card(image) {
    var name = image.title || image.original_name || image.slug;
    var select = el("select", { "aria-label": I.t("album_for", { name: name }) });
    select.append(el("option", { value: "", text: I.t("no_album") }));
    albums.forEach(function (album) {
      select.append(el("option", { value: album.id, text: album.title }));
    });
    select.value = image.album_id || "";
    var move = el("button", { type: "button", text: I.t("move") });
    var li;
    var badge = visibilityBadge(image);
    move.addEventListener("click", async function () {
      move.disabled = true;
      try {
        var data = await I.api.patch("/api/images/" + encodeURIComponent(image.id), {
          albumId: select.value || null,
        });
        image = (data && data.image) || image;
        I.show(status, select.value ? I.t("moved_to_album", { name: name, album: albumTitle(select.value) }) : I.t("moved_to_no_album", { name: name }));
        if (FILTERS.albumId.value) await load(true); // it may have left the album shown
      } catch (err) {
        I.show(status, err.message);
      } finally {
        move.disabled = false;
      }
    });
    var remove = I.armedButton(I.t("delete"), I.t("confirm_delete"), async function () {
      try {
        await I.api.del("/api/images/" + encodeURIComponent(image.id));
        li.remove();
        selected.delete(image.id);
        I.show(status, I.t("deleted_name", { name: name }));
        await load(true); // the counts and the page follow at once
      } catch (err) {
        I.show(status, err.message);
      }
    }, name);
    var views = I.t("views", { n: image.page_views || 0, count: (image.page_views || 0).toLocaleString("en") });
    var meta = [image.width + "×" + image.height, I.formatBytes(image.size_bytes), I.formatDay(image.created_at), views, I.expiresText(image.expires_at)]
      .filter(Boolean)
      .join(" · ");
    var thumb = el("img", { src: image.thumb_url, alt: name, loading: "lazy" });
    // The dominant colour and BlurHash show until the thumbnail has loaded (blurhash.js).
    if (window.imgtreePlaceholder) window.imgtreePlaceholder.paint(thumb, image.blurhash, image.dominant_color);
    var tick = el("input", {
      type: "checkbox", className: "tile-check", "aria-label": I.t("select_name", { name: name }), dataset: { select: image.id },
    });
    tick.checked = selected.has(image.id);
    tick.addEventListener("click", function (event) { ticked(image.id, tick.checked, event.shiftKey); });
    var link = el("a", { href: image.url, className: "tile-thumb", "aria-label": name }, [thumb]);
    li = el("li", { className: "tile", dataset: { imageId: image.id, slug: image.slug } }, [
      link,
      el("div", { className: "tile-body" }, [
        el("label", { className: "tile-select small" }, [tick, I.t("select")]),
        el("p", { className: "tile-name", title: name, text: name }),
        el("p", { className: "small muted", text: meta }),
        badge,
        image.password_protected ? el("span", { className: "badge badge-lock", dataset: { lockBadge: "" }, text: I.t("password_badge") }) : null,
        shareRow(image, name),
        el("details", { className: "menu" }, [
          el("summary", { text: I.t("actions"), "aria-label": I.t("actions_for", { name: name }) }),
          el("div", { className: "menu-body" }, [
            el("label", { className: "small" }, [I.t("album"), select]),
            move,
            visibilityEditor(image, name, function (changed) {
              image = changed;
              badge.replaceWith((badge = visibilityBadge(image)));
            }),
            el("a", { href: image.direct_url, text: I.t("share_direct_label") }),
            remove,
          ]),
        ]),
      ]),
    ]);
    li.classList.toggle("selected", tick.checked);
    roving(li, link);
    return li;
  }

  // The tile's own stops, in order: the link first (the one Tab reaches), then the controls.
  function stops(li) {
    // querySelectorAll answers in document order, each node once.
    return Array.from(li.querySelectorAll(
      "a.tile-thumb, input.tile-check, .tile-share > button, .tile-share .share-toggle, details.menu > summary"
    ));
  }

  function roving(li, link) {
    function reset() {
      stops(li).forEach(function (node) { node.tabIndex = node === link ? 0 : -1; });
    }
    reset();
    li.addEventListener("keydown", function (event) {
      var items = stops(li);
      var at = items.indexOf(event.target);
      if (at < 0) return; // a control inside the open Actions menu keeps its own keys
      var to = null;
      if (event.key === "ArrowRight" || event.key === "ArrowDown") to = Math.min(at + 1, items.length - 1);
      else if (event.key === "ArrowLeft" || event.key === "ArrowUp") to = Math.max(at - 1, 0);
      else if (event.key === "Home") to = 0;
      else if (event.key === "End") to = items.length - 1;
      else if (event.key === " " && event.target === link) {
        event.preventDefault();
        var box = li.querySelector("input.tile-check");
        box.checked = !box.checked;
        ticked(li.dataset.imageId, box.checked, event.shiftKey);
        return;
      }
      if (to === null) return;
      event.preventDefault();
      items.forEach(function (node, i) { node.tabIndex = i === to ? 0 : -1; });
      items[to].focus();
    });
    li.addEventListener("focusout", function (event) {
      if (!li.contains(event.relatedTarget)) reset();
    });
  }

  // --- selection ------------------------------------------------------------------------------

  function tiles() { return Array.prototype.slice.call(grid.querySelectorAll("li.tile")); }

  function ticked(id, on, range) {
    var all = tiles();
    var ids = [id];
    if (range && lastTicked) {
      var a = all.findIndex(function (li) { return li.dataset.imageId === lastTicked; });
      var b = all.findIndex(function (li) { return li.dataset.imageId === id; });
      if (a >= 0 && b >= 0) {
        ids = all.slice(Math.min(a, b), Math.max(a, b) + 1).map(function (li) { return li.dataset.imageId; });
      }
    }
    ids.forEach(function (each) { if (on) selected.add(each); else selected.delete(each); });
    lastTicked = id;
    syncSelection();
  }

  function syncSelection() {
    var all = tiles();
    all.forEach(function (li) {
      var on = selected.has(li.dataset.imageId);
      li.classList.toggle("selected", on);
      var box = li.querySelector("input.tile-check");
      if (box) box.checked = on;
    });
    var n = selected.size;
    bulk.count.textContent = I.t("n_selected", { n: n });
    bulk.all.checked = n > 0 && n === all.length;
    bulk.all.indeterminate = n > 0 && n < all.length;
    [bulk.move, bulk.apply, bulk.clear, bulkDelete].forEach(function (b) { b.disabled = n === 0; });
  }

  bulk.all.addEventListener("change", function () {
    selected.clear();
    if (bulk.all.checked) tiles().forEach(function (li) { selected.add(li.dataset.imageId); });
    lastTicked = null;
    syncSelection();
  });
  bulk.clear.addEventListener("click", function () {
    selected.clear();
    syncSelection();
  });

  // One request per action; the answer says, per id, what happened.
  async function runBulk(action, body, done) {
    var ids = Array.from(selected);
    if (!ids.length) return;
    try {
      var data = await I.api.post("/api/images/bulk/" + action, Object.assign({ ids: ids }, body));
      var ok = data.succeeded || 0;
      var text = done(ok);
      if (data.failed) text += " " + I.t("bulk_failed", { n: data.failed });
      I.show(status, text);
      selected.clear();
      await load(true);
    } catch (err) {
      I.show(status, err.message);
    }
  }

  var bulkDelete = I.armedButton(I.t("delete"), I.t("confirm_delete"), async function () {
    await runBulk("delete", {}, function (n) { return I.t("bulk_deleted", { n: n }); });
    // armedButton re-enables itself once this settles; nothing is ticked any more.
    setTimeout(syncSelection, 0);
  }, I.t("selected_images_subject"));
  bulkDelete.dataset.bulkDelete = "";
  bulkDelete.disabled = true;
  root.querySelector("[data-bulk-delete]").replaceWith(bulkDelete);
  bulk.move.addEventListener("click", function () {
    var target = bulk.album.value;
    runBulk("move", { albumId: target || null }, function (n) {
      return target ? I.t("bulk_moved", { n: n, album: albumTitle(target) }) : I.t("bulk_moved_out", { n: n });
    });
  });
  bulk.apply.addEventListener("click", function () {
    var value = bulk.visibility.value;
    runBulk("visibility", { visibility: value }, function (n) {
      return I.t("bulk_made", { n: n, visibility: VISIBILITY_LABELS[value] || value });
    });
  });

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
      name: "description", rows: 3, maxLength: 2000, "aria-label": I.t("description_of", { name: name }),
    });
    description.value = image.description || "";
    var save = el("button", { type: "button", text: I.t("save") });
    save.addEventListener("click", async function () {
      save.disabled = true;
      try {
        var data = await I.api.patch("/api/images/" + encodeURIComponent(image.id), {
          visibility: select.value,
          description: description.value,
        });
        saved((data && data.image) || image);
        I.show(status, I.t("saved_visibility", { name: name, visibility: VISIBILITY_LABELS[select.value] }));
      } catch (err) {
        I.show(status, err.message);
      } finally {
        save.disabled = false;
      }
    });
    return el("div", { className: "tile-edit" }, [
      el("label", { className: "small", htmlFor: id, text: I.t("visibility") }),
      select,
      help,
      el("label", { className: "small" }, [I.t("description"), description]),
      save,
    ]);
  }

  // "Copy link" puts the page link on the clipboard in one click; "Share" opens every code.
  function shareRow(image, name) {
    var copy = el("button", { type: "button", className: "copy", text: I.t("copy_link"), "aria-label": I.t("copy_link_to", { name: name }), dataset: { copy: "page" } });
    copy.addEventListener("click", async function () {
      var ok = await I.copyText(image.url);
      copy.textContent = ok ? I.t("copied") : I.t("copy_failed");
      setTimeout(function () { copy.textContent = I.t("copy_link"); }, 1600);
    });
    return el("div", { className: "tile-share" }, [copy, I.shareButton(I.shareCodes(image), I.t("share"), name)]);
  }

  // --- the address holds the view: ?search=&sort=&albumId=&visibility=&type=&page= ------------

  function readAddress() {
    var params = new URLSearchParams(location.search);
    search.value = params.get("search") || "";
    Object.keys(FILTERS).forEach(function (name) {
      FILTERS[name].value = params.get(name) || FILTERS[name].options[0].value;
    });
    page = Math.max(1, parseInt(params.get("page") || root.dataset.pageNumber, 10) || 1);
  }

  function viewParams() {
    var params = new URLSearchParams();
    if (search.value.trim()) params.set("search", search.value.trim());
    Object.keys(FILTERS).forEach(function (name) {
      var value = FILTERS[name].value;
      if (value && !(name === "sort" && value === "newest")) params.set(name, value);
    });
    return params;
  }

  // A new search or filter starts at page 1; typing replaces the history entry, a choice adds one.
  function changed(push) {
    page = 1;
    var params = viewParams();
    var url = location.pathname + (params.toString() ? "?" + params : "");
    if (push) history.pushState(null, "", url);
    else history.replaceState(null, "", url);
    selected.clear();
    load();
  }

  var typing = null;
  search.addEventListener("input", function () {
    clearTimeout(typing);
    typing = setTimeout(function () { changed(false); }, 300);
  });
  tools.addEventListener("submit", function (event) {
    event.preventDefault();
    clearTimeout(typing);
    changed(true);
  });
  Object.keys(FILTERS).forEach(function (name) {
    FILTERS[name].addEventListener("change", function () { changed(true); });
  });
  window.addEventListener("popstate", function () {
    readAddress();
    selected.clear();
    load();
  });

  function fillAlbums(select, first) {
    var keep = select.value;
    select.replaceChildren(el("option", { value: "", text: first }));
    albums.forEach(function (album) {
      select.append(el("option", { value: album.id, text: album.title }));
    });
    select.value = keep;
    if (select.value !== keep) select.value = "";
  }

  var loading = 0;
  // `settle`: after a delete or move emptied the last page, show the new last page instead.
  async function load(settle) {
    var mine = ++loading;
    var params = viewParams();
    params.set("page", String(page));
    params.set("limit", String(LIMIT));
    try {
      var results = await Promise.all([
        I.api.get("/api/images?" + params),
        I.api.get("/api/albums").catch(function () { return { albums: [] }; }),
      ]);
      if (mine !== loading) return; // a newer search answered first
      var data = results[0];
      albums = results[1].albums || [];
      var wanted = new URLSearchParams(location.search).get("albumId") || "";
      fillAlbums(FILTERS.albumId, I.t("all_albums"));
      FILTERS.albumId.value = wanted;
      fillAlbums(bulk.album, I.t("no_album"));
      var total = data.total || 0;
      var limit = data.limit || LIMIT;
      var last = Math.max(1, Math.ceil(total / limit));
      if (settle === true && total && page > last) {
        page = last;
        var settled = viewParams();
        if (page > 1) settled.set("page", String(page));
        history.replaceState(null, "", location.pathname + (settled.toString() ? "?" + settled : ""));
        return load();
      }
      grid.replaceChildren();
      var images = data.images || [];
      // Forget ticks on tiles no longer here (deleted, moved out of the filter).
      var here = new Set(images.map(function (image) { return image.id; }));
      Array.from(selected).forEach(function (id) { if (!here.has(id)) selected.delete(id); });
      images.forEach(function (image) { grid.append(card(image)); });
      var filtered = params.has("search") || params.has("albumId") || params.has("visibility") || params.has("type");
      if (!total) {
        summary.replaceChildren(filtered ? I.t("no_images_match") + " " : I.t("no_images_yet") + " ",
          filtered ? el("a", { href: location.pathname, text: I.t("show_all_images") }) : el("a", { href: "/", text: I.t("upload_some") }), I.t("sentence_end"));
      } else {
        summary.textContent = I.t(filtered ? "images_match" : "images_count", { n: total });
      }
      if (total && page > last) {
        // Past the last page: say so and link to it, instead of "Page 99 of 3" over nothing.
        var to = viewParams();
        to.set("page", String(last));
        // The same words and links the server renders for it (GalleryPage, out_of_range_text).
        var first = viewParams();
        outOfRange.replaceChildren(
          I.t(filtered ? "no_page_results" : "no_page_gallery", { page: page, n: last }) + " ",
          el("a", { href: "?" + to, text: I.t("go_to_the_last_page"), dataset: { lastPage: last } }),
          " · ",
          el("a", { href: first.toString() ? "?" + first : location.pathname, text: I.t("go_to_the_first_page") })
        );
        outOfRange.hidden = false;
        pagers.forEach(function (pager) { pager.hidden = true; });
      } else {
        outOfRange.hidden = true;
        pagers.forEach(function (pager) {
          I.pageLinks(pager, data.page || page, data.has_more, total, limit);
        });
      }
      syncSelection();
    } catch (err) {
      if (mine !== loading) return;
      summary.textContent = "";
      I.show(status, err.message);
    }
  }

  readAddress();
  load();
  // Guest uploads claimed from this page (recent.js) join the grid at once.
  document.addEventListener("imgtree:claimed", function () { load(true); });
})();
