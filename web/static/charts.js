// Draw every element with a data-chart attribute (an ECharts option as JSON) and keep it sized to its box.
(function () {
  function draw() {
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      if (el.dataset.drawn) return;
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
