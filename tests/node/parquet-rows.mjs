// Prints a parquet file's rows as JSON (one array) as DuckDB reads them: the independent reader of files the
// platform writes. node parquet-rows.mjs FILE
import { DuckDBInstance } from '@duckdb/node-api';
const db = await DuckDBInstance.create(':memory:');
const c = await db.connect();
const r = await c.runAndReadAll(`SELECT * FROM read_parquet('${process.argv[2].replaceAll("'", "''")}')`);
console.log(JSON.stringify(r.getRowObjectsJson()));
