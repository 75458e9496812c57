//! Reading a metric from result rows, as `--target-ci` does after every
//! batch: through the column table (`metrics::column`), and — for
//! comparison, in the same run — the way earlier builds did it, by
//! serialising the whole row through serde_json and parsing the cell back
//! (`ReplicaRow::metric`, removed). 10,000 rows, the size of a
//! `--target-ci ... --max-replicas 10000` run at one point.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use mortgage_sim::metrics::{self, ReplicaRow};
use std::hint::black_box;

const ROWS: usize = 10_000;

/// The removed lookup: the row as JSON, the named field's text, parsed.
fn metric_by_json(row: &ReplicaRow, name: &str) -> Option<f64> {
    let serde_json::Value::Object(map) = serde_json::to_value(row).expect("a row serializes") else {
        unreachable!()
    };
    map.get(name).map(|v| v.to_string()).and_then(|v| v.parse().ok())
}

fn rows() -> Vec<ReplicaRow> {
    (0..ROWS)
        .map(|i| ReplicaRow {
            replica: i as u32,
            utilization: 0.5 + (i % 100) as f64 / 1000.0,
            idle_cost_usd: 1e10 + i as f64,
            default_month: (i % 7 == 0).then_some(30),
            ..ReplicaRow::default()
        })
        .collect()
}

fn lookup(c: &mut Criterion) {
    let rows = rows();
    let mut group = c.benchmark_group("metric_lookup_10k_rows");
    group.throughput(Throughput::Elements(ROWS as u64));
    group.bench_function("column_table", |b| {
        b.iter(|| {
            let column = metrics::column(black_box("utilization")).expect("a column");
            let values: Vec<f64> = rows.iter().filter_map(|r| (column.get)(r).value()).collect();
            black_box(values)
        })
    });
    group.sample_size(10);
    group.bench_function("serde_json_round_trip (removed)", |b| {
        b.iter(|| {
            let values: Vec<f64> = rows
                .iter()
                .filter_map(|r| metric_by_json(r, black_box("utilization")))
                .collect();
            black_box(values)
        })
    });
    group.finish();
}

criterion_group!(benches, lookup);
criterion_main!(benches);
