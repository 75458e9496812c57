//! The risk table reads `risk.csv` in both of its forms: the older one, with
//! the parameter in the figure's name (`var95_loss_usd`), and the tidy one,
//! with `year`, `quantile` and `threshold` columns, perhaps reordered and
//! with extra columns (`interval`, `reliable`, anything else).

use super::{fails_with, html, ok, report, run_golden};
use crate::support;
use std::fs;
use std::path::Path;

/// Runs the golden scenario into `out` and replaces its risk.csv with the
/// older form of the same figures (`tests/data/report/risk_older_form.csv`:
/// the golden run's risk.csv before it became tidy; its replicas are the
/// same), which results folders written before the change still hold.
fn golden_with_older_risk_csv(out: &Path) {
    run_golden(out, &[]);
    let older = support::repo().join("tests/data/report/risk_older_form.csv");
    fs::copy(older, out.join("risk.csv")).unwrap();
}

/// The tidy form of an older figure name: (figure, year, quantile,
/// threshold), written here independently of the report's reader.
fn tidy_name(name: &str) -> (String, String, String, String) {
    let none = String::new;
    if let Some(y) = name.strip_prefix("p_default_by_year_") {
        return ("p_default_by_year".into(), y.into(), none(), none());
    }
    if let Some(t) = name.strip_prefix("p_year_utilization_below_") {
        return ("p_year_utilization_below".into(), none(), none(), t.into());
    }
    for (prefix, tidy) in [
        ("cvar95_", ("cvar_", "0.95")),
        ("cvar99_", ("cvar_", "0.99")),
        ("var95_", ("var_", "0.95")),
        ("var99_", ("var_", "0.99")),
    ] {
        if let Some(rest) = name.strip_prefix(prefix) {
            return (format!("{}{rest}", tidy.0), none(), tidy.1.into(), none());
        }
    }
    for (suffix, q) in [("_p5", "0.05"), ("_p50", "0.5"), ("_p95", "0.95")] {
        if let Some(stem) = name.strip_suffix(suffix) {
            return (stem.into(), none(), q.into(), none());
        }
    }
    (name.into(), none(), none(), none())
}

/// Rewrites `dir/risk.csv` (older form) in the tidy form, its columns in
/// another order and with extra ones; `extra(figure, quantile)` gives the
/// `interval` and `reliable` cells.
fn rewrite_tidy(dir: &Path, extra: impl Fn(&str, &str) -> (String, String)) {
    let path = dir.join("risk.csv");
    let mut rdr = csv::Reader::from_path(&path).unwrap();
    let h = rdr.headers().unwrap().clone();
    let at = |name: &str| h.iter().position(|c| c == name).unwrap();
    let rows: Vec<csv::StringRecord> = rdr.records().map(Result::unwrap).collect();
    let mut w = csv::Writer::from_path(&path).unwrap();
    w.write_record([
        "figure",
        "point",
        "year",
        "quantile",
        "threshold",
        "value",
        "stderr",
        "ci95_low",
        "ci95_high",
        "n",
        "interval",
        "reliable",
        "note",
    ])
    .unwrap();
    for r in rows {
        let (figure, year, quantile, threshold) = tidy_name(&r[at("figure")]);
        let (interval, reliable) = extra(&figure, &quantile);
        w.write_record([
            figure.as_str(),
            &r[at("point")],
            &year,
            &quantile,
            &threshold,
            &r[at("value")],
            &r[at("stderr")],
            &r[at("ci95_low")],
            &r[at("ci95_high")],
            &r[at("n")],
            &interval,
            &reliable,
            "a column the report does not know",
        ])
        .unwrap();
    }
    w.flush().unwrap();
}

/// The risk section of a report page.
fn risk_section(page: &str) -> &str {
    let start = page.find("<section id=\"risk\">").expect("a risk section");
    let end = start + page[start..].find("</section>").unwrap();
    &page[start..end]
}

/// The value of an older-form figure in `dir/risk.csv`.
fn value(dir: &Path, figure: &str) -> f64 {
    let mut rdr = csv::Reader::from_path(dir.join("risk.csv")).unwrap();
    let h = rdr.headers().unwrap().clone();
    let (f, v) = (
        h.iter().position(|c| c == "figure").unwrap(),
        h.iter().position(|c| c == "value").unwrap(),
    );
    rdr.records()
        .map(Result::unwrap)
        .find(|r| &r[f] == figure)
        .map(|r| r[v].parse().unwrap())
        .unwrap_or_else(|| panic!("no {figure}"))
}

#[test]
fn the_risk_table_reads_both_forms_of_risk_csv_alike() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("g");
    golden_with_older_risk_csv(&out);
    ok(report(&out, &[]));
    let old_page = html(&out);
    let old = risk_section(&old_page).to_string();
    for row in [
        "P(default by the end of year 1)",
        "Default month among defaults, p50",
        "Expected loss (nominal)",
        "VaR95 of loss",
        "VaR99 of loss",
        "CVaR95 of loss",
        "Loss given default, p95",
        "Expected idle cost",
        "CVaR95 of idle cost",
        "P(some contract year below 60.0% utilization)",
    ] {
        assert!(old.contains(&format!("<td>{row}")), "no row `{row}` in\n{old}");
    }
    // Values as the file has them (the golden's are in millions of dollars),
    // and idle cost as a share of the $200M commitment.
    let var95 = value(&out, "var95_loss_usd");
    assert!(
        old.contains(&format!("<td class=\"num\">${:.1}M</td>", var95 / 1e6)),
        "{old}"
    );
    let idle = value(&out, "expected_idle_cost_usd");
    assert!(old.contains(&format!("{:.1}%</td>", 100.0 * idle / 200e6)), "{old}");
    // The older files give no interval for tail quantiles: the report's own,
    // marked; and its Wilson interval for probabilities. Three replicas are
    // too few to bootstrap a CVaR95 (it needs two in the 5% tail).
    assert!(old.contains("<sup>†</sup>") && old.contains("<sup>§</sup>"), "{old}");
    assert!(old.contains("needs 40+ replicas"), "{old}");

    // The same file in the tidy form, columns reordered, an unknown column
    // added and no interval method named: the same table, byte for byte.
    let older = fs::read(out.join("risk.csv")).unwrap();
    rewrite_tidy(&out, |_, _| (String::new(), String::new()));
    ok(report(&out, &[]));
    let tidy_page = html(&out);
    assert_eq!(risk_section(&tidy_page), old);

    // A tidy file that names its interval method and flags a figure as
    // unreliable: the table says both, and keeps the file's interval.
    fs::write(out.join("risk.csv"), &older).unwrap();
    rewrite_tidy(&out, |figure, q| match (figure, q) {
        ("var_loss_usd", "0.99") => ("order statistics".into(), "false".into()),
        ("p_default_by_year", _) => ("wilson".into(), "true".into()),
        _ => (String::new(), String::new()),
    });
    ok(report(&out, &[]));
    let flagged_page = html(&out);
    let flagged = risk_section(&flagged_page);
    let row = |label: &str| {
        let start = flagged
            .find(&format!("<td>{label}"))
            .unwrap_or_else(|| panic!("no row {label} in {flagged}"));
        &flagged[start..start + flagged[start..].find("</tr>").unwrap()]
    };
    assert!(row("VaR99 of loss").contains("unreliable"), "{}", row("VaR99 of loss"));
    assert!(row("P(default by the end of year 1)").contains("(wilson)"));
    assert!(
        !row("P(default by the end of year 1)").contains("§"),
        "the file's interval is kept"
    );
}

#[test]
fn unknown_figures_are_listed_and_a_garbled_tidy_file_is_an_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("g");
    golden_with_older_risk_csv(&out);
    let path = out.join("risk.csv");
    let mut text = fs::read_to_string(&path).unwrap();
    text += "0,shortfall_usd,123456789,,,,3\n";
    fs::write(&path, &text).unwrap();
    ok(report(&out, &[]));
    let page = html(&out);
    let risk = risk_section(&page);
    assert!(
        risk.contains("Other figures") && risk.contains("<td>shortfall (USD)"),
        "{risk}"
    );
    fs::write(
        &path,
        "point,figure,year,quantile,threshold,value,stderr,ci95_low,ci95_high,n\n0,var_loss_usd,,high,,1,,,,3\n",
    )
    .unwrap();
    fails_with(
        report(&out, &[]),
        2,
        "risk.csv: line 2, column `quantile`: `high` is not a finite number",
    );
}
