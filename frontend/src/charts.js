// Charts with uPlot, mounted on `<div data-chart data-chart-data="ID">` where ID names a
// <script type="application/json"> holding {"x": [epoch seconds…], "series": [{"label", "values": […]}],
// "y_label": "…"}. Colours are read from the design system's custom properties and redrawn on a theme change.
import uPlot from "uplot";

const PALETTE = ["--chart-1", "--chart-2", "--chart-3", "--chart-4", "--chart-5"];

function cssVar(name) {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

function build(element) {
  const source = document.getElementById(element.dataset.chartData);
  if (!source) return null;
  const data = JSON.parse(source.textContent || "{}");
  const axis = { stroke: cssVar("--text-muted"), grid: { stroke: cssVar("--border") }, ticks: { stroke: cssVar("--border") } };
  const options = {
    width: Math.max(element.clientWidth, 280),
    height: Number(element.dataset.height || 240),
    series: [
      {},
      ...(data.series || []).map((series, index) => ({
        label: series.label,
        stroke: cssVar(PALETTE[index % PALETTE.length]),
        width: 2,
        points: { show: false },
      })),
    ],
    axes: [axis, { ...axis, label: data.y_label || "" }],
    legend: { show: (data.series || []).length > 1 },
  };
  element.replaceChildren();
  const plot = new uPlot(options, [data.x || [], ...(data.series || []).map((s) => s.values)], element);
  element.chart = plot;
  return plot;
}

export function mountCharts(root = document) {
  root.querySelectorAll("[data-chart]").forEach((element) => build(element));
}

function start() {
  mountCharts();
  const observer = new ResizeObserver((entries) => {
    for (const entry of entries) {
      const plot = entry.target.chart;
      if (plot) plot.setSize({ width: Math.max(entry.contentRect.width, 280), height: plot.height });
    }
  });
  document.querySelectorAll("[data-chart]").forEach((element) => observer.observe(element));
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
document.addEventListener("segmentr:theme", () => mountCharts());
window.matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => mountCharts());
document.addEventListener("htmx:load", (event) => mountCharts(event.target));
