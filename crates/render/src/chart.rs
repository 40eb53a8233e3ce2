//! Server-side SVG charts: no JavaScript, no external library, readable by screen readers
//! (a `<title>` and one labelled row per bar) and printable.

use std::fmt::Write;

/// One bar: its label, value, and an optional link.
#[derive(Debug, Clone)]
pub struct Bar {
    pub label: String,
    pub value: i64,
    pub href: Option<String>,
}

const ROW_HEIGHT: u32 = 22;
const LABEL_WIDTH: u32 = 190;
const BAR_AREA: u32 = 330;
const VALUE_WIDTH: u32 = 80;

/// A horizontal bar chart; `format` renders values (e.g. with thousands separators).
pub fn horizontal_bars(title: &str, bars: &[Bar], format: impl Fn(i64) -> String) -> String {
    let width = LABEL_WIDTH + BAR_AREA + VALUE_WIDTH;
    let height = ROW_HEIGHT * bars.len().max(1) as u32 + 8;
    let max = bars.iter().map(|bar| bar.value).max().unwrap_or(0).max(1);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" aria-labelledby="chart-title" font-size="12" font-family="sans-serif"><title id="chart-title">{}</title>"#,
        escape(title)
    );
    for (index, bar) in bars.iter().enumerate() {
        let y = index as u32 * ROW_HEIGHT + 4;
        let length = (bar.value.max(0) as f64 / max as f64 * f64::from(BAR_AREA - 4)).round();
        let label = escape(&bar.label);
        let value = escape(&format(bar.value));
        if let Some(href) = &bar.href {
            let _ = write!(svg, r#"<a href="{}">"#, escape(href));
        }
        let _ = write!(
            svg,
            r##"<g><title>{label}: {value}</title><text x="{lx}" y="{ty}" text-anchor="end" fill="#1f2937">{label}</text><rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{bh}" rx="3" fill="#b91c1c"/><text x="{vx}" y="{ty}" fill="#374151">{value}</text></g>"##,
            lx = LABEL_WIDTH - 6,
            ty = y + ROW_HEIGHT / 2 + 3,
            bh = ROW_HEIGHT - 6,
            vx = f64::from(LABEL_WIDTH) + length + 6.0,
        );
        if bar.href.is_some() {
            svg.push_str("</a>");
        }
    }
    svg.push_str("</svg>");
    svg
}

/// Horizontal bars either side of a zero line (above and below an average, say): negative
/// values go left in grey, positive right in red; `format` renders values.
pub fn diverging_bars(title: &str, bars: &[Bar], format: impl Fn(i64) -> String) -> String {
    let width = LABEL_WIDTH + BAR_AREA + VALUE_WIDTH;
    let height = ROW_HEIGHT * bars.len().max(1) as u32 + 8;
    let max = bars
        .iter()
        .map(|bar| bar.value.abs())
        .max()
        .unwrap_or(0)
        .max(1);
    let half = f64::from(BAR_AREA) / 2.0;
    let zero = f64::from(LABEL_WIDTH) + half;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" aria-labelledby="diverging-title" font-size="12" font-family="sans-serif"><title id="diverging-title">{}</title>"#,
        escape(title)
    );
    let _ = write!(
        svg,
        r##"<line x1="{zero}" y1="0" x2="{zero}" y2="{height}" stroke="#9ca3af"/>"##
    );
    for (index, bar) in bars.iter().enumerate() {
        let y = index as u32 * ROW_HEIGHT + 4;
        let length = (bar.value.abs() as f64 / max as f64 * (half - 4.0)).round();
        let (x, fill, value_x, anchor) = if bar.value < 0 {
            (zero - length, "#6b7280", zero - length - 4.0, "end")
        } else {
            (zero, "#b91c1c", zero + length + 4.0, "start")
        };
        let label = escape(&bar.label);
        let value = escape(&format(bar.value));
        let _ = write!(
            svg,
            r##"<g><title>{label}: {value}</title><text x="{lx}" y="{ty}" text-anchor="end" fill="#1f2937">{label}</text><rect x="{x}" y="{y}" width="{length}" height="{bh}" rx="3" fill="{fill}"/><text x="{value_x}" y="{ty}" text-anchor="{anchor}" fill="#374151">{value}</text></g>"##,
            lx = LABEL_WIDTH - 6,
            ty = y + ROW_HEIGHT / 2 + 3,
            bh = ROW_HEIGHT - 6,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Colours of stacked series (3★, 4★, 5★ …), light to dark, distinguishable in grey print.
const SERIES_COLOURS: [&str; 5] = ["#fca5a5", "#ef4444", "#991b1b", "#6b7280", "#1f2937"];

/// Vertical columns, one per category (a year, a month), each stacked from its series' values
/// with a legend; `id` makes the chart's title unique on a page of several charts.
pub fn stacked_columns(
    id: &str,
    title: &str,
    categories: &[String],
    series: &[String],
    values: &[Vec<i64>],
    format: impl Fn(i64) -> String,
) -> String {
    const HEIGHT: f64 = 180.0;
    const TOP: f64 = 24.0;
    const BOTTOM: f64 = 36.0;
    let column = (560.0 / categories.len().max(1) as f64).clamp(14.0, 64.0);
    let width = (column * categories.len().max(1) as f64 + 40.0).max(320.0);
    let total = |row: &Vec<i64>| row.iter().map(|v| (*v).max(0)).sum::<i64>();
    let max = values.iter().map(total).max().unwrap_or(0).max(1) as f64;
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {h}" role="img" aria-labelledby="{id}-title" font-size="11" font-family="sans-serif"><title id="{id}-title">{}</title>"#,
        escape(title),
        h = TOP + HEIGHT + BOTTOM,
        id = escape(id),
    );
    for (index, name) in series.iter().enumerate() {
        let x = 20.0 + index as f64 * 90.0;
        let _ = write!(
            svg,
            r##"<rect x="{x}" y="4" width="10" height="10" fill="{}"/><text x="{tx}" y="13" fill="#374151">{}</text>"##,
            SERIES_COLOURS[index % SERIES_COLOURS.len()],
            escape(name),
            tx = x + 14.0,
        );
    }
    let base = TOP + HEIGHT;
    let _ = write!(
        svg,
        r##"<line x1="20" y1="{base}" x2="{x2}" y2="{base}" stroke="#9ca3af"/>"##,
        x2 = width - 10.0
    );
    for (index, (category, row)) in categories.iter().zip(values).enumerate() {
        let x = 20.0 + index as f64 * column;
        let mut top = base;
        let mut parts = Vec::new();
        for (serie, value) in row.iter().enumerate() {
            let height = ((*value).max(0) as f64 / max * (HEIGHT - 14.0)).round();
            if height > 0.0 {
                top -= height;
                let _ = write!(
                    svg,
                    r#"<rect x="{rx}" y="{top}" width="{w}" height="{height}" fill="{}"/>"#,
                    SERIES_COLOURS[serie % SERIES_COLOURS.len()],
                    rx = x + column * 0.15,
                    w = column * 0.7,
                );
            }
            parts.push(format!(
                "{}: {}",
                series.get(serie).map(String::as_str).unwrap_or(""),
                format(*value)
            ));
        }
        let label = escape(category);
        let _ = write!(
            svg,
            r##"<g><title>{label} — {}</title><text x="{cx}" y="{vy}" text-anchor="middle" fill="#111827">{}</text><text x="{cx}" y="{ly}" text-anchor="middle" fill="#374151">{label}</text></g>"##,
            escape(&parts.join(", ")),
            escape(&format(total(row))),
            cx = x + column / 2.0,
            vy = top - 3.0,
            ly = base + 14.0,
        );
    }
    svg.push_str("</svg>");
    svg
}

/// Progress towards targets: one bar per target reaching its percent, a line at 100 %, bars
/// past it in green; `id` makes the title unique on the page.
pub fn progress_bars(id: &str, title: &str, rows: &[(String, Option<u64>)]) -> String {
    let width = LABEL_WIDTH + BAR_AREA + VALUE_WIDTH;
    let height = ROW_HEIGHT * rows.len().max(1) as u32 + 8;
    let scale = rows
        .iter()
        .filter_map(|(_, p)| *p)
        .max()
        .unwrap_or(100)
        .clamp(100, 300) as f64;
    let hundred = f64::from(LABEL_WIDTH) + 100.0 / scale * f64::from(BAR_AREA - 4);
    let mut svg = String::new();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" aria-labelledby="{id}-title" font-size="12" font-family="sans-serif"><title id="{id}-title">{}</title>"#,
        escape(title),
        id = escape(id),
    );
    for (index, (label, percent)) in rows.iter().enumerate() {
        let y = index as u32 * ROW_HEIGHT + 4;
        let shown = percent.map(|p| (p as f64).min(scale)).unwrap_or(0.0);
        let length = (shown / scale * f64::from(BAR_AREA - 4)).round();
        let fill = if percent.is_some_and(|p| p >= 100) {
            "#15803d"
        } else {
            "#b91c1c"
        };
        let value = percent
            .map(|p| format!("{p} %"))
            .unwrap_or_else(|| "–".into());
        let label = escape(label);
        let _ = write!(
            svg,
            r##"<g><title>{label}: {value}</title><text x="{lx}" y="{ty}" text-anchor="end" fill="#1f2937">{label}</text><rect x="{LABEL_WIDTH}" y="{y}" width="{length}" height="{bh}" rx="3" fill="{fill}"/><text x="{vx}" y="{ty}" fill="#374151">{value}</text></g>"##,
            lx = LABEL_WIDTH - 6,
            ty = y + ROW_HEIGHT / 2 + 3,
            bh = ROW_HEIGHT - 6,
            vx = f64::from(LABEL_WIDTH) + length + 6.0,
        );
    }
    let _ = write!(
        svg,
        r##"<line x1="{hundred}" y1="0" x2="{hundred}" y2="{height}" stroke="#111827" stroke-dasharray="3 2"/>"##
    );
    svg.push_str("</svg>");
    svg
}

/// Escapes text for XML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            _ => escaped.push(c),
        }
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_value_and_escape_text() {
        let bars = vec![
            Bar {
                label: "Hà Nội".into(),
                value: 126,
                href: Some("/units/01".into()),
            },
            Bar {
                label: "<script>".into(),
                value: 63,
                href: None,
            },
        ];
        let svg = horizontal_bars("Xã & phường", &bars, |v| v.to_string());
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("<title id=\"chart-title\">Xã &amp; phường</title>"));
        assert!(svg.contains(r#"width="326""#), "{svg}");
        assert!(svg.contains(r#"width="163""#), "{svg}");
        assert!(svg.contains("&lt;script&gt;"));
        assert!(!svg.contains("<script>"));
        assert!(svg.contains(r#"<a href="/units/01">"#));
    }

    #[test]
    fn stacked_columns_add_their_series() {
        let svg = stacked_columns(
            "by-year",
            "Sản phẩm theo năm",
            &["2024".into(), "2025".into()],
            &["3★".into(), "4★".into(), "5★".into()],
            &[vec![6, 2, 0], vec![3, 0, 1]],
            |v| v.to_string(),
        );
        assert!(svg.contains(r#"<title id="by-year-title">Sản phẩm theo năm</title>"#));
        // The tallest column (8) fills the drawable height; its total is printed above it.
        assert!(svg.contains("2024 — 3★: 6, 4★: 2, 5★: 0"), "{svg}");
        assert!(
            svg.contains(">8</text>") && svg.contains(">4</text>"),
            "{svg}"
        );
    }

    #[test]
    fn progress_marks_a_hundred_percent() {
        let svg = progress_bars(
            "progress",
            "Tiến độ",
            &[
                ("Sản phẩm mới".into(), Some(247)),
                ("Nữ làm chủ".into(), Some(94)),
                ("–".into(), None),
            ],
        );
        assert!(svg.contains("Sản phẩm mới: 247 %"));
        assert!(svg.contains("#15803d") && svg.contains("#b91c1c"));
        assert!(svg.contains("stroke-dasharray"));
    }

    #[test]
    fn an_empty_chart_is_still_valid() {
        let svg = horizontal_bars("empty", &[], |v| v.to_string());
        assert!(svg.ends_with("</svg>"));
    }

    #[test]
    fn diverging_bars_go_either_side_of_zero() {
        let bars = vec![
            Bar {
                label: "Nguyễn Văn A".into(),
                value: 1110,
                href: None,
            },
            Bar {
                label: "Trần <B>".into(),
                value: -555,
                href: None,
            },
        ];
        let svg = diverging_bars("Độ dễ dãi", &bars, |v| format!("{:+}", v));
        // Zero at 190 + 165 = 355; the largest reaches half the area less 4 (161).
        assert!(svg.contains(r#"x1="355""#), "{svg}");
        assert!(svg.contains(r#"<rect x="355" y="4" width="161""#), "{svg}");
        assert!(svg.contains(r#"<rect x="274" y="26" width="81""#), "{svg}");
        assert!(svg.contains("Trần &lt;B&gt;"));
        assert!(svg.contains("+1110") && svg.contains("-555"));
    }
}
