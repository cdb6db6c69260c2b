//! Results as Athena writes them: the CSV object and `GetQueryResults` pages.

use std::io::Write;

use arrow::array::{Array, RecordBatch};
use arrow::datatypes::DataType;
use arrow::util::display::{ArrayFormatter, FormatOptions};

use crate::standin::exec::StoredResult;

/// Athena's (Trino's) name for an Arrow type.
pub fn athena_type(data_type: &DataType) -> String {
    match data_type {
        DataType::Boolean => "boolean".into(),
        DataType::Int8 | DataType::UInt8 => "tinyint".into(),
        DataType::Int16 | DataType::UInt16 => "smallint".into(),
        DataType::Int32 | DataType::UInt32 => "integer".into(),
        DataType::Int64 | DataType::UInt64 => "bigint".into(),
        DataType::Float16 | DataType::Float32 => "float".into(),
        DataType::Float64 => "double".into(),
        DataType::Decimal128(p, s) | DataType::Decimal256(p, s) => format!("decimal({p},{s})"),
        DataType::Date32 | DataType::Date64 => "date".into(),
        DataType::Timestamp(_, _) => "timestamp".into(),
        DataType::Binary | DataType::LargeBinary | DataType::BinaryView => "varbinary".into(),
        _ => "varchar".into(),
    }
}

fn options() -> FormatOptions<'static> {
    FormatOptions::default().with_timestamp_format(Some("%Y-%m-%d %H:%M:%S%.3f"))
}

/// Calls `each` with every row's values as Athena renders them (`None` for NULL).
pub fn for_each_row(
    batches: &[RecordBatch],
    skip: usize,
    take: usize,
    mut each: impl FnMut(Vec<Option<String>>) -> std::io::Result<()>,
) -> std::io::Result<()> {
    let options = options();
    let mut base = 0usize;
    let end = skip.saturating_add(take);
    for batch in batches {
        let n = batch.num_rows();
        if base + n <= skip {
            base += n;
            continue;
        }
        if base >= end {
            break;
        }
        let formatters: Vec<ArrayFormatter> = batch
            .columns()
            .iter()
            .map(|a| ArrayFormatter::try_new(a.as_ref(), &options))
            .collect::<Result<_, _>>()
            .map_err(std::io::Error::other)?;
        let from = skip.saturating_sub(base);
        let to = (end - base).min(n);
        for row in from..to {
            let values = batch
                .columns()
                .iter()
                .zip(&formatters)
                .map(|(a, f)| (!a.is_null(row)).then(|| f.value(row).to_string()))
                .collect();
            each(values)?;
        }
        base += n;
    }
    Ok(())
}

/// Writes the result as Athena's CSV: a header, every non-NULL value quoted with quotes
/// doubled, NULL as an empty unquoted field, `\n` line ends.
pub fn write_csv(result: &StoredResult, out: &mut impl Write) -> std::io::Result<()> {
    fn quoted(out: &mut impl Write, text: &str) -> std::io::Result<()> {
        out.write_all(b"\"")?;
        out.write_all(text.replace('"', "\"\"").as_bytes())?;
        out.write_all(b"\"")
    }
    for (i, (name, _)) in result.columns.iter().enumerate() {
        if i > 0 {
            out.write_all(b",")?;
        }
        quoted(out, name)?;
    }
    out.write_all(b"\n")?;
    for_each_row(&result.batches, 0, usize::MAX, |row| {
        for (i, value) in row.iter().enumerate() {
            if i > 0 {
                out.write_all(b",")?;
            }
            if let Some(text) = value {
                quoted(out, text)?;
            }
        }
        out.write_all(b"\n")
    })
}
