// Materia's pages, made interactive without a framework. Every page works without this
// file; with it:
//   - each <canvas class="chart" data-chart='{"type", "labels", "series", "unit"}'> is
//     drawn with Chart.js (loaded before this file as the global `Chart`): one dataset
//     per series, distinct colours, the unit on the y axis, gaps where a value is null;
//   - numeric columns of <table class="data"> are marked .num (right-aligned);
//   - a multi-select gets a search box, a count of what is selected, and plain clicks
//     that toggle an option (no Ctrl needed);
//   - a GET form without a submit button gets one.
// Nothing here throws out of its own function: a fault in one chart leaves the rest of
// the page working, and a page without Chart.js keeps its tables and forms.
(function () {
  "use strict";

  // Colour-blind-friendly, well separated hues; series beyond these get generated hues.
  var PALETTE = [
    "#1f6feb", "#e8590c", "#2f9e44", "#c2255c", "#7048e8",
    "#0c8599", "#f08c00", "#5c940d", "#862e9c", "#495057"
  ];
  var CHART_HEIGHT_PX = 280;
  var SERIES_MAX = 200; // a bound on what one chart draws
  var GOLDEN_ANGLE_DEG = 137.508;

  function seriesColour(index) {
    if (index < PALETTE.length) return PALETTE[index];
    var hue = Math.round((index * GOLDEN_ANGLE_DEG) % 360);
    return "hsl(" + hue + ", 62%, 45%)";
  }

  // "#1f6feb" or "hsl(…)" at the given opacity, for fills.
  function withAlpha(colour, alpha) {
    if (colour.charAt(0) === "#") {
      var r = parseInt(colour.slice(1, 3), 16);
      var g = parseInt(colour.slice(3, 5), 16);
      var b = parseInt(colour.slice(5, 7), 16);
      return "rgba(" + r + ", " + g + ", " + b + ", " + alpha + ")";
    }
    return colour.replace("hsl(", "hsla(").replace(")", ", " + alpha + ")");
  }

  var numberFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 2 });
  // Ratios such as stocks-to-use step by thousandths: two digits would repeat labels.
  var fineFormat = new Intl.NumberFormat(undefined, { maximumFractionDigits: 4 });
  var compactFormat = new Intl.NumberFormat(undefined, {
    notation: "compact",
    maximumFractionDigits: 1
  });

  function formatTick(value) {
    if (typeof value !== "number") return value;
    if (Math.abs(value) >= 1e6) return compactFormat.format(value);
    return Math.abs(value) < 1 ? fineFormat.format(value) : numberFormat.format(value);
  }

  // Reads and checks a canvas's data-chart attribute. Returns the spec, or throws an
  // Error that says what is wrong.
  function parseSpec(canvas) {
    var spec = JSON.parse(canvas.getAttribute("data-chart"));
    if (!spec || typeof spec !== "object") throw new Error("data-chart is not an object");
    if (spec.type !== "line" && spec.type !== "bar") {
      throw new Error("data-chart type must be \"line\" or \"bar\", not " + JSON.stringify(spec.type));
    }
    if (!Array.isArray(spec.labels)) throw new Error("data-chart labels must be an array");
    if (!Array.isArray(spec.series)) throw new Error("data-chart series must be an array");
    return spec;
  }

  function toNumberOrNull(value) {
    if (value === null || value === undefined || value === "") return null;
    var number = typeof value === "number" ? value : Number(value);
    return isFinite(number) ? number : null;
  }

  function datasets(spec) {
    var count = Math.min(spec.series.length, SERIES_MAX);
    var result = [];
    for (var i = 0; i < count; i++) {
      var series = spec.series[i] || {};
      var colour = seriesColour(i);
      var values = Array.isArray(series.values) ? series.values.map(toNumberOrNull) : [];
      result.push({
        label: series.name == null ? "Series " + (i + 1) : String(series.name),
        data: values,
        borderColor: colour,
        backgroundColor: spec.type === "bar" ? withAlpha(colour, 0.75) : withAlpha(colour, 0.15),
        borderWidth: spec.type === "bar" ? 0 : 2,
        pointRadius: spec.labels.length > 40 ? 0 : 2.5,
        pointHoverRadius: 4,
        tension: 0.2,
        spanGaps: false // a null value is a gap, not a line drawn across it
      });
    }
    return result;
  }

  function chartOptions(spec, seriesCount) {
    var unit = typeof spec.unit === "string" ? spec.unit : "";
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      normalized: true,
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: {
          display: seriesCount > 1,
          position: "bottom",
          labels: { boxWidth: 12, boxHeight: 12, usePointStyle: false }
        },
        tooltip: {
          callbacks: {
            label: function (context) {
              var value = context.parsed && context.parsed.y;
              var text = value == null ? "no data" : numberFormat.format(value);
              return context.dataset.label + ": " + text + (unit && value != null ? " " + unit : "");
            }
          }
        }
      },
      scales: {
        x: {
          grid: { display: false },
          ticks: { autoSkip: true, maxRotation: 0, autoSkipPadding: 12 }
        },
        y: {
          beginAtZero: spec.type === "bar",
          title: { display: unit !== "", text: unit },
          ticks: { callback: formatTick },
          grid: { color: "rgba(0, 0, 0, 0.06)" }
        }
      }
    };
  }

  // Gives the canvas a sized parent, which Chart.js's responsive mode needs.
  function wrapCanvas(canvas) {
    var parent = canvas.parentNode;
    if (parent && parent.classList && parent.classList.contains("chart-area")) return;
    var area = document.createElement("div");
    area.className = "chart-area";
    area.style.height = CHART_HEIGHT_PX + "px";
    parent.insertBefore(area, canvas);
    area.appendChild(canvas);
  }

  // Writes a short message on the canvas itself, so an empty chart says why.
  function drawMessage(canvas, message) {
    var area = canvas.parentNode;
    var width = Math.max(area.clientWidth, 1);
    var height = Math.max(area.clientHeight, 1);
    var ratio = window.devicePixelRatio || 1;
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
    canvas.style.width = "100%";
    canvas.style.height = "100%";
    var context = canvas.getContext("2d");
    if (!context) return;
    context.scale(ratio, ratio);
    context.fillStyle = "#5d6878";
    context.font = "14px system-ui, sans-serif";
    context.textAlign = "center";
    context.textBaseline = "middle";
    context.fillText(message, width / 2, height / 2);
  }

  function addNote(canvas, message) {
    var figure = canvas.closest("figure") || canvas.parentNode;
    if (figure.querySelector(".chart-note")) return;
    var note = document.createElement("p");
    note.className = "chart-note";
    note.textContent = message;
    figure.appendChild(note);
  }

  function hasValues(spec) {
    for (var i = 0; i < spec.series.length; i++) {
      var values = (spec.series[i] && spec.series[i].values) || [];
      for (var j = 0; j < values.length; j++) {
        if (toNumberOrNull(values[j]) !== null) return true;
      }
    }
    return false;
  }

  function drawChart(canvas) {
    var spec;
    try {
      spec = parseSpec(canvas);
    } catch (error) {
      console.error("materia: cannot read the chart data of \"" + chartTitle(canvas) + "\": " + error.message);
      return;
    }
    wrapCanvas(canvas);
    if (spec.labels.length === 0 || !hasValues(spec)) {
      drawMessage(canvas, "No data for this selection");
      return;
    }
    if (typeof window.Chart !== "function") {
      addNote(canvas, "The chart library did not load; the data is in the tables.");
      return;
    }
    var existing = window.Chart.getChart ? window.Chart.getChart(canvas) : null;
    if (existing) existing.destroy();
    var sets = datasets(spec);
    new window.Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels.map(String), datasets: sets },
      options: chartOptions(spec, sets.length)
    });
    canvas.setAttribute("data-drawn", "true");
  }

  function chartTitle(canvas) {
    var figure = canvas.closest("figure");
    var caption = figure && figure.querySelector("figcaption");
    return caption ? caption.textContent.trim() : "chart";
  }

  function drawCharts() {
    var canvases = document.querySelectorAll("canvas.chart[data-chart]");
    for (var i = 0; i < canvases.length; i++) {
      try {
        drawChart(canvases[i]);
      } catch (error) {
        console.error("materia: cannot draw \"" + chartTitle(canvases[i]) + "\": " + error.message);
      }
    }
  }

  // ---- tables ----------------------------------------------------------------

  var NUMBER_PATTERN = /^[-+]?(\d{1,3}(,\d{3})+|\d+)?(\.\d+)?\s*%?$/;

  function isNumericText(text) {
    return text !== "" && /\d/.test(text) && NUMBER_PATTERN.test(text);
  }

  // Marks a column .num when every non-empty body cell in it is a number.
  function alignNumericColumns(table) {
    var rows = table.tBodies.length ? table.tBodies[0].rows : table.rows;
    var numeric = [];
    var seen = [];
    for (var r = 0; r < rows.length; r++) {
      var cells = rows[r].cells;
      for (var c = 0; c < cells.length; c++) {
        if (cells[c].tagName !== "TD") continue;
        var text = cells[c].textContent.trim();
        if (text === "" || text === "–" || text === "-") continue;
        if (numeric[c] === undefined) numeric[c] = true;
        seen[c] = true;
        if (!isNumericText(text)) numeric[c] = false;
      }
    }
    var allRows = table.rows;
    for (var i = 0; i < allRows.length; i++) {
      var rowCells = allRows[i].cells;
      for (var k = 0; k < rowCells.length; k++) {
        if (numeric[k] && seen[k]) rowCells[k].classList.add("num");
      }
    }
  }

  function alignTables() {
    var tables = document.querySelectorAll("table.data");
    for (var i = 0; i < tables.length; i++) {
      try {
        alignNumericColumns(tables[i]);
      } catch (error) {
        console.warn("materia: cannot align a table: " + error.message);
      }
    }
  }

  // ---- forms -----------------------------------------------------------------

  function updateCount(select, counter) {
    var chosen = select.selectedOptions ? select.selectedOptions.length : 0;
    counter.textContent = chosen + " of " + select.options.length + " selected";
  }

  function enhanceMultiSelect(select) {
    if (select.getAttribute("data-enhanced")) return;
    select.setAttribute("data-enhanced", "true");

    var box = document.createElement("div");
    box.className = "select-filter";
    var search = document.createElement("input");
    search.type = "search";
    search.placeholder = "Filter…";
    search.setAttribute("aria-label", "Filter the list");
    var counter = document.createElement("span");
    counter.className = "select-count";
    select.parentNode.insertBefore(box, select);
    box.appendChild(search);
    box.appendChild(select);
    box.appendChild(counter);
    updateCount(select, counter);

    // The search box must not submit the form on Enter, nor be sent with it.
    search.addEventListener("keydown", function (event) {
      if (event.key === "Enter") event.preventDefault();
    });
    search.addEventListener("input", function () {
      var needle = search.value.trim().toLowerCase();
      for (var i = 0; i < select.options.length; i++) {
        var option = select.options[i];
        var match = needle === "" || option.text.toLowerCase().indexOf(needle) !== -1;
        option.hidden = !match && !option.selected;
      }
    });
    // A plain click toggles one option instead of replacing the whole selection.
    select.addEventListener("mousedown", function (event) {
      var option = event.target;
      if (!option || option.tagName !== "OPTION" || event.shiftKey) return;
      event.preventDefault();
      var top = select.scrollTop;
      option.selected = !option.selected;
      select.focus();
      select.scrollTop = top;
      select.dispatchEvent(new Event("change", { bubbles: true }));
    });
    select.addEventListener("change", function () {
      updateCount(select, counter);
    });
  }

  function enhanceForms() {
    var forms = document.querySelectorAll("form");
    for (var i = 0; i < forms.length; i++) {
      var form = forms[i];
      try {
        var multiples = form.querySelectorAll("select[multiple]");
        for (var j = 0; j < multiples.length; j++) enhanceMultiSelect(multiples[j]);
        var submit = form.querySelector("button, input[type=submit]");
        if (!submit && form.querySelector("select")) {
          var button = document.createElement("button");
          button.type = "submit";
          button.textContent = "Show";
          form.appendChild(button);
        }
      } catch (error) {
        console.warn("materia: cannot enhance a form: " + error.message);
      }
    }
  }

  function start() {
    alignTables();
    enhanceForms();
    drawCharts();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
