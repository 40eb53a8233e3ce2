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
