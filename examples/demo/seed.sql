-- Seed data of the Bulwark demo: a small shop with customers, products, orders and order items.
-- Run once by the sql provider when the database has no tables yet (databases.shop.init_script), in one transaction.
-- Deterministic: the same file gives the same rows on every machine.

CREATE TABLE customers (
  id            INTEGER PRIMARY KEY,
  name          TEXT NOT NULL,
  email         TEXT NOT NULL UNIQUE,
  city          TEXT NOT NULL,
  plan          TEXT NOT NULL CHECK (plan IN ('free', 'pro', 'enterprise')),
  signed_up_at  TEXT NOT NULL,            -- ISO 8601 date
  churned_at    TEXT                      -- NULL while the customer is active
);

CREATE TABLE products (
  id           INTEGER PRIMARY KEY,
  name         TEXT NOT NULL UNIQUE,
  price_cents  INTEGER NOT NULL CHECK (price_cents > 0)
);

CREATE TABLE orders (
  id           INTEGER PRIMARY KEY,
  customer_id  INTEGER NOT NULL REFERENCES customers (id),
  status       TEXT NOT NULL CHECK (status IN ('new', 'paid', 'shipped', 'cancelled')),
  created_at   TEXT NOT NULL,
  total_cents  INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE order_items (
  order_id          INTEGER NOT NULL REFERENCES orders (id),
  product_id        INTEGER NOT NULL REFERENCES products (id),
  quantity          INTEGER NOT NULL CHECK (quantity BETWEEN 1 AND 1000),
  unit_price_cents  INTEGER NOT NULL,
  PRIMARY KEY (order_id, product_id)
);

CREATE INDEX orders_by_customer ON orders (customer_id, id);

-- Clear errors for the create_order tool instead of constraint names (SQLite does not enforce REFERENCES unless
-- foreign keys are switched on per connection; these triggers hold whatever the connection settings are).
CREATE TRIGGER orders_customer_exists BEFORE INSERT ON orders
WHEN NOT EXISTS (SELECT 1 FROM customers WHERE id = NEW.customer_id)
BEGIN SELECT RAISE(ABORT, 'unknown customer'); END;

CREATE TRIGGER order_items_product_exists BEFORE INSERT ON order_items
WHEN NEW.unit_price_cents IS NULL OR NOT EXISTS (SELECT 1 FROM products WHERE id = NEW.product_id)
BEGIN SELECT RAISE(ABORT, 'unknown product'); END;

INSERT INTO products (id, name, price_cents) VALUES
  (1, 'Starter kit', 1900), (2, 'Pro license', 9900), (3, 'Support hours (10)', 45000), (4, 'Training seat', 12000),
  (5, 'Hardware token', 3500), (6, 'Extra storage 100 GB', 1500), (7, 'Audit report', 25000),
  (8, 'Migration service', 80000), (9, 'Sticker pack', 300), (10, 'Conference ticket', 60000);

-- 60 customers; every fifth has churned.
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60)
INSERT INTO customers (id, name, email, city, plan, signed_up_at, churned_at)
SELECT i,
       (CASE i % 6 WHEN 0 THEN 'Ada' WHEN 1 THEN 'Grace' WHEN 2 THEN 'Linus' WHEN 3 THEN 'Barbara'
                   WHEN 4 THEN 'Ken' ELSE 'Margaret' END) || ' ' ||
       (CASE i % 7 WHEN 0 THEN 'Lovelace' WHEN 1 THEN 'Hopper' WHEN 2 THEN 'Torvalds' WHEN 3 THEN 'Liskov'
                   WHEN 4 THEN 'Thompson' WHEN 5 THEN 'Hamilton' ELSE 'Ritchie' END),
       'customer' || i || '@example.com',
       CASE i % 5 WHEN 0 THEN 'Berlin' WHEN 1 THEN 'Lisbon' WHEN 2 THEN 'Toronto' WHEN 3 THEN 'Osaka' ELSE 'Nairobi' END,
       CASE WHEN i % 10 = 0 THEN 'enterprise' WHEN i % 3 = 0 THEN 'pro' ELSE 'free' END,
       date('2024-01-01', '+' || (i * 7) || ' days'),
       CASE WHEN i % 5 = 0 THEN date('2024-01-01', '+' || (i * 7 + 180) || ' days') END
FROM n;

-- 240 orders spread over the customers, with one to three items each.
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 240)
INSERT INTO orders (id, customer_id, status, created_at)
SELECT i, (i * 7) % 60 + 1,
       CASE i % 9 WHEN 0 THEN 'cancelled' WHEN 1 THEN 'new' WHEN 2 THEN 'paid' ELSE 'shipped' END,
       datetime('2024-02-01', '+' || (i * 2) || ' days', '+' || (i % 24) || ' hours')
FROM n;

WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 240),
     k(j) AS (VALUES (0), (1), (2))
INSERT INTO order_items (order_id, product_id, quantity, unit_price_cents)
SELECT n.i, (n.i + k.j * 3) % 10 + 1, (n.i + k.j) % 4 + 1, p.price_cents
FROM n JOIN k ON k.j <= n.i % 3
JOIN products p ON p.id = (n.i + k.j * 3) % 10 + 1;

UPDATE orders SET total_cents =
  (SELECT coalesce(sum(quantity * unit_price_cents), 0) FROM order_items WHERE order_id = orders.id);
