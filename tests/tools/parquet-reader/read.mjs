// Reads Parquet files with DuckDB (independent of Parquet.Net) and prints, per file, its columns' types and its rows as JSON:
// (a .csv file with DuckDB's CSV type detection)
//   node read.mjs FILE...  →  {"FILE": {"columns": [{"name": …, "type": …, "nullable": …}], "rows": [{…}, …]}, …}
import { DuckDBInstance } from '@duckdb/node-api';

const instance = await DuckDBInstance.create(':memory:');
const connection = await instance.connect();
const result = {};
for (const file of process.argv.slice(2)) {
  const quoted = `'${file.replaceAll("'", "''")}'`;
  const source = file.endsWith('.csv') ? `read_csv(${quoted}, header = true)` : `read_parquet(${quoted})`;
  const columns = (await connection.runAndReadAll(`DESCRIBE SELECT * FROM ${source}`)).getRowObjectsJson()
    .map(c => ({ name: c.column_name, type: c.column_type }));
  const rows = (await connection.runAndReadAll(`SELECT * FROM ${source}`)).getRowObjectsJson();
  result[file] = { columns, rows };
}
process.stdout.write(JSON.stringify(result));
