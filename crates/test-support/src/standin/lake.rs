//! The lake as Athena sees it: tables registered in Glue whose files live in S3. Loading puts
//! a local Parquet lake into S3 and Glue; reading builds a DataFusion session from Glue,
//! with each table's files fetched from S3 into a local cache.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::datatypes::{DataType, Field, Schema, TimeUnit};
use aws_sdk_glue::types::{Column, DatabaseInput, PartitionInput, StorageDescriptor, TableInput};
use datafusion::catalog::MemorySchemaProvider;
use datafusion::common::TableReference;
use datafusion::datasource::file_format::parquet::ParquetFormat;
use datafusion::datasource::listing::{
    ListingOptions, ListingTable, ListingTableConfig, ListingTableUrl,
};
use datafusion::prelude::{SessionConfig, SessionContext};
use futures::{StreamExt, TryStreamExt};

use crate::standin::aws::{put_file, split_s3};
use crate::standin::permissions::{Classes, CLASS_PARAMETER};

/// Table files put into S3 at once while loading a lake.
const UPLOADS_AT_ONCE: usize = 6;

fn fail(what: &str, e: impl std::fmt::Display) -> String {
    format!("{what}: {e}")
}

/// A table to put into S3 and Glue.
pub struct TableUpload<'a> {
    pub database: &'a str,
    pub table: &'a str,
    /// Local folder holding the table's files (Hive `key=value/` folders for partitions).
    pub local_dir: &'a Path,
    /// Data columns with their Glue (Hive) types.
    pub columns: Vec<(String, String)>,
    pub partition_keys: Vec<String>,
}

/// Uploads the table's files to `s3://bucket/<prefix><database>/<table>/` and registers the
/// table (and each partition) in Glue.
pub async fn upload_table(
    s3: &aws_sdk_s3::Client,
    glue: &aws_sdk_glue::Client,
    bucket: &str,
    prefix: &str,
    t: &TableUpload<'_>,
) -> Result<(), String> {
    let location = format!("s3://{bucket}/{prefix}{}/{}/", t.database, t.table);
    let mut files = Vec::new();
    walk(t.local_dir, &mut files).map_err(|e| fail("cannot list the table's files", e))?;
    let mut partitions = std::collections::BTreeSet::new();
    let mut uploads = Vec::new();
    for file in &files {
        let rel = file
            .strip_prefix(t.local_dir)
            .map_err(|e| fail("bad file path", e))?
            .to_string_lossy()
            .replace('\\', "/");
        if !rel.ends_with(".parquet") {
            continue;
        }
        if let Some((dir, _)) = rel.rsplit_once('/') {
            partitions.insert(dir.to_string());
        }
        uploads.push((file, format!("{prefix}{}/{}/{rel}", t.database, t.table)));
    }
    // A few uploads at a time: the demo lake is 121 files, and one after another they were
    // most of a test's set-up.
    futures::stream::iter(uploads)
        .map(|(file, key)| async move {
            put_file(s3, bucket, &key, file)
                .await
                .map_err(|e| fail("cannot upload a table file", e))
        })
        .buffer_unordered(UPLOADS_AT_ONCE)
        .try_collect::<()>()
        .await?;
    let exists = glue.get_database().name(t.database).send().await.is_ok();
    if !exists {
        glue.create_database()
            .database_input(
                DatabaseInput::builder()
                    .name(t.database)
                    .build()
                    .map_err(|e| fail("bad database", e))?,
            )
            .send()
            .await
            .map_err(|e| {
                fail(
                    "cannot create the Glue database",
                    aws_sdk_glue::error::DisplayErrorContext(e),
                )
            })?;
    }
    let column = |name: &str, ty: &str| Column::builder().name(name).r#type(ty).build();
    let columns = t
        .columns
        .iter()
        .map(|(n, ty)| column(n, ty))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail("bad column", e))?;
    let keys = t
        .partition_keys
        .iter()
        .map(|k| column(k, "string"))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| fail("bad partition key", e))?;
    let sd = |location: &str| {
        StorageDescriptor::builder()
            .set_columns(Some(columns.clone()))
            .location(location)
            .input_format("org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat")
            .build()
    };
    glue.create_table()
        .database_name(t.database)
        .table_input(
            TableInput::builder()
                .name(t.table)
                .table_type("EXTERNAL_TABLE")
                .storage_descriptor(sd(&location))
                .set_partition_keys(Some(keys))
                .parameters("classification", "parquet")
                .build()
                .map_err(|e| fail("bad table", e))?,
        )
        .send()
        .await
        .map_err(|e| {
            fail(
                "cannot create the Glue table",
                aws_sdk_glue::error::DisplayErrorContext(e),
            )
        })?;
    if t.partition_keys.is_empty() {
        return Ok(());
    }
    let inputs = partitions
        .iter()
        .map(|dir| {
            let values: Vec<String> = dir
                .split('/')
                .map(|part| {
                    part.split_once('=')
                        .map(|(_, v)| v)
                        .unwrap_or(part)
                        .to_string()
                })
                .collect();
            PartitionInput::builder()
                .set_values(Some(values))
                .storage_descriptor(sd(&format!("{location}{dir}/")))
                .build()
        })
        .collect::<Vec<_>>();
    // Glue takes at most 100 partitions per BatchCreatePartition.
    for chunk in inputs.chunks(100) {
        let out = glue
            .batch_create_partition()
            .database_name(t.database)
            .table_name(t.table)
            .set_partition_input_list(Some(chunk.to_vec()))
            .send()
            .await
            .map_err(|e| {
                fail(
                    "cannot create the Glue partitions",
                    aws_sdk_glue::error::DisplayErrorContext(e),
                )
            })?;
        if let Some(error) = out.errors().first() {
            return Err(format!(
                "cannot create a Glue partition {:?}: {:?}",
                error.partition_values(),
                error.error_detail()
            ));
        }
    }
    Ok(())
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)?.collect::<Result<_, _>>()?;
    entries.sort_by_key(|e| e.path());
    for entry in entries {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else {
            out.push(path);
        }
    }
    Ok(())
}

/// Puts the demo lake (generated from `seed` under `local_root`) into `s3://bucket/lake/` and
/// registers its tables in Glue, as `make sandbox` does for the app.
pub async fn load_demo_lake(
    s3: &aws_sdk_s3::Client,
    glue: &aws_sdk_glue::Client,
    bucket: &str,
    local_root: &Path,
    seed: u64,
) -> Result<(), String> {
    warden_demo_lake::ensure(local_root, seed)
        .map_err(|e| fail("cannot generate the demo lake", e))?;
    ensure_bucket(s3, bucket).await?;
    for spec in warden_demo_lake::describe() {
        let dir = local_root.join(spec.relative_dir());
        let columns = spec
            .data_columns()
            .map(|c| (c.name.to_string(), glue_type(c.data_type).to_string()))
            .collect();
        let upload = TableUpload {
            database: spec.database,
            table: spec.name,
            local_dir: &dir,
            columns,
            partition_keys: spec
                .partition_keys()
                .iter()
                .map(|k| k.to_string())
                .collect(),
        };
        upload_table(s3, glue, bucket, "lake/", &upload).await?;
        let classes: Vec<(String, String)> = spec
            .data_columns()
            .filter_map(|c| c.tags.first().map(|t| (c.name.to_string(), t.to_string())))
            .collect();
        tag_columns(glue, spec.database, spec.name, &classes).await?;
    }
    Ok(())
}

/// Sets the class of columns of a Glue table (column parameter `warden-class`), as Lake
/// Formation's LF-Tags mark them in a real account.
pub async fn tag_columns(
    glue: &aws_sdk_glue::Client,
    database: &str,
    table: &str,
    classes: &[(String, String)],
) -> Result<(), String> {
    if classes.is_empty() {
        return Ok(());
    }
    let got = glue
        .get_table()
        .database_name(database)
        .name(table)
        .send()
        .await
        .map_err(|e| {
            fail(
                "GetTable failed",
                aws_sdk_glue::error::DisplayErrorContext(e),
            )
        })?;
    let Some(t) = got.table() else {
        return Err(format!("Glue has no table {database}.{table}"));
    };
    let Some(sd) = t.storage_descriptor() else {
        return Err(format!("{database}.{table} has no storage descriptor"));
    };
    let columns = sd
        .columns()
        .iter()
        .map(|c| {
            let mut c = c.clone();
            if let Some((_, class)) = classes.iter().find(|(n, _)| n == c.name()) {
                let mut params = c.parameters().cloned().unwrap_or_default();
                params.insert(CLASS_PARAMETER.to_string(), class.clone());
                c.parameters = Some(params);
            }
            c
        })
        .collect();
    let mut sd = sd.clone();
    sd.columns = Some(columns);
    let input = TableInput::builder()
        .name(table)
        .set_table_type(t.table_type().map(str::to_string))
        .storage_descriptor(sd)
        .set_partition_keys(Some(t.partition_keys().to_vec()))
        .set_parameters(t.parameters().cloned())
        .build()
        .map_err(|e| fail("bad table", e))?;
    glue.update_table()
        .database_name(database)
        .table_input(input)
        .send()
        .await
        .map_err(|e| {
            fail(
                "UpdateTable failed",
                aws_sdk_glue::error::DisplayErrorContext(e),
            )
        })?;
    Ok(())
}

/// Adds columns `(name, type)` to a Glue table, as a data engineer does before the security
/// team has classified them (the policy's catalog lags Glue).
pub async fn add_columns(
    glue: &aws_sdk_glue::Client,
    database: &str,
    table: &str,
    columns: &[(&str, &str)],
) -> Result<(), String> {
    let got = glue
        .get_table()
        .database_name(database)
        .name(table)
        .send()
        .await
        .map_err(|e| {
            fail(
                "GetTable failed",
                aws_sdk_glue::error::DisplayErrorContext(e),
            )
        })?;
    let Some(t) = got.table() else {
        return Err(format!("Glue has no table {database}.{table}"));
    };
    let Some(sd) = t.storage_descriptor() else {
        return Err(format!("{database}.{table} has no storage descriptor"));
    };
    let mut sd = sd.clone();
    let mut all = sd.columns().to_vec();
    for (name, data_type) in columns {
        all.push(
            Column::builder()
                .name(*name)
                .r#type(*data_type)
                .build()
                .map_err(|e| fail("bad column", e))?,
        );
    }
    sd.columns = Some(all);
    let input = TableInput::builder()
        .name(table)
        .set_table_type(t.table_type().map(str::to_string))
        .storage_descriptor(sd)
        .set_partition_keys(Some(t.partition_keys().to_vec()))
        .set_parameters(t.parameters().cloned())
        .build()
        .map_err(|e| fail("bad table", e))?;
    glue.update_table()
        .database_name(database)
        .table_input(input)
        .send()
        .await
        .map_err(|e| {
            fail(
                "UpdateTable failed",
                aws_sdk_glue::error::DisplayErrorContext(e),
            )
        })?;
    Ok(())
}

/// Creates the bucket unless it exists.
pub async fn ensure_bucket(s3: &aws_sdk_s3::Client, bucket: &str) -> Result<(), String> {
    if s3.head_bucket().bucket(bucket).send().await.is_ok() {
        return Ok(());
    }
    s3.create_bucket()
        .bucket(bucket)
        .send()
        .await
        .map_err(|e| {
            fail(
                "cannot create the bucket",
                aws_sdk_s3::error::DisplayErrorContext(e),
            )
        })?;
    Ok(())
}

fn glue_type(t: warden_demo_lake::ColumnType) -> &'static str {
    use warden_demo_lake::ColumnType::*;
    match t {
        Bigint => "bigint",
        Double => "double",
        Varchar => "string",
        Date => "date",
        Timestamp => "timestamp",
    }
}

fn arrow_type(glue: &str) -> Option<DataType> {
    Some(match glue.to_ascii_lowercase().as_str() {
        "bigint" => DataType::Int64,
        "int" | "integer" => DataType::Int32,
        "smallint" => DataType::Int16,
        "tinyint" => DataType::Int8,
        "double" => DataType::Float64,
        "float" | "real" => DataType::Float32,
        "boolean" => DataType::Boolean,
        "string" | "varchar" => DataType::Utf8,
        "date" => DataType::Date32,
        "timestamp" => DataType::Timestamp(TimeUnit::Millisecond, None),
        t if t.starts_with("varchar(") || t.starts_with("char(") => DataType::Utf8,
        _ => return None,
    })
}

/// A DataFusion session holding every Glue table whose files are Parquet in S3 (files are
/// fetched into `cache` once), and the classes of the tables' tagged columns.
pub async fn session_from_glue(
    s3: &aws_sdk_s3::Client,
    glue: &aws_sdk_glue::Client,
    cache: &Path,
) -> Result<(SessionContext, Classes), String> {
    let mut classes = Classes::new();
    let ctx = SessionContext::new_with_config(SessionConfig::new().with_information_schema(false));
    let catalog = ctx
        .catalog("datafusion")
        .ok_or_else(|| "the session has no default catalog".to_string())?;
    let mut databases = Vec::new();
    let mut pages = glue.get_databases().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            fail(
                "GetDatabases failed",
                aws_sdk_glue::error::DisplayErrorContext(e),
            )
        })?;
        databases.extend(page.database_list().iter().map(|d| d.name().to_string()));
    }
    for db in databases {
        catalog
            .register_schema(&db, Arc::new(MemorySchemaProvider::new()))
            .map_err(|e| fail("cannot register a database", e))?;
        let mut pages = glue.get_tables().database_name(&db).into_paginator().send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| {
                fail(
                    "GetTables failed",
                    aws_sdk_glue::error::DisplayErrorContext(e),
                )
            })?;
            for table in page.table_list() {
                register(&ctx, s3, cache, &db, table).await?;
                let tagged: std::collections::BTreeMap<String, String> = table
                    .storage_descriptor()
                    .map(|sd| sd.columns())
                    .unwrap_or_default()
                    .iter()
                    .filter_map(|c| {
                        let class = c.parameters()?.get(CLASS_PARAMETER)?;
                        Some((c.name().to_lowercase(), class.clone()))
                    })
                    .collect();
                if !tagged.is_empty() {
                    classes.insert(format!("{db}.{}", table.name()).to_lowercase(), tagged);
                }
            }
        }
    }
    Ok((ctx, classes))
}

async fn register(
    ctx: &SessionContext,
    s3: &aws_sdk_s3::Client,
    cache: &Path,
    db: &str,
    table: &aws_sdk_glue::types::Table,
) -> Result<(), String> {
    let Some(sd) = table.storage_descriptor() else {
        return Ok(());
    };
    let Some((bucket, prefix)) = sd.location().and_then(split_s3) else {
        return Ok(());
    };
    let mut fields = Vec::new();
    for c in sd.columns() {
        let Some(t) = c.r#type().and_then(arrow_type) else {
            // A type the stand-in cannot read: the table is left out rather than misread.
            return Ok(());
        };
        fields.push(Field::new(c.name(), t, true));
    }
    let local = cache.join(&bucket).join(&prefix);
    std::fs::create_dir_all(&local).map_err(|e| fail("cannot create the lake cache", e))?;
    let mut pages = s3
        .list_objects_v2()
        .bucket(&bucket)
        .prefix(&prefix)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            fail(
                "ListObjectsV2 failed",
                aws_sdk_s3::error::DisplayErrorContext(e),
            )
        })?;
        for object in page.contents() {
            let Some(key) = object.key() else { continue };
            if !key.ends_with(".parquet") {
                continue;
            }
            let path = cache.join(&bucket).join(key);
            if path.exists() {
                continue;
            }
            let got = s3
                .get_object()
                .bucket(&bucket)
                .key(key)
                .send()
                .await
                .map_err(|e| {
                    fail(
                        "GetObject failed",
                        aws_sdk_s3::error::DisplayErrorContext(e),
                    )
                })?;
            let bytes = got
                .body
                .collect()
                .await
                .map_err(|e| fail("reading a table file failed", e))?
                .into_bytes();
            if let Some(parent) = path.parent() {
                std::fs::create_dir_all(parent)
                    .map_err(|e| fail("cannot create the lake cache", e))?;
            }
            std::fs::write(&path, &bytes).map_err(|e| fail("cannot write the lake cache", e))?;
        }
    }
    let url = url::Url::from_directory_path(&local)
        .map_err(|()| format!("{} is not an absolute folder", local.display()))?;
    let table_url = ListingTableUrl::try_new(url, None).map_err(|e| e.strip_backtrace())?;
    let partition_cols = table
        .partition_keys()
        .iter()
        .map(|k| (k.name().to_string(), DataType::Utf8))
        .collect();
    let options = ListingOptions::new(Arc::new(ParquetFormat::default()))
        .with_file_extension(".parquet")
        .with_table_partition_cols(partition_cols);
    let config = ListingTableConfig::new(table_url)
        .with_listing_options(options)
        .with_schema(Arc::new(Schema::new(fields)));
    let listing = ListingTable::try_new(config).map_err(|e| e.strip_backtrace())?;
    ctx.register_table(TableReference::partial(db, table.name()), Arc::new(listing))
        .map_err(|e| e.strip_backtrace())?;
    Ok(())
}
