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

  var bucket = null;  // {name, ids}: the bucket of the pairwise view whose examples are shown

  function signed(v) { return (v >= 0 ? "+" : "") + v.toFixed(2); }
  function interval(ci) { return "[" + signed(ci[0]) + ", " + signed(ci[1]) + "]"; }

  function svg(tag, attrs, text) {
    var e = document.createElementNS("http://www.w3.org/2000/svg", tag);
    Object.keys(attrs).forEach(function (k) { e.setAttribute(k, attrs[k]); });
    if (text !== undefined) { e.textContent = text; }
    return e;
  }

  // Δ per bucket: a bar from 0 to Δ, a whisker over its 95% CI; dark where the CI excludes 0
  function plot(buckets, higher) {
    var w = 370, h = 170, left = 56, bottom = 30, lo = 0, hi = 0;
    buckets.forEach(function (b) { lo = Math.min(lo, b.ci95[0], b.delta); hi = Math.max(hi, b.ci95[1], b.delta); });
    if (hi === lo) { hi = lo + 1; }
    function y(v) { return 6 + (hi - v) / (hi - lo) * (h - 6 - bottom); }
    var out = svg("svg", {"class": "pw-plot", width: w, height: h, viewBox: "0 0 " + w + " " + h, role: "img"});
    out.appendChild(svg("title", {}, "Δ (B − A) per bucket with 95% CIs"));
    out.appendChild(svg("line", {x1: left, x2: w, y1: y(0), y2: y(0), stroke: "#888"}));
    [hi, 0, lo].filter(function (v, i, all) { return all.indexOf(v) === i; }).forEach(function (v) {
      out.appendChild(svg("text", {x: left - 4, y: y(v) + 4, "text-anchor": "end", "font-size": 10}, signed(v)));
    });
    var step = (w - left) / buckets.length;
    buckets.forEach(function (b, k) {
      var x = left + step * (k + 0.5), good = (b.delta > 0) === higher;
      var fill = good ? (b.clear ? "#2a7d2a" : "#a8d5a8") : (b.clear ? "#b33a3a" : "#f0b4b4");
      var bar = svg("rect", {"class": "pw-bar", x: x - step * 0.3, width: step * 0.6, fill: fill,
                             y: Math.min(y(0), y(b.delta)), height: Math.max(1, Math.abs(y(0) - y(b.delta)))});
      bar.appendChild(svg("title", {}, b.label + ": Δ " + signed(b.delta) + " " + interval(b.ci95) + ", " + b.n + " examples"));
      out.appendChild(bar);
      out.appendChild(svg("line", {x1: x, x2: x, y1: y(b.ci95[0]), y2: y(b.ci95[1]), stroke: "#222"}));
      // labels alternate between two lines, so intervals like (10.2, 17.8] never overlap
      out.appendChild(svg("text", {x: x, y: h - (k % 2 ? 2 : 13), "text-anchor": "middle", "font-size": 10}, b.label));
    });
    return out;
  }

  function bucketTable(view, g, metric) {
    var table = document.createElement("table"); table.className = "pw-table";
    var head = document.createElement("tr");
    ["bucket", "n", "A", "B", "Δ", "95% CI", ""].forEach(function (t) {
      var th = document.createElement("th"); th.textContent = t; head.appendChild(th);
    });
    table.appendChild(head);
    g.buckets.forEach(function (b, k) {
      var tr = document.createElement("tr");
      td(tr, b.label); td(tr, count(b.n), "num"); td(tr, score(b.baseline), "num"); td(tr, score(b.system), "num");
      td(tr, signed(b.delta) + (b.clear ? "*" : ""), "num"); td(tr, interval(b.ci95), "num");
      var button = document.createElement("button");
      button.type = "button"; button.className = "pw-show"; button.textContent = "examples";
      button.addEventListener("click", function () {
        show(metric + " by " + g.by + ", " + b.label + " (" + count(b.n) + " examples)",
             view.ids.filter(function (id, j) { return g.member[j] === k; }));
      });
      td(tr, "").appendChild(button);
      table.appendChild(tr);
    });
    return table;
  }

  // a bucket of examples picked in the pairwise view, shown in the sample browser below
  function show(name, ids) {
    var set = {};
    ids.forEach(function (id) { set[id] = true; });
    bucket = {name: name, ids: set};
    render();
    document.getElementById("samples-table").scrollIntoView();
  }

  // each n-gram a button: the examples where A and B match it a different number of times
  function ngramLine(title, rows) {
    var p = document.createElement("p"); p.className = "ngrams";
    p.appendChild(document.createTextNode(title + ": " + (rows.length ? "" : "none")));
    rows.forEach(function (r) {
      var button = document.createElement("button");
      button.type = "button"; button.className = "pw-ngram";
      button.textContent = "\u201c" + r.ngram + "\u201d " + r.baseline + "/" + r.system;
      button.addEventListener("click", function () {
        show("\u201c" + r.ngram + "\u201d, matched differently by A and B (" + count(r.ids.length) + " examples)", r.ids);
      });
      p.appendChild(button); p.appendChild(document.createTextNode(" "));
    });
    return p;
  }

  // the pairwise view of B against A under one metric: buckets, their plot, n-grams
  function pairwise(task, a, b, metric) {
    var note = document.getElementById("pairwise-note"), body = document.getElementById("pairwise-body");
    while (body.firstChild) { body.removeChild(body.firstChild); }
    var pw = task.pairwise, view = pw.pairs[a + "\n" + b], m = view && view.metrics[metric];
    if (!m) {
      note.textContent = a === b ? "pick two different systems" : (view ? metric + " has no stored statistics for this pair"
        : pw.refused[a + "\n" + b] || "not computed for this pair: the view covers every pair of the first " +
          pw.covered + " of this task's " + pw.systems + " systems, in the leaderboard's order");
      return;
    }
    note.textContent = count(view.ids.length) + " shared examples; " + metric + ": A " + score(m.overall.baseline) +
      ", B " + score(m.overall.system) + ", Δ " + signed(m.overall.delta) + " " + interval(m.overall.ci95) +
      (view.forced ? "; compared although " + view.forced : "");
    m.bucketings.forEach(function (g) {
      var box = document.createElement("div"); box.className = "pw-group";
      var h = document.createElement("h4"); h.textContent = "by " + g.by; box.appendChild(h);
      box.appendChild(plot(g.buckets, m.higher_is_better));
      box.appendChild(bucketTable(view, g, metric));
      body.appendChild(box);
    });
    body.appendChild(ngramLine("n-grams B matches more often", view.ngrams.system_more));
    body.appendChild(ngramLine("n-grams A matches more often", view.ngrams.baseline_more));
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
    pairwise(task, pick.a.value, pick.b.value, metric);
    var rows = Object.keys(task.examples).filter(function (id) {
      return ma.outputs[id] && mb.outputs[id] && (!bucket || bucket.ids[id]);
    });
    document.getElementById("bucket-filter").hidden = !bucket;
    document.getElementById("bucket-name").textContent = bucket ? bucket.name : "";
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
  [pick.task, pick.a, pick.b, pick.metric].forEach(function (s) {
    s.addEventListener("change", function () { bucket = null; render(); });
  });
  document.getElementById("bucket-clear").addEventListener("click", function () { bucket = null; render(); });
  pick.text.addEventListener("input", render);
  if (pick.task.value) { render(); }
})();
