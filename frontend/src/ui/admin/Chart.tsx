/**
 * A Chart.js chart as a Preact component. The chart is created once per mount and updated in
 * place when `data` or `options` change (no animation), so a polled, growing loss curve does
 * not flicker or rebuild. Only the pieces the admin page uses are registered (tree-shaken).
 */
import {
  BarController,
  BarElement,
  CategoryScale,
  Chart,
  type ChartData,
  type ChartOptions,
  type ChartType,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Tooltip,
} from "chart.js";
import { useEffect, useRef } from "preact/hooks";

Chart.register(
  BarController,
  BarElement,
  CategoryScale,
  Legend,
  LinearScale,
  LineController,
  LineElement,
  LogarithmicScale,
  PointElement,
  ScatterController,
  Tooltip,
);

export interface ChartProps<T extends ChartType> {
  type: T;
  data: ChartData<T>;
  options?: ChartOptions<T>;
  label: string; // accessible name of the canvas
  height?: number;
  testId?: string;
}

export function ChartView<T extends ChartType>({
  type,
  data,
  options,
  label,
  height = 240,
  testId,
}: ChartProps<T>) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<T> | null>(null);

  useEffect(() => {
    if (!canvas.current) return;
    const created = new Chart<T>(canvas.current, {
      type,
      data,
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: false,
        ...options,
      } as ChartOptions<T>,
    });
    chart.current = created;
    return () => {
      created.destroy();
      chart.current = null;
    };
    // Recreated only when the chart type changes; data and options are updated below.
  }, [type]);

  useEffect(() => {
    const current = chart.current;
    if (!current) return;
    current.data = data;
    current.options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      ...options,
    } as ChartOptions<T>;
    current.update("none");
  }, [data, options]);

  // How many points are drawn: lets tests see a polled chart grow.
  const points = data.datasets.reduce((n, d) => n + d.data.length, 0);
  return (
    <div class="chart" style={{ height: `${height}px` }} data-testid={testId} data-points={points}>
      <canvas ref={canvas} role="img" aria-label={label} />
    </div>
  );
}
