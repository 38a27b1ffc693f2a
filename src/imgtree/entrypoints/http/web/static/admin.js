// /admin: instance statistics with two SVG charts, the users table (search, paging, inline
// edit of role, active and quota) and the audit log. Needs an admin session; every change
// goes through PATCH /api/admin/users/{id} with the CSRF header (Imgtree.api adds it).
// User-supplied text only reaches the page through textContent and attribute values.
(function () {
  "use strict";

  var I = window.Imgtree;
  var root = document.querySelector("[data-admin]");
  if (!root || !I) return;

  var el = I.el;
  var SVG_NS = "http://www.w3.org/2000/svg";
  var MB = 1024 * 1024;
  var GB = 1024 * MB;
  var PAGE_SIZE = 20;
  var selfId = root.dataset.selfId;
  var emails = {}; // user id -> email, for naming the actors in the audit log
  emails[selfId] = root.dataset.selfEmail;

  function number(n) {
    return typeof n === "number" ? n.toLocaleString() : "–";
  }

  // ---------------------------------------------------------------- SVG charts

  function svg(tag, attrs, children) {
    var node = document.createElementNS(SVG_NS, tag);
    Object.keys(attrs || {}).forEach(function (key) {
      node.setAttribute(key, String(attrs[key]));
    });
    (children || []).forEach(function (child) {
      if (child) node.append(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  }

  function tooltip(text) {
    return svg("title", {}, [text]);
  }

  // A round top for the y axis at or above `value`: counts get an even number (so the middle
  // grid line is a whole number), bytes a 1, 2, 5 or 10 × 10^k of a power of 1024.
  function niceMax(value, bytes) {
    if (value <= 0) return bytes ? 1024 : 2;
    var steps = bytes ? [1, 2, 5, 10] : [1, 2, 4, 6, 8, 10];
    if (bytes) {
      var unit = 1;
      while (value > unit * 1024) unit *= 1024;
      value /= unit;
      return roundUp(value, steps) * unit;
    }
    return Math.max(2, roundUp(value, steps));
  }

  function roundUp(value, steps) {
    var power = Math.pow(10, Math.floor(Math.log10(value)));
    for (var i = 0; i < steps.length; i += 1) {
      if (steps[i] * power >= value) return steps[i] * power;
    }
    return 10 * power;
  }

  function shortDay(day) {
    var date = new Date(day + "T00:00:00Z");
    if (isNaN(date.getTime())) return day;
    return date.toLocaleDateString(undefined, { month: "short", day: "numeric", timeZone: "UTC" });
  }

  var chartCounter = 0;

  // A chart frame: <svg role=img> with <title>/<desc>, horizontal grid lines with labels on
  // the left and a few day labels below. `series` is [{day, value, text}], oldest first.
  function frame(box, series, options) {
    chartCounter += 1;
    var width = Math.max(280, Math.round(box.clientWidth || 600));
    var height = width < 480 ? 180 : 220;
    var pad = { left: options.bytes ? 64 : 40, right: 12, top: 12, bottom: 28 };
    var plotW = width - pad.left - pad.right;
    var plotH = height - pad.top - pad.bottom;
    var max = niceMax(
      series.reduce(function (m, p) { return Math.max(m, p.value); }, 0),
      options.bytes
    );
    var titleId = "chart-title-" + chartCounter;
    var descId = "chart-desc-" + chartCounter;
    var chart = svg(
      "svg",
      {
        viewBox: "0 0 " + width + " " + height,
        width: width,
        height: height,
        role: "img",
        "aria-labelledby": titleId + " " + descId,
        class: "chart-svg " + options.className,
      },
      [svg("title", { id: titleId }, [options.title]), svg("desc", { id: descId }, [options.desc])]
    );
    var axis = svg("g", { class: "axis", "aria-hidden": "true" });
    [0, 0.5, 1].forEach(function (f) {
      var y = pad.top + plotH - f * plotH;
      axis.append(
        svg("line", { class: f === 0 ? "baseline" : "grid", x1: pad.left, x2: width - pad.right, y1: y, y2: y }),
        svg("text", { x: pad.left - 6, y: y, dy: "0.32em", "text-anchor": "end" }, [
          options.bytes ? I.formatBytes(max * f) : number(max * f),
        ])
      );
    });
    var n = series.length;
    var band = n ? plotW / n : plotW;
    var labelIndexes = n ? [0, Math.floor((n - 1) / 2), n - 1] : [];
    labelIndexes.forEach(function (i, k) {
      if (labelIndexes.indexOf(i) !== k) return; // fewer than three days
      var anchor = k === 0 ? "start" : k === 2 ? "end" : "middle";
      var x = k === 0 ? pad.left : k === 2 ? width - pad.right : pad.left + band * (i + 0.5);
      axis.append(
        svg("text", { x: x, y: height - 8, "text-anchor": anchor }, [shortDay(series[i].day)])
      );
    });
    chart.append(axis);
    return {
      svg: chart,
      x: function (i) { return pad.left + band * (i + 0.5); },
      y: function (v) { return pad.top + plotH - (max ? (v / max) * plotH : 0); },
      band: band,
      bottom: pad.top + plotH,
    };
  }

  function barChart(box, series, options) {
    var f = frame(box, series, options);
    var bars = svg("g", { class: "bars" });
    var barWidth = Math.max(1, f.band * 0.7);
    series.forEach(function (p, i) {
      var y = f.y(p.value);
      bars.append(
        svg(
          "rect",
          {
            class: "bar",
            x: (f.x(i) - barWidth / 2).toFixed(2),
            y: y.toFixed(2),
            width: barWidth.toFixed(2),
            height: Math.max(0, f.bottom - y).toFixed(2),
            "data-day": p.day,
            "data-value": p.value,
          },
          [tooltip(p.text)]
        )
      );
    });
    f.svg.append(bars);
    return f.svg;
  }

  function lineChart(box, series, options) {
    var f = frame(box, series, options);
    var coords = series.map(function (p, i) {
      return [f.x(i).toFixed(2), f.y(p.value).toFixed(2)];
    });
    if (coords.length) {
      var line = "M" + coords.map(function (c) { return c.join(" "); }).join(" L");
      var area = line + " L" + coords[coords.length - 1][0] + " " + f.bottom +
        " L" + coords[0][0] + " " + f.bottom + " Z";
      f.svg.append(svg("path", { class: "area", d: area }), svg("path", { class: "line", d: line }));
    }
    var points = svg("g", { class: "points" });
    series.forEach(function (p, i) {
      points.append(
        svg(
          "circle",
          { class: "point", cx: coords[i][0], cy: coords[i][1], r: 3, "data-day": p.day, "data-value": p.value },
          [tooltip(p.text)]
        )
      );
    });
    f.svg.append(points);
    return f.svg;
  }

  // The same numbers as a table, for screen readers (the figure's box is visually hidden).
  function dataTable(caption, headings, rows) {
    return el("table", {}, [
      el("caption", { text: caption }),
      el("thead", {}, [
        el("tr", {}, headings.map(function (h) { return el("th", { scope: "col", text: h }); })),
      ]),
      el(
        "tbody",
        {},
        rows.map(function (cells) {
          return el("tr", {}, [el("th", { scope: "row", text: cells[0] })].concat(
            cells.slice(1).map(function (c) { return el("td", { text: c }); })
          ));
        })
      ),
    ]);
  }

  var lastStats = null;

  function drawCharts(stats) {
    var uploads = (stats.uploads_per_day || []).map(function (d) {
      return {
        day: d.day,
        value: d.uploads,
        text: I.t("chart_uploads_point", { day: I.formatDay(d.day + "T12:00:00Z"), n: d.uploads, count: number(d.uploads), size: I.formatBytes(d.bytes) }),
      };
    });
    var storage = (stats.storage_over_time || []).map(function (d) {
      return {
        day: d.day,
        value: d.bytes_uploaded_cumulative,
        text: I.t("chart_storage_point", { day: I.formatDay(d.day + "T12:00:00Z"), size: I.formatBytes(d.bytes_uploaded_cumulative) }),
      };
    });
    var totalUploads = uploads.reduce(function (s, p) { return s + p.value; }, 0);
    var last = storage.length ? storage[storage.length - 1].value : 0;

    var uploadsFigure = root.querySelector("[data-chart=uploads]");
    var box = uploadsFigure.querySelector("[data-chart-box]");
    box.replaceChildren(
      barChart(box, uploads, {
        className: "chart-uploads",
        title: I.t("chart_uploads_title", { days: uploads.length }),
        desc: I.t("chart_uploads_desc", { n: totalUploads, count: number(totalUploads), days: uploads.length }),
      })
    );
    uploadsFigure.querySelector("[data-chart-table]").replaceChildren(
      dataTable(I.t("uploads_per_day"), [I.t("day"), I.t("uploads"), I.t("size")], (stats.uploads_per_day || []).map(function (d) {
        return [d.day, number(d.uploads), I.formatBytes(d.bytes)];
      }))
    );

    var storageFigure = root.querySelector("[data-chart=storage]");
    box = storageFigure.querySelector("[data-chart-box]");
    box.replaceChildren(
      lineChart(box, storage, {
        bytes: true,
        className: "chart-storage",
        title: I.t("chart_storage_title", { days: storage.length }),
        desc: I.t("chart_storage_desc", { size: I.formatBytes(last), days: storage.length }),
      })
    );
    storageFigure.querySelector("[data-chart-table]").replaceChildren(
      dataTable(I.t("bytes_uploaded_cumulative"), [I.t("day"), I.t("bytes_uploaded")], (stats.storage_over_time || []).map(function (d) {
        return [d.day, I.formatBytes(d.bytes_uploaded_cumulative)];
      }))
    );
  }

  // ---------------------------------------------------------------- statistics

  var statsSection = root.querySelector("[data-stats]");
  var statsError = statsSection.querySelector("[data-stats-error]");

  function setStat(name, text) {
    statsSection.querySelectorAll("[data-stat=" + name + "]").forEach(function (node) {
      node.textContent = text;
    });
  }

  function emptyRow(columns, text) {
    return el("tr", {}, [el("td", { colSpan: columns, className: "muted", text: text })]);
  }

  async function loadStats() {
    I.show(statsError, "");
    statsSection.setAttribute("aria-busy", "true");
    try {
      var s = await I.api.get("/api/admin/stats");
      lastStats = s;
      setStat("users", number(s.users));
      setStat("active_users", I.t("active_users", { count: number(s.active_users) }));
      setStat("images", number(s.images));
      setStat("bytes_stored", I.formatBytes(s.bytes_stored));
      setStat("last_24h", number(s.uploads.last_24h));
      setStat("last_7d", number(s.uploads.last_7d));
      setStat("last_30d", number(s.uploads.last_30d));
      setStat("guest_uploads", number(s.guest_uploads));
      setStat("account_uploads", number(s.account_uploads));
      setStat("pending_presigns", number(s.pending_presigns));

      var types = Object.keys(s.by_type || {}).sort(function (a, b) {
        return s.by_type[b] - s.by_type[a] || (a < b ? -1 : 1);
      });
      var typeRows = statsSection.querySelector("[data-by-type]");
      typeRows.replaceChildren.apply(typeRows, types.length ? types.map(function (t) {
        return el("tr", {}, [
          el("td", {}, [el("code", { text: t })]),
          el("td", { className: "num", text: number(s.by_type[t]) }),
        ]);
      }) : [emptyRow(2, I.t("no_images_yet"))]);

      var top = s.top_uploaders || [];
      top.forEach(function (u) { emails[u.id] = u.email; });
      var topRows = statsSection.querySelector("[data-top-uploaders]");
      topRows.replaceChildren.apply(topRows, top.length ? top.map(function (u) {
        return el("tr", {}, [
          el("td", { className: "email", text: u.email }),
          el("td", { className: "num", text: number(u.images) }),
          el("td", { className: "num", text: I.formatBytes(u.bytes) }),
        ]);
      }) : [emptyRow(3, I.t("no_account_uploads_yet"))]);

      drawCharts(s);
    } catch (err) {
      I.show(statsError, err.message);
    } finally {
      statsSection.setAttribute("aria-busy", "false");
    }
  }

  // Charts are drawn at the box's pixel width (so the labels stay legible): redraw on resize.
  var resizeTimer = null;
  var lastWidth = window.innerWidth;
  window.addEventListener("resize", function () {
    if (window.innerWidth === lastWidth) return;
    lastWidth = window.innerWidth;
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { if (lastStats) drawCharts(lastStats); }, 150);
  });

  // ---------------------------------------------------------------- users

  var usersSection = root.querySelector("[data-users]");
  var searchForm = usersSection.querySelector("[data-user-search]");
  var userRows = usersSection.querySelector("[data-user-rows]");
  var usersError = usersSection.querySelector("[data-users-error]");
  var usersSummary = usersSection.querySelector("[data-users-summary]");
  var usersPager = usersSection.querySelector("[data-users-pager]");
  var userState = { q: "", page: 1 };

  // How a quota is shown in the number input and unit select; null is unlimited (empty).
  function quotaParts(bytes) {
    if (bytes === null || bytes === undefined) return { value: "", unit: "MB" };
    if (bytes >= GB && bytes % GB === 0) return { value: String(bytes / GB), unit: "GB" };
    return { value: String(Math.round((bytes / MB) * 100) / 100), unit: "MB" };
  }

  function quotaText(bytes) {
    if (bytes === null || bytes === undefined) return I.t("unlimited");
    var parts = quotaParts(bytes);
    return parts.value + " " + parts.unit;
  }

  var rowCounter = 0;

  function userRow(user) {
    rowCounter += 1;
    var current = user;
    var who = user.email;
    var isSelf = user.id === selfId;
    emails[user.id] = user.email;

    var role = el("select", { name: "role", "aria-label": I.t("role_for", { who: who }) }, [
      el("option", { value: "user", text: I.t("role_user") }),
      el("option", { value: "admin", text: I.t("role_admin") }),
    ]);
    var active = el("input", { type: "checkbox", name: "active", id: "active-" + rowCounter });
    var quota = el("input", {
      type: "number",
      name: "quota",
      min: "0",
      step: "any",
      inputMode: "decimal",
      placeholder: I.t("unlimited"),
      "aria-label": I.t("quota_for", { who: who }),
    });
    var unit = el("select", { name: "unit", "aria-label": I.t("quota_unit_for", { who: who }) }, [
      el("option", { value: "MB", text: "MB" }),
      el("option", { value: "GB", text: "GB" }),
    ]);
    var save = el("button", { type: "button", className: "primary", text: I.t("save"), "aria-label": I.t("save_who", { who: who }) });
    var status = el("span", { className: "row-status", role: "status" });
    var badges = el("span", { className: "badges" });
    var used = el("td", { className: "num" });

    function sync() {
      role.value = current.role;
      active.checked = !!current.active;
      var parts = quotaParts(current.quota_bytes);
      quota.value = parts.value;
      unit.value = parts.unit;
      quota.dataset.initial = parts.value;
      unit.dataset.initial = parts.unit;
      var badgeNodes = [];
      if (isSelf) badgeNodes.push(el("span", { className: "badge", text: I.t("you") }));
      if (!current.active) badgeNodes.push(el("span", { className: "badge badge-off", text: I.t("inactive") }));
      badges.replaceChildren.apply(badges, badgeNodes);
      used.replaceChildren(I.formatBytes(current.used_bytes));
      if (current.remaining_bytes !== null && current.remaining_bytes !== undefined) {
        used.append(el("span", { className: "cell-sub", text: I.t("bytes_left", { size: I.formatBytes(current.remaining_bytes) }) }));
      }
    }

    function setStatus(text, kind) {
      status.textContent = text;
      status.className = "row-status" + (kind ? " " + kind : "");
    }

    function changes() {
      var body = {};
      if (role.value !== current.role) body.role = role.value;
      if (active.checked !== !!current.active) body.active = active.checked;
      if (quota.value.trim() !== quota.dataset.initial || unit.value !== unit.dataset.initial) {
        var raw = quota.value.trim();
        if (quota.validity.badInput) {
          throw new Error(I.t("bad_quota"));
        }
        if (raw === "") {
          if (current.quota_bytes !== null) body.quota_bytes = null;
        } else {
          var value = Number(raw);
          if (!isFinite(value) || value < 0) {
            throw new Error(I.t("bad_quota"));
          }
          var bytes = Math.round(value * (unit.value === "GB" ? GB : MB));
          if (bytes !== current.quota_bytes) body.quota_bytes = bytes;
        }
      }
      return body;
    }

    async function submit() {
      var body;
      try {
        body = changes();
      } catch (err) {
        setStatus(err.message, "error");
        quota.focus();
        return;
      }
      if (!Object.keys(body).length) {
        setStatus(I.t("nothing_to_save"), "muted");
        return;
      }
      save.disabled = true;
      setStatus(I.t("saving"), "muted");
      try {
        var data = await I.api.patch("/api/admin/users/" + encodeURIComponent(current.id), body);
        current = data.user;
        sync();
        setStatus(I.t("saved"), "ok");
        loadStats();
        loadAudit(1);
      } catch (err) {
        setStatus(err.message, "error");
      } finally {
        save.disabled = false;
      }
    }

    save.addEventListener("click", submit);
    quota.addEventListener("keydown", function (event) {
      if (event.key === "Enter") {
        event.preventDefault();
        submit();
      }
    });
    [role, active, quota, unit].forEach(function (control) {
      control.addEventListener("input", function () { setStatus("", ""); });
    });

    // Sign the account out everywhere (its sessions end; API keys are untouched).
    var endSessions = I.armedButton(I.t("end_sessions"), I.t("confirm_end_sessions"), async function () {
      setStatus(I.t("ending_sessions"), "muted");
      try {
        var ended = await I.api.del("/api/admin/users/" + encodeURIComponent(current.id) + "/sessions");
        setStatus(I.t("sessions_ended", { n: ended.revoked, count: number(ended.revoked) }), "ok");
        loadAudit(1);
      } catch (err) {
        setStatus(err.message, "error");
      }
    }, who);
    endSessions.dataset.endSessions = "";

    sync();
    var userCell = el("td", { className: "user-cell" }, [
      el("span", { className: "email", text: user.email }),
      badges,
    ]);
    if (user.name) userCell.append(el("span", { className: "cell-sub", text: user.name }));
    return el("tr", { dataset: { userId: user.id, email: user.email } }, [
      userCell,
      el("td", {}, [role]),
      el("td", {}, [
        el("label", { className: "check", htmlFor: active.id }, [
          active,
          el("span", { className: "visually-hidden", text: I.t("active_who", { who: who }) }),
        ]),
      ]),
      el("td", {}, [el("div", { className: "quota-field" }, [quota, unit])]),
      used,
      el("td", { className: "nowrap", text: I.formatDay(user.created_at) }),
      el("td", { className: "save-cell" }, [save, endSessions, status]),
    ]);
  }

  function pager(nav, page, hasMore, total, onGo) {
    var pages = Math.max(1, Math.ceil(total / PAGE_SIZE));
    nav.hidden = pages <= 1 && page <= 1;
    var prev = nav.querySelector("[data-prev]");
    var next = nav.querySelector("[data-next]");
    prev.disabled = page <= 1;
    next.disabled = !hasMore;
    nav.querySelector("[data-page-label]").textContent = I.t("page_of", { page: page, last: pages });
    prev.onclick = function () { onGo(page - 1); };
    next.onclick = function () { onGo(page + 1); };
  }

  async function loadUsers(page) {
    userState.page = page || 1;
    I.show(usersError, "");
    var params = new URLSearchParams({ page: String(userState.page), limit: String(PAGE_SIZE) });
    if (userState.q) params.set("q", userState.q);
    try {
      var data = await I.api.get("/api/admin/users?" + params.toString());
      var users = data.users || [];
      userRows.replaceChildren.apply(userRows, users.map(userRow));
      if (!users.length) userRows.append(emptyRow(7, I.t("no_users")));
      var summary = I.t("users_count", { n: data.total, count: number(data.total) });
      if (userState.q) {
        summary = data.total
          ? I.t("users_matching", { n: data.total, count: number(data.total), q: userState.q })
          : I.t("no_users_match", { q: userState.q });
      }
      usersSummary.textContent = summary;
      pager(usersPager, data.page, data.has_more, data.total, loadUsers);
    } catch (err) {
      I.show(usersError, err.message);
      usersSummary.textContent = "";
    }
  }

  searchForm.addEventListener("submit", function (event) {
    event.preventDefault();
    userState.q = searchForm.elements.q.value.trim();
    loadUsers(1);
  });

  // ---------------------------------------------------------------- audit log

  var auditSection = root.querySelector("[data-audit]");
  var auditRows = auditSection.querySelector("[data-audit-rows]");
  var auditError = auditSection.querySelector("[data-audit-error]");
  var auditSummary = auditSection.querySelector("[data-audit-summary]");
  var auditPager = auditSection.querySelector("[data-audit-pager]");

  var FIELD_NAMES = { role: I.t("role"), active: I.t("active"), quota_bytes: I.t("quota") };

  function fieldValue(field, value) {
    if (field === "quota_bytes") return quotaText(value);
    if (field === "active") return value ? I.t("yes") : I.t("no");
    return value === null || value === undefined ? I.t("none") : String(value);
  }

  function changeList(changes) {
    var fields = Object.keys(changes || {});
    if (!fields.length) return el("span", { className: "muted", text: I.t("no_change") });
    return el("ul", { className: "changes" }, fields.map(function (field) {
      var change = changes[field] || {};
      return el("li", {}, [
        el("span", { className: "field", text: I.t("field_label", { field: FIELD_NAMES[field] || field }) }),
        fieldValue(field, change.from) + " → " + fieldValue(field, change.to),
      ]);
    }));
  }

  function actorCell(actorId) {
    if (!actorId) return el("td", {}, [el("em", { text: I.t("command_line") })]);
    var known = emails[actorId];
    var cell = el("td", { title: actorId });
    if (known) {
      cell.append(el("span", { className: "email", text: known }));
      if (actorId === selfId) cell.append(" ", el("span", { className: "badge", text: I.t("you") }));
    } else {
      cell.append(el("code", { text: actorId }));
    }
    return cell;
  }

  // A moderator's action in words: the image's slug, what was blocked, the reason given.
  function moderationSummary(details) {
    var parts = [];
    if (details.slug) parts.push(I.t("audit_image", { slug: details.slug }));
    if (details.blocked && details.blocked.length) parts.push(I.t("audit_blocked", { n: details.blocked.length, count: number(details.blocked.length) }));
    if (details.reports_closed) parts.push(I.t("audit_reports_closed", { n: details.reports_closed, count: number(details.reports_closed) }));
    if (details.reason) parts.push(I.t("audit_reason", { reason: details.reason }));
    if (details.unblocked && details.unblocked.length) parts.push(I.t("audit_unblocked", { n: details.unblocked.length, count: number(details.unblocked.length) }));
    if (details.blocked_reason) parts.push(I.t("audit_blocked_reason", { reason: details.blocked_reason }));
    return parts.join(" · ");
  }

  function auditRow(entry) {
    var details = entry.details || {};
    var what = el("td", {}, [
      entry.action === "user.sessions.end"
        ? el("span", { text: I.t("audit_signed_out_everywhere", { n: details.sessions || 0, count: number(details.sessions || 0) }) })
        : /^(image|report)\./.test(entry.action)
          ? el("span", { text: moderationSummary(details) })
          : changeList(details.changes),
    ]);
    if (entry.action !== "user.update") what.prepend(el("code", { text: entry.action }), " ");
    return el("tr", { dataset: { entryId: entry.id } }, [
      el("td", { className: "nowrap" }, [
        el("time", { dateTime: entry.created_at, text: I.formatDate(entry.created_at) }),
      ]),
      actorCell(entry.actor_id),
      el("td", { className: "email", text: details.email || entry.target_id || "" }),
      what,
    ]);
  }

  async function loadAudit(page) {
    I.show(auditError, "");
    var params = new URLSearchParams({ page: String(page || 1), limit: String(PAGE_SIZE) });
    try {
      var data = await I.api.get("/api/admin/audit?" + params.toString());
      var entries = data.entries || [];
      auditRows.replaceChildren.apply(auditRows, entries.map(auditRow));
      auditSection.querySelector("[data-audit-table]").hidden = !entries.length;
      auditSummary.textContent = data.total
        ? I.t("changes_newest_first", { n: data.total, count: number(data.total) })
        : I.t("no_changes_yet");
      pager(auditPager, data.page, data.has_more, data.total, loadAudit);
    } catch (err) {
      I.show(auditError, err.message);
      auditSummary.textContent = "";
    }
  }

  // ---------------------------------------------------------------- moderation

  var imagesSection = root.querySelector("[data-images]");
  var imageRows = imagesSection.querySelector("[data-image-rows]");
  var imagesError = imagesSection.querySelector("[data-images-error]");
  var imagesSummary = imagesSection.querySelector("[data-images-summary]");
  var imagesPager = imagesSection.querySelector("[data-images-pager]");
  var imageState = { page: 1, search: "", filter: "" };
  var reportsSection = root.querySelector("[data-reports]");
  var reportRows = reportsSection.querySelector("[data-report-rows]");
  var reportsError = reportsSection.querySelector("[data-reports-error]");
  var reportsSummary = reportsSection.querySelector("[data-reports-summary]");
  var reportsPager = reportsSection.querySelector("[data-reports-pager]");
  var reportState = { page: 1 };

  // Hide, unhide, delete or delete + block one image; then both lists are reloaded.
  async function moderate(imageId, action, errorNode) {
    var base = "/api/admin/images/" + encodeURIComponent(imageId);
    I.show(errorNode, "");
    try {
      if (action === "hide" || action === "unhide") {
        await I.api.post(base + "/" + action);
      } else {
        var block = action === "block";
        var question = block
          ? I.t("confirm_delete_and_block")
          : I.t("confirm_delete_image");
        if (!window.confirm(question)) return;
        await I.api.del(base, {}, { block: block, reason: block ? I.t("removed_by_moderator") : "" });
      }
    } catch (err) {
      I.show(errorNode, err.message);
      return;
    }
    loadImages(imageState.page);
    loadReports(reportState.page);
    loadAudit(1);
  }

  function actionButtons(imageId, hidden, errorNode) {
    function button(label, action, danger) {
      var b = el("button", { type: "button", text: label, className: danger ? "danger" : "" });
      b.dataset.action = action;
      b.addEventListener("click", function () { moderate(imageId, action, errorNode); });
      return b;
    }
    return el("div", { className: "row-actions" }, [
      hidden ? button(I.t("unhide"), "unhide") : button(I.t("hide"), "hide"),
      button(I.t("delete"), "delete", true),
      button(I.t("delete_and_block"), "block", true),
    ]);
  }

  function imageCell(url, thumbUrl, label, hidden) {
    return el("td", {}, [
      el("a", { href: url, target: "_blank", rel: "noopener" }, [
        el("img", { src: thumbUrl, alt: "", width: 48, height: 48, loading: "lazy", className: "mod-thumb" }),
        " ",
        el("span", { text: label }),
      ]),
      hidden ? el("span", { className: "badge", text: I.t("hidden") }) : null,
    ]);
  }

  function imageRow(image) {
    var owner = image.owner
      ? el("span", { className: "email", text: image.owner.email })
      : el("em", { text: I.t("guest") });
    return el("tr", { dataset: { imageId: image.id, slug: image.slug } }, [
      imageCell(image.url, image.thumb_url, image.title || image.original_name || image.slug, image.hidden),
      el("td", {}, [owner]),
      el("td", { className: "num", text: I.formatBytes(image.size_bytes) }),
      el("td", { className: "nowrap" }, [
        el("time", { dateTime: image.created_at, text: I.formatDate(image.created_at) }),
      ]),
      el("td", {}, [
        image.uploader_hash
          ? el("code", { title: image.uploader_hash, text: image.uploader_hash.slice(0, 12) })
          : el("span", { className: "muted", text: "–" }),
      ]),
      el("td", { className: "num", text: number(image.reports) }),
      el("td", {}, [actionButtons(image.id, image.hidden, imagesError)]),
    ]);
  }

  async function loadImages(page) {
    imageState.page = page || 1;
    I.show(imagesError, "");
    var params = new URLSearchParams({ page: String(imageState.page), limit: String(PAGE_SIZE) });
    if (imageState.search) params.set("search", imageState.search);
    if (imageState.filter === "guest") params.set("owner", "guest");
    if (imageState.filter === "reported") params.set("reported", "true");
    try {
      var data = await I.api.get("/api/admin/images?" + params.toString());
      var images = data.images || [];
      imageRows.replaceChildren.apply(imageRows, images.map(imageRow));
      if (!images.length) imageRows.append(emptyRow(7, I.t("no_images")));
      imagesSummary.textContent = I.t("images_newest_first", { n: data.total, count: number(data.total) });
      pager(imagesPager, data.page, data.has_more, data.total, loadImages);
    } catch (err) {
      I.show(imagesError, err.message);
      imagesSummary.textContent = "";
    }
  }

  imagesSection.querySelector("[data-image-search]").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.currentTarget;
    imageState.search = form.elements.search.value.trim();
    imageState.filter = form.elements.filter.value;
    loadImages(1);
  });

  function reportItem(report) {
    var parts = [el("strong", { text: report.reason })];
    if (report.text) parts.push(": ", el("span", { className: "report-text", text: report.text }));
    parts.push(" ", el("time", { className: "muted", dateTime: report.created_at, text: I.formatDate(report.created_at) }), " ");
    var dismiss = el("button", { type: "button", text: I.t("dismiss"), dataset: { dismiss: report.id } });
    dismiss.addEventListener("click", async function () {
      I.show(reportsError, "");
      try {
        await I.api.post("/api/admin/reports/" + encodeURIComponent(report.id) + "/dismiss");
      } catch (err) {
        I.show(reportsError, err.message);
        return;
      }
      loadReports(reportState.page);
      loadImages(imageState.page);
    });
    parts.push(dismiss);
    return el("li", { dataset: { reportId: report.id } }, parts);
  }

  function reportRow(group) {
    var image = group.image;
    var imageTd = image && !image.deleted
      ? imageCell(image.url, image.thumb_url, image.slug, image.hidden)
      : el("td", {}, [el("em", { text: I.t("deleted_image") })]);
    var actions = image && !image.deleted
      ? actionButtons(group.image_id, image.hidden, reportsError)
      : null;
    return el("tr", { dataset: { imageId: group.image_id, slug: image ? image.slug : "" } }, [
      imageTd,
      el("td", {}, [el("ul", { className: "reports" }, (group.reports || []).map(reportItem))]),
      el("td", {}, [actions]),
    ]);
  }

  async function loadReports(page) {
    reportState.page = page || 1;
    I.show(reportsError, "");
    var params = new URLSearchParams({ page: String(reportState.page), limit: String(PAGE_SIZE) });
    try {
      var data = await I.api.get("/api/admin/reports?" + params.toString());
      var groups = data.images || [];
      reportRows.replaceChildren.apply(reportRows, groups.map(reportRow));
      reportsSection.querySelector("[data-reports-table]").hidden = !groups.length;
      reportsSummary.textContent = data.total
        ? I.t("reported_images", { n: data.total, count: number(data.total) })
        : I.t("no_open_reports");
      pager(reportsPager, data.page, data.has_more, data.total, loadReports);
    } catch (err) {
      I.show(reportsError, err.message);
      reportsSummary.textContent = "";
    }
  }

  root.querySelector("[data-refresh]").addEventListener("click", function () {
    loadStats();
    loadUsers(userState.page);
    loadReports(reportState.page);
    loadImages(imageState.page);
    loadAudit(1);
  });

  loadStats();
  loadUsers(1);
  loadReports(1);
  loadImages(1);
  loadAudit(1);
})();
