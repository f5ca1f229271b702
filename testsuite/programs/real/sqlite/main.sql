.print -- SQLite shell on WASI
SELECT sqlite_version() AS version;
.open /work/shop.db
.read /work/fill.sql
.tables
.headers on
.mode box
SELECT count(*) AS customers, (SELECT count(*) FROM product) AS products,
       (SELECT count(*) FROM orders) AS orders, (SELECT sum(qty) FROM orders) AS items
FROM customer;
-- Revenue per city: join, aggregate, order.
SELECT c.city,
       count(DISTINCT c.id) AS buyers,
       count(*) AS orders,
       printf('%.2f', sum(o.qty * p.price_cents) / 100.0) AS revenue
FROM orders o JOIN customer c ON c.id = o.customer_id JOIN product p ON p.id = o.product_id
GROUP BY c.city
ORDER BY sum(o.qty * p.price_cents) DESC;
-- Top products per month with a window function.
.mode list
.separator " | "
SELECT month, title, units FROM (
  SELECT strftime('%m', o.day) AS month, p.title, sum(o.qty) AS units,
         rank() OVER (PARTITION BY strftime('%m', o.day) ORDER BY sum(o.qty) DESC, p.title) AS r
  FROM orders o JOIN product p ON p.id = o.product_id
  GROUP BY month, p.id
) WHERE r = 1 ORDER BY month;
.mode csv
.output /work/report.csv
SELECT c.name, c.city, count(o.id) AS n, total(o.qty) AS qty
FROM customer c LEFT JOIN orders o ON o.customer_id = c.id
GROUP BY c.id HAVING n >= 20 ORDER BY n DESC, c.name;
.output stdout
.mode list
.separator "|"
UPDATE product SET price_cents = price_cents + 1 WHERE id % 3 = 0;
DELETE FROM orders WHERE qty = 9;
CREATE TABLE summary AS
  SELECT customer_id, group_concat(DISTINCT product_id) AS products FROM orders
  WHERE customer_id <= 3 GROUP BY customer_id;
.dump summary
SELECT 'errors are reported and the script goes on';
SELECT * FROM no_such_table;
INSERT INTO product(title, price_cents) VALUES ('bad', -5);
.open /work/shop.db
.print reopened
PRAGMA integrity_check;
SELECT count(*), sum(qty), min(day), max(day) FROM orders;
SELECT printf('%-12s %8.2f', title, price_cents / 100.0) FROM product ORDER BY price_cents DESC LIMIT 5;
SELECT hex(sha3('kiln', 256)) IS NOT NULL AS have_sha3, json_object('n', 1, 'list', json_array(1, 2.5, 'x')) AS json;
.schema orders
