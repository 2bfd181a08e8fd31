// Everything shown from data goes through textContent: predictions are untrusted text.
"use strict";
(function () {
  function sortable(table) {
    var heads = table.querySelectorAll("thead th");
    heads.forEach(function (th, col) {
      var button = th.querySelector("button");
      if (!button) { return; }
      button.addEventListener("click", function () {
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var descending = th.getAttribute("aria-sort") !== "descending";
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        rows.sort(function (a, b) {
          var x = a.cells[col].getAttribute("data-value"), y = b.cells[col].getAttribute("data-value");
          var nx = parseFloat(x), ny = parseFloat(y);
          if (x === "" || isNaN(nx)) {
            if (!(y === "" || isNaN(ny))) { return 1; }
            return (descending ? -1 : 1) * String(x).localeCompare(String(y));
          }
          if (y === "" || isNaN(ny)) { return -1; }
          return descending ? ny - nx : nx - ny;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  }
  document.querySelectorAll("table.sortable").forEach(sortable);

  var node = document.getElementById("report-data");
  if (!node) { return; }
  var data = JSON.parse(node.textContent);
  var pick = {task: document.getElementById("pick-task"), a: document.getElementById("pick-a"),
              b: document.getElementById("pick-b"), metric: document.getElementById("pick-metric"),
              text: document.getElementById("pick-text")};

  function fill(select, values) {
    var keep = select.value;
    while (select.firstChild) { select.removeChild(select.firstChild); }
    values.forEach(function (v) {
      var o = document.createElement("option"); o.value = v; o.textContent = v; select.appendChild(o);
    });
    if (values.indexOf(keep) >= 0) { select.value = keep; }
  }

  // Scripts written without spaces between words: there a word diff would mark whole
  // sentences, so each character is a token of its own.
  var UNSPACED = "\\p{Script=Han}\\p{Script=Hiragana}\\p{Script=Katakana}\\p{Script=Thai}\\p{Script=Lao}" +
    "\\p{Script=Khmer}\\p{Script=Myanmar}\\p{Script=Tibetan}\\u3000-\\u303f\\uff00-\\uffef";
  var TOKEN = new RegExp("\\s+|[" + UNSPACED + "]|[^\\s" + UNSPACED + "]+", "gu");

  // tokens of a text, each with the white space before it (kept as written, never compared)
  function tokens(text) {
    var out = [], space = "";
    (String(text || "").match(TOKEN) || []).forEach(function (t) {
      if (/^\s+$/.test(t)) { space = t; } else { out.push({text: t, space: out.length ? space : ""}); space = ""; }
    });
    return out;
  }

  // token-level LCS: marks the tokens of each side that the other lacks
  function diff(a, b) {
    var n = a.length, m = b.length, i, j, t = [];
    for (i = 0; i <= n; i++) { t.push(new Array(m + 1).fill(0)); }
    for (i = n - 1; i >= 0; i--) {
      for (j = m - 1; j >= 0; j--) {
        t[i][j] = a[i].text === b[j].text ? t[i + 1][j + 1] + 1 : Math.max(t[i + 1][j], t[i][j + 1]);
      }
    }
    var keepA = new Array(n).fill(false), keepB = new Array(m).fill(false);
    i = 0; j = 0;
    while (i < n && j < m) {
      if (a[i].text === b[j].text) { keepA[i] = keepB[j] = true; i++; j++; }
      else if (t[i + 1][j] >= t[i][j + 1]) { i++; } else { j++; }
    }
    return [keepA, keepB];
  }

  function marked(cell, tokens, keep, tag) {
    tokens.forEach(function (w, k) {
      if (w.space) { cell.appendChild(document.createTextNode(w.space)); }
      if (keep[k]) { cell.appendChild(document.createTextNode(w.text)); }
      else { var e = document.createElement(tag); e.textContent = w.text; cell.appendChild(e); }
    });
  }

  function td(row, text, cls) {
    var c = document.createElement("td"); c.textContent = text; if (cls) { c.className = cls; }
    row.appendChild(c); return c;
  }

  function score(v) { return typeof v === "number" ? v.toFixed(2) : "-"; }

  function count(n) { return n.toLocaleString("en-US"); }

  // the input: text, or an image's path under its thumbnail (a JPEG the report made itself)
  function input(row, ex) {
    var cell = td(row, "", "input");
    if (ex.thumb && /^[A-Za-z0-9+\/=]+$/.test(ex.thumb)) {
      var img = document.createElement("img");
      img.className = "thumb"; img.alt = ex.input; img.src = "data:image/jpeg;base64," + ex.thumb;
      cell.appendChild(img);
    }
    cell.appendChild(document.createTextNode(ex.input || ""));
  }

  // model B: never the same system as model A while the task has another
  function other(models, a, b) {
    if (b !== a || models.length < 2) { return b; }
    return models.filter(function (m) { return m !== a; })[0];
  }

  function render() {
    var task = data.tasks[pick.task.value];
    var models = Object.keys(task.models);
    fill(pick.a, models); fill(pick.b, models);
    pick.b.value = other(models, pick.a.value, pick.b.value);
    fill(pick.metric, task.metrics);
    var ma = task.models[pick.a.value], mb = task.models[pick.b.value], metric = pick.metric.value;
    var needle = pick.text.value.toLowerCase();
    var rows = Object.keys(task.examples).filter(function (id) { return ma.outputs[id] && mb.outputs[id]; });
    var items = rows.map(function (id) {
      var sa = ma.outputs[id].scores[metric], sb = mb.outputs[id].scores[metric];
      var d = (typeof sa === "number" && typeof sb === "number") ? sb - sa : 0;
      return {id: id, ex: task.examples[id], a: ma.outputs[id], b: mb.outputs[id], sa: sa, sb: sb, d: d};
    }).filter(function (it) {
      if (!needle) { return true; }
      return [it.id, it.ex.input, it.a.prediction, it.b.prediction].concat(it.ex.references)
        .join("\n").toLowerCase().indexOf(needle) >= 0;
    });
    items.sort(function (x, y) { return Math.abs(y.d) - Math.abs(x.d); });
    var body = document.getElementById("samples-body");
    while (body.firstChild) { body.removeChild(body.firstChild); }
    items.slice(0, data.max_rows).forEach(function (it) {
      var tr = document.createElement("tr"); tr.className = "sample";
      tr.setAttribute("data-task", pick.task.value);
      td(tr, it.id); input(tr, it.ex);
      var wa = tokens(it.a.prediction), wb = tokens(it.b.prediction), keep = diff(wa, wb);
      marked(td(tr, "", "pred pred-a"), wa, keep[0], "del");
      marked(td(tr, "", "pred pred-b"), wb, keep[1], "ins");
      var refs = td(tr, "", "refs");
      it.ex.references.forEach(function (r) { var li = document.createElement("div"); li.textContent = r; refs.appendChild(li); });
      td(tr, score(it.sa), "num"); td(tr, score(it.sb), "num"); td(tr, (it.d >= 0 ? "+" : "") + it.d.toFixed(2), "num");
      body.appendChild(tr);
    });
    var text = items.length > data.max_rows
      ? "showing " + count(data.max_rows) + " of " + count(items.length) + " examples (largest difference first)"
      : count(items.length) + " examples";
    [ma, mb].forEach(function (m) {  // a run the report cut: say how much of it is here
      if (m.kept < m.total) { text += "; the report keeps " + count(m.kept) + " of " + count(m.total) + " examples of " + (m === ma ? "model A" : "model B"); }
    });
    if (models.length < 2) { text += "; only one system ran this task"; }
    document.getElementById("samples-count").textContent = text;
  }

  fill(pick.task, Object.keys(data.tasks));
  if (data.default_task) { pick.task.value = data.default_task; }
  [pick.task, pick.a, pick.b, pick.metric].forEach(function (s) { s.addEventListener("change", render); });
  pick.text.addEventListener("input", render);
  if (pick.task.value) { render(); }
})();
