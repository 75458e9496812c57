//! Parquet copies of a results folder's CSV files (`--format parquet` or
//! `both`): the same rows and values, with every column typed by
//! `columns` (seeds unsigned 64-bit, optional numbers null rather than
//! NaN or text), and in `points.parquet` each swept key typed from its TOML
//! values (a distribution table becomes a struct).
//!
//! Each file is transcoded from its finished CSV file, streamed in row
//! groups, so the Parquet values are exactly what a CSV reader parses (the
//! CSV numbers are in shortest round-trip form) and memory holds one row
//! group whatever the sweep's size. The bytes depend only on the CSV bytes:
//! the writer records a fixed `created_by` and no time, so a run's Parquet
//! files are identical for any thread count.
//!
//! The files are written with the `parquet` crate's column writers, not
//! through Arrow: Arrow's compute crates would triple the build time of the
//! program for no gain here.

use super::OutputError;
use super::columns::{self, ColumnType, TABLES};
use crate::folder::io_error;
use parquet::basic::{Compression, LogicalType, Repetition, Type as Physical};
use parquet::column::writer::ColumnWriter;
use parquet::data_type::ByteArray;
use parquet::file::properties::WriterProperties;
use parquet::file::writer::SerializedFileWriter;
use parquet::schema::types::Type;
use std::fs::File;
use std::path::Path;
use std::sync::Arc;

/// Rows per row group (and so the most a transcode holds at once).
const GROUP_ROWS: usize = 65_536;

/// Writes NAME.parquet beside every NAME.csv of `dir`.
pub(super) fn write_all(dir: &Path) -> Result<(), OutputError> {
    for table in TABLES {
        let csv = dir.join(format!("{}.csv", table.name));
        let out = dir.join(format!("{}.parquet", table.name));
        let written = if table.name == columns::POINTS.name {
            write_points(&csv, &out)
        } else {
            transcode(&csv, &out, table)
        };
        written.map_err(io_error(&out))?;
    }
    Ok(())
}

/// The writer's settings: Snappy pages, and a `created_by` that names this
/// program's version (not the library's), so the bytes change only with
/// the data or a release.
fn properties() -> Arc<WriterProperties> {
    Arc::new(
        WriterProperties::builder()
            .set_created_by(format!("mortgage-sim {}", env!("CARGO_PKG_VERSION")))
            .set_compression(Compression::SNAPPY)
            .build(),
    )
}

fn other<E: std::error::Error + Send + Sync + 'static>(e: E) -> std::io::Error {
    std::io::Error::other(e)
}

fn invalid(message: String) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, message)
}

fn open_csv(path: &Path) -> std::io::Result<csv::Reader<File>> {
    Ok(csv::ReaderBuilder::new()
        .has_headers(true)
        .from_reader(File::open(path)?))
}

/// A leaf column's values, in the physical type they are stored as.
enum Values {
    Int(Vec<i64>),
    Float(Vec<f64>),
    Bytes(Vec<ByteArray>),
    Bool(Vec<bool>),
}

/// One leaf column of a row group being filled: its values (absent ones
/// left out) and definition levels (how deep each row's value is defined;
/// none for a required column).
struct Leaf {
    values: Values,
    defs: Option<Vec<i16>>,
}

impl Leaf {
    fn new(physical: Physical, optional: bool) -> Leaf {
        let values = match physical {
            Physical::INT64 => Values::Int(Vec::new()),
            Physical::DOUBLE => Values::Float(Vec::new()),
            Physical::BOOLEAN => Values::Bool(Vec::new()),
            _ => Values::Bytes(Vec::new()),
        };
        Leaf {
            values,
            defs: optional.then(Vec::new),
        }
    }

    /// Writes the leaf into the row group's next column and empties it.
    fn write(&mut self, column: &mut ColumnWriter) -> parquet::errors::Result<()> {
        let defs = self.defs.as_deref();
        match (column, &mut self.values) {
            (ColumnWriter::Int64ColumnWriter(w), Values::Int(v)) => w.write_batch(v, defs, None)?,
            (ColumnWriter::DoubleColumnWriter(w), Values::Float(v)) => w.write_batch(v, defs, None)?,
            (ColumnWriter::ByteArrayColumnWriter(w), Values::Bytes(v)) => w.write_batch(v, defs, None)?,
            (ColumnWriter::BoolColumnWriter(w), Values::Bool(v)) => w.write_batch(v, defs, None)?,
            _ => unreachable!("a leaf is built for its column's physical type"),
        };
        match &mut self.values {
            Values::Int(v) => v.clear(),
            Values::Float(v) => v.clear(),
            Values::Bytes(v) => v.clear(),
            Values::Bool(v) => v.clear(),
        }
        if let Some(d) = &mut self.defs {
            d.clear();
        }
        Ok(())
    }
}

/// The Parquet type of a declared column: its physical type, logical type
/// and whether it may be null (an optional type, or a number that was not
/// finite and so written empty).
fn declared_type(name: &str, ty: ColumnType) -> Type {
    let (physical, logical, optional) = match ty {
        ColumnType::Int => (Physical::INT64, None, false),
        ColumnType::IntOpt => (Physical::INT64, None, true),
        // Stored as the INT64 of the same bits, marked unsigned.
        ColumnType::Uint64 => (Physical::INT64, Some(LogicalType::integer(64, false)), false),
        ColumnType::Float | ColumnType::FloatOpt => (Physical::DOUBLE, None, true),
        ColumnType::Str => (Physical::BYTE_ARRAY, Some(LogicalType::String), false),
        ColumnType::StrOpt => (Physical::BYTE_ARRAY, Some(LogicalType::String), true),
        ColumnType::Bool => (Physical::BOOLEAN, None, false),
    };
    primitive(name, physical, logical, optional)
}

fn primitive(name: &str, physical: Physical, logical: Option<LogicalType>, optional: bool) -> Type {
    let repetition = if optional {
        Repetition::OPTIONAL
    } else {
        Repetition::REQUIRED
    };
    Type::primitive_type_builder(name, physical)
        .with_repetition(repetition)
        .with_logical_type(logical)
        .build()
        .expect("a valid primitive type")
}

fn message(fields: Vec<Type>) -> Arc<Type> {
    let fields = fields.into_iter().map(Arc::new).collect();
    Arc::new(
        Type::group_type_builder("schema")
            .with_fields(fields)
            .build()
            .expect("a valid message type"),
    )
}

/// Appends a CSV cell of type `ty` to its leaf; None when it does not fit.
fn push(leaf: &mut Leaf, ty: ColumnType, cell: &str) -> Option<()> {
    let empty = cell.is_empty();
    let nullable = leaf.defs.is_some();
    if let Some(defs) = &mut leaf.defs {
        defs.push(i16::from(!empty));
    }
    if empty && nullable {
        return Some(());
    }
    match (&mut leaf.values, ty) {
        (Values::Int(v), ColumnType::Uint64) => v.push(cell.parse::<u64>().ok()? as i64),
        (Values::Int(v), _) => v.push(cell.parse().ok()?),
        (Values::Float(v), _) => v.push(cell.parse().ok()?),
        (Values::Bytes(v), _) => v.push(cell.into()),
        (Values::Bool(v), _) => v.push(match cell {
            "true" => true,
            "false" => false,
            _ => return None,
        }),
    }
    Some(())
}

/// Writes one row group of `leaves` (in schema order).
fn write_group(writer: &mut SerializedFileWriter<File>, leaves: &mut [Leaf]) -> std::io::Result<()> {
    let mut group = writer.next_row_group().map_err(other)?;
    for leaf in leaves.iter_mut() {
        let mut column = group.next_column().map_err(other)?.expect("a column per leaf");
        leaf.write(column.untyped()).map_err(other)?;
        column.close().map_err(other)?;
    }
    group.close().map_err(other)?;
    Ok(())
}

/// Copies `csv` (a table of declared columns) into `out` with `table`'s
/// types, a row group per [`GROUP_ROWS`] rows.
fn transcode(csv: &Path, out: &Path, table: columns::Table) -> std::io::Result<()> {
    let mut reader = open_csv(csv)?;
    let header: Vec<String> = reader.headers().map_err(other)?.iter().map(String::from).collect();
    let names: Vec<&str> = table.header().collect();
    if header != names {
        return Err(invalid(format!(
            "{}: the header is not the declared columns ({})",
            csv.display(),
            names.join(", ")
        )));
    }
    let types: Vec<Type> = table.columns.iter().map(|&(n, ty)| declared_type(n, ty)).collect();
    let mut leaves: Vec<Leaf> = types
        .iter()
        .map(|t| Leaf::new(t.get_physical_type(), t.is_optional()))
        .collect();
    let mut writer = SerializedFileWriter::new(File::create(out)?, message(types), properties()).map_err(other)?;
    let mut rows = 0;
    let mut record = csv::StringRecord::new();
    while reader.read_record(&mut record).map_err(other)? {
        for ((leaf, &(name, ty)), cell) in leaves.iter_mut().zip(table.columns).zip(record.iter()) {
            push(leaf, ty, cell).ok_or_else(|| {
                invalid(format!(
                    "{}: column {name}: {cell:?} is not of type {}",
                    csv.display(),
                    ty.name()
                ))
            })?;
        }
        rows += 1;
        if rows == GROUP_ROWS {
            write_group(&mut writer, &mut leaves)?;
            rows = 0;
        }
    }
    if rows > 0 {
        write_group(&mut writer, &mut leaves)?;
    }
    writer.close().map_err(other)?;
    Ok(())
}

/// The type of a swept key's values, by the rule of the Python loader: all
/// integers, all numbers, all booleans, all strings, all tables (a struct
/// of the union of their keys, each typed the same way), else TOML text.
#[derive(Debug, Clone, PartialEq)]
enum Shape {
    Int,
    Float,
    Bool,
    Str,
    Text,
    Struct(Vec<(String, Shape)>),
}

fn shape_of(values: &[Option<&toml::Value>]) -> Shape {
    let present: Vec<&toml::Value> = values.iter().flatten().copied().collect();
    let all = |f: fn(&toml::Value) -> bool| !present.is_empty() && present.iter().all(|v| f(v));
    if all(toml::Value::is_integer) {
        Shape::Int
    } else if all(|v| v.is_integer() || v.is_float()) {
        Shape::Float
    } else if all(toml::Value::is_bool) {
        Shape::Bool
    } else if all(toml::Value::is_str) {
        Shape::Str
    } else if all(toml::Value::is_table) {
        let mut keys: Vec<&str> = Vec::new();
        for v in &present {
            for k in v.as_table().expect("a table").keys() {
                if !keys.contains(&k.as_str()) {
                    keys.push(k);
                }
            }
        }
        Shape::Struct(
            keys.into_iter()
                .map(|k| (k.to_string(), shape_of(&field_values(values, k))))
                .collect(),
        )
    } else {
        Shape::Text
    }
}

fn field_values<'a>(values: &[Option<&'a toml::Value>], key: &str) -> Vec<Option<&'a toml::Value>> {
    values.iter().map(|v| v.and_then(|v| v.get(key))).collect()
}

/// The Parquet type of a swept key (required at the top, every field of a
/// struct optional: a table may lack a key another has).
fn shape_type(name: &str, shape: &Shape, optional: bool) -> Type {
    let text = Some(LogicalType::String);
    match shape {
        Shape::Int => primitive(name, Physical::INT64, None, optional),
        Shape::Float => primitive(name, Physical::DOUBLE, None, optional),
        Shape::Bool => primitive(name, Physical::BOOLEAN, None, optional),
        Shape::Str | Shape::Text => primitive(name, Physical::BYTE_ARRAY, text, optional),
        Shape::Struct(fields) => {
            let fields = fields.iter().map(|(k, s)| Arc::new(shape_type(k, s, true))).collect();
            let repetition = if optional {
                Repetition::OPTIONAL
            } else {
                Repetition::REQUIRED
            };
            Type::group_type_builder(name)
                .with_repetition(repetition)
                .with_fields(fields)
                .build()
                .expect("a valid group type")
        }
    }
}

/// Fills the leaves of a swept key's column, depth first: `defs[i]` is how
/// deep row i's value is defined so far (None for a required top level).
fn shape_leaves(shape: &Shape, values: &[Option<&toml::Value>], defs: Option<&[i16]>, out: &mut Vec<Leaf>) {
    if let Shape::Struct(fields) = shape {
        for (k, s) in fields {
            let child = field_values(values, k);
            // A field is optional: one level deeper where it is present.
            let child_defs: Vec<i16> = child
                .iter()
                .enumerate()
                .map(|(i, v)| defs.map_or(0, |d| d[i]) + i16::from(v.is_some()))
                .collect();
            shape_leaves(s, &child, Some(&child_defs), out);
        }
        return;
    }
    let present = values.iter().flatten();
    let values = match shape {
        Shape::Int => Values::Int(present.filter_map(|v| v.as_integer()).collect()),
        Shape::Float => Values::Float(
            present
                .filter_map(|v| v.as_float().or(v.as_integer().map(|i| i as f64)))
                .collect(),
        ),
        Shape::Bool => Values::Bool(present.filter_map(|v| v.as_bool()).collect()),
        Shape::Str => Values::Bytes(present.filter_map(|v| v.as_str()).map(ByteArray::from).collect()),
        _ => Values::Bytes(present.map(|v| ByteArray::from(v.to_string().as_str())).collect()),
    };
    out.push(Leaf {
        values,
        defs: defs.map(<[i16]>::to_vec),
    });
}

/// Writes `points.parquet`: `point` and `scenario` as declared, then each
/// swept key typed from its values (a key with a value that is not TOML is
/// kept as text, as points.csv has it). A sweep's points are few, so they
/// are held at once.
fn write_points(csv: &Path, out: &Path) -> std::io::Result<()> {
    let mut reader = open_csv(csv)?;
    let header: Vec<String> = reader.headers().map_err(other)?.iter().map(String::from).collect();
    let rows: Vec<csv::StringRecord> = reader.records().collect::<Result<_, _>>().map_err(other)?;
    let (mut types, mut leaves) = (Vec::new(), Vec::new());
    for (i, name) in header.iter().enumerate() {
        let cells: Vec<&str> = rows.iter().map(|r| r.get(i).unwrap_or_default()).collect();
        if let Some(&(_, ty)) = columns::POINTS.columns.iter().find(|(n, _)| n == name) {
            let t = declared_type(name, ty);
            let mut leaf = Leaf::new(t.get_physical_type(), t.is_optional());
            for cell in &cells {
                push(&mut leaf, ty, cell).ok_or_else(|| {
                    invalid(format!(
                        "{}: column {name}: {cell:?} is not of type {}",
                        csv.display(),
                        ty.name()
                    ))
                })?;
            }
            types.push(t);
            leaves.push(leaf);
            continue;
        }
        let parsed: Vec<Option<toml::Value>> = cells.iter().map(|c| c.parse().ok()).collect();
        let values: Vec<Option<&toml::Value>> = parsed.iter().map(Option::as_ref).collect();
        if values.iter().all(Option::is_some) {
            let shape = shape_of(&values);
            types.push(shape_type(name, &shape, false));
            if shape == Shape::Text {
                // The cell's own text, as points.csv has it.
                let text = cells.iter().map(|c| ByteArray::from(*c)).collect();
                leaves.push(Leaf {
                    values: Values::Bytes(text),
                    defs: None,
                });
            } else {
                shape_leaves(&shape, &values, None, &mut leaves);
            }
        } else {
            types.push(shape_type(name, &Shape::Text, false));
            let text = cells.iter().map(|c| ByteArray::from(*c)).collect();
            leaves.push(Leaf {
                values: Values::Bytes(text),
                defs: None,
            });
        }
    }
    let mut writer = SerializedFileWriter::new(File::create(out)?, message(types), properties()).map_err(other)?;
    write_group(&mut writer, &mut leaves)?;
    writer.close().map_err(other)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(texts: &[&str]) -> Vec<toml::Value> {
        texts.iter().map(|t| t.parse().unwrap()).collect()
    }

    fn shape(texts: &[&str]) -> Shape {
        let parsed = parse(texts);
        let values: Vec<Option<&toml::Value>> = parsed.iter().map(Some).collect();
        shape_of(&values)
    }

    #[test]
    fn swept_values_are_typed_as_the_python_loader_types_them() {
        assert_eq!(shape(&["1", "2"]), Shape::Int);
        assert_eq!(shape(&["1", "2.5"]), Shape::Float);
        assert_eq!(shape(&["true", "false"]), Shape::Bool);
        assert_eq!(shape(&["\"a\"", "'b'"]), Shape::Str);
        assert_eq!(shape(&["1", "\"a\""]), Shape::Text);
        assert_eq!(shape(&["[1, 2]"]), Shape::Text);
    }

    #[test]
    fn distribution_tables_become_a_struct_of_the_union_of_their_keys() {
        let texts = [
            r#"{ dist = "fixed", value = 0 }"#,
            r#"{ dist = "lognormal", median = 3, sigma = 0.7 }"#,
        ];
        let want = Shape::Struct(vec![
            ("dist".into(), Shape::Str),
            ("value".into(), Shape::Int),
            ("median".into(), Shape::Int),
            ("sigma".into(), Shape::Float),
        ]);
        assert_eq!(shape(&texts), want);
        // A field a table lacks is null there (definition level 0).
        let parsed = parse(&texts);
        let values: Vec<Option<&toml::Value>> = parsed.iter().map(Some).collect();
        let mut leaves = Vec::new();
        shape_leaves(&want, &values, None, &mut leaves);
        let sigma = &leaves[3];
        assert_eq!(sigma.defs.as_deref(), Some(&[0, 1][..]));
        assert!(matches!(&sigma.values, Values::Float(v) if v == &[0.7]));
    }

    #[test]
    fn cells_that_do_not_fit_their_type_are_refused() {
        let leaf = |ty| {
            let t = declared_type("x", ty);
            Leaf::new(t.get_physical_type(), t.is_optional())
        };
        let mut int = leaf(ColumnType::Int);
        assert!(push(&mut int, ColumnType::Int, "").is_none());
        assert!(push(&mut int, ColumnType::Int, "1.5").is_none());
        let mut seed = leaf(ColumnType::Uint64);
        assert!(push(&mut seed, ColumnType::Uint64, "18446744073709551615").is_some());
        assert!(push(&mut seed, ColumnType::Uint64, "-1").is_none());
        let mut flag = leaf(ColumnType::Bool);
        assert!(push(&mut flag, ColumnType::Bool, "yes").is_none());
        let mut x = leaf(ColumnType::FloatOpt);
        assert!(push(&mut x, ColumnType::FloatOpt, "").is_some());
        assert!(push(&mut x, ColumnType::FloatOpt, "NaN").is_some());
        assert_eq!(x.defs.as_deref(), Some(&[0, 1][..]));
    }
}
