//! Results: a table for people, one JSON object per run for machines.

use std::fmt::Write as _;

use super::histogram::Histogram;

/// One reported value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Count(u64),
    /// A measured quantity, printed with the given number of decimals.
    Real(f64, usize),
    Text(String),
    /// Not measured (e.g. the server's figures without `--pid`).
    Missing,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Row {
    /// Machine name, also the JSON key; the unit is its suffix.
    pub key: String,
    pub value: Value,
}

/// The outcome of one scenario run.
#[derive(Debug, Clone, PartialEq)]
pub struct Report {
    pub scenario: &'static str,
    pub rows: Vec<Row>,
    /// Anything the reader must know to trust the numbers (loss, the
    /// generator being the bottleneck, ...).
    pub warnings: Vec<String>,
    /// Whether the run went wrong (loss, lost clients, timeout): the tool
    /// then exits with a failure status after printing the report.
    pub failed: bool,
}

impl Report {
    pub fn new(scenario: &'static str) -> Report {
        Report {
            scenario,
            rows: Vec::new(),
            warnings: Vec::new(),
            failed: false,
        }
    }

    pub fn count(&mut self, key: &str, v: u64) {
        self.push(key, Value::Count(v));
    }

    pub fn real(&mut self, key: &str, v: f64, decimals: usize) {
        self.push(
            key,
            if v.is_finite() {
                Value::Real(v, decimals)
            } else {
                Value::Missing
            },
        );
    }

    pub fn maybe_real(&mut self, key: &str, v: Option<f64>, decimals: usize) {
        match v {
            Some(v) => self.real(key, v, decimals),
            None => self.push(key, Value::Missing),
        }
    }

    pub fn maybe_count(&mut self, key: &str, v: Option<u64>) {
        self.push(key, v.map_or(Value::Missing, Value::Count));
    }

    pub fn text(&mut self, key: &str, v: impl Into<String>) {
        self.push(key, Value::Text(v.into()));
    }

    pub fn warn(&mut self, warning: impl Into<String>) {
        self.warnings.push(warning.into());
    }

    /// A warning that makes the run a failure.
    pub fn fail(&mut self, warning: impl Into<String>) {
        self.failed = true;
        self.warn(warning);
    }

    fn push(&mut self, key: &str, value: Value) {
        self.rows.push(Row {
            key: key.to_owned(),
            value,
        });
    }

    /// p50, p99 and max of a latency histogram, in milliseconds, under
    /// `{prefix}_p50_ms` etc.
    pub fn latency(&mut self, prefix: &str, h: &Histogram) {
        let ms = |ns: Option<u64>| ns.map(|v| v as f64 / 1e6);
        self.maybe_real(&format!("{prefix}_p50_ms"), ms(h.quantile(0.50)), 3);
        self.maybe_real(&format!("{prefix}_p99_ms"), ms(h.quantile(0.99)), 3);
        self.maybe_real(
            &format!("{prefix}_max_ms"),
            ms((h.count() > 0).then(|| h.max())),
            3,
        );
    }

    /// Generator and server CPU for a phase of `wall_s` seconds, with a
    /// warning when the generator used more CPU than the server.
    pub fn cpu(&mut self, phase: &str, wall_s: f64, generator_s: f64, server_s: Option<f64>) {
        self.real(&format!("{phase}_wall_s"), wall_s, 3);
        self.real(&format!("{phase}_generator_cpu_s"), generator_s, 3);
        self.maybe_real(&format!("{phase}_server_cpu_s"), server_s, 3);
        if let Some(server) = server_s
            && generator_s > server
            && wall_s > 0.0
            && generator_s / wall_s > 0.9
        {
            self.warn(format!(
                "{phase}: the generator was busier than the server \
                 ({generator_s:.2} s vs {server:.2} s CPU): it may be the bottleneck"
            ));
        }
    }

    /// The whole machine's busy CPU in a phase, beside what generator and
    /// server used: the rest was other work (game servers, the kernel's
    /// softirqs charged to no one, other users of the machine).
    pub fn machine_cpu(&mut self, phase: &str, machine_s: Option<f64>) {
        self.maybe_real(&format!("{phase}_machine_cpu_s"), machine_s, 3);
    }

    /// CPU seconds of each node in a phase (`--pid` given once per node),
    /// as `{phase}_node{N}_cpu_s` (N from 1, in `-s` order) and their sum;
    /// nothing with fewer than two nodes (the server row says it).
    pub fn nodes_cpu(&mut self, phase: &str, per_node: &[Option<f64>]) {
        if per_node.len() < 2 {
            return;
        }
        for (i, cpu) in per_node.iter().enumerate() {
            self.maybe_real(&format!("{phase}_node{}_cpu_s", i + 1), *cpu, 3);
        }
        let total = per_node.iter().copied().sum::<Option<f64>>();
        self.maybe_real(&format!("{phase}_nodes_cpu_s"), total, 3);
    }

    /// Renders an aligned two-column table.
    pub fn to_table(&self) -> String {
        let width = self.rows.iter().map(|r| r.key.len()).max().unwrap_or(0);
        let mut out = format!("ggzd-bench {}\n", self.scenario);
        for row in &self.rows {
            let _ = writeln!(out, "  {:<width$}  {}", row.key, plain(&row.value));
        }
        for w in &self.warnings {
            let _ = writeln!(out, "  warning: {w}");
        }
        out
    }

    /// Renders one JSON object on one line: `scenario`, the rows in
    /// order, `warnings`, `failed`.
    pub fn to_json(&self) -> String {
        // Only strings, numbers and a bool: serializing cannot fail.
        serde_json::to_string(self).unwrap_or_default()
    }
}

impl serde::Serialize for Report {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        // A map written entry by entry keeps the rows' order, which a
        // derived struct or a serde_json::Map (sorted) would not.
        let mut map = s.serialize_map(Some(self.rows.len() + 3))?;
        map.serialize_entry("scenario", self.scenario)?;
        for row in &self.rows {
            map.serialize_entry(&row.key, &row.value)?;
        }
        map.serialize_entry("warnings", &self.warnings)?;
        map.serialize_entry("failed", &self.failed)?;
        map.end()
    }
}

impl serde::Serialize for Value {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Value::Count(n) => s.serialize_u64(*n),
            Value::Real(x, d) => {
                // As many decimals as the table shows.
                let scale = 10f64.powi(i32::try_from(*d).unwrap_or(0));
                s.serialize_f64((x * scale).round() / scale)
            }
            Value::Text(t) => s.serialize_str(t),
            Value::Missing => s.serialize_unit(),
        }
    }
}

fn plain(v: &Value) -> String {
    match v {
        Value::Count(n) => n.to_string(),
        Value::Real(x, d) => format!("{x:.d$}"),
        Value::Text(s) => s.clone(),
        Value::Missing => "-".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_and_json() {
        let mut r = Report::new("idle");
        r.count("clients", 3);
        r.real("join_s", 1.23456, 2);
        r.maybe_real("server_cpu_s", None, 2);
        r.text("note", "a \"b\"\n");
        r.real("nan", f64::NAN, 1);
        r.warn("w");
        assert_eq!(
            r.to_json(),
            "{\"scenario\":\"idle\",\"clients\":3,\"join_s\":1.23,\"server_cpu_s\":null,\
             \"note\":\"a \\\"b\\\"\\n\",\"nan\":null,\"warnings\":[\"w\"],\"failed\":false}"
        );
        let table = r.to_table();
        assert!(table.contains("  clients       3\n"), "{table}");
        assert!(table.contains("warning: w"));
    }

    #[test]
    fn nodes_cpu_rows_only_for_several_nodes() {
        let mut r = Report::new("chat");
        r.nodes_cpu("chat", &[Some(1.0)]);
        assert!(r.rows.is_empty());
        r.nodes_cpu("chat", &[Some(1.0), Some(0.5), None]);
        let keys: Vec<&str> = r.rows.iter().map(|row| row.key.as_str()).collect();
        assert_eq!(
            keys,
            [
                "chat_node1_cpu_s",
                "chat_node2_cpu_s",
                "chat_node3_cpu_s",
                "chat_nodes_cpu_s"
            ]
        );
        assert_eq!(r.rows[3].value, Value::Missing);
        r.nodes_cpu("t", &[Some(1.0), Some(0.5)]);
        assert_eq!(r.rows[6].value, Value::Real(1.5, 3));
    }
}
