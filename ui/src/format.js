// Presentation helpers shared by the page and the widget: HTML escaping, number and time
// formatting, and the colour of a GPU cell by its utilisation. No fleet facts are derived here.

const ESCAPES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** Text made safe for an HTML string (node names, messages and images come from the fleet). */
export function esc(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

/** A number, or "—" when the core did not give it. */
export function num(value, digits = 0) {
  return typeof value === "number" && Number.isFinite(value) ? value.toFixed(digits) : "—";
}

/** "free/total", or "—". */
export function ratio(part, whole) {
  return typeof part === "number" && typeof whole === "number" ? `${part}/${whole}` : "—";
}

/** Megabytes as GB with no decimals ("512 GB"), or "—". */
export function gb(mb) {
  return typeof mb === "number" ? `${Math.round(mb / 1024)} GB` : "—";
}

/** "available of total" in GB, or "—" when the core gave neither. */
export function gbOf(availableMb, totalMb) {
  return typeof availableMb === "number" || typeof totalMb === "number" ? `${gb(availableMb)} of ${gb(totalMb)}` : "—";
}

/** "HH:MM:SS" in the browser's time zone, or "—". */
export function clock(ms) {
  if (typeof ms !== "number") return "—";
  return new Date(ms).toLocaleTimeString([], { hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
}

/**
 * Background of a heat-map cell: light (idle) to dark blue (fully used); a hatched grey when
 * the utilisation is unknown. Red stays reserved for node states.
 */
export function heat(utilizationPercent) {
  if (typeof utilizationPercent !== "number") return "repeating-linear-gradient(45deg,#c9c9c9 0 3px,#e6e6e6 3px 6px)";
  const u = Math.max(0, Math.min(100, utilizationPercent));
  return `hsl(${215 - u * 0.35} 75% ${94 - u * 0.58}%)`;
}
