import type { ReactNode } from 'react';

/**
 * Small SVG charts, drawn to their data and no more: a responder reads a trend or
 * a ranking at a glance; the numbers are in a table beside each for exact reading
 * and for screen readers.
 */

export interface Series {
  name: string;
  /** One value per label; null where there is none (no incident that day). */
  values: Array<number | null>;
  tone: 'a' | 'b' | 'c';
}

const WIDTH = 640;
const HEIGHT = 200;
const PAD = { left: 48, right: 12, top: 12, bottom: 28 };

export function LineChart({ title, labels, series, format }: { title: string; labels: string[]; series: Series[]; format(value: number): string }) {
  const values = series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const max = Math.max(1, ...values);
  const x = (i: number) => PAD.left + (labels.length <= 1 ? 0 : (i / (labels.length - 1)) * (WIDTH - PAD.left - PAD.right));
  const y = (v: number) => PAD.top + (1 - v / max) * (HEIGHT - PAD.top - PAD.bottom);
  const ticks = [0, max / 2, max];
  const step = Math.max(1, Math.ceil(labels.length / 8));
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-label={`${title}: ${series.map((s) => s.name).join(' and ')} over ${labels.length} periods`}>
        {ticks.map((t) => (
          <g key={t}>
            <line x1={PAD.left} x2={WIDTH - PAD.right} y1={y(t)} y2={y(t)} className="grid" />
            <text x={PAD.left - 6} y={y(t) + 4} textAnchor="end" className="axis">
              {format(t)}
            </text>
          </g>
        ))}
        {labels.map((label, i) =>
          i % step === 0 ? (
            <text key={label + i} x={x(i)} y={HEIGHT - 8} textAnchor="middle" className="axis">
              {label}
            </text>
          ) : null,
        )}
        {series.map((s) => {
          const points = s.values.map((v, i) => (v === null ? null : `${x(i)},${y(v)}`));
          const segments: string[][] = [[]];
          for (const point of points) {
            if (point === null) segments.push([]);
            else segments[segments.length - 1]!.push(point);
          }
          return (
            <g key={s.name} className={`series series-${s.tone}`}>
              {segments.filter((seg) => seg.length > 1).map((seg, i) => <polyline key={i} points={seg.join(' ')} fill="none" />)}
              {s.values.map((v, i) => (v === null ? null : <circle key={i} cx={x(i)} cy={y(v)} r={3} />))}
            </g>
          );
        })}
      </svg>
      <Legend series={series} />
      <DataTable headers={['', ...series.map((s) => s.name)]} rows={labels.map((label, i) => [label, ...series.map((s) => (s.values[i] === null || s.values[i] === undefined ? '—' : format(s.values[i]!)))])} />
    </figure>
  );
}

export function BarList({ title, items, format, tone = 'a' }: { title: string; items: Array<{ label: string; value: number; note?: string }>; format(value: number): string; tone?: Series['tone'] }) {
  const max = Math.max(1, ...items.map((i) => i.value));
  return (
    <figure className="chart">
      <figcaption>{title}</figcaption>
      {items.length === 0 ? (
        <p className="muted">Nothing in this period.</p>
      ) : (
        <ul className="bars">
          {items.map((item) => (
            <li key={item.label}>
              <span className="bar-label">{item.label}</span>
              <span className="bar-track" aria-hidden="true">
                <span className={`bar series-${tone}`} style={{ width: `${(item.value / max) * 100}%` }} />
              </span>
              <span className="bar-value">
                {format(item.value)}
                {item.note && <span className="muted small"> {item.note}</span>}
              </span>
            </li>
          ))}
        </ul>
      )}
    </figure>
  );
}

function Legend({ series }: { series: Series[] }) {
  return (
    <div className="legend" aria-hidden="true">
      {series.map((s) => (
        <span key={s.name}>
          <span className={`swatch series-${s.tone}`} /> {s.name}
        </span>
      ))}
    </div>
  );
}

function DataTable({ headers, rows }: { headers: string[]; rows: ReactNode[][] }) {
  return (
    <details className="chart-data">
      <summary>Show the numbers</summary>
      <table className="table compact">
        <thead>
          <tr>
            {headers.map((h, i) => (
              <th key={i} scope="col">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row, r) => (
            <tr key={r}>
              {row.map((cell, c) => (c === 0 ? <th key={c} scope="row">{cell}</th> : <td key={c}>{cell}</td>))}
            </tr>
          ))}
        </tbody>
      </table>
    </details>
  );
}
