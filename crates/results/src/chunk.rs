//! One chunk: a run of rows written as one Arrow IPC file. Each column's Arrow type is chosen
//! from the values the chunk holds, so numbers stay numbers when read back.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;
use std::sync::Arc;

use crate::Value;
use arrow::array::{
    Array, ArrayRef, BooleanArray, BooleanBuilder, Float64Array, Float64Builder, Int64Array,
    Int64Builder, StringArray, StringBuilder,
};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::ipc::reader::FileReader;
use arrow::ipc::writer::FileWriter;
use arrow::record_batch::RecordBatch;

use crate::ResultsError;

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Bool,
    Int,
    Float,
    Text,
}

fn kind_of(rows: &[Vec<Value>], col: usize) -> Kind {
    let mut kind = None;
    for row in rows {
        let k = match &row[col] {
            Value::Null => continue,
            Value::Bool(_) => Kind::Bool,
            Value::Int(_) => Kind::Int,
            Value::Float(_) => Kind::Float,
            Value::Text(_) => Kind::Text,
        };
        match kind {
            None => kind = Some(k),
            Some(seen) if seen == k => {}
            // Mixed kinds in one column keep their text, which loses nothing a grid shows.
            Some(_) => return Kind::Text,
        }
    }
    kind.unwrap_or(Kind::Text)
}

fn column(rows: &[Vec<Value>], col: usize) -> (DataType, ArrayRef) {
    match kind_of(rows, col) {
        Kind::Bool => {
            let mut b = BooleanBuilder::with_capacity(rows.len());
            for row in rows {
                b.append_option(match &row[col] {
                    Value::Bool(v) => Some(*v),
                    _ => None,
                });
            }
            (DataType::Boolean, Arc::new(b.finish()))
        }
        Kind::Int => {
            let mut b = Int64Builder::with_capacity(rows.len());
            for row in rows {
                b.append_option(match &row[col] {
                    Value::Int(v) => Some(*v),
                    _ => None,
                });
            }
            (DataType::Int64, Arc::new(b.finish()))
        }
        Kind::Float => {
            let mut b = Float64Builder::with_capacity(rows.len());
            for row in rows {
                b.append_option(match &row[col] {
                    Value::Float(v) => Some(*v),
                    _ => None,
                });
            }
            (DataType::Float64, Arc::new(b.finish()))
        }
        Kind::Text => {
            let mut b = StringBuilder::with_capacity(rows.len(), rows.len() * 8);
            for row in rows {
                match &row[col] {
                    Value::Null => b.append_null(),
                    Value::Text(s) => b.append_value(s),
                    other => b.append_value(other.display()),
                }
            }
            (DataType::Utf8, Arc::new(b.finish()))
        }
    }
}

/// Writes `rows` (each `width` values wide) to `path` as one Arrow IPC file.
pub(crate) fn write(path: &Path, width: usize, rows: &[Vec<Value>]) -> Result<(), ResultsError> {
    let write_err = |e: &dyn std::fmt::Display| ResultsError::Write(e.to_string());
    let mut fields = Vec::with_capacity(width);
    let mut arrays = Vec::with_capacity(width);
    for col in 0..width {
        let (data_type, array) = column(rows, col);
        // Positional names: the store keeps the real names, which may repeat or be empty.
        fields.push(Field::new(format!("c{col}"), data_type, true));
        arrays.push(array);
    }
    let schema = Arc::new(Schema::new(fields));
    let batch = if width == 0 {
        RecordBatch::try_new_with_options(
            schema.clone(),
            arrays,
            &arrow::record_batch::RecordBatchOptions::new().with_row_count(Some(rows.len())),
        )
    } else {
        RecordBatch::try_new(schema.clone(), arrays)
    }
    .map_err(|e| write_err(&e))?;
    let file = File::create(path).map_err(|e| write_err(&e))?;
    let mut writer =
        FileWriter::try_new(BufWriter::new(file), &schema).map_err(|e| write_err(&e))?;
    writer.write(&batch).map_err(|e| write_err(&e))?;
    writer.finish().map_err(|e| write_err(&e))?;
    // No fsync: the store is a cache that dies with the process, and a crash loses the result
    // either way.
    let mut file = writer.into_inner().map_err(|e| write_err(&e))?;
    std::io::Write::flush(&mut file).map_err(|e| write_err(&e))?;
    Ok(())
}

/// Reads a chunk back as rows `[from, to)` of the chunk.
pub(crate) fn read(path: &Path, from: usize, to: usize) -> Result<Vec<Vec<Value>>, ResultsError> {
    let read_err = |e: &dyn std::fmt::Display| ResultsError::Read(e.to_string());
    let file = File::open(path).map_err(|e| read_err(&e))?;
    let reader =
        FileReader::try_new(std::io::BufReader::new(file), None).map_err(|e| read_err(&e))?;
    let mut out = Vec::with_capacity(to.saturating_sub(from));
    let mut base = 0usize;
    for batch in reader {
        let batch = batch.map_err(|e| read_err(&e))?;
        let n = batch.num_rows();
        let start = from.max(base);
        let end = to.min(base + n);
        for row in start..end {
            let local = row - base;
            out.push(
                batch
                    .columns()
                    .iter()
                    .map(|a| value(a.as_ref(), local))
                    .collect(),
            );
        }
        base += n;
        if base >= to {
            break;
        }
    }
    Ok(out)
}

fn value(array: &dyn Array, row: usize) -> Value {
    if array.is_null(row) {
        return Value::Null;
    }
    let any = array.as_any();
    if let Some(a) = any.downcast_ref::<Int64Array>() {
        Value::Int(a.value(row))
    } else if let Some(a) = any.downcast_ref::<Float64Array>() {
        Value::Float(a.value(row))
    } else if let Some(a) = any.downcast_ref::<BooleanArray>() {
        Value::Bool(a.value(row))
    } else if let Some(a) = any.downcast_ref::<StringArray>() {
        Value::Text(a.value(row).to_string())
    } else {
        Value::Null
    }
}
