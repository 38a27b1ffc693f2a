// The upload page: file picker, drag-and-drop and paste, and a queue that never loses a file.
// Files are checked here first (type and size, against the limits the form carries for this
// visitor), then sent in selection order: small files in multipart batches (at most the batch
// limit and BATCH_BYTES per request), large ones through presign -> PUT -> complete, with
// at most IN_FLIGHT requests at once. A 429 or 503 is waited out (Retry-After) and retried by
// itself; each file has Cancel and, once failed, Retry. Results keep selection order.
(function () {
  "use strict";

  var I = window.Imgtree;
  var root = document.querySelector("[data-upload]");
  if (!root || !I) return;

  var el = I.el;
  var MIB = 1024 * 1024;
  var BATCH_BYTES = 24 * MIB; // bytes of files in one multipart request
  var LARGE_BYTES = 8 * MIB; // files above this go through presign -> PUT -> complete
  var IN_FLIGHT = 2; // requests at once
  var MAX_ATTEMPTS = 5; // sends of one file that met 429/503 or a network error
  var DEFAULT_WAIT = 5; // seconds, when a 429/503 names no Retry-After
  var MAX_WAIT = 300; // seconds: a longer Retry-After is capped

  var signedIn = root.dataset.signedIn === "true";
  var endpoint = root.dataset.endpoint;
  var maxBytes = parseInt(root.dataset.maxBytes, 10) || 0;
  var batchLimit = Math.max(1, parseInt(root.dataset.batchLimit, 10) || 1);
  var types = (root.dataset.types || "").split(",").filter(Boolean);
  var typesText = root.dataset.typesText || I.t("an_image");
  // Phone photos: some systems give .heic/.heif/.avif files no MIME type; the server sniffs
  // the bytes anyway, so name the type by the extension for the check and the presign.
  var PHONE_TYPES = { heic: "image/heic", heif: "image/heif", avif: "image/avif" };
  function typeOf(file) {
    if (file.type) return file.type;
    var ext = (file.name || "").split(".").pop().toLowerCase();
    return PHONE_TYPES[ext] || "";
  }
  var zone = root.querySelector("[data-dropzone]");
  var input = root.querySelector("[data-file-input]");
  var list = root.querySelector("[data-uploads]");
  var status = root.querySelector("[data-status]");
  var albumSelect = root.querySelector("[data-album-select]");
  var publicBox = root.querySelector("[data-public]");
  var batchBox = root.querySelector("[data-batch]");
  var batchCount = root.querySelector("[data-batch-count]");
  var batchProgress = root.querySelector("[data-batch-progress]");
  var copyAll = root.querySelector("[data-copy-all]");
  var copyFormat = root.querySelector("[data-copy-format]");

  var items = []; // every file of this page, in selection order
  var running = 0; // requests in flight
  var holdUntil = 0; // no new request before this time (ms): the server asked us to wait
  var holdTimer = null;

  if (signedIn && albumSelect) {
    I.api.get("/api/albums").then(function (data) {
      (data.albums || []).forEach(function (album) {
        albumSelect.append(el("option", { value: album.id, text: album.title }));
      });
      var wanted = new URLSearchParams(location.search).get("album");
      if (wanted) albumSelect.value = wanted;
    }).catch(function () { /* the select keeps "No album" */ });
  }

  // What the person chose for these files when they dropped them.
  function currentOptions() {
    var options = {};
    var visibility = root.querySelector("[data-visibility]");
    if (visibility && visibility.value) options.visibility = visibility.value;
    else if (signedIn && publicBox) options.isPublic = publicBox.checked;
    if (signedIn && albumSelect && albumSelect.value) options.albumId = albumSelect.value;
    // "Delete after": whole seconds (a number, as the JSON presign wants it); none: never.
    var expiry = root.querySelector("[data-expiry-select]");
    if (expiry && expiry.value) options.expiresIn = Number(expiry.value);
    return options;
  }

  function optionsKey(options) {
    return [options.albumId || "", options.visibility || "", String(options.isPublic), String(options.expiresIn || "")].join("|");
  }

  // Sizes as the page's limits sentence writes them: "5 MB", "1.5 KB".
  function size(n) {
    return I.formatBytes(n).replace(/\.0 /, " ");
  }

  // Why this file cannot be sent, or "" when it can.
  function refusal(file) {
    if (types.length && types.indexOf(typeOf(file)) === -1) {
      return I.t("refused_type", { type: file.type || I.t("this_file"), types: typesText });
    }
    if (file.size === 0) return I.t("refused_empty");
    if (maxBytes && file.size > maxBytes) {
      return I.t("refused_size", { size: size(file.size), limit: size(maxBytes) });
    }
    return "";
  }

  function addFiles(files) {
    var picked = Array.prototype.filter.call(files, function (file) { return !!file; });
    if (!picked.length) return;
    I.show(status, "");
    var options = currentOptions();
    picked.forEach(function (file) {
      var item = makeItem(file, options);
      items.push(item);
      list.append(item.node);
      var why = refusal(file);
      if (why) {
        item.status = "refused";
        item.progress.hidden = true;
        setState(item, "refused", I.t("not_sent"));
        showError(item, why);
      }
      render(item);
    });
    updateBatch();
    pump();
  }

  function makeItem(file, options) {
    var name = file.name || I.t("image");
    var progress = el("progress", { max: 100, value: 0, "aria-label": I.t("upload_progress_for", { name: name }) });
    var state = el("span", { className: "state", text: I.t("queued") });
    var cancel = el("button", { type: "button", className: "linkish", text: I.t("cancel"), "aria-label": I.t("cancel_name", { name: name }) });
    var retry = el("button", { type: "button", className: "linkish", text: I.t("retry"), "aria-label": I.t("retry_name", { name: name }), hidden: true });
    var result = el("div", { className: "result", hidden: true });
    var node = el("li", { className: "upload-item card", dataset: { state: "queued" } }, [
      el("div", { className: "upload-head" }, [
        el("span", { className: "upload-title" }, [
          el("span", { className: "name", text: name }),
          " ",
          el("span", { className: "size muted small", text: size(file.size) }),
        ]),
        el("span", { className: "upload-actions" }, [state, retry, cancel]),
      ]),
      progress,
      result,
    ]);
    var item = {
      file: file, name: name, options: options, node: node, progress: progress, state: state,
      cancel: cancel, retry: retry, result: result,
      status: "queued", attempts: 0, loaded: 0, job: null, image: null,
    };
    cancel.addEventListener("click", function () { cancelItem(item); });
    retry.addEventListener("click", function () { retryItem(item); });
    return item;
  }

  function setState(item, state, text) {
    item.node.dataset.state = state;
    item.state.textContent = text;
  }

  // Buttons follow the file's status: Cancel while it may still be sent, Retry once failed.
  function render(item) {
    var live = item.status === "queued" || item.status === "sending" || item.status === "waiting";
    item.cancel.hidden = !live;
    item.retry.hidden = item.status !== "failed";
  }

  function showError(item, message) {
    item.result.replaceChildren(el("p", { className: "error", role: "alert", text: message }));
    item.result.hidden = false;
  }

  function counted(item) {
    return item.status !== "cancelled" && item.status !== "refused";
  }

  function busy() {
    return items.some(function (item) {
      return item.status === "queued" || item.status === "sending" || item.status === "waiting";
    });
  }

  function updateBatch() {
    var total = 0;
    var done = 0;
    var failed = 0;
    var refused = 0;
    var fraction = 0;
    items.forEach(function (item) {
      if (item.status === "refused") refused += 1;
      if (!counted(item)) return;
      total += 1;
      if (item.status === "done") {
        done += 1;
        fraction += 1;
      } else if (item.status === "failed") {
        failed += 1;
      } else if (item.status === "sending") {
        fraction += Math.min(0.95, item.loaded / Math.max(1, item.file.size));
      }
    });
    batchBox.hidden = items.length === 0;
    var text = I.t("batch_uploaded", { done: done, total: total });
    if (failed) text += " · " + I.t("batch_failed", { n: failed });
    if (refused) text += " · " + I.t("batch_not_sent", { n: refused });
    batchCount.textContent = text;
    batchProgress.value = total ? Math.round((fraction / total) * 100) : 0;
    batchBox.dataset.done = String(done);
    batchBox.dataset.failed = String(failed);
    batchBox.dataset.total = String(total);
    batchBox.dataset.busy = busy() ? "true" : "false";
    copyAll.disabled = done === 0;
  }

  // --- the scheduler ------------------------------------------------------------------------

  function isLarge(item) {
    return item.file.size > LARGE_BYTES;
  }

  // The next job in selection order: one large file, or a run of small files with the same
  // options, at most batchLimit of them and BATCH_BYTES together (always at least one).
  function nextJob() {
    var first = null;
    for (var i = 0; i < items.length; i += 1) {
      if (items[i].status === "queued") {
        first = items[i];
        break;
      }
    }
    if (!first) return null;
    if (isLarge(first)) return [first];
    var key = optionsKey(first.options);
    var batch = [first];
    var bytes = first.file.size;
    for (var j = items.indexOf(first) + 1; j < items.length && batch.length < batchLimit; j += 1) {
      var item = items[j];
      if (item.status !== "queued" || isLarge(item) || optionsKey(item.options) !== key) continue;
      if (bytes + item.file.size > BATCH_BYTES) break;
      batch.push(item);
      bytes += item.file.size;
    }
    return batch;
  }

  function pump() {
    var wait = holdUntil - Date.now();
    if (wait > 0) {
      if (!holdTimer) {
        holdTimer = setTimeout(function () {
          holdTimer = null;
          pump();
        }, wait);
      }
      return;
    }
    while (running < IN_FLIGHT) {
      var batch = nextJob();
      if (!batch) break;
      var job = { items: batch, xhr: null, cancelled: false };
      batch.forEach(function (item) {
        item.status = "sending";
        item.job = job;
        item.loaded = 0;
        item.attempts += 1;
        item.progress.hidden = false;
        item.progress.value = 0;
        setState(item, "uploading", I.t("sending"));
        render(item);
      });
      running += 1;
      (isLarge(batch[0]) ? sendLarge(job) : sendBatch(job)).then(finishJob(job), finishJob(job));
    }
    updateBatch();
  }

  function finishJob(job) {
    return function () {
      running -= 1;
      job.items.forEach(function (item) {
        if (item.job === job) item.job = null;
      });
      // A job that ended without a verdict for some file (aborted for a cancelled neighbour)
      // puts that file back in the queue.
      job.items.forEach(function (item) {
        if (item.status === "sending") requeue(item);
      });
      pump();
    };
  }

  function requeue(item) {
    item.status = "queued";
    item.attempts = Math.max(0, item.attempts - 1);
    setState(item, "queued", I.t("queued"));
    render(item);
  }

  function retryAfterSeconds(value) {
    var seconds = parseInt(value, 10);
    if (!isFinite(seconds) || seconds < 0) seconds = DEFAULT_WAIT;
    return Math.min(Math.max(seconds, 1), MAX_WAIT);
  }

  // The server is busy (429/503) or unreachable: the files wait together, then go again by
  // themselves (in one request, as before), up to MAX_ATTEMPTS sends; after that a file fails
  // and keeps a Retry button.
  function backOff(group, seconds, why, holdAll) {
    var waiting = group.filter(function (item) {
      if (item.status !== "sending") return false;
      if (item.attempts >= MAX_ATTEMPTS) {
        fail(item, I.t("failed_after_attempts", { n: item.attempts, why: why }));
        return false;
      }
      return true;
    });
    if (!waiting.length) return;
    if (holdAll) holdUntil = Math.max(holdUntil, Date.now() + seconds * 1000);
    var until = Date.now() + seconds * 1000;
    waiting.forEach(function (item) {
      item.status = "waiting";
      item.progress.value = 0;
      item.loaded = 0;
      render(item);
    });
    var timer = null;
    function tick() {
      var left = Math.ceil((until - Date.now()) / 1000);
      var still = waiting.filter(function (item) { return item.status === "waiting"; });
      if (left > 0 && still.length) {
        still.forEach(function (item) { setState(item, "waiting", I.t("waiting", { seconds: left, why: why })); });
        return;
      }
      clearInterval(timer);
      still.forEach(function (item) {
        item.status = "queued";
        setState(item, "queued", I.t("queued"));
        render(item);
      });
      pump();
    }
    tick();
    timer = setInterval(tick, 250);
    updateBatch();
  }

  function fail(item, message) {
    item.status = "failed";
    item.progress.hidden = true;
    setState(item, "error", I.t("failed"));
    showError(item, message);
    render(item);
  }

  function cancelItem(item) {
    if (item.status === "done" || item.status === "cancelled") return;
    var job = item.job;
    item.status = "cancelled";
    item.job = null;
    item.progress.hidden = true;
    setState(item, "cancelled", I.t("cancelled"));
    item.result.hidden = true;
    render(item);
    // The request carrying it stops; any other file it carried goes back to the queue.
    if (job && job.xhr) {
      job.cancelled = true;
      job.xhr.abort();
    }
    updateBatch();
    pump();
  }

  function retryItem(item) {
    if (item.status !== "failed") return;
    item.status = "queued";
    item.attempts = 0;
    item.result.replaceChildren();
    item.result.hidden = true;
    item.progress.hidden = false;
    item.progress.value = 0;
    setState(item, "queued", I.t("queued"));
    render(item);
    pump();
  }

  function progressOf(item, loaded) {
    item.loaded = loaded;
    var pct = Math.round((loaded / Math.max(1, item.file.size)) * 100);
    item.progress.value = Math.min(100, pct);
    setState(item, "uploading", pct >= 100 ? I.t("processing") : I.t("percent_of", { percent: pct, size: size(item.file.size) }));
  }

  // --- requests -----------------------------------------------------------------------------

  // One XMLHttpRequest (fetch has no upload progress); resolves {status, data, retryAfter}.
  function xhrSend(job, method, url, body, headers, onProgress) {
    return new Promise(function (resolve) {
      var xhr = new XMLHttpRequest();
      job.xhr = xhr;
      xhr.open(method, url);
      Object.keys(headers).forEach(function (key) { xhr.setRequestHeader(key, headers[key]); });
      if (onProgress) {
        xhr.upload.addEventListener("progress", function (event) {
          if (event.lengthComputable) onProgress(event.loaded, event.total);
        });
      }
      xhr.addEventListener("load", function () {
        var data = null;
        try {
          data = JSON.parse(xhr.responseText);
        } catch (err) {
          data = null;
        }
        resolve({ status: xhr.status, data: data, retryAfter: xhr.getResponseHeader("Retry-After") });
      });
      xhr.addEventListener("error", function () { resolve({ status: 0, data: null, retryAfter: null }); });
      xhr.addEventListener("abort", function () { resolve({ status: -1, data: null, retryAfter: null }); });
      xhr.send(body);
    });
  }

  async function apiHeaders(json) {
    var headers = { Accept: "application/json" };
    if (json) headers["Content-Type"] = "application/json";
    if (signedIn) headers["X-CSRF-Token"] = await I.csrf();
    return headers;
  }

  function waitReason(status) {
    return status === 429 ? I.t("why_rate_limit") : status === 503 ? I.t("why_server_busy") : I.t("why_network_error");
  }

  // A whole response that says "not now": every file it carried waits and goes again.
  function retryable(res) {
    return res.status === 429 || res.status === 503 || res.status === 0;
  }

  function handleRetryable(items_, res) {
    var seconds = res.status === 0 ? DEFAULT_WAIT : retryAfterSeconds(res.retryAfter);
    backOff(items_, seconds, waitReason(res.status), res.status !== 0);
  }

  // The per-file verdicts of an upload response (multipart or complete), in order.
  function settle(batch, res) {
    var images = (res.data && res.data.images) || [];
    var later = [];
    batch.forEach(function (item, i) {
      if (item.status !== "sending") return;
      var image = images[i];
      if (image && !image.error && res.status >= 200 && res.status < 300) {
        done(item, image);
      } else if (image && (image.status === 429 || image.status === 503)) {
        later.push(item);
      } else {
        var message = (image && image.error) || (res.data && res.data.error) || I.t("upload_failed_status", { status: res.status });
        fail(item, message);
        if (res.status === 403 && !signedIn) {
          I.show(status, I.t("guest_uploads_off"));
        }
      }
    });
    // One file the server could not take now (busy decoding) waits a moment and goes again.
    backOff(later, DEFAULT_WAIT, I.t("why_server_busy"), false);
  }

  async function sendBatch(job) {
    var batch = job.items;
    var form = new FormData();
    var options = batch[0].options;
    Object.keys(options).forEach(function (key) { form.append(key, String(options[key])); });
    batch.forEach(function (item) { form.append("files", item.file, item.name); });
    var sizes = batch.map(function (item) { return item.file.size; });
    var sum = sizes.reduce(function (a, b) { return a + b; }, 0);
    var headers = await apiHeaders(false);
    if (job.cancelled) return;
    var res = await xhrSend(job, "POST", endpoint, form, headers, function (loaded, total) {
      // The body is the files in order plus a little multipart framing: share it out.
      var bytes = (loaded / Math.max(1, total)) * sum;
      batch.forEach(function (item, i) {
        if (item.status !== "sending") return;
        progressOf(item, Math.max(0, Math.min(sizes[i], bytes)));
        bytes -= sizes[i];
      });
      updateBatch();
    });
    if (res.status === -1) return; // aborted: finishJob requeues what was not cancelled
    if (retryable(res)) {
      handleRetryable(batch, res);
      return;
    }
    settle(batch, res);
  }

  async function sendLarge(job) {
    var item = job.items[0];
    var file = item.file;
    var body = Object.assign({ filename: item.name, contentType: typeOf(file), sizeBytes: file.size }, item.options);
    var headers = await apiHeaders(true);
    if (job.cancelled) return;
    setState(item, "uploading", I.t("preparing"));
    var presign = await xhrSend(job, "POST", endpoint + "/presign", JSON.stringify(body), headers);
    if (presign.status === -1) return;
    if (retryable(presign)) {
      handleRetryable([item], presign);
      return;
    }
    if (presign.status !== 200 || !presign.data || !presign.data.put_url) {
      fail(item, (presign.data && presign.data.error) || I.t("upload_failed_status", { status: presign.status }));
      return;
    }
    var put = await xhrSend(job, "PUT", presign.data.put_url, file, presign.data.headers || { "Content-Type": typeOf(file) }, function (loaded) {
      progressOf(item, loaded);
      updateBatch();
    });
    if (put.status === -1) return;
    if (retryable(put)) {
      handleRetryable([item], put);
      return;
    }
    if (put.status < 200 || put.status >= 300) {
      fail(item, (put.data && put.data.error) || I.t("upload_failed_status", { status: put.status }));
      return;
    }
    setState(item, "processing", I.t("processing"));
    var complete = await xhrSend(
      job, "POST", endpoint + "/complete",
      JSON.stringify({ completion_token: presign.data.completion_token }), headers
    );
    if (complete.status === -1) return;
    if (retryable(complete)) {
      // The token is still good until it expires: wait, then start again from presign (the
      // bytes already sent are not reused; a second complete could not be told apart).
      handleRetryable([item], complete);
      return;
    }
    settle([item], complete);
  }

  // --- results ------------------------------------------------------------------------------

  function done(item, image) {
    item.status = "done";
    item.image = image;
    item.progress.value = 100;
    item.progress.hidden = true;
    setState(item, "done", I.t("done"));
    var picture = el("img", { src: image.thumb_url, alt: item.name, className: "thumb", loading: "lazy" });
    // The dominant colour and BlurHash show until the thumbnail has loaded (blurhash.js).
    if (window.imgtreePlaceholder) window.imgtreePlaceholder.paint(picture, image.blurhash, image.dominant_color);
    var thumb = el("a", { href: image.url, className: "thumb-link", target: "_blank", rel: "noopener" }, [picture]);
    var links = el("p", { className: "links" }, [
      el("a", { href: image.url, target: "_blank", rel: "noopener", text: I.t("open_image_page") }),
      " ",
      I.shareButton(I.shareCodes(image), I.t("share"), item.name),
    ]);
    var body = el("div", { className: "result-body" }, [links]);
    if (image.expires_at) {
      body.append(el("p", { className: "small muted", dataset: { expires: "" }, text: I.expiresText(image.expires_at) }));
    }
    if (!signedIn && image.delete_url) {
      body.append(el("div", { className: "delete-link" }, [
        el("p", { className: "small", text: I.t("keep_delete_link_private") }),
        I.codeRow(I.t("delete_link"), image.delete_url, "delete"),
      ]));
    }
    item.result.replaceChildren(thumb, body);
    item.result.hidden = false;
    render(item);
    if (window.ImgtreeRecent) window.ImgtreeRecent.add(image, item.file.name);
  }

  function allLinks(format) {
    return items.filter(function (item) { return item.status === "done"; }).map(function (item) {
      var codes = item.image.codes || {};
      if (format === "markdown") return codes.markdown || "";
      if (format === "bbcode") return codes.bbcode || "";
      return codes.page || item.image.url;
    }).filter(Boolean).join("\n");
  }

  copyAll.addEventListener("click", async function () {
    var text = allLinks(copyFormat.value);
    var count = text ? text.split("\n").length : 0;
    var ok = await I.copyText(text);
    if (!copyAll.dataset.label) copyAll.dataset.label = copyAll.textContent;
    copyAll.textContent = ok ? I.t("copied_links", { n: count }) : I.t("copy_failed");
    clearTimeout(copyAll._timer);
    copyAll._timer = setTimeout(function () { copyAll.textContent = copyAll.dataset.label; }, 1600);
  });

  // Leaving while files are still queued or on their way would lose them: ask first.
  window.addEventListener("beforeunload", function (event) {
    if (!busy()) return;
    event.preventDefault();
    event.returnValue = "";
  });

  // --- ways in: picker, drop, paste ---------------------------------------------------------

  input.addEventListener("change", function () {
    addFiles(input.files);
    input.value = "";
  });

  function hasFiles(event) {
    var dragged = event.dataTransfer && event.dataTransfer.types;
    return dragged && Array.prototype.indexOf.call(dragged, "Files") !== -1;
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
