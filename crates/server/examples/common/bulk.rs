//! Bulk loading for the benchmark examples: their data goes straight into
//! the database, many rows per statement.

/// Inserts `rows` (each `width` values) with multi-row INSERTs in one transaction.
pub async fn bulk(db: &store::Db, head: &str, width: usize, rows: Vec<Vec<String>>, kinds: &[bool]) {
    let per = 30_000 / width;
    let mut tx = db.write_tx().await.unwrap();
    for chunk in rows.chunks(per) {
        let mut sql = String::from(head);
        sql.push_str(" VALUES ");
        let mut n = 0;
        for (i, _) in chunk.iter().enumerate() {
            if i > 0 {
                sql.push(',');
            }
            sql.push('(');
            for c in 0..width {
                if c > 0 {
                    sql.push(',');
                }
                n += 1;
                sql.push_str(&format!("${n}"));
            }
            sql.push(')');
        }
        sql.push_str(" ON CONFLICT DO NOTHING");
        let mut q = sqlx::query(&sql);
        for row in chunk {
            for (c, v) in row.iter().enumerate() {
                // kinds[c]: the column is a number.
                q = if kinds[c] {
                    q.bind(v.parse::<i64>().unwrap())
                } else {
                    q.bind(v.clone())
                };
            }
        }
        q.execute(&mut *tx.tx).await.unwrap();
    }
    tx.commit().await.unwrap();
}
