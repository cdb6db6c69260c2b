//! Arrow batches to Warden's typed cells. Numbers stay numbers; dates, timestamps, decimals
//! and nested values become ISO-8601 / canonical text, as Athena hands them out.

use arrow::array::{Array, ArrayRef, AsArray};
use arrow::compute::cast;
use arrow::datatypes::{
    DataType, Float16Type, Float32Type, Float64Type, Int16Type, Int32Type, Int64Type, Int8Type,
    SchemaRef, UInt16Type, UInt32Type, UInt64Type, UInt8Type,
};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use warden_engine::{ColumnInfo, Value};

use crate::types::athena_name;

pub fn columns(schema: &SchemaRef) -> Vec<ColumnInfo> {
    schema
        .fields()
        .iter()
        .map(|f| ColumnInfo {
            name: f.name().clone(),
            data_type: athena_name(f.data_type()),
        })
        .collect()
}

/// Appends the rows of `batch` to `rows`.
pub fn append_rows(batch: &RecordBatch, rows: &mut Vec<Vec<Value>>) -> Result<(), ArrowError> {
    let columns: Vec<Vec<Value>> = batch
        .columns()
        .iter()
        .map(column_values)
        .collect::<Result<_, _>>()?;
    rows.reserve(batch.num_rows());
    for i in 0..batch.num_rows() {
        rows.push(columns.iter().map(|c| c[i].clone()).collect());
    }
    Ok(())
}

fn column_values(array: &ArrayRef) -> Result<Vec<Value>, ArrowError> {
    let n = array.len();
    let cell =
        |i: usize, f: &dyn Fn(usize) -> Value| if array.is_null(i) { Value::Null } else { f(i) };
    macro_rules! ints {
        ($t:ty) => {{
            let a = array.as_primitive::<$t>();
            (0..n)
                .map(|i| cell(i, &|i| Value::Int(i64::from(a.value(i)))))
                .collect()
        }};
    }
    macro_rules! floats {
        ($t:ty) => {{
            let a = array.as_primitive::<$t>();
            (0..n)
                .map(|i| cell(i, &|i| Value::Float(f64::from(a.value(i)))))
                .collect()
        }};
    }
    let values = match array.data_type() {
        DataType::Null => vec![Value::Null; n],
        DataType::Boolean => {
            let a = array.as_boolean();
            (0..n)
                .map(|i| cell(i, &|i| Value::Bool(a.value(i))))
                .collect()
        }
        DataType::Int8 => ints!(Int8Type),
        DataType::Int16 => ints!(Int16Type),
        DataType::Int32 => ints!(Int32Type),
        DataType::Int64 => ints!(Int64Type),
        DataType::UInt8 => ints!(UInt8Type),
        DataType::UInt16 => ints!(UInt16Type),
        DataType::UInt32 => ints!(UInt32Type),
        DataType::UInt64 => {
            // Above i64::MAX the exact digits matter more than the numeric type.
            let a = array.as_primitive::<UInt64Type>();
            (0..n)
                .map(|i| {
                    cell(i, &|i| match i64::try_from(a.value(i)) {
                        Ok(v) => Value::Int(v),
                        Err(_) => Value::Text(a.value(i).to_string()),
                    })
                })
                .collect()
        }
        DataType::Float16 => {
            let a = array.as_primitive::<Float16Type>();
            (0..n)
                .map(|i| cell(i, &|i| Value::Float(f64::from(a.value(i).to_f32()))))
                .collect()
        }
        DataType::Float32 => floats!(Float32Type),
        DataType::Float64 => floats!(Float64Type),
        DataType::Utf8 => {
            let a = array.as_string::<i32>();
            (0..n)
                .map(|i| cell(i, &|i| Value::Text(a.value(i).to_string())))
                .collect()
        }
        DataType::LargeUtf8 => {
            let a = array.as_string::<i64>();
            (0..n)
                .map(|i| cell(i, &|i| Value::Text(a.value(i).to_string())))
                .collect()
        }
        DataType::Utf8View => {
            let a = array.as_string_view();
            (0..n)
                .map(|i| cell(i, &|i| Value::Text(a.value(i).to_string())))
                .collect()
        }
        DataType::Dictionary(_, value_type) => {
            let plain = cast(array, value_type)?;
            return column_values(&plain);
        }
        _ => {
            let options = FormatOptions::default().with_null("");
            let formatter = ArrayFormatter::try_new(array.as_ref(), &options)?;
            (0..n)
                .map(|i| cell(i, &|i| Value::Text(formatter.value(i).to_string())))
                .collect()
        }
    };
    Ok(values)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        Date32Array, Decimal128Array, DictionaryArray, Float64Array, Int64Array, StringArray,
        TimestampMillisecondArray, UInt64Array,
    };
    use arrow::datatypes::{Field, Int8Type as Key, Schema};

    use super::*;

    #[test]
    fn cells_keep_their_types_and_dates_become_iso_text() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, true),
            Field::new("amount", DataType::Float64, true),
            Field::new("name", DataType::Utf8, true),
            Field::new("day", DataType::Date32, true),
            Field::new(
                "ts",
                DataType::Timestamp(arrow::datatypes::TimeUnit::Millisecond, None),
                true,
            ),
            Field::new("price", DataType::Decimal128(10, 2), true),
            Field::new("big", DataType::UInt64, true),
        ]));
        let batch = RecordBatch::try_new(
            schema.clone(),
            vec![
                Arc::new(Int64Array::from(vec![Some(1), None])),
                Arc::new(Float64Array::from(vec![Some(2.5), None])),
                Arc::new(StringArray::from(vec![Some("Ada"), None])),
                Arc::new(Date32Array::from(vec![Some(20_332), None])),
                Arc::new(TimestampMillisecondArray::from(vec![
                    Some(1_756_729_845_123),
                    None,
                ])),
                Arc::new(
                    Decimal128Array::from(vec![Some(12_345), None])
                        .with_precision_and_scale(10, 2)
                        .expect("decimal"),
                ),
                Arc::new(UInt64Array::from(vec![Some(u64::MAX), Some(7)])),
            ],
        )
        .expect("batch");
        let mut rows = Vec::new();
        append_rows(&batch, &mut rows).expect("converted");
        assert_eq!(
            rows[0],
            vec![
                Value::Int(1),
                Value::Float(2.5),
                Value::Text("Ada".into()),
                Value::Text("2025-09-01".into()),
                Value::Text("2025-09-01T12:30:45.123".into()),
                Value::Text("123.45".into()),
                Value::Text(u64::MAX.to_string()),
            ]
        );
        assert_eq!(
            &rows[1][..6],
            &[
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null,
                Value::Null
            ]
        );
        assert_eq!(rows[1][6], Value::Int(7));
        let names: Vec<String> = columns(&schema).into_iter().map(|c| c.data_type).collect();
        assert_eq!(
            names,
            vec![
                "bigint",
                "double",
                "varchar",
                "date",
                "timestamp",
                "decimal(10,2)",
                "bigint"
            ]
        );
    }

    #[test]
    fn dictionaries_are_unpacked() {
        let dict: DictionaryArray<Key> = vec![Some("a"), None, Some("a")].into_iter().collect();
        let values = column_values(&(Arc::new(dict) as ArrayRef)).expect("converted");
        assert_eq!(
            values,
            vec![
                Value::Text("a".into()),
                Value::Null,
                Value::Text("a".into())
            ]
        );
    }
}
