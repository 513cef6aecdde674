// Live search of the directory: the page works as a plain form without this script; with it,
// results and facet counts follow what one types or ticks, without reloading the page.
(function () {
  "use strict";
  var form = document.querySelector("form[data-recherche-live]");
  if (!form || !window.fetch || !window.URLSearchParams || !window.FormData) {
    return;
  }
  var facets = document.getElementById("facettes");
  var results = document.getElementById("resultats");
  var input = document.getElementById("q");
  var timer = null;
  var latest = 0;

  function queryString() {
    var params = new URLSearchParams();
    new FormData(form).forEach(function (value, key) {
      if (key === "tri" && value === "pertinence") {
        return;
      }
      if (key === "q" && String(value).trim() === "") {
        return;
      }
      params.append(key, value);
    });
    return params.toString();
  }

  function update() {
    var qs = queryString();
    var url = form.getAttribute("action") + (qs ? "?" + qs : "");
    var ticket = ++latest;
    var focused = document.activeElement && document.activeElement.id;
    fetch(url, { headers: { "X-Essor-Fragment": "1" }, credentials: "same-origin" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error(String(response.status));
        }
        return response.json();
      })
      .then(function (data) {
        if (ticket !== latest) {
          return; // a later answer is on its way
        }
        // Both fragments are rendered and escaped by the server.
        var heading = facets.querySelector("h2");
        var button = facets.querySelector("button");
        facets.innerHTML = "";
        if (heading) {
          facets.appendChild(heading);
        }
        var holder = document.createElement("div");
        holder.innerHTML = data.facettes;
        while (holder.firstChild) {
          facets.appendChild(holder.firstChild);
        }
        if (button) {
          facets.appendChild(button);
        }
        results.innerHTML = data.resultats;
        if (window.history && window.history.replaceState) {
          window.history.replaceState(null, "", url);
        }
        if (focused && focused !== "q") {
          var again = document.getElementById(focused);
          if (again) {
            again.focus();
          }
        }
      })
      .catch(function () {
        // Leave the page as it is: the form still works by submitting it.
      });
  }

  function later() {
    window.clearTimeout(timer);
    timer = window.setTimeout(update, 180);
  }

  if (input) {
    input.addEventListener("input", later);
  }
  form.addEventListener("change", function (event) {
    if (event.target !== input) {
      update();
    }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    update();
  });
})();
