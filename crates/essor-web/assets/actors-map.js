/* essor: the map of the directory of actors.
 *
 * Progressive enhancement of every
 *   <div class="carte-acteurs" data-points="URL" data-contours="URL"
 *        data-tuiles="URL template or empty" data-attribution="text">fallback text</div>
 * The list of actors on the page stays the primary, accessible view; without JavaScript (or
 * when something fails) the fallback text stays in place.
 *
 * data-points: a GeoJSON FeatureCollection of Point features whose properties are
 *   { "siret", "nom", "commune", "url", "approximatif": bool }.
 * data-contours: a GeoJSON FeatureCollection of commune contours, properties { "code", "nom" };
 *   drawn as a plain map when data-tuiles is empty (the default: no tile server configured).
 *
 * Plain ES2017, no build step, no inline script or style (CSP: script-src 'self',
 * style-src 'self'); data only ever reaches the page through textContent and DOM nodes.
 */
(function () {
  "use strict";

  var ACCENT = "#00515f";
  var BORDER = "#8a9a9c";
  var LAND = "#f3f6f6";
  var counter = 0;

  function element(tag, className, text) {
    var node = document.createElement(tag);
    if (className) {
      node.className = className;
    }
    if (text !== undefined && text !== null) {
      node.textContent = String(text);
    }
    return node;
  }

  /* Leaflet writes attributions as HTML: escape the configured text first. */
  function escapeHtml(text) {
    return String(text)
      .replace(/&/g, "&amp;")
      .replace(/</g, "&lt;")
      .replace(/>/g, "&gt;")
      .replace(/"/g, "&quot;")
      .replace(/'/g, "&#39;");
  }

  /* Only links to this site or over http(s): never a javascript: URL from the data. */
  function safeUrl(url) {
    if (typeof url !== "string" || url === "") {
      return null;
    }
    try {
      var parsed = new URL(url, window.location.href);
      return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : null;
    } catch (error) {
      return null;
    }
  }

  async function fetchJson(url) {
    var response = await fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "application/geo+json, application/json" },
    });
    if (!response.ok) {
      throw new Error("HTTP " + response.status + " pour " + url);
    }
    return response.json();
  }

  function features(collection) {
    return collection && Array.isArray(collection.features) ? collection.features : [];
  }

  function popupContent(props) {
    var box = element("div", "carte-acteurs-bulle");
    var title = element("p", "carte-acteurs-bulle-nom");
    var href = safeUrl(props.url);
    var name = props.nom || "Acteur sans nom";
    if (href) {
      var link = element("a", null, name);
      link.href = href;
      title.appendChild(link);
    } else {
      title.textContent = name;
    }
    box.appendChild(title);
    if (props.commune) {
      box.appendChild(element("p", null, props.commune));
    }
    if (props.approximatif) {
      box.appendChild(
        element("p", "carte-acteurs-bulle-note", "Position approximative : centre de la commune.")
      );
    }
    return box;
  }

  function legend(exact, approximate) {
    var control = L.control({ position: "bottomleft" });
    control.onAdd = function () {
      var box = element("div", "carte-acteurs-legende");
      L.DomEvent.disableClickPropagation(box);
      var list = element("ul");
      if (exact > 0) {
        var li = element("li");
        li.appendChild(element("span", "carte-acteurs-symbole"));
        li.appendChild(document.createTextNode("Adresse localisée"));
        list.appendChild(li);
      }
      if (approximate > 0) {
        var approx = element("li");
        approx.appendChild(element("span", "carte-acteurs-symbole carte-acteurs-symbole-approximatif"));
        approx.appendChild(document.createTextNode("Centre de la commune (position approximative)"));
        list.appendChild(approx);
      }
      box.appendChild(list);
      return box;
    };
    return control;
  }

  /* On the same canvas as the points (a canvas above another takes all its mouse events, and
   * the tooltips with them), drawn first whichever of the two requests answers first. */
  function drawContours(map, collection) {
    var layer = L.geoJSON(collection, {
      style: function () {
        return { color: BORDER, weight: 1, opacity: 1, fillColor: LAND, fillOpacity: 1 };
      },
      onEachFeature: function (feature, layer) {
        var props = feature.properties || {};
        if (props.nom) {
          layer.bindTooltip(element("span", null, props.nom), { sticky: true });
        }
      },
    }).addTo(map);
    layer.bringToBack();
    return layer;
  }

  function drawPoints(map, collection) {
    var group = L.featureGroup();
    var exact = 0;
    var approximate = 0;
    features(collection).forEach(function (feature) {
      var geometry = feature && feature.geometry;
      if (!geometry || geometry.type !== "Point" || !Array.isArray(geometry.coordinates)) {
        return;
      }
      var lon = Number(geometry.coordinates[0]);
      var lat = Number(geometry.coordinates[1]);
      if (!isFinite(lat) || !isFinite(lon)) {
        return;
      }
      var props = feature.properties || {};
      var style = props.approximatif
        ? { radius: 5, color: ACCENT, weight: 2, fillColor: "#ffffff", fillOpacity: 0.9 }
        : { radius: 5, color: "#ffffff", weight: 1, fillColor: ACCENT, fillOpacity: 0.9 };
      if (props.approximatif) {
        approximate += 1;
      } else {
        exact += 1;
      }
      var marker = L.circleMarker([lat, lon], style);
      /* Built on opening only: thousands of points, few popups. */
      marker.bindPopup(function () {
        return popupContent(props);
      });
      group.addLayer(marker);
    });
    group.addTo(map);
    return { group: group, exact: exact, approximate: approximate };
  }

  function describe(exact, approximate) {
    var total = exact + approximate;
    var text;
    if (total === 0) {
      text = "Aucun acteur n'a de position connue. ";
    } else {
      text = total + (total > 1 ? " acteurs placés" : " acteur placé") + " sur la carte";
      if (approximate > 0) {
        text += ", dont " + approximate + " au centre de leur commune faute d'adresse localisée";
      }
      text += ". ";
    }
    return text + "La liste de cette page donne les mêmes acteurs, avec leurs coordonnées.";
  }

  async function enhance(container) {
    if (typeof window.L === "undefined" || container.dataset.carteActive === "oui") {
      return;
    }
    container.dataset.carteActive = "oui";
    var fallback = Array.prototype.slice.call(container.childNodes);
    var className = container.className;
    var tiles = (container.dataset.tuiles || "").trim();
    var helpId = "carte-acteurs-aide-" + (counter += 1);

    while (container.firstChild) {
      container.removeChild(container.firstChild);
    }
    container.classList.add("carte-acteurs-active");
    container.setAttribute("tabindex", "0");
    container.setAttribute("role", "region");
    container.setAttribute("aria-label", "Carte des acteurs");
    container.setAttribute("aria-describedby", helpId);

    var map = L.map(container, {
      preferCanvas: true,
      keyboard: true,
      zoomControl: false,
      attributionControl: true,
    });
    L.control.zoom({ zoomInTitle: "Zoom avant", zoomOutTitle: "Zoom arrière" }).addTo(map);
    map.attributionControl.setPrefix('<a href="https://leafletjs.com" hreflang="en">Leaflet</a>');
    map.setView([46.6, 2.5], 5);
    map.on("popupopen", function (event) {
      var close = event.popup.getElement().querySelector(".leaflet-popup-close-button");
      if (close) {
        close.setAttribute("aria-label", "Fermer");
        close.setAttribute("title", "Fermer");
      }
    });

    var help = element(
      "p",
      "carte-acteurs-masque",
      "Chargement de la carte. La liste de cette page donne les mêmes acteurs."
    );
    help.id = helpId;
    container.appendChild(help);

    var contours = null;
    if (tiles !== "") {
      L.tileLayer(tiles, {
        attribution: escapeHtml(container.dataset.attribution || ""),
        maxZoom: 19,
      }).addTo(map);
    } else if (container.dataset.contours) {
      contours = fetchJson(container.dataset.contours)
        .then(function (collection) {
          return drawContours(map, collection);
        })
        .catch(function () {
          return null; /* The points alone still make a usable map. */
        });
    }

    try {
      var collection = await fetchJson(container.dataset.points);
      var drawn = drawPoints(map, collection);
      var background = await contours;
      var bounds = drawn.group.getBounds();
      if (!bounds.isValid() && background) {
        bounds = background.getBounds();
      }
      if (bounds.isValid()) {
        map.fitBounds(bounds, { padding: [16, 16], maxZoom: 14 });
      }
      if (drawn.exact + drawn.approximate > 0) {
        legend(drawn.exact, drawn.approximate).addTo(map);
      }
      help.textContent = describe(drawn.exact, drawn.approximate);
    } catch (error) {
      /* Put the page back as it was without JavaScript: the list remains. */
      map.remove();
      while (container.firstChild) {
        container.removeChild(container.firstChild);
      }
      ["tabindex", "role", "aria-label", "aria-describedby", "style"].forEach(function (name) {
        container.removeAttribute(name);
      });
      container.className = className;
      fallback.forEach(function (node) {
        container.appendChild(node);
      });
      container.appendChild(
        element("p", "carte-acteurs-erreur", "La carte n'a pas pu être chargée ; la liste des acteurs reste disponible.")
      );
    }
  }

  function start() {
    Array.prototype.forEach.call(document.querySelectorAll("div.carte-acteurs"), function (div) {
      enhance(div);
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
