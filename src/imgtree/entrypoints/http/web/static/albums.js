// /albums: list my albums, create one, edit its title/description/visibility, delete it.
(function () {
  "use strict";

  var I = window.Imgtree;
  var root = document.querySelector("[data-albums]");
  if (!root || !I) return;

  var el = I.el;
  var list = root.querySelector("[data-album-list]");
  var summary = root.querySelector("[data-summary]");
  var status = root.querySelector("[data-status]");
  var createForm = root.querySelector("[data-create-album]");
  var createError = createForm.querySelector("[data-error]");
  var counter = 0;

  function describe(album) {
    var count = album.image_count || 0;
    return I.t(album.isPublic ? "album_meta_public" : "album_meta_private", { n: count }) + (album.password_protected ? " · " + I.t("password_badge") : "");
  }

  function item(album) {
    counter += 1;
    var prefix = "album-" + counter;
    var meta = el("p", { className: "small muted", text: describe(album) });
    var description = el("p", { className: "album-description", text: album.description || "", hidden: !album.description });
    var link = el("a", { href: "/albums/" + encodeURIComponent(album.id), className: "album-title", text: album.title });

    var title = el("input", { id: prefix + "-title", type: "text", name: "title", value: album.title, required: true, maxLength: 200 });
    var desc = el("textarea", { id: prefix + "-desc", name: "description", rows: 2, maxLength: 5000 });
    desc.value = album.description || "";
    var isPublic = el("input", { type: "checkbox", name: "isPublic", checked: !!album.isPublic });
    var formError = el("p", { className: "error", role: "alert", hidden: true });
    var details;
    var form = el("form", { className: "stack" }, [
      el("label", { htmlFor: prefix + "-title", text: I.t("title") }),
      title,
      el("label", { htmlFor: prefix + "-desc", text: I.t("description") }),
      desc,
      el("label", { className: "check" }, [isPublic, " " + I.t("public")]),
      formError,
      el("button", { type: "submit", className: "primary", text: I.t("save") }),
    ]);
    form.addEventListener("submit", async function (event) {
      event.preventDefault();
      I.show(formError, "");
      try {
        var data = await I.api.patch("/api/albums/" + encodeURIComponent(album.id), {
          title: title.value.trim(),
          description: desc.value,
          isPublic: isPublic.checked,
        });
        Object.assign(album, (data && data.album) || {
          title: title.value.trim(),
          description: desc.value,
          isPublic: isPublic.checked,
        });
        link.textContent = album.title;
        meta.textContent = describe(album);
        description.textContent = album.description || "";
        description.hidden = !album.description;
        details.open = false;
        I.show(status, I.t("saved_name", { name: album.title }));
      } catch (err) {
        I.show(formError, err.message);
      }
    });
    details = el("details", { className: "menu" }, [
      el("summary", { text: I.t("edit"), "aria-label": I.t("edit_name", { name: album.title }) }),
      el("div", { className: "menu-body" }, [form]),
    ]);
    var cover = album.cover_thumb_url
      ? el("a", { href: "/albums/" + encodeURIComponent(album.id), className: "album-cover", tabIndex: -1, "aria-hidden": "true" }, [
          el("img", { src: album.cover_thumb_url, alt: "", loading: "lazy" }),
        ])
      : null;
    var li = el("li", { className: "album card", dataset: { albumId: album.id } }, [
      cover,
      el("div", { className: "album-head" }, [link, meta]),
      description,
      el("p", { className: "small muted album-delete-note",
        text: I.t("delete_album_note") }),
      el("div", { className: "album-actions" }, [
        I.shareButton(I.shareCodes(album), I.t("share"), album.title),
        details,
        I.armedButton(I.t("delete"), I.t("confirm_delete"), async function () {
          try {
            await I.api.del("/api/albums/" + encodeURIComponent(album.id));
            li.remove();
            I.show(status, I.t("deleted_name", { name: album.title }));
            if (!list.children.length) summary.textContent = I.t("no_albums_yet");
          } catch (err) {
            I.show(status, err.message);
          }
        }, album.title),
      ]),
    ]);
    return li;
  }

  async function load() {
    try {
      var data = await I.api.get("/api/albums");
      var albums = data.albums || [];
      list.replaceChildren.apply(list, albums.map(item));
      summary.textContent = albums.length ? "" : I.t("no_albums_yet");
      summary.hidden = !!albums.length;
    } catch (err) {
      summary.textContent = "";
      I.show(status, err.message);
    }
  }

  createForm.addEventListener("submit", async function (event) {
    event.preventDefault();
    I.show(createError, "");
    var title = createForm.elements.title.value.trim();
    if (!title) {
      I.show(createError, I.t("give_album_title"));
      createForm.elements.title.focus();
      return;
    }
    var button = createForm.querySelector("button[type=submit]");
    button.disabled = true;
    try {
      var data = await I.api.post("/api/albums", {
        title: title,
        description: createForm.elements.description.value,
        isPublic: createForm.elements.isPublic.checked,
      });
      createForm.reset();
      if (data && data.album) {
        list.prepend(item(Object.assign({ image_count: 0 }, data.album)));
        summary.hidden = true;
      } else {
        await load();
      }
      I.show(status, I.t("created_name", { name: title }));
    } catch (err) {
      I.show(createError, err.message);
    } finally {
      button.disabled = false;
    }
  });

  load();
})();
