/**
 * The Chart.js parts the dashboard draws with, and nothing else (Chart.js is
 * tree-shaken to what is registered). Registering twice is harmless.
 */
import {
  ArcElement,
  CategoryScale,
  Chart,
  DoughnutController,
  Filler,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  PointElement,
  Tooltip,
} from "chart.js";

/** Registers the line and doughnut charts with their scales, tooltip and legend. */
export function registerCharts(): void {
  Chart.register(LineController, LineElement, PointElement, CategoryScale, LinearScale, Filler, Tooltip, Legend, DoughnutController, ArcElement);
}

/** The colours of chart series and slices, in order. */
export const CHART_COLORS = ["#409eff", "#67c23a", "#e6a23c", "#f56c6c", "#909399", "#9b59b6", "#1abc9c"] as const;
