// The classroom board: draws the rows and the plot from the JSON the page carries, then from
// /api/board every 2 s. Everything an attendee sent is set as text (textContent), never as
// markup, so a name like <script> shows as written.
"use strict";
(function () {
  var key = new URLSearchParams(location.search).get("key") || "";
  var q = "?key=" + encodeURIComponent(key);
  var L = {};
  var SVG = "http://www.w3.org/2000/svg";

  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }

  function minutes(s) {
    var m = Math.floor(s / 60), r = s % 60;
    return m + ":" + (r < 10 ? "0" : "") + r;
  }

  function drawRows(rows) {
    var head = document.getElementById("head");
    head.textContent = "";
    ["name", "place", "done", "on_step", "hints", "solutions", "wrong", "status"].forEach(function (k) {
      head.appendChild(el("th", L[k]));
    });
    var body = document.getElementById("body");
    body.textContent = "";
    rows.forEach(function (r) {
      var tr = el("tr", undefined, r.status);
      var place = r.place + (r.step_title ? " " + r.step_title : "");
      [r.name, place, "✓ " + r.done, minutes(r.on_step_s), r.hints, r.solutions ? "✓" : "",
       r.last_wrong, L[r.status]].forEach(function (v) { tr.appendChild(el("td", v)); });
      body.appendChild(tr);
    });
    document.getElementById("empty").textContent = rows.length ? "" : L.empty;
  }

  function drawPlot(bars) {
    var svg = document.getElementById("plot");
    svg.textContent = "";
    var n = Math.max(bars.length, 1), w = 1000, h = 180, bw = w / n;
    var top = 1;
    bars.forEach(function (b) { top = Math.max(top, b.past + b.here); });
    svg.setAttribute("viewBox", "0 0 " + w + " " + h);
    bars.forEach(function (b, i) {
      var x = i * bw, unit = (h - 30) / top;
      [["past", b.past, 0], ["here", b.here, b.past]].forEach(function (p) {
        var r = document.createElementNS(SVG, "rect");
        r.setAttribute("class", p[0]);
        r.setAttribute("x", x + 1);
        r.setAttribute("width", Math.max(bw - 2, 1));
        r.setAttribute("y", h - 15 - (p[1] + p[2]) * unit);
        r.setAttribute("height", p[1] * unit);
        var tip = document.createElementNS(SVG, "title");
        tip.textContent = b.place + " " + b.title + ": " + L[p[0]] + " " + p[1];
        r.appendChild(tip);
        svg.appendChild(r);
      });
      if (n <= 40 || i % Math.ceil(n / 40) === 0) {
        var t = document.createElementNS(SVG, "text");
        t.setAttribute("x", x + 1);
        t.setAttribute("y", h - 2);
        t.textContent = b.place;
        svg.appendChild(t);
      }
    });
  }

  function draw(v) {
    L = v.labels;
    document.getElementById("title").textContent = L.title;
    document.getElementById("code").textContent = L.code + " " + v.code;
    document.getElementById("plot-title").textContent = L.plot;
    document.getElementById("send").textContent = L.send;
    document.getElementById("lesson").placeholder = L.lesson;
    document.getElementById("step").placeholder = L.step;
    document.getElementById("message").placeholder = L.message;
    document.getElementById("export-csv").href = "/api/export.csv" + q;
    document.getElementById("export-json").href = "/api/export.json" + q;
    drawRows(v.rows);
    drawPlot(v.plot);
  }

  function poll() {
    fetch("/api/board" + q).then(function (r) { return r.ok ? r.json() : null; })
      .then(function (v) { if (v) draw(v); }).catch(function () {});
  }

  document.getElementById("send").addEventListener("click", function () {
    var lesson = document.getElementById("lesson").value.trim();
    var step = document.getElementById("step").value.trim();
    var body = { message: document.getElementById("message").value };
    if (lesson) body.lesson = lesson;
    if (step) body.step = step;
    fetch("/api/broadcast" + q, { method: "POST", body: JSON.stringify(body) })
      .then(function (r) { return r.json(); })
      .then(function (a) {
        document.getElementById("sent").textContent = a.error ? a.error : L.sent + " #" + a.n;
      }).catch(function () {});
  });

  draw(JSON.parse(document.getElementById("data").textContent));
  setInterval(poll, 2000);
})();
