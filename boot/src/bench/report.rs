//! The results: a Markdown table (printed, and pasted into README.md), `bench.csv`
//! (one line per workload and system) and `bench.svg` (a bar chart written by hand).

use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use super::stats::Summary;
use super::workloads::Unit;

/// One system's result for one workload.
#[derive(Clone, Debug, PartialEq)]
pub enum Cell {
    /// One sample per boot.
    Samples(Vec<f64>),
    /// The system cannot run this workload (yet); the reason.
    NotApplicable(String),
    /// A boot or the measurement failed; the first line of why.
    Failed(String),
}

impl Cell {
    pub fn summary(&self) -> Option<Summary> {
        match self {
            Cell::Samples(v) => Summary::of(v),
            _ => None,
        }
    }

    fn text(&self, unit: Unit) -> String {
        match self {
            Cell::Samples(v) => match Summary::of(v) {
                Some(s) if v.len() > 1 => {
                    format!("{} ({}..{})", value(s.median, unit), value(s.min, unit), value(s.max, unit))
                }
                Some(s) => value(s.median, unit),
                None => "error: no samples".into(),
            },
            Cell::NotApplicable(why) => format!("n/a ({why})"),
            Cell::Failed(why) => format!("error: {}", why.chars().take(80).collect::<String>()),
        }
    }
}

#[derive(Clone, Debug)]
pub struct Row {
    pub workload: String,
    pub unit: Unit,
    pub cyrius: Cell,
    pub linux: Cell,
}

impl Row {
    /// Cyrius' median over Linux's, when both have one.
    pub fn ratio(&self) -> Option<f64> {
        let (c, l) = (self.cyrius.summary()?, self.linux.summary()?);
        (l.median > 0.0).then(|| c.median / l.median)
    }
}

#[derive(Clone, Debug)]
pub struct Report {
    /// Boots per system.
    pub runs: usize,
    pub rows: Vec<Row>,
}

fn value(v: f64, unit: Unit) -> String {
    match unit {
        Unit::Seconds => format!("{v:.3}"),
        Unit::Micros if v < 10.0 => format!("{v:.3}"),
        Unit::Micros | Unit::MibPerSecond | Unit::RequestsPerSecond => format!("{v:.1}"),
        Unit::Ratio => format!("{v:.2}"),
        Unit::Mib => format!("{v:.2}"),
    }
}

fn unit_text(unit: Unit) -> String {
    let better = if unit.higher_is_better() { "higher" } else { "lower" };
    format!("{} ({better} is better)", unit.label())
}

impl Report {
    /// Rows whose cell is an error, as "workload (system): why".
    pub fn failures(&self) -> Vec<String> {
        let mut out = Vec::new();
        for row in &self.rows {
            for (system, cell) in [("Cyrius", &row.cyrius), ("Linux", &row.linux)] {
                if let Cell::Failed(why) = cell {
                    out.push(format!("{} ({system}): {why}", row.workload));
                }
            }
        }
        out
    }

    /// The Markdown table: median (min..max) per system, and Cyrius/Linux.
    pub fn table(&self) -> String {
        let mut t = String::from("| workload | unit | Cyrius | Linux + runc | Cyrius/Linux |\n|---|---|---|---|---|\n");
        for row in &self.rows {
            let ratio = row.ratio().map(|r| format!("{r:.2}x")).unwrap_or_else(|| "-".into());
            let _ = writeln!(
                t,
                "| {} | {} | {} | {} | {ratio} |",
                row.workload,
                unit_text(row.unit),
                row.cyrius.text(row.unit),
                row.linux.text(row.unit)
            );
        }
        t
    }

    /// `workload,unit,system,median,min,max,samples,note`: empty numbers with a note for n/a or errors.
    pub fn csv(&self) -> String {
        let mut out = String::from("workload,unit,system,median,min,max,samples,note\n");
        for row in &self.rows {
            for (system, cell) in [("Cyrius", &row.cyrius), ("Linux", &row.linux)] {
                let (numbers, count, note) = match (cell, cell.summary()) {
                    (Cell::Samples(v), Some(s)) => (format!("{},{},{}", s.median, s.min, s.max), v.len(), String::new()),
                    (c, _) => (",,".into(), 0, c.text(row.unit)),
                };
                let _ = writeln!(out, "{},{},{system},{numbers},{count},{}", csv_field(&row.workload), row.unit.label(), csv_field(&note));
            }
        }
        out
    }

    /// A horizontal bar chart: per workload, Cyrius and Linux bars scaled to the larger median.
    pub fn svg(&self) -> String {
        const LABEL_W: usize = 300;
        const BAR_W: f64 = 360.0;
        const ROW_H: usize = 52;
        const TOP: usize = 56;
        let width = LABEL_W + BAR_W as usize + 120;
        let height = TOP + ROW_H * self.rows.len() + 16;
        let mut s = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width}\" height=\"{height}\" font-family=\"sans-serif\" font-size=\"12\">\n\
             <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
             <text x=\"8\" y=\"20\" font-size=\"15\" font-weight=\"bold\">Cyrius vs Linux + runc, same QEMU (TCG, 512 MiB), median of {}</text>\n\
             <rect x=\"8\" y=\"32\" width=\"12\" height=\"12\" fill=\"#d95f02\"/><text x=\"24\" y=\"43\">Cyrius</text>\n\
             <rect x=\"84\" y=\"32\" width=\"12\" height=\"12\" fill=\"#1b9e77\"/><text x=\"100\" y=\"43\">Linux + runc</text>\n\
             <text x=\"200\" y=\"43\" fill=\"#555\">each row scaled to its larger value</text>\n",
            self.runs
        );
        for (i, row) in self.rows.iter().enumerate() {
            let y = TOP + i * ROW_H;
            let _ = writeln!(s, "<text x=\"8\" y=\"{}\">{}</text>", y + 18, xml(&row.workload));
            let _ = writeln!(s, "<text x=\"8\" y=\"{}\" fill=\"#555\">{}</text>", y + 34, xml(&unit_text(row.unit)));
            let scale = [&row.cyrius, &row.linux].iter().filter_map(|c| c.summary()).map(|s| s.median).fold(0.0, f64::max);
            for (j, (cell, color)) in [(&row.cyrius, "#d95f02"), (&row.linux, "#1b9e77")].into_iter().enumerate() {
                let by = y + 6 + j * 20;
                match cell.summary() {
                    Some(sum) => {
                        let w = if scale > 0.0 { (sum.median / scale * BAR_W).max(1.0) } else { 1.0 };
                        let _ = writeln!(
                            s,
                            "<rect x=\"{LABEL_W}\" y=\"{by}\" width=\"{w:.1}\" height=\"16\" fill=\"{color}\"/>\
                             <text x=\"{:.1}\" y=\"{}\">{}</text>",
                            LABEL_W as f64 + w + 4.0,
                            by + 13,
                            value(sum.median, row.unit)
                        );
                    }
                    None => {
                        let _ = writeln!(s, "<text x=\"{LABEL_W}\" y=\"{}\" fill=\"#888\">{}</text>", by + 13, xml(&cell.text(row.unit)));
                    }
                }
            }
        }
        s.push_str("</svg>\n");
        s
    }

    /// Writes `bench.csv` and `bench.svg` into `dir` (made if missing).
    pub fn write_files(&self, dir: &Path) -> Result<(), String> {
        fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        for (name, text) in [("bench.csv", self.csv()), ("bench.svg", self.svg())] {
            let path = dir.join(name);
            fs::write(&path, text).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        Ok(())
    }
}

fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn report() -> Report {
        Report {
            runs: 3,
            rows: vec![
                Row { workload: "boot".into(), unit: Unit::Seconds, cyrius: Cell::Samples(vec![1.0, 3.0, 2.0]), linux: Cell::Samples(vec![4.0]) },
                Row { workload: "a, <b>".into(), unit: Unit::MibPerSecond, cyrius: Cell::NotApplicable("no processes yet".into()), linux: Cell::Failed("timed out".into()) },
            ],
        }
    }

    #[test]
    fn table_has_medians_spread_ratio_and_na() {
        let t = report().table();
        assert!(t.contains("| boot | s (lower is better) | 2.000 (1.000..3.000) | 4.000 | 0.50x |"), "{t}");
        assert!(t.contains("n/a (no processes yet)") && t.contains("error: timed out"), "{t}");
        assert_eq!(report().failures(), ["a, <b> (Linux): timed out"]);
    }

    #[test]
    fn csv_quotes_and_leaves_missing_numbers_empty() {
        let c = report().csv();
        assert!(c.contains("boot,s,Cyrius,2,1,3,3,\n"), "{c}");
        assert!(c.contains("\"a, <b>\",MiB/s,Cyrius,,,,0,n/a (no processes yet)\n"), "{c}");
    }

    #[test]
    fn svg_is_escaped_and_has_a_bar_per_number() {
        let s = report().svg();
        assert!(s.starts_with("<svg") && s.trim_end().ends_with("</svg>"));
        assert!(s.contains("a, &lt;b&gt;") && !s.contains("<b>"));
        assert_eq!(s.matches("height=\"16\"").count(), 2);
    }
}
