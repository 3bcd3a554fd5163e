//! Figures as server-rendered SVG: horizontal bars, one group a row, one colour a series,
//! each bar labelled with its value, and the whole described for screen readers.

use std::fmt::Write;

const COLOURS: [&str; 3] = ["#1d4e89", "#f0b429", "#3ebd93"];
const WIDTH: u32 = 640;
const LABEL: u32 = 150;
const BAR: u32 = 16;
const GAP: u32 = 10;

fn escaped(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// A bar chart: for each row, one bar per series, scaled to the largest value.
pub fn bars(title: &str, series: &[&str], rows: &[(String, Vec<u64>)]) -> String {
    let max = rows
        .iter()
        .flat_map(|(_, v)| v.iter().copied())
        .max()
        .unwrap_or(0)
        .max(1);
    let per_row = BAR * series.len() as u32 + GAP;
    // A row for the title, a row for the legend.
    let legend = 50;
    let height = legend + per_row * rows.len().max(1) as u32 + GAP;
    let span = WIDTH - LABEL - 70;
    let mut svg = String::new();
    let described: Vec<String> = rows
        .iter()
        .map(|(label, v)| {
            let values: Vec<String> = series
                .iter()
                .zip(v)
                .map(|(s, n)| format!("{s}{n}"))
                .collect();
            format!("{label}：{}", values.join("，"))
        })
        .collect();
    let _ = write!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="figure" viewBox="0 0 {WIDTH} {height}" width="{WIDTH}" height="{height}" role="img" aria-label="{}"><title>{}</title>"#,
        escaped(&format!("{title}。{}", described.join("；"))),
        escaped(title)
    );
    let _ = write!(
        svg,
        r#"<text x="0" y="16" font-size="14" font-weight="bold">{}</text>"#,
        escaped(title)
    );
    for (i, s) in series.iter().enumerate() {
        let x = LABEL + i as u32 * 120;
        let _ = write!(
            svg,
            r#"<rect x="{x}" y="28" width="12" height="12" fill="{}"/><text x="{}" y="39" font-size="12">{}</text>"#,
            COLOURS[i % COLOURS.len()],
            x + 16,
            escaped(s)
        );
    }
    if rows.is_empty() {
        let _ = write!(
            svg,
            r##"<text x="{LABEL}" y="{}" font-size="13" fill="#52606d">暂无数据</text>"##,
            legend + 14
        );
    }
    for (r, (label, values)) in rows.iter().enumerate() {
        let top = legend + r as u32 * per_row;
        let _ = write!(
            svg,
            r#"<text x="{}" y="{}" font-size="13" text-anchor="end">{}</text>"#,
            LABEL - 8,
            top + BAR * series.len() as u32 / 2 + 5,
            escaped(label)
        );
        for (i, v) in values.iter().enumerate() {
            let w = (u128::from(*v) * u128::from(span) / u128::from(max)) as u32;
            let y = top + i as u32 * BAR;
            let _ = write!(
                svg,
                r#"<rect x="{LABEL}" y="{y}" width="{}" height="{}" fill="{}"/><text x="{}" y="{}" font-size="12">{v}</text>"#,
                w.max(1),
                BAR - 3,
                COLOURS[i % COLOURS.len()],
                LABEL + w.max(1) + 4,
                y + BAR - 5
            );
        }
    }
    svg.push_str("</svg>");
    svg
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bars_scale_to_the_largest_and_escape_labels() {
        let svg = bars(
            "按园区",
            &["入围", "匹配"],
            &[("a<b".into(), vec![10, 5]), ("c".into(), vec![20, 0])],
        );
        assert!(svg.starts_with("<svg"));
        assert!(svg.contains("a&lt;b"), "{svg}");
        // The largest value spans the whole width left for bars.
        assert!(
            svg.contains(&format!("width=\"{}\"", WIDTH - LABEL - 70)),
            "{svg}"
        );
        assert!(svg.contains("aria-label=\"按园区。a&lt;b：入围10，匹配5；c：入围20，匹配0\""));
        assert!(bars("空", &["入围"], &[]).contains("暂无数据"));
    }
}
