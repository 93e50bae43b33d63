// Charts with uPlot, mounted on `<div data-chart data-chart-data="ID">` where ID names a
// <script type="application/json"> holding {"x": [epoch seconds…], "series": [{"label", "values": […]}],
// "y_label": "…"}; optional "x_kind": "number" (x is not time), "x_label", "x_suffix" (after each x tick) and
// "bars": true (bars instead of lines). Colours are read from the design system's custom properties and
// redrawn on a theme change.
import uPlot from "uplot";

const PALETTE = ["--chart-1", "--chart-2", "--chart-3", "--chart-4", "--chart-5"];

// A colour token resolved to rgb(): the tokens are light-dark() pairs, which a canvas cannot read.
function cssVar(name) {
  const probe = document.createElement("span");
  probe.style.color = `var(${name})`;
  probe.hidden = true;
  document.body.append(probe);
  const color = getComputedStyle(probe).color;
  probe.remove();
  return color;
}

function translucent(rgb, alpha) {
  const parts = rgb.match(/[\d.]+/g) || ["0", "0", "0"];
  return `rgba(${parts[0]}, ${parts[1]}, ${parts[2]}, ${alpha})`;
}

function build(element) {
  const source = document.getElementById(element.dataset.chartData);
  if (!source) return null;
  const data = JSON.parse(source.textContent || "{}");
  const font = `12px ${getComputedStyle(document.body).fontFamily}`;
  const axis = {
    stroke: cssVar("--text-muted"),
    font,
    labelFont: font,
    grid: { stroke: cssVar("--border"), width: 1 },
    ticks: { stroke: cssVar("--border"), width: 1 },
  };
  const numeric = data.x_kind === "number";
  const bars = data.bars ? uPlot.paths.bars({ size: [0.8, 64] }) : undefined;
  const xAxis = {
    ...axis,
    label: data.x_label || "",
    values: numeric ? (plot, splits) => splits.map((value) => `${value}${data.x_suffix || ""}`) : undefined,
  };
  const options = {
    width: Math.max(element.clientWidth, 280),
    height: Number(element.dataset.height || 240),
    series: [
      {},
      ...(data.series || []).map((series, index) => ({
        label: series.label,
        stroke: cssVar(PALETTE[index % PALETTE.length]),
        width: 2,
        dash: series.dashed ? [6, 4] : undefined,
        fill: bars
          ? translucent(cssVar(PALETTE[index % PALETTE.length]), 0.75)
          : index === 0 && !series.dashed ? translucent(cssVar(PALETTE[0]), 0.12) : undefined,
        paths: bars,
        points: { show: numeric && !bars },
      })),
    ],
    scales: { x: numeric ? { time: false, range: bars ? (plot, min, max) => [min - 5, max + 5] : undefined } : {} },
    axes: [xAxis, { ...axis, label: data.y_label || "" }],
    legend: { show: (data.series || []).length > 1, live: false },
    cursor: { points: { size: 6 } },
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
