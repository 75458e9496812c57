//! The named-scenario table: a sweep whose points.csv has a `description`
//! column gets one row per point with its description and its default
//! probability, expected loss and idle cost; a sweep without it gets none.

use super::{html, ok};
use crate::support;
use std::fs;
use std::path::Path;

/// Sweeps the golden scenario over initial funding (one point all
/// defaulting, one never), with `names` as the zip's descriptions when given.
fn sweep(dir: &Path, names: Option<[&str; 2]>) -> String {
    let golden = support::repo().join("tests/data/golden.toml");
    let mut text = format!(
        "name = \"named\"\nbase = \"{}\"\nreplicas = 4\n[[zip]]\n",
        golden.display()
    );
    if let Some([a, b]) = names {
        text += &format!("description = [\"{a}\", \"{b}\"]\n");
    }
    text += "\"buyer.initial_funding_usd\" = [0.0, 1e15]\n\"buyer.revenue_per_served_chip_hour_usd\" = [0.0, 4.0]\n\
             \"buyer.credit_line_usd\" = [0.0, 0.0]\n";
    let file = dir.join("named.toml");
    fs::write(&file, text).unwrap();
    let out = dir.join("out");
    ok(support::quiet("sweep", &file, &out).arg("--report").output().unwrap());
    html(&out)
}

#[test]
fn named_points_get_a_row_each() {
    let tmp = tempfile::tempdir().unwrap();
    let page = sweep(tmp.path(), Some(["funding winter, & no revenue", "rich"]));
    let start = page.find("<table class=\"stress\">").expect("the named-scenario table");
    let table = &page[start..start + page[start..].find("</table>").unwrap()];
    // Every replica defaults at point 0 and none at point 1 (4 replicas, a
    // one-year term): Wilson 95% intervals, and the year the term allows.
    assert!(
        table.contains(
            "<td class=\"num\">0</td><td>funding winter, &amp; no revenue</td>\
             <td class=\"num\">100.0% (51.0% – 100.0%) (by year 1)</td>"
        ),
        "{table}"
    );
    assert!(
        table.contains("<td class=\"num\">1</td><td>rich</td><td class=\"num\">0.0% (0.0% – 49.0%) (by year 1)</td>"),
        "{table}"
    );
    assert!(
        table.contains("<td class=\"num\">$0 ($0 – $0)</td>"),
        "no loss when rich: {table}"
    );
    assert_eq!(table.matches("<tr>").count(), 3, "a header and a row per point");
}

#[test]
fn a_sweep_without_descriptions_has_no_table() {
    let tmp = tempfile::tempdir().unwrap();
    let page = sweep(tmp.path(), None);
    assert!(!page.contains("Named scenarios side by side"));
    assert!(page.contains("Sweep: utilization by swept key"), "still a sweep report");
}
