// Draw every element with a data-chart attribute (an ECharts option as JSON) and keep it sized to its box;
// an element with data-geo (GeoJSON) registers its shapes first as the map named by data-map.
(function () {
  function draw() {
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.drawn) return;
      if (el.dataset.geo) echarts.registerMap(el.dataset.map, JSON.parse(el.dataset.geo));
      var chart = echarts.init(el, null, { renderer: "svg" });
      var option = JSON.parse(el.dataset.chart);
      option.textStyle = { fontFamily: "Noto Sans CJK SC, Microsoft YaHei, sans-serif" };
      option.animation = false;
      chart.setOption(option);
      el.dataset.drawn = "1";
      window.addEventListener("resize", function () { chart.resize(); });
    });
  }
  document.addEventListener("DOMContentLoaded", draw);
  document.addEventListener("htmx:afterSettle", draw);
})();
