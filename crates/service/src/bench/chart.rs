//! Query time against data size, from several runs, as an SVG line chart on log–log axes.

use super::Report;
use anyhow::{Result, ensure};

const W: f64 = 760.0;
const H: f64 = 460.0;
const LEFT: f64 = 70.0;
const RIGHT: f64 = 230.0;
const TOP: f64 = 40.0;
const BOTTOM: f64 = 50.0;
const COLOURS: [&str; 6] = [
    "#1f77b4", "#2ca02c", "#9467bd", "#17becf", "#d62728", "#ff7f0e",
];

/// The series drawn: (label, workload, which measurement).
const SERIES: [(&str, &str, Source); 6] = [
    (
        "engine: selective top 50",
        "selective product, top 50",
        Source::Engine,
    ),
    (
        "engine: every product top 50",
        "every product, top 50",
        Source::Engine,
    ),
    (
        "engine: enterprise × products",
        "one enterprise × every product",
        Source::Engine,
    ),
    (
        "engine: patent change",
        "one patent change, with gained/lost pairs",
        Source::Engine,
    ),
    (
        "reference: selective top 50",
        "selective product, top 50",
        Source::Reference,
    ),
    (
        "SQL: selective top 50",
        "selective product, top 50",
        Source::Sql,
    ),
];

#[derive(Debug, Clone, Copy)]
enum Source {
    Engine,
    Reference,
    Sql,
}

fn median(r: &Report, workload: &str, source: Source) -> Option<f64> {
    let w = r.workloads.iter().find(|w| w.name == workload)?;
    match source {
        Source::Engine => Some(w.engine.median_us),
        Source::Reference => w.reference.map(|s| s.median_us),
        Source::Sql => w.sql.map(|s| s.median_us),
    }
}

fn decades(lo: f64, hi: f64) -> (i32, i32) {
    (lo.log10().floor() as i32, hi.log10().ceil() as i32)
}

fn label_us(e: i32) -> String {
    match e {
        ..=-1 => format!("{} ns", 10f64.powi(e + 3)),
        0..=2 => format!("{} µs", 10f64.powi(e)),
        3..=5 => format!("{} ms", 10f64.powi(e - 3)),
        _ => format!("{} s", 10f64.powi(e - 6)),
    }
}

/// The chart of `runs` (at least two sizes) as an SVG document.
pub fn draw(runs: &[Report]) -> Result<String> {
    let mut runs: Vec<&Report> = runs.iter().collect();
    runs.sort_by_key(|r| r.enterprises);
    ensure!(runs.len() >= 2, "a chart needs runs of at least two sizes");
    let values: Vec<f64> = runs
        .iter()
        .flat_map(|r| SERIES.iter().filter_map(|(_, w, s)| median(r, w, *s)))
        .filter(|v| *v > 0.0)
        .collect();
    let lo = values.iter().copied().fold(f64::MAX, f64::min);
    let hi = values.iter().copied().fold(0.0, f64::max);
    let (ylo, yhi) = decades(lo, hi);
    let (xlo, xhi) = decades(
        runs[0].enterprises as f64,
        runs[runs.len() - 1].enterprises as f64,
    );
    let x =
        |n: f64| LEFT + (n.log10() - f64::from(xlo)) / f64::from(xhi - xlo) * (W - LEFT - RIGHT);
    let y = |v: f64| {
        H - BOTTOM - (v.log10() - f64::from(ylo)) / f64::from(yhi - ylo) * (H - TOP - BOTTOM)
    };
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{W}\" height=\"{H}\" \
         font-family=\"sans-serif\" font-size=\"12\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"{LEFT}\" y=\"22\" font-size=\"14\">Median query time against enterprises \
         (log–log; one thread per query)</text>\n"
    );
    for e in ylo..=yhi {
        let yy = y(10f64.powi(e));
        s.push_str(&format!(
            "<line x1=\"{LEFT}\" x2=\"{:.1}\" y1=\"{yy:.1}\" y2=\"{yy:.1}\" stroke=\"#ddd\"/>\n\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\">{}</text>\n",
            W - RIGHT,
            LEFT - 6.0,
            yy + 4.0,
            label_us(e)
        ));
    }
    for e in xlo..=xhi {
        let xx = x(10f64.powi(e));
        s.push_str(&format!(
            "<line x1=\"{xx:.1}\" x2=\"{xx:.1}\" y1=\"{TOP}\" y2=\"{:.1}\" stroke=\"#ddd\"/>\n\
             <text x=\"{xx:.1}\" y=\"{:.1}\" text-anchor=\"middle\">{}</text>\n",
            H - BOTTOM,
            H - BOTTOM + 18.0,
            10u64.pow(e.max(0) as u32)
        ));
    }
    s.push_str(&format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">enterprises (about 5 patents each)</text>\n",
        (LEFT + W - RIGHT) / 2.0,
        H - 12.0
    ));
    for (i, (label, workload, source)) in SERIES.iter().enumerate() {
        let points: Vec<(f64, f64)> = runs
            .iter()
            .filter_map(|r| Some((x(r.enterprises as f64), y(median(r, workload, *source)?))))
            .collect();
        if points.is_empty() {
            continue;
        }
        let colour = COLOURS[i % COLOURS.len()];
        let dash = if matches!(source, Source::Engine) {
            ""
        } else {
            " stroke-dasharray=\"6 4\""
        };
        let path: Vec<String> = points
            .iter()
            .map(|(a, b)| format!("{a:.1},{b:.1}"))
            .collect();
        s.push_str(&format!(
            "<polyline fill=\"none\" stroke=\"{colour}\" stroke-width=\"2\"{dash} points=\"{}\"/>\n",
            path.join(" ")
        ));
        for (a, b) in &points {
            s.push_str(&format!(
                "<circle cx=\"{a:.1}\" cy=\"{b:.1}\" r=\"3\" fill=\"{colour}\"/>\n"
            ));
        }
        let ly = TOP + 10.0 + 20.0 * i as f64;
        s.push_str(&format!(
            "<line x1=\"{:.1}\" x2=\"{:.1}\" y1=\"{ly:.1}\" y2=\"{ly:.1}\" stroke=\"{colour}\" stroke-width=\"2\"{dash}/>\n\
             <text x=\"{:.1}\" y=\"{:.1}\">{label}</text>\n",
            W - RIGHT + 12.0,
            W - RIGHT + 36.0,
            W - RIGHT + 42.0,
            ly + 4.0
        ));
    }
    s.push_str("</svg>\n");
    Ok(s)
}
