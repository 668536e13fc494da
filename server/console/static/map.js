// fieldsync console: the map page. Leaflet over Iran's provinces (shipped with fieldsync);
// tiles only when the server names a tile server. Units are circles coloured by status,
// visits small dots; each opens its page. Text from the data is set as text, never as HTML.
(function () {
  "use strict";
  var STATUS_COLOURS = { active: "#0b5d57", semi_active: "#d9a21b", stalled: "#c0392b", closed: "#7f8c8d" };
  var VISIT_COLOUR = "#2e86c1";
  var IRAN = [[25.0, 44.0], [39.8, 63.4]];

  function persian() { return document.documentElement.lang === "fa"; }
  function number(n) { return persian() ? n.toLocaleString("fa-IR") : n.toLocaleString("en"); }

  function popup(title, detail, href) {
    var box = document.createElement("div");
    var link = document.createElement("a");
    link.href = href;
    link.textContent = title;
    box.appendChild(link);
    if (detail) {
      box.appendChild(document.createElement("br"));
      box.appendChild(document.createTextNode(detail));
    }
    return box;
  }

  function start(element) {
    var data = element.dataset;
    var map = L.map(element, { preferCanvas: false, attributionControl: !!data.tiles }).fitBounds(IRAN);
    if (data.tiles) {
      L.tileLayer(data.tiles, { attribution: data.attribution || "", maxZoom: 18 }).addTo(map);
    }
    fetch(data.base, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (geo) {
      L.geoJSON(geo, { interactive: false, style: { color: "#6b7a8a", weight: 1, fillColor: "#eef1f5",
                                                     fillOpacity: data.tiles ? 0 : 0.9 } }).addTo(map).bringToBack();
    });
    fetch(data.src, { credentials: "same-origin" }).then(function (r) { return r.json(); }).then(function (found) {
      var bounds = [];
      found.visits.forEach(function (v) {
        var marker = L.circleMarker([v[2], v[3]], { radius: 3, color: VISIT_COLOUR, weight: 1, fillOpacity: 0.7,
                                                    className: "visit-marker review-" + v[4] });
        marker.bindPopup(popup(data.labelVisit, data["review" + v[4].charAt(0).toUpperCase() + v[4].slice(1)] || "",
                               data.visitUrl.replace("VISIT", encodeURIComponent(v[0]))));
        marker.addTo(map);
      });
      found.units.forEach(function (u) {
        var status = u[4] || "unknown";
        var marker = L.circleMarker([u[2], u[3]], { radius: 7, color: "#ffffff", weight: 1.5,
          fillColor: STATUS_COLOURS[status] || "#b8c2cc", fillOpacity: 0.95,
          className: "unit-marker status-" + status });
        var key = "status" + status.split("_").map(function (w) { return w.charAt(0).toUpperCase() + w.slice(1); }).join("");
        marker.bindPopup(popup(u[1], data[key] || "", data.unitUrl.replace("UNIT", encodeURIComponent(u[0]))));
        marker.addTo(map);
        var path = marker.getElement && marker.getElement();
        if (path) path.setAttribute("data-unit", u[0]);
        bounds.push([u[2], u[3]]);
      });
      if (bounds.length) map.fitBounds(bounds, { padding: [40, 40], maxZoom: 11 });
      var count = document.getElementById("map-count");
      var text = count.dataset.template.replace("{units}", number(found.units.length))
        .replace("{visits}", number(found.visits.length));
      if (found.units.length >= found.limit || found.visits.length >= found.limit) text += " " + count.dataset.capped;
      count.textContent = text;
      element.setAttribute("data-ready", "1");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var element = document.getElementById("map");
    if (element && window.L) start(element);
  });
})();
