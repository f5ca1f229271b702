-- Read by the shell with `.read /work/fill.sql`: schema and a few thousand generated rows.
CREATE TABLE customer(
  id INTEGER PRIMARY KEY,
  name TEXT NOT NULL,
  city TEXT NOT NULL
);
CREATE TABLE product(
  id INTEGER PRIMARY KEY,
  title TEXT NOT NULL UNIQUE,
  price_cents INTEGER NOT NULL CHECK (price_cents > 0)
);
CREATE TABLE orders(
  id INTEGER PRIMARY KEY,
  customer_id INTEGER NOT NULL REFERENCES customer(id),
  product_id INTEGER NOT NULL REFERENCES product(id),
  qty INTEGER NOT NULL,
  day TEXT NOT NULL
);
CREATE INDEX orders_by_customer ON orders(customer_id, day);

BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
INSERT INTO customer(id, name, city)
SELECT i,
       printf('customer-%03d', i),
       CASE i % 5 WHEN 0 THEN 'Lisbon' WHEN 1 THEN 'Oslo' WHEN 2 THEN 'Quito'
                  WHEN 3 THEN 'Nairobi' ELSE 'Hanoi' END
FROM n;

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 40)
INSERT INTO product(id, title, price_cents)
SELECT i, printf('product %s-%d', char(65 + i % 26, 65 + (i * 7) % 26), i), 99 + (i * 1237) % 9000
FROM n;

-- A linear congruential generator, so the data is the same everywhere.
WITH RECURSIVE lcg(i, x) AS (
  SELECT 1, 12345
  UNION ALL
  SELECT i + 1, (x * 1103515245 + 12345) % 2147483648 FROM lcg WHERE i < 5000
)
INSERT INTO orders(id, customer_id, product_id, qty, day)
SELECT i,
       1 + x % 300,
       1 + (x / 300) % 40,
       1 + (x / 12000) % 9,
       date('2024-01-01', printf('+%d days', (x / 108000) % 366))
FROM lcg;
COMMIT;
