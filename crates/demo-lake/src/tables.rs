//! Rows of each table as Arrow record batches. Each table (and each day of a partitioned
//! table) draws from its own random stream, so changing one never shifts another.

use std::sync::Arc;

use arrow::array::{
    ArrayRef, Date32Array, Float64Array, Int64Array, StringArray, TimestampMillisecondArray,
};
use arrow::datatypes::{DataType, Field, Schema, SchemaRef, TimeUnit};
use arrow::error::ArrowError;
use arrow::record_batch::RecordBatch;

use crate::calendar::{days_from_civil, SECONDS_PER_DAY};
use crate::fake;
use crate::rng::Rng;
use crate::spec::{ColumnType, TableSpec};

pub(crate) const CUSTOMERS: i64 = 5_000;
pub(crate) const DAYS: i32 = 60;

/// First `dt` partition: 2025-09-01.
pub(crate) fn first_day() -> i32 {
    days_from_civil(2025, 9, 1)
}

const STREAM_CUSTOMERS: u64 = 1;
const STREAM_ORDERS: u64 = 2;
const STREAM_EVENTS: u64 = 3;
const STREAM_CARDS: u64 = 4;

/// The Arrow schema of the columns stored in the files (partition keys excluded).
pub(crate) fn arrow_schema(spec: &TableSpec) -> SchemaRef {
    let fields: Vec<Field> = spec
        .data_columns()
        .map(|c| {
            let data_type = match c.data_type {
                ColumnType::Bigint => DataType::Int64,
                ColumnType::Double => DataType::Float64,
                ColumnType::Varchar => DataType::Utf8,
                ColumnType::Date => DataType::Date32,
                // Athena timestamps have millisecond precision and no time zone.
                ColumnType::Timestamp => DataType::Timestamp(TimeUnit::Millisecond, None),
            };
            // Only web.events.user_id may be null (anonymous visitors).
            Field::new(c.name, data_type, c.name == "user_id")
        })
        .collect();
    Arc::new(Schema::new(fields))
}

pub(crate) fn customers(spec: &TableSpec, seed: u64) -> Result<RecordBatch, ArrowError> {
    let mut rng = Rng::derive(seed, STREAM_CUSTOMERS, 0);
    let n = CUSTOMERS as usize;
    let (
        mut ids,
        mut names,
        mut emails,
        mut phones,
        mut ssns,
        mut countries,
        mut segments,
        mut signups,
    ) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    let start = first_day();
    for id in 1..=CUSTOMERS {
        let person = fake::person(&mut rng, id);
        ids.push(id);
        names.push(person.full_name);
        emails.push(person.email);
        phones.push(person.phone);
        ssns.push(fake::ssn(&mut rng));
        countries.push(person.country);
        segments.push(*rng.weighted(fake::SEGMENTS));
        // Everyone signed up within the three years before the first order day.
        signups.push(start - rng.range(1, 3 * 365) as i32);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(ids)),
        Arc::new(StringArray::from(names)),
        Arc::new(StringArray::from(emails)),
        Arc::new(StringArray::from(phones)),
        Arc::new(StringArray::from(ssns)),
        Arc::new(StringArray::from(countries)),
        Arc::new(StringArray::from(segments)),
        Arc::new(Date32Array::from(signups)),
    ];
    RecordBatch::try_new(arrow_schema(spec), columns)
}

/// Orders of day `day` (0-based from [`first_day`]); ids continue from `first_id`.
pub(crate) fn orders(
    spec: &TableSpec,
    seed: u64,
    day: i32,
    first_id: i64,
) -> Result<RecordBatch, ArrowError> {
    let mut rng = Rng::derive(seed, STREAM_ORDERS, day as u64);
    let weekend = matches!((first_day() + day).rem_euclid(7), 2 | 3); // 1970-01-01 was a Thursday.
    let n = (850 + rng.range(0, 300) + if weekend { 150 } else { 0 }) as usize;
    let times = sorted_times(&mut rng, first_day() + day, n);
    let (mut ids, mut customers, mut amounts, mut statuses, mut cards) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for i in 0..n {
        ids.push(first_id + i as i64);
        // A few customers order far more often than the rest.
        let customer = 1 + (rng.unit().powf(1.7) * CUSTOMERS as f64) as i64;
        let customer = customer.min(CUSTOMERS);
        customers.push(customer);
        let amount = 4.99 + 400.0 * rng.unit().powi(3) + 40.0 * rng.unit();
        amounts.push((amount * 100.0).round() / 100.0);
        statuses.push(*rng.weighted(fake::ORDER_STATUSES));
        // Each customer pays with the same card every time.
        cards.push(fake::card_number(&mut Rng::derive(
            seed,
            STREAM_CARDS,
            customer as u64,
        )));
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(ids)),
        Arc::new(Int64Array::from(customers)),
        Arc::new(TimestampMillisecondArray::from(times)),
        Arc::new(Float64Array::from(amounts)),
        Arc::new(StringArray::from(statuses)),
        Arc::new(StringArray::from(cards)),
    ];
    RecordBatch::try_new(arrow_schema(spec), columns)
}

/// Events of day `day`; ids continue from `first_id`.
pub(crate) fn events(
    spec: &TableSpec,
    seed: u64,
    day: i32,
    first_id: i64,
) -> Result<RecordBatch, ArrowError> {
    let mut rng = Rng::derive(seed, STREAM_EVENTS, day as u64);
    let n = (1_300 + rng.range(0, 400)) as usize;
    let times = sorted_times(&mut rng, first_day() + day, n);
    let (mut ids, mut users, mut ips, mut agents, mut urls, mut types) = (
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
        Vec::with_capacity(n),
    );
    for i in 0..n {
        ids.push(first_id + i as i64);
        users.push(if rng.chance(0.15) {
            None
        } else {
            Some(rng.range(1, CUSTOMERS as u64) as i64)
        });
        ips.push(fake::ip_address(&mut rng));
        agents.push(fake::user_agent(&mut rng));
        let event_type = *rng.weighted(fake::EVENT_TYPES);
        urls.push(fake::url(&mut rng, event_type));
        types.push(event_type);
    }
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Int64Array::from(ids)),
        Arc::new(Int64Array::from(users)),
        Arc::new(StringArray::from(ips)),
        Arc::new(StringArray::from(agents)),
        Arc::new(StringArray::from(urls)),
        Arc::new(StringArray::from(types)),
        Arc::new(TimestampMillisecondArray::from(times)),
    ];
    RecordBatch::try_new(arrow_schema(spec), columns)
}

/// `n` ascending millisecond timestamps within the day `days` (since 1970-01-01).
fn sorted_times(rng: &mut Rng, days: i32, n: usize) -> Vec<i64> {
    let start = i64::from(days) * SECONDS_PER_DAY * 1_000;
    let mut offsets: Vec<i64> = (0..n)
        .map(|_| rng.range(0, (SECONDS_PER_DAY * 1_000 - 1) as u64) as i64)
        .collect();
    offsets.sort_unstable();
    offsets.into_iter().map(|o| start + o).collect()
}
