use datafusion::physical_plan::ExecutionPlan;

/// Bytes read from Parquet files, summed over every operator of an executed plan. Partition
/// pruning shows here: files in pruned partitions are never opened.
pub(crate) fn bytes_scanned(plan: &dyn ExecutionPlan) -> u64 {
    let own = plan
        .metrics()
        .and_then(|m| m.sum_by_name("bytes_scanned"))
        .map(|v| v.as_usize() as u64)
        .unwrap_or(0);
    own + plan
        .children()
        .into_iter()
        .map(|c| bytes_scanned(c.as_ref()))
        .sum::<u64>()
}
