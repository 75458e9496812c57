//! The "why replicas default" section: for the shown point's defaulting
//! replicas, which events of `events.csv` came before their default (failed
//! rounds, a commercial failure, a cost cut, a restructuring…), beside the
//! same counts over the replicas that did not default; and the outcomes of
//! restructurings (replicas.csv `restructure_kind`, `haircut_usd`,
//! `paid_fraction_at_default`). A folder without `events.csv` or without the
//! restructuring columns (written before they existed) gets a note instead.

use super::ReportError;
use super::folder::{self, CsvTable, Folder};
use super::page::{Section, html_escape};
use crate::output::numbers::{percent, usd};
use crate::stats::{quantile_sorted, sorted};
use std::collections::BTreeMap;

const ID: &str = "why-default";
const HEADING: &str = "Why replicas default";

/// The event kinds counted before a default, in table order, with the
/// words a reader sees. `default` itself is not one of them.
const KINDS: [(&str, &str); 7] = [
    ("failed_round", "a failed funding round"),
    ("commercial_failure", "a commercial failure"),
    ("cost_cut", "a cost cut"),
    ("restructuring", "a restructuring"),
    ("failed_restructuring", "a refused restructuring"),
    ("funding_round", "a successful funding round"),
    ("training_run_completed", "a completed training run"),
];

/// The kinds that signal distress; a defaulting replica with none of them
/// before its default ran out of money without warning.
const DISTRESS: [&str; 5] = [
    "failed_round",
    "commercial_failure",
    "cost_cut",
    "restructuring",
    "failed_restructuring",
];

/// One replica of the shown point, as this section needs it.
struct Replica {
    index: u64,
    default_month: Option<f64>,
    cancelled_runs: Option<f64>,
    restructure_kind: Option<String>,
    haircut_usd: Option<f64>,
    paid_fraction_at_default: Option<f64>,
    /// (kind, month) of its events, `default` excluded.
    events: Vec<(String, f64)>,
}

impl Replica {
    /// Whether it had an event of `kind` before its default (at or before
    /// the default month: a restructuring refused in the month of default
    /// is part of the story), or in the whole term if it did not default.
    fn had(&self, kind: &str) -> bool {
        let until = self.default_month.unwrap_or(f64::INFINITY);
        self.events.iter().any(|(k, m)| k == kind && *m <= until)
    }
}

/// The section for `point`, read from `folder`'s `events.csv` and
/// `replicas.csv`.
pub(super) fn why_default_section(folder: &Folder, point: u64) -> Result<Section, ReportError> {
    let Some(events) = CsvTable::read(&folder.dir, "events.csv")? else {
        return Ok(Section::note(
            ID,
            HEADING,
            "This folder has no <code>events.csv</code> (it was written before the per-replica events \
             file existed), so the events before each default cannot be shown.",
        ));
    };
    let (replicas, has_restructuring) = read_replicas(folder, point, &events)?;
    let defaulted: Vec<&Replica> = replicas.iter().filter(|r| r.default_month.is_some()).collect();
    let survived: Vec<&Replica> = replicas.iter().filter(|r| r.default_month.is_none()).collect();
    let mut caption = if defaulted.is_empty() {
        format!(
            "No replica defaulted at point {point} (0 of {}). The table shows how often each event \
             happened in the replicas' terms.",
            replicas.len()
        )
    } else {
        let silent = defaulted.iter().filter(|r| !DISTRESS.iter().any(|k| r.had(k))).count();
        format!(
            "{} of {} replicas defaulted at point {point}. For each kind of event of \
             <code>events.csv</code>: how many defaulting replicas had at least one before (or in the \
             month of) their default, beside how many of the replicas that did not default had one \
             in their term. {silent} of the {} defaulting replicas had no distress event (failed round, \
             commercial failure, cost cut, restructuring) before defaulting.",
            defaulted.len(),
            replicas.len(),
            defaulted.len()
        )
    };
    let mut body = event_table(&defaulted, &survived);
    match restructuring_table(&replicas, has_restructuring) {
        Some(table) => {
            caption += " The second table gives the restructurings' outcomes (replicas.csv \
                        <code>restructure_kind</code>, <code>haircut_usd</code>, \
                        <code>paid_fraction_at_default</code>).";
            body += &table;
        }
        None => caption += " This folder's replicas.csv has no restructuring columns.",
    }
    Ok(Section::table(ID, HEADING, caption, body))
}

/// The point's replicas with their events, and whether replicas.csv has
/// the `restructure_kind` column.
fn read_replicas(folder: &Folder, point: u64, events: &CsvTable) -> Result<(Vec<Replica>, bool), ReportError> {
    let t = folder::required(&folder.dir, "replicas.csv")?;
    let (pc, rc) = (t.column("point")?, t.column("replica")?);
    let dm = t.has("default_month");
    let cancelled = t.has("training_runs_cancelled");
    let (kind, haircut, paid) = (
        t.has("restructure_kind"),
        t.has("haircut_usd"),
        t.has("paid_fraction_at_default"),
    );
    let number = |row: usize, col: Option<usize>| col.map(|c| t.number(row, c)).transpose().map(Option::flatten);
    let mut out = BTreeMap::new();
    for row in 0..t.rows.len() {
        if t.id(row, pc)? != point {
            continue;
        }
        let index = t.id(row, rc)?;
        let text = kind.and_then(|c| t.rows[row].get(c)).unwrap_or("").trim();
        out.insert(
            index,
            Replica {
                index,
                default_month: number(row, dm)?,
                cancelled_runs: number(row, cancelled)?,
                restructure_kind: (!text.is_empty()).then(|| text.to_string()),
                haircut_usd: number(row, haircut)?,
                paid_fraction_at_default: number(row, paid)?,
                events: Vec::new(),
            },
        );
    }
    let (ep, er, em, ek) = (
        events.column("point")?,
        events.column("replica")?,
        events.column("month")?,
        events.column("kind")?,
    );
    for row in 0..events.rows.len() {
        if events.id(row, ep)? != point {
            continue;
        }
        let index = events.id(row, er)?;
        let Some(replica) = out.get_mut(&index) else {
            return Err(ReportError::Garbled {
                path: events.path.clone(),
                message: format!(
                    "line {}: replica {index} of point {point} is not in replicas.csv",
                    events.line(row)
                ),
            });
        };
        let kind = events.rows[row].get(ek).unwrap_or("").trim();
        if kind != "default" {
            replica.events.push((kind.to_string(), events.value(row, em)?));
        }
    }
    Ok((out.into_values().collect(), kind.is_some()))
}

/// "n of N (p%)", or "–" for no replicas.
fn share(n: usize, of: usize) -> String {
    if of == 0 {
        "–".into()
    } else {
        format!("{n} of {of} ({})", percent(n as f64 / of as f64))
    }
}

fn event_table(defaulted: &[&Replica], survived: &[&Replica]) -> String {
    let mut body = String::from(
        "<table class=\"why-default\">\n<tr><th>event</th><th>defaulting replicas with it before default</th>\
         <th>replicas that did not default, with it in the term</th></tr>\n",
    );
    let count = |set: &[&Replica], kind: &str| set.iter().filter(|r| r.had(kind)).count();
    for (kind, words) in KINDS {
        body += &format!(
            "<tr><td>{words} <code>{kind}</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
            share(count(defaulted, kind), defaulted.len()),
            share(count(survived, kind), survived.len())
        );
    }
    if defaulted.iter().chain(survived).any(|r| r.cancelled_runs.is_some()) {
        // replicas.csv counts cancellations over the whole term, so this row
        // cannot say whether they came before the default.
        let cancelled = |set: &[&Replica]| set.iter().filter(|r| r.cancelled_runs.unwrap_or(0.0) > 0.0).count();
        body += &format!(
            "<tr><td>a cancelled training run, at any time in the term \
             <code>training_runs_cancelled</code></td><td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
            share(cancelled(defaulted), defaulted.len()),
            share(cancelled(survived), survived.len())
        );
    }
    body + "</table>\n"
}

/// The restructurings by kind, and what became of them; `None` when
/// replicas.csv has no `restructure_kind` column.
fn restructuring_table(replicas: &[Replica], has_columns: bool) -> Option<String> {
    if !has_columns {
        return None;
    }
    let mut by_kind: BTreeMap<&str, Vec<&Replica>> = BTreeMap::new();
    for r in replicas {
        if let Some(k) = &r.restructure_kind {
            by_kind.entry(k.as_str()).or_default().push(r);
        }
    }
    let mut body = String::from(
        "<table class=\"why-default\">\n<tr><th>restructuring</th><th>replicas</th>\
         <th>of which defaulted later</th><th>mean haircut</th>\
         <th>median share of the last installment paid, defaulting ones</th></tr>\n",
    );
    for (kind, set) in &by_kind {
        let defaulted: Vec<&&Replica> = set.iter().filter(|r| r.default_month.is_some()).collect();
        let haircuts: Vec<f64> = set.iter().filter_map(|r| r.haircut_usd).collect();
        let paid = sorted(
            &defaulted
                .iter()
                .filter_map(|r| r.paid_fraction_at_default)
                .collect::<Vec<_>>(),
        );
        let indices: Vec<String> = set.iter().map(|r| r.index.to_string()).collect();
        body += &format!(
            "<tr><td><code>{}</code> (replicas {})</td><td class=\"num\">{}</td><td class=\"num\">{}</td>\
             <td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
            html_escape(kind),
            indices.join(", "),
            share(set.len(), replicas.len()),
            share(defaulted.len(), set.len()),
            if haircuts.is_empty() {
                "–".into()
            } else {
                usd(haircuts.iter().sum::<f64>() / haircuts.len() as f64)
            },
            if paid.is_empty() {
                "–".into()
            } else {
                percent(quantile_sorted(&paid, 0.5))
            }
        );
    }
    if by_kind.is_empty() {
        body += "<tr><td colspan=\"5\">no replica restructured</td></tr>\n";
    }
    Some(body + "</table>\n")
}
