//! A hand-written SVG: local access ratio and controller imbalance over
//! modelled time, one line per policy, one row per scenario.

use std::fmt::Write as _;

use crate::sim::ScenarioResult;

const WIDTH: f64 = 1000.0;
const PANEL_W: f64 = 420.0;
const PANEL_H: f64 = 180.0;
const ROW_H: f64 = 250.0;
const LEFT: f64 = 60.0;
const TOP: f64 = 60.0;

/// Colour of a policy's line.
fn colour(policy: &str) -> &'static str {
    match policy {
        "xen-default" => "#7f7f7f",
        "interleave" => "#1f77b4",
        "first-touch" => "#9467bd",
        "autonuma" => "#ff7f0e",
        "carrefour" => "#d62728",
        "oracle" => "#2ca02c",
        _ => "#000000",
    }
}

/// Dashes for the static placements, so that equal lines stay visible.
fn dash(policy: &str) -> &'static str {
    match policy {
        "first-touch" => r#" stroke-dasharray="6 4""#,
        "oracle" => r#" stroke-dasharray="2 3""#,
        _ => "",
    }
}

/// `x` rounded up to 1, 2 or 5 times a power of ten, so ticks are round.
fn nice(x: f64) -> f64 {
    let p = 10f64.powf(x.max(1e-9).log10().floor());
    [1.0, 2.0, 4.0, 5.0, 10.0]
        .into_iter()
        .map(|m| m * p)
        .find(|&c| c >= x)
        .unwrap_or(10.0 * p)
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// The SVG document for `results`.
pub fn svg(results: &[ScenarioResult]) -> String {
    let height = TOP + ROW_H * results.len() as f64 + 10.0;
    let mut o = String::new();
    let _ = writeln!(
        o,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="sans-serif" font-size="11">"#
    );
    let _ = writeln!(o, r#"<rect width="100%" height="100%" fill="white"/>"#);
    let policies: Vec<&str> = results
        .first()
        .map(|r| r.runs.iter().map(|x| x.policy).collect())
        .unwrap_or_default();
    for (i, p) in policies.iter().enumerate() {
        let x = LEFT + i as f64 * 130.0;
        let _ = writeln!(
            o,
            r#"<line x1="{x}" y1="20" x2="{}" y2="20" stroke="{}" stroke-width="3"/><text x="{}" y="24">{p}</text>"#,
            x + 24.0,
            colour(p),
            x + 30.0
        );
    }
    for (row, r) in results.iter().enumerate() {
        let y0 = TOP + ROW_H * row as f64;
        let _ = writeln!(
            o,
            r#"<text x="{LEFT}" y="{}" font-size="13" font-weight="bold">{}</text>"#,
            y0 + 4.0,
            esc(&r.scenario)
        );
        let t_max = nice(
            r.runs
                .iter()
                .filter_map(|x| x.series.last().map(|p| p.time_s))
                .fold(1e-9, f64::max),
        );
        let imb_max = nice(
            r.runs
                .iter()
                .flat_map(|x| x.series.iter().map(|p| p.imbalance * 100.0))
                .fold(10.0, f64::max),
        ) / 100.0;
        for (panel, (title, y_max)) in [
            ("local access ratio (%)", 1.0),
            ("controller imbalance (%)", imb_max),
        ]
        .into_iter()
        .enumerate()
        {
            let x0 = LEFT + panel as f64 * (PANEL_W + 60.0);
            let py = y0 + 20.0;
            let _ = writeln!(
                o,
                r##"<rect x="{x0}" y="{py}" width="{PANEL_W}" height="{PANEL_H}" fill="none" stroke="#444"/><text x="{}" y="{}" text-anchor="middle">{title}</text>"##,
                x0 + PANEL_W / 2.0,
                py - 4.0
            );
            for tick in 0..=4 {
                let frac = f64::from(tick) / 4.0;
                let y = py + PANEL_H * (1.0 - frac);
                let _ = writeln!(
                    o,
                    r##"<line x1="{x0}" y1="{y:.1}" x2="{}" y2="{y:.1}" stroke="#ddd"/><text x="{}" y="{:.1}" text-anchor="end">{:.0}</text>"##,
                    x0 + PANEL_W,
                    x0 - 4.0,
                    y + 4.0,
                    frac * y_max * 100.0
                );
                let x = x0 + PANEL_W * frac;
                let _ = writeln!(
                    o,
                    r#"<text x="{x:.1}" y="{}" text-anchor="middle">{:.0}</text>"#,
                    py + PANEL_H + 14.0,
                    frac * t_max
                );
            }
            let _ = writeln!(
                o,
                r#"<text x="{}" y="{}" text-anchor="middle">modelled time (s)</text>"#,
                x0 + PANEL_W / 2.0,
                py + PANEL_H + 28.0
            );
            for run in &r.runs {
                let mut pts = String::new();
                for p in &run.series {
                    let v = if panel == 0 { p.lar } else { p.imbalance };
                    let x = x0 + PANEL_W * (p.time_s / t_max).min(1.0);
                    let y = py + PANEL_H * (1.0 - (v / y_max).clamp(0.0, 1.0));
                    let _ = write!(pts, "{x:.1},{y:.1} ");
                }
                let _ = writeln!(
                    o,
                    r#"<polyline points="{}" fill="none" stroke="{}" stroke-width="1.8"{}/>"#,
                    pts.trim_end(),
                    colour(run.policy),
                    dash(run.policy)
                );
            }
        }
    }
    o.push_str("</svg>\n");
    o
}
