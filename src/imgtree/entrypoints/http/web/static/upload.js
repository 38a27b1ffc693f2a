// The upload page: file picker, drag-and-drop and paste; one XMLHttpRequest per file so each
// file gets its own progress bar; then the thumbnail and copyable embed codes per result.
(function () {
  "use strict";

  var I = window.Imgtree;
  var root = document.querySelector("[data-upload]");
  if (!root || !I) return;

  var el = I.el;
  var signedIn = root.dataset.signedIn === "true";
  var endpoint = root.dataset.endpoint;
  var zone = root.querySelector("[data-dropzone]");
  var input = root.querySelector("[data-file-input]");
  var list = root.querySelector("[data-uploads]");
  var status = root.querySelector("[data-status]");
  var albumSelect = root.querySelector("[data-album-select]");
  var publicBox = root.querySelector("[data-public]");
  var CONCURRENCY = 3;
  var CODES = [
    ["direct", "Direct link"],
    ["markdown", "Markdown"],
    ["html", "HTML"],
    ["bbcode", "BBCode"],
    ["bbcode_thumb", "BBCode (thumbnail)"],
  ];
  var queue = [];
  var running = 0;

  if (signedIn && albumSelect) {
    I.api.get("/api/albums").then(function (data) {
      (data.albums || []).forEach(function (album) {
        albumSelect.append(el("option", { value: album.id, text: album.title }));
      });
      var wanted = new URLSearchParams(location.search).get("album");
      if (wanted) albumSelect.value = wanted;
    }).catch(function () { /* the select keeps "No album" */ });
  }

  function addFiles(files) {
    var images = Array.prototype.filter.call(files, function (file) {
      return file && file.size >= 0;
    });
    if (!images.length) return;
    I.show(status, "");
    images.forEach(function (file) {
      var item = makeItem(file);
      list.prepend(item.node);
      queue.push(item);
    });
    pump();
  }

  function makeItem(file) {
    var name = file.name || "image";
    var progress = el("progress", { max: 100, value: 0, "aria-label": "Upload progress for " + name });
    var state = el("span", { className: "state", text: "Waiting…" });
    var result = el("div", { className: "result", hidden: true });
    var node = el("li", { className: "upload-item card", dataset: { state: "queued" } }, [
      el("div", { className: "upload-head" }, [el("span", { className: "name", text: name }), state]),
      progress,
      result,
    ]);
    return { file: file, name: name, node: node, progress: progress, state: state, result: result };
  }

  function pump() {
    while (running < CONCURRENCY && queue.length) {
      running += 1;
      send(queue.shift()).finally(function () {
        running -= 1;
        pump();
      });
    }
  }

  function setState(item, state, text) {
    item.node.dataset.state = state;
    item.state.textContent = text;
  }

  async function send(item) {
    var headers = {};
    if (signedIn) {
      headers["X-CSRF-Token"] = await I.csrf();
    }
    var form = new FormData();
    form.append("files", item.file, item.name);
    if (signedIn) {
      if (albumSelect && albumSelect.value) form.append("albumId", albumSelect.value);
      if (publicBox) form.append("isPublic", publicBox.checked ? "true" : "false");
    }
    setState(item, "uploading", "0%");
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      xhr.open("POST", endpoint);
      xhr.setRequestHeader("Accept", "application/json");
      Object.keys(headers).forEach(function (key) { xhr.setRequestHeader(key, headers[key]); });
      xhr.upload.addEventListener("progress", function (event) {
        if (!event.lengthComputable) return;
        var pct = Math.round((event.loaded / event.total) * 100);
        item.progress.value = pct;
        setState(item, "uploading", pct + "%");
      });
      xhr.upload.addEventListener("load", function () {
        item.progress.value = 100;
        setState(item, "processing", "Processing…");
      });
      xhr.addEventListener("load", function () {
        var data = null;
        try {
          data = JSON.parse(xhr.responseText);
        } catch (err) {
          data = null;
        }
        var image = data && data.images && data.images[0];
        if (xhr.status >= 200 && xhr.status < 300 && image && !image.error) {
          done(item, image);
        } else {
          var message = (image && image.error) || (data && data.error) || "Upload failed (" + xhr.status + ")";
          failed(item, message, xhr.status);
        }
        resolve();
      });
      xhr.addEventListener("error", function () {
        failed(item, "Network error: the upload did not reach the server.", 0);
        resolve();
      });
      xhr.addEventListener("abort", function () {
        failed(item, "Upload cancelled.", 0);
        resolve();
      });
      xhr.send(form);
    });
  }

  function done(item, image) {
    item.progress.value = 100;
    setState(item, "done", "Done");
    var thumb = el("a", { href: image.url, className: "thumb-link" }, [
      el("img", { src: image.thumb_url, alt: item.name, className: "thumb", loading: "lazy" }),
    ]);
    var codes = el("div", { className: "codes" });
    CODES.forEach(function (pair) {
      var value = (image.codes && image.codes[pair[0]]) || (pair[0] === "direct" ? image.direct_url : "");
      if (value) codes.append(I.codeRow(pair[1], value, pair[0]));
    });
    var links = el("p", { className: "links" }, [
      el("a", { href: image.url, text: "Open image page" }),
    ]);
    item.result.append(thumb, el("div", { className: "result-body" }, [links, codes]));
    if (!signedIn && image.delete_url) {
      var del = el("div", { className: "delete-link" }, [
        el("p", { className: "small", text: "Keep this delete link private: anyone who has it can delete the image." }),
        I.codeRow("Delete link", image.delete_url, "delete"),
      ]);
      item.result.querySelector(".result-body").append(del);
    }
    item.result.hidden = false;
  }

  function failed(item, message, code) {
    setState(item, "error", "Failed");
    item.progress.hidden = true;
    item.result.append(el("p", { className: "error", role: "alert", text: message }));
    item.result.hidden = false;
    if (code === 403 && !signedIn) {
      I.show(status, "Guest uploads are not available here. Sign in or sign up to upload.");
    }
  }

  input.addEventListener("change", function () {
    addFiles(input.files);
    input.value = "";
  });

  function hasFiles(event) {
    var types = event.dataTransfer && event.dataTransfer.types;
    return types && Array.prototype.indexOf.call(types, "Files") !== -1;
  }

  ["dragenter", "dragover"].forEach(function (type) {
    zone.addEventListener(type, function (event) {
      event.preventDefault();
      if (event.dataTransfer) event.dataTransfer.dropEffect = "copy";
      zone.classList.add("dragging");
    });
  });
  ["dragleave", "dragend"].forEach(function (type) {
    zone.addEventListener(type, function () { zone.classList.remove("dragging"); });
  });
  zone.addEventListener("drop", function (event) {
    event.preventDefault();
    zone.classList.remove("dragging");
    if (event.dataTransfer && event.dataTransfer.files) addFiles(event.dataTransfer.files);
  });
  // A file dropped next to the zone must not make the browser navigate away from the page.
  window.addEventListener("dragover", function (event) {
    if (hasFiles(event)) event.preventDefault();
  });
  window.addEventListener("drop", function (event) {
    if (event.defaultPrevented) return;
    event.preventDefault();
    if (event.dataTransfer && event.dataTransfer.files) addFiles(event.dataTransfer.files);
  });

  document.addEventListener("paste", function (event) {
    var data = event.clipboardData;
    if (!data) return;
    var files = [];
    Array.prototype.forEach.call(data.items || [], function (entry) {
      if (entry.kind === "file") {
        var file = entry.getAsFile();
        if (file) files.push(file);
      }
    });
    if (!files.length) return;
    event.preventDefault();
    var stamp = new Date().toISOString().replace(/[:.]/g, "-");
    addFiles(files.map(function (file, i) {
      if (file.name && file.name !== "image.png") return file;
      var ext = (file.type.split("/")[1] || "png").replace("jpeg", "jpg");
      return new File([file], "pasted-" + stamp + (i ? "-" + i : "") + "." + ext, { type: file.type });
    }));
  });
})();
