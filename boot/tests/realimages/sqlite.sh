# sqlite3: a database in the container's own filesystem and one in the directory at $1.
set -e
for db in /tmp/test.db "$1/test.db"; do
  rm -f "$db"
  sqlite3 "$db" "create table t(id integer primary key, name text, n real);
    insert into t(name, n) values ('one', 1.5), ('two', 2.25), ('three', 3.125);
    create index t_n on t(n);
    begin; update t set n = n * 2 where id > 1; commit;"
  sqlite3 "$db" "pragma integrity_check; select id, name, n from t order by n desc; select count(*), sum(n) from t;"
  sqlite3 "$db" "pragma journal_mode=wal; insert into t(name, n) values ('four', 4); select count(*) from t;"
  [ "$db" = /tmp/test.db ] && ls -l "$db" | cut -c1-10
done
cat "$1/seed.txt"
echo "written in the container" > "$1/from-container.txt"
echo sqlite done
