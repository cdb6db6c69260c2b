//! Arrow types named the way Athena names them, so the schema panel and results look the
//! same whichever engine answered.

use arrow::datatypes::DataType;
use warden_demo_lake::ColumnType;

pub fn arrow_type(column: ColumnType) -> DataType {
    match column {
        ColumnType::Bigint => DataType::Int64,
        ColumnType::Double => DataType::Float64,
        ColumnType::Varchar => DataType::Utf8,
        ColumnType::Date => DataType::Date32,
        ColumnType::Timestamp => DataType::Timestamp(arrow::datatypes::TimeUnit::Millisecond, None),
    }
}

pub fn athena_name(data_type: &DataType) -> String {
    match data_type {
        DataType::Null => "unknown".into(),
        DataType::Boolean => "boolean".into(),
        DataType::Int8 | DataType::UInt8 => "tinyint".into(),
        DataType::Int16 | DataType::UInt16 => "smallint".into(),
        DataType::Int32 | DataType::UInt32 => "integer".into(),
        DataType::Int64 | DataType::UInt64 => "bigint".into(),
        DataType::Float16 | DataType::Float32 => "real".into(),
        DataType::Float64 => "double".into(),
        DataType::Decimal32(p, s) | DataType::Decimal64(p, s) => format!("decimal({p},{s})"),
        DataType::Decimal128(p, s) | DataType::Decimal256(p, s) => format!("decimal({p},{s})"),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "varchar".into(),
        DataType::Binary
        | DataType::LargeBinary
        | DataType::BinaryView
        | DataType::FixedSizeBinary(_) => "varbinary".into(),
        DataType::Date32 | DataType::Date64 => "date".into(),
        DataType::Timestamp(_, None) => "timestamp".into(),
        DataType::Timestamp(_, Some(_)) => "timestamp with time zone".into(),
        DataType::Time32(_) | DataType::Time64(_) => "time".into(),
        DataType::Interval(_) | DataType::Duration(_) => "interval".into(),
        DataType::List(f)
        | DataType::LargeList(f)
        | DataType::ListView(f)
        | DataType::LargeListView(f)
        | DataType::FixedSizeList(f, _) => {
            format!("array({})", athena_name(f.data_type()))
        }
        DataType::Map(entries, _) => match entries.data_type() {
            DataType::Struct(fields) if fields.len() == 2 => {
                format!(
                    "map({}, {})",
                    athena_name(fields[0].data_type()),
                    athena_name(fields[1].data_type())
                )
            }
            other => format!("map({})", athena_name(other)),
        },
        DataType::Struct(fields) => {
            let inner: Vec<String> = fields
                .iter()
                .map(|f| format!("{} {}", f.name(), athena_name(f.data_type())))
                .collect();
            format!("row({})", inner.join(", "))
        }
        DataType::Dictionary(_, value) => athena_name(value),
        DataType::RunEndEncoded(_, values) => athena_name(values.data_type()),
        other => other.to_string().to_lowercase(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::datatypes::TimeUnit;

    #[test]
    fn names_match_athena() {
        assert_eq!(athena_name(&DataType::Int64), "bigint");
        assert_eq!(athena_name(&DataType::Utf8View), "varchar");
        assert_eq!(
            athena_name(&DataType::Timestamp(TimeUnit::Millisecond, None)),
            "timestamp"
        );
        assert_eq!(athena_name(&DataType::Decimal128(10, 2)), "decimal(10,2)");
        assert_eq!(
            athena_name(&DataType::Dictionary(
                Box::new(DataType::UInt16),
                Box::new(DataType::Utf8)
            )),
            "varchar"
        );
        for column in [
            ColumnType::Bigint,
            ColumnType::Double,
            ColumnType::Varchar,
            ColumnType::Date,
            ColumnType::Timestamp,
        ] {
            assert_eq!(athena_name(&arrow_type(column)), column.athena_name());
        }
    }
}
