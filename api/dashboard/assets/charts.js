// Line charts on a canvas: no library, a few hundred points each.
const COLORS = { pending: "#9a6700", confirmed: "#1a7f37", failed: "#c62828", p50: "#0969da", p99: "#8250df" };

function prepare(canvas) {
  const ratio = window.devicePixelRatio || 1;
  const width = canvas.clientWidth || canvas.width;
  const height = canvas.clientHeight || canvas.height;
  if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
    canvas.width = Math.round(width * ratio);
    canvas.height = Math.round(height * ratio);
  }
  const g = canvas.getContext("2d");
  g.setTransform(ratio, 0, 0, ratio, 0, 0);
  g.clearRect(0, 0, width, height);
  g.font = "11px system-ui, sans-serif";
  return { g, width, height };
}

function niceMax(v) {
  if (v <= 0) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/**
 * series: [{name, points: [[x, y]]}], x in seconds; the x range is
 * [x0, x1]. Draws axes, gridlines, a legend and the lines.
 */
export function drawLines(canvas, { series, x0, x1, unit }) {
  const { g, width, height } = prepare(canvas);
  const left = 44, right = 8, top = 16, bottom = 18;
  const w = width - left - right, h = height - top - bottom;
  let max = 0;
  for (const s of series) for (const [, y] of s.points) max = Math.max(max, y);
  max = niceMax(max);
  g.strokeStyle = "#dde2e7";
  g.fillStyle = "#66707a";
  g.lineWidth = 1;
  for (let i = 0; i <= 4; i++) {
    const y = top + h - (h * i) / 4;
    g.beginPath();
    g.moveTo(left, y);
    g.lineTo(left + w, y);
    g.stroke();
    const v = (max * i) / 4;
    g.fillText(`${v >= 100 ? v.toFixed(0) : +v.toFixed(2)}${unit}`, 2, y + 4);
  }
  for (const label of [[x0, "-5 min"], [x0 + (x1 - x0) / 2, "-2.5 min"], [x1, "now"]]) {
    const x = left + ((label[0] - x0) / (x1 - x0)) * w;
    g.fillText(label[1], Math.min(x, left + w - 24), height - 4);
  }
  let legendX = left;
  for (const s of series) {
    g.fillStyle = COLORS[s.name] || "#333";
    g.fillRect(legendX, 4, 10, 3);
    g.fillText(s.name, legendX + 13, 10);
    legendX += g.measureText(s.name).width + 30;
    g.strokeStyle = COLORS[s.name] || "#333";
    g.lineWidth = 1.5;
    g.beginPath();
    s.points.forEach(([x, y], i) => {
      const px = left + ((x - x0) / (x1 - x0)) * w;
      const py = top + h - (y / max) * h;
      if (i === 0) g.moveTo(px, py);
      else g.lineTo(px, py);
    });
    g.stroke();
  }
}
