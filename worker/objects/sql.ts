/**
 * Whether `table` exists in a Durable Object's SQLite database. Objects create their schema on the first write, not
 * in the constructor, so a read of an object that holds nothing answers the empty state and writes nothing (a GET
 * must not create stored objects); this is how they tell.
 */
export function tableExists(sql: SqlStorage, table: string): boolean {
  return (
    sql.exec("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", table).toArray().length > 0
  );
}
